#include "dojosim/economics/params.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <functional>
#include <initializer_list>

#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"
#include "dojosim/core/units.hpp"

namespace dojosim::economics {

using core::InputError;
using core::Location;

std::string_view yield_model_name(YieldModel m) {
  switch (m) {
    case YieldModel::poisson: return "poisson";
    case YieldModel::murphy: return "murphy";
    case YieldModel::negative_binomial: return "negbin";
  }
  return "?";
}

YieldModel parse_yield_model(std::string_view s) {
  const std::string v = core::to_lower(core::trim(s));
  if (v == "poisson") return YieldModel::poisson;
  if (v == "murphy") return YieldModel::murphy;
  if (v == "negbin" || v == "negative_binomial" || v == "nb") return YieldModel::negative_binomial;
  throw InputError({"", 0, 0, "yield_model"}, fmt::format("unknown yield model '{}'", s), "poisson, murphy or negbin",
                   core::did_you_mean(v, {"poisson", "murphy", "negbin", "negative_binomial"}));
}

namespace {

// One table row: documentation plus how to set and print the value.
struct Entry {
  ParamInfo info;
  std::function<void(EconomicsParams&, const std::string&, const Location&)> set;
  std::function<std::string(const EconomicsParams&)> get;
};

std::string num(double v) { return fmt::format("{:.6g}", v); }
std::string opt(const std::optional<double>& v) { return v ? num(*v) : std::string(); }

// A plain number ("0.08", "1e-3"), or a percentage ("40%") when `percent` is allowed.
double read_number(const std::string& text, const Location& loc, double lo, double hi, bool percent = false) {
  std::string t = core::trim(text);
  double scale = 1;
  if (percent && !t.empty() && t.back() == '%') {
    t.pop_back();
    scale = 0.01;
  }
  double v = 0;
  try {
    v = core::parse_quantity(t, core::Dim::count) * scale;
  } catch (const core::Error& e) {
    throw InputError(loc, e.message(), percent ? "a number (or a percentage, e.g. 40%)" : e.expected());
  }
  if (!std::isfinite(v) || v < lo || v > hi)
    throw InputError(loc, fmt::format("value '{}' is out of range", text), fmt::format("a number in [{}, {}]", lo, hi));
  return v;
}

double read_usd(const std::string& text, const Location& loc, double hi = 1e12) {
  double v = 0;
  try {
    v = core::parse_quantity(text, core::Dim::usd);
  } catch (const core::Error& e) { throw InputError(loc, e.message(), e.expected()); }
  if (!std::isfinite(v) || v < 0 || v > hi)
    throw InputError(loc, fmt::format("value '{}' is out of range", text), fmt::format("a dollar amount in [0, {}]", hi));
  return v;
}

// Defects per cm^2: a bare number, or with "/cm2", "/cm^2", "per cm2" or "/mm2".
double read_defect_density(const std::string& text, const Location& loc) {
  std::string t = core::to_lower(core::trim(text));
  double scale = 1;
  for (const auto& [suffix, k] : std::initializer_list<std::pair<std::string_view, double>>{
           {"/cm2", 1.0}, {"/cm^2", 1.0}, {"per cm2", 1.0}, {"/mm2", 100.0}, {"/mm^2", 100.0}, {"per mm2", 100.0}}) {
    if (t.size() > suffix.size() && std::string_view(t).substr(t.size() - suffix.size()) == suffix) {
      t = core::trim(std::string_view(t).substr(0, t.size() - suffix.size()));
      scale = k;
      break;
    }
  }
  const auto bad = [&] {
    return InputError(loc, fmt::format("cannot read '{}' as a defect density", text),
                      "defects per area, e.g. 0.1/cm2 or 0.001/mm2");
  };
  double v = 0;
  try {
    v = core::parse_quantity(t, core::Dim::count) * scale;
  } catch (const core::Error&) { throw bad(); }
  if (!std::isfinite(v) || v < 0 || v > 100)
    throw InputError(loc, fmt::format("value '{}' is out of range", text), "a defect density in [0, 100] per cm2");
  return v;
}

bool read_bool(const std::string& text, const Location& loc) {
  const std::string v = core::to_lower(core::trim(text));
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  throw InputError(loc, fmt::format("cannot read '{}' as a boolean", text), "true or false",
                   core::did_you_mean(v, {"true", "false"}));
}

// Shorthands for table rows.
using Field = double EconomicsParams::*;
Entry fraction(const char* name, Field f, const char* dflt, const char* source, const char* help) {
  return {{name, "fraction", "", dflt, source, help},
          [f](EconomicsParams& p, const std::string& v, const Location& l) { p.*f = read_number(v, l, 0, 1, true); },
          [f](const EconomicsParams& p) { return num(p.*f); }};
}
Entry number(const char* name, Field f, double lo, double hi, const char* unit, const char* dflt, const char* source,
             const char* help) {
  return {{name, "float", unit, dflt, source, help},
          [f, lo, hi](EconomicsParams& p, const std::string& v, const Location& l) { p.*f = read_number(v, l, lo, hi); },
          [f](const EconomicsParams& p) { return num(p.*f); }};
}
Entry usd(const char* name, Field f, const char* unit, const char* dflt, const char* source, const char* help) {
  return {{name, "price", unit, dflt, source, help},
          [f](EconomicsParams& p, const std::string& v, const Location& l) { p.*f = read_usd(v, l); },
          [f](const EconomicsParams& p) { return num(p.*f); }};
}

const std::vector<Entry>& table() {
  static const std::vector<Entry> t = [] {
    std::vector<Entry> e;
    // Power.
    e.push_back(fraction("compute_floor", &EconomicsParams::compute_floor, "0.5", "assumption",
                         "fraction of dynamic power in compute kernels at utilisation 0 (linear to 1 at utilisation 1)"));
    e.push_back(fraction("memory_bound_factor", &EconomicsParams::memory_bound_factor, "0.6", "assumption",
                         "fraction of dynamic power in memory-bound kernels and weight streaming"));
    e.push_back(fraction("communication_factor", &EconomicsParams::communication_factor, "0.3", "assumption",
                         "fraction of dynamic power while waiting on exposed communication"));
    e.push_back(fraction("overlap_factor", &EconomicsParams::overlap_factor, "0.15", "assumption",
                         "extra fraction of dynamic power while communication overlaps compute (capped at TDP)"));
    e.push_back(fraction("wait_factor", &EconomicsParams::wait_factor, "0.1", "assumption",
                         "fraction of dynamic power while waiting (pipeline bubble, barriers)"));
    e.push_back({{"pue", "float", "", "system's pue", "system preset (assumption)", "power usage effectiveness"},
                 [](EconomicsParams& p, const std::string& v, const Location& l) { p.pue = read_number(v, l, 1, 3); },
                 [](const EconomicsParams& p) { return opt(p.pue); }});
    // Capital.
    e.push_back(number("amortisation_years", &EconomicsParams::amortisation_years, 0.1, 50, "year", "4", "assumption",
                       "life over which the capital is recovered"));
    e.push_back(number("interest_rate", &EconomicsParams::interest_rate, 0, 1, "1/year", "0", "assumption",
                       "annual cost of capital; > 0 uses the annuity formula"));
    e.push_back(number("duty_cycle", &EconomicsParams::duty_cycle, 0.01, 1, "", "1", "assumption",
                       "fraction of wall-clock time the machine does paid-for work"));
    // Operating.
    e.push_back(number("electricity_usd_per_kwh", &EconomicsParams::electricity_usd_per_kwh, 0, 10, "USD/kWh", "0.08",
                       "assumption", "electricity price (facility energy, PUE included)"));
    e.push_back(usd("facility_usd_per_kw_year", &EconomicsParams::facility_usd_per_kw_year, "USD/(kW*year)", "0",
                    "assumption (off)", "space, cooling plant and staff per provisioned IT kW"));
    e.push_back(usd("usd_per_rack_year", &EconomicsParams::usd_per_rack_year, "USD/year", "0", "assumption (off)",
                    "space and staff per rack (instance of rack_level)"));
    e.push_back({{"rack_level", "string", "", "cabinet, rack, or innermost level", "-",
                  "level whose instances count as racks for usd_per_rack_year"},
                 [](EconomicsParams& p, const std::string& v, const Location&) { p.rack_level = core::trim(v); },
                 [](const EconomicsParams& p) { return p.rack_level; }});
    e.push_back(usd("cloud_usd_per_device_hour", &EconomicsParams::cloud_usd_per_device_hour, "USD/h", "0 (owned)",
                    "N9 (H100 1.65-6.88 USD/GPU-hour)", "rent instead of own: replaces capital, electricity, facility"));
    e.push_back(fraction("mfu", &EconomicsParams::mfu, "0.4", "assumption",
                         "model FLOP/s over peak, when no engine result is at hand (yield command)"));
    // Yield.
    e.push_back(
        {{"die_area_mm2", "float", "mm2", "from device (d1 645, T6)", "T6, N1, N2", "die area"},
         [](EconomicsParams& p, const std::string& v, const Location& l) { p.die_area_mm2 = read_number(v, l, 1, 50000); },
         [](const EconomicsParams& p) { return opt(p.die_area_mm2); }});
    e.push_back({{"defect_density_per_cm2", "float", "1/cm2", "0.1", "assumption",
                  "defect density D0 (\"0.1\", \"0.1/cm2\" or \"0.001/mm2\")"},
                 [](EconomicsParams& p, const std::string& v, const Location& l) {
                   p.defect_density_per_cm2 = read_defect_density(v, l);
                 },
                 [](const EconomicsParams& p) { return num(p.defect_density_per_cm2); }});
    e.push_back({{"yield_model", "choice", "", "negbin", "assumption", "poisson | murphy | negbin"},
                 [](EconomicsParams& p, const std::string& v, const Location& l) {
                   try {
                     p.yield_model = parse_yield_model(v);
                   } catch (const core::Error& err) { throw InputError(l, err.message(), err.expected(), err.suggestion()); }
                 },
                 [](const EconomicsParams& p) { return std::string(yield_model_name(p.yield_model)); }});
    e.push_back(number("negbin_alpha", &EconomicsParams::negbin_alpha, 1e-3, 1e6, "", "3", "assumption",
                       "clustering parameter of the negative binomial model (large = Poisson)"));
    e.push_back({{"known_good_die", "bool", "", "true", "assumption", "dies are tested before they are placed"},
                 [](EconomicsParams& p, const std::string& v, const Location& l) { p.known_good_die = read_bool(v, l); },
                 [](const EconomicsParams& p) { return std::string(p.known_good_die ? "true" : "false"); }});
    e.push_back(fraction("kgd_escape_rate", &EconomicsParams::kgd_escape_rate, "0", "assumption",
                         "fraction of bad dies that pass the known-good-die test"));
    e.push_back({{"spare_dies", "int", "", "0", "T4 (25 dies, no spares published)", "extra dies placed per tile"},
                 [](EconomicsParams& p, const std::string& v, const Location& l) {
                   const double d = read_number(v, l, 0, 1000);
                   if (d != std::floor(d)) throw InputError(l, fmt::format("'{}' is not a whole number", v), "an integer");
                   p.spare_dies = static_cast<int>(d);
                 },
                 [](const EconomicsParams& p) { return std::to_string(p.spare_dies); }});
    e.push_back(fraction("integration_yield", &EconomicsParams::integration_yield, "0.9", "assumption",
                         "wafer-level integration yield (InFO_SoW RDL, I/O dies, bonding)"));
    e.push_back(fraction("assembly_yield", &EconomicsParams::assembly_yield, "0.98", "assumption",
                         "power/cooling module assembly and final test"));
    e.push_back({{"tile_yield", "fraction", "", "modelled", "modelled (T14 rumour <50% is unsourced)",
                  "use this tile yield instead of the model"},
                 [](EconomicsParams& p, const std::string& v, const Location& l) {
                   // One range in every message: 0 is no yield (no tile would ever be good), so
                   // read_number's [0, 1] would promise a value that is then refused.
                   const double y =
                       read_number(v, l, -std::numeric_limits<double>::max(), std::numeric_limits<double>::max(), true);
                   if (!(y > 0 && y <= 1))
                     throw InputError(l, fmt::format("value '{}' is out of range", v),
                                      "a tile yield in (0, 1], or a percentage in (0%, 100%]");
                   p.tile_yield = y;
                 },
                 [](const EconomicsParams& p) { return opt(p.tile_yield); }});
    e.push_back(usd("wafer_cost_usd", &EconomicsParams::wafer_cost_usd, "USD", "0 (die cost from device price)", "assumption",
                    "processed wafer cost; > 0 costs dies bottom-up"));
    e.push_back(number("wafer_diameter_mm", &EconomicsParams::wafer_diameter_mm, 50, 450, "mm", "300", "industry standard",
                       "wafer diameter"));
    e.push_back(usd("test_cost_per_die_usd", &EconomicsParams::test_cost_per_die_usd, "USD", "0", "assumption",
                    "known-good-die test cost per die (bottom-up costing)"));
    e.push_back({{"integration_cost_usd", "price", "USD", "tile level price", "system preset (assumption)",
                  "integration cost per tile attempt (carrier wafer, I/O dies, VRM, cooling)"},
                 [](EconomicsParams& p, const std::string& v, const Location& l) { p.integration_cost_usd = read_usd(v, l); },
                 [](const EconomicsParams& p) { return opt(p.integration_cost_usd); }});
    // Program (build-vs-buy).
    e.push_back(usd("nre_chip_design_usd", &EconomicsParams::nre_chip_design_usd, "USD", "200e6",
                    "assumption (S4: a 7 nm SoC costs $120-420 M to design)", "chip design and verification"));
    e.push_back(usd("mask_set_usd", &EconomicsParams::mask_set_usd, "USD", "15e6", "assumption (S3: > $10 M at 7 nm)",
                    "one mask set of the chip's process node"));
    e.push_back({{"tapeouts", "int", "", "2", "assumption", "mask sets bought over the programme (first silicon, respins)"},
                 [](EconomicsParams& p, const std::string& v, const Location& l) {
                   const double d = read_number(v, l, 0, 100);
                   if (d != std::floor(d)) throw InputError(l, fmt::format("'{}' is not a whole number", v), "an integer");
                   p.tapeouts = static_cast<int>(d);
                 },
                 [](const EconomicsParams& p) { return std::to_string(p.tapeouts); }});
    e.push_back(usd("nre_packaging_usd", &EconomicsParams::nre_packaging_usd, "USD", "100e6", "assumption",
                    "wafer-scale packaging development (InFO_SoW tile, VRM, cooling)"));
    e.push_back(usd("nre_system_design_usd", &EconomicsParams::nre_system_design_usd, "USD", "150e6", "assumption",
                    "system design: trays, cabinets, DIPs, power, cooling, network"));
    e.push_back(number("software_engineer_years", &EconomicsParams::software_engineer_years, 0, 1e6, "year", "600", "assumption",
                       "compiler, kernels, runtime and tooling, in engineer-years"));
    e.push_back(usd("usd_per_engineer_year", &EconomicsParams::usd_per_engineer_year, "USD/year", "400e3", "assumption",
                    "fully loaded cost of one engineer-year"));
    e.push_back(number("nre_scale", &EconomicsParams::nre_scale, 0, 100, "", "1", "-",
                       "multiplies the whole non-recurring engineering cost"));
    e.push_back(number("program_start_year", &EconomicsParams::program_start_year, 1990, 2100, "year", "2019",
                       "T14 (Dojo first mentioned 2019)", "design start of the custom machine"));
    e.push_back(number("ready_year", &EconomicsParams::ready_year, 1990, 2100, "year", "2023.5",
                       "T14 (production start July 2023)", "first units of the custom machine ready (fractional years)"));
    e.push_back(number("ramp_years", &EconomicsParams::ramp_years, 0, 20, "year", "1", "T13 (U: ~4 EFLOPS deployed by Aug 2024)",
                       "time from the first to the last unit"));
    e.push_back(number("delay_months", &EconomicsParams::delay_months, 0, 240, "month", "0", "-",
                       "slip of ready_year (the team is paid meanwhile; later, newer GPUs)"));
    e.push_back(number("program_life_years", &EconomicsParams::program_life_years, 0.1, 50, "year", "4", "assumption",
                       "years each unit of the fleet does paid-for work"));
    e.push_back(number("unit_price_scale", &EconomicsParams::unit_price_scale, 0, 100, "", "1", "-",
                       "multiplies the custom machine's capital per unit"));
    e.push_back(fraction("gpu_price_decline_per_year", &EconomicsParams::gpu_price_decline_per_year, "0.065",
                         "D from N9 (A100 $15k in 2020, $8-15k in 2026)",
                         "yearly fall of a GPU system's price after its launch"));
    e.push_back(number("gpu_price_scale", &EconomicsParams::gpu_price_scale, 0.01, 100, "", "1", "-",
                       "multiplies every GPU system's capital"));
    e.push_back(number("gpu_rent_premium", &EconomicsParams::gpu_rent_premium, 0.1, 100, "", "2",
                       "assumption (H100 in 2024: $2.04/h, inside N9's $1.65-6.88)", "rent over owned cost per GPU-hour"));
    return e;
  }();
  return t;
}

}  // namespace

const std::vector<ParamInfo>& economics_params() {
  static const std::vector<ParamInfo> v = [] {
    std::vector<ParamInfo> out;
    for (const auto& e : table()) out.push_back(e.info);
    return out;
  }();
  return v;
}

std::vector<std::string> economics_param_names() {
  std::vector<std::string> out;
  for (const auto& e : table()) out.push_back(e.info.name);
  return out;
}

namespace {
std::string_view strip_prefix(std::string_view key) {
  for (std::string_view pre : {"economics.", "econ."})
    if (key.substr(0, pre.size()) == pre) return key.substr(pre.size());
  return key;
}
}  // namespace

bool is_economics_key(std::string_view assignment) {
  return assignment.substr(0, 10) == "economics." || assignment.substr(0, 5) == "econ.";
}

KeyScope key_scope(std::string_view key) {
  const std::string trimmed = core::trim(key.substr(0, key.find('=')));
  const std::string_view k = strip_prefix(trimmed);
  static constexpr std::string_view kTile[] = {"die_area_mm2",
                                               "defect_density_per_cm2",
                                               "yield_model",
                                               "negbin_alpha",
                                               "known_good_die",
                                               "kgd_escape_rate",
                                               "spare_dies",
                                               "integration_yield",
                                               "assembly_yield",
                                               "tile_yield",
                                               "wafer_cost_usd",
                                               "wafer_diameter_mm",
                                               "test_cost_per_die_usd",
                                               "integration_cost_usd"};
  static constexpr std::string_view kProgramme[] = {"nre_chip_design_usd",
                                                    "mask_set_usd",
                                                    "tapeouts",
                                                    "nre_packaging_usd",
                                                    "nre_system_design_usd",
                                                    "software_engineer_years",
                                                    "usd_per_engineer_year",
                                                    "nre_scale",
                                                    "program_start_year",
                                                    "ready_year",
                                                    "ramp_years",
                                                    "delay_months",
                                                    "program_life_years",
                                                    "unit_price_scale",
                                                    "gpu_price_decline_per_year"};
  if (k == "mfu") return KeyScope::yield_command;
  for (auto t : kTile)
    if (k == t) return KeyScope::tile_systems;
  for (auto t : kProgramme)
    if (k == t) return KeyScope::programme;
  return KeyScope::everywhere;
}

void reject_without_effect(std::string_view key, const KeyUse& use, core::Location where) {
  const std::string k = core::trim(key.substr(0, key.find('=')));
  if (where.key_path.empty()) where.key_path = k;
  switch (key_scope(k)) {
    case KeyScope::yield_command:
      throw InputError(where, fmt::format("'{}' has no effect here: the engine prices the plan's own MFU", k),
                       "economics keys that price a result (docs/economics.md)",
                       "leave it out, or use it with `dojosim yield`, which has no engine result");
    case KeyScope::programme:
      if (!use.programme)
        throw InputError(where, fmt::format("'{}' has no effect here: it is a key of the custom-machine programme", k),
                         "economics keys that price a result (docs/economics.md)", "use it with `dojosim build-vs-buy`");
      break;
    case KeyScope::tile_systems:
      if (!use.tile_system)
        throw InputError(where,
                         fmt::format("'{}' has no effect on {}: it prices a wafer-scale tile's yield, and no system here "
                                     "has a `tile` level",
                                     k, use.systems),
                         "economics keys that price these systems (docs/economics.md)",
                         "leave it out, or use a system with a tile level (dojo-tile and larger)");
      break;
    case KeyScope::everywhere: break;
  }
}

namespace {
// The parameter an unknown key was meant to be: the nearest by spelling, or else those that
// share its first word (electricity_pric -> electricity_usd_per_kwh: a long name's edit
// distance is past core::nearest's reach).
std::string suggest_param(const std::string& key) {
  const auto names = economics_param_names();
  if (std::string near = core::did_you_mean(key, names); !near.empty()) return near;
  const std::string head = key.substr(0, key.find('_'));
  std::vector<std::string> same;
  for (const auto& n : names)
    if (head.size() >= 3 && n.substr(0, n.find('_')) == head) same.push_back("'" + n + "'");
  return same.empty() ? std::string() : fmt::format("did you mean {}?", core::join(same, " or "));
}
}  // namespace

void apply_override(EconomicsParams& p, std::string_view assignment, std::string_view origin) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos)
    throw InputError({"", 0, 0, std::string(origin)}, fmt::format("'{}' is not KEY=VALUE", assignment),
                     "KEY=VALUE, e.g. electricity_usd_per_kwh=0.08");
  const std::string written = core::trim(assignment.substr(0, eq));  // as the user wrote it, prefix included
  const std::string key = core::trim(strip_prefix(written));
  const std::string value = core::trim(assignment.substr(eq + 1));
  const Location loc{"", 0, 0, fmt::format("{} {}", origin, written)};
  for (const auto& e : table()) {
    if (e.info.name != key) continue;
    if (value.empty() && e.info.type != "string") throw InputError(loc, "the value is empty", e.info.type);
    e.set(p, value, loc);
    return;
  }
  throw InputError(loc, fmt::format("unknown economics parameter '{}'", key),
                   "one of: " + core::join(economics_param_names(), ", "), suggest_param(key));
}

EconomicsParams parse_params(const std::vector<std::string>& assignments, EconomicsParams base, std::string_view origin) {
  for (const auto& a : assignments) apply_override(base, a, origin);
  return base;
}

std::vector<std::pair<std::string, std::string>> describe(const EconomicsParams& p) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : table()) out.emplace_back(e.info.name, e.get(p));
  return out;
}

std::optional<double> known_die_area_mm2(std::string_view device_name) {
  const std::string n = core::to_lower(device_name);
  if (n == "d1") return 645.0;                                           // T6
  if (n.rfind("a100", 0) == 0) return 826.0;                             // N1
  if (n.rfind("h100", 0) == 0 || n.rfind("h200", 0) == 0) return 814.0;  // N2 (H200: same die)
  return std::nullopt;
}

void register_economics(core::Registry& r) {
  core::ComponentDoc d;
  d.kind = "economics-parameter";
  d.name = "economics";
  d.help =
      "assumptions of the power, cost and yield models (yield: --econ KEY=VALUE; run, search, compare, sweep, build-vs-buy: "
      "--set economics.KEY=VALUE); see docs/economics.md";
  for (const auto& e : table())
    d.params.push_back(
        {e.info.name, e.info.type, e.info.unit, e.info.default_value, e.info.help + " [source: " + e.info.source + "]"});
  r.add(std::move(d));
}

}  // namespace dojosim::economics
