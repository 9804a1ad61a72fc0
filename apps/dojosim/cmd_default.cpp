// The default scenario (api::default_scenario), printed: the question Dojo was judged on. One Dojo ExaPOD against a DGX
// A100 cluster of equal peak BF16, training GPT-3 175B: step time, MFU, where the time
// goes, where the memory lives, and how many A100s the ExaPOD is worth.
#include <algorithm>
#include <fmt/format.h>

#include <cmath>

#include "dojosim/api/api.hpp"
#include "dojosim/core/units.hpp"
#include "dojosim/report/result.hpp"
#include "commands.hpp"
#include "dojosim/workload/workload.hpp"
#include "economics_bridge.hpp"

namespace dojosim::cli {

int run_default_scenario(const std::string& stack_spec) {
  const auto out = api::default_scenario(stack_spec);
  const auto& dojo = out.dojo;
  const auto& gpu = out.gpu;
  const auto& stack = out.stack;
  const auto& rd = out.dojo_result;
  const auto& rg = out.gpu_result;
  const auto& ed = out.dojo_econ;
  const auto& eg = out.gpu_econ;
  const double peak = dojo.peak(hardware::Precision::bf16);
  fmt::print("dojosim default scenario: does a Dojo ExaPOD beat an equal-peak DGX A100 cluster on GPT-3 175B?\n");
  fmt::print("Assumption: both run the same software stack, {} ({}); docs/dojo.md gives the verdict under each stack.\n\n",
             stack.name, stack.description);
  // Columns as wide as their widest cell (at least 22): the recompute cell names a partial
  // recompute or offload.
  const std::string act_d = fmt::format("{} / {}", parallel::activation_text(rd.strategy), rd.strategy.zero);
  const std::string act_g = fmt::format("{} / {}", parallel::activation_text(rg.strategy), rg.strategy.zero);
  const std::size_t w = std::max<std::size_t>({22, act_d.size() + 1, act_g.size() + 1, out.gpu_spec.size() + 1});
  fmt::print("{:<26} {:>{}} {:>{}}\n", "", dojo.name, w, out.gpu_spec, w);
  auto row = [w](const char* name, const std::string& a, const std::string& b) {
    fmt::print("{:<26} {:>{}} {:>{}}\n", name, a, w, b, w);
  };
  using core::Dim;
  row("devices", fmt::format("{} D1", rd.devices), fmt::format("{} A100", rg.devices));
  row("peak BF16", core::format_quantity(peak, Dim::flop_rate),
      core::format_quantity(gpu.peak(hardware::Precision::bf16), Dim::flop_rate));
  row("strategy", fmt::format("tp{} pp{} dp{} gbs{}", rd.strategy.tp, rd.strategy.pp, rd.strategy.dp, rd.strategy.gbs),
      fmt::format("tp{} pp{} dp{} gbs{}", rg.strategy.tp, rg.strategy.pp, rg.strategy.dp, rg.strategy.gbs));
  row("recompute / zero", act_d, act_g);
  row("step time", fmt::format("{:.3f} s", rd.step_time), fmt::format("{:.3f} s", rg.step_time));
  row("tokens/s", fmt::format("{:.4g}", rd.tokens_per_s()), fmt::format("{:.4g}", rg.tokens_per_s()));
  row("MFU", fmt::format("{:.1f}%", 100 * rd.mfu), fmt::format("{:.1f}%", 100 * rg.mfu));
  auto pct = [](double v, double t) { return fmt::format("{:.1f}%", 100 * v / t); };
  const auto& bd = rd.breakdown;
  const auto& bg = rg.breakdown;
  row("  compute", pct(bd.compute, rd.step_time), pct(bg.compute, rg.step_time));
  row("  exposed communication", pct(bd.exposed_comm(), rd.step_time), pct(bg.exposed_comm(), rg.step_time));
  row("  pipeline bubble", pct(bd.bubble, rd.step_time), pct(bg.bubble, rg.step_time));
  row("  memory streaming", pct(bd.memory_stream, rd.step_time), pct(bg.memory_stream, rg.step_time));
  row("memory per device", core::format_quantity(rd.memory.per_device(), Dim::bytes),
      core::format_quantity(rg.memory.per_device(), Dim::bytes));
  using engine::tier_name;
  row("  placement (w/g/o/a)",
      fmt::format("{}/{}/{}/{}", tier_name(rd.placement.weights), tier_name(rd.placement.gradients),
                  tier_name(rd.placement.optimizer), tier_name(rd.placement.activations)),
      "HBM");
  row("power", core::format_quantity(ed.power_w, Dim::watts), core::format_quantity(eg.power_w, Dim::watts));
  row("cost per step", fmt::format("${:.2f}", ed.cost_usd_per_step), fmt::format("${:.2f}", eg.cost_usd_per_step));
  // Each plan in full, to rerun with `dojosim run --parallel`.
  fmt::print("plans:\n  {:<24} {}\n  {:<24} {}\n", dojo.name, rd.strategy.spec() + rd.strategy.options(), out.gpu_spec,
             rg.strategy.spec() + rg.strategy.options());
  fmt::print(
      "\nA100-equivalents of one ExaPOD on this workload: {} by throughput (the A100 cluster resized, its best plan at "
      "each size), {:.0f} extrapolating per-A100 throughput at equal peak, {:.0f} by peak BF16 alone.\n",
      out.resized ? fmt::format("{:.0f}", out.a100_equivalents) : std::string("no A100 cluster size"),
      out.a100_equivalents_linear, out.a100_equivalents_by_peak);
  // How sure: every Dojo assumption at its low and high value (api::sensitivity, the same
  // analysis as `dojosim sensitivity`).
  const auto& sens = out.sensitivity;
  const auto& c0 = sens.s.corners[0];
  const auto& top = sens.s.rows[sens.s.ranked(0).front()];
  fmt::print(
      "How sure: the public facts allow {:.0f} to {:.0f} A100-equivalents (every Dojo assumption at its worst, then its best, or "
      "one alone); "
      "{} moves it most ({:.0f} to {:.0f} at {} to {}). Throughput per dollar: {:.2f}x the A100 cluster's ({:.2f}x to {:.2f}x). "
      "`dojosim sensitivity` shows every assumption.\n",
      c0.low, c0.high, top.a.label, top.low[0], top.high[0], top.a.low, top.a.high, sens.s.base[2], sens.s.corners[2].low,
      sens.s.corners[2].high);
  fmt::print("Dojo figures beyond the published ones are assumptions (docs/dojo.md); run `dojosim run --help` to explore.\n");
  return 0;
}

}  // namespace dojosim::cli
