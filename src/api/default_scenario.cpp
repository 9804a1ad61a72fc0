// api: the default scenario — one Dojo ExaPOD against the equal-peak DGX A100 cluster on
// GPT-3 175B (contract in api.hpp; the CLI prints it, `dojosim` with no command).
#include <fmt/format.h>

#include <cmath>

#include "dojosim/api/api.hpp"

namespace dojosim::api {

DefaultScenarioOutput default_scenario(const std::string& stack) {
  DefaultScenarioOutput out;
  const auto w = workload::load_workload("gpt3-175b");
  out.dojo = hardware::load_system("dojo-exapod");
  const auto a100_one = hardware::load_system("dgx-a100");
  const double peak = out.dojo.peak(hardware::Precision::bf16);
  const long long nodes = std::llround(peak / a100_one.peak(hardware::Precision::bf16));
  out.gpu_spec = fmt::format("dgx-a100:nodes={}", nodes);
  out.gpu = hardware::load_system(out.gpu_spec);
  // Fair: both machines on the same software stack, the reference's default unless given
  // (DESIGN.md 3).
  out.stack = stack_for(out.gpu, stack, {});
  parallel::Strategy partial = parallel::parse_strategy("");  // everything chosen: the fastest feasible plan
  out.dojo_result = engine::plan_or_resolve(model_context(out.dojo, w, partial, 2048, out.stack), partial);
  out.gpu_result = engine::plan_or_resolve(model_context(out.gpu, w, partial, 2048, out.stack), partial);
  out.dojo_econ = economics_for(out.dojo, out.dojo_result);
  out.gpu_econ = economics_for(out.gpu, out.gpu_result);
  const auto& rd = out.dojo_result;
  const auto& rg = out.gpu_result;
  out.a100_equivalents_linear = static_cast<double>(rg.devices) * rd.tokens_per_s() / rg.tokens_per_s();
  out.a100_equivalents_by_peak = peak / a100_one.device.peak_for(hardware::Precision::bf16);
  // Resized: the A100 cluster grown or shrunk until, with its own best plan for the same
  // target batch, it matches the ExaPOD's tokens/s (as `compare` does).
  ReferenceSizer sizer(out.gpu_spec, {}, w, partial, 2048, out.stack);
  const auto solved = sizer.solve(rd.tokens_per_s(), rg.tokens_per_s() / static_cast<double>(rg.devices));
  out.resized = solved.solved;
  out.a100_equivalents = solved.solved ? solved.devices : 0.0;
  SensitivityArgs sa;
  sa.stack = stack;
  out.sensitivity = sensitivity(sa);
  return out;
}

Json DefaultScenarioOutput::json() const {
  Json j;
  j["question"] = "does a Dojo ExaPOD beat an equal-peak DGX A100 cluster on GPT-3 175B?";
  j["stack"] = stack.name;
  j["dojo"] = report::result_json(dojo_result, dojo, dojo_econ);
  j["a100"] = report::result_json(gpu_result, gpu, gpu_econ);
  j["a100_system"] = gpu_spec;
  j["a100_equivalents"] = resized ? Json(a100_equivalents) : Json(nullptr);
  j["a100_equivalents_linear"] = a100_equivalents_linear;
  j["a100_equivalents_by_peak"] = a100_equivalents_by_peak;
  j["sensitivity"] = sensitivity.json();
  return j;
}

}  // namespace dojosim::api
