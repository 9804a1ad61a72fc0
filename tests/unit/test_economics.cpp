// Energy, cost and yield: closed-form checks of every formula in docs/economics.md.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>

#include <cmath>
#include <functional>
#include <numbers>
#include <stdexcept>

#include "dojosim/core/errors.hpp"
#include "dojosim/economics/cost.hpp"
#include "dojosim/economics/params.hpp"
#include "dojosim/economics/power.hpp"
#include "dojosim/economics/yield.hpp"
#include "dojosim/hardware/system.hpp"

using namespace dojosim;
using namespace dojosim::economics;

namespace {
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const core::Error& e) { return e.what(); }
  return "";
}
constexpr double kD1AreaCm2 = 6.45;  // 645 mm2 (T6)
}  // namespace

// ---------------------------------------------------------------- yield models

TEST(Yield, PoissonIsExpMinusAD0) {
  EXPECT_DOUBLE_EQ(poisson_yield(kD1AreaCm2, 0.1), std::exp(-0.645));
  EXPECT_DOUBLE_EQ(poisson_yield(1.0, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(poisson_yield(2.0, 0.5), std::exp(-1.0));
}

TEST(Yield, MurphyClosedForm) {
  const double x = kD1AreaCm2 * 0.1;
  const double f = (1 - std::exp(-x)) / x;
  EXPECT_NEAR(murphy_yield(kD1AreaCm2, 0.1), f * f, 1e-15);
  EXPECT_DOUBLE_EQ(murphy_yield(1.0, 0.0), 1.0);
  // Murphy lies above Poisson for every A*D0 > 0 (defects averaged over a triangular density).
  for (double d0 : {0.01, 0.1, 0.5, 2.0}) EXPECT_GT(murphy_yield(kD1AreaCm2, d0), poisson_yield(kD1AreaCm2, d0));
}

TEST(Yield, NegativeBinomialClosedFormAndLimits) {
  const double x = kD1AreaCm2 * 0.1;
  EXPECT_NEAR(negative_binomial_yield(kD1AreaCm2, 0.1, 3.0), std::pow(1 + x / 3.0, -3.0), 1e-15);
  // alpha = 1 is the Seeds model 1 / (1 + A D0).
  EXPECT_NEAR(negative_binomial_yield(kD1AreaCm2, 0.1, 1.0), 1 / (1 + x), 1e-15);
  // alpha -> infinity: Poisson.
  EXPECT_NEAR(negative_binomial_yield(kD1AreaCm2, 0.1, 1e9), poisson_yield(kD1AreaCm2, 0.1), 1e-9);
  EXPECT_NEAR(negative_binomial_yield(kD1AreaCm2, 0.1, 1e4), poisson_yield(kD1AreaCm2, 0.1), 1e-4);
  // Clustering (small alpha) raises yield for the same mean defect count.
  EXPECT_GT(negative_binomial_yield(kD1AreaCm2, 0.1, 0.5), negative_binomial_yield(kD1AreaCm2, 0.1, 5));
  EXPECT_DOUBLE_EQ(die_yield(YieldModel::poisson, 2, 0.5), std::exp(-1.0));
  EXPECT_THROW(negative_binomial_yield(1, 0.1, 0), std::invalid_argument);
  EXPECT_THROW(poisson_yield(-1, 0.1), std::invalid_argument);
}

TEST(Yield, BinomialTail) {
  const double p = 0.9;
  EXPECT_NEAR(at_least_k_of_n(25, 25, p), std::pow(p, 25), 1e-15);
  EXPECT_NEAR(at_least_k_of_n(1, 2, p), 1 - (1 - p) * (1 - p), 1e-15);
  EXPECT_NEAR(at_least_k_of_n(25, 26, p), std::pow(p, 26) + 26 * std::pow(p, 25) * (1 - p), 1e-14);
  EXPECT_DOUBLE_EQ(at_least_k_of_n(0, 5, 0.3), 1.0);
  EXPECT_DOUBLE_EQ(at_least_k_of_n(6, 5, 0.3), 0.0);
  EXPECT_DOUBLE_EQ(at_least_k_of_n(3, 5, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(at_least_k_of_n(3, 5, 0.0), 0.0);
}

TEST(Yield, DiesPerWafer) {
  // pi 150^2 / 645 - pi 300 / sqrt(1290) = 109.59 - 26.24 = 83.35 -> 83.
  EXPECT_DOUBLE_EQ(dies_per_wafer(645), 83);
  EXPECT_DOUBLE_EQ(dies_per_wafer(100), std::floor(std::numbers::pi * 22500 / 100 - std::numbers::pi * 300 / std::sqrt(200.0)));
}

TEST(Yield, TileWithKnownGoodDieDependsOnlyOnIntegration) {
  TileYieldInputs in;
  in.die_yield = 0.5;
  in.integration_yield = 0.9;
  in.assembly_yield = 0.98;
  const auto t = tile_yield(in);
  EXPECT_DOUBLE_EQ(t.placed_die_good, 1.0);
  EXPECT_DOUBLE_EQ(t.tile_yield, 0.9 * 0.98);
}

TEST(Yield, TileWithoutKnownGoodDieNeedsAll25) {
  TileYieldInputs in;
  in.die_yield = 0.9;
  in.known_good_die = false;
  in.integration_yield = 0.9;
  EXPECT_NEAR(tile_yield(in).tile_yield, std::pow(0.9, 25) * 0.9, 1e-15);
  in.spares = 1;  // 25 of 26
  EXPECT_NEAR(tile_yield(in).tile_yield, (std::pow(0.9, 26) + 26 * std::pow(0.9, 25) * 0.1) * 0.9, 1e-14);
  in.spares = 3;
  EXPECT_GT(tile_yield(in).tile_yield, 0.5);  // spares rescue an untested tile
}

TEST(Yield, KnownGoodDieEscapes) {
  TileYieldInputs in;
  in.die_yield = 0.5;
  in.kgd_escape_rate = 0.02;
  const double q = 0.5 / (0.5 + 0.5 * 0.02);
  const auto t = tile_yield(in);
  EXPECT_NEAR(t.placed_die_good, q, 1e-15);
  EXPECT_NEAR(t.tile_yield, std::pow(q, 25), 1e-14);
}

TEST(Yield, DieCost) {
  const auto w = die_cost_from_wafer(10000, 80, 0.5, 5);
  EXPECT_DOUBLE_EQ(w.raw_usd, 125);
  EXPECT_DOUBLE_EQ(w.good_usd, (125 + 5) / 0.5);
  const auto g = die_cost_from_good_price(3000, 0.5);
  EXPECT_DOUBLE_EQ(g.raw_usd, 1500);
  EXPECT_DOUBLE_EQ(g.good_usd, 3000);
}

TEST(Yield, CostPerGoodTileScalesAsInverseYield) {
  const DieCost die{1000, 3000};
  const auto a = tile_cost(die, true, 25, 75000, 0.9);
  const auto b = tile_cost(die, true, 25, 75000, 0.4);
  EXPECT_DOUBLE_EQ(a.attempt_usd, 25 * 3000 + 75000);
  EXPECT_DOUBLE_EQ(a.per_good_tile_usd, 150000 / 0.9);
  EXPECT_NEAR(b.per_good_tile_usd / a.per_good_tile_usd, 0.9 / 0.4, 1e-14);
  EXPECT_DOUBLE_EQ(tile_cost(die, false, 26, 0, 1).attempt_usd, 26 * 1000);
}

TEST(Yield, AnalysisOfTheExapod) {
  const auto s = hardware::load_system("dojo-exapod");
  EconomicsParams p;
  const auto y = analyse_yield(s, p);
  EXPECT_TRUE(y.has_die_area);
  EXPECT_EQ(y.die_area_mm2, 645);
  EXPECT_EQ(y.die_area_source, "T6");
  EXPECT_NEAR(y.die_yield, std::pow(1 + 0.645 / 3, -3), 1e-15);
  EXPECT_TRUE(y.has_tile);
  EXPECT_EQ(y.tiles, 120);
  EXPECT_EQ(y.tile_inputs.dies, 25);
  EXPECT_DOUBLE_EQ(y.tile.tile_yield, 0.9 * 0.98);
  EXPECT_DOUBLE_EQ(y.tile.integration_usd, 75000);
  EXPECT_LT(y.tile_yield_without_kgd, 1e-5);  // 25 untested dies at ~56 % each
  p.tile_yield = 0.4;
  EXPECT_DOUBLE_EQ(analyse_yield(s, p).tile.per_good_tile_usd, 150000 / 0.4);
  // GPUs: die figures only.
  const auto h = analyse_yield(hardware::load_system("dgx-h100"), {});
  EXPECT_FALSE(h.has_tile);
  EXPECT_EQ(h.die_area_mm2, 814);
}

// ---------------------------------------------------------------- power and energy

TEST(Power, FullComputeIsTdpPlusOverheadsTimesPue) {
  const auto s = hardware::load_system("dojo-tile");
  Activity a;
  a.step_time_s = 2.0;
  a.compute_s = 2.0;
  a.utilisation = 1.0;
  const auto r = step_power(s, a);
  EXPECT_DOUBLE_EQ(r.device_avg_w, 400);
  // A tile at full load: 25 x 400 W dies + 5 kW tile overhead = 15 kW (T6), plus its DIPs.
  EXPECT_DOUBLE_EQ(r.it_w, 15000 + s.dip.power * s.dip.count);
  EXPECT_DOUBLE_EQ(r.power_w, r.it_w * s.pue);
  EXPECT_DOUBLE_EQ(r.energy_j_per_step, r.power_w * 2.0);
  EXPECT_DOUBLE_EQ(r.it_energy_j_per_step, r.it_w * 2.0);
}

TEST(Power, ConstantPowerTimesTime) {
  const auto s = hardware::load_system("dgx-h100:nodes=2");
  EconomicsParams p;
  p.pue = 1.0;
  Activity a;
  a.step_time_s = 3.0;
  a.memory_bound_s = 3.0;
  const double per_device = s.device.idle_power + (s.device.tdp - s.device.idle_power) * p.memory_bound_factor;
  const auto r = step_power(s, a, p);
  EXPECT_NEAR(r.device_energy_j, per_device * 3.0, 1e-9);
  EXPECT_NEAR(r.energy_j_per_step, (16 * per_device + 2 * 4600.0) * 3.0, 1e-6);
}

TEST(Power, PhasesAddUp) {
  const auto s = hardware::load_system("dgx-a100:nodes=1");
  EconomicsParams p;
  Activity a;
  a.step_time_s = 10;
  a.compute_s = 4;
  a.utilisation = 0.6;
  a.memory_bound_s = 2;
  a.communication_s = 1.5;
  a.idle_s = 1;  // plus 1.5 s unassigned, also waiting
  const auto& d = s.device;
  const double dyn = d.tdp - d.idle_power;
  const double e = 4 * (d.idle_power + dyn * (p.compute_floor + (1 - p.compute_floor) * 0.6)) +
                   2 * (d.idle_power + dyn * p.memory_bound_factor) + 1.5 * (d.idle_power + dyn * p.communication_factor) +
                   2.5 * (d.idle_power + dyn * p.wait_factor);
  EXPECT_NEAR(step_power(s, a, p).device_energy_j, e, 1e-9);
  EXPECT_LT(step_power(s, a, p).device_avg_w, d.tdp);
}

TEST(Power, CappedAtTdp) {
  const auto s = hardware::load_system("dgx-h100");
  EconomicsParams p;
  p.compute_floor = 1.0;
  p.overlap_factor = 1.0;
  Activity a;
  a.step_time_s = 1;
  a.compute_s = 1;
  a.utilisation = 1;
  a.overlapped_communication_s = 1;
  EXPECT_DOUBLE_EQ(step_power(s, a, p).device_avg_w, s.device.tdp);
  EXPECT_DOUBLE_EQ(device_power_w(s.device, Phase::compute, 1.0, p), s.device.tdp);
  // Overlap below the cap adds exactly overlap_factor of dynamic power.
  EconomicsParams q;
  a.utilisation = 0;
  a.overlapped_communication_s = 0.5;
  const double dyn = s.device.tdp - s.device.idle_power;
  EXPECT_NEAR(step_power(s, a, q).device_avg_w, s.device.idle_power + dyn * (q.compute_floor + 0.5 * q.overlap_factor), 1e-9);
}

TEST(Power, PueMultiplies) {
  const auto s = hardware::load_system("dojo-exapod");
  Activity a;
  a.step_time_s = 1;
  a.compute_s = 0.5;
  EconomicsParams p1, p2;
  p1.pue = 1.0;
  p2.pue = 1.5;
  const auto r1 = step_power(s, a, p1), r2 = step_power(s, a, p2);
  EXPECT_DOUBLE_EQ(r2.energy_j_per_step, 1.5 * r1.energy_j_per_step);
  EXPECT_DOUBLE_EQ(r1.it_w, r2.it_w);
  EXPECT_DOUBLE_EQ(step_power(s, a).pue, 1.1);  // the preset's
}

TEST(Power, ExapodOverheads) {
  // 120 tiles x 5 kW + 20 trays x 10 kW + 10 cabinets x 10 kW + 20 kW + 400 DIPs x 60 W.
  EXPECT_DOUBLE_EQ(overhead_power_w(hardware::load_system("dojo-exapod")), 600e3 + 200e3 + 100e3 + 20e3 + 24e3);
  EXPECT_DOUBLE_EQ(provisioned_it_power_w(hardware::load_system("dojo-exapod")), 3000 * 400.0 + 944e3);
}

// Overheads that a preset states per unit (a node's, a rack's, a TPU cube's hosts and
// OCS share) grow with the units: per device they do not fall as the system grows. The TPU
// presets put the cube's 2 kW on the one-instance pod level, so 16 cubes paid it once
// (probe: 391 W per v5p chip at 16 cubes vs 422 W at one).
TEST(Power, PerUnitOverheadsScaleWithTheUnits) {
  for (const char* base : {"tpu-v4:cubes=", "tpu-v5p:cubes=", "dgx-h100:nodes=", "gb200-nvl72:racks=", "dgx-a100:nodes="}) {
    const double one = overhead_power_w(hardware::load_system(std::string(base) + "1"));
    const double many = overhead_power_w(hardware::load_system(std::string(base) + "16"));
    EXPECT_GT(one, 0) << base;
    EXPECT_NEAR(many / 16, one, one * 1e-9) << base;
  }
}

// AI Day 2022 (T8): a system tray draws more than 100 kW. Six 15 kW tiles (T6) and 20 DIPs
// alone are 91.2 kW; the tray level's overhead carries the rest.
TEST(Power, TrayDrawsOver100kW) {
  const auto tray = hardware::load_system("dojo-tray");
  const double w = provisioned_it_power_w(tray);
  EXPECT_DOUBLE_EQ(w, 6 * 15e3 + 20 * 60.0 + 10e3);
  EXPECT_GT(w, 100e3);
  // The same tray inside a cabinet and an ExaPOD: its share is the same.
  const auto exapod = hardware::load_system("dojo-exapod");
  const double per_tray = 150 * 400.0 + 6 * 5e3 + 10e3 + 20 * 60.0;
  EXPECT_GT(per_tray, 100e3);
  EXPECT_LT(per_tray * 20, provisioned_it_power_w(exapod));
}

TEST(Power, RejectsMalformedActivity) {
  const auto s = hardware::load_system("dgx-h100");
  Activity a;
  a.step_time_s = 1;
  a.compute_s = 0.8;
  a.communication_s = 0.5;
  EXPECT_THROW(step_power(s, a), std::invalid_argument);
  a.communication_s = 0;
  a.utilisation = 1.5;
  EXPECT_THROW(step_power(s, a), std::invalid_argument);
  a.utilisation = 0.5;
  a.step_time_s = 0;
  EXPECT_THROW(step_power(s, a), std::invalid_argument);
}

// ---------------------------------------------------------------- cost

TEST(Cost, CapitalRecoveryFactor) {
  EXPECT_DOUBLE_EQ(capital_recovery_factor(0, 4), 0.25);
  EXPECT_NEAR(capital_recovery_factor(0.05, 4), 0.05 / (1 - std::pow(1.05, -4)), 1e-15);
  EXPECT_NEAR(capital_recovery_factor(1e-12, 4), 0.25, 1e-9);
}

TEST(Cost, CapitalOfPresets) {
  EconomicsParams p;
  p.tile_yield = 1.0;  // preset prices as they stand
  const auto c = capital_cost(hardware::load_system("dojo-exapod"), p);
  // 120 tiles x (25 x $3000 + $75k) + 20 trays x $100k + 10 cabinets x $150k + $500k + 400 DIPs x $2000.
  EXPECT_DOUBLE_EQ(c.tiles_usd, 120 * 150000.0);
  EXPECT_DOUBLE_EQ(c.total_usd, 18e6 + 2e6 + 1.5e6 + 0.5e6 + 0.8e6);
  // A partly used tile is bought whole, like a partly used node or rack: 24 and 1,234 D1s of
  // an ExaPOD are 1 and 50 tiles (both had been rounded down: 24 D1s at no cost).
  for (const auto& [devices, tiles] : {std::pair{24, 1}, std::pair{1234, 50}, std::pair{1225, 49}}) {
    const auto part = hardware::load_system("dojo-exapod:devices=" + std::to_string(devices));
    EXPECT_EQ(part.tiles(), tiles) << devices;
    EXPECT_DOUBLE_EQ(capital_cost(part, p).tiles_usd, tiles * 150000.0) << devices;
  }
  const auto h = capital_cost(hardware::load_system("dgx-h100:nodes=4"));
  EXPECT_DOUBLE_EQ(h.total_usd, 32 * 27500.0 + 4 * 50000.0);
  EXPECT_DOUBLE_EQ(h.tile_yield, 1.0);
}

TEST(Cost, StepCostComponents) {
  const auto s = hardware::load_system("dgx-h100:nodes=4");
  EconomicsParams p;
  p.electricity_usd_per_kwh = 0.1;
  p.facility_usd_per_kw_year = 1000;
  Activity a;
  a.step_time_s = 2;
  a.compute_s = 2;
  a.utilisation = 0.5;
  const auto e = evaluate_step(s, a, 1e18, p);
  const double capital = 32 * 27500.0 + 4 * 50000.0;
  EXPECT_NEAR(e.step.capital_usd, capital / 4 / kSecondsPerYear * 2, 1e-12);
  EXPECT_NEAR(e.step.electricity_usd, e.power.energy_j_per_step / 3.6e6 * 0.1, 1e-12);
  EXPECT_NEAR(e.step.facility_usd, 1000 * e.power.provisioned_it_w / 1000 / kSecondsPerYear * 2, 1e-12);
  EXPECT_NEAR(e.cost_usd_per_step(), e.step.capital_usd + e.step.electricity_usd + e.step.facility_usd, 1e-12);
  EXPECT_DOUBLE_EQ(e.energy_j_per_step(), e.power.power_w * 2);
  EXPECT_NEAR(e.step.usd_per_pflop_day, e.step.total_usd / (1e18 / kPflopDay), 1e-9);
  // A run of N steps is N times one step.
  const auto run = training_run(e, 1000);
  EXPECT_NEAR(run.total_usd, 1000 * e.step.total_usd, 1e-9);
  EXPECT_NEAR(run.energy_j, 1000 * e.power.energy_j_per_step, 1e-3);
  EXPECT_NEAR(run.usd_per_pflop_day, e.step.usd_per_pflop_day, 1e-9);
  EXPECT_NEAR(training_run_for_duration(e, 3600, 0).total_usd, 1800 * e.step.total_usd, 1e-9);
}

TEST(Cost, DutyCycleAndInterest) {
  const auto s = hardware::load_system("dgx-a100:nodes=1");
  EconomicsParams base, p;
  p.duty_cycle = 0.5;
  p.interest_rate = 0.08;
  const auto c = capital_cost(s, base);
  const auto pw = steady_power(s, 0.5, base);
  const double r0 = cost_rate(s, c, pw, base).capital_usd_per_s;
  const double r1 = cost_rate(s, c, pw, p).capital_usd_per_s;
  EXPECT_NEAR(r1 / r0, 2 * capital_recovery_factor(0.08, 4) / 0.25, 1e-12);
}

TEST(Cost, CloudReplacesOwnership) {
  const auto s = hardware::load_system("dgx-h100:nodes=2");
  EconomicsParams p;
  p.cloud_usd_per_device_hour = 2.0;
  Activity a;
  a.step_time_s = 36;
  a.compute_s = 36;
  const auto e = evaluate_step(s, a, 0, p);
  EXPECT_DOUBLE_EQ(e.step.total_usd, 16 * 2.0 * 0.01);
  EXPECT_DOUBLE_EQ(e.step.capital_usd, 0);
  EXPECT_DOUBLE_EQ(e.step.electricity_usd, 0);
}

TEST(Cost, UsdPerPflopDay) {
  EXPECT_DOUBLE_EQ(usd_per_pflop_day(100, kPflopDay), 100);
  EXPECT_DOUBLE_EQ(usd_per_pflop_day(100, 2 * kPflopDay), 50);
  EXPECT_DOUBLE_EQ(usd_per_pflop_day(100, 0), 0);
}

// The acceptance test: lowering tile yield from 90 % to 40 % raises the cost per
// good tile by 0.9/0.4 and Dojo's cost per PFLOP-day by that factor on its
// yield-dependent (tile) part, the rest unchanged.
TEST(Cost, TileYield90To40RaisesDojoCostByTheFormula) {
  const auto s = hardware::load_system("dojo-exapod");
  EconomicsParams p90, p40;
  p90.tile_yield = 0.9;
  p40.tile_yield = 0.4;
  const auto y90 = analyse_yield(s, p90), y40 = analyse_yield(s, p40);
  EXPECT_NEAR(y40.tile.per_good_tile_usd / y90.tile.per_good_tile_usd, 0.9 / 0.4, 1e-14);

  const auto c90 = capital_cost(s, y90), c40 = capital_cost(s, y40);
  EXPECT_NEAR(c40.tiles_usd / c90.tiles_usd, 0.9 / 0.4, 1e-14);
  EXPECT_NEAR(c40.total_usd - c40.tiles_usd, c90.total_usd - c90.tiles_usd, 1e-6);

  const auto s90 = steady_state(s, c90, 0.4, hardware::Precision::bf16, p90);
  const auto s40 = steady_state(s, c40, 0.4, hardware::Precision::bf16, p40);
  // $/PFLOP-day = capital x CRF / year x (PFLOP-day / delivered) + operating.
  const double per = kPflopDay / (s.peak(hardware::Precision::bf16) * 0.4) / kSecondsPerYear / 4.0;
  const double tiles90 = c90.tiles_usd * per, rest = (c90.total_usd - c90.tiles_usd) * per;
  EXPECT_NEAR(s90.capital_usd_per_pflop_day, tiles90 + rest, 1e-9 * s90.capital_usd_per_pflop_day);
  EXPECT_NEAR(s40.usd_per_pflop_day, tiles90 * 0.9 / 0.4 + rest + s90.operating_usd_per_pflop_day, 1e-9 * s40.usd_per_pflop_day);
  EXPECT_DOUBLE_EQ(s40.operating_usd_per_pflop_day, s90.operating_usd_per_pflop_day);
  const double ratio = s40.usd_per_pflop_day / s90.usd_per_pflop_day;
  EXPECT_GT(ratio, 1.5);
  EXPECT_LT(ratio, 0.9 / 0.4);
}

TEST(Cost, RackCount) {
  EXPECT_EQ(rack_count(hardware::load_system("dojo-exapod")), 10);  // cabinets
  EconomicsParams p;
  p.rack_level = "tray";
  EXPECT_EQ(rack_count(hardware::load_system("dojo-exapod"), p), 20);
  p.rack_level = "trya";
  EXPECT_NE(error_of([&] { (void)rack_count(hardware::load_system("dojo-exapod"), p); }).find("did you mean 'tray'"),
            std::string::npos);
}

// ---------------------------------------------------------------- parameters

TEST(EconomicsParams, OverridesAndTypos) {
  auto p = parse_params({"electricity_usd_per_kwh=0.12", "economics.amortisation_years=5", "tile_yield=40%", "yield_model=murphy",
                         "known_good_die=false", "spare_dies=2", "defect_density_per_cm2=0.002/mm2", "wafer_cost_usd=$10,000"});
  EXPECT_DOUBLE_EQ(p.electricity_usd_per_kwh, 0.12);
  EXPECT_DOUBLE_EQ(p.amortisation_years, 5);
  EXPECT_DOUBLE_EQ(*p.tile_yield, 0.4);
  EXPECT_EQ(p.yield_model, YieldModel::murphy);
  EXPECT_FALSE(p.known_good_die);
  EXPECT_EQ(p.spare_dies, 2);
  EXPECT_DOUBLE_EQ(p.defect_density_per_cm2, 0.2);
  EXPECT_DOUBLE_EQ(p.wafer_cost_usd, 10000);
  EXPECT_TRUE(is_economics_key("econ.mfu=0.5"));
  EXPECT_FALSE(is_economics_key("levels.node.size=2"));

  const auto msg = error_of([] { (void)parse_params({"electricity_usd_per_kwhh=0.1"}); });
  EXPECT_NE(msg.find("unknown economics parameter"), std::string::npos);
  EXPECT_NE(msg.find("did you mean 'electricity_usd_per_kwh'"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_params({"tile_yield=1.5"}); }).find("out of range"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_params({"tile_yield=0"}); }).find("out of range"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_params({"yield_model=murphi"}); }).find("did you mean 'murphy'"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_params({"mfu=abc"}); }).find("key '--econ mfu'"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_params({"mfu"}); }).find("KEY=VALUE"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_params({"spare_dies=1.5"}); }).find("whole number"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_params({"defect_density_per_cm2=0.1/cm3"}); }).find("defect density"), std::string::npos);
  try {
    (void)parse_params({"nope=1"});
    FAIL();
  } catch (const core::InputError& e) { EXPECT_EQ(e.exit_code(), 2); }
}

// Found by a probe: tile_yield=1.5 said "a number in [0, 1]", then 0 was refused with "a
// tile yield in (0, 1]". Every message states the one range.
TEST(EconomicsParams, TileYieldStatesOneRange) {
  for (const char* v : {"1.5", "0", "-0.1", "150%", "0%"}) {
    try {
      (void)parse_params({fmt::format("tile_yield={}", v)});
      FAIL() << v;
    } catch (const core::InputError& e) { EXPECT_EQ(e.expected(), "a tile yield in (0, 1], or a percentage in (0%, 100%]") << v; }
  }
  EXPECT_DOUBLE_EQ(*parse_params({"tile_yield=1"}).tile_yield, 1.0);
}

// Found by a probe: electricity_pric listed every parameter with no suggestion (too far
// from electricity_usd_per_kwh to spell it); a key sharing a parameter's first word is
// pointed at it.
TEST(EconomicsParams, UnknownKeysSuggestByTheirFirstWord) {
  try {
    (void)parse_params({"economics.electricity_pric=0.1"}, {}, "--set");
    FAIL();
  } catch (const core::InputError& e) { EXPECT_EQ(e.suggestion(), "did you mean 'electricity_usd_per_kwh'?"); }
  try {
    (void)parse_params({"zzz_top=1"});
    FAIL();
  } catch (const core::InputError& e) { EXPECT_EQ(e.suggestion(), ""); }
}

TEST(EconomicsParams, EveryDefaultHasASourceAndDescribeCoversAll) {
  const EconomicsParams p;
  const auto d = describe(p);
  ASSERT_EQ(d.size(), economics_params().size());
  for (const auto& info : economics_params()) {
    SCOPED_TRACE(info.name);
    EXPECT_FALSE(info.source.empty());
    EXPECT_FALSE(info.help.empty());
  }
  core::Registry r;
  register_economics(r);
  EXPECT_NE(r.find("economics-parameter", "economics"), nullptr);
}

// A partly used node or rack is bought and powered whole: gb200-nvl72 with 73 GPUs has two
// racks' overheads and prices, as 144 GPUs do, but only 73 GPUs (docs/economics.md).
TEST(Economics, PartlyUsedRacksAreWhole) {
  const auto part = hardware::load_system("gb200-nvl72:devices=73");
  const auto two = hardware::load_system("gb200-nvl72:racks=2");
  const auto one = hardware::load_system("gb200-nvl72:racks=1");
  EXPECT_DOUBLE_EQ(economics::overhead_power_w(part), economics::overhead_power_w(two));
  EXPECT_GT(economics::overhead_power_w(part), economics::overhead_power_w(one));
  const economics::EconomicsParams p;
  const auto cp = economics::capital_cost(part, p), c2 = economics::capital_cost(two, p);
  EXPECT_DOUBLE_EQ(cp.levels_usd, c2.levels_usd);
  EXPECT_LT(cp.total_usd, c2.total_usd);  // the GPUs not there are not bought
  EXPECT_EQ(economics::rack_count(part, p), 2);
}

// Every key of the tile-yield and programme scopes is a real economics key (a misspelt entry
// would let its key through run and search without effect): counted over the registry.
TEST(EconomicsParams, KeyScopesNameRealKeys) {
  std::map<economics::KeyScope, int> n;
  for (const auto& k : economics::economics_param_names()) ++n[economics::key_scope(k)];
  EXPECT_EQ(n[economics::KeyScope::tile_systems], 14);
  EXPECT_EQ(n[economics::KeyScope::programme], 15);
  EXPECT_EQ(n[economics::KeyScope::yield_command], 1);
  EXPECT_GE(n[economics::KeyScope::everywhere], 10);
  EXPECT_EQ(economics::key_scope("economics.tile_yield=0.5"), economics::KeyScope::tile_systems);
  EXPECT_EQ(economics::key_scope("econ.nre_scale"), economics::KeyScope::programme);
  EXPECT_EQ(economics::key_scope("economics.pue=1.3"), economics::KeyScope::everywhere);
}
