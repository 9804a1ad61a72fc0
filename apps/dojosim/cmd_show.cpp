// dojosim show: the fully resolved description of a system or model (api::show_tree).
#include <iostream>

#include "cli_checks.hpp"
#include "commands.hpp"
#include "dojosim/api/api.hpp"
#include "dojosim/report/tree.hpp"

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
      const YAML::Node tree = api::show_tree(kind, name, sets);
      if (format == "json")
        std::cout << report::yaml_to_json(tree).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      else
        std::cout << report::yaml_text(tree);
      return 0;
    };
  });
}

}  // namespace dojosim::cli
