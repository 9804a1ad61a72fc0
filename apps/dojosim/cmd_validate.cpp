// dojosim validate CASES.csv: predicted against measured step times (api::validate).
#include <fmt/format.h>

#include <iostream>

#include "cli_checks.hpp"
#include "commands.hpp"
#include "dojosim/api/api.hpp"

namespace dojosim::cli {

void add_validate(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("validate", "Compare predicted with measured step times (CSV columns: docs/validation.md#csv)");
  static std::string file, format = "text", stack_name;
  cmd->add_option("cases", file, "CSV file")->required();
  cmd->add_option("--stack", stack_name, "software stack of rows whose `stack` column is empty (default: each system's)");
  cmd->add_option("--format", format, "text | json")->check(checks::one_of({"text", "json"}));
  cmd->callback([&action]() {
    action = []() -> int {
      const auto v = api::validate(file, stack_name);
      if (format == "json") {
        std::cout << v.json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      } else {
        std::cout << v.text;
        if (v.counted > 0)
          std::cout << fmt::format("mean absolute error {:.2f}% over {} evaluated cases; max {:.2f}%; {} failed\n", v.mape,
                                   v.counted, v.max_abs, v.failed);
        else
          std::cout << fmt::format("no case evaluated; {} failed\n", v.failed);
        std::cout << v.groups;
      }
      if (v.failed > 0) {
        std::cerr << fmt::format("infeasible: {} of {} cases could not be evaluated (see their error)\n", v.failed,
                                 v.failed + v.counted);
        return 3;
      }
      return 0;
    };
  });
}

}  // namespace dojosim::cli
