// dojosim yield: die and tile yield, cost per good tile, capital and $ per delivered
// PFLOP-day of a system — what a rumoured tile yield does to Dojo's economics, in one
// command. api::yield_report computes (economics/); this file parses and prints.
#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_checks.hpp"
#include "commands.hpp"
#include "dojosim/api/api.hpp"
#include "dojosim/core/units.hpp"

namespace dojosim::cli {

namespace {

struct YieldCliArgs : api::YieldArgs {
  std::string format = "text";
};

std::string pct(double y) {
  if (!std::isfinite(y)) return "n/a";
  if (y >= 0.001 || y == 0) return fmt::format("{:.1f} %", 100 * y);
  return fmt::format("{:.3g} %", 100 * y);
}
std::string usd(double v) { return std::isfinite(v) ? core::format(core::Usd(v)) : "unbounded (yield 0)"; }
// JSON has no infinity: an unbounded cost (tile yield 0) is written as null.
nlohmann::ordered_json finite_or_null(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json();
}

int run_yield(const YieldCliArgs& a) {
  const auto out = api::yield_report(a);
  const auto& s = out.system;
  const auto& p = out.params;
  const auto prec = out.precision;
  const auto& e = out.at;
  const auto& y = e.y;
  const auto& sweep = out.sweep;

  if (a.format == "json") {
    nlohmann::ordered_json j;
    j["system"] = s.name;
    j["devices"] = s.device_count();
    j["tiles"] = y.tiles;
    j["die_area_mm2"] = y.has_die_area ? nlohmann::ordered_json(y.die_area_mm2) : nlohmann::ordered_json();
    j["die_area_source"] = y.die_area_source;
    j["yield_model"] = std::string(economics::yield_model_name(p.yield_model));
    j["defect_density_per_cm2"] = p.defect_density_per_cm2;
    j["die_yield"] = y.die_yield;
    j["dies_per_wafer"] = y.dies_per_wafer;
    j["good_die_usd"] = finite_or_null(y.die.good_usd);
    if (y.has_tile) {
      j["dies_per_tile"] = y.tile_inputs.dies;
      j["spare_dies"] = y.tile_inputs.spares;
      j["known_good_die"] = p.known_good_die;
      j["modelled_tile_yield"] = y.yield.tile_yield;
      j["tile_yield_without_kgd"] = y.tile_yield_without_kgd;
      j["tile_yield"] = y.tile.tile_yield;
      j["tile_yield_source"] = y.tile_yield_set ? "user" : "model";
      j["tile_attempt_usd"] = y.tile.attempt_usd;
      j["cost_per_good_tile_usd"] = finite_or_null(y.tile.per_good_tile_usd);
    }
    j["capital_usd"] = finite_or_null(e.capital.total_usd);
    j["capital_tiles_usd"] = finite_or_null(e.capital.tiles_usd);
    j["power_w"] = e.steady.power.power_w;
    j["mfu"] = p.mfu;
    j["precision"] = std::string(hardware::precision_name(prec));
    j["delivered_pflops"] = e.steady.delivered_flops_per_s / 1e15;
    j["usd_per_pflop_day"] = finite_or_null(e.steady.usd_per_pflop_day);
    j["capital_usd_per_pflop_day"] = finite_or_null(e.steady.capital_usd_per_pflop_day);
    j["operating_usd_per_pflop_day"] = e.steady.operating_usd_per_pflop_day;
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& r : sweep)
      rows.push_back({{"tile_yield", r.tile_yield},
                      {"cost_per_good_tile_usd", r.per_good_tile_usd},
                      {"capital_usd", r.capital_usd},
                      {"usd_per_pflop_day", r.usd_per_pflop_day}});
    j["sweep"] = rows;
    nlohmann::ordered_json params;
    for (const auto& [k, v] : economics::describe(p)) params[k] = v;
    j["params"] = params;
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }

  fmt::print("system               {} ({} x {}{})\n", s.name, s.device_count(), s.device.name,
             y.has_tile ? fmt::format(", {} tiles", y.tiles) : std::string());
  if (y.has_die_area) {
    fmt::print("die                  {:.0f} mm2 ({}), D0 {:.3g}/cm2, model {}{}\n", y.die_area_mm2, y.die_area_source,
               p.defect_density_per_cm2, economics::yield_model_name(p.yield_model),
               p.yield_model == economics::YieldModel::negative_binomial ? fmt::format(" (alpha {:.3g})", p.negbin_alpha)
                                                                         : std::string());
    fmt::print("die yield            {}   ({:.0f} gross dies per {:.0f} mm wafer)\n", pct(y.die_yield), y.dies_per_wafer,
               p.wafer_diameter_mm);
  } else {
    fmt::print("die                  area of '{}' unknown (set --econ die_area_mm2=AREA)\n", s.device.name);
  }
  fmt::print("die cost             {} good{}, {} untested\n", usd(y.die.good_usd),
             p.wafer_cost_usd > 0 ? " (from wafer cost)" : " (device price)", usd(y.die.raw_usd));
  if (y.has_tile) {
    fmt::print("tile                 {} dies + {} spares, {}\n", y.tile_inputs.dies, y.tile_inputs.spares,
               p.known_good_die ? "known-good-die tested" : "dies not tested before placement");
    fmt::print("modelled tile yield  {}   (dies {} x integration {} x assembly {})\n", pct(y.yield.tile_yield),
               pct(y.yield.dies_ok), pct(p.integration_yield), pct(p.assembly_yield));
    fmt::print("  without KGD        {}\n", pct(y.tile_yield_without_kgd));
    fmt::print("tile yield           {}{}\n", pct(y.tile.tile_yield), y.tile_yield_set ? "   (set by user)" : "   (modelled)");
    fmt::print("tile attempt         {} = {} dies x {} + {} integration\n", usd(y.tile.attempt_usd), y.tile.placed_dies,
               usd(y.tile.placed_die_usd), usd(y.tile.integration_usd));
    fmt::print("cost per good tile   {}\n", usd(y.tile.per_good_tile_usd));
  }
  fmt::print("capital              {}", usd(e.capital.total_usd));
  if (y.has_tile) fmt::print("   (tiles {}, rest {})", usd(e.capital.tiles_usd), usd(e.capital.total_usd - e.capital.tiles_usd));
  fmt::print("\n");
  fmt::print("power                {} at MFU {:.0f} % (PUE {:.2f})\n", core::format(core::Watts(e.steady.power.power_w)),
             100 * p.mfu, e.steady.power.pue);
  fmt::print("delivered            {} ({} peak x MFU {:.0f} %)\n", core::format(core::FlopRate(e.steady.delivered_flops_per_s)),
             hardware::precision_name(prec), 100 * p.mfu);
  if (p.cloud_usd_per_device_hour > 0)
    fmt::print("$ per PFLOP-day      {}   (cloud {:.3g} $/device-hour)\n", usd(e.steady.usd_per_pflop_day),
               p.cloud_usd_per_device_hour);
  else
    fmt::print("$ per PFLOP-day      {}   (capital {} over {:.3g} years, operating {})\n", usd(e.steady.usd_per_pflop_day),
               usd(e.steady.capital_usd_per_pflop_day), p.amortisation_years, usd(e.steady.operating_usd_per_pflop_day));
  if (!sweep.empty()) {
    fmt::print("\n{:>10}  {:>18}  {:>12}  {:>15}\n", "tile yield", "cost per good tile", "capital", "$ per PFLOP-day");
    for (const auto& r : sweep)
      fmt::print("{:>10}  {:>18}  {:>12}  {:>15}\n", pct(r.tile_yield), usd(r.per_good_tile_usd), usd(r.capital_usd),
                 usd(r.usd_per_pflop_day));
  }
  fmt::print(
      "\nassumptions: prices, yields and activity factors not in specs/hardware_facts.md are assumptions "
      "(docs/economics.md); the 'tile yield < 50 %' figure is an unsourced rumour (hardware_facts section 6).\n");
  return 0;
}

}  // namespace

void add_economics(CLI::App& app, Action& action) {
  static YieldCliArgs args;
  auto* cmd =
      app.add_subcommand("yield", "Die and tile yield, cost per good tile, capital and $ per delivered PFLOP-day of a system");
  cmd->add_option("--system", args.system, "preset name, SYS:param=value, or a file (default dojo-exapod)");
  cmd->add_option("--set", args.sets, "override a system figure KEY=VALUE");
  cmd->add_option("--econ", args.econ, "override an economics assumption KEY=VALUE (docs/economics.md)");
  cmd->add_option("--tile-yield", args.tile_yield, "tile yield to use instead of the model (0.4 or 40%)");
  cmd->add_option("--defect-density", args.defect_density, "defect density D0, e.g. 0.1/cm2");
  cmd->add_option("--model,--yield-model", args.model, "die yield model: poisson | murphy | negbin");
  cmd->add_option("--alpha", args.alpha, "clustering parameter of the negbin model");
  cmd->add_option("--spares", args.spares, "spare dies per tile");
  cmd->add_flag("--no-kgd", args.no_kgd, "dies are not tested before placement");
  cmd->add_option("--mfu", args.mfu, "model FLOP/s over peak for $ per delivered PFLOP-day (default 0.4)");
  cmd->add_option("--wafer-cost", args.wafer_cost, "cost dies bottom-up from this wafer cost, e.g. $10000");
  cmd->add_option("--precision", args.precision, "precision of the peak (default bf16)");
  cmd->add_option("--format", args.format, "text | json")->check(checks::one_of({"text", "json"}));
  cmd->callback([&action]() { action = []() -> int { return run_yield(args); }; });
}

}  // namespace dojosim::cli
