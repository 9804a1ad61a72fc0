#include "registry_all.hpp"

#include <fmt/format.h>

#include "dojosim/api/api.hpp"
#include "dojosim/numerics/format.hpp"

namespace dojosim::cli {

core::Registry build_registry() { return api::registry(); }

void print_formats() {
  fmt::print("{:<14} {:>4}  {:<7} {:<18} {}\n", "format", "bits", "layout", "bias", "max finite (default bias)");
  for (const auto& i : numerics::format_infos()) {
    const std::string layout = fmt::format("{}.{}.{}", i.sign_bits, i.exp_bits, i.man_bits);
    const std::string bias = i.min_bias == i.max_bias
                                 ? fmt::format("{} (fixed)", i.min_bias)
                                 : fmt::format("{}..{} (default {})", i.min_bias, i.max_bias, i.default_bias);
    fmt::print("{:<14} {:>4}  {:<7} {:<18} {}\n", i.name, i.bits, layout, bias, numerics::Format(i.id).max_finite());
  }
}

}  // namespace dojosim::cli
