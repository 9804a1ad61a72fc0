// dojosim sensitivity: how sure is "one ExaPOD in A100-equivalents" — every Dojo
// assumption at its low and high value (api::sensitivity), as a table, JSON or a tornado
// chart (SVG). The assumptions table: src/explore/sensitivity.cpp.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>

#include "cli_checks.hpp"
#include "commands.hpp"
#include "dojosim/api/api.hpp"
#include "dojosim/report/html.hpp"
#include "dojosim/report/tornado.hpp"

namespace dojosim::cli {

void add_sensitivity(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("sensitivity",
                                 "How sure is the verdict: one ExaPOD in A100-equivalents under every Dojo "
                                 "assumption at its low and high value (tornado chart with --svg)");
  static api::SensitivityArgs args;
  static std::string format = "text", svg, html;
  cmd->add_option("--system", args.system, "the Dojo system (default: dojo-exapod)");
  cmd->add_option("--model", args.model, "the workload (default: gpt3-175b)");
  cmd->add_option("--reference", args.reference,
                  "the GPU system counted in (default: dgx-a100 with the Dojo system's peak BF16)");
  cmd->add_option("--stack", args.stack, "software stack of both (default: the reference's default)");
  cmd->add_option("--seq", args.seq, "sequence length (default: min(model max, 2048))")
      ->check(checks::whole(1, 1LL << 24, "a sequence length in tokens"));
  cmd->add_option("--set", args.sets, "override a key of the Dojo system in every variant (KEY=VALUE, economics.KEY=VALUE)");
  cmd->add_option("--format", format, "text | json")->check(checks::one_of({"text", "json"}));
  cmd->add_option("--svg", svg, "write the tornado chart of A100-equivalents (SVG)")->check(checks::nonempty("a file path"));
  cmd->add_option("--html", html, "write a self-contained HTML report (tornado charts, the assumptions with their sources)")
      ->check(checks::nonempty("a file path"));
  cmd->callback([&action]() {
    action = []() -> int {
      const auto out = api::sensitivity(args);
      const auto j = out.json();
      if (!svg.empty()) write_file(svg, report::tornado_svg(j));
      if (!html.empty()) write_file(html, report::sensitivity_html(j));
      if (format == "json") {
        std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return 0;
      }
      const auto& s = out.s;
      fmt::print("sensitivity: {}\n", j["question"].get<std::string>());
      fmt::print(
          "at the preset: {:.0f} A100-equivalents; {:.0f} A100s cost as much per hour; throughput per dollar {:.2f}x the A100 "
          "cluster's\n\n",
          s.base[0], s.base[1], s.base[2]);
      fmt::print("{:<38} {:>12} {:>12} {:>12} {:>17} {:>15}\n", "assumption (largest swing first)", "low", "base", "high",
                 "A100-eq low..high", "per $ low..high");
      for (std::size_t i : s.ranked(0)) {
        const auto& r = s.rows[i];
        fmt::print("{:<38} {:>12} {:>12} {:>12} {:>8.0f}..{:<8.0f} {:>7.2f}..{:<7.2f}\n", r.a.label, r.a.low,
                   r.a.base.empty() ? "model" : r.a.base, r.a.high, r.low[0], r.high[0], r.low[2], r.high[2]);
      }
      if (!out.not_applicable.empty())
        fmt::print("not applicable to {} (it has no such level): {}\n", out.system, fmt::join(out.not_applicable, "; "));
      const auto& c0 = s.corners[0];
      const auto& c2 = s.corners[2];
      fmt::print("\nmost sensitive: {}\n", j["most_sensitive"].get<std::string>());
      fmt::print(
          "range the public facts allow (every assumption at its worst, then its best, together, or one alone): {:.0f} .. {:.0f} "
          "A100-equivalents (preset {:.0f}); throughput per dollar {:.2f}x .. {:.2f}x (preset {:.2f}x)\n",
          c0.low, c0.high, s.base[0], c2.low, c2.high, s.base[2]);
      fmt::print("sources and reasons for each value: --format json, or src/explore/sensitivity.cpp (one table)\n");
      return 0;
    };
  });
}

}  // namespace dojosim::cli
