#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "cli_checks.hpp"
#include "commands.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/engine/engine.hpp"
#include "dojosim/engine/event.hpp"
#include "dojosim/report/result.hpp"
#include "dojosim/workload/workload.hpp"
#include "dojosim/report/svg.hpp"
#include "economics_bridge.hpp"

namespace dojosim::cli {

void add_run(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("run", "Predict one training step: time, MFU, breakdown, memory");
  static std::string system, model, spec, format = "text", precision = "bf16", svg, svg_collective, engine_name = "analytical",
                     trace, stack_name;
  static long long seq = 0;
  static std::vector<std::string> sets;
  cmd->add_option("--system", system, "preset, SYS:param=value, or YAML file")->required();
  cmd->add_option("--model", model, "zoo name (tesla-video:cameras=8,...), config.json, ONNX or YAML file")->required();
  cmd->add_option("--parallel", spec, "tp=,pp=,dp=,cp=,ep=,vp=,mbs=,gbs=,sp=,zero=,recompute=,spatial= (missing keys are chosen)");
  cmd->add_option("--seq", seq, "sequence length (default: min(model max, 2048))")->check(checks::whole(1, 1LL << 24, "a sequence length in tokens"));
  cmd->add_option("--precision", precision, "bf16 | fp16 | fp8 | cfp8");
  cmd->add_option("--stack", stack_name, "software stack: megatron-2021, megatron-core, deepspeed, fsdp, maxtext, dojo, or a YAML "
                                         "file (default: the system's; dojosim list stacks)");
  cmd->add_option("--set", sets, "override a system key (KEY=VALUE) or an economics parameter (economics.KEY=VALUE)");
  cmd->add_option("--format", format, "text | json")->check(checks::one_of({"text", "json"}));
  cmd->add_option("--svg", svg, "write a picture of the Dojo mesh (a tile, or one tray) with each link coloured by utilisation over the step")
      ->check(checks::nonempty("a file path"));
  cmd->add_option("--svg-collective", svg_collective, "with --svg: draw one call of this group's collective instead (tp|cp|ep|pp|dp)")
      ->check(checks::one_of({"tp", "cp", "ep", "pp", "dp"}));
  cmd->add_option("--engine", engine_name, "analytical (closed-form pipeline) | event (the schedule simulated pass by pass)")
      ->check(checks::one_of({"analytical", "event"}));
  cmd->add_option("--trace", trace, "write the simulated pipeline timeline as a Chrome/Perfetto trace (JSON; ui.perfetto.dev)")
      ->check(checks::nonempty("a file path"));
  cmd->callback([&action]() {
    action = []() -> int {
      if (!svg_collective.empty() && svg.empty())
        throw core::InputError({"--svg-collective", 0, 0, ""}, "--svg-collective needs --svg FILE", "--svg picture.svg --svg-collective tp");
      const auto split = split_sets(sets);
      const auto sys = hardware::load_system(system, split.system);
      const auto econ_params = economics::parse_params(split.economics, {}, "--set");
      const auto w = workload::load_workload(model);
      const auto stack = stack_for(sys, stack_name, split.stack);
      parallel::Strategy partial = parallel::parse_strategy(spec);
      partial.precision = hardware::parse_precision(precision);
      const engine::Context ctx = model_context(sys, w, partial, seq, stack);
      auto r = plan(ctx, partial);
      if (engine_name == "event" || !trace.empty()) {
        if (w.vision())
          throw core::Unsupported({"--engine", 0, 0, "engine"}, "the event engine simulates transformer pipelines; vision networks run data parallel",
                                  "--engine analytical, without --trace");
        engine::Timeline timeline;
        const auto ev = engine::simulate_pipeline(ctx, r, trace.empty() ? nullptr : &timeline);
        if (engine_name == "event") r = ev;
        if (!trace.empty()) {
          std::ofstream out(trace, std::ios::binary);
          if (!out || !(out << engine::trace_json(timeline, fmt::format("{} on {}: {}", w.name(), sys.name, ev.strategy.spec())) << "\n") ||
              !out.flush())
            throw core::InputError({trace, 0, 0, ""}, fmt::format("cannot write '{}'", trace), "a writable file path");
        }
      }
      if (!svg.empty()) {
        const std::string picture = report::mesh_svg(r, sys, w.name(), svg_collective);
        std::ofstream out(svg, std::ios::binary);
        if (!out || !(out << picture) || !out.flush())
          throw core::InputError({svg, 0, 0, ""}, fmt::format("cannot write '{}'", svg), "a writable file path");
      }
      const auto econ = economics_for(sys, r, econ_params);
      if (format == "json") std::cout << report::result_json(r, sys, econ).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      else std::cout << report::result_text(r, sys, w.name(), econ);
      if (!r.memory.fits) {
        std::cerr << "infeasible: the plan does not fit in device memory (breakdown above)\n";
        return 3;
      }
      return 0;
    };
  });
}

}  // namespace dojosim::cli
