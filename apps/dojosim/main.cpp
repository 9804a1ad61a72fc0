// dojosim command line: parses arguments, dispatches to a subcommand, and maps errors to
// exit codes (0 ok, 1 internal error, 2 bad input, 3 valid input that cannot run).
#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "economics_bridge.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"

namespace {

// A long option the command does not have, and the nearest one it has: "--paralel" ->
// "--parallel", "--systems" -> "--system" (CLI11 says only that the arguments were not
// expected, or that the option they meant is missing). "" when every option is known or
// none is near.
std::string option_hint(const CLI::App& cmd, const std::string& path, int argc, char** argv) {
  std::vector<std::string> names;
  for (const CLI::Option* o : cmd.get_options())
    for (const auto& n : o->get_lnames()) names.push_back("--" + n);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (!arg.starts_with("--")) continue;
    const std::string name = arg.substr(0, arg.find('='));
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    const std::string near = dojosim::core::nearest(name, names);
    if (!near.empty()) return fmt::format("{} is not an option of {}: did you mean '{}'?", name, path, near);
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dojosim;
  CLI::App app{"dojosim: a simulator and planner of large-scale neural-network training, Tesla Dojo included", "dojosim"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", "dojosim 0.1.0");
  cli::Action action;
  cli::add_list(app, action);
  cli::add_show(app, action);
  cli::add_run(app, action);
  cli::add_validate(app, action);
  cli::add_numerics(app, action);
  cli::add_economics(app, action);
  cli::add_search(app, action);
  cli::add_compare(app, action);
  cli::add_sweep(app, action);
  cli::add_build_vs_buy(app, action);
  cli::add_sensitivity(app, action);
  cli::add_replay(app, action);
  // The default scenario (no command) takes the stack both machines run on.
  std::string default_stack;
  app.add_option("--stack", default_stack,
                 "with no command: the software stack both machines of the default scenario run on (dojosim list stacks)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) { return app.exit(e); } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) { return app.exit(e); } catch (const CLI::ParseError& e) {
    // House style (DESIGN.md 4.1): "error: option --seq: ... / expected: ..." and exit 2,
    // never the argument library's own wording alone.
    std::string what = e.what();
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr && what.find(" missing") != std::string::npos)
      what = what.substr(0, what.find(':')) + ": the value is missing";  // `--trace ""`: CLI11 reads no value
    if (!what.empty() && what[0] == '-')
      what = "option " + what;
    else if (dynamic_cast<const CLI::ValidationError*>(&e) != nullptr)
      what = "argument " + what;
    std::string help = "dojosim --help";
    const CLI::App* cmd = &app;
    std::string path = "dojosim";
    for (const auto* sub : app.get_subcommands()) {
      help = fmt::format("dojosim {} --help", sub->get_name());
      cmd = sub;
      path = "dojosim " + sub->get_name();
      for (const auto* sub2 : sub->get_subcommands()) {
        help = fmt::format("dojosim {} {} --help", sub->get_name(), sub2->get_name());
        cmd = sub2;
        path = fmt::format("dojosim {} {}", sub->get_name(), sub2->get_name());
      }
    }
    const std::string near = option_hint(*cmd, path, argc, argv);
    std::cerr << "error: " << what << (near.empty() ? "" : "\n  hint: " + near) << "\n  hint: '" << help
              << "' lists the options\n";
    return 2;
  }
  try {
    if (!action) return cli::run_default_scenario(default_stack);
    if (!default_stack.empty())
      throw core::InputError({"--stack", 0, 0, ""}, "a --stack before the command applies to the default scenario only",
                             "the command's own --stack, after the command: dojosim run --stack NAME ...");
    return action();
  } catch (const core::Error& e) {
    std::cerr << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "internal error: " << e.what() << "\n";
    return 1;
  }
}
