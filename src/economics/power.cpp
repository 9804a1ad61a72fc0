#include "dojosim/economics/power.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dojosim::economics {

namespace {

double factor(Phase phase, double utilisation, const EconomicsParams& p) {
  switch (phase) {
    case Phase::compute: return p.compute_floor + (1.0 - p.compute_floor) * utilisation;
    case Phase::memory_bound: return p.memory_bound_factor;
    case Phase::communication: return p.communication_factor;
    case Phase::wait: return p.wait_factor;
  }
  return 1.0;
}

// Power with an extra dynamic fraction on top (communication overlapping a busy phase).
double power_with(const hardware::Device& d, double f) {
  const double dynamic = std::max(0.0, d.tdp - d.idle_power);
  return std::min(d.tdp, d.idle_power + dynamic * f);
}

void check(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(fmt::format("economics::step_power: {}", what));
}

}  // namespace

double device_power_w(const hardware::Device& d, Phase phase, double utilisation, const EconomicsParams& p) {
  check(std::isfinite(utilisation) && utilisation >= 0 && utilisation <= 1, "utilisation outside [0, 1]");
  return power_with(d, factor(phase, utilisation, p));
}

double overhead_power_w(const hardware::System& s) {
  double w = 0;
  for (std::size_t i = 0; i < s.levels.size(); ++i) w += s.levels[i].overhead_power * whole_instances(s, static_cast<int>(i));
  return w + s.dip.power * s.dip.count;
}

double provisioned_it_power_w(const hardware::System& s) {
  return s.device.tdp * static_cast<double>(s.device_count()) + overhead_power_w(s);
}

PowerReport step_power(const hardware::System& s, const Activity& a, const EconomicsParams& p) {
  for (double t : {a.step_time_s, a.compute_s, a.memory_bound_s, a.communication_s, a.idle_s, a.overlapped_communication_s})
    check(std::isfinite(t) && t >= 0, "negative or non-finite time in Activity");
  check(a.step_time_s > 0, "step_time_s must be positive");
  check(std::isfinite(a.utilisation) && a.utilisation >= 0 && a.utilisation <= 1, "utilisation outside [0, 1]");
  const double busy = a.compute_s + a.memory_bound_s;
  const double assigned = busy + a.communication_s + a.idle_s;
  const double tol = 1e-9 * a.step_time_s;
  check(assigned <= a.step_time_s + tol, "phase times sum to more than step_time_s");
  check(a.overlapped_communication_s <= busy + tol, "overlapped communication longer than compute + memory phases");
  const double wait = std::max(0.0, a.step_time_s - busy - a.communication_s);  // idle_s plus the unassigned rest

  const auto& d = s.device;
  // Overlapped communication is spread over the busy phases in proportion to their length.
  const double share = busy > 0 ? std::min(1.0, a.overlapped_communication_s / busy) : 0.0;
  auto busy_energy = [&](double t, double f) {
    return t * ((1 - share) * power_with(d, f) + share * power_with(d, f + p.overlap_factor));
  };
  const double e_device = busy_energy(a.compute_s, factor(Phase::compute, a.utilisation, p)) +
                          busy_energy(a.memory_bound_s, factor(Phase::memory_bound, 0, p)) +
                          a.communication_s * power_with(d, factor(Phase::communication, 0, p)) +
                          wait * power_with(d, factor(Phase::wait, 0, p));

  PowerReport r;
  r.step_time_s = a.step_time_s;
  r.device_energy_j = e_device;
  r.device_avg_w = e_device / a.step_time_s;
  r.devices_w = r.device_avg_w * static_cast<double>(s.device_count());
  r.overhead_w = overhead_power_w(s);
  r.it_w = r.devices_w + r.overhead_w;
  r.pue = p.pue.value_or(s.pue);
  r.power_w = r.it_w * r.pue;
  r.it_energy_j_per_step = r.it_w * a.step_time_s;
  r.energy_j_per_step = r.power_w * a.step_time_s;
  r.provisioned_it_w = provisioned_it_power_w(s);
  return r;
}

PowerReport steady_power(const hardware::System& s, double utilisation, const EconomicsParams& p) {
  Activity a;
  a.step_time_s = 1.0;
  a.compute_s = 1.0;
  a.utilisation = utilisation;
  return step_power(s, a, p);
}

}  // namespace dojosim::economics
