// Builds the registry from every module's register_<module>() (one place, no static init).
#pragma once
#include "dojosim/core/registry.hpp"

namespace dojosim::cli {
core::Registry build_registry();
void print_formats();
}  // namespace dojosim::cli
