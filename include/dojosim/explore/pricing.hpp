// Energy and cost of an engine result: maps the step's time breakdown onto the phases the
// power model prices (economics/power.hpp) and prices the step (economics/cost.hpp).
//
// Contract: a Pricer computes the system's capital cost (and its yield analysis) once;
// `price` is then cheap and pure, so a search can rank thousands of plans by cost or energy.
#pragma once

#include "dojosim/economics/cost.hpp"
#include "dojosim/engine/engine.hpp"
#include "dojosim/report/result.hpp"

namespace dojosim::explore {

// What the device does during a step: compute, memory-bound work, exposed communication,
// waiting (bubble), and the utilisation of its compute phase.
economics::Activity activity_of(const hardware::System& sys, const engine::Result& r);

class Pricer final {
 public:
  explicit Pricer(const hardware::System& sys, economics::EconomicsParams params = {});
  [[nodiscard]] economics::StepEconomics price(const engine::Result& r) const;
  [[nodiscard]] report::Economics summary(const engine::Result& r) const;
  [[nodiscard]] const economics::EconomicsParams& params() const { return params_; }

 private:
  const hardware::System* sys_;
  economics::EconomicsParams params_;
  economics::CapitalCost capital_;
};

}  // namespace dojosim::explore
