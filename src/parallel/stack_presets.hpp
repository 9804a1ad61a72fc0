// Stacks embedded at build time from configs/stacks/*.yaml (generated stack_presets.cpp).
#pragma once
#include <string_view>
#include <vector>

namespace dojosim::parallel::detail {
struct EmbeddedPreset {
  std::string_view name;
  std::string_view text;
};
const std::vector<EmbeddedPreset>& stack_presets();
}  // namespace dojosim::parallel::detail
