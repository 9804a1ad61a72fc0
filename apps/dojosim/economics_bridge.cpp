#include "economics_bridge.hpp"

#include <algorithm>

#include "dojosim/economics/cost.hpp"
#include "dojosim/economics/power.hpp"

namespace dojosim::cli {

// Maps the engine's time breakdown onto the activity phases the power model prices.
report::Economics economics_for(const hardware::System& sys, const engine::Result& r) {
  economics::Activity a{};
  const auto& b = r.breakdown;
  a.step_time_s = r.step_time;
  a.compute_s = b.compute;
  a.memory_bound_s = b.memory_stream + b.optimizer;
  a.communication_s = b.exposed_comm();
  a.idle_s = std::max(0.0, r.step_time - a.compute_s - a.memory_bound_s - a.communication_s);
  const double peak = sys.device.peak_for(r.strategy.precision) * static_cast<double>(r.devices);
  a.utilisation = b.compute > 0 ? std::clamp(r.hardware_flops_per_step / (peak * b.compute), 0.0, 1.0) : 0.0;
  a.overlapped_communication_s = std::min(r.hidden_comm, a.compute_s + a.memory_bound_s);
  const auto e = economics::evaluate_step(sys, a, r.model_flops_per_step);
  report::Economics out;
  out.present = true;
  out.energy_j_per_step = e.energy_j_per_step();
  out.power_w = e.power_w();
  out.cost_usd_per_step = e.cost_usd_per_step();
  return out;
}

}  // namespace dojosim::cli
