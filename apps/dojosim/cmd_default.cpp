#include <fmt/format.h>

#include "economics_bridge.hpp"

namespace dojosim::cli {

int run_default_scenario() {
  fmt::print("dojosim: default scenario pending the compare command\n");
  return 0;
}

}  // namespace dojosim::cli
