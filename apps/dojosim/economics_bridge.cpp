#include "economics_bridge.hpp"

namespace dojosim::cli {

report::Economics economics_for(const hardware::System& sys, const engine::Result& r) {
  (void)sys;
  (void)r;
  return {};
}

}  // namespace dojosim::cli
