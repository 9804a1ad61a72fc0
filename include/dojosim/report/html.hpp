// Self-contained HTML reports: one file, opened offline in any browser, with every figure
// drawn by Chart.js (Debian's libjs-chart.js, inlined at build time) from the same JSON the
// commands print (`--format json`), so a report never recomputes what the engine knows.
//
// Contract: no network access (no external URL, font or script); deterministic bytes for
// the same input; each figure is a <section class="figure" data-figure="NAME"> whose
// `data-rendered` attribute the page's script sets to "true" once the figure is drawn, and
// any script error is logged to the console and listed in <div id="errors"> (the browser
// test in tests/browser checks both). Axes are labelled with units; colours are the
// Okabe-Ito colour-blind-safe palette; a print stylesheet keeps one figure per block.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "dojosim/engine/engine.hpp"
#include "dojosim/engine/event.hpp"

namespace dojosim::report {

// `run`: summary, step-time breakdown, memory per device by tier against capacity, the
// event engine's schedule (when `timeline` is given), link utilisation (the Dojo mesh
// picture when `mesh_svg` is not empty, else collective time per group and level).
std::string run_html(const nlohmann::ordered_json& result, const std::string& model_name, const std::string& mesh_svg,
                     const engine::Timeline* timeline);
// `search`: the top plans as a scatter of step time against memory per device, and a table.
std::string search_html(const nlohmann::ordered_json& search);
// `compare`: time to train, energy, cost and devices-equivalent per system.
std::string compare_html(const nlohmann::ordered_json& compare);
// `sweep --export`: step time against each swept parameter, best MFU per system and model,
// points by status; from api::sweep_report (the rows and the swept keys' numeric values).
std::string sweep_html(const nlohmann::ordered_json& sweep);
// `build-vs-buy`: cost per delivered PFLOP-day of every option, the delay curve, and the
// sensitivity table; from the command's JSON.
std::string build_vs_buy_html(const nlohmann::ordered_json& bvb);
// `sensitivity`: the tornado charts (A100-equivalents, throughput per dollar) and the
// assumptions with their sources; from the command's JSON.
std::string sensitivity_html(const nlohmann::ordered_json& sensitivity);

// The Dojo mesh picture (report/svg.hpp) for a result on a system with a 2D-mesh level,
// else "" (GPU and TPU systems, vision plans without mesh traffic).
std::string mesh_svg_if_dojo(const engine::Result& r, const hardware::System& sys, const std::string& model_name);

}  // namespace dojosim::report
