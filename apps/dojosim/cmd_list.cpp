// dojosim list: presets and registered components (api::list), as text or JSON.
#include <fmt/format.h>

#include <iostream>

#include "cli_checks.hpp"
#include "commands.hpp"
#include "dojosim/api/api.hpp"
#include "registry_all.hpp"

namespace dojosim::cli {

void add_list(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("list", "List presets: systems, models, formats, or registered components");
  static std::string what;
  static std::string format = "text";
  cmd->add_option("what", what, "systems | models | stacks | formats | components")
      ->required()
      ->check(checks::one_of({"systems", "models", "stacks", "formats", "components"}));
  cmd->add_option("--format", format, "text | json | markdown (components only)")
      ->check(checks::one_of({"text", "json", "markdown"}));
  cmd->callback([&action]() {
    action = []() -> int {
      const auto items = api::list(what);  // throws for an unknown kind
      if (format == "json") {
        std::cout << items.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      } else if (what == "systems") {
        for (const auto& s : items)
          fmt::print("{:<14} {:>6} x {:<16} {}\n", s["name"].get<std::string>(), s["devices"].get<long long>(),
                     s["device"].get<std::string>(), s["description"].get<std::string>());
      } else if (what == "models") {
        for (const auto& m : items) {
          const auto name = m["name"].get<std::string>();
          const double params = m["params"].get<double>();
          if (m["kind"] == "vision")
            fmt::print("{:<14} {:>8.2f} B params  vision: {:.4g} GFLOP per {} forward; {}\n", name, params / 1e9,
                       m["forward_flops_per_sample"].get<double>() / 1e9, m["sample"].get<std::string>(),
                       m["source"].get<std::string>());
          else
            fmt::print("{:<14} {:>8.2f} B params  {}\n", name, params / 1e9, m["source"].get<std::string>());
        }
      } else if (what == "stacks") {
        for (const auto& st : items)
          fmt::print("{:<14} {}\n", st["name"].get<std::string>(), st["description"].get<std::string>());
      } else if (what == "formats") {
        print_formats();
      } else if (format == "markdown") {
        std::cout << build_registry().markdown();
      } else {
        for (const auto& c : items)
          fmt::print("{:<18} {:<22} {}\n", c["kind"].get<std::string>(), c["name"].get<std::string>(),
                     c["help"].get<std::string>());
      }
      return 0;
    };
  });
}

}  // namespace dojosim::cli
