// The event engine: the pipeline schedule of a plan simulated op by op.
//
// Where the analytical engine prices the pipeline bubble with the closed form
// (pp-1)/vp stage-times, this engine places every forward and backward pass of every
// micro-batch on every (virtual) stage in the order Megatron-LM issues them — 1F1B, or
// the interleaved schedule (Narayanan et al. 2021, section 2.2) — with each pass starting
// when its stage is free and its input has arrived. Per-pass times come from the
// analytical engine (Result::pipeline), so the two engines differ only in how the schedule
// is composed; docs/model.md#event-engine. It can also write the timeline as a Chrome /
// Perfetto trace (JSON; open in ui.perfetto.dev or chrome://tracing).
//
// Contract: deterministic; O(pp * vp * microbatches) passes; for uniform stages without
// communication the 1F1B makespan is exactly (m + pp - 1)(F + B).
#pragma once

#include <string>
#include <vector>

#include "dojosim/engine/engine.hpp"

namespace dojosim::engine {

struct TraceEvent {
  std::string name;       // "F3.c1": forward of micro-batch 3, chunk 1
  const char* category = "";  // "forward", "backward", "dp", "optimizer", "stream"
  int stage = 0;          // pipeline stage (a track in the trace)
  double start = 0, duration = 0;  // seconds
};

struct Timeline {
  double pipeline = 0;  // makespan of the pipeline, seconds
  std::vector<TraceEvent> events;
};

// Simulates the pipeline of a plan already evaluated by the analytical engine and returns
// the result with step time and bubble from the simulation (engine = "event").
// `timeline`, when given, receives every pass. Plans of more than kMaxPasses passes
// (pp x vp x micro-batches x 2) are refused with core::Unsupported (exit 2).
inline constexpr long long kMaxPasses = 20'000'000;
Result simulate_pipeline(const Context& ctx, const Result& analytical, Timeline* timeline = nullptr);

// Chrome trace-event JSON of a timeline (one track per pipeline stage).
std::string trace_json(const Timeline& t, const std::string& title);

}  // namespace dojosim::engine
