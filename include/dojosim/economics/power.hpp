// Power and energy of one training step on a whole System.
//
// Model (docs/economics.md section 1): each device draws
//     P(phase) = min(tdp, idle_power + (tdp - idle_power) * factor(phase))
// where factor is the documented activity factor of the phase (EconomicsParams); the
// compute phase's factor rises linearly with the achieved utilisation. The system adds
// Level::overhead_power per instance of every level (switches, hosts, NICs, Dojo VRMs and
// wafer wiring) and Dip::power per DIP, drawn throughout the step; the facility adds PUE.
//
// Contract: step_power() is pure and cheap (no allocation beyond the result). Activity
// times are seconds of wall time of one step, seen from one (typical) device; the four
// phase times must not sum to more than step_time_s, and whatever they leave is counted as
// waiting. A malformed Activity (negative or non-finite time, utilisation outside [0, 1],
// phases longer than the step) is a programming error of the caller and throws
// std::invalid_argument.
#pragma once

#include "dojosim/economics/params.hpp"
#include "dojosim/hardware/system.hpp"

namespace dojosim::economics {

// What one device does during one step. Suggested mapping from the engine's breakdown_s:
// compute_s = compute (GEMM/attention on the critical path); memory_bound_s =
// memory_stream + optimizer + other memory-bound kernels; communication_s = exposed_comm
// (communication the device waits for); idle_s = bubble; overlapped_communication_s =
// communication hidden under compute (tp/dp/... comm minus the exposed part).
struct Activity {
  double step_time_s = 0;                 // wall time of one step
  double compute_s = 0;                   // compute-bound kernels
  double memory_bound_s = 0;              // memory-bound kernels and weight streaming
  double communication_s = 0;             // exposed communication
  double idle_s = 0;                      // waiting (bubble, barriers); the unassigned rest counts here too
  double utilisation = 1.0;               // achieved FLOP/s over peak during compute_s, in [0, 1]
  double overlapped_communication_s = 0;  // communication running under compute/memory phases (<= their sum)
};

enum class Phase { compute, memory_bound, communication, wait };

// Power of one device in one phase; `utilisation` matters for Phase::compute only.
// Capped at the device's TDP.
double device_power_w(const hardware::Device& d, Phase phase, double utilisation, const EconomicsParams& p = {});

// Power beyond the devices: sum over levels of overhead_power x instances, plus DIPs.
double overhead_power_w(const hardware::System& s);
// Instances of a level the system occupies, whole: a partly used node or rack is bought
// and powered whole (its chassis, switches, power and cooling), ceil(devices / per instance).
inline double whole_instances(const hardware::System& s, int level) {
  const long long per = s.devices_per(level);
  return static_cast<double>((s.device_count() + per - 1) / per);
}
// Every device at TDP plus the overheads: the IT power a facility must provision.
double provisioned_it_power_w(const hardware::System& s);

struct PowerReport {
  double step_time_s = 0;
  double device_energy_j = 0;  // one device, one step
  double device_avg_w = 0;     // one device, averaged over the step (<= tdp)
  double devices_w = 0;        // all devices, averaged
  double overhead_w = 0;       // levels + DIPs
  double it_w = 0;             // devices_w + overhead_w
  double pue = 1;
  double power_w = 0;               // facility power = it_w * pue (DESIGN 4.3 `power_w`)
  double it_energy_j_per_step = 0;  // it_w * step_time_s
  double energy_j_per_step = 0;     // power_w * step_time_s, PUE included (DESIGN 4.3)
  double provisioned_it_w = 0;      // provisioned_it_power_w(s)
};

PowerReport step_power(const hardware::System& s, const Activity& a, const EconomicsParams& p = {});

// A steady state of pure compute at `utilisation` (used when no engine result is at hand).
PowerReport steady_power(const hardware::System& s, double utilisation, const EconomicsParams& p = {});

}  // namespace dojosim::economics
