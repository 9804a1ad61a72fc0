#include "registry_all.hpp"

#include <fmt/format.h>

#include "dojosim/hardware/system.hpp"

namespace dojosim::cli {

core::Registry build_registry() {
  core::Registry r;
  hardware::register_hardware(r);
  return r;
}

void print_formats() {
  for (const auto& p : hardware::precision_names())
    fmt::print("{:<8} {} bytes per element\n", p, hardware::precision_bytes(hardware::parse_precision(p)));
}

}  // namespace dojosim::cli
