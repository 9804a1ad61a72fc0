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

engine::Context model_context(const hardware::System& sys, const workload::Workload& w, parallel::Strategy& partial, long long seq) {
  if (w.vision()) {
    if (seq > 0)
      throw core::InputError({"--seq", 0, 0, "seq"}, fmt::format("--seq does not apply to {}, a vision network", w.name()),
                             "no --seq (the input size is part of the network)");
    partial.seq = 0;
    return engine::Context{&sys, nullptr, 0, &w.network};
  }
  partial.seq = seq > 0 ? seq : std::min<long long>(w.transformer.max_seq, 2048);
  if (partial.seq < 1 || partial.seq > (1LL << 24))
    throw core::InputError({"--seq", 0, 0, "seq"}, fmt::format("sequence length {} out of range", partial.seq), "1 to 16M tokens");
  return engine::Context{&sys, &w.transformer, partial.seq};
}

SplitSets split_sets(const std::vector<std::string>& sets) {
  SplitSets out;
  for (const auto& s : sets) (economics::is_economics_key(s) ? out.economics : out.system).push_back(s);
  return out;
}

}  // namespace dojosim::cli
