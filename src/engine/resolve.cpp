// Completing a partial strategy: every key the user left out is chosen as the value that
// gives the fastest feasible plan (the way a tuned run would be configured).
#include <fmt/format.h>

#include <algorithm>

#include "dojosim/core/errors.hpp"
#include "dojosim/engine/engine.hpp"
#include "vision.hpp"

namespace dojosim::engine {

using parallel::Recompute;
using parallel::Strategy;

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
}  // namespace

Result resolve(const Context& ctx, const Strategy& partial) {
  if (ctx.net != nullptr) return resolve_vision(ctx, partial);
  const auto& sys = *ctx.sys;
  const auto& m = *ctx.model;
  const long long n = sys.device_count();
  const auto& g = partial.given;
  std::vector<int> tps, pps, cps, mbss, vps, zeros;
  std::vector<bool> sps;
  std::vector<Recompute> rcs;
  const long long node = sys.devices_per(0);
  if (g.tp) tps = {partial.tp};
  else for (int t : pow2_upto(std::min<long long>(node, m.heads))) if (m.heads % t == 0 && n % t == 0) tps.push_back(t);
  if (g.cp) cps = {partial.cp};
  else cps = ctx.seq >= 16384 ? std::vector<int>{1, 2, 4, 8} : std::vector<int>{1};
  if (g.pp) pps = {partial.pp};
  else pps = divisors(n, std::min<long long>(m.layers, 128));
  if (g.mbs) mbss = {partial.mbs};
  else mbss = {1, 2, 4, 8};
  if (g.sp) sps = {partial.sp};
  else sps = {false, true};
  if (g.zero) zeros = {partial.zero};
  else zeros = {0, 1, 2, 3};
  if (g.recompute) rcs = {partial.recompute};
  else rcs = {Recompute::none, Recompute::selective, Recompute::full};

  Result best;
  bool found = false, any_valid = false;
  std::string last_problem;
  Result smallest;  // the candidate closest to fitting, for the Infeasible message
  double smallest_mem = 1e300;
  for (int tp : tps)
    for (int cp : cps)
      for (int pp : pps) {
        if (n % (1LL * tp * cp * pp) != 0) continue;
        const long long dp = n / (1LL * tp * cp * pp);
        if (g.dp && dp != partial.dp) continue;
        if (g.vp) vps = {partial.vp};
        else {
          vps = {1};
          if (pp > 1)
            for (int v : {2, 3, 4, 6, 8}) if (m.layers % (1LL * pp * v) == 0) vps.push_back(v);
        }
        for (int mbs : mbss)
          for (int vp : vps)
            for (bool sp : sps)
              for (int zero : zeros)
                for (Recompute rc : rcs) {
                  Strategy s = partial;
                  s.tp = tp; s.cp = cp; s.pp = pp; s.dp = static_cast<int>(dp); s.mbs = mbs; s.vp = vp; s.sp = sp;
                  s.zero = zero; s.recompute = rc;
                  if (!g.gbs) {
                    const long long target = default_gbs(m, ctx.seq);
                    const long long unit = dp * mbs * (vp > 1 ? pp : 1);
                    s.gbs = std::max(unit, target / unit * unit);
                  }
                  if (!g.sp && sp && tp == 1) continue;
                  const std::string why = parallel::strategy_problem(s, m, sys);
                  if (!why.empty()) { last_problem = why; continue; }
                  any_valid = true;
                  Result r = evaluate(ctx, s);
                  if (!r.memory.fits) {
                    const double over = r.memory.per_device() - r.memory.capacity - r.memory.offload_capacity;
                    if (over < smallest_mem) { smallest_mem = over; smallest = r; }
                    continue;
                  }
                  if (!found || r.step_time < best.step_time * (1 - 1e-9)) {
                    best = r;
                    found = true;
                  }
                }
      }
  if (!any_valid)
    throw core::InputError(core::Location{"--parallel", 0, 0, ""}, "no valid strategy completes the given keys: " + last_problem,
                           "keys that fit the model and system");
  if (!found) {
    const auto& M = smallest.memory;
    throw core::Infeasible(
        fmt::format("no strategy fits in memory on {} x {}: the closest ({}) needs {:.1f} GB per device, {:.1f} GB available", n,
                    sys.device.name, smallest.strategy.spec(), M.per_device() / 1e9, M.capacity / 1e9),
        fmt::format("weights {:.1f} GB, gradients {:.1f} GB, optimizer {:.1f} GB, activations {:.1f} GB, other {:.1f} GB; "
                    "try more devices or a smaller model",
                    M.weights / 1e9, M.gradients / 1e9, M.optimizer / 1e9, M.activations / 1e9, M.other / 1e9));
  }
  auto& notes = best.notes;
  const auto& s = best.strategy;
  std::vector<std::string> chosen;
  if (!g.tp) chosen.push_back(fmt::format("tp={}", s.tp));
  if (!g.pp) chosen.push_back(fmt::format("pp={}", s.pp));
  if (!g.dp) chosen.push_back(fmt::format("dp={}", s.dp));
  if (!g.cp) chosen.push_back(fmt::format("cp={}", s.cp));
  if (!g.vp) chosen.push_back(fmt::format("vp={}", s.vp));
  if (!g.mbs) chosen.push_back(fmt::format("mbs={}", s.mbs));
  if (!g.gbs) chosen.push_back(fmt::format("gbs={}", s.gbs));
  if (!g.sp) chosen.push_back(fmt::format("sp={}", s.sp ? "true" : "false"));
  if (!g.zero) chosen.push_back(fmt::format("zero={}", s.zero));
  if (!g.recompute) chosen.push_back(fmt::format("recompute={}", parallel::recompute_name(s.recompute)));
  if (!chosen.empty()) {
    std::string joined;
    for (const auto& c : chosen) joined += (joined.empty() ? "" : ",") + c;
    notes.push_back("chosen (fastest feasible): " + joined);
  }
  return best;
}

}  // namespace dojosim::engine
