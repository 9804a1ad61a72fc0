// A tornado chart of a sensitivity analysis (api::SensitivityOutput::json()): one bar per
// assumption from the metric at its low value to the metric at its high value, around a
// line at the base, largest swing on top; the combined range below.
//
// Contract: deterministic (same JSON, same bytes); well-formed XML; one element with
// class "bar" per assumption that moves the metric; house style of report/svg.hpp.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace dojosim::report {

// `metric`: one of the JSON's "metrics" (default: the first).
std::string tornado_svg(const nlohmann::ordered_json& sensitivity, const std::string& metric = "");

}  // namespace dojosim::report
