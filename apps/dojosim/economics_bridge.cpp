#include "economics_bridge.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "commands.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/economics/params.hpp"
#include "dojosim/explore/pricing.hpp"

namespace dojosim::cli {

report::Economics economics_for(const hardware::System& sys, const engine::Result& r, const economics::EconomicsParams& p) {
  return explore::Pricer(sys, p).summary(r);
}

parallel::Stack stack_for(const hardware::System& sys, const std::string& name, const std::vector<std::string>& overrides) {
  return parallel::load_stack(name.empty() ? parallel::default_stack_name(sys) : name, overrides);
}

engine::Context model_context(const hardware::System& sys, const workload::Workload& w, parallel::Strategy& partial, long long seq,
                              const parallel::Stack& stack) {
  engine::Context ctx;
  ctx.sys = &sys;
  if (w.vision()) {
    if (seq > 0)
      throw core::InputError({"--seq", 0, 0, "seq"}, fmt::format("--seq does not apply to {}, a vision network", w.name()),
                             "no --seq (the input size is part of the network)");
    partial.seq = 0;
    ctx.seq = 0;
    ctx.net = &w.network;
  } else {
    partial.seq = seq > 0 ? seq : std::min<long long>(w.transformer.max_seq, 2048);
    if (partial.seq < 1 || partial.seq > (1LL << 24))
      throw core::InputError({"--seq", 0, 0, "seq"}, fmt::format("sequence length {} out of range", partial.seq), "1 to 16M tokens");
    ctx.model = &w.transformer;
    ctx.seq = partial.seq;
  }
  ctx.use(stack);
  return ctx;
}

engine::Result plan(const engine::Context& ctx, const parallel::Strategy& s) {
  const auto& g = s.given;
  const bool complete = ctx.net != nullptr ? g.dp && g.mbs && g.gbs && g.zero && g.recompute && g.spatial
                                           : g.tp && g.pp && g.dp && g.mbs && g.gbs && g.vp && g.sp && g.zero && g.recompute && (g.cp || s.cp == 1);
  if (!complete) return engine::resolve(ctx, s);
  if (ctx.net != nullptr) parallel::check_strategy(s, *ctx.net, *ctx.sys);
  else parallel::check_strategy(s, *ctx.model, *ctx.sys);
  return engine::evaluate(ctx, s);
}

SplitSets split_sets(const std::vector<std::string>& sets) {
  SplitSets out;
  for (const auto& s : sets) {
    if (s.starts_with("stack.")) out.stack.push_back(s.substr(6));
    else (economics::is_economics_key(s) ? out.economics : out.system).push_back(s);
  }
  return out;
}

}  // namespace dojosim::cli
