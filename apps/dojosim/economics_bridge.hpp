// The default scenario (dojosim with no arguments).
#pragma once

namespace dojosim::cli {
int run_default_scenario(const std::string& stack = "");
}  // namespace dojosim::cli
