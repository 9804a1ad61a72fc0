// dojosim run: one training step predicted (api::run), printed as text or JSON, with
// optional pictures: the Dojo mesh (--svg), a Perfetto trace (--trace), an HTML report.
#include <fmt/format.h>

#include <iostream>

#include "cli_checks.hpp"
#include "commands.hpp"
#include "dojosim/api/api.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/report/html.hpp"
#include "dojosim/report/result.hpp"
#include "dojosim/report/svg.hpp"

namespace dojosim::cli {

void add_run(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("run", "Predict one training step: time, MFU, breakdown, memory");
  static api::RunArgs args;
  static std::string format = "text", svg, svg_collective, trace, html;
  cmd->add_option("--system", args.system, "preset, SYS:param=value, or YAML file")->required();
  cmd->add_option("--model", args.model, "zoo name (tesla-video:cameras=8,...), config.json, ONNX or YAML file")->required();
  cmd->add_option("--parallel", args.parallel,
                  "tp=,pp=,dp=,cp=,ep=,vp=,mbs=,gbs=,sp=,zero=,recompute=,spatial= (missing keys are chosen)");
  cmd->add_option("--seq", args.seq, "sequence length (default: min(model max, 2048))")
      ->check(checks::whole(1, 1LL << 24, "a sequence length in tokens"));
  cmd->add_option("--precision", args.precision, "bf16 | fp16 | fp8 | cfp8");
  cmd->add_option("--stack", args.stack,
                  "software stack: megatron-2021, megatron-core, deepspeed, fsdp, maxtext, dojo, or a YAML "
                  "file (default: the system's; dojosim list stacks)");
  cmd->add_option("--set", args.sets, "override a system key (KEY=VALUE) or an economics parameter (economics.KEY=VALUE)");
  cmd->add_option("--format", format, "text | json")->check(checks::one_of({"text", "json"}));
  cmd->add_option("--svg", svg,
                  "write a picture of the Dojo mesh (a tile, or one tray) with each link coloured by utilisation over the step")
      ->check(checks::nonempty("a file path"));
  cmd->add_option("--svg-collective", svg_collective,
                  "with --svg: draw one call of this group's collective instead (tp|cp|ep|pp|dp)")
      ->check(checks::one_of({"tp", "cp", "ep", "pp", "dp"}));
  cmd->add_option("--engine", args.engine,
                  "analytical (closed form) | event (the whole step simulated on the topology graph: every layer, transfer and "
                  "link, with contention)")
      ->check(checks::one_of({"analytical", "event"}));
  cmd->add_option("--trace", trace,
                  "write the simulated timeline as a Chrome/Perfetto trace (JSON; ui.perfetto.dev): passes, transfers and, with "
                  "--engine event, link utilisation")
      ->check(checks::nonempty("a file path"));
  cmd->add_option("--chakra", args.chakra,
                  "write the step of every rank as Chakra execution traces <PREFIX>.<rank>.et with "
                  "<PREFIX>.comm_groups.json (for ASTRA-sim or dojosim replay)")
      ->check(checks::nonempty("a file prefix"));
  cmd->add_option("--html", html, "write a self-contained HTML report (step time, memory, schedule, links)")
      ->check(checks::nonempty("a file path"));
  cmd->callback([&action]() {
    action = []() -> int {
      if (!svg_collective.empty() && svg.empty())
        throw core::InputError({"--svg-collective", 0, 0, ""}, "--svg-collective needs --svg FILE",
                               "--svg picture.svg --svg-collective tp");
      args.timeline = !trace.empty() || !html.empty();
      args.timeline_optional = trace.empty();  // a report without the schedule rather than no report
      const auto out = api::run(args);
      if (!trace.empty()) {
        if (!out.has_timeline)
          throw core::Unsupported({"--trace", 0, 0, "trace"},
                                  "a vision network has no pipeline schedule for the analytical engine to trace",
                                  "--engine event --trace FILE (the whole step, op by op)");
        write_file(trace, engine::trace_json(out.timeline, fmt::format("{} on {}: {}", out.model_name, out.sys.name,
                                                                       out.result.strategy.spec())) +
                              "\n");
      }
      if (out.chakra.ranks > 0)
        std::cerr << fmt::format(
            "wrote {} Chakra traces {}.0.et .. {}.{}.et ({} nodes, {} bytes) and {}.comm_groups.json ({} groups)\n",
            out.chakra.ranks, args.chakra, args.chakra, out.chakra.ranks - 1, out.chakra.nodes, out.chakra.bytes, args.chakra,
            out.chakra.groups);
      if (!svg.empty()) write_file(svg, report::mesh_svg(out.result, out.sys, out.model_name, svg_collective));
      if (!html.empty())
        write_file(html,
                   report::run_html(out.json(), out.model_name, report::mesh_svg_if_dojo(out.result, out.sys, out.model_name),
                                    out.has_timeline ? &out.timeline : nullptr));
      if (format == "json")
        std::cout << out.json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      else
        std::cout << report::result_text(out.result, out.sys, out.model_name, out.econ);
      if (!out.result.memory.fits) {
        std::cerr << "infeasible: the plan does not fit in device memory (breakdown above)\n";
        return 3;
      }
      return 0;
    };
  });
}

}  // namespace dojosim::cli
