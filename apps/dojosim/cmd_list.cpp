#include <fmt/format.h>

#include <iostream>

#include "cli_checks.hpp"
#include "commands.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/core/registry.hpp"
#include "dojosim/core/text.hpp"
#include "dojosim/hardware/system.hpp"
#include "dojosim/parallel/stack.hpp"
#include "dojosim/workload/workload.hpp"
#include "registry_all.hpp"

namespace dojosim::cli {

void add_list(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("list", "List presets: systems, models, formats, or registered components");
  static std::string what;
  static std::string format = "text";
  cmd->add_option("what", what, "systems | models | stacks | formats | components")
      ->required()
      ->check(checks::one_of({"systems", "models", "stacks", "formats", "components"}));
  cmd->add_option("--format", format, "text | markdown (components only)")->check(checks::one_of({"text", "markdown"}));
  cmd->callback([&action]() {
    action = []() -> int {
      const std::vector<std::string> kinds{"systems", "models", "stacks", "formats", "components"};
      if (what == "systems") {
        for (const auto& n : hardware::preset_system_names()) {
          const auto s = hardware::load_system(n);
          fmt::print("{:<14} {:>6} x {:<16} {}\n", n, s.device_count(), s.device.name, s.description);
        }
      } else if (what == "models") {
        for (const auto& n : workload::zoo_model_names()) {
          const auto w = workload::load_workload(n);
          if (w.vision())
            fmt::print("{:<14} {:>8.2f} B params  vision: {:.4g} GFLOP per {} forward; {}\n", n, w.params() / 1e9,
                       w.network.forward_flops() / 1e9, w.network.sample, w.network.source);
          else
            fmt::print("{:<14} {:>8.2f} B params  {}\n", n, w.params() / 1e9, w.transformer.source);
        }
      } else if (what == "stacks") {
        for (const auto& n : parallel::preset_stack_names()) {
          const auto st = parallel::load_stack(n);
          fmt::print("{:<14} {}\n", n, st.description);
        }
      } else if (what == "formats") {
        print_formats();
      } else if (what == "components") {
        const auto reg = build_registry();
        if (format == "markdown") {
          std::cout << reg.markdown();
        } else {
          for (const auto& k : reg.kinds())
            for (const auto* c : reg.of_kind(k)) fmt::print("{:<18} {:<22} {}\n", k, c->name, c->help);
        }
      } else {
        throw core::InputError({"", 0, 0, "list"}, fmt::format("cannot list '{}'", what), "one of: " + core::join(kinds, ", "),
                               core::did_you_mean(what, kinds));
      }
      return 0;
    };
  });
}

}  // namespace dojosim::cli
