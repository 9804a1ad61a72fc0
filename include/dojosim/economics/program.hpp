// Building a custom machine vs buying or renting GPUs: the programme's non-recurring
// engineering (NRE), its schedule, the GPUs of each year, and cost per delivered PFLOP-day
// over the programme's life (docs/economics.md section 7).
//
// Model:
//   NRE          = nre_scale x (chip design + tapeouts x mask set + packaging development
//                  + system design + software engineer-years x $/engineer-year)
//   burn/month   = nre_scale x (chip design + system design + software) / design months,
//                  design months = 12 x (ready_year - program_start_year); a slip of d months
//                  adds d x burn to the NRE (the teams are paid while the machine is late).
//   used_s       = program_life_years x seconds per year x duty_cycle (paid-for seconds of
//                  each unit over its life)
//   a unit       = one custom system (an ExaPOD) or one GPU system, with cost rate c (USD/s
//                  of use: capital recovery, electricity, facility; cost.hpp) and delivered
//                  model FLOP/s F from its best plan (the engine).
//   unit $/PFLOP-day              = c / F x 8.64e19                  (= compare's figure)
//   programme $/PFLOP-day(N units)= unit $/PFLOP-day + NRE x 8.64e19 / (N x F x used_s)
//   break-even N*                 = NRE x 8.64e19 / (F x used_s x (g - unit $/PFLOP-day)),
//                                   g = the best GPU option's $/PFLOP-day; none when g <= unit.
//   GPU price at year y           = preset price x gpu_price_scale
//                                   x (1 - gpu_price_decline_per_year)^max(0, y - launch)
//   GPU rent                      = gpu_rent_premium x owned cost per GPU-hour.
//   The custom machine faces the GPUs on sale at its comparison year: ready_year + delay +
//   ramp_years / 2 (the mean arrival of its units).
//
// Contract: pure functions of their arguments; parameters were validated by
// EconomicsParams. A non-positive throughput or fleet is a caller error
// (std::invalid_argument).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dojosim/core/units.hpp"
#include "dojosim/economics/params.hpp"

namespace dojosim::economics {

struct Nre {
  core::Usd chip_design, masks, packaging, system_design, software;
  core::Usd total;  // sum of the above (each already x nre_scale)
};
Nre program_nre(const EconomicsParams& p);

// Months from design start to the first units (at least 1).
double design_months(const EconomicsParams& p);
// What one month of slip costs: the design and software teams' burn.
core::Usd delay_cost_per_month(const EconomicsParams& p);
// NRE including p.delay_months plus `extra_delay_months` of slip.
core::Usd nre_with_delay(const EconomicsParams& p, double extra_delay_months = 0);

struct Schedule {
  double design_start = 0;     // program_start_year
  double first_unit = 0;       // ready_year + delay
  double last_unit = 0;        // first_unit + ramp_years
  double comparison_year = 0;  // first_unit + ramp_years / 2: when the GPUs it faces are bought
};
Schedule program_schedule(const EconomicsParams& p, double extra_delay_months = 0);

// Paid-for seconds of one unit over the programme's life.
double used_seconds(const EconomicsParams& p);

// Price multiplier of a GPU system launched in `launch_year` and bought in `year`.
double gpu_price_factor(const EconomicsParams& p, double launch_year, double year);

// One unit of a fleet: its cost per second of use and its delivered model FLOP/s.
struct UnitEconomics {
  double usd_per_s = 0;
  core::FlopRate delivered;
};
// c / F in USD per delivered PFLOP-day (no NRE).
double unit_usd_per_pflop_day(const UnitEconomics& u);
// Over the programme: the unit figure plus the NRE spread over `units` x F x used_s.
double program_usd_per_pflop_day(core::Usd nre, double units, const UnitEconomics& u, double used_s);
// Units at which the programme's $/PFLOP-day equals `target`; nullopt when the unit figure
// is not below the target (no fleet pays the NRE back).
std::optional<double> break_even_units(core::Usd nre, const UnitEconomics& u, double target_usd_per_pflop_day, double used_s);

// One GPU system that could be bought from `year` on; price and performance come from the
// preset `spec` (a system spec, `dgx-h100:nodes=128`).
struct RoadmapEntry {
  std::string name;    // "H100"
  std::string spec;    // "dgx-h100:nodes=128"
  double year = 0;     // first year it can be bought in volume
  std::string source;  // of the year
};
// A100 (2020.4), H100 (2023), H200 (2024.5), B200 (2025), GB200 NVL72 (2025.25).
const std::vector<RoadmapEntry>& default_roadmap();
// "SPEC@YEAR" (e.g. "dgx-h100:nodes=64@2023"): an InputError naming `option` otherwise.
RoadmapEntry parse_roadmap_entry(std::string_view text, std::string_view option = "--gpu");

}  // namespace dojosim::economics
