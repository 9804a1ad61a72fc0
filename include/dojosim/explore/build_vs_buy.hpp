// dojosim build-vs-buy: a custom machine's programme (NRE, schedule, fleet) against buying
// or renting the GPUs on sale when it is ready, for one workload, in cost per delivered
// PFLOP-day over the programme's life (formulas: economics/program.hpp,
// docs/economics.md section 7).
//
// Each system (the custom one and every roadmap entry) runs its best plan once (dojosim
// search, time objective, as `compare`); everything else — NRE, prices over time, the
// fleet, break-even, delay, the sensitivity table — is arithmetic on those results, so a
// report costs one search per system.
//
// Contract: deterministic (same request, same report, same bytes of text, JSON and SVG).
// Bad input throws core::InputError (exit 2); no roadmap entry on sale by the comparison
// year, or a plan that does not fit, throws core::Infeasible (exit 3).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "dojosim/economics/cost.hpp"
#include "dojosim/economics/program.hpp"
#include "dojosim/engine/engine.hpp"
#include "dojosim/workload/workload.hpp"

namespace dojosim::explore {

// The engine context of a system for the workload (sets the partial strategy's seq).
using ContextFn = std::function<engine::Context(const hardware::System&, parallel::Strategy&)>;

struct BuildVsBuyRequest {
  std::string custom = "dojo-exapod";    // the custom machine; one unit of the fleet
  std::vector<std::string> system_sets;  // --set KEY=VALUE for every system
  const workload::Workload* workload = nullptr;
  parallel::Strategy partial;  // keys held fixed on every system
  ContextFn context;
  std::string stack;  // the software stack every machine runs on (named in the report)
  std::vector<economics::RoadmapEntry> roadmap = economics::default_roadmap();
  economics::EconomicsParams params;
  double fleet_units = 0;    // > 0: the custom fleet, in units of `custom`
  double work_per_year = 0;  // > 0 instead: tokens (vision: samples) a year, which size the fleet
};

// One way to get the compute.
struct Option {
  std::string name, spec, kind;  // kind: "custom" (NRE included), "custom-unit" (no NRE), "buy", "rent"
  std::string device;
  double year = 0;  // on sale from (custom: first unit)
  long long devices_per_unit = 0;
  double price_factor = 1;  // GPU price at purchase over the preset's
  double capital_usd_per_unit = 0;
  double usd_per_s_per_unit = 0;  // cost per second of use (rent: the rent)
  double usd_per_device_hour = 0;
  double delivered_flops_per_unit = 0;
  double mfu = 0;
  double usd_per_pflop_day = 0;            // over the programme (custom: NRE spread over the fleet)
  double units = 0;                        // units delivering what the custom fleet delivers
  double cost_over_life_usd = 0;           // units x cost rate x used seconds (+ NRE for custom)
  std::optional<double> break_even_units;  // custom fleet at which the custom machine matches this option
};

struct SensitivityRow {
  std::string parameter, low, high;                                   // what was changed, to what
  double custom_low = 0, custom_high = 0, gpu_low = 0, gpu_high = 0;  // $/PFLOP-day
  std::optional<double> break_even_low, break_even_high;              // units
};

struct DelayPoint {
  double months = 0, custom = 0, best_gpu = 0;
  std::string best;
};

struct BuildVsBuyReport {
  std::string model, work_unit;  // work_unit: "tokens", "images" or "clips"
  std::string stack;             // every machine's software stack
  economics::EconomicsParams params;
  economics::Nre nre;
  double delay_cost_per_month = 0, nre_with_delay = 0;
  economics::Schedule schedule;
  economics::CapitalCost unit_capital;  // the custom unit's, before unit_price_scale
  bool has_tile = false;
  double tile_yield = 1, good_die_usd = 0, good_tile_usd = 0;
  double fleet_units = 0, fleet_delivered_flops = 0, work_per_year = 0, used_s = 0;
  Option custom, custom_unit;
  std::vector<Option> gpus;                    // on sale at the comparison year: buy and rent for each
  std::vector<std::string> not_yet;            // roadmap entries launched after it
  std::vector<std::string> cannot_run;         // roadmap entries on which the workload does not fit, with why
  int best = -1;                               // index into gpus of the cheapest
  double advantage_usd_per_pflop_day = 0;      // best GPU minus custom (> 0: the custom machine wins)
  std::optional<double> break_even_units;      // against the best GPU option
  std::optional<double> delay_erasing_months;  // extra slip at which the advantage is gone
  double delay_horizon_months = 120;
  std::vector<DelayPoint> delay_curve;  // every 6 months up to 60
  std::vector<SensitivityRow> sensitivity;
};

BuildVsBuyReport build_vs_buy(const BuildVsBuyRequest& req);
nlohmann::ordered_json to_json(const BuildVsBuyReport& r);
std::string to_text(const BuildVsBuyReport& r);
std::string to_svg(const BuildVsBuyReport& r);

}  // namespace dojosim::explore
