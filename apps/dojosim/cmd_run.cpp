#include <fmt/format.h>

#include "commands.hpp"

namespace dojosim::cli {

void add_run(CLI::App& app, Action& action) {
  (void)app;
  (void)action;
}

int run_default_scenario() {
  fmt::print("dojosim: default scenario (Dojo ExaPOD vs. an equal-peak DGX A100 cluster) — engine pending\n");
  return 0;
}

}  // namespace dojosim::cli
