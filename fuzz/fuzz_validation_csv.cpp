// Validation CSV (dojosim validate CASES.csv), through the command itself: a bad CSV is an
// InputError, a case that cannot be evaluated is a failed row, nothing else may escape.
#include <iostream>
#include <sstream>

#include "../apps/dojosim/commands.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dojosim;
  const std::string path = fuzz::scratch_file(fuzz::bytes(data, size), ".csv");
  static std::ostringstream sink;
  sink.str({});
  auto* out = std::cout.rdbuf(sink.rdbuf());
  auto* err = std::cerr.rdbuf(sink.rdbuf());
  int rc = 0;
  {
    CLI::App app{"fuzz"};
    cli::Action action;
    cli::add_validate(app, action);
    const char* argv[] = {"dojosim", "validate", path.c_str(), "--format", "json"};
    app.parse(5, argv);
    rc = fuzz::expect_typed_errors([&] { (void)action(); });
  }
  std::cout.rdbuf(out);
  std::cerr.rdbuf(err);
  return rc;
}
