// Randomised robustness: thousands of mutated unit strings and YAML documents never crash
// the parsers; every failure is an InputError. Run under the asan preset for sanitizer
// coverage.
#include <gtest/gtest.h>

#include <random>

#include "dojosim/core/config.hpp"

using namespace dojosim::core;

namespace {
std::string mutate(std::string s, std::mt19937_64& rng) {
  static const std::string alphabet = "0123456789.eE+-,$ kMGTPEKimunpBbsWJHzFLOPSUD/:[]{}\"'#&*!|>\n\t\\";
  std::uniform_int_distribution<int> op(0, 3);
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits; ++i) {
    const std::size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
    const char c = alphabet[rng() % alphabet.size()];
    switch (op(rng)) {
      case 0: s.insert(s.begin() + static_cast<long>(pos), c); break;
      case 1:
        if (!s.empty() && pos < s.size()) s.erase(pos, 1);
        break;
      case 2:
        if (pos < s.size()) s[pos] = c;
        break;
      default:
        if (!s.empty()) s = s.substr(0, pos);
        break;
    }
  }
  return s;
}
}  // namespace

TEST(Fuzz, UnitParserNeverCrashes) {
  std::mt19937_64 rng(12345);
  const std::vector<std::string> seeds{"900 GB/s", "1.25 MiB", "362 TFLOP/s", "$199,000", "1.3 us", "15 kW", "1e3", "2 GHz"};
  int ok = 0, rejected = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string s = mutate(seeds[static_cast<std::size_t>(i) % seeds.size()], rng);
    for (Dim d : {Dim::bytes, Dim::byte_rate, Dim::flop_rate, Dim::seconds, Dim::usd, Dim::watts}) {
      try {
        const double v = parse_quantity(s, d);
        EXPECT_TRUE(std::isfinite(v)) << s;
        ++ok;
      } catch (const InputError&) { ++rejected; }
    }
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(rejected, 0);
}

TEST(Fuzz, YamlReaderNeverCrashes) {
  std::mt19937_64 rng(777);
  const std::string seed =
      "name: x\nlevels:\n  node: {topology: switched, size: 8, bandwidth: {value: 450 GB/s, source: N2}}\nlist: [1, 2, 3]\n";
  for (int i = 0; i < 5000; ++i) {
    const std::string s = mutate(seed, rng);
    try {
      auto d = std::make_shared<const Document>(parse_yaml(s, "fuzz.yaml"));
      if (!d->root.IsMap()) continue;
      Reader r(d, d->root, "");
      (void)r.string("name", "");
      if (auto l = r.optional_map("levels"))
        for (const auto& k : l->keys())
          if (l->node()[k].IsMap()) {
            auto n = l->map(k);
            (void)n.quantity("bandwidth", Dim::byte_rate, 1.0);
            (void)n.integer("size", 1);
          }
      r.ignore("list");
      r.finish();
    } catch (const InputError&) {}
  }
  SUCCEED();
}
