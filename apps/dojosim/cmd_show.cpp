#include <fmt/format.h>

#include <iostream>

#include "cli_checks.hpp"
#include "commands.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"
#include "dojosim/hardware/system.hpp"
#include "dojosim/parallel/stack.hpp"
#include "dojosim/report/tree.hpp"
#include "dojosim/workload/workload.hpp"

namespace dojosim::cli {

void add_show(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("show", "Print the fully resolved description of a system or model, with sources");
  static std::string kind, name, format = "yaml";
  static std::vector<std::string> sets;
  cmd->add_option("kind", kind, "system | model | stack")->required()->check(checks::one_of({"system", "model", "stack"}));
  cmd->add_option("name", name, "preset name, SYS:param=value, or a file")->required();
  cmd->add_option("--format", format, "yaml | json")->check(checks::one_of({"yaml", "json"}));
  cmd->add_option("--set", sets, "override KEY=VALUE (systems)");
  cmd->callback([&action]() {
    action = []() -> int {
      YAML::Node tree;
      if (kind == "system") {
        tree = hardware::system_to_yaml(hardware::load_system(name, sets));
      } else if (kind == "model") {
        if (!sets.empty()) throw core::InputError({"", 0, 0, "--set"}, "--set applies to systems only", "no --set with show model");
        tree = workload::workload_to_yaml(workload::load_workload(name));
      } else if (kind == "stack") {
        tree = parallel::stack_to_yaml(parallel::load_stack(name, sets));
      } else {
        throw core::InputError({"", 0, 0, "show"}, fmt::format("cannot show '{}'", kind), "system, model or stack",
                               core::did_you_mean(kind, {"system", "model", "stack"}));
      }
      if (format == "json") std::cout << report::yaml_to_json(tree).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      else std::cout << report::yaml_text(tree);
      return 0;
    };
  });
}

}  // namespace dojosim::cli
