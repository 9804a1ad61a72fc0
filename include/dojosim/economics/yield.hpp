// Die, wafer and training-tile yield, and the cost of a good tile.
//
// Die yield from die area A and defect density D0 (docs/economics.md section 3):
//   Poisson            Y = exp(-A D0)
//   Murphy             Y = ((1 - exp(-A D0)) / (A D0))^2            (Murphy 1964)
//   negative binomial  Y = (1 + A D0 / alpha)^(-alpha)              (Stapper; alpha = clustering)
// A tile (Dojo: 25 D1 on an InFO_SoW wafer, T4) works when at least `dies` of its placed
// dies work (binomial tail over dies + spares) and wafer-level integration and assembly
// succeed. With known-good-die (KGD) testing a placed die is bad only if it escaped the test.
//
// Contract: functions are pure; arguments outside their domain (negative area, yields
// outside [0, 1], alpha <= 0, ...) throw std::invalid_argument — user input is validated
// earlier by EconomicsParams. Areas: cm^2 for the yield formulas, mm^2 where named so.
#pragma once

#include "dojosim/economics/params.hpp"
#include "dojosim/hardware/system.hpp"

namespace dojosim::economics {

double poisson_yield(double area_cm2, double d0_per_cm2);
double murphy_yield(double area_cm2, double d0_per_cm2);
double negative_binomial_yield(double area_cm2, double d0_per_cm2, double alpha);
double die_yield(YieldModel m, double area_cm2, double d0_per_cm2, double alpha = 3.0);

// P(at least k of n independent trials succeed), each with probability p.
double at_least_k_of_n(int k, int n, double p);

// Gross dies per wafer: pi (d/2)^2 / A - pi d / sqrt(2 A) (the usual edge-loss
// approximation), A and d in mm.
double dies_per_wafer(double die_area_mm2, double wafer_diameter_mm = 300);

struct TileYieldInputs {
  int dies = 25;         // dies a working tile needs (T4: 25 D1)
  int spares = 0;        // extra dies placed
  double die_yield = 1;  // of an untested die
  bool known_good_die = true;
  double kgd_escape_rate = 0;  // fraction of bad dies that pass the KGD test
  double integration_yield = 1;
  double assembly_yield = 1;
};

struct TileYield {
  double placed_die_good = 1;  // probability a placed die works
  double dies_ok = 1;          // P(at least `dies` of dies + spares work)
  double tile_yield = 1;       // dies_ok * integration * assembly
};
TileYield tile_yield(const TileYieldInputs& in);

struct DieCost {
  double raw_usd = 0;   // an untested die
  double good_usd = 0;  // a known-good die (tested, yield loss included)
};
// Bottom-up: raw = wafer / dies_per_wafer; good = raw / die_yield + test cost.
DieCost die_cost_from_wafer(double wafer_cost_usd, double dies_per_wafer, double die_yield, double test_cost_usd = 0);
// From a good-die price (the device price of a preset): raw = good * die_yield.
DieCost die_cost_from_good_price(double good_usd, double die_yield);

struct TileCost {
  int placed_dies = 0;
  double placed_die_usd = 0;   // good_usd with KGD, raw_usd without
  double integration_usd = 0;  // per tile attempt
  double attempt_usd = 0;      // placed_dies * placed_die_usd + integration_usd
  double tile_yield = 1;
  double per_good_tile_usd = 0;  // attempt_usd / tile_yield
};
TileCost tile_cost(const DieCost& die, bool known_good_die, int placed_dies, double integration_usd, double tile_yield);

// Everything above for one System and set of assumptions. For a system with a "tile"
// level (Dojo) the tile figures are filled; otherwise has_tile is false and only the die
// figures (when the die area is known) are.
struct YieldAnalysis {
  bool has_die_area = false;
  double die_area_mm2 = 0;
  std::string die_area_source;  // "T6", "N2", "--econ" ...
  double die_yield = 1;         // from the model (1 when the area is unknown)
  double dies_per_wafer = 0;
  DieCost die;
  bool has_tile = false;
  int tiles = 0;
  int tile_level = -1;  // index into System::levels
  TileYieldInputs tile_inputs;
  TileYield yield;                    // modelled
  bool tile_yield_set = false;        // tile yield given by the user instead of modelled
  double tile_yield_without_kgd = 1;  // the same tile without KGD testing (for comparison)
  TileCost tile;                      // with the tile yield actually used
};
YieldAnalysis analyse_yield(const hardware::System& s, const EconomicsParams& p = {});
// The wafer-scale level the yield and die-cost model prices: the level named "tile", or -1
// (where the tile keys act: economics::reject_without_effect's KeyUse::tile_system).
int tile_level(const hardware::System& s);

}  // namespace dojosim::economics
