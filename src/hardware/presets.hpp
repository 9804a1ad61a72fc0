// Presets embedded at build time from configs/systems/*.yaml (generated presets.cpp).
#pragma once
#include <string_view>
#include <vector>

namespace dojosim::hardware::detail {
struct EmbeddedPreset {
  std::string_view name;
  std::string_view text;
};
const std::vector<EmbeddedPreset>& system_presets();
}  // namespace dojosim::hardware::detail
