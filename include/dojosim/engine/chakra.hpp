// Replaying Chakra execution traces on a system (docs/model.md#chakra).
//
// Every rank's nodes run when their data dependencies are done (control dependencies do not
// order them, as in ASTRA-sim's Chakra feeder; real converted traces hold cyclic ones):
// compute nodes one at a time per rank (GPU and CPU ops on their own streams), memory and
// communication nodes concurrently. A collective starts when every member of its process
// group has reached it (the k-th collective of a group on each member) and is priced by the
// collective model of the system's levels (collective/collective.hpp) for that group's
// size and spacing; a send starts when issued and its receive completes when the data
// arrives (latency + bytes over the level the pair spans). Compute nodes take dojosim's
// exact duration when the trace was exported by dojosim, else duration_micros, else
// num_ops at the device's peak x GEMM efficiency for `precision`. Transfers are priced
// alone: the replay does not model link contention (the whole-step engine does).
//
// Contract: deterministic; O(nodes log nodes); a trace that cannot complete (a collective
// some member never reaches, a receive without its send) is an InputError naming them.
#pragma once

#include <string>
#include <vector>

#include "dojosim/engine/event.hpp"
#include "dojosim/hardware/system.hpp"
#include "dojosim/workload/chakra.hpp"

namespace dojosim::engine {

struct ReplayOptions {
  hardware::Precision precision = hardware::Precision::bf16;  // for compute nodes priced by num_ops
  std::vector<std::string> files;                             // names of the rank files (errors), by rank
  int trace_ranks = 16;                                       // ranks drawn in the timeline (0: none)
};

struct ReplayRank {
  double end = 0;      // when its last node finished, s
  double compute = 0;  // busy time of its compute stream, s
  double comm = 0;     // time its collectives and messages took, s (overlapping ones each counted)
  double wait = 0;     // time its collectives waited for other members, s
  long long nodes = 0;
};

struct ReplayResult {
  double step_time = 0;  // makespan over every rank, s
  int ranks = 0;
  long long nodes = 0, collectives = 0, messages = 0;
  double comm_bytes = 0;  // collective and message bytes over every rank
  int critical_rank = 0;  // the rank that finished last
  std::vector<ReplayRank> per_rank;
  std::vector<std::string> notes;
};

ReplayResult replay_chakra(const hardware::System& sys, const std::vector<workload::chakra::Trace>& ranks,
                           const workload::chakra::CommGroups& groups, const ReplayOptions& opt = {},
                           Timeline* timeline = nullptr);

}  // namespace dojosim::engine
