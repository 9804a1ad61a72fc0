#include "dojosim/explore/build_vs_buy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "dojosim/core/errors.hpp"
#include "dojosim/core/units.hpp"
#include "dojosim/economics/yield.hpp"
#include "dojosim/explore/pricing.hpp"
#include "dojosim/explore/search.hpp"

namespace dojosim::explore {

namespace {

using economics::EconomicsParams;
using economics::UnitEconomics;

// One system with its best plan and that plan's economics (as `compare` computes them).
struct Measured {
  std::string name, spec;
  double year = 0;
  hardware::System sys;
  engine::Result result;
  economics::StepEconomics econ;
};

// GPUs are bought at their price: the wafer-level costing keys describe the custom machine.
EconomicsParams bought(EconomicsParams p) {
  p.wafer_cost_usd = 0;
  p.test_cost_per_die_usd = 0;
  return p;
}

Measured measure(std::string name, const std::string& spec, double year, const BuildVsBuyRequest& req, bool custom) {
  Measured m{std::move(name), spec, year, hardware::load_system(spec, req.system_sets), {}, {}};
  parallel::Strategy p = req.partial;
  const engine::Context ctx = req.context(m.sys, p);
  SearchOptions opt;
  opt.top = 1;
  opt.econ = custom ? req.params : bought(req.params);
  m.result = search(ctx, p, opt).ranked.front().result;
  m.econ = Pricer(m.sys, opt.econ).price(m.result);
  return m;
}

core::FlopRate delivered(const Measured& m) { return core::FlopRate(m.result.model_flops_per_step / m.result.step_time); }

// Cost rate and delivered FLOP/s of one unit with its capital scaled by `capital_factor`
// (the power of the measured plan is kept; only prices and yields change here).
UnitEconomics unit_of(const Measured& m, const EconomicsParams& p, double capital_factor) {
  auto capital = economics::capital_cost(m.sys, p);
  capital.total_usd *= capital_factor;
  const auto rate = economics::cost_rate(m.sys, capital, m.econ.power, p);
  return {rate.total_usd_per_s, delivered(m)};
}

Option base_option(const Measured& m, const UnitEconomics& u, double capital) {
  Option o;
  o.name = m.name;
  o.spec = m.spec;
  o.device = m.sys.device.name;
  o.year = m.year;
  o.devices_per_unit = m.result.devices;
  o.capital_usd_per_unit = capital;
  o.usd_per_s_per_unit = u.usd_per_s;
  o.usd_per_device_hour = u.usd_per_s * 3600.0 / static_cast<double>(m.result.devices);
  o.delivered_flops_per_unit = u.delivered.value();
  o.mfu = m.result.mfu;
  o.usd_per_pflop_day = economics::unit_usd_per_pflop_day(u);
  return o;
}

// Everything that follows from the measured systems under one set of parameters.
struct Scenario {
  economics::Schedule schedule;
  double nre = 0;
  Option custom, custom_unit;
  std::vector<Option> gpus;
  std::vector<std::string> not_yet;
  int best = -1;
  std::optional<double> break_even;
};

Scenario evaluate(const Measured& custom, const std::vector<Measured>& gpus, const EconomicsParams& p, double units,
                  double extra_delay_months) {
  Scenario s;
  s.schedule = economics::program_schedule(p, extra_delay_months);
  s.nre = economics::nre_with_delay(p, extra_delay_months).value();
  const double used_s = economics::used_seconds(p);
  const double custom_capital = economics::capital_cost(custom.sys, p).total_usd * p.unit_price_scale;
  const UnitEconomics cu = unit_of(custom, p, p.unit_price_scale);
  s.custom_unit = base_option(custom, cu, custom_capital);
  s.custom_unit.kind = "custom-unit";
  s.custom_unit.year = s.schedule.first_unit;
  s.custom_unit.units = units;
  s.custom_unit.cost_over_life_usd = units * cu.usd_per_s * used_s;
  s.custom = s.custom_unit;
  s.custom.kind = "custom";
  s.custom.usd_per_pflop_day = economics::program_usd_per_pflop_day(core::Usd(s.nre), units, cu, used_s);
  s.custom.cost_over_life_usd += s.nre;
  const double fleet_flops = units * cu.delivered.value();
  for (const auto& g : gpus) {
    if (g.year > s.schedule.comparison_year) {
      s.not_yet.push_back(fmt::format("{} ({})", g.name, g.year));
      continue;
    }
    const double factor = economics::gpu_price_factor(p, g.year, s.schedule.comparison_year);
    const UnitEconomics gu = unit_of(g, bought(p), factor);
    Option buy = base_option(g, gu, economics::capital_cost(g.sys, bought(p)).total_usd * factor);
    buy.kind = "buy";
    buy.price_factor = factor;
    buy.units = fleet_flops / gu.delivered.value();
    buy.cost_over_life_usd = buy.units * gu.usd_per_s * used_s;
    buy.break_even_units = economics::break_even_units(core::Usd(s.nre), cu, buy.usd_per_pflop_day, used_s);
    Option rent = buy;
    rent.kind = "rent";
    rent.usd_per_s_per_unit *= p.gpu_rent_premium;
    rent.usd_per_device_hour *= p.gpu_rent_premium;
    rent.usd_per_pflop_day *= p.gpu_rent_premium;
    rent.cost_over_life_usd *= p.gpu_rent_premium;
    rent.capital_usd_per_unit = 0;
    rent.break_even_units = economics::break_even_units(core::Usd(s.nre), cu, rent.usd_per_pflop_day, used_s);
    s.gpus.push_back(std::move(buy));
    s.gpus.push_back(std::move(rent));
  }
  if (s.gpus.empty())
    throw core::Infeasible(fmt::format("no GPU system of the roadmap is on sale by {:.4g}", s.schedule.comparison_year),
                           "add one with --gpu SYSTEM@YEAR, or set economics.ready_year later");
  for (std::size_t i = 0; i < s.gpus.size(); ++i)
    if (s.best < 0 || s.gpus[i].usd_per_pflop_day < s.gpus[static_cast<std::size_t>(s.best)].usd_per_pflop_day)
      s.best = static_cast<int>(i);
  s.break_even = s.gpus[static_cast<std::size_t>(s.best)].break_even_units;
  return s;
}

double best_gpu(const Scenario& s) { return s.gpus[static_cast<std::size_t>(s.best)].usd_per_pflop_day; }

std::string usd(double v) {
  const double a = std::fabs(v);
  if (a >= 1e9) return fmt::format("${:.4g} B", v / 1e9);
  if (a >= 1e6) return fmt::format("${:.4g} M", v / 1e6);
  if (a >= 1e3) return fmt::format("${:.4g} k", v / 1e3);
  return fmt::format("${:.4g}", v);
}
std::string xml(const std::string& t) {
  std::string out;
  for (char c : t) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}
std::string units_text(const std::optional<double>& u) { return u ? fmt::format("{:.4g}", *u) : std::string("never"); }

// Months of extra slip until the custom machine is no cheaper than the best GPU option of
// its (later) comparison year; none when it is not cheaper to begin with or stays cheaper
// through the horizon.
std::optional<double> delay_erasing_months(const Measured& custom, const std::vector<Measured>& gpus, const EconomicsParams& p,
                                           double units, double advantage, double horizon) {
  if (!(advantage > 0)) return std::nullopt;
  for (int m = 1; m <= static_cast<int>(horizon); ++m) {
    const Scenario s = evaluate(custom, gpus, p, units, m);
    if (s.custom.usd_per_pflop_day >= best_gpu(s)) return m;
  }
  return std::nullopt;
}

// One assumption at a time to a low and a high value.
std::vector<SensitivityRow> sensitivity(const Measured& custom, const std::vector<Measured>& gpus, const EconomicsParams& p,
                                        double units, double nre, bool has_tile) {
  std::vector<SensitivityRow> rows;
  auto row = [&](std::string name, std::string low, std::string high, const std::function<void(EconomicsParams&, bool)>& set) {
    SensitivityRow sr{std::move(name), std::move(low), std::move(high), 0, 0, 0, 0, {}, {}};
    for (bool hi : {false, true}) {
      EconomicsParams q = p;
      set(q, hi);
      const Scenario s = evaluate(custom, gpus, q, units, 0);
      (hi ? sr.custom_high : sr.custom_low) = s.custom.usd_per_pflop_day;
      (hi ? sr.gpu_high : sr.gpu_low) = best_gpu(s);
      (hi ? sr.break_even_high : sr.break_even_low) = s.break_even;
    }
    rows.push_back(std::move(sr));
  };
  row("NRE", usd(nre * 0.5), usd(nre * 2), [](EconomicsParams& q, bool hi) { q.nre_scale *= hi ? 2.0 : 0.5; });
  if (has_tile) row("tile yield", "40%", "100%", [](EconomicsParams& q, bool hi) { q.tile_yield = hi ? 1.0 : 0.4; });
  row("unit price", "x0.5", "x2", [](EconomicsParams& q, bool hi) { q.unit_price_scale *= hi ? 2.0 : 0.5; });
  row("GPU price trend", "0%/year", "20%/year",
      [](EconomicsParams& q, bool hi) { q.gpu_price_decline_per_year = hi ? 0.2 : 0.0; });
  row("GPU price", "x0.5", "x2", [](EconomicsParams& q, bool hi) { q.gpu_price_scale *= hi ? 2.0 : 0.5; });
  return rows;
}

}  // namespace

BuildVsBuyReport build_vs_buy(const BuildVsBuyRequest& req) {
  if (req.workload == nullptr || !req.context) throw std::invalid_argument("build_vs_buy: workload and context are required");
  const auto& p = req.params;
  if (p.cloud_usd_per_device_hour > 0)
    throw core::InputError({"", 0, 0, "--set economics.cloud_usd_per_device_hour"},
                           "build-vs-buy prices renting itself, for every GPU generation", "no cloud_usd_per_device_hour",
                           "set economics.gpu_rent_premium (rent over owned cost) instead");
  if ((req.fleet_units > 0) == (req.work_per_year > 0))
    throw core::InputError({"", 0, 0, "--fleet"}, "give the compute need once", "--fleet UNITS, or the work a year",
                           "e.g. --fleet 3.7, or --tokens-per-year 1e12 (--samples-per-year for vision models)");
  BuildVsBuyReport r;
  r.params = p;
  r.model = req.workload->name();
  r.stack = req.stack;
  const Measured custom = measure(req.custom, req.custom, p.ready_year, req, true);
  r.work_unit = custom.result.sample_unit;
  std::vector<Measured> gpus;
  for (const auto& e : req.roadmap) {
    try {
      gpus.push_back(measure(e.name, e.spec, e.year, req, false));
    } catch (const core::Infeasible& err) {  // the workload does not fit this GPU system: say so, go on
      r.cannot_run.push_back(fmt::format("{} ({})", e.name, err.message()));
    }
  }
  if (gpus.empty())
    throw core::Infeasible(fmt::format("{} runs on none of the GPU systems given: {}", r.model, fmt::join(r.cannot_run, "; ")),
                           "give larger systems with --gpu SYSTEM@YEAR");

  const double f_custom = delivered(custom).value();
  r.used_s = economics::used_seconds(p);
  if (req.fleet_units > 0) {
    r.fleet_units = req.fleet_units;
    r.work_per_year = r.fleet_units * custom.result.tokens_per_s() * economics::kSecondsPerYear * p.duty_cycle;
  } else {
    r.work_per_year = req.work_per_year;
    r.fleet_units = req.work_per_year / (custom.result.tokens_per_s() * economics::kSecondsPerYear * p.duty_cycle);
  }
  r.fleet_delivered_flops = r.fleet_units * f_custom;

  r.nre = economics::program_nre(p);
  r.delay_cost_per_month = economics::delay_cost_per_month(p).value();
  r.unit_capital = economics::capital_cost(custom.sys, p);
  const auto y = economics::analyse_yield(custom.sys, p);
  r.has_tile = y.has_tile;
  if (y.has_tile) {
    r.tile_yield = y.tile.tile_yield;
    r.good_die_usd = y.die.good_usd;
    r.good_tile_usd = y.tile.per_good_tile_usd;
  }

  const Scenario base = evaluate(custom, gpus, p, r.fleet_units, 0);
  r.schedule = base.schedule;
  r.nre_with_delay = base.nre;
  r.custom = base.custom;
  r.custom_unit = base.custom_unit;
  r.gpus = base.gpus;
  r.not_yet = base.not_yet;
  r.best = base.best;
  r.break_even_units = base.break_even;
  r.advantage_usd_per_pflop_day = best_gpu(base) - base.custom.usd_per_pflop_day;

  r.delay_erasing_months =
      delay_erasing_months(custom, gpus, p, r.fleet_units, r.advantage_usd_per_pflop_day, r.delay_horizon_months);
  for (int m = 0; m <= 60; m += 6) {
    const Scenario s = evaluate(custom, gpus, p, r.fleet_units, m);
    const auto& b = s.gpus[static_cast<std::size_t>(s.best)];
    r.delay_curve.push_back({static_cast<double>(m), s.custom.usd_per_pflop_day, best_gpu(s), b.name + " " + b.kind});
  }
  r.sensitivity = sensitivity(custom, gpus, p, r.fleet_units, r.nre.total.value(), r.has_tile);
  return r;
}

namespace {
nlohmann::ordered_json option_json(const Option& o) {
  nlohmann::ordered_json j;
  j["name"] = o.name;
  j["spec"] = o.spec;
  j["kind"] = o.kind;
  j["device"] = o.device;
  j["year"] = o.year;
  j["devices_per_unit"] = o.devices_per_unit;
  j["price_factor"] = o.price_factor;
  j["capital_usd_per_unit"] = o.capital_usd_per_unit;
  j["usd_per_s_per_unit"] = o.usd_per_s_per_unit;
  j["usd_per_device_hour"] = o.usd_per_device_hour;
  j["delivered_flops_per_unit"] = o.delivered_flops_per_unit;
  j["mfu"] = o.mfu;
  j["usd_per_pflop_day"] = o.usd_per_pflop_day;
  j["units"] = o.units;
  j["cost_over_life_usd"] = o.cost_over_life_usd;
  j["break_even_units"] = o.break_even_units ? nlohmann::ordered_json(*o.break_even_units) : nlohmann::ordered_json(nullptr);
  return j;
}
nlohmann::ordered_json opt_json(const std::optional<double>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}
}  // namespace

nlohmann::ordered_json to_json(const BuildVsBuyReport& r) {
  nlohmann::ordered_json j;
  j["model"] = r.model;
  j["custom"] = r.custom.spec;
  j["stack"] = r.stack;
  j["work_unit"] = r.work_unit;
  j["nre"] = {{"chip_design_usd", r.nre.chip_design.value()},
              {"masks_usd", r.nre.masks.value()},
              {"packaging_usd", r.nre.packaging.value()},
              {"system_design_usd", r.nre.system_design.value()},
              {"software_usd", r.nre.software.value()},
              {"total_usd", r.nre.total.value()},
              {"delay_cost_usd_per_month", r.delay_cost_per_month},
              {"total_with_delay_usd", r.nre_with_delay}};
  j["schedule"] = {{"design_start", r.schedule.design_start},
                   {"first_unit", r.schedule.first_unit},
                   {"last_unit", r.schedule.last_unit},
                   {"comparison_year", r.schedule.comparison_year},
                   {"life_years", r.params.program_life_years}};
  j["unit"] = {{"capital_usd", r.custom_unit.capital_usd_per_unit},
               {"tiles_usd", r.unit_capital.tiles_usd},
               {"levels_usd", r.unit_capital.levels_usd},
               {"dips_usd", r.unit_capital.dips_usd},
               {"devices_usd", r.unit_capital.devices_usd},
               {"tile_yield", r.tile_yield},
               {"good_die_usd", r.good_die_usd},
               {"good_tile_usd", r.good_tile_usd}};
  for (const auto& [level, cost] : r.unit_capital.per_level) j["unit"]["per_level_usd"][level] = cost;
  j["fleet"] = {{"units", r.fleet_units},
                {"delivered_flops", r.fleet_delivered_flops},
                {"work_per_year", r.work_per_year},
                {"used_s_per_unit", r.used_s}};
  j["custom_program"] = option_json(r.custom);
  j["custom_unit"] = option_json(r.custom_unit);
  auto list = nlohmann::ordered_json::array();
  for (const auto& o : r.gpus) list.push_back(option_json(o));
  j["gpus"] = list;
  j["not_yet_on_sale"] = r.not_yet;
  j["cannot_run"] = r.cannot_run;
  j["best_gpu"] = r.gpus.at(static_cast<std::size_t>(r.best)).name + " " + r.gpus.at(static_cast<std::size_t>(r.best)).kind;
  j["best_gpu_usd_per_pflop_day"] = r.gpus.at(static_cast<std::size_t>(r.best)).usd_per_pflop_day;
  j["advantage_usd_per_pflop_day"] = r.advantage_usd_per_pflop_day;
  j["break_even_units"] = opt_json(r.break_even_units);
  j["break_even_delivered_flops"] = r.break_even_units
                                        ? nlohmann::ordered_json(*r.break_even_units * r.custom.delivered_flops_per_unit)
                                        : nlohmann::ordered_json(nullptr);
  j["delay_erasing_months"] = opt_json(r.delay_erasing_months);
  j["delay_horizon_months"] = r.delay_horizon_months;
  auto curve = nlohmann::ordered_json::array();
  for (const auto& d : r.delay_curve)
    curve.push_back({{"months", d.months},
                     {"custom_usd_per_pflop_day", d.custom},
                     {"best_gpu_usd_per_pflop_day", d.best_gpu},
                     {"best_gpu", d.best}});
  j["delay_curve"] = curve;
  auto sens = nlohmann::ordered_json::array();
  for (const auto& s : r.sensitivity)
    sens.push_back({{"parameter", s.parameter},
                    {"low", s.low},
                    {"high", s.high},
                    {"custom_low", s.custom_low},
                    {"custom_high", s.custom_high},
                    {"best_gpu_low", s.gpu_low},
                    {"best_gpu_high", s.gpu_high},
                    {"break_even_units_low", opt_json(s.break_even_low)},
                    {"break_even_units_high", opt_json(s.break_even_high)}});
  j["sensitivity"] = sens;
  return j;
}

std::string to_text(const BuildVsBuyReport& r) {
  std::string o;
  auto line = [&o](const std::string& s) { o += s + "\n"; };
  const auto& p = r.params;
  const auto& best = r.gpus.at(static_cast<std::size_t>(r.best));
  line(fmt::format("build-vs-buy: {} on {} (custom) vs the GPUs on sale in {:.6g}", r.model, r.custom.spec,
                   r.schedule.comparison_year));
  line(fmt::format("software: every machine on the {} stack (--stack NAME for another)", r.stack));
  line(fmt::format("schedule: design from {:.6g}, first unit {:.6g}, last unit {:.6g}; each unit works {:.4g} years",
                   r.schedule.design_start, r.schedule.first_unit, r.schedule.last_unit, p.program_life_years));
  line(fmt::format("NRE {}: chip design {}, masks {} x {}, packaging {}, system {}, software {:.4g} engineer-years x {}",
                   usd(r.nre.total.value()), usd(r.nre.chip_design.value()), p.tapeouts,
                   usd(r.nre.masks.value() / std::max(1, p.tapeouts)), usd(r.nre.packaging.value()),
                   usd(r.nre.system_design.value()), p.software_engineer_years, usd(p.usd_per_engineer_year * p.nre_scale)));
  line(fmt::format("a month of delay costs {} (design and software teams); NRE with delay {}", usd(r.delay_cost_per_month),
                   usd(r.nre_with_delay)));
  std::string unit = fmt::format("unit: {} x {}, capital {}", r.custom.devices_per_unit, r.custom.device,
                                 usd(r.custom_unit.capital_usd_per_unit));
  if (r.has_tile)
    unit += fmt::format(" (good die {}, good tile {} at tile yield {:.1f}%)", usd(r.good_die_usd), usd(r.good_tile_usd),
                        100 * r.tile_yield);
  line(unit);
  std::vector<std::string> parts;
  if (r.unit_capital.devices_usd > 0) parts.push_back(fmt::format("devices {}", usd(r.unit_capital.devices_usd)));
  if (r.unit_capital.tiles_usd > 0) parts.push_back(fmt::format("tiles {}", usd(r.unit_capital.tiles_usd)));
  for (const auto& [level, cost] : r.unit_capital.per_level)  // the tile entry repeats tiles_usd
    if (cost > 0 && level.rfind("tile (", 0) != 0) parts.push_back(fmt::format("{}s {}", level, usd(cost)));
  if (r.unit_capital.dips_usd > 0) parts.push_back(fmt::format("DIPs {}", usd(r.unit_capital.dips_usd)));
  line(fmt::format("unit capital before unit_price_scale: {}", fmt::join(parts, ", ")));
  line(fmt::format("fleet: {:.4g} units, {} delivered, {:.4g} {} a year", r.fleet_units,
                   core::format_quantity(r.fleet_delivered_flops, core::Dim::flop_rate), r.work_per_year, r.work_unit));
  line("");
  line(fmt::format("{:<34} {:>8} {:>8} {:>12} {:>7} {:>14} {:>10} {:>14} {:>12}", "option", "on sale", "price", "$/device-h",
                   "MFU", "$/PFLOP-day", "units", "cost over life", "break-even"));
  auto opt_line = [&](const Option& x, const std::string& label) {
    line(fmt::format("{:<34} {:>8.6g} {:>8} {:>12.4g} {:>6.1f}% {:>14.4g} {:>10.4g} {:>14} {:>12}", label, x.year,
                     x.kind == "buy" || x.kind == "rent" ? fmt::format("x{:.3f}", x.price_factor) : std::string("-"),
                     x.usd_per_device_hour, 100 * x.mfu, x.usd_per_pflop_day, x.units, usd(x.cost_over_life_usd),
                     x.kind == "buy" || x.kind == "rent" ? units_text(x.break_even_units) : std::string("-")));
  };
  opt_line(r.custom, fmt::format("{} (with NRE)", r.custom.spec));
  opt_line(r.custom_unit, fmt::format("{} (no NRE)", r.custom.spec));
  for (const auto& g : r.gpus) opt_line(g, fmt::format("{} {} ({})", g.name, g.kind, g.spec));
  if (!r.not_yet.empty()) line(fmt::format("not yet on sale: {}", fmt::join(r.not_yet, ", ")));
  if (!r.cannot_run.empty()) line(fmt::format("cannot run the workload: {}", fmt::join(r.cannot_run, "; ")));
  line("");
  line(fmt::format("cheapest GPU option: {} {} at ${:.4g} per PFLOP-day; the custom programme: ${:.4g} ({} by ${:.4g})",
                   best.name, best.kind, best.usd_per_pflop_day, r.custom.usd_per_pflop_day,
                   r.advantage_usd_per_pflop_day > 0 ? "cheaper" : "dearer", std::fabs(r.advantage_usd_per_pflop_day)));
  if (r.break_even_units)
    line(fmt::format("break-even fleet: {:.4g} units ({} delivered) against {} {}", *r.break_even_units,
                     core::format_quantity(*r.break_even_units * r.custom.delivered_flops_per_unit, core::Dim::flop_rate),
                     best.name, best.kind));
  else
    line(fmt::format("break-even fleet: none (a unit costs ${:.4g} per PFLOP-day before NRE, {} {} ${:.4g})",
                     r.custom_unit.usd_per_pflop_day, best.name, best.kind, best.usd_per_pflop_day));
  if (r.delay_erasing_months)
    line(fmt::format("delay that erases the advantage: {:.0f} months", *r.delay_erasing_months));
  else if (r.advantage_usd_per_pflop_day > 0)
    line(fmt::format("delay that erases the advantage: more than {:.0f} months", r.delay_horizon_months));
  else
    line("delay that erases the advantage: none to erase (the custom programme is not cheaper on time)");
  line("");
  line("sensitivity (one assumption at a time; $ per PFLOP-day, break-even fleet in units):");
  line(fmt::format("{:<16} {:>10} {:>10} {:>12} {:>12} {:>10} {:>10} {:>11} {:>11}", "assumption", "low", "high", "custom low",
                   "custom high", "GPU low", "GPU high", "b-e low", "b-e high"));
  for (const auto& s : r.sensitivity)
    line(fmt::format("{:<16} {:>10} {:>10} {:>12.4g} {:>12.4g} {:>10.4g} {:>10.4g} {:>11} {:>11}", s.parameter, s.low, s.high,
                     s.custom_low, s.custom_high, s.gpu_low, s.gpu_high, units_text(s.break_even_low),
                     units_text(s.break_even_high)));
  line("");
  line(
      "costs: a unit's capital recovered over amortisation_years plus electricity and facility, per delivered (model) "
      "PFLOP-day of its best plan; the custom programme adds its NRE spread over the fleet; GPU prices fall "
      "gpu_price_decline_per_year from launch; rent = gpu_rent_premium x owned cost (docs/economics.md section 7).");
  return o;
}

namespace {
// The programme's $ per PFLOP-day against fleet size (log scale) with the cheapest GPU
// option as a line: where they cross is the break-even fleet.
std::string fleet_panel(const BuildVsBuyReport& r, int top, int h) {
  const int left = 80, w = 640;
  const auto& best = r.gpus.at(static_cast<std::size_t>(r.best));
  const double g = best.usd_per_pflop_day;
  const economics::UnitEconomics u{r.custom_unit.usd_per_s_per_unit, core::FlopRate(r.custom.delivered_flops_per_unit)};
  const core::Usd nre(r.nre_with_delay);
  const double anchor =
      r.break_even_units && *r.break_even_units > 0 ? std::max(r.fleet_units, *r.break_even_units) : r.fleet_units;
  const double lo = std::min(r.fleet_units, anchor) / 4, hi = anchor * 4;
  const double ymax = 3 * std::max(g, r.custom_unit.usd_per_pflop_day);
  auto x_of = [&](double n) { return left + w * std::log(n / lo) / std::log(hi / lo); };
  auto y_of = [&](double v) { return top + h - h * std::min(v, ymax) / ymax; };
  std::string s =
      fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"13\">programme $ per PFLOP-day vs fleet ({} units, log scale)</text>\n",
                  left, top - 10, xml(r.custom.spec));
  s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n", left, top, w, h);
  std::string pts;
  for (int i = 0; i <= 80; ++i) {
    const double n = lo * std::pow(hi / lo, i / 80.0);
    pts += fmt::format("{:.2f},{:.2f} ", x_of(n), y_of(economics::program_usd_per_pflop_day(nre, n, u, r.used_s)));
  }
  s += fmt::format("<polyline class=\"custom\" points=\"{}\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\"/>\n", pts);
  s += fmt::format(
      "<line class=\"gpu\" x1=\"{}\" y1=\"{:.2f}\" x2=\"{}\" y2=\"{:.2f}\" stroke=\"#2e86c1\" stroke-width=\"2\" "
      "stroke-dasharray=\"6 4\"/>\n",
      left, y_of(g), left + w, y_of(g));
  s += fmt::format("<text x=\"{}\" y=\"{:.2f}\" fill=\"#2e86c1\">{} {} ${:.4g}</text>\n", left + w + 4, y_of(g) + 4,
                   xml(best.name), best.kind, g);
  s += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1}\" x2=\"{0:.2f}\" y2=\"{2}\" stroke=\"#333\"/>\n", x_of(r.fleet_units), top,
                   top + h);
  s += fmt::format("<text x=\"{:.2f}\" y=\"{}\">fleet {:.4g}</text>\n", x_of(r.fleet_units) + 3, top + 14, r.fleet_units);
  if (r.break_even_units && *r.break_even_units > 0) {
    s += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1}\" x2=\"{0:.2f}\" y2=\"{2}\" stroke=\"#333\" stroke-dasharray=\"3 3\"/>\n",
                     x_of(*r.break_even_units), top, top + h);
    s += fmt::format("<text x=\"{:.2f}\" y=\"{}\">break-even {:.4g}</text>\n", x_of(*r.break_even_units) + 3, top + 30,
                     *r.break_even_units);
  }
  s += fmt::format("<text x=\"{}\" y=\"{}\">{:.3g}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:.3g} units</text>\n", left,
                   top + h + 16, lo, left + w, top + h + 16, hi);
  s += fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">${:.4g}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">$0</text>\n",
      left - 4, top + 10, ymax, left - 4, top + h);
  return s;
}
}  // namespace

std::string to_svg(const BuildVsBuyReport& r) {
  // Horizontal bars: $ per delivered PFLOP-day of each option, the custom programme first.
  std::vector<std::pair<std::string, double>> bars;
  bars.emplace_back(r.custom.spec + " (with NRE)", r.custom.usd_per_pflop_day);
  bars.emplace_back(r.custom.spec + " (no NRE)", r.custom_unit.usd_per_pflop_day);
  for (const auto& g : r.gpus) bars.emplace_back(g.name + " " + g.kind, g.usd_per_pflop_day);
  double vmax = 0;
  for (const auto& b : bars) vmax = std::max(vmax, b.second);
  if (!(vmax > 0)) vmax = 1;
  const int left = 220, width = 460, bar_h = 22, gap = 8, top = 60;
  const int bars_end = top + static_cast<int>(bars.size()) * (bar_h + gap);
  const int plot_top = bars_end + 50, plot_h = 200;
  const int height = plot_top + plot_h + 50;
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n",
      left + width + 160, height, left + width + 160, height);
  s += fmt::format("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
  s += fmt::format(
      "<text x=\"10\" y=\"22\" font-size=\"15\">build-vs-buy: {} — $ per delivered PFLOP-day, {:.4g} units, GPUs of "
      "{:.6g}</text>\n",
      xml(r.model), r.fleet_units, r.schedule.comparison_year);
  s += fmt::format("<text x=\"10\" y=\"42\">break-even fleet: {} units; delay that erases the advantage: {}</text>\n",
                   units_text(r.break_even_units),
                   r.delay_erasing_months
                       ? fmt::format("{:.0f} months", *r.delay_erasing_months)
                       : std::string(r.advantage_usd_per_pflop_day > 0 ? "beyond the horizon" : "none to erase"));
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const int y = top + static_cast<int>(i) * (bar_h + gap);
    const double w = bars[i].second / vmax * width;
    const char* colour = i == 0 ? "#c0392b" : i == 1 ? "#e8a09a" : (i % 2 == 0 ? "#2e86c1" : "#85c1e9");
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", left - 8, y + 15, xml(bars[i].first));
    s += fmt::format("<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{:.2f}\" height=\"{}\" fill=\"{}\"/>\n", left, y, w, bar_h,
                     colour);
    s += fmt::format("<text x=\"{:.2f}\" y=\"{}\">${:.4g}</text>\n", left + w + 6, y + 15, bars[i].second);
  }
  s += fleet_panel(r, plot_top, plot_h);
  s += "</svg>\n";
  return s;
}

}  // namespace dojosim::explore
