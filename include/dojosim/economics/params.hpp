// The assumptions behind every energy, cost and yield figure, in one overridable struct.
//
// Contract: a default-constructed EconomicsParams holds the documented defaults of
// docs/economics.md; each default either cites specs/hardware_facts.md or is marked
// `assumption` in the parameter table (economics_params()). Overrides are "key=value"
// strings (`--econ electricity_usd_per_kwh=0.08`, or `--set economics.KEY=VALUE`, whose
// "economics."/"econ." prefix is accepted and stripped). An unknown key or a value of the
// wrong kind or out of range throws core::InputError (exit 2) naming the key, what was
// expected and, for a typo, the nearest known key. Parameters that default to "take it
// from the System" are std::optional and empty by default.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dojosim/core/errors.hpp"
#include "dojosim/core/registry.hpp"

namespace dojosim::economics {

enum class YieldModel { poisson, murphy, negative_binomial };
std::string_view yield_model_name(YieldModel m);  // "poisson", "murphy", "negbin"
// Accepts poisson, murphy, negbin (also negative_binomial, nb); a typo is an InputError
// with a suggestion.
YieldModel parse_yield_model(std::string_view s);

struct EconomicsParams {
  // --- Power: activity factors, each the fraction of a device's dynamic power
  // (tdp - idle_power) drawn in that phase of a step (docs/economics.md section 1).
  double compute_floor = 0.5;         // compute phase at utilisation 0; rises linearly to 1 at utilisation 1
  double memory_bound_factor = 0.6;   // memory-bound kernels, weight/optimizer streaming
  double communication_factor = 0.3;  // exposed communication (device waits on its links)
  double overlap_factor = 0.15;       // extra while communication overlaps compute (capped at TDP)
  double wait_factor = 0.1;           // waiting: pipeline bubble, barrier, stragglers (clocks up, no work)
  std::optional<double> pue;          // default: System::pue

  // --- Capital.
  double amortisation_years = 4.0;  // straight-line (or annuity) life of the hardware
  double interest_rate = 0.0;       // annual cost of capital; > 0 uses the annuity formula
  double duty_cycle = 1.0;          // fraction of wall-clock time the machine does paid-for work

  // --- Operating.
  double electricity_usd_per_kwh = 0.08;
  double facility_usd_per_kw_year = 0;   // space, cooling plant, staff per provisioned IT kW (optional)
  double usd_per_rack_year = 0;          // per instance of rack_level (optional)
  std::string rack_level;                // "" = "cabinet" or "rack" if the system has one, else its innermost level
  double cloud_usd_per_device_hour = 0;  // > 0: rent instead of own; replaces capital, electricity, facility

  // --- Delivered work when no engine result is at hand (the yield command).
  double mfu = 0.4;  // model FLOP/s achieved over peak

  // --- Yield (docs/economics.md section 3).
  std::optional<double> die_area_mm2;   // default: known_die_area_mm2(device name)
  double defect_density_per_cm2 = 0.1;  // D0
  YieldModel yield_model = YieldModel::negative_binomial;
  double negbin_alpha = 3.0;         // clustering parameter of the negative binomial model
  bool known_good_die = true;        // dies tested before they are placed on the tile
  double kgd_escape_rate = 0.0;      // fraction of bad dies that pass the known-good-die test
  int spare_dies = 0;                // extra dies placed per tile; the tile works if `dies` of them do
  double integration_yield = 0.9;    // wafer-level integration (InFO_SoW RDL, I/O dies, bonding)
  double assembly_yield = 0.98;      // power/cooling module assembly and final test
  std::optional<double> tile_yield;  // set: use this tile yield instead of the model
  double wafer_cost_usd = 0;         // > 0: die cost bottom-up from the wafer; 0: from the device price
  double wafer_diameter_mm = 300;
  double test_cost_per_die_usd = 0;            // known-good-die test, when costing bottom-up from the wafer
  std::optional<double> integration_cost_usd;  // per tile attempt; default: the tile level's price

  // --- Program: building a custom machine vs buying GPUs (docs/economics.md section 7,
  // economics/program.hpp). Dollar figures are for the whole programme.
  double nre_chip_design_usd = 200e6;         // chip design and verification (7 nm SoC: $120-420 M, S4)
  double mask_set_usd = 15e6;                 // one N7 mask set (> $10 M at 7 nm, S3)
  int tapeouts = 2;                           // mask sets bought (first silicon + one respin)
  double nre_packaging_usd = 100e6;           // wafer-scale packaging development (InFO_SoW)
  double nre_system_design_usd = 150e6;       // trays, cabinets, DIPs, power, cooling, TTPoE
  double software_engineer_years = 600;       // compiler, kernels, runtime, tooling
  double usd_per_engineer_year = 400e3;       // fully loaded
  double nre_scale = 1;                       // multiplies the whole NRE (sensitivity)
  double program_start_year = 2019;           // design start (T14: first mentioned 2019)
  double ready_year = 2023.5;                 // first units in production (T14: July 2023)
  double ramp_years = 1;                      // first to last unit
  double delay_months = 0;                    // slip of ready_year
  double program_life_years = 4;              // years each unit does paid-for work
  double unit_price_scale = 1;                // multiplies the custom machine's capital
  double gpu_price_decline_per_year = 0.065;  // a GPU's price falls this fraction a year after launch
  double gpu_price_scale = 1;                 // multiplies every GPU system's capital
  double gpu_rent_premium = 2;                // rent / owned cost (capital, power, facility) per GPU-hour
};

// One documented parameter: name, kind, unit, default (as text), source ("T6", "N9",
// "assumption") and help.
struct ParamInfo {
  std::string name, type, unit, default_value, source, help;
};
const std::vector<ParamInfo>& economics_params();
std::vector<std::string> economics_param_names();

// True for "economics.KEY=..." and "econ.KEY=..." (for routing --set overrides here).
bool is_economics_key(std::string_view assignment);
// Where a key acts (KEY, "economics.KEY" or "econ.KEY"): everywhere, only on systems with a
// wafer-scale `tile` level (the yield and die-cost model, docs/economics.md §3), only in the
// custom-machine programme of build-vs-buy (§5), or only in the yield command (mfu).
enum class KeyScope { everywhere, tile_systems, programme, yield_command };
KeyScope key_scope(std::string_view key);
// Where an economics key is used: by a command that prices engine results (run, search,
// compare, sensitivity, build-vs-buy, sweep points), whether the custom-machine programme
// is priced too (build-vs-buy), and whether any system of the command has a wafer-scale
// `tile` level (`systems` names them for the message).
struct KeyUse {
  bool programme = false;
  bool tile_system = false;
  std::string systems;
};
// A key that cannot act on such a use, as an input error at `where` (its key set to the key
// as written): mfu (the yield command's, when no engine result is at hand), the programme
// keys outside build-vs-buy, the yield and die-cost keys without a tile level. Shared by
// every command, so none silently ignores what another refuses.
void reject_without_effect(std::string_view key, const KeyUse& use, core::Location where);
// Applies one "key=value" override. `origin` names where it came from ("--econ") for messages.
void apply_override(EconomicsParams& p, std::string_view assignment, std::string_view origin = "--econ");
// Applies each override in order to `base`.
EconomicsParams parse_params(const std::vector<std::string>& assignments, EconomicsParams base = {},
                             std::string_view origin = "--econ");
// The resolved value of every parameter as text ("" for an unset optional), in table order.
std::vector<std::pair<std::string, std::string>> describe(const EconomicsParams& p);

// Die area of known devices: d1 645 mm2 (T6), a100-* 826 mm2 (N1), h100/h200 814 mm2 (N2).
std::optional<double> known_die_area_mm2(std::string_view device_name);

// Adds the "economics-parameter" components to the registry (for `dojosim list` and docs).
void register_economics(core::Registry& r);

}  // namespace dojosim::economics
