// dojosim build-vs-buy: a custom machine's programme (NRE, schedule, fleet) against buying
// or renting the GPUs on sale when it is ready (explore/build_vs_buy.hpp,
// docs/economics.md section 7). Parses, calls explore::build_vs_buy, prints.
#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <iostream>

#include "cli_checks.hpp"
#include "commands.hpp"
#include "dojosim/report/html.hpp"
#include "dojosim/api/api.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/explore/build_vs_buy.hpp"
#include "dojosim/workload/workload.hpp"

namespace dojosim::cli {

void add_build_vs_buy(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("build-vs-buy",
                                 "A custom machine's whole programme (NRE, schedule, fleet) against buying or "
                                 "renting the GPUs of its year, per delivered PFLOP-day");
  static std::string custom = "dojo-exapod", model, spec, format = "text", precision = "bf16", svg, html,
                     stack_name = "megatron-core";
  static std::vector<std::string> sets, gpus;
  static long long seq = 0;
  static double fleet = 0, tokens_per_year = 0, samples_per_year = 0;
  cmd->add_option("--custom", custom, "the custom machine, one unit of its fleet (default dojo-exapod)");
  cmd->add_option("--model", model, "zoo name (tesla-video, gpt3-175b, ...), config.json, ONNX or YAML file")->required();
  cmd->add_option("--fleet", fleet, "custom units in the fleet (e.g. 3.7 ExaPODs)");
  cmd->add_option("--tokens-per-year", tokens_per_year, "compute need: training tokens a year (language models)");
  cmd->add_option("--samples-per-year", samples_per_year, "compute need: samples (video clips, images) a year (vision models)");
  cmd->add_option("--gpu", gpus, "replace the GPU roadmap: SYSTEM@YEAR, repeatable (e.g. dgx-h100:nodes=128@2023)");
  cmd->add_option("--parallel", spec, "keys held fixed on every system (as compare)");
  cmd->add_option("--seq", seq, "sequence length (default: min(model max, 2048))");
  cmd->add_option("--precision", precision, "bf16 | fp16 | fp8 | cfp8");
  cmd->add_option("--stack", stack_name,
                  "software stack of every machine, custom and bought (default megatron-core: the same "
                  "software on all, DESIGN.md 3)");
  cmd->add_option("--set", sets, "override a key of every system (KEY=VALUE) or an economics parameter (economics.KEY=VALUE)");
  cmd->add_option("--format", format, "text | json")->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--svg", svg, "write a bar chart of $ per delivered PFLOP-day of every option");
  cmd->add_option("--html", html, "write a self-contained HTML report (every option, the delay curve, the sensitivity table)")
      ->check(checks::nonempty("a file path"));
  cmd->callback([&action]() {
    action = []() -> int {
      const auto split = api::split_sets(sets);
      const auto w = workload::load_workload(model);
      explore::BuildVsBuyRequest req;
      req.custom = custom;
      req.system_sets = split.system;
      req.workload = &w;
      req.params = economics::parse_params(split.economics, {}, "--set");
      req.partial = parallel::parse_strategy(spec);
      req.partial.precision = hardware::parse_precision(precision);
      const auto stack = parallel::load_stack(stack_name, split.stack);  // one stack for every machine: a fair comparison
      req.context = [&w, &stack](const hardware::System& s, parallel::Strategy& p) {
        return api::model_context(s, w, p, seq, stack);
      };
      if (!gpus.empty()) {
        req.roadmap.clear();
        for (const auto& g : gpus) req.roadmap.push_back(economics::parse_roadmap_entry(g, "--gpu"));
      }
      for (const auto& [name, v] :
           {std::pair{"--fleet", fleet}, {"--tokens-per-year", tokens_per_year}, {"--samples-per-year", samples_per_year}})
        if (v < 0 || !std::isfinite(v) || v > 1e21)
          throw core::InputError({"", 0, 0, name}, fmt::format("{} {} is out of range", name, v), "a positive number",
                                 "e.g. --fleet 3.7 or --tokens-per-year 1e12");
      if (tokens_per_year > 0 && w.vision())
        throw core::InputError({"", 0, 0, "--tokens-per-year"},
                               fmt::format("{} is a vision network: it counts samples", w.name()), "--samples-per-year",
                               "--samples-per-year N");
      if (samples_per_year > 0 && !w.vision())
        throw core::InputError({"", 0, 0, "--samples-per-year"},
                               fmt::format("{} is a language model: it counts tokens", w.name()), "--tokens-per-year",
                               "--tokens-per-year N");
      if ((fleet > 0) + (tokens_per_year > 0) + (samples_per_year > 0) != 1)
        throw core::InputError({"", 0, 0, "--fleet"}, "give the compute need exactly once",
                               "one of --fleet, --tokens-per-year, --samples-per-year",
                               "e.g. --fleet 3.7 (custom units) or --tokens-per-year 1e12");
      req.fleet_units = fleet;
      req.work_per_year = tokens_per_year + samples_per_year;
      const auto report = explore::build_vs_buy(req);
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
