// dojosim build-vs-buy: a custom machine's programme (NRE, schedule, fleet) against buying
// or renting the GPUs on sale when it is ready (explore/build_vs_buy.hpp,
// docs/economics.md section 7). Parses, calls api::build_vs_buy, prints.
#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "cli_checks.hpp"
#include "commands.hpp"
#include "dojosim/report/html.hpp"
#include "dojosim/api/api.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/explore/build_vs_buy.hpp"

namespace dojosim::cli {

void add_build_vs_buy(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("build-vs-buy",
                                 "A custom machine's whole programme (NRE, schedule, fleet) against buying or "
                                 "renting the GPUs of its year, per delivered PFLOP-day");
  static api::BuildVsBuyArgs args;
  static std::string format = "text", svg, html;
  cmd->add_option("--custom", args.custom, "the custom machine, one unit of its fleet (default dojo-exapod)");
  cmd->add_option("--model", args.model, "zoo name (tesla-video, gpt3-175b, ...), config.json, ONNX or YAML file")->required();
  cmd->add_option("--fleet", args.fleet, "custom units in the fleet (e.g. 3.7 ExaPODs)");
  cmd->add_option("--tokens-per-year", args.tokens_per_year, "compute need: training tokens a year (language models)");
  cmd->add_option("--samples-per-year", args.samples_per_year,
                  "compute need: samples (video clips, images) a year (vision models)");
  cmd->add_option("--gpu", args.gpus, "replace the GPU roadmap: SYSTEM@YEAR, repeatable (e.g. dgx-h100:nodes=128@2023)");
  cmd->add_option("--parallel", args.parallel, "keys held fixed on every system (as compare)");
  cmd->add_option("--seq", args.seq, "sequence length (default: min(model max, 2048))")
      ->check(checks::whole(1, 1LL << 24, "a sequence length in tokens"));
  cmd->add_option("--precision", args.precision, "bf16 | fp16 | fp8 | cfp8");
  cmd->add_option("--stack", args.stack,
                  "software stack of every machine, custom and bought (default megatron-core: the same "
                  "software on all, DESIGN.md 3)");
  cmd->add_option("--set", args.sets,
                  "override a key of every system (KEY=VALUE) or an economics parameter (economics.KEY=VALUE)");
  cmd->add_option("--format", format, "text | json")->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--svg", svg, "write a bar chart of $ per delivered PFLOP-day of every option");
  cmd->add_option("--html", html, "write a self-contained HTML report (every option, the delay curve, the sensitivity table)")
      ->check(checks::nonempty("a file path"));
  cmd->callback([&action]() {
    action = []() -> int {
      const auto report = api::build_vs_buy(args);
      if (!svg.empty()) {
        std::ofstream out(svg, std::ios::binary);
        if (!out) throw core::InputError({svg, 0, 0, "--svg"}, fmt::format("cannot write '{}'", svg), "a writable file path");
        out << explore::to_svg(report);
      }
      if (!html.empty()) write_file(html, report::build_vs_buy_html(explore::to_json(report)));
      if (format == "json")
        std::cout << explore::to_json(report).dump(2) << "\n";
      else
        std::cout << explore::to_text(report);
      return 0;
    };
  });
}

}  // namespace dojosim::cli
