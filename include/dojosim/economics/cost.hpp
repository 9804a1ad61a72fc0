// Capital and operating cost of a System, per step, per training run, and per delivered
// PFLOP-day.
//
// Model (docs/economics.md section 2):
//   capital      = devices x device price + sum over levels of price x instances + DIPs;
//                  for a system with a tile level (Dojo) the tile's dies and integration
//                  are replaced by tiles x cost per good tile (yield.hpp), so yield loss is
//                  part of the capital.
//   capital/s    = capital x CRF(r, n) / (seconds per year x duty_cycle),
//                  CRF = r / (1 - (1 + r)^-n) (annuity), = 1/n when r = 0 (straight line).
//   electricity/s= facility power (PUE included) x $/kWh.
//   facility/s   = (usd_per_kw_year x provisioned IT kW + usd_per_rack_year x racks)
//                  / (seconds per year x duty_cycle).
//   cloud/s      = devices x $/device-hour / 3600, replacing all of the above when set.
//   $/PFLOP-day  = cost / (model FLOPs / (1e15 x 86400)) — delivered (model) FLOPs only.
//
// Contract: pure functions of their arguments; parameters were validated by
// EconomicsParams, Activity/PowerReport by power.hpp.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "dojosim/economics/params.hpp"
#include "dojosim/economics/power.hpp"
#include "dojosim/economics/yield.hpp"
#include "dojosim/hardware/system.hpp"

namespace dojosim::economics {

inline constexpr double kSecondsPerYear = 365.25 * 86400.0;
inline constexpr double kPflopDay = 1e15 * 86400.0;  // FLOPs in one PFLOP/s-day

struct CapitalCost {
  double devices_usd = 0;  // devices not inside tiles (all devices for GPU systems)
  double levels_usd = 0;   // level prices x instances (tile level excluded when tiled)
  double dips_usd = 0;
  double tiles_usd = 0;  // tiles x cost per good tile (Dojo), the yield-dependent part
  double total_usd = 0;
  double tile_yield = 1;                                  // used for tiles_usd (1 when there are no tiles)
  std::vector<std::pair<std::string, double>> per_level;  // level name -> price x instances
};
CapitalCost capital_cost(const hardware::System& s, const EconomicsParams& p = {});
// As capital_cost, with the tile figures from an existing analysis (saves recomputing it).
CapitalCost capital_cost(const hardware::System& s, const YieldAnalysis& y);

// Capital recovery factor per year: r / (1 - (1 + r)^-n), or 1/n when r == 0.
double capital_recovery_factor(double rate, double years);

// Instances of the level used as "rack" for usd_per_rack_year.
long long rack_count(const hardware::System& s, const EconomicsParams& p = {});

// Cost of holding and running the machine, per second of its use.
struct CostRate {
  double capital_usd_per_s = 0;
  double electricity_usd_per_s = 0;
  double facility_usd_per_s = 0;
  double cloud_usd_per_s = 0;
  double total_usd_per_s = 0;
};
CostRate cost_rate(const hardware::System& s, const CapitalCost& capital, const PowerReport& power,
                   const EconomicsParams& p = {});

struct Cost {
  double duration_s = 0;
  double energy_j = 0;  // facility energy, PUE included
  double capital_usd = 0;
  double electricity_usd = 0;
  double facility_usd = 0;
  double cloud_usd = 0;
  double total_usd = 0;
  double model_flops = 0;        // delivered (model) FLOPs in duration_s
  double usd_per_pflop_day = 0;  // total_usd per delivered PFLOP-day (0 when model_flops == 0)
};
// Cost of `duration_s` at the given rate and average power.
Cost cost_for(const CostRate& rate, const PowerReport& power, double duration_s, double model_flops);

double usd_per_pflop_day(double usd, double model_flops);

// One call for the engine: power, energy and cost of one step. `model_flops_per_step` is
// the FLOPs the model needs per step (not recompute), for $/PFLOP-day.
struct StepEconomics {
  PowerReport power;
  CapitalCost capital;
  CostRate rate;
  Cost step;  // one step: step.total_usd is DESIGN 4.3 `cost_usd_per_step`
  [[nodiscard]] double energy_j_per_step() const { return power.energy_j_per_step; }
  [[nodiscard]] double power_w() const { return power.power_w; }
  [[nodiscard]] double cost_usd_per_step() const { return step.total_usd; }
};
StepEconomics evaluate_step(const hardware::System& s, const Activity& a, double model_flops_per_step,
                            const EconomicsParams& p = {});
// A training run of `steps` steps (time, energy, cost, $/PFLOP-day) from one step's economics.
Cost training_run(const StepEconomics& step, double steps);
// A training run given its duration in seconds and total model FLOPs.
Cost training_run_for_duration(const StepEconomics& step, double duration_s, double model_flops);

// $/delivered PFLOP-day in steady state at `mfu` (model FLOP/s over peak at precision
// `prec`), power taken as pure compute at utilisation = mfu. For the yield command.
struct SteadyState {
  PowerReport power;
  CapitalCost capital;
  CostRate rate;
  double delivered_flops_per_s = 0;
  double usd_per_pflop_day = 0;
  double capital_usd_per_pflop_day = 0;
  double operating_usd_per_pflop_day = 0;  // electricity + facility (or cloud)
};
SteadyState steady_state(const hardware::System& s, const CapitalCost& capital, double mfu, hardware::Precision prec,
                         const EconomicsParams& p = {});

}  // namespace dojosim::economics
