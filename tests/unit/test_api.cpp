// The api layer (src/api) and the HTML reports it feeds (src/report/html.cpp): the
// commands' use-cases agree with the engine called directly, and the reports keep their
// contract (every figure announced, nothing fetched, data cannot close the script).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <unistd.h>

#include "dojosim/api/api.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/report/html.hpp"

using namespace dojosim;

namespace {
// A copy of a preset stack under a name of its own, with `from` replaced by `to` in its text.
std::string custom_stack(const std::string& preset, const std::string& name, const std::string& from, const std::string& to) {
  std::string text = parallel::preset_stack_text(preset);
  text.replace(text.find("name: " + preset), 6 + preset.size(), "name: " + name);
  if (!from.empty()) text.replace(text.find(from), from.size(), to);
  const auto path = std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << text;
  return path.string();
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}
}  // namespace

// A saved result names what it was computed from, as given: the system spec with its
// parameters, the model (name and file) and the stack's file (a probe found only the
// system's name, no model, and the stack file's `name:`).
TEST(Api, RunJsonRecordsItsInputs) {
  api::RunArgs a;
  a.system = "dgx-h100:nodes=4";
  a.model = std::string(DOJOSIM_TEST_DATA_DIR) + "/hf/llama3-8b.json";
  a.stack = custom_stack("megatron-core", "my-stack", "", "");
  a.parallel = "tp=2,pp=1,mbs=1,gbs=64";
  a.sets = {"levels.node.bandwidth=500GB/s"};
  const auto j = api::run(a).json();
  const auto& in = j.at("inputs");
  EXPECT_EQ(j.at("system"), "dgx-h100");  // the older key keeps its meaning
  EXPECT_EQ(j.at("stack"), "my-stack");
  EXPECT_EQ(j.at("model"), "llama");
  EXPECT_EQ(in.at("system"), "dgx-h100:nodes=4");
  EXPECT_EQ(in.at("model"), a.model);
  EXPECT_EQ(in.at("model_file"), a.model);
  EXPECT_EQ(in.at("stack"), a.stack);
  EXPECT_EQ(in.at("stack_file"), a.stack);
  EXPECT_EQ(in.at("parallel"), a.parallel);
  EXPECT_TRUE(in.at("seq").is_null());
  EXPECT_EQ(in.at("sets"), nlohmann::ordered_json::array({"levels.node.bandwidth=500GB/s"}));
  std::filesystem::remove(a.stack);

  // A zoo model has no file; without --stack the system's default stack is named.
  api::SearchArgs b;
  b.system = "dgx-h100:nodes=2";
  b.model = "llama3-8b";
  b.top = 1;
  const auto k = api::search(b).json();
  EXPECT_EQ(k.at("inputs").at("model"), "llama3-8b");
  EXPECT_TRUE(k.at("inputs").at("model_file").is_null());
  EXPECT_EQ(k.at("inputs").at("stack"), "megatron-core");
  EXPECT_TRUE(k.at("inputs").at("stack_file").is_null());
}

// api::run with every key given is engine::evaluate; with keys missing it is resolve.
TEST(Api, RunIsTheEngine) {
  api::RunArgs a;
  a.system = "dgx-h100:nodes=2";
  a.model = "llama3-8b";
  a.parallel = "tp=2,pp=1,dp=8,cp=1,vp=1,mbs=1,gbs=64,sp=false,zero=1,recompute=none";
  const auto out = api::run(a);
  const auto sys = hardware::load_system("dgx-h100:nodes=2");
  const auto m = workload::load_model("llama3-8b");
  auto s = parallel::parse_strategy(a.parallel);
  s.seq = 2048;
  engine::Context ctx{&sys, &m, 2048};
  const auto stack = parallel::load_stack(parallel::default_stack_name(sys));
  ctx.use(stack);
  const auto direct = engine::evaluate(ctx, s);
  EXPECT_EQ(out.result.step_time, direct.step_time);
  EXPECT_EQ(out.json()["step_time_s"].get<double>(), direct.step_time);
  EXPECT_FALSE(out.has_timeline);
}

TEST(Api, TimelineOnlyWhenAskedAndForVisionFromTheEventEngine) {
  api::RunArgs a;
  a.system = "dgx-h100:nodes=4";
  a.model = "llama3-70b";
  a.parallel = "tp=8,pp=4";
  a.timeline = true;
  const auto out = api::run(a);
  ASSERT_TRUE(out.has_timeline);
  EXPECT_FALSE(out.timeline.events.empty());
  EXPECT_STREQ(out.result.engine, "analytical");  // the timeline alone does not switch engines
  a.model = "resnet50";
  a.parallel.clear();
  EXPECT_FALSE(api::run(a).has_timeline);  // no pipeline schedule for the analytical engine
  a.engine = "event";                      // the whole step, op by op
  const auto vision = api::run(a);
  ASSERT_TRUE(vision.has_timeline);
  EXPECT_STREQ(vision.result.engine, "event");
  bool forward = false;
  for (const auto& e : vision.timeline.events) forward = forward || std::string(e.category) == "forward";
  EXPECT_TRUE(forward);
}

TEST(Api, StackIsTheSystemsDefaultUnlessNamed) {
  api::RunArgs a;
  a.system = "dgx-h100:nodes=2";
  a.model = "llama3-8b";
  const auto def = api::run(a);
  EXPECT_EQ(def.stack.name, parallel::default_stack_name(def.sys));
  a.stack = "megatron-2021";
  EXPECT_EQ(api::run(a).stack.name, "megatron-2021");
  a.stack = "megatorn";
  EXPECT_THROW(api::run(a), core::InputError);
}

TEST(Api, SplitSets) {
  const auto s =
      api::split_sets({"levels.node.bandwidth=450 GB/s", "economics.electricity_usd_per_kwh=0.1", "stack.overlap.tp=0.3"});
  ASSERT_EQ(s.system.size(), 1u);
  ASSERT_EQ(s.economics.size(), 1u);
  ASSERT_EQ(s.stack.size(), 1u);
  EXPECT_EQ(s.stack[0], "overlap.tp=0.3");
  EXPECT_EQ(s.economics[0], "economics.electricity_usd_per_kwh=0.1");
}

TEST(Api, ListRejectsUnknownKindsWithASuggestion) {
  try {
    api::list("sytems");
    FAIL() << "no error";
  } catch (const core::InputError& e) { EXPECT_NE(e.suggestion().find("systems"), std::string::npos); }
  EXPECT_GE(api::list("systems").size(), 10u);
}

TEST(Html, RunReportAnnouncesEveryFigureAndFetchesNothing) {
  api::RunArgs a;
  a.system = "dgx-h100:nodes=4";
  a.model = "llama3-70b";
  a.parallel = "tp=8,pp=4";
  a.timeline = true;
  const auto out = api::run(a);
  const std::string html = report::run_html(out.json(), out.model_name, "", &out.timeline);
  for (const char* f : {"summary", "breakdown", "memory", "timeline", "links"})
    EXPECT_EQ(count(html, std::string("data-figure=\"") + f + "\""), 1) << f;
  EXPECT_EQ(count(html, "Chart.js v3"), 1);  // the library, inlined once
  EXPECT_FALSE(std::regex_search(html, std::regex(R"((src|href)\s*=\s*["']?(https?:)?//)")));
  // Without a timeline there is no schedule figure.
  const std::string plain = report::run_html(out.json(), out.model_name, "", nullptr);
  EXPECT_EQ(count(plain, "data-figure=\"timeline\""), 0);
}

// Text from the inputs (names, notes) cannot end the script element holding the data.
TEST(Html, DataCannotCloseTheScript) {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  j.push_back({{"system", "</script><script>alert(1)</script>"}, {"model", "m"}});
  const std::string html = report::compare_html(j);
  EXPECT_EQ(html.find("</script><script>alert"), std::string::npos);
  EXPECT_NE(html.find("<\\/script><script>alert"), std::string::npos);
  // The title is escaped as text.
  EXPECT_EQ(count(html, "<title>dojosim compare: m</title>"), 1);
}

TEST(Html, SweepReportHasOneFigurePerParameter) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (int i = 0; i < 3; ++i)
    rows.push_back({{"point_id", i}, {"system", "s"}, {"model", "m"}, {"status", "ok"}, {"step_time_s", 1.0 + i}, {"mfu", 0.5}});
  nlohmann::ordered_json params = nlohmann::ordered_json::array();
  params.push_back({{"key", "a"}, {"unit", "B"}, {"values", {1e9, 2e9, 3e9}}});
  params.push_back({{"key", "b"}, {"unit", ""}, {"values", {1, 2, 3}}});
  const std::string html = report::sweep_html({{"name", "x"}, {"db", "x.sqlite"}, {"rows", rows}, {"params", params}});
  EXPECT_EQ(count(html, "data-figure=\"param-"), 2);
  EXPECT_EQ(count(html, "data-figure=\"points\""), 0);
  const std::string none =
      report::sweep_html({{"name", "x"}, {"db", "x.sqlite"}, {"rows", rows}, {"params", nlohmann::ordered_json::array()}});
  EXPECT_EQ(count(none, "data-figure=\"points\""), 1);
}

// A report asks for the schedule only when it is cheap; --trace and --engine event always get it.
TEST(Api, ReportTimelineIsSkippedForLongSchedules) {
  api::RunArgs a;
  a.system = "dgx-h100:nodes=16";
  a.model = "llama3-70b";
  a.parallel = "tp=8,pp=16,dp=1,vp=5,mbs=1,gbs=16384";  // 2 x 16 x 5 x 16384 passes
  a.timeline = true;
  a.timeline_optional = true;
  const auto skipped = api::run(a);
  EXPECT_FALSE(skipped.has_timeline);
  EXPECT_STREQ(skipped.result.engine, "analytical");
  a.parallel = "tp=8,pp=16,dp=1,vp=5,mbs=1,gbs=64";
  EXPECT_TRUE(api::run(a).has_timeline);
}

// Sensitivity (issue 15.6): the assumptions table holds the preset's values, GEMM
// efficiency moves the verdict the way throughput says, and the range brackets the base.
TEST(Api, SensitivityOfTheExaPodVerdict) {
  const auto out = api::sensitivity({});
  const auto& s = out.s;
  ASSERT_EQ(s.base.size(), 3u);
  // Setting every row to its table base reproduces the preset's verdict: the table is in sync.
  EXPECT_EQ(s.base_from_table, s.base);
  // Higher matrix-unit issue efficiency, more A100-equivalents; lower, fewer (compute-bound step).
  const auto& rows = s.rows;
  const auto gemm =
      std::find_if(rows.begin(), rows.end(), [](const auto& r) { return r.a.key == "device.core_mesh.issue_efficiency"; });
  ASSERT_NE(gemm, rows.end());
  EXPECT_LT(gemm->low[0], s.base[0]);
  EXPECT_GT(gemm->high[0], s.base[0]);
  // Prices move only the per-dollar figure, and cheaper is better per dollar.
  const auto price = std::find_if(rows.begin(), rows.end(), [](const auto& r) { return r.a.key == "device.price"; });
  ASSERT_NE(price, rows.end());
  EXPECT_DOUBLE_EQ(price->low[0], s.base[0]);
  EXPECT_GT(price->low[2], price->high[2]);
  // The range brackets the base and every one-at-a-time answer of the headline metric.
  for (const auto& r : rows) {
    EXPECT_LE(s.corners[0].low, std::min(r.low[0], r.high[0]) + 1e-9) << r.a.key;
    EXPECT_GE(s.corners[0].high, std::max(r.low[0], r.high[0]) - 1e-9) << r.a.key;
  }
  // JSON: ranked by swing, the most sensitive named, deterministic.
  const auto j = out.json();
  EXPECT_EQ(j["most_sensitive"], j["assumptions"][0]["assumption"]);
  EXPECT_GE(j["assumptions"][0]["swing"].get<double>(), j["assumptions"][1]["swing"].get<double>());
  EXPECT_TRUE(j["table_matches_preset"].get<bool>());
  // Every row cites a source key or says assumption.
  for (const auto& a : explore::dojo_assumptions())
    EXPECT_TRUE(a.source.find("assumption") != std::string::npos || std::regex_search(a.source, std::regex("T[0-9]+"))) << a.key;
  api::SensitivityArgs gpu;
  gpu.system = "dgx-a100";
  EXPECT_THROW(api::sensitivity(gpu), core::InputError);
}

// The default scenario as a library call: both machines on one stack, the A100 cluster of
// equal peak, the three A100-equivalents by their definitions, and the same verdict as
// `sensitivity` gives at the preset.
TEST(Api, DefaultScenario) {
  const auto out = api::default_scenario();
  EXPECT_EQ(out.stack.name, parallel::default_stack_name(out.gpu));
  const double ratio =
      out.dojo.peak(hardware::Precision::bf16) / hardware::load_system("dgx-a100").peak(hardware::Precision::bf16);
  EXPECT_EQ(out.gpu_spec, fmt::format("dgx-a100:nodes={}", std::llround(ratio)));
  EXPECT_EQ(out.gpu_result.devices, 8 * std::llround(ratio));
  EXPECT_NEAR(out.a100_equivalents_by_peak, 8 * ratio, 1e-9);
  EXPECT_NEAR(out.a100_equivalents_linear,
              static_cast<double>(out.gpu_result.devices) * out.dojo_result.tokens_per_s() / out.gpu_result.tokens_per_s(), 1e-9);
  ASSERT_TRUE(out.resized);
  EXPECT_NEAR(out.a100_equivalents / out.sensitivity.s.base[0], 1.0, 1e-9);
  EXPECT_TRUE(out.dojo_result.memory.fits);
  EXPECT_TRUE(out.gpu_result.memory.fits);
  const auto j = out.json();
  EXPECT_EQ(j["stack"], out.stack.name);
  EXPECT_DOUBLE_EQ(j["a100_equivalents"].get<double>(), out.a100_equivalents);
  EXPECT_EQ(j["a100"]["devices"], out.gpu_result.devices);
}

// api::yield_report: the flags win over --econ keys, the tile-yield sweep costs more per
// PFLOP-day as yield falls, and a tile yield on a machine without tiles is refused.
TEST(Api, YieldReport) {
  api::YieldArgs a;
  a.econ = {"tile_yield=0.9"};
  a.tile_yield = "0.5";
  const auto out = api::yield_report(a);
  ASSERT_TRUE(out.at.y.has_tile);
  EXPECT_DOUBLE_EQ(out.at.y.tile.tile_yield, 0.5);
  ASSERT_EQ(out.sweep.size(), 9u);
  for (std::size_t i = 1; i < out.sweep.size(); ++i) {
    EXPECT_LT(out.sweep[i].tile_yield, out.sweep[i - 1].tile_yield);
    EXPECT_GT(out.sweep[i].per_good_tile_usd, out.sweep[i - 1].per_good_tile_usd);
    EXPECT_GT(out.sweep[i].usd_per_pflop_day, out.sweep[i - 1].usd_per_pflop_day);
  }
  // The sweep's 50% row is the report at 50%.
  EXPECT_DOUBLE_EQ(out.sweep[5].usd_per_pflop_day, out.at.steady.usd_per_pflop_day);
  api::YieldArgs gpu;
  gpu.system = "dgx-h100";
  EXPECT_TRUE(api::yield_report(gpu).sweep.empty());
  gpu.tile_yield = "0.5";
  EXPECT_THROW(api::yield_report(gpu), core::Unsupported);
}

// api::build_vs_buy reports the first bad input in the command's order (the model and
// the options before the compute need), and checks the need before pricing anything.
TEST(Api, BuildVsBuyNeedsOneComputeNeed) {
  auto error = [](const api::BuildVsBuyArgs& a) {
    try {
      api::build_vs_buy(a);
    } catch (const core::InputError& e) { return std::string(e.what()); }
    return std::string("no InputError");
  };
  api::BuildVsBuyArgs a;
  a.model = "gpt3-175b";
  EXPECT_NE(error(a).find("no compute need"), std::string::npos) << error(a);  // none given
  a.fleet = 3.7;
  a.tokens_per_year = 1e12;
  EXPECT_NE(error(a).find("exactly once"), std::string::npos) << error(a);  // two given
  a.tokens_per_year = 0;
  a.fleet = -1;
  EXPECT_NE(error(a).find("out of range"), std::string::npos) << error(a);
  a.precision = "fp4";  // an option error comes before the need's
  EXPECT_EQ(error(a).find("out of range"), std::string::npos) << error(a);
  EXPECT_NE(error(a).find("fp4"), std::string::npos) << error(a);
  api::BuildVsBuyArgs v;
  v.model = "tesla-video";
  v.tokens_per_year = 1e12;  // a vision network counts samples
  EXPECT_NE(error(v).find("counts samples"), std::string::npos) << error(v);
}
