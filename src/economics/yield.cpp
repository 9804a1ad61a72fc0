#include "dojosim/economics/yield.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "dojosim/core/errors.hpp"
#include "dojosim/economics/power.hpp"

namespace dojosim::economics {

namespace {
void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(fmt::format("economics yield: {}", what));
}
void check_area(double a, double d0) {
  require(std::isfinite(a) && a >= 0, "die area must be finite and >= 0");
  require(std::isfinite(d0) && d0 >= 0, "defect density must be finite and >= 0");
}
bool is_probability(double p) { return std::isfinite(p) && p >= 0 && p <= 1; }
constexpr double kInf = std::numeric_limits<double>::infinity();
}  // namespace

double poisson_yield(double area_cm2, double d0_per_cm2) {
  check_area(area_cm2, d0_per_cm2);
  return std::exp(-area_cm2 * d0_per_cm2);
}

double murphy_yield(double area_cm2, double d0_per_cm2) {
  check_area(area_cm2, d0_per_cm2);
  const double x = area_cm2 * d0_per_cm2;
  if (x < 1e-8) return 1.0 - x;  // series of ((1 - e^-x)/x)^2 = 1 - x + 7x^2/12 ...
  const double f = -std::expm1(-x) / x;
  return f * f;
}

double negative_binomial_yield(double area_cm2, double d0_per_cm2, double alpha) {
  check_area(area_cm2, d0_per_cm2);
  require(std::isfinite(alpha) && alpha > 0, "alpha must be > 0");
  // (1 + x/alpha)^-alpha, computed as exp(-alpha log1p(x/alpha)) to keep large alpha exact.
  return std::exp(-alpha * std::log1p(area_cm2 * d0_per_cm2 / alpha));
}

double die_yield(YieldModel m, double area_cm2, double d0_per_cm2, double alpha) {
  switch (m) {
    case YieldModel::poisson: return poisson_yield(area_cm2, d0_per_cm2);
    case YieldModel::murphy: return murphy_yield(area_cm2, d0_per_cm2);
    case YieldModel::negative_binomial: return negative_binomial_yield(area_cm2, d0_per_cm2, alpha);
  }
  return 0;
}

double at_least_k_of_n(int k, int n, double p) {
  require(n >= 0 && k >= 0, "k and n must be >= 0");
  require(is_probability(p), "p outside [0, 1]");
  if (k <= 0) return 1.0;
  if (k > n) return 0.0;
  if (p == 1.0) return 1.0;
  if (p == 0.0) return 0.0;
  double sum = 0;
  const double lp = std::log(p), lq = std::log1p(-p);
  for (int i = k; i <= n; ++i) {
    const double log_c = std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0);
    sum += std::exp(log_c + i * lp + (n - i) * lq);
  }
  return std::min(1.0, sum);
}

double dies_per_wafer(double die_area_mm2, double wafer_diameter_mm) {
  require(std::isfinite(die_area_mm2) && die_area_mm2 > 0, "die area must be > 0");
  require(std::isfinite(wafer_diameter_mm) && wafer_diameter_mm > 0, "wafer diameter must be > 0");
  const double pi = std::numbers::pi;
  const double r = wafer_diameter_mm / 2;
  const double n = pi * r * r / die_area_mm2 - pi * wafer_diameter_mm / std::sqrt(2 * die_area_mm2);
  return std::max(0.0, std::floor(n));
}

TileYield tile_yield(const TileYieldInputs& in) {
  require(in.dies >= 1 && in.spares >= 0, "a tile needs >= 1 die and >= 0 spares");
  for (double p : {in.die_yield, in.kgd_escape_rate, in.integration_yield, in.assembly_yield})
    require(is_probability(p), "yields and escape rate must lie in [0, 1]");
  TileYield t;
  if (in.known_good_die) {
    // Among dies that pass the test, the good ones are Y of the tested and the escapes
    // (1 - Y) e: P(good | passed) = Y / (Y + (1 - Y) e).
    const double passed = in.die_yield + (1 - in.die_yield) * in.kgd_escape_rate;
    t.placed_die_good = passed > 0 ? in.die_yield / passed : 0.0;
  } else {
    t.placed_die_good = in.die_yield;
  }
  t.dies_ok = at_least_k_of_n(in.dies, in.dies + in.spares, t.placed_die_good);
  t.tile_yield = t.dies_ok * in.integration_yield * in.assembly_yield;
  return t;
}

DieCost die_cost_from_wafer(double wafer_cost_usd, double dies_per_wafer_, double die_yield_, double test_cost_usd) {
  require(wafer_cost_usd >= 0 && test_cost_usd >= 0, "costs must be >= 0");
  require(dies_per_wafer_ > 0, "dies per wafer must be > 0");
  require(is_probability(die_yield_), "die yield outside [0, 1]");
  DieCost c;
  c.raw_usd = wafer_cost_usd / dies_per_wafer_;
  // Every die is tested; the good ones carry the cost of all: (raw + test) / Y.
  c.good_usd = die_yield_ > 0 ? (c.raw_usd + test_cost_usd) / die_yield_ : kInf;
  return c;
}

DieCost die_cost_from_good_price(double good_usd, double die_yield_) {
  require(good_usd >= 0, "price must be >= 0");
  require(is_probability(die_yield_), "die yield outside [0, 1]");
  return {good_usd * die_yield_, good_usd};
}

TileCost tile_cost(const DieCost& die, bool known_good_die, int placed_dies, double integration_usd, double tile_yield_) {
  require(placed_dies >= 0 && integration_usd >= 0, "placed dies and integration cost must be >= 0");
  require(is_probability(tile_yield_), "tile yield outside [0, 1]");
  TileCost c;
  c.placed_dies = placed_dies;
  c.placed_die_usd = known_good_die ? die.good_usd : die.raw_usd;
  c.integration_usd = integration_usd;
  c.attempt_usd = placed_dies * c.placed_die_usd + integration_usd;
  c.tile_yield = tile_yield_;
  c.per_good_tile_usd = tile_yield_ > 0 ? c.attempt_usd / tile_yield_ : kInf;
  return c;
}

int tile_level(const hardware::System& s) {
  for (std::size_t i = 0; i < s.levels.size(); ++i)
    if (s.levels[i].name == "tile") return static_cast<int>(i);
  return -1;
}

YieldAnalysis analyse_yield(const hardware::System& s, const EconomicsParams& p) {
  YieldAnalysis y;
  if (p.die_area_mm2) {
    y.has_die_area = true;
    y.die_area_mm2 = *p.die_area_mm2;
    y.die_area_source = "override";
  } else if (auto a = known_die_area_mm2(s.device.name)) {
    y.has_die_area = true;
    y.die_area_mm2 = *a;
    y.die_area_source = s.device.name == "d1" ? "T6" : (*a == 826.0 ? "N1" : "N2");
  }
  if (y.has_die_area) {
    y.die_yield = die_yield(p.yield_model, y.die_area_mm2 / 100.0, p.defect_density_per_cm2, p.negbin_alpha);
    y.dies_per_wafer = dies_per_wafer(y.die_area_mm2, p.wafer_diameter_mm);
  }
  if (p.wafer_cost_usd > 0) {
    if (!y.has_die_area)
      throw core::InputError({"", 0, 0, "--econ wafer_cost_usd"},
                             fmt::format("costing dies from the wafer needs the die area of '{}'", s.device.name),
                             "die_area_mm2=AREA as well");
    if (y.dies_per_wafer <= 0)
      throw core::InputError({"", 0, 0, "--econ die_area_mm2"}, "no whole die fits on the wafer",
                             "a die area well below the wafer area");
    y.die = die_cost_from_wafer(p.wafer_cost_usd, y.dies_per_wafer, y.die_yield, p.test_cost_per_die_usd);
  } else {
    y.die = die_cost_from_good_price(s.device.price, y.die_yield);
  }

  y.tile_level = tile_level(s);
  if (y.tile_level < 0) return y;

  y.has_tile = true;
  const long long per_tile = s.devices_per(y.tile_level);
  // A partly used tile is bought whole, as a partly used node or rack is (docs/economics.md):
  // 24 D1s of an ExaPOD are one tile, not none.
  y.tiles = static_cast<int>(whole_instances(s, y.tile_level));
  y.tile_inputs.dies = static_cast<int>(per_tile);
  y.tile_inputs.spares = p.spare_dies;
  y.tile_inputs.die_yield = y.die_yield;
  y.tile_inputs.known_good_die = p.known_good_die;
  y.tile_inputs.kgd_escape_rate = p.kgd_escape_rate;
  y.tile_inputs.integration_yield = p.integration_yield;
  y.tile_inputs.assembly_yield = p.assembly_yield;
  y.yield = tile_yield(y.tile_inputs);
  TileYieldInputs no_kgd = y.tile_inputs;
  no_kgd.known_good_die = false;
  y.tile_yield_without_kgd = tile_yield(no_kgd).tile_yield;
  y.tile_yield_set = p.tile_yield.has_value();
  const double used = p.tile_yield.value_or(y.yield.tile_yield);

  // Integration cost per tile attempt: the prices of the tile level and any level inside it.
  double integration = 0;
  for (int i = 0; i <= y.tile_level; ++i)
    integration += s.levels[static_cast<std::size_t>(i)].price * static_cast<double>(per_tile / s.devices_per(i));
  integration = p.integration_cost_usd.value_or(integration);
  y.tile = tile_cost(y.die, p.known_good_die, y.tile_inputs.dies + y.tile_inputs.spares, integration, used);
  return y;
}

}  // namespace dojosim::economics
