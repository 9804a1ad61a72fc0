#include "economics_bridge.hpp"

#include "commands.hpp"
#include "dojosim/economics/params.hpp"
#include "dojosim/explore/pricing.hpp"

namespace dojosim::cli {

report::Economics economics_for(const hardware::System& sys, const engine::Result& r, const economics::EconomicsParams& p) {
  return explore::Pricer(sys, p).summary(r);
}

SplitSets split_sets(const std::vector<std::string>& sets) {
  SplitSets out;
  for (const auto& s : sets) (economics::is_economics_key(s) ? out.economics : out.system).push_back(s);
  return out;
}

}  // namespace dojosim::cli
