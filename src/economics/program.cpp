#include "dojosim/economics/program.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"
#include "dojosim/economics/cost.hpp"

namespace dojosim::economics {

using core::Usd;

Nre program_nre(const EconomicsParams& p) {
  const double k = p.nre_scale;
  Nre n;
  n.chip_design = Usd(p.nre_chip_design_usd * k);
  n.masks = Usd(p.mask_set_usd * p.tapeouts * k);
  n.packaging = Usd(p.nre_packaging_usd * k);
  n.system_design = Usd(p.nre_system_design_usd * k);
  n.software = Usd(p.software_engineer_years * p.usd_per_engineer_year * k);
  n.total = n.chip_design + n.masks + n.packaging + n.system_design + n.software;
  return n;
}

double design_months(const EconomicsParams& p) { return std::max(1.0, 12.0 * (p.ready_year - p.program_start_year)); }

Usd delay_cost_per_month(const EconomicsParams& p) {
  const Nre n = program_nre(p);
  return (n.chip_design + n.system_design + n.software) / design_months(p);
}

Usd nre_with_delay(const EconomicsParams& p, double extra_delay_months) {
  return program_nre(p).total + delay_cost_per_month(p) * (p.delay_months + extra_delay_months);
}

Schedule program_schedule(const EconomicsParams& p, double extra_delay_months) {
  Schedule s;
  s.design_start = p.program_start_year;
  s.first_unit = p.ready_year + (p.delay_months + extra_delay_months) / 12.0;
  s.last_unit = s.first_unit + p.ramp_years;
  s.comparison_year = s.first_unit + p.ramp_years / 2.0;
  return s;
}

double used_seconds(const EconomicsParams& p) { return p.program_life_years * kSecondsPerYear * p.duty_cycle; }

double gpu_price_factor(const EconomicsParams& p, double launch_year, double year) {
  return p.gpu_price_scale * std::pow(1.0 - p.gpu_price_decline_per_year, std::max(0.0, year - launch_year));
}

double unit_usd_per_pflop_day(const UnitEconomics& u) {
  if (!(u.delivered.value() > 0)) throw std::invalid_argument("unit_usd_per_pflop_day: delivered FLOP/s must be > 0");
  return u.usd_per_s / u.delivered.value() * kPflopDay;
}

double program_usd_per_pflop_day(Usd nre, double units, const UnitEconomics& u, double used_s) {
  if (!(units > 0) || !(used_s > 0)) throw std::invalid_argument("program_usd_per_pflop_day: units and used_s must be > 0");
  return unit_usd_per_pflop_day(u) + nre.value() * kPflopDay / (units * u.delivered.value() * used_s);
}

std::optional<double> break_even_units(Usd nre, const UnitEconomics& u, double target, double used_s) {
  if (!(used_s > 0)) throw std::invalid_argument("break_even_units: used_s must be > 0");
  const double saving = target - unit_usd_per_pflop_day(u);  // per PFLOP-day delivered
  if (!(saving > 0)) return std::nullopt;
  return nre.value() * kPflopDay / (u.delivered.value() * used_s * saving);
}

const std::vector<RoadmapEntry>& default_roadmap() {
  // Sizes: about 1,000 GPUs each, the scale at which their per-GPU throughput is measured.
  static const std::vector<RoadmapEntry> r = {
      {"A100", "dgx-a100:nodes=128", 2020.4, "N5 (DGX A100 launched May 2020)"},
      {"H100", "dgx-h100:nodes=128", 2023.0, "N2, N9 (announced 2022; volume 2023: assumption)"},
      {"H200", "dgx-h200:nodes=128", 2024.5, "N4 (announced Nov 2023, shipping mid-2024)"},
      {"B200", "dgx-b200:nodes=128", 2025.0, "N3, N7 (volume 2025: assumption)"},
      {"GB200", "gb200-nvl72:racks=14", 2025.25, "N3 (volume 2025: assumption)"},
  };
  return r;
}

RoadmapEntry parse_roadmap_entry(std::string_view text, std::string_view option) {
  const core::Location loc{"", 0, 0, std::string(option)};
  const auto at = text.rfind('@');
  if (at == std::string_view::npos || at == 0)
    throw core::InputError(loc, fmt::format("'{}' is not SYSTEM@YEAR", text), "a system and the year it can be bought",
                           "e.g. dgx-h100:nodes=128@2023");
  RoadmapEntry e;
  e.spec = core::trim(text.substr(0, at));
  e.name = e.spec.substr(0, e.spec.find(':'));  // the preset (or file) name; the spec is shown beside it
  e.source = "--gpu";
  const std::string year = core::trim(text.substr(at + 1));
  try {
    std::size_t used = 0;
    e.year = std::stod(year, &used);
    if (used != year.size()) throw std::invalid_argument(year);
  } catch (const std::exception&) {
    throw core::InputError(loc, fmt::format("cannot read the year '{}' of '{}'", year, text), "a year, e.g. 2023 or 2024.5",
                           "e.g. dgx-h100:nodes=128@2023");
  }
  if (!(e.year >= 1990 && e.year <= 2100))
    throw core::InputError(loc, fmt::format("year {} of '{}' is out of range", year, text), "a year in [1990, 2100]");
  return e;
}

}  // namespace dojosim::economics
