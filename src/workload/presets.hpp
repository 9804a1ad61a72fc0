// Model zoo embedded at build time from configs/models/*.yaml (generated presets.cpp).
#pragma once
#include <string_view>
#include <vector>

namespace dojosim::workload::detail {
struct EmbeddedPreset {
  std::string_view name;
  std::string_view text;
};
const std::vector<EmbeddedPreset>& model_presets();
}  // namespace dojosim::workload::detail
