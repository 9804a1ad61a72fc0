// The sweep's space file, range expansion and point enumeration: what a SPACE.yaml
// means, exactly (docs/sweep.md).
#include <gtest/gtest.h>

#include <algorithm>

#include <cmath>
#include <set>

#include "dojosim/core/errors.hpp"
#include "dojosim/core/units.hpp"
#include "dojosim/explore/sweep.hpp"

using namespace dojosim;
using explore::Range;

namespace {
const char* kSpace = R"(# a comment
name: unit
systems: [dgx-h100:nodes=2, dgx-a100:nodes=2]
models: [llama3-8b]
set:
  levels.node.bandwidth: {from: 100 GB/s, to: 500 GB/s, steps: 5}
  device.price: [$20000, $30000, $40000]
strategy: [best, "tp=8,pp=1,dp=2,mbs=1,gbs=32,vp=1,sp=true,zero=1,recompute=none"]
seq: [2048, 4096]
)";

std::string error_of(const std::string& text) {
  try {
    (void)explore::parse_space(text, "space.yaml");
  } catch (const core::InputError& e) { return e.what(); }
  return "";
}
}  // namespace

TEST(SweepRange, LinearStepsAreExact) {
  Range r;
  r.from = 0;
  r.to = 1;
  r.steps = 11;
  const auto v = explore::expand_range(r);
  ASSERT_EQ(v.size(), 11U);
  for (int i = 0; i <= 10; ++i) EXPECT_EQ(v[static_cast<std::size_t>(i)], i / 10.0) << i;
  r.from = 100e9;
  r.to = 900e9;
  r.steps = 5;
  EXPECT_EQ(explore::expand_range(r), (std::vector<double>{100e9, 300e9, 500e9, 700e9, 900e9}));
  r.from = 5;  // descending ranges are fine
  r.to = 1;
  EXPECT_EQ(explore::expand_range(r), (std::vector<double>{5, 4, 3, 2, 1}));
}

// round: true keeps each rounded value once, in range order: 0..10 in 21 steps gives
// 0, 0.5 -> 1 (ties away from zero), 1, 1.5 -> 2, ... and a long range of distinct values
// keeps them all (the fuzzer's 51,020-step range took 10 s with a quadratic dedupe).
TEST(SweepRange, RoundedValuesOnceInOrder) {
  Range r;
  r.from = 0;
  r.to = 10;
  r.steps = 21;
  r.round = true;
  std::vector<double> want;
  for (int i = 0; i <= 10; ++i) want.push_back(i);
  EXPECT_EQ(explore::expand_range(r), want);
  r.from = 10;  // descending
  r.to = 0;
  std::reverse(want.begin(), want.end());
  EXPECT_EQ(explore::expand_range(r), want);
  r.from = 200e9;
  r.to = 800e9;
  r.steps = 51020;
  const auto v = explore::expand_range(r);
  ASSERT_EQ(v.size(), 51020U);
  EXPECT_EQ(v.front(), 200e9);
  EXPECT_EQ(v.back(), 800e9);
  for (std::size_t i = 1; i < v.size(); ++i) ASSERT_LT(v[i - 1], v[i]) << i;
}

TEST(SweepRange, LogStepsAreExactPowers) {
  Range r;
  r.from = 1;
  r.to = 1024;
  r.steps = 11;
  r.log = true;
  const auto v = explore::expand_range(r);
  ASSERT_EQ(v.size(), 11U);
  for (int i = 0; i <= 10; ++i) EXPECT_EQ(v[static_cast<std::size_t>(i)], std::ldexp(1.0, i)) << i;
  r.from = 440e6;
  r.to = 8e9;
  r.steps = 7;
  const auto w = explore::expand_range(r);
  ASSERT_EQ(w.size(), 7U);
  EXPECT_EQ(w.front(), 440e6);
  EXPECT_EQ(w.back(), 8e9);
  const double ratio = std::pow(8e9 / 440e6, 1.0 / 6.0);
  for (std::size_t i = 1; i < w.size(); ++i) EXPECT_NEAR(w[i] / w[i - 1], ratio, 1e-12) << i;
}

TEST(SweepRange, RoundDropsDuplicates) {
  Range r;
  r.from = 1;
  r.to = 10;
  r.steps = 40;
  r.round = true;
  EXPECT_EQ(explore::expand_range(r), (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
}

TEST(SweepRange, FormattedValuesReadBackExactly) {
  using core::Dim;
  const std::vector<double> values{440e6, 593474838.2347, 1.0 / 3.0, 2e12, 1e17, 64, 0.10000000000000002, 3000};
  for (Dim d : {Dim::count, Dim::bytes, Dim::byte_rate, Dim::seconds, Dim::watts, Dim::usd, Dim::flop_rate})
    for (double v : values) {
      const std::string t = explore::format_value(v, d);
      EXPECT_EQ(core::parse_quantity(t, d), v) << t;
    }
  EXPECT_EQ(explore::format_value(440e6, Dim::bytes), "440000000 B");
  EXPECT_EQ(explore::format_value(3000, Dim::usd), "$3000");
  EXPECT_EQ(explore::format_value(64, Dim::count), "64");
}

TEST(SweepSpace, ParsesAxesAndCountsPoints) {
  const auto s = explore::parse_space(kSpace, "space.yaml");
  EXPECT_EQ(s.name, "unit");
  EXPECT_EQ(s.systems, (std::vector<std::string>{"dgx-h100:nodes=2", "dgx-a100:nodes=2"}));
  ASSERT_EQ(s.set.size(), 2U);
  EXPECT_EQ(s.set[0].key, "levels.node.bandwidth");
  EXPECT_EQ(s.set[0].values, (std::vector<std::string>{"100000000000 B/s", "200000000000 B/s", "300000000000 B/s",
                                                       "400000000000 B/s", "500000000000 B/s"}));
  EXPECT_EQ(s.set[1].values, (std::vector<std::string>{"$20000", "$30000", "$40000"}));
  EXPECT_EQ(s.strategies.size(), 2U);
  EXPECT_EQ(s.seqs, (std::vector<long long>{2048, 4096}));
  EXPECT_EQ(s.precisions, (std::vector<std::string>{"bf16"}));
  EXPECT_EQ(s.objective, "time");
  EXPECT_EQ(s.size(), 2 * 5 * 3 * 1 * 2 * 2);
  EXPECT_EQ(s.set_keys(), (std::vector<std::string>{"levels.node.bandwidth", "device.price"}));
}

TEST(SweepSpace, HashIgnoresLayoutButNotContent) {
  const auto a = explore::parse_space(kSpace, "a.yaml");
  std::string relaid = std::string("# another comment\n\n") + kSpace;
  relaid.replace(relaid.find("[best,"), 6, "[ best ,");
  EXPECT_EQ(explore::parse_space(relaid, "b.yaml").hash(), a.hash());
  std::string changed = kSpace;
  changed.replace(changed.find("$40000"), 6, "$45000");
  EXPECT_NE(explore::parse_space(changed, "a.yaml").hash(), a.hash());
  EXPECT_EQ(a.hash().size(), 16U);
}

TEST(SweepSpace, CartesianOrderHasTheLastAxisFastest) {
  const auto s = explore::parse_space(kSpace, "space.yaml");
  // Order: systems, set axes in file order, models, strategies, seqs, precisions.
  const auto p0 = explore::point_at(s, 0), p1 = explore::point_at(s, 1), p2 = explore::point_at(s, 2);
  EXPECT_EQ(p0.seq, 2048);
  EXPECT_EQ(p1.seq, 4096);
  EXPECT_EQ(p0.strategy, "best");
  EXPECT_EQ(p2.strategy, s.strategies[1]);
  EXPECT_EQ(p0.overrides(), "levels.node.bandwidth=100000000000 B/s;device.price=$20000");
  EXPECT_EQ(explore::point_at(s, 4).overrides(), "levels.node.bandwidth=100000000000 B/s;device.price=$30000");
  EXPECT_EQ(explore::point_at(s, 12).overrides(), "levels.node.bandwidth=200000000000 B/s;device.price=$20000");
  EXPECT_EQ(explore::point_at(s, 59).system, "dgx-h100:nodes=2");
  EXPECT_EQ(explore::point_at(s, 60).system, "dgx-a100:nodes=2");
  std::set<std::string> seen;
  for (long long i = 0; i < s.size(); ++i) {
    const auto p = explore::point_at(s, i);
    EXPECT_EQ(p.id, i);
    seen.insert(p.to_json().dump());
  }
  EXPECT_EQ(static_cast<long long>(seen.size()), s.size());
}

// A descending range is enumerated from `from` to `to` (value i at ((n-1-i) from + i to)/(n-1)),
// linear, log or rounded: point 0 has `from`. A probe read 100, 500, 900 GB/s back from a
// query without ORDER BY point_id, which SQLite answered through the overrides index.
TEST(SweepSpace, DescendingRangesRunFromFromToTo) {
  for (const std::string extra : {"", ", scale: log", ", round: true"}) {
    const auto s = explore::parse_space(
        "systems: [dgx-h100:nodes=8]\nmodels: [llama3-8b]\nset:\n  levels.node.bandwidth: {from: 900 GB/s, to: 100 GB/s, steps: "
        "3" +
            extra + "}\n",
        "space.yaml");
    ASSERT_EQ(s.size(), 3) << extra;
    const std::string middle = extra == ", scale: log" ? "300000000000 B/s" : "500000000000 B/s";
    EXPECT_EQ(explore::point_at(s, 0).overrides(), "levels.node.bandwidth=900000000000 B/s") << extra;
    EXPECT_EQ(explore::point_at(s, 1).overrides(), "levels.node.bandwidth=" + middle) << extra;
    EXPECT_EQ(explore::point_at(s, 2).overrides(), "levels.node.bandwidth=100000000000 B/s") << extra;
  }
}

TEST(SweepSpace, RandomSamplingIsSeededAndStaysInRange) {
  const std::string text = R"(
systems: [dgx-h100:nodes=2]
models: [llama3-8b, llama3-70b]
set:
  levels.node.bandwidth: {from: 50 GB/s, to: 900 GB/s, scale: log}
  levels.node.size: {from: 1, to: 16, round: true}
sampling: {random: 500, seed: 42}
)";
  const auto s = explore::parse_space(text, "r.yaml");
  EXPECT_EQ(s.size(), 500);
  ASSERT_TRUE(s.set[0].range.has_value());
  std::set<std::string> bws;
  std::set<std::string> models;
  for (long long i = 0; i < s.size(); ++i) {
    const auto p = explore::point_at(s, i);
    const double bw = core::parse_quantity(p.set[0].second, core::Dim::byte_rate);
    EXPECT_GE(bw, 50e9);
    EXPECT_LE(bw, 900e9);
    const double size = core::parse_quantity(p.set[1].second, core::Dim::count);
    EXPECT_EQ(size, std::round(size));
    EXPECT_GE(size, 1);
    EXPECT_LE(size, 16);
    bws.insert(p.set[0].second);
    models.insert(p.model);
    EXPECT_EQ(p.to_json(), explore::point_at(s, i).to_json());  // the same id, the same point
  }
  EXPECT_GT(bws.size(), 490U);
  EXPECT_EQ(models.size(), 2U);
  // Another seed, other points.
  std::string other = text;
  other.replace(other.find("seed: 42"), 8, "seed: 43");
  EXPECT_NE(explore::point_at(explore::parse_space(other, "r.yaml"), 0).to_json(), explore::point_at(s, 0).to_json());
}

TEST(SweepSpace, PointAndResultMessagesRoundTrip) {
  const auto s = explore::parse_space(kSpace, "space.yaml");
  const auto p = explore::point_at(s, 37);
  const auto q = explore::Point::from_json(nlohmann::json::parse(p.to_json().dump()));
  EXPECT_EQ(q.to_json(), p.to_json());
  EXPECT_EQ(q.overrides(), p.overrides());
  explore::PointResult r;
  r.id = 37;
  r.status = explore::Status::infeasible;
  r.error = "does not fit";
  r.has_metrics = true;
  r.step_time_s = 1.0 / 3.0;
  r.mfu = 0.1 + 0.2;
  r.cost_usd_per_step = 1e-300;
  r.result_json = R"({"a": 1})";
  const auto back = explore::PointResult::from_json(nlohmann::json::parse(r.to_json().dump()));
  EXPECT_EQ(back.to_json(), r.to_json());
  EXPECT_EQ(back.step_time_s, r.step_time_s);
  EXPECT_EQ(back.mfu, r.mfu);
  EXPECT_THROW((void)explore::Point::from_json(nlohmann::json::parse(R"({"id": 1})")), std::runtime_error);
}

TEST(SweepSpace, EvaluatesOnePointLikeTheEngine) {
  const auto s = explore::parse_space(kSpace, "space.yaml");
  const auto ok = explore::evaluate_point(explore::point_at(s, 0));
  EXPECT_EQ(ok.status, explore::Status::ok) << ok.error;
  EXPECT_GT(ok.step_time_s, 0);
  EXPECT_GT(ok.cost_usd_per_step, 0);
  EXPECT_TRUE(ok.fits);
  EXPECT_EQ(nlohmann::json::parse(ok.result_json).at("step_time_s").get<double>(), ok.step_time_s);
  // A key this system does not have: 'invalid' with the reason, not an exception.
  explore::Point p = explore::point_at(s, 0);
  p.set.emplace_back("device.memory.sram.capacity", "1 GB");
  const auto bad = explore::evaluate_point(p);
  EXPECT_EQ(bad.status, explore::Status::invalid);
  EXPECT_NE(bad.error.find("does not exist"), std::string::npos) << bad.error;
  EXPECT_FALSE(bad.has_metrics);
  // A precision the device has no peak for: run's reason, not the first strategy's problem
  // (a probe found TPU v5p fp8 points stored as "tp=64 does not divide the 8 KV heads").
  explore::Point tpu = explore::point_at(s, 0);
  tpu.system = "tpu-v5p:cubes=2";
  tpu.model = "llama3-70b";
  tpu.precision = "fp8";
  tpu.set.clear();
  const auto fp8 = explore::evaluate_point(tpu);
  EXPECT_EQ(fp8.status, explore::Status::invalid);
  EXPECT_NE(fp8.error.find("tpu-v5p-chip has no fp8 peak"), std::string::npos) << fp8.error;
  // The same point twice: the same bytes.
  EXPECT_EQ(explore::evaluate_point(explore::point_at(s, 0)).to_json(), ok.to_json());
}

TEST(SweepSpace, BadInputIsLocatedWithASuggestion) {
  EXPECT_NE(error_of("systems: [dgx-h100]\nmodels: [llama3-8b]\nstrategi: best\n").find("space.yaml:3:1: key 'strategi'"),
            std::string::npos);
  EXPECT_NE(error_of("systems: [dgx-h100]\nmodels: [llama3-8b]\nstrategi: best\n").find("did you mean 'strategy'"),
            std::string::npos);
  EXPECT_NE(error_of("systems: [dgx-h100]\nmodels: [llama3-8b]\nstrategy: [best, \"\"]\n").find("an empty strategy"),
            std::string::npos);
  EXPECT_NE(error_of("systems: [dgx-h100]\nmodels: [llama3-8b]\nstrategy: [\",,,\"]\n").find("empty item"), std::string::npos);
  // As run refuses them: an economics key that cannot act on any point (probe).
  EXPECT_NE(error_of("systems: [dgx-h100]\nmodels: [llama3-8b]\nset:\n  economics.mfu: [0.3, 0.6]\n").find("has no effect here"),
            std::string::npos);
  EXPECT_NE(error_of("systems: [dgx-h100]\nmodels: [llama3-8b]\nset:\n  economics.tile_yield: [0.3, 0.6]\n")
                .find("no system here has a `tile` level"),
            std::string::npos);
  EXPECT_EQ(error_of("systems: [dgx-h100, dojo-tile]\nmodels: [llama3-8b]\nset:\n  economics.tile_yield: [0.3, 0.6]\n"), "");
  EXPECT_NE(error_of("models: [llama3-8b]\n").find("missing required setting 'systems'"), std::string::npos);
  EXPECT_NE(error_of("systems: []\nmodels: [llama3-8b]\n").find("empty list"), std::string::npos);
  EXPECT_NE(error_of("systems: [dgx-h100]\nmodels: [llama3-8b]\nset:\n  levels.node.bandwidth: {from: 1 GB/s, to: 2 GB/s}\n")
                .find("missing required setting 'steps'"),
            std::string::npos);
  EXPECT_NE(
      error_of("systems: [dgx-h100]\nmodels: [llama3-8b]\nset:\n  levels.node.bandwidth: {from: 1 GB/s, to: 2 GB/s, steps: 1}\n")
          .find("steps: 1"),
      std::string::npos);
  EXPECT_NE(error_of("systems: [dgx-h100]\nmodels: [llama3-8b]\nprecision: bf61\n").find("did you mean 'bf16'"),
            std::string::npos);
  EXPECT_NE(error_of("systems: [dgx-h100]\nmodels: [llama3-8b]\nseq: 0\n").find("space.yaml:3:1: key 'seq'"), std::string::npos);
  EXPECT_NE(error_of("systems: [dgx-h100]\nmodels: [llama3-8b]\nobjective: speed\n").find("one of: time, cost, energy"),
            std::string::npos);
  EXPECT_NE(error_of("systems: [dgx-h100]\nmodels: [llama3-8b]\nset:\n  economics.electricty_usd_per_kwh: [0.1]\n")
                .find("did you mean 'electricity_usd_per_kwh'"),
            std::string::npos);
  // Too many points: suggest sampling.
  EXPECT_NE(error_of("systems: [dgx-h100]\nmodels: [llama3-8b]\nset:\n  levels.node.bandwidth: {from: 1 GB/s, to: 2 GB/s, "
                     "steps: 1000000}\n  device.price: {from: 1, to: 2, steps: 1000}\n")
                .find("sampling: {random:"),
            std::string::npos);
  // Under random sampling, steps may be left out (the range is drawn from directly).
  EXPECT_EQ(error_of("systems: [dgx-h100]\nmodels: [llama3-8b]\nset:\n  levels.node.bandwidth: {from: 1 GB/s, to: 2 GB/s}\n"
                     "sampling: {random: 10}\n"),
            "");
}
