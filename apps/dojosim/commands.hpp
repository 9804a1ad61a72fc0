// The CLI: one file per subcommand (cmd_<name>.cpp), each registering itself on the
// CLI11 app and returning the action to run after parsing. No modelling logic lives here.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace dojosim::cli {

using Action = std::function<int()>;

// Each adds its subcommand to `app` and stores the action to run into `action` when the
// subcommand is selected.
void add_list(CLI::App& app, Action& action);
void add_show(CLI::App& app, Action& action);
void add_run(CLI::App& app, Action& action);
void add_validate(CLI::App& app, Action& action);
void add_numerics(CLI::App& app, Action& action);      // cmd_numerics.cpp
void add_economics(CLI::App& app, Action& action);     // cmd_economics.cpp
void add_search(CLI::App& app, Action& action);        // cmd_search.cpp
void add_compare(CLI::App& app, Action& action);       // cmd_compare.cpp
void add_sweep(CLI::App& app, Action& action);         // cmd_sweep.cpp
void add_build_vs_buy(CLI::App& app, Action& action);  // cmd_build_vs_buy.cpp
void add_sensitivity(CLI::App& app, Action& action);   // cmd_sensitivity.cpp
void add_replay(CLI::App& app, Action& action);        // cmd_replay.cpp

// Writes `text` to `path` (InputError when it cannot be written).
void write_file(const std::string& path, const std::string& text);

}  // namespace dojosim::cli
