// Build or buy (economics/program.hpp): the programme's NRE, schedule, GPU prices over time
// and cost per delivered PFLOP-day, checked against hand-worked numbers and monotonic laws.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "dojosim/core/errors.hpp"
#include "dojosim/economics/cost.hpp"
#include "dojosim/economics/program.hpp"

using namespace dojosim;
using namespace dojosim::economics;

namespace {
// A unit that costs $100 per delivered PFLOP-day: 1 PFLOP/s delivered at $1/864 per second.
UnitEconomics hundred_dollar_unit() { return {1.0 / 864.0, core::FlopRate(1e15)}; }
constexpr double kThousandDays = 1000.0 * 86400.0;  // used seconds: 1,000 PFLOP-days per unit
}  // namespace

// By hand: the unit delivers 1,000 PFLOP-days over its life and saves $150 - $100 = $50 on
// each against the GPU, i.e. $50k per unit; an NRE of $1 M is paid back by exactly 20 units.
// At 20 units the programme costs 100 + 1e6 / (20 x 1000) = $150 per PFLOP-day.
TEST(Program, HandWorkedBreakEven) {
  const auto u = hundred_dollar_unit();
  EXPECT_NEAR(unit_usd_per_pflop_day(u), 100.0, 1e-12);
  const auto n = break_even_units(core::Usd(1e6), u, 150.0, kThousandDays);
  ASSERT_TRUE(n.has_value());
  EXPECT_NEAR(*n, 20.0, 1e-12);
  EXPECT_NEAR(program_usd_per_pflop_day(core::Usd(1e6), 20, u, kThousandDays), 150.0, 1e-12);
  EXPECT_NEAR(program_usd_per_pflop_day(core::Usd(1e6), 10, u, kThousandDays), 200.0, 1e-12);
  EXPECT_NEAR(program_usd_per_pflop_day(core::Usd(1e6), 40, u, kThousandDays), 125.0, 1e-12);
  // A GPU at or below the unit's own cost is never caught up with.
  EXPECT_FALSE(break_even_units(core::Usd(1e6), u, 100.0, kThousandDays).has_value());
  EXPECT_FALSE(break_even_units(core::Usd(1e6), u, 90.0, kThousandDays).has_value());
  // No NRE: the programme costs what a unit costs, and breaks even at any fleet.
  EXPECT_NEAR(program_usd_per_pflop_day(core::Usd(0), 3, u, kThousandDays), 100.0, 1e-12);
  EXPECT_EQ(*break_even_units(core::Usd(0), u, 150.0, kThousandDays), 0.0);
}

TEST(Program, UsedSecondsAreLifeTimesDutyCycle) {
  EconomicsParams p;
  p.program_life_years = 2;
  p.duty_cycle = 0.5;
  EXPECT_DOUBLE_EQ(used_seconds(p), kSecondsPerYear);
}

// Defaults: 200 + 2 x 15 + 100 + 150 + 600 x 0.4 = $720 M; the teams (200 + 150 + 240 =
// $590 M) over 12 x (2023.5 - 2019) = 54 months burn $590 M / 54 a month.
TEST(Program, NreOfTheDefaults) {
  const EconomicsParams p;
  const Nre n = program_nre(p);
  EXPECT_DOUBLE_EQ(n.masks.value(), 30e6);
  EXPECT_DOUBLE_EQ(n.software.value(), 240e6);
  EXPECT_DOUBLE_EQ(n.total.value(), 720e6);
  EXPECT_DOUBLE_EQ(design_months(p), 54.0);
  EXPECT_NEAR(delay_cost_per_month(p).value(), 590e6 / 54.0, 1e-6);
  EXPECT_NEAR(nre_with_delay(p, 6).value(), 720e6 + 6 * 590e6 / 54.0, 1e-3);
  EconomicsParams q = p;
  q.nre_scale = 2;
  EXPECT_DOUBLE_EQ(program_nre(q).total.value(), 1440e6);
}

TEST(Program, ScheduleShiftsWithDelay) {
  EconomicsParams p;
  p.ready_year = 2023.5;
  p.ramp_years = 1;
  p.delay_months = 3;
  const Schedule s = program_schedule(p, 3);
  EXPECT_DOUBLE_EQ(s.first_unit, 2024.0);
  EXPECT_DOUBLE_EQ(s.last_unit, 2025.0);
  EXPECT_DOUBLE_EQ(s.comparison_year, 2024.5);
}

TEST(Program, GpuPriceFallsAfterLaunchOnly) {
  EconomicsParams p;
  p.gpu_price_decline_per_year = 0.1;
  p.gpu_price_scale = 1.5;
  EXPECT_NEAR(gpu_price_factor(p, 2023, 2025), 1.5 * 0.81, 1e-12);
  EXPECT_DOUBLE_EQ(gpu_price_factor(p, 2023, 2023), 1.5);
  EXPECT_DOUBLE_EQ(gpu_price_factor(p, 2023, 2021), 1.5);
}

// More NRE never makes the programme cheaper or its break-even smaller; a dearer GPU never
// makes the break-even larger.
TEST(Program, MonotonicInNreAndGpuPrice) {
  const auto u = hundred_dollar_unit();
  double last_cost = 0, last_be = 0;
  for (double nre = 0; nre <= 1e9; nre += 5e7) {
    const double c = program_usd_per_pflop_day(core::Usd(nre), 7, u, kThousandDays);
    const double be = *break_even_units(core::Usd(nre), u, 130, kThousandDays);
    EXPECT_GE(c, last_cost);
    EXPECT_GE(be, last_be);
    last_cost = c;
    last_be = be;
  }
  double prev = 1e300;
  for (double gpu = 101; gpu <= 1000; gpu += 7) {
    const double be = *break_even_units(core::Usd(1e8), u, gpu, kThousandDays);
    EXPECT_LT(be, prev);
    prev = be;
  }
}

TEST(Program, RoadmapIsInLaunchOrderAndParses) {
  const auto& r = default_roadmap();
  ASSERT_GE(r.size(), 5u);
  for (std::size_t i = 1; i < r.size(); ++i) EXPECT_LE(r[i - 1].year, r[i].year);
  const auto e = parse_roadmap_entry("dgx-h100:nodes=64@2023.5");
  EXPECT_EQ(e.spec, "dgx-h100:nodes=64");
  EXPECT_EQ(e.name, "dgx-h100");
  EXPECT_DOUBLE_EQ(e.year, 2023.5);
  for (const char* bad : {"dgx-h100", "dgx-h100@20x3", "@2023", "dgx-h100@1800"}) {
    try {
      parse_roadmap_entry(bad, "--gpu");
      ADD_FAILURE() << bad;
    } catch (const core::InputError& err) { EXPECT_NE(std::string(err.what()).find("--gpu"), std::string::npos) << err.what(); }
  }
}

TEST(Program, KeysAreEconomicsParameters) {
  EconomicsParams p;
  apply_override(p, "economics.nre_scale=0.5");
  apply_override(p, "economics.mask_set_usd=$12M");
  apply_override(p, "economics.tapeouts=3");
  EXPECT_DOUBLE_EQ(p.nre_scale, 0.5);
  EXPECT_DOUBLE_EQ(p.mask_set_usd, 12e6);
  EXPECT_EQ(p.tapeouts, 3);
  try {
    apply_override(p, "economics.nre_scal=2");
    ADD_FAILURE();
  } catch (const core::InputError& err) {
    EXPECT_NE(std::string(err.what()).find("did you mean 'nre_scale'"), std::string::npos) << err.what();
  }
  EXPECT_THROW(apply_override(p, "economics.tapeouts=1.5"), core::InputError);
  EXPECT_THROW(apply_override(p, "economics.ready_year=1800"), core::InputError);
}
