#include "commands.hpp"

namespace dojosim::cli {

// Filled in by the economics module's CLI (issue work in progress).
void add_economics(CLI::App& app, Action& action) {
  (void)app;
  (void)action;
}

}  // namespace dojosim::cli
