// `dojosim search`: every valid strategy for a model on a system, pruned, evaluated in
// parallel and ranked by an objective (time, cost or energy per token).
//
// The space is engine/space.hpp (the same one `resolve` walks, so search's best for the
// time objective is `run`'s choice). A given `gbs` is the target global batch: each plan
// rounds it down to a multiple of dp·mbs (·pp when interleaved), and the report says when
// the best plan's batch differs from the target. Ranking is by objective per token, ties
// broken by enumeration order, so the result is the same for any thread count.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dojosim/engine/space.hpp"
#include "dojosim/explore/pricing.hpp"

namespace dojosim::explore {

enum class Objective { time, cost, energy };
std::string_view objective_name(Objective o);
Objective parse_objective(std::string_view s);  // InputError (exit 2) with a suggestion

struct SearchOptions {
  Objective objective = Objective::time;
  int top = 5;                                          // plans kept in the ranking
  int threads = 0;                                      // 0 = hardware concurrency
  engine::SpaceOptions space{true, false, true, true};  // gbs is a target; overlap and residency searched
  economics::EconomicsParams econ;
};

struct Ranked {
  engine::Result result;
  report::Economics econ;
  double objective = 0;  // seconds, USD or joules per token
  long long index = 0;   // position in the enumeration (tie-break)
};

struct SearchReport {
  std::vector<Ranked> ranked;  // best first, at most `top`
  engine::SpaceCounts counts;
  long long target_gbs = 0;
  std::string reason;  // one line: why the best plan wins over the runner-up
  double seconds = 0;  // wall time of the search (not part of any stable output)
};

// Throws InputError when no valid strategy completes the given keys, Infeasible when
// none fits in memory.
SearchReport search(const engine::Context& ctx, const parallel::Strategy& partial, const SearchOptions& opt);

// Why `best` beats `other`: the component of the step (per token) that differs most.
std::string why_better(const engine::Result& best, const engine::Result& other);

}  // namespace dojosim::explore
