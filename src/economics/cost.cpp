#include "dojosim/economics/cost.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"

namespace dojosim::economics {

namespace {
double instances(const hardware::System& s, std::size_t level) { return whole_instances(s, static_cast<int>(level)); }
}  // namespace

CapitalCost capital_cost(const hardware::System& s, const YieldAnalysis& y) {
  CapitalCost c;
  const std::size_t first = y.has_tile ? static_cast<std::size_t>(y.tile_level) + 1 : 0;
  if (y.has_tile) {
    c.tile_yield = y.tile.tile_yield;
    c.tiles_usd = y.tiles * y.tile.per_good_tile_usd;
    c.per_level.emplace_back("tile (per good tile, with yield)", c.tiles_usd);
  } else {
    c.devices_usd = s.device.price * static_cast<double>(s.device_count());
  }
  for (std::size_t i = first; i < s.levels.size(); ++i) {
    const double usd = s.levels[i].price * instances(s, i);
    c.levels_usd += usd;
    c.per_level.emplace_back(s.levels[i].name, usd);
  }
  c.dips_usd = s.dip.price * s.dip.count;
  c.total_usd = c.devices_usd + c.levels_usd + c.dips_usd + c.tiles_usd;
  return c;
}

CapitalCost capital_cost(const hardware::System& s, const EconomicsParams& p) { return capital_cost(s, analyse_yield(s, p)); }

double capital_recovery_factor(double rate, double years) {
  if (!(years > 0) || !(rate >= 0)) throw std::invalid_argument("capital_recovery_factor: years > 0 and rate >= 0");
  if (rate == 0) return 1.0 / years;
  return rate / -std::expm1(-years * std::log1p(rate));  // r / (1 - (1+r)^-n)
}

long long rack_count(const hardware::System& s, const EconomicsParams& p) {
  std::vector<std::string> names;
  for (const auto& l : s.levels) names.push_back(l.name);
  // A partly used rack takes its whole floor space.
  auto count_of = [&](std::size_t i) { return static_cast<long long>(whole_instances(s, static_cast<int>(i))); };
  if (!p.rack_level.empty()) {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == p.rack_level) return count_of(i);
    throw core::InputError({"", 0, 0, "--econ rack_level"}, fmt::format("system '{}' has no level '{}'", s.name, p.rack_level),
                           "one of: " + core::join(names, ", "), core::did_you_mean(p.rack_level, names));
  }
  for (const char* n : {"cabinet", "rack"})
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == n) return count_of(i);
  return names.empty() ? 1 : count_of(0);
}

CostRate cost_rate(const hardware::System& s, const CapitalCost& capital, const PowerReport& power, const EconomicsParams& p) {
  CostRate r;
  if (p.cloud_usd_per_device_hour > 0) {
    r.cloud_usd_per_s = static_cast<double>(s.device_count()) * p.cloud_usd_per_device_hour / 3600.0;
    r.total_usd_per_s = r.cloud_usd_per_s;
    return r;
  }
  const double held_s = kSecondsPerYear * p.duty_cycle;  // paid-for seconds per year
  r.capital_usd_per_s = capital.total_usd * capital_recovery_factor(p.interest_rate, p.amortisation_years) / held_s;
  r.electricity_usd_per_s = power.power_w / 1000.0 * p.electricity_usd_per_kwh / 3600.0;
  const double racks = p.usd_per_rack_year > 0 ? static_cast<double>(rack_count(s, p)) : 0.0;
  r.facility_usd_per_s = (p.facility_usd_per_kw_year * power.provisioned_it_w / 1000.0 + p.usd_per_rack_year * racks) / held_s;
  r.total_usd_per_s = r.capital_usd_per_s + r.electricity_usd_per_s + r.facility_usd_per_s;
  return r;
}

double usd_per_pflop_day(double usd, double model_flops) { return model_flops > 0 ? usd / (model_flops / kPflopDay) : 0.0; }

Cost cost_for(const CostRate& rate, const PowerReport& power, double duration_s, double model_flops) {
  Cost c;
  c.duration_s = duration_s;
  c.energy_j = power.power_w * duration_s;
  c.capital_usd = rate.capital_usd_per_s * duration_s;
  c.electricity_usd = rate.electricity_usd_per_s * duration_s;
  c.facility_usd = rate.facility_usd_per_s * duration_s;
  c.cloud_usd = rate.cloud_usd_per_s * duration_s;
  c.total_usd = rate.total_usd_per_s * duration_s;
  c.model_flops = model_flops;
  c.usd_per_pflop_day = usd_per_pflop_day(c.total_usd, model_flops);
  return c;
}

StepEconomics evaluate_step(const hardware::System& s, const Activity& a, double model_flops_per_step, const EconomicsParams& p) {
  StepEconomics e;
  e.power = step_power(s, a, p);
  e.capital = capital_cost(s, p);
  e.rate = cost_rate(s, e.capital, e.power, p);
  e.step = cost_for(e.rate, e.power, a.step_time_s, model_flops_per_step);
  return e;
}

Cost training_run(const StepEconomics& step, double steps) {
  return cost_for(step.rate, step.power, step.step.duration_s * steps, step.step.model_flops * steps);
}

Cost training_run_for_duration(const StepEconomics& step, double duration_s, double model_flops) {
  return cost_for(step.rate, step.power, duration_s, model_flops);
}

SteadyState steady_state(const hardware::System& s, const CapitalCost& capital, double mfu, hardware::Precision prec,
                         const EconomicsParams& p) {
  if (!(mfu > 0 && mfu <= 1))
    throw core::InputError({"", 0, 0, "--econ mfu"}, fmt::format("mfu {} must lie in (0, 1]", mfu), "a fraction, e.g. 0.4");
  if (s.peak(prec) <= 0)
    throw core::Unsupported({"", 0, 0, "--precision"},
                            fmt::format("device '{}' has no {} peak", s.device.name, hardware::precision_name(prec)),
                            "choose a precision the device supports, e.g. bf16");
  SteadyState st;
  st.power = steady_power(s, mfu, p);
  st.capital = capital;
  st.rate = cost_rate(s, capital, st.power, p);
  st.delivered_flops_per_s = s.peak(prec) * mfu;
  const double per = kPflopDay / st.delivered_flops_per_s;  // seconds per delivered PFLOP-day
  st.usd_per_pflop_day = st.rate.total_usd_per_s * per;
  st.capital_usd_per_pflop_day = st.rate.capital_usd_per_s * per;
  st.operating_usd_per_pflop_day = (st.rate.electricity_usd_per_s + st.rate.facility_usd_per_s + st.rate.cloud_usd_per_s) * per;
  return st;
}

}  // namespace dojosim::economics
