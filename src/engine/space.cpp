// Enumeration of the strategy space with pruning (contract in engine/space.hpp).
#include "dojosim/engine/space.hpp"

#include "dojosim/engine/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <optional>

namespace dojosim::engine {

using hardware::Precision;
using parallel::Recompute;
using parallel::Residency;
using parallel::Strategy;

void SpaceCounts::add(const SpaceCounts& o) {
  enumerated += o.enumerated;
  invalid += o.invalid;
  pruned_memory += o.pruned_memory;
  evaluated += o.evaluated;
  feasible += o.feasible;
  if (!o.last_problem.empty()) last_problem = o.last_problem;
}

namespace {
std::vector<int> divisors(long long n, long long cap) {
  std::vector<int> d;
  for (long long i = 1; i <= n && i <= cap; ++i)
    if (n % i == 0) d.push_back(static_cast<int>(i));
  return d;
}
std::vector<int> pow2_upto(long long cap) {
  std::vector<int> v;
  for (long long i = 1; i <= cap; i *= 2) v.push_back(static_cast<int>(i));
  return v;
}
constexpr int kMbs[] = {1, 2, 4, 8};
constexpr int kVp[] = {2, 3, 4, 6, 8};
constexpr Recompute kRecompute[] = {Recompute::none, Recompute::selective, Recompute::full};

// Whether candidate `s` is to be evaluated: valid for the workload and system, and not
// pruned by memory. Counts why not; counts it as evaluated when it is.
template <class Model>
bool admissible(const Context& ctx, const Model& m, const Strategy& s, bool memory_pruned, SpaceCounts& counts) {
  std::string why = parallel::strategy_problem(s, m, *ctx.sys);
  if (why.empty()) why = stack_problem(ctx, s);
  if (!why.empty()) {
    ++counts.invalid;
    counts.last_problem = why;
    return false;
  }
  if (memory_pruned) {
    ++counts.pruned_memory;
    return false;
  }
  ++counts.evaluated;
  return true;
}
// Evaluates an admissible candidate in place (a Result is about 10 kB: no copy), with its
// groups placed already when `placed` is given (transformers).
Result evaluate_counted(const Context& ctx, const Strategy& s, SpaceCounts& counts, const PlacedGroups* placed = nullptr) {
  Result r = placed != nullptr ? evaluate(ctx, s, *placed) : evaluate(ctx, s);
  if (r.memory.fits) ++counts.feasible;
  return r;
}
}  // namespace

std::string stack_problem(const Context& ctx, const Strategy& s) {
  if (s.offload_layers > 0 && !ctx.sw.activation_offload)
    return fmt::format("the stack does not offload activations (offload.activations false; offload_layers={})", s.offload_layers);
  if (s.pp <= 1) return {};
  if (s.zero > ctx.sw.pipeline_max_zero)
    return fmt::format("the stack's pipeline engine combines pipeline parallelism with ZeRO-{} at most (zero={}, pp={})",
                       ctx.sw.pipeline_max_zero, s.zero, s.pp);
  if (s.vp > 1 && !ctx.sw.pipeline_interleaved)
    return fmt::format("the stack's pipeline engine has no interleaved schedule (vp={}, pp={})", s.vp, s.pp);
  return {};
}

bool any_key_given(const Strategy& partial) {
  const auto& g = partial.given;
  return g.tp || g.pp || g.dp || g.cp || g.ep || g.vp || g.mbs || g.gbs || g.sp || g.zero || g.recompute || g.spatial ||
         g.overlap_dp || g.overlap_zero3 || g.offload_layers || partial.weights != parallel::Residency::automatic ||
         partial.recompute_layers > 0 || partial.attention != 0 || partial.order_given;
}

core::InputError no_completion(const Strategy& partial, const std::string& problem, const std::string& expected_given) {
  if (any_key_given(partial))
    return core::InputError(core::Location{"--parallel", 0, 0, ""}, "no valid strategy completes the given keys: " + problem,
                            expected_given);
  const bool batch = problem.find("global batch") != std::string::npos;
  return core::InputError(core::Location{"--system", 0, 0, ""}, "no valid strategy for this model on this system: " + problem,
                          batch ? "fewer devices, or a global batch of at least dp*mbs sequences (--parallel gbs=N)"
                                : "a system and model some strategy fits (dojosim search lists what was tried)");
}

long long target_gbs(const Context& ctx, const Strategy& partial) {
  if (partial.given.gbs) return partial.gbs;
  return ctx.net != nullptr ? ctx.net->default_gbs : default_gbs(*ctx.model, ctx.seq);
}

std::string no_split_reason(const Context& ctx, const Strategy& partial) {
  const auto& g = partial.given;
  std::string given;
  auto add = [&](bool on, const char* k, long long v) {
    if (on) given += fmt::format("{}{}={}", given.empty() ? "" : ",", k, v);
  };
  add(g.tp, "tp", partial.tp);
  add(g.cp, "cp", partial.cp);
  add(g.pp, "pp", partial.pp);
  add(g.dp, "dp", partial.dp);
  add(g.ep, "ep", partial.ep);
  add(g.spatial, "spatial", partial.spatial);
  const long long n = ctx.sys->device_count();
  if (ctx.net != nullptr)
    return fmt::format(
        "no split of the {} devices as dp x spatial matches {} (spatial must divide the devices, dp = devices / spatial)", n,
        given.empty() ? "the keys given" : given);
  return fmt::format(
      "no split of the {} devices matches {} (tp must be a power of two up to the node size dividing the heads, "
      "tp*cp*pp must divide the devices and dp = devices / (tp*cp*pp))",
      n, given.empty() ? "the keys given" : given);
}

double holdable_bytes(const hardware::System& sys) {
  const double n = static_cast<double>(sys.device_count());
  double b = sys.device.memory_capacity();
  if (sys.is_dojo() && sys.dip.count > 0) b += (sys.dip.capacity + sys.dip.host_memory) * sys.dip.count / n;
  return b;
}

double state_lower_bound(const Context& ctx, const Strategy& s) {
  const double shard = static_cast<double>(s.dp) * s.cp * s.spatial;  // ZeRO shards over DP, CP and spatial replicas
  const double params = ctx.net != nullptr ? ctx.net->params() : ctx.model->params();
  const double p = params / (static_cast<double>(s.tp) * s.pp * s.ep);
  const double weights = 2.0 / (s.zero == 3 ? shard : 1.0);
  const double grads = (s.zero == 0 ? 4.0 : 2.0) / (s.zero >= 2 ? shard : 1.0);
  const double optimizer = ctx.software().optimizer_state_bytes / (s.zero >= 1 ? shard : 1.0);
  return p * (weights + grads + optimizer);
}

namespace {
// Vision networks: data parallel (with ZeRO) times spatial partitioning of feature maps.
std::vector<Strategy> vision_outer_points(const Context& ctx, const Strategy& partial, const SpaceOptions& opt) {
  const long long n = ctx.sys->device_count();
  const auto& g = partial.given;
  std::vector<int> spatials;
  if (g.spatial)
    spatials = {partial.spatial};
  else
    for (long long i = 1; i <= n && i <= parallel::max_spatial(*ctx.net); ++i)
      if (n % i == 0) spatials.push_back(static_cast<int>(i));
  std::vector<Precision> precs = {partial.precision};
  if (opt.precisions) {
    precs.clear();
    for (Precision p : {Precision::bf16, Precision::fp8, Precision::cfp8})
      if (ctx.sys->device.peak_for(p) > 0) precs.push_back(p);
  }
  std::vector<Strategy> out;
  for (Precision prec : precs)
    for (int sp : spatials) {
      if (sp < 1 || n % sp != 0) continue;
      if (g.dp && n / sp != partial.dp) continue;
      for (int zero : g.zero ? std::vector<int>{partial.zero} : std::vector<int>{0, 1, 2, 3}) {
        if (!g.zero && zero >= 2 && n == 1) continue;  // one replica: nothing to shard (as for transformers)
        Strategy s = partial;
        s.precision = prec;
        s.spatial = sp;
        s.dp = static_cast<int>(n / sp);
        s.zero = zero;
        out.push_back(s);
      }
    }
  return out;
}
}  // namespace

std::vector<Strategy> outer_points(const Context& ctx, const Strategy& partial, const SpaceOptions& opt) {
  if (partial.weights != parallel::Residency::automatic && !ctx.sys->is_dojo())
    throw core::InputError(
        core::Location{"--parallel", 0, 0, "weights"},
        fmt::format("weights= places weights in D1 SRAM or DIP HBM on Dojo; {} has no such tiers", ctx.sys->name),
        "leave weights unset on GPU and TPU systems");
  if (ctx.net != nullptr) return vision_outer_points(ctx, partial, opt);
  const auto& sys = *ctx.sys;
  const auto& m = *ctx.model;
  const long long n = sys.device_count();
  const auto& g = partial.given;
  std::vector<int> tps, pps, cps, zeros;
  const long long node = sys.devices_per(0);
  if (g.tp)
    tps = {partial.tp};
  else
    for (int t : pow2_upto(std::min<long long>(node, m.heads)))
      if (m.heads % t == 0 && n % t == 0) tps.push_back(t);
  const long long given_rest =
      g.tp && g.pp && g.dp ? 1LL * partial.tp * partial.pp * partial.dp * std::max(1, partial.spatial) : 0;
  if (g.cp)
    cps = {partial.cp};
  else if (given_rest > 0 && n % given_rest == 0 && n / given_rest <= std::numeric_limits<int>::max())
    cps = {static_cast<int>(n / given_rest)};  // tp, pp and dp given: the devices left are the CP degree
  else
    cps = ctx.seq >= 16384 ? std::vector<int>{1, 2, 4, 8} : std::vector<int>{1};
  if (g.pp)
    pps = {partial.pp};
  else
    pps = divisors(n, std::min<long long>(m.layers, 128));
  if (g.zero)
    zeros = {partial.zero};
  else
    zeros = {0, 1, 2, 3};
  std::vector<Precision> precs = {partial.precision};
  if (opt.precisions) {
    precs.clear();
    for (Precision p : {Precision::bf16, Precision::fp8, Precision::cfp8})
      if (sys.device.peak_for(p) > 0) precs.push_back(p);
  }
  std::vector<Strategy> out;
  for (Precision prec : precs)
    for (int tp : tps)
      for (int cp : cps)
        for (int pp : pps) {
          const long long other = 1LL * tp * cp * pp * partial.spatial;
          if (n % other != 0) continue;
          const long long dp = n / other;
          if (g.dp && dp != partial.dp) continue;
          std::vector<int> eps;
          if (g.ep)
            eps = {partial.ep};
          else if (m.moe()) {
            for (int e : divisors(m.experts, m.experts))
              if ((dp * cp) % e == 0) eps.push_back(e);
          } else
            eps = {1};
          for (int ep : eps)
            for (int zero : zeros) {
              // Without replicas to shard over (dp·cp = 1), ZeRO-2 and ZeRO-3 are ZeRO-1 with
              // nothing sharded (ZeRO-3 only holding extra gathered units): not enumerated.
              if (!g.zero && zero >= 2 && dp * cp == 1) continue;
              Strategy s = partial;
              s.precision = prec;
              s.tp = tp;
              s.cp = cp;
              s.pp = pp;
              s.dp = static_cast<int>(dp);
              s.ep = ep;
              s.zero = zero;
              out.push_back(s);
            }
        }
  return out;
}

void for_each_inner(const Context& ctx, const Strategy& outer, const Strategy& partial, const SpaceOptions& opt,
                    SpaceCounts& counts, const std::function<void(const Result&, long long)>& visit) {
  const auto& sys = *ctx.sys;
  const auto& g = partial.given;
  if (ctx.net != nullptr) {
    // Vision: micro-batch (powers of two up to 1024) x recompute; the batch is the target
    // rounded down (search) or the network's default grown to one micro-batch per replica.
    const bool memory_pruned = opt.prune_memory && state_lower_bound(ctx, outer) > holdable_bytes(sys);
    const long long target = target_gbs(ctx, partial);
    long long index = 0;
    for (int mbs = g.mbs ? partial.mbs : 1; mbs <= (g.mbs ? partial.mbs : 1024); mbs *= 2) {
      for (int d = 0; d < (g.recompute ? 1 : 3); ++d, ++index) {
        Strategy s = outer;
        s.mbs = mbs;
        s.recompute = g.recompute ? partial.recompute : kRecompute[d];
        ++counts.enumerated;
        const long long unit = 1LL * s.dp * mbs;
        if (!g.gbs || opt.gbs_is_target) {
          if (g.gbs ? unit > target : (mbs > 1 && unit > target)) {
            ++counts.invalid;
            counts.last_problem = "dp*mbs exceeds the global batch";
            continue;
          }
          s.gbs = g.gbs ? target / unit * unit : default_gbs(*ctx.net, unit);
        }
        if (admissible(ctx, *ctx.net, s, memory_pruned, counts)) visit(evaluate_counted(ctx, s, counts), index);
      }
      if (g.mbs) break;
    }
    return;
  }
  const auto& m = *ctx.model;
  // The groups depend on the outer point only: placed once, when a first inner point is
  // evaluated (about a seventh of an evaluation's time went to placing them again).
  std::optional<PlacedGroups> placed_once;
  const auto placed = [&]() -> const PlacedGroups& {
    if (!placed_once) placed_once.emplace(place_groups(sys, outer));
    return *placed_once;
  };
  // Inner dimensions.
  int mbs_buf[4], vp_buf[6], nm = 0, nv = 0;
  if (g.mbs)
    mbs_buf[nm++] = partial.mbs;
  else
    for (int v : kMbs) mbs_buf[nm++] = v;
  if (g.vp)
    vp_buf[nv++] = partial.vp;
  else {
    vp_buf[nv++] = 1;
    if (outer.pp > 1)
      for (int v : kVp)
        if (m.layers % (1LL * outer.pp * v) == 0 || (m.layers + 2) % (1LL * outer.pp * v) == 0) vp_buf[nv++] = v;
  }
  bool sp_buf[2];
  int ns = 0;
  if (g.sp)
    sp_buf[ns++] = partial.sp;
  else {
    sp_buf[ns++] = false;
    if (outer.tp > 1) sp_buf[ns++] = true;
  }
  Recompute rc_buf[3];
  int nr = 0;
  if (g.recompute)
    rc_buf[nr++] = partial.recompute;
  else
    for (Recompute r : kRecompute) rc_buf[nr++] = r;
  const bool dp_comm = 1LL * outer.dp * outer.cp > 1;
  // Overlap switches the user did not set, where they change anything: DP overlap for
  // ZeRO 0-2 (ZeRO-3 overlaps through its prefetch), ZeRO-3 prefetch for ZeRO-3.
  const int n_odp = opt.overlap && dp_comm && outer.zero < 3 && !g.overlap_dp ? 2 : 1;
  const int n_oz = opt.overlap && dp_comm && outer.zero == 3 && !g.overlap_zero3 ? 2 : 1;
  Residency res_buf[3] = {partial.weights, Residency::sram, Residency::dip};
  const int n_res = opt.residency && sys.is_dojo() && partial.weights == Residency::automatic ? 3 : 1;
  const long long inner_total = 1LL * nm * nv * ns * nr * n_odp * n_oz * n_res;
  counts.enumerated += inner_total;

  // Memory prune of the whole outer point (weights, gradients, optimizer only): its inner
  // points are still checked for validity (cheap) so that counts and errors say why.
  const bool memory_pruned = opt.prune_memory && state_lower_bound(ctx, outer) > holdable_bytes(sys);
  const long long target = target_gbs(ctx, partial);
  long long index = 0;
  for (int a = 0; a < nm; ++a)
    for (int b = 0; b < nv; ++b)
      for (int c = 0; c < ns; ++c)
        for (int d = 0; d < nr; ++d)
          for (int e = 0; e < n_odp; ++e)
            for (int f = 0; f < n_oz; ++f)
              for (int w = 0; w < n_res; ++w, ++index) {
                Strategy s = outer;
                s.mbs = mbs_buf[a];
                s.vp = vp_buf[b];
                s.sp = sp_buf[c];
                s.recompute = rc_buf[d];
                s.overlap_dp = e == 0 ? partial.overlap_dp : !partial.overlap_dp;
                s.overlap_zero3 = f == 0 ? partial.overlap_zero3 : !partial.overlap_zero3;
                s.weights = res_buf[w];
                if (!g.gbs || opt.gbs_is_target) {
                  const long long unit = 1LL * s.dp * s.mbs * (s.vp > 1 ? s.pp : 1);
                  // The batch is a training hyper-parameter: never exceeded, only rounded down.
                  if (unit > target) {
                    ++counts.invalid;
                    counts.last_problem = "dp*mbs exceeds the global batch";
                    continue;
                  }
                  s.gbs = target / unit * unit;
                }
                if (!admissible(ctx, m, s, memory_pruned, counts)) continue;
                const Result r = evaluate_counted(ctx, s, counts, &placed());
                visit(r, kInnerVariants * index);
                // Full recompute fits: the fewest layers per stage that must be recomputed
                // for the plan to fit (Megatron's block method) is one more candidate,
                // found by bisection (memory falls as more layers are recomputed).
                const long long per_chunk = (m.layers + 1LL * s.pp * s.vp - 1) / (1LL * s.pp * s.vp);
                if (!g.recompute && s.recompute == Recompute::full && s.recompute_layers == 0 && r.memory.fits && per_chunk > 1) {
                  long long lo = 1, hi = per_chunk;  // hi: known to fit (all layers)
                  Result fit = r;
                  while (lo < hi) {
                    const long long mid = (lo + hi) / 2;
                    Strategy t = s;
                    t.recompute_layers = static_cast<int>(mid);
                    ++counts.enumerated;
                    ++counts.evaluated;
                    Result rt = evaluate(ctx, t, placed());
                    if (rt.memory.fits) {
                      ++counts.feasible;
                      hi = mid;
                      fit = std::move(rt);
                    } else {
                      lo = mid + 1;
                    }
                  }
                  if (hi < per_chunk) visit(fit, kInnerVariants * index + 1);
                }
                // Without full recompute and short of memory: the fewest layers per chunk whose
                // activations the stack offloads to the GPU host's memory for the device's memory
                // to suffice (docs/model.md#offload), by bisection on the memory account alone
                // (device memory falls as more layers are offloaded; host memory rises, so the
                // fewest is also the host's best chance), then one evaluation. Not when the state
                // without any activations is already over capacity.
                if (!g.offload_layers && s.offload_layers == 0 && s.recompute != Recompute::full && !r.memory.fits &&
                    r.memory.per_device() - r.memory.activations < r.memory.capacity && ctx.sw.activation_offload &&
                    ctx.sys->device.host() != nullptr && !ctx.sys->is_dojo()) {
                  Strategy t = s;
                  auto device_fits = [&](long long k) {
                    t.offload_layers = static_cast<int>(k);
                    const Memory mem = transformer_memory(ctx, t);
                    return mem.per_device() <= mem.capacity;
                  };
                  if (device_fits(per_chunk)) {
                    long long lo = 1, hi = per_chunk;  // hi: the device's memory suffices
                    while (lo < hi) {
                      const long long mid = (lo + hi) / 2;
                      if (device_fits(mid))
                        hi = mid;
                      else
                        lo = mid + 1;
                    }
                    t.offload_layers = static_cast<int>(hi);
                    ++counts.enumerated;
                    ++counts.evaluated;
                    Result fit = evaluate(ctx, t, placed());
                    if (fit.memory.fits) {
                      ++counts.feasible;
                      visit(fit, kInnerVariants * index + 2);
                    }
                  }
                }
              }
}

}  // namespace dojosim::engine
