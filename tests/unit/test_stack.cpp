// Software stacks (parallel/stack.hpp), the one resolver (run == search), ZeRO-3 as it
// runs, and partial outer units. Each test states a law of the model, not an output.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "dojosim/core/errors.hpp"
#include "dojosim/explore/search.hpp"
#include "dojosim/parallel/stack.hpp"
#include "dojosim/workload/workload.hpp"

using namespace dojosim;

namespace {
parallel::Strategy partial(const std::string& spec, long long seq = 2048) {
  auto s = parallel::parse_strategy(spec);
  s.seq = seq;
  return s;
}
engine::Context context(const hardware::System& sys, const workload::Workload& w, const parallel::Stack& st,
                        long long seq = 2048) {
  engine::Context c;
  c.sys = &sys;
  if (w.vision()) {
    c.net = &w.network;
    c.seq = 0;
  } else {
    c.model = &w.transformer;
    c.seq = seq;
  }
  c.use(st);
  return c;
}
}  // namespace

TEST(Stack, EveryPresetLoadsAndNamesItself) {
  const auto names = parallel::preset_stack_names();
  for (const char* required : {"megatron-2021", "megatron-core", "deepspeed", "fsdp", "maxtext", "dojo"})
    EXPECT_NE(std::find(names.begin(), names.end(), required), names.end()) << required;
  for (const auto& n : names) EXPECT_EQ(parallel::load_stack(n).name, n);
  EXPECT_TRUE(parallel::load_stack("dojo").assumption);
  EXPECT_FALSE(parallel::load_stack("megatron-core").assumption);
}

TEST(Stack, TyposAndUnknownNamesAreInputErrors) {
  try {
    (void)parallel::load_stack("megatron-cor");
    FAIL() << "no error";
  } catch (const core::InputError& e) { EXPECT_NE(std::string(e.what()).find("megatron-core"), std::string::npos) << e.what(); }
  try {
    (void)parallel::load_stack("megatron-core", {"overlap.tpp=0.3"});
    FAIL() << "no error";
  } catch (const core::InputError& e) { EXPECT_NE(std::string(e.what()).find("tp"), std::string::npos) << e.what(); }
  EXPECT_THROW((void)parallel::load_stack("megatron-core", {"overlap.tp=1.5"}), core::InputError);
}

// A software setting in a device preset is refused with a pointer to stacks.
TEST(Stack, SoftwareKeysAreNotHardware) {
  try {
    (void)hardware::load_system("dgx-h100", {"device.efficiency.memory_efficiency=0.8"});
  } catch (...) { FAIL() << "hardware keys stay settable"; }
  const std::string text = hardware::preset_system_text("dgx-h100");
  auto patched = text;
  patched.replace(patched.find("    tile_m:"), 0, "    tp_comm_overlap: 0.5\n");
  const std::string path = ::testing::TempDir() + "/soft.yaml";
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs(patched.c_str(), f);
  std::fclose(f);
  try {
    (void)hardware::load_system(path);
    FAIL() << "no error";
  } catch (const core::InputError& e) { EXPECT_NE(std::string(e.what()).find("stack"), std::string::npos) << e.what(); }
}

// (device, stack) tuning: the longest matching prefix of the device name wins; other
// devices keep the device's own GEMM efficiency.
TEST(Stack, BindUsesTheDeviceTuningOrTheDevice) {
  const auto h100 = hardware::load_system("dgx-h100");
  const auto a100 = hardware::load_system("dgx-a100");
  const auto d1 = hardware::load_system("dojo-tile");
  const auto mc = parallel::load_stack("megatron-core");
  const auto m21 = parallel::load_stack("megatron-2021");
  const auto bf = static_cast<std::size_t>(hardware::Precision::bf16);
  const auto fp8 = static_cast<std::size_t>(hardware::Precision::fp8);
  const auto w = parallel::bind(mc, h100.device);
  EXPECT_TRUE(w.tuned);
  EXPECT_DOUBLE_EQ(w.gemm_max[bf], mc.devices.at("h100").gemm_max[bf]);
  EXPECT_DOUBLE_EQ(w.gemm_max[fp8], mc.devices.at("h100").gemm_max[fp8]);
  EXPECT_DOUBLE_EQ(parallel::bind(m21, a100.device).gemm_max[bf], m21.devices.at("a100").gemm_max[bf]);
  EXPECT_DOUBLE_EQ(parallel::bind(mc, d1.device).gemm_max[bf], d1.device.eff.gemm_max[bf]);
  EXPECT_DOUBLE_EQ(parallel::bind(mc, d1.device).kernel_overhead, mc.devices.at("d1").kernel_overhead);
  EXPECT_FALSE(parallel::bind(m21, a100.device).flash_attention);
  EXPECT_TRUE(parallel::bind(mc, a100.device).flash_attention);
  // A stack's version on a device can run another attention kernel: DeepSpeed's A100-era
  // runs (MT-NLG, BLOOM) unfused, its Hopper and Blackwell runs FlashAttention (found by a
  // probe: H100 DeepSpeed runs were priced with 2021 kernels, about 2x slow).
  const auto ds = parallel::load_stack("deepspeed");
  EXPECT_FALSE(parallel::bind(ds, a100.device).flash_attention);
  EXPECT_TRUE(parallel::bind(ds, h100.device).flash_attention);
  EXPECT_TRUE(parallel::bind(ds, hardware::load_system("dgx-b200").device).flash_attention);
  EXPECT_FALSE(
      parallel::bind(parallel::load_stack("deepspeed", {"devices.h100.attention_kernel=unfused"}), h100.device).flash_attention);
  // The user's own attention.kernel applies on every device (a review finding: the
  // per-device kernel won over deepspeed:attention.kernel=unfused on H100).
  EXPECT_FALSE(parallel::bind(parallel::load_stack("deepspeed:attention.kernel=unfused"), h100.device).flash_attention);
  EXPECT_FALSE(parallel::bind(parallel::load_stack("deepspeed", {"attention.kernel=unfused"}), h100.device).flash_attention);
}

// What a stack decides changes the prediction in the direction its mechanism says.
TEST(Stack, MechanismsMoveTheStepTimeTheRightWay) {
  const auto sys = hardware::load_system("dgx-a100:nodes=8");
  const auto w = workload::load_workload("gpt3-175b");
  const auto s = partial("tp=8,pp=8,dp=1,vp=1,mbs=1,gbs=64,sp=false,zero=0,recompute=selective");
  const auto base = parallel::load_stack("megatron-core");
  auto time = [&](const parallel::Stack& st) { return engine::evaluate(context(sys, w, st), s).step_time; };
  const double t0 = time(base);
  auto no_tp = base;
  no_tp.tp_overlap = 0;
  EXPECT_GT(time(no_tp), t0);  // TP communication no longer hidden
  auto unfused = base;
  unfused.flash_attention = false;
  EXPECT_GT(time(unfused), t0);  // s^2 scores through HBM
  auto pp = base;
  pp.pp_overlap = 1.0;
  EXPECT_LT(time(pp), t0);  // pipeline sends hidden
  const auto r = engine::evaluate(context(sys, w, base), s);
  EXPECT_EQ(r.stack, "megatron-core");
}

// Steady-phase pipeline overlap (megatron-core's overlap.pp_steady: NeMo's
// overlap_p2p_comm under virtual pipelining): only the first stage's fill and flush
// send/recv stay exposed, Megatron-Core's warm-up count 2(pp-1) + (vp-1)pp forward passes
// and as many backward ones, against 2 per chunk and micro-batch without it; without
// interleaving nothing changes.
TEST(Stack, SteadyPhasePipelineOverlapExposesOnlyTheFillAndFlush) {
  const auto sys = hardware::load_system("dgx-h100:nodes=4");
  const auto w = workload::load_workload("llama3-70b");
  const auto on = parallel::load_stack("megatron-core");
  const auto off = parallel::load_stack("megatron-core:overlap.pp_steady=false");
  EXPECT_TRUE(on.pp_steady_overlap);
  EXPECT_FALSE(off.pp_steady_overlap);
  EXPECT_FALSE(parallel::load_stack("megatron-2021").pp_steady_overlap);
  const auto s = partial("tp=4,pp=8,dp=1,vp=5,mbs=1,gbs=64,sp=true,zero=1,recompute=none", 4096);
  const auto a = engine::evaluate(context(sys, w, on, 4096), s);
  const auto b = engine::evaluate(context(sys, w, off, 4096), s);
  const double passes = 64.0 * 5.0, warmup = 2.0 * 7.0 + 4.0 * 8.0;
  ASSERT_GT(b.breakdown.pp_comm, 0.0);
  EXPECT_NEAR(a.breakdown.pp_comm / b.breakdown.pp_comm, warmup / passes, 1e-9);
  EXPECT_DOUBLE_EQ(a.breakdown.bubble, b.breakdown.bubble);  // the fill's hops are the same
  EXPECT_LT(a.step_time, b.step_time);
  const auto s1 = partial("tp=4,pp=8,dp=1,vp=1,mbs=1,gbs=64,sp=true,zero=1,recompute=none", 4096);
  EXPECT_DOUBLE_EQ(engine::evaluate(context(sys, w, on, 4096), s1).breakdown.pp_comm,
                   engine::evaluate(context(sys, w, off, 4096), s1).breakdown.pp_comm);
}

// Optimizer state precision: bf16 master and moments (NeMo's distributed_fused_adam with
// dtype: bf16) hold 6 bytes per parameter instead of 12, over the same ZeRO shard, and the
// Adam step moves 2*6+14 bytes instead of 38. A stack spec carries the overrides and names
// the changed stack by itself.
TEST(Stack, OptimizerStatePrecisionSetsMemoryAndTraffic) {
  const auto sys = hardware::load_system("dgx-h100:nodes=16");
  const auto w = workload::load_workload("gpt3-175b");
  const auto s = partial("tp=8,pp=8,dp=2,vp=1,mbs=1,gbs=32,sp=true,zero=1,recompute=selective", 4096);
  const auto fp32 = parallel::load_stack("megatron-core");
  const auto bf16 = parallel::load_stack("megatron-core:optimizer.master=bf16,optimizer.moments=bf16");
  EXPECT_EQ(bf16.name, "megatron-core:optimizer.master=bf16,optimizer.moments=bf16");
  EXPECT_DOUBLE_EQ(parallel::bind(fp32, sys.device).optimizer_state_bytes, 12.0);
  EXPECT_DOUBLE_EQ(parallel::bind(bf16, sys.device).optimizer_state_bytes, 6.0);
  EXPECT_DOUBLE_EQ(parallel::bind(parallel::load_stack("megatron-core:optimizer.moments=bf16"), sys.device).optimizer_state_bytes,
                   8.0);  // Megatron-Core's precision-aware optimizer
  const auto a = engine::evaluate(context(sys, w, fp32, 4096), s);
  const auto b = engine::evaluate(context(sys, w, bf16, 4096), s);
  EXPECT_NEAR(b.memory.optimizer, a.memory.optimizer / 2.0, 1e-6 * a.memory.optimizer);
  EXPECT_DOUBLE_EQ(b.memory.weights, a.memory.weights);
  EXPECT_DOUBLE_EQ(b.memory.activations, a.memory.activations);
  // Memory-bound (docs/model.md): the traffic scales by 26/38 exactly; the launch cost, one
  // memory-kernel overhead plus ten, is the same for both.
  const double launch = 11.0 * parallel::bind(fp32, sys.device).kernel_overhead;
  EXPECT_DOUBLE_EQ(launch, 11.0 * parallel::bind(bf16, sys.device).kernel_overhead);
  EXPECT_LT(b.breakdown.optimizer, a.breakdown.optimizer);
  EXPECT_NEAR(b.breakdown.optimizer - launch, (a.breakdown.optimizer - launch) * (26.0 / 38.0), 1e-9 * a.breakdown.optimizer);
  // Spec syntax errors and unknown keys are input errors.
  EXPECT_THROW((void)parallel::load_stack("megatron-core:"), core::InputError);
  EXPECT_THROW((void)parallel::load_stack("megatron-core:optimizer.moments"), core::InputError);
  EXPECT_THROW((void)parallel::load_stack("megatron-core:optimizer.moments=fp16"), core::InputError);
  EXPECT_THROW((void)parallel::load_stack("megatron-core:optimizer.moment=bf16"), core::InputError);
}

// ZeRO-3 as it runs: per-layer gathers every micro-batch. With the global batch fixed,
// more data parallelism halves compute per device but not the gathers (each device still
// receives every layer's parameters), so the step time stops falling once they dominate.
TEST(Zero3, StepTimeStopsFallingWhenCommunicationBound) {
  const auto w = workload::load_workload("gpt3-175b");
  const auto st = parallel::load_stack("megatron-core");
  std::vector<double> t, compute, comm;
  for (int n : {768, 1536, 3072}) {
    const auto sys = hardware::load_system(fmt::format("dgx-a100:devices={}", n));
    const auto s = partial(fmt::format("tp=1,pp=1,dp={},vp=1,mbs=1,gbs=3072,sp=false,zero=3,recompute=full", n));
    const auto r = engine::evaluate(context(sys, w, st), s);
    t.push_back(r.step_time);
    compute.push_back(r.breakdown.compute);
    comm.push_back(r.breakdown.dp_comm);
    if (n == 3072) {
      EXPECT_TRUE(r.zero3_comm_bound);
      EXPECT_GT(r.breakdown.dp_comm, r.breakdown.compute);
    }
  }
  EXPECT_NEAR(compute[1] / compute[0], 0.5, 0.02);
  EXPECT_NEAR(compute[2] / compute[1], 0.5, 0.02);
  EXPECT_GT(comm[2], comm[1]);          // less compute to hide under
  EXPECT_GT(t[2] / t[1], t[1] / t[0]);  // each doubling gains less than the one before
  EXPECT_GT(t[2] / t[1], 0.7);          // far from the 0.5 that free communication would give
  // Without prefetch every gather waits: slower than with it.
  auto none = st;
  none.zero3_prefetch = 0;
  const auto sys = hardware::load_system("dgx-a100:devices=768");
  const auto s = partial("tp=1,pp=1,dp=768,vp=1,mbs=1,gbs=1536,sp=false,zero=3,recompute=full");
  EXPECT_GT(engine::evaluate(context(sys, w, none), s).step_time, engine::evaluate(context(sys, w, st), s).step_time);
}

// One resolver: `run`'s completion of a partial strategy is `search`'s best plan, over
// many systems and models, Dojo residency and vision networks included.
TEST(OneResolver, RunEqualsSearchTop1) {
  workload::Workload gpt2s = workload::load_workload("llama3-8b");
  auto& m = gpt2s.transformer;  // the 6-layer, 384-wide GPT-2
  m.name = "gpt2-6x384";
  m.layers = 6;
  m.hidden = 384;
  m.ffn = 1536;
  m.heads = 6;
  m.kv_heads = 6;
  m.head_dim = 64;
  m.vocab = 50257;
  m.gated_mlp = false;
  m.rmsnorm = false;
  m.learned_positions = true;
  m.tied_embeddings = true;
  m.max_seq = 1024;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"dgx-h100:nodes=2", "llama3-8b"}, {"dgx-a100:nodes=4", "gpt3-13b"}, {"dojo-tile", ""},
      {"dojo-tray", "llama3-8b"},        {"tpu-v4:cubes=1", "llama3-8b"},  {"gb200-nvl72:devices=144", "llama3-70b"},
      {"dgx-h100", "resnet50"},          {"dojo-tile", "tesla-video"},     {"dgx-b200:nodes=4", "mixtral-8x7b"}};
  for (const auto& [sysname, model] : cases) {
    const auto sys = hardware::load_system(sysname);
    const auto w = model.empty() ? gpt2s : workload::load_workload(model);
    const auto st = parallel::load_stack(parallel::default_stack_name(sys));
    const auto ctx = context(sys, w, st, w.vision() ? 0 : std::min<long long>(w.transformer.max_seq, 2048));
    const auto p = partial("", ctx.seq);
    const auto run = engine::resolve(ctx, p);
    explore::SearchOptions opt;
    opt.top = 1;
    opt.threads = 1;
    const auto best = explore::search(ctx, p, opt).ranked.front().result;
    EXPECT_EQ(run.strategy.spec() + run.strategy.options(), best.strategy.spec() + best.strategy.options())
        << sysname << " " << model;
    EXPECT_DOUBLE_EQ(run.step_time, best.step_time) << sysname << " " << model;
  }
}

// Partial outer units: a device count that does not fill the last node or rack runs on
// the devices asked for, and priced groups never span more than the units that hold them.
TEST(PartialUnits, DeviceCountsThatDoNotFillTheOuterUnit) {
  const auto gb = hardware::load_system("gb200-nvl72:devices=512");
  EXPECT_EQ(gb.device_count(), 512);
  EXPECT_EQ(gb.levels.back().size, 8);  // 7 full racks and one with 8 of its 72 GPUs
  const auto h = hardware::load_system("dgx-h100:devices=12");
  EXPECT_EQ(h.device_count(), 12);
  EXPECT_DOUBLE_EQ(h.peak(hardware::Precision::bf16), 12 * h.device.peak_for(hardware::Precision::bf16));
  const auto full = hardware::load_system("dgx-h100:devices=16");
  EXPECT_EQ(full.devices_used, 0);
  // DP of tp=8 groups: 9 members in each full rack, but one alone in the partial rack
  // (ranks 504..511), which carries its whole share over the network: the group is priced
  // by that member, as one network hop over all 64 (docs/model.md#straddle).
  const auto g = collective::place_group(gb, 64, 8);
  ASSERT_EQ(g.hops, 1);
  EXPECT_EQ(g.hop[0].level, 1);
  EXPECT_EQ(g.hop[0].k, 64);
  // Seven full racks: 9 members per rack over NVLink, then 7 racks over the network.
  const auto g7 = collective::place_group(hardware::load_system("gb200-nvl72:devices=504"), 63, 8);
  ASSERT_EQ(g7.hops, 2);
  EXPECT_EQ(g7.hop[0].k, 9);
  EXPECT_EQ(g7.hop[1].k, 7);
  const auto w = workload::load_workload("llama3-70b");
  const auto st = parallel::load_stack("megatron-core");
  const auto r = engine::resolve(context(gb, w, st), partial(""));
  EXPECT_EQ(r.devices, 512);
  EXPECT_EQ(r.strategy.devices(), 512);
}

// A stack changed by --set stack.KEY=VALUE is named by what changed, as a spec is
// (every output says which software it priced).
TEST(Stack, OverriddenStackIsNamedByItsChanges) {
  EXPECT_EQ(parallel::load_stack("megatron-core", {"overlap.tp=0"}).name, "megatron-core:overlap.tp=0");
  EXPECT_EQ(parallel::load_stack("megatron-core:optimizer.moments=bf16", {"overlap.tp=0"}).name,
            "megatron-core:optimizer.moments=bf16,overlap.tp=0");
  EXPECT_EQ(parallel::load_stack("megatron-core").name, "megatron-core");
}

// What a stack's pipeline engine cannot run is never planned and is an error when given:
// DeepSpeed's pipeline engine has no interleaved schedule and takes ZeRO-1 at most.
TEST(Stack, PipelineEngineLimitsAreHeld) {
  const auto sys = hardware::load_system("dgx-a100:nodes=16");
  const auto m = workload::load_model("gpt3-175b");
  const auto ds = parallel::load_stack("deepspeed");
  engine::Context ctx{&sys, &m, 2048};
  ctx.use(ds);
  const auto r = engine::resolve(ctx, parallel::parse_strategy(""));
  if (r.strategy.pp > 1) {
    EXPECT_LE(r.strategy.zero, 1);
    EXPECT_EQ(r.strategy.vp, 1);
  }
  EXPECT_THROW(engine::resolve(ctx, parallel::parse_strategy("zero=3,pp=4")), core::InputError);
  auto given = parallel::parse_strategy("tp=8,pp=4,dp=4,vp=2,mbs=1,gbs=64,zero=1,recompute=full,sp=false");
  given.seq = 2048;
  EXPECT_THROW(engine::plan_or_resolve(ctx, given), core::InputError);
  // Megatron-Core interleaves and takes the same plan.
  const auto mc = parallel::load_stack("megatron-core");
  engine::Context ctx2{&sys, &m, 2048};
  ctx2.use(mc);
  EXPECT_NO_THROW(engine::plan_or_resolve(ctx2, given));
}

// What the user sets is what runs (found by a probe: both were silently without effect):
// a setting for the whole stack replaces the stack's per-device entries for it unless the
// user sets the device's entry too, and a GEMM efficiency set on the device replaces the
// stack's tuning for the device. A GEMM efficiency of 0 is an error, not "unstated".
TEST(Stack, UserOverridesWinOverPerDeviceEntries) {
  const auto a100 = hardware::load_system("dgx-a100");
  EXPECT_DOUBLE_EQ(parallel::bind(parallel::load_stack("megatron-core"), a100).kernel_overhead, 5e-6);
  EXPECT_DOUBLE_EQ(parallel::bind(parallel::load_stack("megatron-core", {"kernel_overhead=1ms"}), a100).kernel_overhead, 1e-3);
  EXPECT_DOUBLE_EQ(
      parallel::bind(parallel::load_stack("megatron-core", {"kernel_overhead=1ms", "devices.a100.kernel_overhead=2us"}), a100)
          .kernel_overhead,
      2e-6);
  EXPECT_DOUBLE_EQ(
      parallel::bind(parallel::load_stack("megatron-core:overlap.tp=0.1"), hardware::load_system("dgx-h100")).tp_overlap, 0.1);
  const auto bf = static_cast<std::size_t>(hardware::Precision::bf16);
  const auto stack = parallel::load_stack("megatron-core");
  EXPECT_DOUBLE_EQ(parallel::bind(stack, hardware::load_system("dgx-h100")).gemm_max[bf], 0.675);
  EXPECT_DOUBLE_EQ(parallel::bind(stack, hardware::load_system("dgx-h100", {"device.efficiency.gemm_max.bf16=0.3"})).gemm_max[bf],
                   0.3);
  EXPECT_THROW(hardware::load_system("dgx-h100", {"device.efficiency.gemm_max.bf16=0"}), core::InputError);
  EXPECT_THROW(parallel::load_stack("megatron-core", {"devices.h100.gemm_max.bf16=0"}), core::InputError);
}

// A per-device entry is a prefix of a device's name. An entry that starts no device's name
// but is a near miss of the bound device's ("h1OO", "H100" on H100s) would silently apply to
// nothing and is refused where it is written; names of other devices, preset or custom, are
// not typos and are accepted.
TEST(Stack, DeviceEntriesThatMatchNoDeviceAreRefused) {
  const auto path = std::filesystem::temp_directory_path() / ("dojosim_stack_devices_" + std::to_string(::getpid()) + ".yaml");
  auto load = [&](const std::string& key) {
    std::ofstream(path) << "name: mine\ndevices:\n  " << key << ":\n    kernel_overhead: 7 us\n";
    return parallel::load_stack(path.string());
  };
  const auto h100 = hardware::load_system("dgx-h100");
  const auto tpu = hardware::load_system("tpu-v4");
  for (const char* typo : {"h1OO", "H100", "h100-sxn", "h10O-sxm"}) {
    try {
      (void)parallel::bind(load(typo), h100);
      ADD_FAILURE() << typo << ": no error";
    } catch (const core::InputError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("did you mean 'h100"), std::string::npos) << m;
      EXPECT_NE(m.find(path.filename().string() + ":3"), std::string::npos) << "the entry's line: " << m;
    }
  }
  EXPECT_THROW((void)parallel::bind(load("tpu-v44"), tpu), core::InputError);
  // Accepted: the device's own entry (applied), other devices' entries and custom names.
  EXPECT_DOUBLE_EQ(parallel::bind(load("h100"), h100).kernel_overhead, 7e-6);
  EXPECT_DOUBLE_EQ(parallel::bind(load("h100-sxm"), h100).kernel_overhead, 7e-6);
  for (const char* other : {"h200", "a100", "b200", "my-wafer-chip", "mi355x"})
    EXPECT_NE(parallel::bind(load(other), h100).kernel_overhead, 7e-6) << other;
  // Every preset stack binds to every preset system (their entries are all real devices).
  for (const auto& st : parallel::preset_stack_names())
    for (const auto& sys : hardware::preset_system_names())
      EXPECT_NO_THROW((void)parallel::bind(parallel::load_stack(st), hardware::load_system(sys))) << st << " on " << sys;
  std::filesystem::remove(path);
}

// Found by a tester's probe: a per-device entry's `kernel_overhead: -1 s`, `tp_overlap:
// -0.5` and `attention_efficiency: 0` were accepted and meant "not set" (the stack's value
// ran), while the stack-level keys refuse them. The entries take the same ranges.
TEST(Stack, DeviceEntriesTakeTheStackLevelRanges) {
  const auto path = std::filesystem::temp_directory_path() / ("dojosim_stack_ranges_" + std::to_string(::getpid()) + ".yaml");
  auto load = [&](const std::string& setting) {
    std::ofstream(path) << "name: mine\ndevices:\n  h100:\n    " << setting << "\n";
    return parallel::load_stack(path.string());
  };
  for (const char* bad : {"kernel_overhead: -1 s", "kernel_overhead: -2 us", "tp_overlap: -0.5", "tp_overlap: -1",
                          "attention_efficiency: 0", "attention_efficiency: -1"}) {
    try {
      (void)load(bad);
      ADD_FAILURE() << bad << ": accepted";
    } catch (const core::InputError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(path.filename().string() + ":4"), std::string::npos) << m;
      EXPECT_NE(m.find("out of range"), std::string::npos) << m;
    }
  }
  for (const char* bad :
       {"devices.h100.kernel_overhead=-1s", "devices.h100.tp_overlap=-0.5", "devices.h100.attention_efficiency=0"})
    EXPECT_THROW((void)parallel::load_stack(std::string("megatron-core:") + bad), core::InputError) << bad;
  // The ends of the ranges are values, applied.
  const auto h100 = hardware::load_system("dgx-h100");
  EXPECT_DOUBLE_EQ(parallel::bind(load("kernel_overhead: 0 s"), h100).kernel_overhead, 0.0);
  EXPECT_DOUBLE_EQ(parallel::bind(load("tp_overlap: 0"), h100).tp_overlap, 0.0);
  EXPECT_DOUBLE_EQ(parallel::bind(load("attention_efficiency: 1"), h100).attention_efficiency, 1.0);
  std::filesystem::remove(path);
}

// Found by a tester's probe: an overlap's `tp:` with nothing after it meant the default;
// now "the value is empty" at its line. A section with nothing under it means no settings.
TEST(Stack, EmptyValuesAreRefused) {
  const auto path = std::filesystem::temp_directory_path() / ("dojosim_stack_empty_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "name: mine\noverlap:\n  tp:\n  dp: true\n";
  try {
    (void)parallel::load_stack(path.string());
    ADD_FAILURE() << "accepted an empty tp";
  } catch (const core::InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(path.filename().string() + ":3:3: key 'overlap.tp'"), std::string::npos) << m;
    EXPECT_NE(m.find("the value is empty"), std::string::npos) << m;
  }
  std::ofstream(path) << "name: mine\noverlap:\nzero3:\n";
  EXPECT_NO_THROW((void)parallel::load_stack(path.string()));
  std::filesystem::remove(path);
}

// A stack file that calls itself by a preset's name must hold that preset's settings, or
// every output would name software it did not price (a probe: a file named fsdp holding
// megatron-core's settings, and compare saying "every system on the fsdp stack").
TEST(Stack, FilesDoNotTakeAPresetsName) {
  const auto path = std::filesystem::temp_directory_path() / ("dojosim_stack_name_" + std::to_string(::getpid()) + ".yaml");
  std::string text = parallel::preset_stack_text("megatron-core");
  std::ofstream(path) << text;
  EXPECT_EQ(parallel::load_stack(path.string()).name, "megatron-core");  // the preset's own text
  text.replace(text.find("name: megatron-core"), 19, "name: fsdp");
  std::ofstream(path) << text;
  try {
    (void)parallel::load_stack(path.string());
    ADD_FAILURE() << "no error";
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("a preset stack's name"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("fsdp-custom"), std::string::npos) << e.what();
  }
  text.replace(text.find("name: fsdp"), 10, "name: mine");
  std::ofstream(path) << text;
  EXPECT_EQ(parallel::load_stack(path.string()).name, "mine");
  std::filesystem::remove(path);
}

// `dojosim show stack NAME > f.yaml` reads back as that stack (its figures' sources are
// written apart under `sources:`, which the reader skips); an edited copy that keeps the
// preset's name is refused. A probe found every show output refused ("unknown key 'sources'").
TEST(Stack, ShowReadsBackAsThePreset) {
  const auto path = std::filesystem::temp_directory_path() / ("dojosim_stack_show_" + std::to_string(::getpid()) + ".yaml");
  for (const auto& name : parallel::preset_stack_names()) {
    SCOPED_TRACE(name);
    std::stringstream shown;
    shown << parallel::stack_to_yaml(parallel::load_stack(name));
    std::ofstream(path) << shown.str();
    const auto back = parallel::load_stack(path.string());
    EXPECT_EQ(back.name, name);
    const auto sys = hardware::load_system("dgx-h100");
    EXPECT_EQ(parallel::bind(back, sys).flash_attention, parallel::bind(parallel::load_stack(name), sys).flash_attention);
    YAML::Node edited = YAML::Load(shown.str());
    edited["optimizer"]["moments"] = edited["optimizer"]["moments"].as<std::string>() == "fp32" ? "bf16" : "fp32";
    std::ofstream(path) << edited;
    EXPECT_THROW((void)parallel::load_stack(path.string()), core::InputError);
  }
  std::filesystem::remove(path);
}
