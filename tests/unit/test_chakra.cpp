// Chakra execution traces: the format (workload/chakra.hpp) read, validated and written
// byte for byte; the replay (engine/chakra.hpp) worked by hand on small traces; and the
// export of `run --chakra` replayed on the same system agreeing with both engines.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dojosim/api/api.hpp"
#include "dojosim/collective/collective.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/engine/chakra.hpp"
#include "dojosim/workload/chakra.hpp"

using namespace dojosim;
namespace ck = workload::chakra;

namespace {

ck::Node comp(std::uint64_t id, double seconds, std::vector<std::uint64_t> deps = {}) {
  ck::Node n;
  n.id = id;
  n.name = "comp" + std::to_string(id);
  n.type = ck::NodeType::comp;
  n.seconds = seconds;
  n.data_deps = std::move(deps);
  return n;
}
ck::Node coll(std::uint64_t id, ck::Comm c, std::int64_t bytes, std::string pg, std::vector<std::uint64_t> deps = {}) {
  ck::Node n;
  n.id = id;
  n.name = "coll" + std::to_string(id);
  n.type = ck::NodeType::coll;
  n.comm_type = c;
  n.comm_size = bytes;
  n.pg_name = std::move(pg);
  n.data_deps = std::move(deps);
  return n;
}
ck::Node p2p(std::uint64_t id, ck::NodeType t, int src, int dst, int tag, std::int64_t bytes,
             std::vector<std::uint64_t> deps = {}) {
  ck::Node n;
  n.id = id;
  n.name = "p2p" + std::to_string(id);
  n.type = t;
  n.comm_src = src;
  n.comm_dst = dst;
  n.comm_tag = tag;
  n.comm_size = bytes;
  n.data_deps = std::move(deps);
  return n;
}
ck::Trace trace(std::vector<ck::Node> nodes) { return ck::Trace{"0.0.4", std::move(nodes)}; }

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

const hardware::System& a100x16() {
  static const auto sys = hardware::load_system("dgx-a100:nodes=2");
  return sys;
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const core::InputError& e) { return e.what(); }
  return "(no InputError)";
}

}  // namespace

// Rank 0 computes 1 + 2 ms, rank 1 computes 4 ms; both then all-reduce 1 GB. The
// collective starts when the last member reaches it: step = 4 ms + the all-reduce, and
// rank 0 waits 1 ms. The all-reduce is the collective model's price for two ranks of one node.
TEST(Chakra, CollectiveStartsWhenTheLastMemberArrives) {
  const double gb = 1e9;
  std::vector<ck::Trace> t = {trace({comp(1, 1e-3), comp(2, 2e-3, {1}), coll(3, ck::Comm::all_reduce, 1'000'000'000, "dp", {2})}),
                              trace({comp(7, 4e-3), coll(8, ck::Comm::all_reduce, 1'000'000'000, "dp", {7})})};
  const ck::CommGroups groups{{"dp", {0, 1}}};
  const auto r = engine::replay_chakra(a100x16(), t, groups);
  const double ar = collective::all_reduce(collective::place_group(a100x16(), 2, 1), gb).time;
  ASSERT_GT(ar, 1e-3);  // 1 GB does not all-reduce in under a millisecond on NVLink
  EXPECT_NEAR(r.step_time, 4e-3 + ar, 1e-12);
  EXPECT_NEAR(r.per_rank[0].wait, 1e-3, 1e-12);
  EXPECT_NEAR(r.per_rank[1].wait, 0.0, 1e-12);
  EXPECT_NEAR(r.per_rank[0].compute, 3e-3, 1e-12);
  EXPECT_EQ(r.collectives, 1);  // one call of the group
  EXPECT_EQ(r.nodes, 5);
}

// A receive completes when the data arrives: rank 1's compute after the receive starts at
// 1 ms + the transfer, whatever order the receive was posted in.
TEST(Chakra, ReceiveCompletesWhenTheDataArrives) {
  const std::int64_t bytes = 64 << 20;
  std::vector<ck::Trace> t = {trace({comp(1, 1e-3), p2p(2, ck::NodeType::send, 0, 9, 5, bytes, {1})}),
                              trace({p2p(1, ck::NodeType::recv, 0, 9, 5, bytes), comp(2, 2e-3, {1})})};
  t[0].nodes[1].comm_dst = 1;
  t[1].nodes[0].comm_dst = 1;
  const auto r = engine::replay_chakra(a100x16(), t, {});
  const double x = collective::send_recv(collective::place_group(a100x16(), 2, 1), static_cast<double>(bytes)).time;
  ASSERT_GT(x, 0);
  EXPECT_NEAR(r.step_time, 1e-3 + x + 2e-3, 1e-12);
  EXPECT_EQ(r.critical_rank, 1);
  EXPECT_EQ(r.messages, 1);
}

// Independent compute nodes of one rank share its stream (one at a time); CPU ops run on
// their own stream, beside them.
TEST(Chakra, ComputeRunsOneAtATimePerStream) {
  auto cpu = comp(3, 5e-3);
  cpu.is_cpu_op = true;
  const auto r = engine::replay_chakra(a100x16(), {trace({comp(1, 1e-3), comp(2, 2e-3), cpu})}, {});
  EXPECT_NEAR(r.step_time, 5e-3, 1e-12);
  EXPECT_NEAR(r.per_rank[0].compute, 3e-3, 1e-12);
}

// Without dojosim's exact seconds, a compute node takes duration_micros, else num_ops at
// the device's BF16 peak x large-GEMM efficiency.
TEST(Chakra, ComputeWithoutSecondsUsesDurationThenOps) {
  auto a = comp(1, -1);
  a.duration_micros = 250;
  auto b = comp(2, -1, {1});
  b.num_ops = 1'000'000'000'000;
  const auto& dev = a100x16().device;
  const double rate =
      dev.peak_for(hardware::Precision::bf16) * dev.eff.gemm_max[static_cast<std::size_t>(hardware::Precision::bf16)];
  const auto r = engine::replay_chakra(a100x16(), {trace({a, b})}, {});
  EXPECT_NEAR(r.step_time, 250e-6 + 1e12 / rate, 1e-12);
}

// Without a duration, num_ops and tensor_size price a compute node as a roofline (the
// slower of FLOPs at the large-GEMM rate and bytes at memory bandwidth). A node with none
// of them takes 0 s with a warning; a trace none of whose compute nodes has any (durations
// stripped from a trace without num_ops) cannot be priced: an InputError naming the node,
// never a 'priced from num_ops' note over compute priced at 0 s.
TEST(Chakra, ComputeWithNothingToPriceItIsAnInputError) {
  const auto& dev = a100x16().device;
  auto bytes = comp(1, -1);
  bytes.tensor_size = 2'000'000'000;
  EXPECT_NEAR(engine::replay_chakra(a100x16(), {trace({bytes})}, {}).step_time, 2e9 / dev.memory_bandwidth(), 1e-12);

  const std::string e = error_of([&] { engine::replay_chakra(a100x16(), {trace({comp(1, -1), comp(2, -1, {1})})}, {}); });
  EXPECT_NE(e.find("node[0] (id 1)"), std::string::npos) << e;
  EXPECT_NE(e.find("num_ops"), std::string::npos) << e;

  const auto r = engine::replay_chakra(a100x16(), {trace({comp(1, 1e-3), comp(2, -1, {1})})}, {});
  EXPECT_NEAR(r.step_time, 1e-3, 1e-12);
  EXPECT_TRUE(std::any_of(r.notes.begin(), r.notes.end(), [](const std::string& n) {
    return n.find("warning: 1 compute nodes carry no duration_micros") != std::string::npos &&
           n.find("node[1] (id 2)") != std::string::npos;
  }));
  EXPECT_TRUE(std::none_of(r.notes.begin(), r.notes.end(),
                           [](const std::string& n) { return n.find("priced from") != std::string::npos; }));
}

// duration_micros is range-checked on read (at most 10^12 us, as dojosim_seconds is at
// most 10^6 s): 2^64-1 and 2^63 us are InputErrors naming the file, the node and the bound,
// not an 1.8e13 s step or a collective blamed on another rank.
TEST(Chakra, DurationsOutOfRangeAreLocatedErrors) {
  for (const std::uint64_t us : {~0ULL, 1ULL << 63, 1'000'000'000'001ULL}) {
    SCOPED_TRACE(us);
    auto bad = comp(2, -1, {1});
    bad.duration_micros = us;
    const std::string e = error_of([&] { ck::parse(ck::serialize(trace({comp(1, 1e-3), bad})), "t.5.et"); });
    EXPECT_NE(e.find("t.5.et"), std::string::npos) << e;
    EXPECT_NE(e.find("node[1] (id 2)"), std::string::npos) << e;
    EXPECT_NE(e.find("1000000000000"), std::string::npos) << e;
  }
  auto edge = comp(1, -1);
  edge.duration_micros = 1'000'000'000'000ULL;
  EXPECT_NEAR(engine::replay_chakra(a100x16(), {ck::parse(ck::serialize(trace({edge})), "t")}, {}).step_time, 1e6, 1e-6);
  for (const double sec : {1e300, 1e6 * 1.001}) {
    const std::string e = error_of([&] { ck::parse(ck::serialize(trace({comp(1, sec)})), "s.0.et"); });
    EXPECT_NE(e.find("not a duration"), std::string::npos) << e;
  }
}

// A member that never reaches the collective, a receive without its send, a group the
// rank is not in, and more ranks than devices are errors that name the node.
TEST(Chakra, TracesThatCannotCompleteAreInputErrors) {
  const ck::CommGroups groups{{"dp", {0, 1}}};
  EXPECT_NE(error_of([&] {
              engine::replay_chakra(a100x16(), {trace({coll(1, ck::Comm::all_reduce, 8, "dp")}), trace({comp(1, 1e-3)})}, groups);
            }).find("node[0] (id 1)"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              engine::replay_chakra(a100x16(), {trace({comp(1, 1e-3)}), trace({p2p(1, ck::NodeType::recv, 0, 1, 3, 8)})}, {});
            }).find("rank 1"),
            std::string::npos);
  EXPECT_NE(
      error_of([&] { engine::replay_chakra(a100x16(), {trace({coll(1, ck::Comm::all_reduce, 8, "tp")})}, groups); }).find("'tp'"),
      std::string::npos);
  // A receive of another size than its send (whichever is posted first); one that leaves
  // its size out takes the send's.
  for (const bool send_first : {true, false}) {
    auto send = p2p(2, ck::NodeType::send, 0, 1, 5, 4096, {1});
    auto recv = p2p(1, ck::NodeType::recv, 0, 1, 5, 1024);
    const std::vector<ck::Trace> t = {trace({comp(1, send_first ? 1e-6 : 1e-3), send}), trace({recv, comp(2, 1e-3, {1})})};
    const std::string e = error_of([&] { engine::replay_chakra(a100x16(), t, {}); });
    EXPECT_NE(e.find("receive of 1024 bytes from rank 0 (tag 5) matches a send of 4096 bytes"), std::string::npos) << e;
    recv.comm_size = 0;
    EXPECT_GT(engine::replay_chakra(a100x16(), {trace({comp(1, 1e-3), send}), trace({recv, comp(2, 1e-3, {1})})}, {}).step_time,
              2e-3);
  }
  std::vector<ck::Trace> many(17, trace({comp(1, 1e-3)}));
  EXPECT_NE(error_of([&] { engine::replay_chakra(a100x16(), many, {}); }).find("17 ranks"), std::string::npos);
}

// Writing then reading gives the nodes back; reading then writing gives the bytes back.
TEST(Chakra, RoundTripsNodesAndBytes) {
  auto c = coll(3, ck::Comm::reduce_scatter, 123456789, "g", {1, 2});
  c.ctrl_deps = {1};
  auto s = p2p(4, ck::NodeType::send, 0, 1, 77, 4096, {3});
  const auto t = trace({comp(1, 1.25e-3), comp(2, 0.5e-3, {1}), c, s});
  const std::string bytes = ck::serialize(t);
  const auto back = ck::parse(bytes, "mem");
  ASSERT_EQ(back.nodes.size(), 4u);
  EXPECT_EQ(back.version, "0.0.4");
  EXPECT_EQ(back.nodes[2].comm_type, ck::Comm::reduce_scatter);
  EXPECT_EQ(back.nodes[2].comm_size, 123456789);
  EXPECT_EQ(back.nodes[2].pg_name, "g");
  EXPECT_EQ(back.nodes[2].ctrl_deps, std::vector<std::uint64_t>{1});
  EXPECT_EQ(back.nodes[2].data_deps, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(back.nodes[3].comm_tag, 77);
  EXPECT_EQ(back.nodes[3].comm_dst, 1);
  EXPECT_DOUBLE_EQ(back.nodes[0].seconds, 1.25e-3);
  EXPECT_EQ(ck::serialize(back), bytes);
}

// Control dependencies are kept as written (real converted traces hold some on absent
// nodes, on the node itself, in cycles) and do not order the replay: nodes wait for data
// dependencies only, as ASTRA-sim's feeder does, and the replay says so.
TEST(Chakra, ControlDependenciesAreKeptButDoNotOrder) {
  auto a = comp(1, 1e-3);
  a.ctrl_deps = {2};
  auto b = comp(2, 2e-3);
  b.ctrl_deps = {1, 2, 99};
  b.is_cpu_op = true;
  const auto t = ck::parse(ck::serialize(trace({a, b})), "x");
  EXPECT_EQ(t.nodes[1].ctrl_deps, (std::vector<std::uint64_t>{1, 2, 99}));
  const auto r = engine::replay_chakra(a100x16(), {t}, {});
  EXPECT_NEAR(r.step_time, 2e-3, 1e-12);  // side by side on their two streams
  EXPECT_TRUE(std::any_of(r.notes.begin(), r.notes.end(),
                          [](const std::string& n) { return n.find("4 control dependencies") != std::string::npos; }));
}

// Malformed files are InputErrors that say what is wrong and where.
TEST(Chakra, MalformedTracesAreLocatedErrors) {
  const std::string good = ck::serialize(trace({comp(1, 1e-3), comp(2, 1e-3, {1})}));
  EXPECT_NE(error_of([&] { ck::parse(good.substr(0, good.size() - 3), "x.0.et"); }).find("x.0.et"), std::string::npos);
  EXPECT_NE(error_of([&] { ck::parse("", "x.0.et"); }).find("empty"), std::string::npos);
  EXPECT_NE(error_of([&] { ck::parse(std::string("\x1f\x8b\x08\x00", 4), "x.0.et"); }).find("gzip"), std::string::npos);
  EXPECT_NE(error_of([&] {
              ck::parse(ck::serialize(trace({comp(1, 1e-3, {2}), comp(2, 1e-3, {1})})), "c");
            }).find("cycle"),
            std::string::npos);
  EXPECT_NE(error_of([&] { ck::parse(ck::serialize(trace({comp(1, 1e-3, {9})})), "d"); }).find("node 9"), std::string::npos);
  EXPECT_NE(error_of([&] {
              ck::parse(ck::serialize(trace({comp(1, 1e-3), comp(1, 1e-3)})), "u");
            }).find("repeats"),
            std::string::npos);
  EXPECT_NE(error_of([&] { ck::parse_comm_groups(R"({"a": [0, 0]})", "g.json", 2); }).find("g.json"), std::string::npos);
  EXPECT_NE(error_of([&] { ck::parse_comm_groups(R"({"a": [0, 5]})", "g.json", 2); }).find("5"), std::string::npos);
  const std::string twice = error_of([&] { ck::parse_comm_groups(R"({"a": [0, 1], "b": [0], "a": [1]})", "g.json", 2); });
  EXPECT_NE(twice.find("process group named twice"), std::string::npos) << twice;
  EXPECT_NE(twice.find("'a'"), std::string::npos) << twice;
  EXPECT_EQ(ck::parse_comm_groups(R"({"a": [0, 1], "b": [1]})", "g.json", 2).size(), 2u);
  EXPECT_NE(error_of([&] { ck::rank_files("/nonexistent/prefix"); }).find("no Chakra trace"), std::string::npos);
}

// `run --chakra` writes every rank's step; replaying it on the same system gives the step
// time of both engines within 3% (the replay prices transfers alone, as the analytical
// engine does; the whole-step engine adds contention), for TP+PP+DP, CP, MoE and ZeRO-3
// plans; and the files read back to the same bytes.
TEST(Chakra, ExportedStepReplaysToTheEnginesStepTime) {
  const auto dir = std::filesystem::temp_directory_path() / ("dojosim_chakra_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  struct Case {
    const char* system;
    const char* model;
    const char* parallel;
  };
  for (const Case c : {Case{"dgx-a100:nodes=2", "llama3-8b", "tp=2,pp=2,dp=4,mbs=1,gbs=16"},
                       Case{"dgx-h100:nodes=2", "llama3-8b", "tp=2,cp=2,pp=2,dp=2,mbs=1,gbs=16"},
                       Case{"dgx-h100:nodes=4", "mixtral-8x7b", "tp=2,pp=2,ep=4,dp=8,mbs=1,gbs=64"},
                       Case{"dgx-a100:nodes=2", "llama3-8b", "tp=1,pp=1,dp=16,mbs=1,gbs=32,zero=3"}}) {
    SCOPED_TRACE(std::string(c.system) + " " + c.parallel);
    const std::string prefix = (dir / "t").string();
    api::RunArgs a;
    a.system = c.system;
    a.model = c.model;
    a.parallel = c.parallel;
    a.chakra = prefix;
    const auto out = api::run(a);
    ASSERT_GT(out.chakra.ranks, 0);
    EXPECT_EQ(out.chakra.ranks, out.result.devices);
    api::RunArgs ev = a;
    ev.chakra.clear();
    ev.engine = "event";
    const double event = api::run(ev).result.step_time;
    api::ReplayArgs ra;
    ra.prefix = prefix;
    ra.system = c.system;
    const auto rep = api::replay(ra);
    EXPECT_EQ(rep.result.ranks, out.chakra.ranks);
    EXPECT_EQ(rep.result.nodes, out.chakra.nodes);
    EXPECT_NEAR(rep.result.step_time / out.result.step_time, 1.0, 0.03);
    EXPECT_NEAR(rep.result.step_time / event, 1.0, 0.03);
    const std::string bytes = slurp(prefix + ".0.et");
    EXPECT_EQ(ck::serialize(ck::parse(bytes, "t.0.et")), bytes);
  }
  std::filesystem::remove_all(dir);
}

// `run --chakra` writes each compute node's FLOPs as num_ops (and the memory-bound
// embedding's and optimizer's bytes as tensor_size): over every rank they sum to the step's
// hardware FLOPs. With every duration stripped (dojosim_seconds and duration_micros, as a
// tool keeping only the work would), the replay prices compute from them (num_ops at the
// large-GEMM rate, tensor_size at memory bandwidth) within about 10% of the durations the
// trace recorded, rank by rank, for a plan of large GEMMs (smaller GEMMs run below the
// large-GEMM efficiency: 0.54x at seq 512, mbs 1).
TEST(Chakra, ExportedComputeCarriesNumOpsAndReplaysWithoutDurations) {
  const auto dir = std::filesystem::temp_directory_path() / ("dojosim_chakra_ops_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string prefix = (dir / "t").string();
  api::RunArgs a;
  a.system = "dgx-a100";
  a.model = "llama3-8b";
  a.parallel = "tp=4,pp=2,gbs=8,mbs=4";
  a.seq = 2048;
  a.chakra = prefix;
  const auto out = api::run(a);
  ASSERT_EQ(out.chakra.ranks, 8);
  const auto files = ck::rank_files(prefix);
  double ops = 0;
  for (const auto& f : files)
    for (const auto& n : ck::read_file(f).nodes)
      if (n.type == ck::NodeType::comp) ops += static_cast<double>(n.num_ops);
  EXPECT_NEAR(ops / out.result.hardware_flops_per_step, 1.0, 0.01);

  api::ReplayArgs ra;
  ra.prefix = prefix;
  ra.system = "dgx-a100";
  const auto recorded = api::replay(ra).result;
  for (const auto& f : files) {
    auto t = ck::read_file(f);
    for (auto& n : t.nodes) {
      n.seconds = -1;
      n.duration_micros = 0;
    }
    ck::write_file(f, t);
  }
  const auto bare = api::replay(ra).result;
  ASSERT_EQ(bare.per_rank.size(), recorded.per_rank.size());
  for (std::size_t r = 0; r < bare.per_rank.size(); ++r) {
    SCOPED_TRACE(r);
    EXPECT_NEAR(bare.per_rank[r].compute / recorded.per_rank[r].compute, 1.0, 0.12);  // 0.90 in Dec 2026
  }
  EXPECT_TRUE(std::any_of(bare.notes.begin(), bare.notes.end(),
                          [](const std::string& n) { return n.find("priced from their work") != std::string::npos; }));
  std::filesystem::remove_all(dir);
}
