#include "dojosim/explore/pricing.hpp"

#include <algorithm>

namespace dojosim::explore {

economics::Activity activity_of(const hardware::System& sys, const engine::Result& r) {
  economics::Activity a{};
  const auto& b = r.breakdown;
  a.step_time_s = r.step_time;
  a.compute_s = b.compute;
  a.memory_bound_s = b.memory_stream + b.optimizer;
  a.communication_s = b.exposed_comm();
  a.idle_s = std::max(0.0, r.step_time - a.compute_s - a.memory_bound_s - a.communication_s);
  const double peak = sys.device.peak_for(r.strategy.precision) * static_cast<double>(r.devices);
  a.utilisation = b.compute > 0 && peak > 0 ? std::clamp(r.hardware_flops_per_step / (peak * b.compute), 0.0, 1.0) : 0.0;
  a.overlapped_communication_s = std::min(r.hidden_comm, a.compute_s + a.memory_bound_s);
  return a;
}

Pricer::Pricer(const hardware::System& sys, economics::EconomicsParams params)
    : sys_(&sys), params_(std::move(params)), capital_(economics::capital_cost(sys, params_)) {}

economics::StepEconomics Pricer::price(const engine::Result& r) const {
  economics::StepEconomics e;
  const auto a = activity_of(*sys_, r);
  e.power = economics::step_power(*sys_, a, params_);
  e.capital = capital_;
  e.rate = economics::cost_rate(*sys_, e.capital, e.power, params_);
  e.step = economics::cost_for(e.rate, e.power, a.step_time_s, r.model_flops_per_step);
  return e;
}

report::Economics Pricer::summary(const engine::Result& r) const {
  const auto e = price(r);
  report::Economics out;
  out.present = true;
  out.energy_j_per_step = e.energy_j_per_step();
  out.power_w = e.power_w();
  out.cost_usd_per_step = e.cost_usd_per_step();
  return out;
}

}  // namespace dojosim::explore
