// dojosim compare: one model on several systems (api::compare), printed as a table, JSON
// or an HTML report. Definitions of each figure: src/api/compare.cpp, docs/dojo.md#compare.
#include <fmt/format.h>

#include <algorithm>

#include <iostream>

#include "cli_checks.hpp"
#include "commands.hpp"
#include "dojosim/api/api.hpp"
#include "dojosim/core/units.hpp"
#include "dojosim/report/html.hpp"

namespace dojosim::cli {

namespace {
std::string usd(double v) {
  if (v >= 1e6) return fmt::format("${:.4g} M", v / 1e6);
  if (v >= 1e3) return fmt::format("${:.4g} k", v / 1e3);
  return fmt::format("${:.4g}", v);
}
std::string energy(double j) {
  if (j >= 3.6e9) return fmt::format("{:.4g} MWh", j / 3.6e9);
  return fmt::format("{:.4g} kWh", j / 3.6e6);
}
std::string duration(double s) {
  if (s >= 86400) return fmt::format("{:.4g} days", s / 86400);
  if (s >= 3600) return fmt::format("{:.4g} h", s / 3600);
  return fmt::format("{:.4g} s", s);
}
}  // namespace

void add_compare(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("compare",
                                 "One model on several systems: speed, a training run's time, energy and cost, "
                                 "and devices-equivalent");
  static api::CompareArgs args;
  static std::string format = "text", html;
  cmd->add_option("--system", args.systems, "two or more systems (preset, SYS:param=value, or YAML)")->required();
  cmd->add_option("--model", args.model, "zoo name (tesla-video:cameras=8,...), config.json, ONNX or YAML file")->required();
  cmd->add_option("--parallel", args.parallel,
                  "keys held fixed on every system; gbs is the target global batch (default: the model's)");
  cmd->add_option("--tokens", args.tokens,
                  "tokens (vision: samples) of the training run (default: 20 per parameter; vision: 90 ImageNet epochs)")
      ->check(checks::number(0, 1e18, "tokens of the training run, e.g. 300e9", true));
  cmd->add_option("--reference", args.reference,
                  "system whose devices the others are counted in (default: the first non-Dojo system)");
  cmd->add_option("--seq", args.seq, "sequence length (default: min(model max, 2048))")
      ->check(checks::whole(1, 1LL << 24, "a sequence length in tokens"));
  cmd->add_option("--precision", args.precision, "bf16 | fp16 | fp8 | cfp8");
  cmd->add_option("--stack", args.stacks,
                  "software stack of every system (one name), or one per --system in order "
                  "(default: the reference system's default stack on every system)");
  cmd->add_option("--set", args.sets,
                  "override a key of every system (KEY=VALUE) or an economics parameter (economics.KEY=VALUE)");
  cmd->add_option("--format", format, "text | json")->check(checks::one_of({"text", "json"}));
  cmd->add_option("--html", html, "write a self-contained HTML report (time, energy, cost, devices-equivalent charts)")
      ->check(checks::nonempty("a file path"));
  cmd->callback([&action]() {
    action = []() -> int {
      const auto out = api::compare(args);
      if (!html.empty()) write_file(html, report::compare_html(out.json()));
      if (format == "json") {
        std::cout << out.json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return 0;
      }
      const auto& entries = out.entries;
      const auto& R = entries[out.ref];
      const auto& levels = R.sys.levels;
      auto solved_text = [&](const api::CompareEntry& e) -> std::string {
        if (&e == &R) return fmt::format("{}", R.best.result.devices);
        if (e.solved.solved) return fmt::format("{:.0f}", e.solved.devices);
        if (!out.ref_resizable) return std::string("n/a (no size parameter)");
        if (!e.solved_why.empty()) return fmt::format("none ({})", e.solved_why);
        return fmt::format("none (max {:.3g}/s at {})", e.solved.best_throughput, e.solved.best_devices);
      };
      fmt::print("compare: {} ({:.4g} B parameters), a training run of {:.4g} {}; reference: {}\n", out.model_name,
                 out.model_params / 1e9, out.run_tokens, out.vision ? "samples" : "tokens", R.spec);
      if (out.same_stack)
        fmt::print("software: every system on the {} stack{} (--stack NAME for another, or one per system)\n",
                   entries[0].stack.name, out.stack_named ? "" : " (the reference's default)");
      else
        fmt::print("software: the stacks differ between systems (as asked with --stack): the comparison mixes software\n");
      fmt::print(
          "costs exclude development (NRE: design, masks, packaging, software); for a whole programme see "
          "`dojosim build-vs-buy`\n\n");
      auto strategy_text = [&](const api::CompareEntry& e) {
        const auto& s = e.best.result.strategy;
        if (out.vision) return fmt::format("dp{} spatial{} mbs{}", s.dp, s.spatial, s.mbs);
        return fmt::format("tp{} pp{} dp{} cp{} vp{} mbs{}", s.tp, s.pp, s.dp, s.cp, s.vp, s.mbs);
      };
      // Columns 24 wide, or two more than their widest cell (a long spec, stack or plan).
      std::size_t widest = 0;
      for (const auto& e : entries)
        widest = std::max({widest, e.spec.size(), e.stack.name.size(), strategy_text(e).size(),
                           parallel::activation_text(e.best.result.strategy).size() + 12,
                           fmt::format("{} x {}", e.best.result.devices, e.sys.device.name).size()});
      const std::size_t width = std::max<std::size_t>(24, widest + 2);
      std::string line = fmt::format("{:<28}", "");
      for (const auto& e : entries) line += fmt::format(" {:>{}}", e.spec, width);
      fmt::print("{}\n", line);
      auto row = [&](const char* name, auto&& cell) {
        std::string l = fmt::format("{:<28}", name);
        for (const auto& e : entries) l += fmt::format(" {:>{}}", cell(e), width);
        fmt::print("{}\n", l);
      };
      using core::Dim;
      using core::format_quantity;
      row("devices", [](const api::CompareEntry& e) { return fmt::format("{} x {}", e.best.result.devices, e.sys.device.name); });
      row("stack", [](const api::CompareEntry& e) { return e.stack.name; });
      row("peak BF16",
          [](const api::CompareEntry& e) { return format_quantity(e.sys.peak(hardware::Precision::bf16), Dim::flop_rate); });
      row("strategy", strategy_text);
      row("gbs / zero / recompute", [](const api::CompareEntry& e) {
        const auto& s = e.best.result.strategy;
        return fmt::format("{} / {} / {}", s.gbs, s.zero, parallel::activation_text(s));
      });
      row("step time", [](const api::CompareEntry& e) { return fmt::format("{:.4g} s", e.best.result.step_time); });
      row(out.vision ? "samples/s" : "tokens/s",
          [](const api::CompareEntry& e) { return fmt::format("{:.4g}", e.best.result.tokens_per_s()); });
      row("MFU", [](const api::CompareEntry& e) { return fmt::format("{:.1f}%", 100 * e.best.result.mfu); });
      row("memory per device",
          [](const api::CompareEntry& e) { return format_quantity(e.best.result.memory.per_device(), Dim::bytes); });
      row("power", [](const api::CompareEntry& e) { return format_quantity(e.econ.power_w(), Dim::watts); });
      row("time to train", [](const api::CompareEntry& e) { return duration(e.run.duration_s); });
      row("energy", [](const api::CompareEntry& e) { return energy(e.run.energy_j); });
      row("cost", [](const api::CompareEntry& e) { return usd(e.run.total_usd); });
      row("$ per PFLOP-day", [](const api::CompareEntry& e) { return fmt::format("${:.4g}", e.run.usd_per_pflop_day); });
      const std::string dev = R.sys.device.name;
      fmt::print("worth, in {} devices:\n", dev);
      row("  by throughput (resized)", [&](const api::CompareEntry& e) { return solved_text(e); });
      row("  by throughput (linear)", [](const api::CompareEntry& e) { return fmt::format("{:.0f}", e.equiv_linear); });
      row("  by cost per hour", [](const api::CompareEntry& e) { return fmt::format("{:.0f}", e.equiv_cost); });
      row("  by peak BF16 (naive)", [](const api::CompareEntry& e) { return fmt::format("{:.0f}", e.equiv_peak); });
      // Each plan in full, to rerun with `dojosim run --parallel`.
      fmt::print("plans:\n");
      std::size_t name_w = 0;
      for (const auto& e : entries) name_w = std::max(name_w, e.spec.size());
      for (const auto& e : entries)
        fmt::print("  {:<{}}  {}\n", e.spec, name_w, e.best.result.strategy.spec() + e.best.result.strategy.options());
      // A batch the plan could not keep (rounded to its replicas), said as search says it.
      for (const auto& e : entries)
        if (e.target_gbs > 0 && e.best.result.strategy.gbs != e.target_gbs)
          fmt::print("note: {} trains with a global batch of {} {}, {} the target {}\n", e.spec, e.best.result.strategy.gbs,
                     out.vision ? "samples" : "sequences",
                     e.best.result.strategy.gbs < e.target_gbs ? "rounded down from" : "grown from", e.target_gbs);
      fmt::print(
          "\nworth: how many {} devices give the same throughput — resized: {} grown or shrunk (its {} level) with its "
          "best plan at each size for the same target batch; linear: at the per-device throughput of {} as given — "
          "or cost the same per hour; the naive figure divides peak BF16 alone.\n",
          dev, R.spec, levels.empty() ? std::string("outermost") : levels.back().name, R.spec);
      return 0;
    };
  });
}

}  // namespace dojosim::cli
