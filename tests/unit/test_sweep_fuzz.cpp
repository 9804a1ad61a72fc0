// Randomised robustness of the space parser: thousands of mutated SPACE.yaml files never
// crash it; every rejection is a core::Error (exit 2), and every accepted space can be
// enumerated. Run under the asan preset for sanitizer coverage.
#include <gtest/gtest.h>

#include <random>

#include "dojosim/core/errors.hpp"
#include "dojosim/explore/sweep.hpp"

using namespace dojosim;

namespace {
std::string mutate(std::string s, std::mt19937_64& rng) {
  static const std::string alphabet = "0123456789.eE+-,$ kMGTBbs/:[]{}\"'#&*!|>\n\t\\_=abcdefghijklmnopqrstuvwxyz";
  const int edits = 1 + static_cast<int>(rng() % 2);
  for (int i = 0; i < edits; ++i) {
    const std::size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
    const char c = alphabet[rng() % alphabet.size()];
    switch (rng() % 9) {
      case 0: s.insert(s.begin() + static_cast<long>(pos), c); break;
      case 1:
        if (!s.empty() && pos < s.size()) s.erase(pos, 1);
        break;
      case 2:
        if (pos < s.size()) s[pos] = c;
        break;
      case 3: {  // duplicate a slice (repeats keys, nests brackets)
        if (s.empty()) break;
        const std::size_t len = 1 + rng() % 12;
        s.insert(pos, s.substr(rng() % s.size(), len));
        break;
      }
      case 4:
        if (!s.empty()) s = s.substr(0, pos);
        break;
      default: break;  // untouched this round: keeps most files close to valid
    }
  }
  return s;
}
}  // namespace

TEST(SweepFuzz, SpaceParserNeverCrashes) {
  const std::vector<std::string> seeds{
      "systems: [dgx-h100:nodes=2, dojo-tile]\nmodels: [llama3-8b]\nset:\n"
      "  levels.node.bandwidth: {from: 100 GB/s, to: 900 GB/s, steps: 3, scale: log}\n"
      "  device.price: [$20000, $30000]\nstrategy: [best, \"tp=8,pp=1\"]\nseq: [2048]\nprecision: bf16\n",
      "systems: dgx-a100:nodes=2\nmodels: llama3-8b\nset:\n  economics.electricity_usd_per_kwh: {from: 0.05, to: 0.2}\n"
      "  levels.node.size: {from: 1, to: 8, round: true}\nsampling: {random: 20, seed: 3}\nobjective: cost\n"};
  std::mt19937_64 rng(2024);
  int accepted = 0, rejected = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::string text = mutate(seeds[static_cast<std::size_t>(i) % seeds.size()], rng);
    try {
      const auto s = explore::parse_space(text, "fuzz.yaml");
      ++accepted;
      const long long n = s.size();
      ASSERT_GE(n, 0);
      ASSERT_LE(n, explore::kMaxPoints);
      if (n > 0) {
        (void)explore::point_at(s, 0);
        (void)explore::point_at(s, n - 1);
        (void)explore::point_at(s, n / 2);
      }
      (void)s.hash();
    } catch (const core::Error&) { ++rejected; } catch (const std::exception& e) {
      ADD_FAILURE() << "not a core::Error: " << e.what() << "\n--- input ---\n" << text;
    }
  }
  // Both outcomes must be exercised (a few hundred of each with this seed).
  EXPECT_GT(accepted, 100);
  EXPECT_GT(rejected, 100);
  RecordProperty("accepted", accepted);
  RecordProperty("rejected", rejected);
}
