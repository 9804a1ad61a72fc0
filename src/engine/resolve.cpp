// Completing a partial strategy: every key the user left out is chosen as the value that
// gives the fastest feasible plan (the way a tuned run would be configured). This is the
// one resolver of dojosim: the space (engine/space.hpp, with the overlap switches and
// Dojo's weight residency, kResolveSpace), the ranking (least time per token, ties to the
// first in enumeration order) and the workloads (transformers and vision networks) are
// the ones `dojosim search` uses, so `run` and `search` agree by construction.
#include <fmt/format.h>

#include <algorithm>

#include "dojosim/core/errors.hpp"
#include "dojosim/engine/engine.hpp"
#include "dojosim/engine/space.hpp"
#include "vision.hpp"

namespace dojosim::engine {

using parallel::Strategy;

long long default_seq(const workload::Workload& w) { return w.vision() ? 0 : std::min<long long>(w.transformer.max_seq, 2048); }

Context workload_context(const hardware::System& sys, const workload::Workload& w, long long seq, const std::string& option) {
  Context ctx;
  ctx.sys = &sys;
  // 0 means "the default"; a negative length is a typo, never silently the default.
  if (seq < 0)
    throw core::InputError({option, 0, 0, "seq"}, fmt::format("sequence length {} is negative", seq),
                           "a whole number of tokens from 1 to 16777216, or leave it out for the default");
  if (w.vision()) {
    if (seq > 0)
      throw core::InputError({option, 0, 0, "seq"}, fmt::format("{} does not apply to {}, a vision network", option, w.name()),
                             fmt::format("no {} (the input size is part of the network)", option));
    ctx.seq = 0;
    ctx.net = &w.network;
    return ctx;
  }
  ctx.seq = seq > 0 ? seq : default_seq(w);
  if (ctx.seq < 1 || ctx.seq > (1LL << 24))
    throw core::InputError({option, 0, 0, "seq"}, fmt::format("sequence length {} out of range", ctx.seq), "1 to 16M tokens");
  ctx.model = &w.transformer;
  return ctx;
}

bool complete(const Context& ctx, const Strategy& s) {
  const auto& g = s.given;
  if (ctx.net != nullptr) return g.dp && g.mbs && g.gbs && g.zero && g.recompute && g.spatial;
  return g.tp && g.pp && g.dp && g.mbs && g.gbs && g.vp && g.sp && g.zero && g.recompute && (g.cp || s.cp == 1);
}

Result plan_or_resolve(const Context& ctx, const Strategy& s) {
  if (!complete(ctx, s)) return resolve(ctx, s);
  if (ctx.net != nullptr)
    parallel::check_strategy(s, *ctx.net, *ctx.sys);
  else
    parallel::check_strategy(s, *ctx.model, *ctx.sys);
  if (const std::string why = stack_problem(ctx, s); !why.empty())
    throw core::InputError(core::Location{"--parallel", 0, 0, ""}, "invalid strategy: " + why,
                           "a plan the stack can run (dojosim show stack NAME), or another --stack");
  return evaluate(ctx, s);
}

double time_per_token(const Result& r) { return r.tokens_per_step > 0 ? r.step_time / r.tokens_per_step : 1e300; }

Result resolve(const Context& ctx, const Strategy& partial) {
  if (ctx.net != nullptr) check_vision_keys(ctx, partial);
  const auto& sys = *ctx.sys;
  const long long n = sys.device_count();
  const auto& g = partial.given;
  const SpaceOptions opt = kResolveSpace;
  SpaceCounts counts;
  Result best;
  bool found = false;
  Result smallest;  // the candidate closest to fitting, for the Infeasible message
  double smallest_mem = 1e300;
  auto walk = [&](const SpaceOptions& o, SpaceCounts& c) {
    for (const Strategy& outer : outer_points(ctx, partial, o))
      for_each_inner(ctx, outer, partial, o, c, [&](const Result& r, long long) {
        if (!r.memory.fits) {
          const double over = r.memory.per_device() - r.memory.capacity - r.memory.offload_capacity - r.memory.host_capacity;
          if (over < smallest_mem) {
            smallest_mem = over;
            smallest = r;
          }
          return;
        }
        if (!found || time_per_token(r) < time_per_token(best) * (1 - 1e-9)) {
          best = r;
          found = true;
        }
      });
  };
  walk(opt, counts);
  if (counts.evaluated == 0 && counts.pruned_memory == 0)
    throw no_completion(partial, counts.last_problem.empty() ? no_split_reason(ctx, partial) : counts.last_problem,
                        "keys that fit the model and system");
  const bool keys_given = any_key_given(partial);
  if (!found && counts.evaluated == 0 && keys_given) {
    // Every completion of the given keys was pruned by its state alone: price them anyway
    // to name the closest, since a plan the user fixed (zero=1, say) is not the most sharded.
    SpaceOptions all = opt;
    all.prune_memory = false;
    SpaceCounts unpruned;
    walk(all, unpruned);
  }
  if (!found) {
    if (smallest_mem >= 1e300)
      throw core::Infeasible(fmt::format("no strategy fits in memory on {} x {}: even the weights, gradients and optimizer "
                                         "state of the most sharded plan exceed the {:.3g} GB a device can hold",
                                         n, sys.device.name, holdable_bytes(sys) / 1e9),
                             // ZeRO-3 is in the most sharded plan already, unless the user fixed a
                             // lower stage; on one device it shards nothing.
                             g.zero && partial.zero < 3 && n > 1 ? "try zero=3, more devices, or a smaller model"
                                                                 : "try more devices or a smaller model");
    const auto& M = smallest.memory;
    if (partial.weights == parallel::Residency::sram && M.weights > M.capacity - M.other)
      throw core::Infeasible(
          fmt::format("no strategy fits with weights=sram on {} x {}: the closest ({}) holds {:.2f} GB of weights per device, "
                      "more than the {:.0f} MB of SRAM that holds model state",
                      n, sys.device.name, smallest.strategy.spec(), M.weights / 1e9, (M.capacity - M.other) / 1e6),
          "leave weights unset (streamed from DIP HBM when they do not fit), or use more devices");
    // Dojo counts its DIP HBM and host DRAM shares as the device's; a GPU offloading
    // activations holds them beside its own memory, in the host's.
    const double available = sys.is_dojo() ? M.capacity + M.offload_capacity + M.host_capacity : M.capacity;
    const std::string host =
        !sys.is_dojo() && M.host > 0
            ? fmt::format(" (and {:.1f} GB of activations in host memory, of {:.1f} GB)", M.host / 1e9, M.host_capacity / 1e9)
            : std::string();
    throw core::Infeasible(
        fmt::format("no {} fits in memory on {} x {}: the closest ({}) needs {:.1f} GB per device{}, {:.1f} GB available",
                    keys_given ? "completion of the given keys" : "strategy", n, sys.device.name, smallest.strategy.spec(),
                    M.per_device() / 1e9, host, available / 1e9),
        fmt::format("weights {:.1f} GB, gradients {:.1f} GB, optimizer {:.1f} GB, activations {:.1f} GB, other {:.1f} GB; "
                    "try {}more devices or a smaller model",
                    M.weights / 1e9, M.gradients / 1e9, M.optimizer / 1e9, M.activations / 1e9, M.other / 1e9,
                    keys_given ? "leaving keys open (zero, recompute, tp, pp), " : ""));
  }
  auto& notes = best.notes;
  const auto& s = best.strategy;
  std::vector<std::string> chosen;
  const bool vision = ctx.net != nullptr;
  if (!vision && !g.tp) chosen.push_back(fmt::format("tp={}", s.tp));
  if (!vision && !g.pp) chosen.push_back(fmt::format("pp={}", s.pp));
  if (!g.dp) chosen.push_back(fmt::format("dp={}", s.dp));
  if (vision && !g.spatial) chosen.push_back(fmt::format("spatial={}", s.spatial));
  if (!vision && !g.cp) chosen.push_back(fmt::format("cp={}", s.cp));
  if (!g.ep && s.ep > 1) chosen.push_back(fmt::format("ep={}", s.ep));
  if (!vision && !g.vp) chosen.push_back(fmt::format("vp={}", s.vp));
  if (!g.mbs) chosen.push_back(fmt::format("mbs={}", s.mbs));
  if (!g.gbs) chosen.push_back(fmt::format("gbs={}", s.gbs));
  if (!vision && !g.sp) chosen.push_back(fmt::format("sp={}", s.sp ? "true" : "false"));
  if (!g.zero) chosen.push_back(fmt::format("zero={}", s.zero));
  if (!g.recompute)
    chosen.push_back(s.recompute_layers > 0 ? fmt::format("recompute={},recompute_layers={}",
                                                          parallel::recompute_name(s.recompute), s.recompute_layers)
                                            : fmt::format("recompute={}", parallel::recompute_name(s.recompute)));
  if (!g.offload_layers && s.offload_layers > 0) chosen.push_back(fmt::format("offload_layers={}", s.offload_layers));
  if (!chosen.empty()) {
    std::string joined;
    for (const auto& c : chosen) joined += (joined.empty() ? "" : ",") + c;
    notes.push_back(std::string(vision ? "chosen (fastest feasible, per sample): " : "chosen (fastest feasible): ") + joined);
  }
  const std::string opts = s.options();
  if (!opts.empty()) notes.push_back("options chosen: " + opts.substr(1));
  return best;
}

}  // namespace dojosim::engine
