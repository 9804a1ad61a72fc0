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
#include "dojosim/engine/plan.hpp"
#include "dojosim/hardware/topology.hpp"

namespace dojosim::engine {

struct TraceEvent {
  std::string name;                // "F3.c1": forward of micro-batch 3, chunk 1
  const char* category = "";       // "forward", "backward", "dp", "optimizer", "stream"
  int stage = 0;                   // pipeline stage (a track in the trace)
  double start = 0, duration = 0;  // seconds
};

struct Timeline {
  double pipeline = 0;  // makespan of the pipeline, seconds
  std::vector<TraceEvent> events;
  // Track names by TraceEvent::stage (empty: "stage N"), and counters (link utilisation
  // over time: (seconds, value) samples) for the whole-step engine.
  std::vector<std::string> tracks;
  struct Counter {
    std::string name;
    std::vector<std::pair<double, double>> samples;
  };
  std::vector<Counter> counters;
};

// Simulates the pipeline of a plan already evaluated by the analytical engine and returns
// the result with step time and bubble from the simulation (engine = "event").
// `timeline`, when given, receives every pass. Plans of more than kMaxPasses passes
// (pp x vp x micro-batches x 2) are refused with core::Unsupported (exit 2).
inline constexpr long long kMaxPasses = 20'000'000;
Result simulate_pipeline(const Context& ctx, const Result& analytical, Timeline* timeline = nullptr);

// Chrome trace-event JSON of a timeline (one track per pipeline stage, or per
// Timeline::tracks entry; counters as counter tracks).
std::string trace_json(const Timeline& t, const std::string& title);

// The whole-step event engine (engine/step.cpp; docs/model.md#whole-step): every layer of
// every micro-batch on every pipeline stage — compute, TP collectives, CP rings, MoE
// all-to-alls, pipeline sends, DP bucket reductions and parameter gathers, ZeRO-3 gathers
// with prefetch, Dojo's DIP streams — as dependent tasks on a compute stream and
// communication queues per rank, their transfers sharing the topology graph with max-min
// fair rates (collective/flows.hpp). Symmetry: one rank per pipeline stage is simulated;
// the traffic of every rank it stands for is on the links. Deterministic for a seed.
struct StepOptions {
  double jitter = 0;     // relative standard deviation of each compute task (0: none)
  double straggler = 0;  // one stage (drawn from the seed) computes this much slower (0.1 = 10%)
  unsigned long long seed = 1;
  int busiest = 5;        // links reported
  bool reference = true;  // also run the schedule with every transfer alone (Result::contention)
};
struct StepStats {
  long long tasks = 0;   // compute and communication tasks simulated
  long long solves = 0;  // max-min solutions computed (cache misses)
  long long cache_hits = 0;
  long long flow_classes = 0;  // over all decomposed collectives
  long long flows = 0;         // flows those classes stand for
  int ranks = 0;               // distinct ranks simulated (one per pipeline stage)
  std::size_t links = 0;       // links of the graph
};
inline constexpr long long kMaxStepTasks = 50'000'000;
Result simulate_step(const Context& ctx, const Plan& plan, const Result& analytical, const hardware::Graph& graph,
                     Timeline* timeline = nullptr, const StepOptions& opt = {}, StepStats* stats = nullptr);

// Chakra ET export (docs/model.md#chakra): the whole-step program of every rank — the same
// tasks the whole-step engine simulates — as `<prefix>.<rank>.et`, with the process groups
// in `<prefix>.comm_groups.json` (the layout ASTRA-sim reads). engine/chakra.hpp replays them.
struct ChakraExportStats {
  int ranks = 0, groups = 0;
  long long nodes = 0, bytes = 0;
};
inline constexpr long long kMaxChakraRanks = 65536;
ChakraExportStats export_chakra(const Context& ctx, const Plan& plan, const Result& analytical, const hardware::Graph& graph,
                                const std::string& prefix);

}  // namespace dojosim::engine
