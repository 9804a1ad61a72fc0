// Rendering engine results: the JSON of DESIGN.md 4.3 and a readable text report.
// Reports never recompute: they format what the engine (and economics) produced.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "dojosim/engine/engine.hpp"

namespace dojosim::report {

// Energy and cost per step as computed by the economics module (absent = not computed).
struct Economics {
  bool present = false;
  double energy_j_per_step = 0, power_w = 0, cost_usd_per_step = 0;
};

nlohmann::ordered_json strategy_json(const parallel::Strategy& s);
// The plan's strategy with the overlaps that were priced (the plan's and the stack's).
nlohmann::ordered_json strategy_json(const engine::Result& r);
nlohmann::ordered_json result_json(const engine::Result& r, const hardware::System& sys, const Economics& econ);
// "stack: NAME (software: dojosim show stack NAME)": how a report names the stack it ran on;
// `file`: the YAML file a stack was read from (Stack::file), shown in place of NAME.
std::string stack_line(const std::string& stack, const std::string& file = "");
std::string result_text(const engine::Result& r, const hardware::System& sys, const workload::Transformer& m,
                        const Economics& econ);
// Any model by name; vision results print samples (images or clips) per second.
std::string result_text(const engine::Result& r, const hardware::System& sys, const std::string& model_name,
                        const Economics& econ);

}  // namespace dojosim::report
