// The space of strategies for a model on a system: every combination of the keys a user
// left out, enumerated in a fixed order, with cheap pruning before full evaluation.
//
// Used by `resolve` (the fastest feasible completion of a partial strategy, for `run`)
// and by explore::search (ranked, multi-threaded, other objectives), so the two agree by
// construction. The space is split into "outer" points (tp, cp, pp, ep, zero, precision:
// the keys that decide the static memory per device) and, for each, "inner" points
// (mbs, vp, sp, recompute, overlap, residency). Pruning:
//   - divisibility and validity: parallel::strategy_problem (counted as `invalid`);
//   - memory: a lower bound on weights + gradients + optimizer state per device
//     (params / (tp·pp·ep) with the ZeRO shards) above everything the device can hold
//     (HBM, or SRAM + DIP HBM + host DRAM on Dojo) prunes the outer point and all its
//     inner points (counted as `pruned_memory`) without evaluating them.
// Contract: enumeration order and counts depend only on the inputs; `for_each_inner`
// never allocates on its hot path except through the visitor.
#pragma once

#include "dojosim/core/errors.hpp"

#include <functional>
#include <string>
#include <vector>

#include "dojosim/engine/engine.hpp"

namespace dojosim::engine {

struct SpaceOptions {
  bool gbs_is_target = false;  // a given gbs is an upper bound, rounded down to a multiple of dp·mbs (search)
  bool precisions = false;     // also try every precision the device has a peak for (bf16, fp8, cfp8)
  bool overlap = false;        // also try DP / ZeRO-3 overlap switched off
  bool residency = false;      // Dojo: also try weights forced to SRAM or to DIP HBM
  bool prune_memory = true;    // skip points whose state alone cannot fit (false: evaluate them, to name the closest)
};

// The space `resolve` (run) walks: search's, with a given gbs taken exactly (search takes
// it as a target to round down to).
inline constexpr SpaceOptions kResolveSpace{false, false, true, true};

struct SpaceCounts {
  long long enumerated = 0;     // candidates in the space (after fixing the given keys)
  long long invalid = 0;        // rejected by divisibility / validity rules
  long long pruned_memory = 0;  // rejected by the memory lower bound, never evaluated
  long long evaluated = 0;      // fully evaluated
  long long feasible = 0;       // evaluated and fits in memory
  std::string last_problem;     // why the last invalid candidate was rejected
  void add(const SpaceCounts& o);
};

// Why the context's stack cannot run a strategy (its pipeline engine's limits), or "".
std::string stack_problem(const Context& ctx, const parallel::Strategy& s);

// Target global batch when the user gave none (default_gbs), or the given one.
long long target_gbs(const Context& ctx, const parallel::Strategy& partial);

// Why no outer point exists for the given keys (for the error message), e.g. "tp=3 ...".
std::string no_split_reason(const Context& ctx, const parallel::Strategy& partial);
// Whether the user fixed any key of the strategy (--parallel, a sweep's SPEC).
bool any_key_given(const parallel::Strategy& partial);
// The input error when no strategy completes `partial` (`problem`: why the last one
// failed): blamed on --parallel when keys were given, else on the system and model, with
// what to change.
core::InputError no_completion(const parallel::Strategy& partial, const std::string& problem, const std::string& expected_given);

// Outer points of the space (tp, cp, pp, dp, ep, zero, precision set; the rest as given).
std::vector<parallel::Strategy> outer_points(const Context& ctx, const parallel::Strategy& partial, const SpaceOptions& opt);

// Lower bound of the static state bytes per device of a strategy (weights, gradients,
// optimizer) and everything a device can hold; the bound never exceeds the evaluated value.
double state_lower_bound(const Context& ctx, const parallel::Strategy& s);
double holdable_bytes(const hardware::System& sys);

// Enumerates the inner points of one outer point, pruning and evaluating; calls `visit`
// with every evaluated result (fitting or not) and its index within this outer point:
// increasing in the order of the calls, so ranking ties by it picks what the resolver picks
// (the first visited). An inner point i is visited as kInnerVariants·i, then its fewest
// recomputed layers (+1) or offloaded layers (+2) when those are candidates too.
inline constexpr long long kInnerVariants = 4;
void for_each_inner(const Context& ctx, const parallel::Strategy& outer, const parallel::Strategy& partial,
                    const SpaceOptions& opt, SpaceCounts& counts, const std::function<void(const Result&, long long)>& visit);

}  // namespace dojosim::engine
