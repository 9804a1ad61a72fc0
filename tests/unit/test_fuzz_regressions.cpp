// Every crash reproducer libFuzzer found (fuzz/regressions/TARGET/) stays fixed under the
// ordinary build too: each input is either accepted or rejected with a typed, located
// dojosim::core::Error, never another exception (docs/fuzzing.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dojosim/core/errors.hpp"
#include "dojosim/workload/workload.hpp"

using namespace dojosim;
namespace fs = std::filesystem;

namespace {
const fs::path kRegressions = fs::path(DOJOSIM_FUZZ_DIR) / "regressions";

std::vector<fs::path> inputs(const std::string& target) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(kRegressions / target))
    if (e.is_regular_file() && e.path().filename() != ".keep") out.push_back(e.path());
  return out;
}
}  // namespace

// fuzz_model_yaml: `parameters: {p: {sets: <scalar>}}` threw YAML::BadSubscript out of
// load_workload (an "internal error", exit 1); now an InputError naming the parameter.
TEST(FuzzRegressions, ModelYamlParametersSetsScalar) {
  const auto path = (kRegressions / "model_yaml" / "sets_on_scalar.yaml").string();
  try {
    (void)workload::load_workload(path);
    FAIL() << "accepted a parameter whose 'sets' is not a list";
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("sets_on_scalar.yaml:"), std::string::npos) << e.what();
    EXPECT_NE(e.location().key_path.find("parameters."), std::string::npos) << e.what();
  }
}

TEST(FuzzRegressions, EveryModelYamlReproducerIsATypedError) {
  const auto files = inputs("model_yaml");
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    try {
      (void)workload::load_workload(f.string());
    } catch (const core::Error&) {
    } catch (const std::exception& e) { ADD_FAILURE() << f << ": " << e.what(); }
  }
}

// fuzz_hf_config: "143e32768" threw nlohmann's out_of_range.406 (not a parse_error) out of
// load_workload; now an InputError naming the file.
TEST(FuzzRegressions, HfConfigNumberOverflow) {
  const auto path = (kRegressions / "hf_config" / "number_overflow.json").string();
  try {
    (void)workload::load_workload(path);
    FAIL() << "accepted a number beyond double range";
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("number_overflow.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("malformed JSON"), std::string::npos) << e.what();
  }
}

// A tester's probe (and the model_yaml target's input): nested aliases expanding to 9^10
// values hung load_workload, and an alias inside its own anchor overflowed the stack; now
// located InputErrors from the parse (core::parse_yaml bounds every document).
TEST(FuzzRegressions, ModelYamlAliasesAreBounded) {
  for (const auto& [file, want] : std::vector<std::pair<std::string, std::string>>{
           {"alias_billion_laughs.yaml", "expands to more than"}, {"alias_inside_its_anchor.yaml", "nests more than"}}) {
    const auto path = (kRegressions / "model_yaml" / file).string();
    try {
      (void)workload::load_workload(path);
      ADD_FAILURE() << file << " was accepted";
    } catch (const core::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(file + ":"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    }
  }
}
