// Output helpers for resolved descriptions: YAML text and its JSON equivalent.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <yaml-cpp/yaml.h>

namespace dojosim::report {

// Scalars that read as integers or plain decimals become JSON numbers; "true"/"false"
// become booleans; everything else stays a string. Map order is preserved.
nlohmann::ordered_json yaml_to_json(const YAML::Node& n);
std::string yaml_text(const YAML::Node& n);

}  // namespace dojosim::report
