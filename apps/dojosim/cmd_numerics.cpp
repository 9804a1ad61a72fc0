#include "commands.hpp"

namespace dojosim::cli {

// Filled in by the numerics module's CLI (issue work in progress).
void add_numerics(CLI::App& app, Action& action) {
  (void)app;
  (void)action;
}

}  // namespace dojosim::cli
