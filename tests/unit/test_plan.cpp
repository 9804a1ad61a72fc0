// Plan construction (engine/plan.hpp), each step alone: group placement, the stage split,
// what a device holds, memory by kind and by Dojo tier, and the allocation-free promise.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>

#include "dojosim/collective/collective.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/engine/plan.hpp"
#include "dojosim/engine/event.hpp"
#include "dojosim/engine/space.hpp"
#include "dojosim/parallel/stack.hpp"
#include "dojosim/workload/workload.hpp"

#include "alloc_counter.hpp"

using namespace dojosim;

namespace {
parallel::Strategy strategy(const std::string& spec, long long seq = 2048) {
  auto s = parallel::parse_strategy(spec);
  s.seq = seq;
  return s;
}
// A system, a transformer and megatron-core bound into a Context at seq 2048 (pinned in
// place: the Context points at the others).
struct Bench {
  hardware::System sys;
  workload::Transformer m;
  parallel::Stack stack;
  engine::Context ctx;
  Bench(const std::string& system, const std::string& model)
      : sys(hardware::load_system(system)),
        m(workload::load_model(model)),
        stack(parallel::load_stack("megatron-core")),
        ctx{&sys, &m, 2048} {
    ctx.use(stack);
  }
  Bench(const Bench&) = delete;
  Bench& operator=(const Bench&) = delete;
};
}  // namespace

// Groups that do not divide a 72-GPU NVLink rack straddle two racks (found by an
// independent probe: groups of 16, 32 and 64 on GB200 NVL72 were priced as if inside one
// NVLink domain, 2-3x faster than the event engine, which places ranks in order). The
// slowest group keeps gcd(72, block) / stride members on one side of a rack boundary and
// crosses the network with the rest; groups that divide the rack, and DGX nodes, keep
// their single NVLink hop. The whole-step engine lays the rings out the same way
// (Flows.StraddlingGroupsRingInsideEachRack); it is slower by the contention of the
// network hop with the other traffic on the rack-edge NICs (docs/model.md#straddle).
TEST(Plan, GroupsStraddlingARackCrossTheNetwork) {
  const auto gb = hardware::load_system("gb200-nvl72:racks=2");
  const auto tp8 = engine::place_groups(gb, strategy("tp=8,pp=1,dp=18"));
  ASSERT_EQ(tp8.tp.hops, 1);  // 72 = 9 groups of 8: inside a rack
  EXPECT_EQ(tp8.tp.hop[0].k, 8);
  const auto tp16 = engine::place_groups(gb, strategy("tp=16,pp=1,dp=9"));
  ASSERT_EQ(tp16.tp.hops, 2);  // group 4 holds ranks 64..79: 8 in each rack
  EXPECT_EQ(tp16.tp.hop[0].level, 0);
  EXPECT_EQ(tp16.tp.hop[0].k, 8);
  EXPECT_EQ(tp16.tp.hop[1].level, 1);
  EXPECT_EQ(tp16.tp.hop[1].k, 2);
  const auto tp32 = engine::place_groups(gb, strategy("tp=32,pp=1,dp=4"));
  ASSERT_EQ(tp32.tp.hops, 2);  // ranks 64..95: 8 and 24
  EXPECT_EQ(tp32.tp.hop[0].k, 8);
  EXPECT_EQ(tp32.tp.hop[1].k, 4);
  // The real boundaries, not the worst a pattern could give: 100 GPUs are a rack of 72
  // and one of 28 (a probe found 4 priced, and step times jumping between 96, 100 and
  // 104 GPUs); 512 leave one member of each tp=8 DP group alone in the last rack.
  const auto dp100 = collective::place_group(hardware::load_system("gb200-nvl72:devices=100"), 100, 1);
  ASSERT_EQ(dp100.hops, 2);
  EXPECT_EQ(dp100.hop[0].k, 28);
  // A group over several racks of a rail-optimised fabric spans the racks it covers, not
  // its members (an oversubscribed top tier was charged to 8 racks of one rail).
  const auto over = hardware::load_system("gb200-nvl72:devices=512", {"levels.cluster.oversubscription=2"});
  EXPECT_EQ(collective::place_group(over, 64, 8).hop[0].shared, 1.0);
  const auto h100 = engine::place_groups(hardware::load_system("dgx-h100:nodes=4"), strategy("tp=8,pp=1,dp=4"));
  ASSERT_EQ(h100.tp.hops, 1);
  EXPECT_EQ(h100.tp.hop[0].k, 8);
  // Priced: a TP call of the straddling group costs more than the same call in a rack of 80
  // (which 16 divides), and the whole-step engine is slower still (the network hop shares
  // the rack-edge NICs with the overlapped DP traffic: contention), but not by a ring that
  // crosses the network (1.18x; 1.5x before the rings were laid out by rack).
  const auto m = workload::load_model("llama3-8b");
  const auto stack = parallel::load_stack("megatron-core");
  const auto s = strategy("tp=16,pp=1,dp=9,mbs=1,gbs=72,sp=true,zero=1,recompute=none");
  auto tp_call = [&](const hardware::System& sys, const parallel::Strategy& st, engine::Result* out = nullptr) {
    engine::Context ctx{&sys, &m, 2048};
    ctx.use(stack);
    const auto plan = engine::make_plan(ctx, st);
    const auto r = engine::price(ctx, plan);
    if (out != nullptr) {
      const hardware::Graph graph(sys);
      *out = engine::simulate_step(ctx, plan, r, graph);
    }
    return r;
  };
  engine::Result ev;
  const auto straddling = tp_call(gb, s, &ev);
  const auto rack80 = hardware::load_system("gb200-nvl72:racks=2", {"levels.rack.size=80"});
  const auto inside = tp_call(rack80, strategy("tp=16,pp=1,dp=10,mbs=1,gbs=80,sp=true,zero=1,recompute=none"));
  EXPECT_GT(straddling.comm.tp.cost().time, 1.5 * inside.comm.tp.cost().time);
  EXPECT_GT(ev.step_time, straddling.step_time);
  EXPECT_LT(ev.step_time, 1.3 * straddling.step_time);
}

// A sliding window (Mistral v0.1: 4096 keys) cuts the attention kernel's FLOPs at 32768
// tokens to (2sW - W^2)/s^2 of causal attention, as it cuts the model's FLOPs.
TEST(Plan, SlidingWindowSkipsAttention) {
  auto v01 = workload::load_model("llama3-8b");
  auto v02 = v01;
  v01.sliding_window = 4096;
  const double s = 32768, w = 4096;
  const auto sys = hardware::load_system("dgx-h100");
  engine::Context a{&sys, &v01, 32768}, b{&sys, &v02, 32768};
  const auto stack = parallel::load_stack("megatron-core");
  a.use(stack);
  b.use(stack);
  const auto st = parallel::parse_strategy("tp=8,pp=1,dp=1,mbs=1,gbs=8,sp=true,zero=1,recompute=none");
  auto with_seq = st;
  with_seq.seq = 32768;
  const double ratio = engine::make_plan(a, with_seq).work.attention_flops / engine::make_plan(b, with_seq).work.attention_flops;
  EXPECT_NEAR(ratio, (2 * s * w - w * w) / (s * s), 1e-12);
  // Under context parallelism a chunk of 4096 tokens needs K/V from the one chunk before it,
  // not the 7 a full ring passes (a review finding: the window made CP steps slower).
  auto cp8 = parallel::parse_strategy("tp=1,cp=8,pp=1,dp=1,mbs=1,gbs=1,zero=1,recompute=none");
  cp8.seq = 32768;
  EXPECT_DOUBLE_EQ(engine::make_plan(a, cp8).demands.cp[0].per_layer, 3.0);
  EXPECT_DOUBLE_EQ(engine::make_plan(b, cp8).demands.cp[0].per_layer, 3.0 * 7.0);
  EXPECT_LT(engine::evaluate(a, cp8).step_time, engine::evaluate(b, cp8).step_time);
}

// Interleaving keeps pp(1 + (pp-1)/(pp vp)) micro-batches in flight on the first stage,
// but never more than the step has: with as many micro-batches as stages, all of them
// (found by a probe: 17.9 of 16); with twice as many, the formula's.
TEST(Plan, InFlightMicroBatchesNeverExceedTheStep) {
  const Bench setup("dgx-h100:nodes=4", "llama3-8b");
  const auto four = engine::make_plan(setup.ctx, strategy("tp=8,pp=4,dp=1,vp=2,mbs=1,gbs=4,sp=true,zero=1,recompute=none"));
  const auto eight = engine::make_plan(setup.ctx, strategy("tp=8,pp=4,dp=1,vp=2,mbs=1,gbs=8,sp=true,zero=1,recompute=none"));
  // The first stage's activations (the last stage adds the logits of one micro-batch).
  EXPECT_NEAR(eight.memory.activations / four.memory.activations, 1.0 + 3.0 / 8.0, 0.05);
}

// The distributed optimizer's gradient buffer and reduction follow the stack's
// optimizer.grads: bf16 by default (NVIDIA's performance recipes), fp32 as Megatron-LM's
// --bf16 default, which doubles the gradient memory and the DP reduce-scatter (a probe
// found no way to say so). ZeRO-0 keeps fp32 main grads and ZeRO-3 its zero3.reduce.
TEST(Plan, DistributedOptimizerGradientDtype) {
  const auto sys = hardware::load_system("dgx-h100:nodes=4");
  const auto m = workload::load_model("llama3-8b");
  const auto bf = parallel::load_stack("megatron-core"), fp = parallel::load_stack("megatron-core", {"optimizer.grads=fp32"});
  engine::Context a{&sys, &m, 2048}, b{&sys, &m, 2048};
  a.use(bf);
  b.use(fp);
  for (const char* spec : {"tp=2,pp=1,dp=16,mbs=1,gbs=64,zero=1", "tp=2,pp=1,dp=16,mbs=1,gbs=64,zero=2"}) {
    const auto s = strategy(spec);
    const auto pa = engine::make_plan(a, s), pb = engine::make_plan(b, s);
    EXPECT_DOUBLE_EQ(pb.memory.gradients, 2.0 * pa.memory.gradients) << spec;
    EXPECT_DOUBLE_EQ(pb.demands.dp[0].bytes, 2.0 * pa.demands.dp[0].bytes) << spec;
    EXPECT_EQ(pa.demands.dp[1].bytes, pb.demands.dp[1].bytes) << spec;  // the bf16 parameter gather
  }
  for (const char* spec : {"tp=2,pp=1,dp=16,mbs=1,gbs=64,zero=0", "tp=2,pp=1,dp=16,mbs=1,gbs=64,zero=3"}) {
    const auto s = strategy(spec);
    EXPECT_DOUBLE_EQ(engine::make_plan(a, s).memory.gradients, engine::make_plan(b, s).memory.gradients) << spec;
  }
}

// Eager element-wise kernels (docs/model.md#eager-elementwise): a stack that runs the
// reference Llama code un-fused moves the bytes of its RMSNorm (36 per element, not 4),
// SwiGLU (10, not 6), RoPE (20, not 4) and GQA's K/V copies; a GPT-style model, which has
// none of them, is priced the same either way; and the step is slower.
TEST(Plan, EagerElementwiseKernels) {
  const auto sys = hardware::load_system("dgx-h100:nodes=2");
  const auto fused = parallel::load_stack("fsdp", {"elementwise.fused=true"});
  const auto eager = parallel::load_stack("fsdp");
  ASSERT_FALSE(eager.fused_elementwise);
  const auto s = strategy("tp=2,pp=1,dp=8,mbs=1,gbs=64,sp=true,zero=3,recompute=none");
  for (const char* name : {"llama3-8b", "gpt3-13b"}) {
    SCOPED_TRACE(name);
    const auto m = workload::load_model(name);
    engine::Context a{&sys, &m, 2048}, b{&sys, &m, 2048};
    a.use(fused);
    b.use(eager);
    const auto pf = engine::make_plan(a, s), pe = engine::make_plan(b, s);
    const double tok = 2048.0, tp = 2.0, h = static_cast<double>(m.hidden), f = static_cast<double>(m.ffn) / tp;
    const double q = static_cast<double>(m.q_dim()) / tp, kv = static_cast<double>(m.kv_dim()) / tp;
    const double d_elem = pe.work.elementwise_bytes - pf.work.elementwise_bytes;
    const double d_rope = pe.work.rope_bytes - pf.work.rope_bytes;
    if (m.rmsnorm) {
      EXPECT_NEAR(d_elem, 2.0 * 32.0 * tok / tp * h + 4.0 * tok * f, 1e-9 * d_elem);
      EXPECT_NEAR(d_rope, 16.0 * tok * (q + kv) + 4.0 * tok * (q + kv), 1e-9 * d_rope);
      EXPECT_GT(pe.work.elementwise_kernels, pf.work.elementwise_kernels);
      EXPECT_GT(engine::price(b, pe).step_time, engine::price(a, pf).step_time);
    } else {
      EXPECT_EQ(d_elem, 0.0);
      EXPECT_EQ(d_rope, 0.0);
      EXPECT_EQ(pe.work.elementwise_kernels, pf.work.elementwise_kernels);
      EXPECT_EQ(engine::price(b, pe).step_time, engine::price(a, pf).step_time);
    }
  }
}

// Megatron-Core's order on GPUs: TP inside a node, then CP, DP, PP outward.
TEST(Plan, GroupsSitWhereTheOrderPutsThem) {
  const auto sys = hardware::load_system("dgx-h100:nodes=16");  // 128 GPUs, 8 per node
  const auto g = engine::place_groups(sys, strategy("tp=8,pp=4,dp=4"));
  ASSERT_EQ(g.tp.hops, 1);
  EXPECT_EQ(g.tp.hop[0].level, 0);  // NVLink
  EXPECT_EQ(g.tp.hop[0].k, 8);
  ASSERT_EQ(g.dp.hops, 1);  // dp strided by tp=8: one member per node
  EXPECT_EQ(g.dp.hop[0].level, 1);
  EXPECT_EQ(g.dp.hop[0].k, 4);
  EXPECT_EQ(g.pp.hop[0].level, 1);
  EXPECT_EQ(g.pp.size, 4);
  // tp=2, dp=4: the DP group fits inside a node (stride 2, 4 members) and never uses a NIC.
  const auto in_node = engine::place_groups(sys, strategy("tp=2,pp=16,dp=4"));
  ASSERT_EQ(in_node.dp.hops, 1);
  EXPECT_EQ(in_node.dp.hop[0].level, 0);
  // Context parallelism joins DP in the gradient reduction: dp*cp members.
  EXPECT_EQ(engine::place_groups(sys, strategy("tp=8,cp=2,pp=2,dp=4")).dp.size, 8);
}

// Even splits, remainders to the first stages, and Megatron's embedding/loss accounting.
TEST(Plan, StageSplit) {
  auto sp = engine::split_stages(96, 8);
  EXPECT_FALSE(sp.accounted);
  EXPECT_EQ(sp.first, 12);
  EXPECT_EQ(sp.last, 12);
  EXPECT_EQ(sp.max, 12);
  sp = engine::split_stages(126, 16);  // Llama 3.1 405B: (126 + 2) / 16 = 8, ends take 7
  EXPECT_TRUE(sp.accounted);
  EXPECT_EQ(sp.max, 8);
  EXPECT_EQ(sp.first, 7);
  EXPECT_EQ(sp.last, 7);
  EXPECT_EQ(sp.first + sp.last + 14 * sp.max, 126);
  sp = engine::split_stages(80, 3);  // neither: 27, 27, 26
  EXPECT_FALSE(sp.accounted);
  EXPECT_EQ(sp.max, 27);
  EXPECT_EQ(sp.last, 26);
}

// What a device holds falls exactly with the sharding that applies to it.
TEST(Plan, ParametersAndMemoryByKind) {
  const Bench setup("dgx-h100:nodes=16", "llama3-70b");
  const auto& ctx = setup.ctx;
  const auto z1 = engine::make_plan(ctx, strategy("tp=8,pp=4,dp=4,vp=1,mbs=1,gbs=256,sp=true,zero=1,recompute=selective"));
  const auto z0 = engine::make_plan(ctx, strategy("tp=8,pp=4,dp=4,vp=1,mbs=1,gbs=256,sp=true,zero=0,recompute=selective"));
  const auto z3 = engine::make_plan(ctx, strategy("tp=8,pp=4,dp=4,vp=1,mbs=1,gbs=256,sp=true,zero=3,recompute=selective"));
  EXPECT_DOUBLE_EQ(z1.params.stage, z0.params.stage);
  EXPECT_NEAR(z1.memory.optimizer * 4, z0.memory.optimizer, 1e-6 * z0.memory.optimizer);  // 12 B/param over dp=4
  EXPECT_LT(z3.memory.weights, z1.memory.weights);
  EXPECT_DOUBLE_EQ(z1.memory.activations, z0.memory.activations);
  EXPECT_TRUE(z1.memory.fits);
  // Full recompute keeps less than selective, which keeps less than none.
  const auto full = engine::make_plan(ctx, strategy("tp=8,pp=4,dp=4,vp=1,mbs=1,gbs=256,sp=true,zero=1,recompute=full"));
  const auto none = engine::make_plan(ctx, strategy("tp=8,pp=4,dp=4,vp=1,mbs=1,gbs=256,sp=true,zero=1,recompute=none"));
  EXPECT_LT(full.memory.activations, z1.memory.activations);
  EXPECT_LE(z1.memory.activations, none.memory.activations);
  EXPECT_DOUBLE_EQ(full.phi, 1.0);
  EXPECT_DOUBLE_EQ(z1.phi, 0.0);
}

// MoE experts sharded over EP are replicated on dp·cp/ep devices only: their gradients and
// optimizer state shard over that expert-data-parallel group, the dense parameters' over
// dp·cp (Megatron-Core's distributed optimizer). Mixtral 8x7B on 64 A100s, ep=8: the
// experts' Adam state is 8x what sharding it over all 64 would give.
TEST(Plan, MoeExpertStateShardsOverItsOwnReplicas) {
  const Bench setup("dgx-a100:nodes=8", "mixtral-8x7b");
  const auto& m = setup.m;
  const auto p = engine::make_plan(setup.ctx, strategy("tp=1,pp=1,dp=64,ep=8,mbs=1,gbs=512,zero=1,recompute=full"));
  const double experts =
      static_cast<double>(m.layers) * (m.mlp_params_per_layer() - static_cast<double>(m.hidden * m.experts)) / 8.0;
  EXPECT_NEAR(p.params.expert_stage, experts, 1e-9 * experts);
  const double bytes = setup.ctx.sw.optimizer_state_bytes;
  const double expected = bytes * ((p.params.stage - experts) / 64.0 + experts / 8.0);
  EXPECT_NEAR(p.memory.optimizer, expected, 1e-9 * expected);
  EXPECT_GT(p.memory.optimizer, 4.0 * bytes * p.params.stage / 64.0);
  // ZeRO-2 gradients likewise; without EP every replica holds every expert (dp·cp shards).
  const auto z2 = engine::make_plan(setup.ctx, strategy("tp=1,pp=1,dp=64,ep=8,mbs=1,gbs=512,zero=2,recompute=full"));
  EXPECT_NEAR(z2.memory.gradients, 2.0 * ((z2.params.stage - experts) / 64.0 + experts / 8.0), 1e-6 * z2.memory.gradients);
  const auto dense = engine::make_plan(setup.ctx, strategy("tp=1,pp=1,dp=64,ep=1,mbs=1,gbs=512,zero=1,recompute=full"));
  EXPECT_NEAR(dense.memory.optimizer, bytes * dense.params.stage / 64.0, 1e-9 * dense.memory.optimizer);
}

// One memory account for every workload: a transformer's and a vision network's model state
// are device_memory's, from the parameters held, the ZeRO-3 unit (a layer; the largest op)
// and the replicas sharing the state; only the activations differ by workload.
TEST(Plan, OneMemoryModelForEveryWorkload) {
  const Bench setup("dgx-h100:nodes=16", "llama3-70b");
  for (const char* spec : {"tp=8,pp=4,dp=2,cp=2,vp=1,mbs=1,gbs=256,sp=true,zero=3,recompute=selective",
                           "tp=4,pp=2,dp=16,vp=1,mbs=1,gbs=256,sp=true,zero=1,recompute=full"}) {
    const auto s = strategy(spec);
    const auto p = engine::make_plan(setup.ctx, s);
    const auto m = engine::device_memory(
        setup.sys, s, p.sw,
        {.stage_params = p.params.stage, .unit_params = p.params.layer, .shards = static_cast<double>(s.dp) * s.cp},
        p.memory.activations);
    EXPECT_EQ(m.weights, p.memory.weights) << spec;
    EXPECT_EQ(m.gradients, p.memory.gradients) << spec;
    EXPECT_EQ(m.optimizer, p.memory.optimizer) << spec;
    EXPECT_EQ(m.other, p.memory.other) << spec;
    EXPECT_EQ(m.fits, p.memory.fits) << spec;
  }
  // ZeRO-3 holds the unit being computed and the prefetched ones whole: one more unit per
  // prefetch step, a transformer layer or a vision network's largest op.
  const auto sys = hardware::load_system("dgx-h100:nodes=8");
  const auto w = workload::load_workload("vit-l16");
  double largest = 0;
  for (const auto& o : w.network.ops) largest = std::max(largest, o.params);
  ASSERT_GT(largest, 0.0);
  const auto one = parallel::load_stack("megatron-core", {"zero3.prefetch=1"});
  const auto two = parallel::load_stack("megatron-core", {"zero3.prefetch=2"});
  engine::Context v1{&sys, nullptr, 0, &w.network}, v2{&sys, nullptr, 0, &w.network};
  v1.use(one);
  v2.use(two);
  const auto s = strategy("dp=64,mbs=8,gbs=512,zero=3,recompute=none", 0);
  const auto a = engine::make_plan(v1, s), b = engine::make_plan(v2, s);
  EXPECT_DOUBLE_EQ(b.memory.weights - a.memory.weights, largest * 2.0);
  EXPECT_EQ(a.memory.activations, b.memory.activations);
  EXPECT_NEAR(a.memory.weights, w.network.params() * 2.0 / 64.0 + 2.0 * largest * 2.0, 1e-9 * a.memory.weights);
  const Bench t("dgx-h100:nodes=16", "llama3-70b");
  auto layer_two = parallel::load_stack("megatron-core", {"zero3.prefetch=2"});
  engine::Context c2 = t.ctx;
  c2.use(layer_two);
  const auto ts = strategy("tp=8,pp=4,dp=4,vp=1,mbs=1,gbs=256,sp=true,zero=3,recompute=selective");
  const auto ta = engine::make_plan(t.ctx, ts), tb = engine::make_plan(c2, ts);
  EXPECT_DOUBLE_EQ(tb.memory.weights - ta.memory.weights, ta.params.layer * 2.0);
}

// Dojo: state beyond SRAM goes to DIP HBM, then host DRAM; the plan says where and how much
// streams, and what it holds in each tier adds up to the state it has.
TEST(Plan, DojoMemoryByTier) {
  const auto tile = hardware::load_system("dojo-tile");
  const auto m = workload::load_model("llama3-8b");
  const auto stack = parallel::load_stack("dojo");
  engine::Context ctx{&tile, &m, 2048};
  ctx.use(stack);
  const auto p = engine::make_plan(ctx, strategy("tp=1,pp=5,dp=5,vp=1,mbs=1,gbs=50,sp=false,zero=3,recompute=full"));
  const auto& M = p.memory;
  EXPECT_GT(M.per_device(), M.capacity);  // 8B parameters do not fit 25 x 440 MB
  EXPECT_TRUE(p.placement.streams());
  EXPECT_GT(p.stream_time, 0);
  EXPECT_GT(M.offload + M.host, 0);
  EXPECT_LE(M.offload, M.offload_capacity * (1 + 1e-12));
  // Kinds not in SRAM are exactly what the DIPs and the host hold.
  double off_sram = 0;
  const std::pair<engine::Tier, double> kinds[] = {{p.placement.weights, M.weights},
                                                   {p.placement.gradients, M.gradients},
                                                   {p.placement.optimizer, M.optimizer},
                                                   {p.placement.activations, M.activations}};
  for (const auto& [tier, bytes] : kinds)
    if (tier != engine::Tier::sram) off_sram += bytes;
  EXPECT_NEAR(off_sram, M.offload + M.host, 1e-6 * off_sram);
  // On a GPU nothing is tiered.
  const auto gpu = hardware::load_system("dgx-h100:nodes=1");
  engine::Context g{&gpu, &m, 2048};
  g.use(stack);
  const auto q = engine::make_plan(g, strategy("tp=1,pp=1,dp=8,vp=1,mbs=1,gbs=64,sp=false,zero=1,recompute=none"));
  EXPECT_FALSE(q.placement.streams());
  EXPECT_EQ(q.stream_time, 0);
}

// Evaluate is make_plan then price; building and pricing a plan never allocates unless
// the stack name is too long for the small-string buffer.
TEST(Plan, EvaluateIsPlanThenPriceAndAllocationFree) {
  const Bench setup("dgx-a100:nodes=128", "gpt3-175b");
  const auto& ctx = setup.ctx;
  const auto s = strategy("tp=8,pp=8,dp=16,vp=4,mbs=1,gbs=1536,sp=true,zero=1,recompute=selective");
  const auto a = engine::evaluate(ctx, s);
  const auto b = engine::price(ctx, engine::make_plan(ctx, s));
  EXPECT_EQ(a.step_time, b.step_time);
  EXPECT_EQ(a.memory.per_device(), b.memory.per_device());
  const long before = test_support::allocations();
  for (int i = 0; i < 100; ++i) {
    const auto p = engine::make_plan(ctx, s);
    const auto r = engine::price(ctx, p);
    ASSERT_GT(r.step_time, 0);
  }
  EXPECT_EQ(test_support::allocations() - before, 0);
  // A plan the engine marks (overlap near saturation: ZeRO-3 over 1,024 GPUs) prices without
  // allocating too: the notes are worded by the report (engine::pricing_notes), not here.
  const auto z3 = strategy("tp=1,pp=1,dp=1024,mbs=1,gbs=1024,zero=3,recompute=selective");
  ASSERT_GT(engine::evaluate(ctx, z3).overlap_fill, engine::kSaturatedOverlapShare);
  const long marked = test_support::allocations();
  for (int i = 0; i < 100; ++i) ASSERT_GT(engine::price(ctx, engine::make_plan(ctx, z3)).step_time, 0);
  EXPECT_EQ(test_support::allocations() - marked, 0);
}

// The groups placed once for an outer point serve every inner point of it (the search
// loop's shortcut): a plan built with them is the plan built from scratch.
TEST(Plan, GroupsPlacedOnceServeEveryInnerPoint) {
  const Bench setup("dgx-h100:nodes=64", "llama3-70b");
  const auto& ctx = setup.ctx;
  const auto outer = strategy("tp=4,cp=2,pp=4,dp=8,placement=tp-dp-cp-pp,mbs=1,gbs=512,zero=1,recompute=selective");
  const engine::PlacedGroups placed = engine::place_groups(*ctx.sys, outer);
  for (const char* inner : {"mbs=2,vp=5,recompute=full", "mbs=1,sp=false,recompute=none", "mbs=4,vp=2"}) {
    auto s = outer;
    const auto t = strategy(inner);
    s.mbs = t.mbs;
    s.vp = t.vp;
    s.sp = t.sp;
    s.recompute = t.recompute;
    const auto a = engine::make_plan(ctx, s), b = engine::make_plan(ctx, s, placed);
    for (const auto g : {&engine::PlacedGroups::tp, &engine::PlacedGroups::cp, &engine::PlacedGroups::pp,
                         &engine::PlacedGroups::dp, &engine::PlacedGroups::ep}) {
      ASSERT_EQ((a.groups.*g).hops, (b.groups.*g).hops) << inner;
      for (int i = 0; i < (a.groups.*g).hops; ++i) {
        EXPECT_EQ((a.groups.*g).hop[static_cast<std::size_t>(i)].level, (b.groups.*g).hop[static_cast<std::size_t>(i)].level);
        EXPECT_EQ((a.groups.*g).hop[static_cast<std::size_t>(i)].k, (b.groups.*g).hop[static_cast<std::size_t>(i)].k);
      }
    }
    EXPECT_EQ(a.strategy.order, b.strategy.order);
    EXPECT_EQ(engine::price(ctx, a).step_time, engine::evaluate(ctx, s, placed).step_time) << inner;
  }
  // A vision network places its own groups.
  const auto net = workload::load_workload("resnet50");
  engine::Context vctx{ctx.sys, nullptr, 0};
  vctx.net = &net.network;
  EXPECT_THROW(engine::make_plan(vctx, strategy("dp=8"), placed), std::logic_error);
}

// The collectives a plan demands, worked by hand for GPT-3 175B (h = 12288, 96 layers,
// seq 2048, mbs 1) on 1,024 A100: TP+SP all-gather and reduce-scatter of [2048, 12288] bf16
// activations, 4 calls each per layer and micro-batch (2 forward, 2 backward; 2 more
// forward under full recompute); the pipeline boundary's 1/tp slice, twice per chunk
// per micro-batch; ZeRO-1's reduce-scatter and gather of the stage, once per step.
TEST(Plan, CommunicationDemands) {
  const Bench setup("dgx-a100:nodes=128", "gpt3-175b");
  const auto& ctx = setup.ctx;
  using collective::Op;
  const double act = 2048.0 * 12288 * 2;
  auto p = engine::make_plan(ctx, strategy("tp=8,pp=8,dp=16,vp=4,mbs=1,gbs=1536,sp=true,zero=1,recompute=selective"));
  const auto& D = p.demands;
  EXPECT_EQ(D.tp[0].op, Op::all_gather);
  EXPECT_EQ(D.tp[1].op, Op::reduce_scatter);
  EXPECT_DOUBLE_EQ(D.tp[0].bytes, act);
  EXPECT_DOUBLE_EQ(D.tp[0].per_layer, 4.0);
  EXPECT_EQ(D.pp[0].op, Op::send_recv);
  EXPECT_DOUBLE_EQ(D.pp[0].bytes, act / 8);
  EXPECT_DOUBLE_EQ(D.pp[0].calls(96, 12), 96 * 2 * 4.0);  // micro-batches x 2 x vp
  EXPECT_FALSE(D.pp_gather.active());                     // SP: no gather after the receive
  EXPECT_EQ(D.dp[0].op, Op::reduce_scatter);
  EXPECT_DOUBLE_EQ(D.dp[0].bytes, p.params.stage * 2.0);
  EXPECT_EQ(D.dp[1].op, Op::all_gather);
  EXPECT_DOUBLE_EQ(D.dp[1].calls(96, 12), 1.0);
  EXPECT_FALSE(D.cp[0].active());
  EXPECT_FALSE(D.ep[0].active());
  // Full recompute repeats the forward TP collectives; ZeRO-3 moves the stage layer by layer.
  const auto z = engine::make_plan(ctx, strategy("tp=8,pp=1,dp=128,mbs=1,gbs=1536,sp=false,zero=3,recompute=full"));
  EXPECT_EQ(z.demands.tp[0].op, Op::all_reduce);
  EXPECT_FALSE(z.demands.tp[1].active());
  EXPECT_DOUBLE_EQ(z.demands.tp[0].per_layer, 6.0);
  EXPECT_TRUE(z.demands.dp[1].split_by_layer);
  EXPECT_DOUBLE_EQ(z.demands.dp[1].bytes, z.params.stage * 2.0);
  EXPECT_DOUBLE_EQ(z.demands.dp[1].calls(12, 96), 12 * 96 * 2.0);
  EXPECT_DOUBLE_EQ(z.demands.dp[0].calls(12, 96), 12 * 96 * 1.0);

  // The engine prices the Plan's demands, not formulas of its own: doubling the TP bytes
  // in the Plan doubles what the Result reports and raises the TP time.
  const auto base = engine::price(ctx, p);
  for (auto& d : p.demands.tp) d.bytes *= 2;
  const auto doubled = engine::price(ctx, p);
  EXPECT_DOUBLE_EQ(doubled.comm.tp.traffic[0].bytes, 2 * base.comm.tp.traffic[0].bytes);
  EXPECT_GT(doubled.breakdown.tp_comm, base.breakdown.tp_comm);
  EXPECT_EQ(doubled.breakdown.compute, base.breakdown.compute);
}

// The compute of a device: its GEMM shapes and FLOPs add up, over the TP and CP shards, to
// the model's forward FLOPs per micro-batch (workload::Transformer, causal with fused
// attention), for a dense model with unfused attention, a GQA model with FlashAttention and
// an MoE model with expert parallelism; and the engine prices the Plan's work, not shapes
// of its own.
TEST(Plan, ComputeWork) {
  struct Case {
    const char *system, *model, *spec;
    bool flash;
  };
  const Case cases[] = {
      {"dgx-a100:nodes=16", "gpt3-175b", "tp=8,pp=8,dp=2,mbs=1,gbs=64,attention=unfused", false},
      {"dgx-h100:nodes=4", "llama3-8b", "tp=2,cp=2,pp=1,dp=8,mbs=2,gbs=64,sp=true", true},
      {"dgx-h100:nodes=4", "mixtral-8x7b", "tp=2,pp=2,dp=8,ep=4,mbs=1,gbs=64", true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.model);
    const Bench setup(c.system, c.model);
    const auto s = strategy(c.spec);
    const auto p = engine::make_plan(setup.ctx, s);
    const auto& w = p.work;
    EXPECT_EQ(w.flash, c.flash);
    const double tok = s.mbs * 2048.0 / s.cp;
    EXPECT_DOUBLE_EQ(w.qkv.M, tok);
    EXPECT_DOUBLE_EQ(w.qkv.N, static_cast<double>(setup.m.q_dim() + 2 * setup.m.kv_dim()) / s.tp);
    EXPECT_DOUBLE_EQ(w.qkv.K, static_cast<double>(setup.m.hidden));
    EXPECT_NEAR(w.qkv.flops() + w.proj.flops() + w.mlps * (w.up.flops() + w.down.flops()) + w.router.flops(), w.gemm_flops,
                1e-9 * w.gemm_flops);
    EXPECT_EQ(w.router.M > 0, setup.m.moe());
    const double device = static_cast<double>(setup.m.layers) * (w.gemm_flops + w.attention_flops) + w.head.flops();
    const double model = setup.m.forward_flops_per_token(2048, c.flash) * s.mbs * 2048.0;
    // The MoE router is not split by TP: every TP rank computes it whole, the model once.
    const double router_copies = static_cast<double>(setup.m.layers) * w.router.flops() * (s.tp - 1) * s.cp;
    EXPECT_NEAR(device * s.tp * s.cp - router_copies, model, 1e-9 * model);
    EXPECT_EQ(w.score_elements > 0, !c.flash);
    EXPECT_EQ(w.rope_bytes > 0, !setup.m.learned_positions);
  }
  // Pricing reads the work: a wider MLP GEMM in the Plan raises the compute, not the comms.
  const Bench setup("dgx-h100:nodes=4", "llama3-8b");
  auto p = engine::make_plan(setup.ctx, strategy("tp=2,pp=1,dp=16,mbs=1,gbs=64"));
  const auto base = engine::price(setup.ctx, p);
  p.work.up.N *= 2;
  const auto wider = engine::price(setup.ctx, p);
  EXPECT_GT(wider.breakdown.compute, base.breakdown.compute);
  EXPECT_EQ(wider.breakdown.tp_comm, base.breakdown.tp_comm);
}

// Vision networks take the same path (make_plan, then price): the Plan holds the
// data-parallel group over dp x spatial, the ops, the memory by kind with its recompute
// policy and the Dojo tiers; pricing reads them, and building the plan does not allocate.
TEST(Plan, VisionNetworks) {
  const auto sys = hardware::load_system("dojo-tile");
  const auto w = workload::load_workload("tesla-video");
  ASSERT_TRUE(w.vision());
  const auto stack = parallel::load_stack("dojo");
  engine::Context ctx{&sys, nullptr, 0, &w.network};
  ctx.use(stack);
  auto s = strategy("dp=5,spatial=5,mbs=1,gbs=5,zero=1,recompute=none", 0);
  const auto p = engine::make_plan(ctx, s);
  EXPECT_EQ(p.groups.dp.size, 25);
  EXPECT_DOUBLE_EQ(p.shards, 25.0);
  EXPECT_DOUBLE_EQ(p.params.stage, w.network.params());
  double ops = 0;
  for (const auto& o : w.network.ops) ops += o.kind != workload::OpKind::view ? 1 : 0;
  EXPECT_DOUBLE_EQ(p.ops, ops);
  EXPECT_GT(p.ops, 10);
  // ZeRO-1 shards the optimizer state over all 25 replicas.
  EXPECT_NEAR(p.memory.optimizer, w.network.params() * p.sw.optimizer_state_bytes / 25.0, 1e-9 * p.memory.optimizer);
  // One clip's activations exceed a D1's SRAM: the tiers stream them.
  EXPECT_GT(p.memory.activations, sys.device.memory_capacity());
  EXPECT_NE(p.placement.activations, engine::Tier::sram);
  EXPECT_GT(p.stream_time, 0.0);
  // Recompute keeps less: selective drops the norms' inputs, full keeps one input per
  // segment of sqrt(ops) plus the largest segment.
  s.recompute = parallel::Recompute::selective;
  const auto sel = engine::make_plan(ctx, s);
  s.recompute = parallel::Recompute::full;
  const auto full = engine::make_plan(ctx, s);
  EXPECT_LT(sel.memory.activations, p.memory.activations);
  EXPECT_LT(full.memory.activations, sel.memory.activations);
  EXPECT_DOUBLE_EQ(full.phi, 1.0);

  // Evaluate is make_plan then price, and pricing reads the Plan's memory and streaming.
  s.recompute = parallel::Recompute::none;
  const auto r = engine::evaluate(ctx, s);
  const auto q = engine::price(ctx, p);
  EXPECT_EQ(r.step_time, q.step_time);
  EXPECT_EQ(r.memory.per_device(), p.memory.per_device());
  auto slower = p;
  slower.stream_time *= 4;
  EXPECT_GT(engine::price(ctx, slower).breakdown.memory_stream, q.breakdown.memory_stream);

  // Building the plan allocates nothing, streamed tiers included, on Dojo and on GPUs.
  {
    const long before = test_support::allocations();
    for (int i = 0; i < 100; ++i) ASSERT_GT(engine::make_plan(ctx, s).stream_time, 0);
    EXPECT_EQ(test_support::allocations() - before, 0);
  }
  const auto gpus = hardware::load_system("dgx-a100:nodes=4");
  const auto resnet = workload::load_workload("resnet50");
  engine::Context g{&gpus, nullptr, 0, &resnet.network};
  const auto rs = strategy("dp=32,mbs=64,gbs=2048,zero=1,recompute=full", 0);
  {
    const long before = test_support::allocations();
    for (int i = 0; i < 100; ++i) ASSERT_GT(engine::make_plan(g, rs).memory.activations, 0);
    EXPECT_EQ(test_support::allocations() - before, 0);
  }
  // Nor does pricing one, spatially split (the split groups of every op size) and under
  // ZeRO-3 (unit by unit), as the search loop does.
  for (const char* spec : {"dp=8,spatial=4,mbs=8,gbs=2048,zero=1,recompute=none", "dp=32,mbs=8,gbs=2048,zero=3,recompute=full"}) {
    SCOPED_TRACE(spec);
    const auto sp = strategy(spec, 0);
    const long before = test_support::allocations();
    for (int i = 0; i < 20; ++i) ASSERT_GT(engine::price(g, engine::make_plan(g, sp)).step_time, 0);
    EXPECT_EQ(test_support::allocations() - before, 0);
  }
}

// A vision Plan carries its data-parallel group's collectives, as a transformer's does:
// the gradient reduction and parameter gathers of each ZeRO stage over dp x spatial
// replicas, with how often they run; pricing reads them, and the Result reports the group
// with each collective at the cost it was priced (docs/model.md#vision-dp).
TEST(Plan, VisionDemands) {
  using collective::Op;
  const auto sys = hardware::load_system("dgx-a100:nodes=4");
  const auto w = workload::load_workload("resnet50");
  const auto stack = parallel::load_stack("fsdp");
  engine::Context ctx{&sys, nullptr, 0, &w.network};
  ctx.use(stack);
  const double P = w.network.params();
  const auto plan = [&](const std::string& spec) { return engine::make_plan(ctx, strategy(spec, 0)); };

  const auto z0 = plan("dp=32,mbs=32,gbs=2048,zero=0,recompute=none");
  EXPECT_EQ(z0.demands.dp[0].op, Op::all_reduce);
  EXPECT_DOUBLE_EQ(z0.demands.dp[0].bytes, 4.0 * P);  // fp32 gradients without ZeRO
  EXPECT_DOUBLE_EQ(z0.demands.dp[0].calls(z0.microbatches, 0), 1.0);
  EXPECT_FALSE(z0.demands.dp[1].active());
  EXPECT_FALSE(z0.demands.tp[0].active());  // no other group of a vision network has demands

  const auto z1 = plan("dp=16,spatial=2,mbs=32,gbs=2048,zero=1,recompute=none");
  EXPECT_EQ(z1.groups.dp.size, 32);  // dp x spatial replicas share the weights
  EXPECT_EQ(z1.demands.dp[0].op, Op::reduce_scatter);
  EXPECT_DOUBLE_EQ(z1.demands.dp[0].bytes, 2.0 * P);
  EXPECT_EQ(z1.demands.dp[1].op, Op::all_gather);
  EXPECT_DOUBLE_EQ(z1.demands.dp[1].calls(z1.microbatches, 0), 1.0);  // once per step

  // ZeRO-3: unit by unit (consecutive ops as long as their weights stay within the largest
  // op's), every micro-batch: gradients in the stack's zero3.reduce dtype, gathers before
  // the forward and the backward (x1.5 under full recompute).
  const auto z3 = plan("dp=32,mbs=16,gbs=2048,zero=3,recompute=full");
  ASSERT_DOUBLE_EQ(z3.microbatches, 4.0);
  std::vector<double> units;
  {
    double cap = 0, acc = 0;
    for (const auto& o : w.network.ops) cap = std::max(cap, o.params);
    for (const auto& o : w.network.ops) {
      if (acc > 0 && o.params > 0 && acc + o.params > cap) {
        units.push_back(acc);
        acc = 0;
      }
      acc += o.params;
    }
    if (acc > 0) units.push_back(acc);
  }
  const double n_units = static_cast<double>(units.size());
  EXPECT_DOUBLE_EQ(z3.units, n_units);
  double with_weights = 0;
  for (const auto& o : w.network.ops) with_weights += o.params > 0 ? 1 : 0;
  EXPECT_GT(n_units, 5.0);               // ResNet-50's stages ...
  EXPECT_LT(n_units, with_weights / 4);  // ... but far fewer gathers than ops with weights
  EXPECT_TRUE(z3.demands.dp[0].split_by_layer);
  EXPECT_DOUBLE_EQ(z3.demands.dp[0].bytes, P * z3.sw.zero3_reduce_bytes);
  EXPECT_DOUBLE_EQ(z3.demands.dp[0].calls(z3.microbatches, n_units), 4.0 * n_units);
  EXPECT_DOUBLE_EQ(z3.demands.dp[1].calls(z3.microbatches, n_units), 4.0 * n_units * 3.0);
  EXPECT_DOUBLE_EQ(plan("dp=32,mbs=16,gbs=2048,zero=3,recompute=none").demands.dp[1].calls(4.0, n_units), 4.0 * n_units * 2.0);
  // Each unit's gathers and reductions are priced at its own size: the communication of a
  // step is theirs, hidden or exposed, and costs more than one whole-network call per pass.
  {
    const auto r3 = engine::price(ctx, plan("dp=32,mbs=16,gbs=2048,zero=3,recompute=none"));
    double per_unit = 0;
    for (const double u : units)
      per_unit += 2.0 * collective::collective(Op::all_gather, z3.groups.dp, u * 2.0).time +
                  collective::collective(Op::reduce_scatter, z3.groups.dp, u * z3.sw.zero3_reduce_bytes).time;
    EXPECT_NEAR(r3.breakdown.dp_comm + r3.hidden_comm, 4.0 * per_unit, 1e-6 * per_unit);
    const double whole = 2.0 * collective::collective(Op::all_gather, z3.groups.dp, 2.0 * P).time +
                         collective::collective(Op::reduce_scatter, z3.groups.dp, P * z3.sw.zero3_reduce_bytes).time;
    EXPECT_GT(per_unit, whole);
    // The largest unit, the largest op, is what the memory account holds whole (with the
    // prefetched one).
    const double largest = *std::max_element(units.begin(), units.end());
    double largest_op = 0;
    for (const auto& o : w.network.ops) largest_op = std::max(largest_op, o.params);
    EXPECT_EQ(largest, largest_op);
    EXPECT_NEAR(r3.memory.weights, P * 2.0 / 32.0 + (1.0 + std::max(1, z3.sw.zero3_prefetch)) * largest * 2.0,
                1e-9 * r3.memory.weights);
  }
  // One replica: nothing to reduce, nothing reported.
  const auto one = plan("dp=1,mbs=32,gbs=32,zero=0,recompute=none");
  EXPECT_FALSE(one.demands.dp[0].active());
  EXPECT_FALSE(engine::price(ctx, one).comm.dp.active());

  // Pricing reads the Plan's demands and reports them at their priced cost.
  for (const auto* p : {&z0, &z1, &z3}) {
    const auto r = engine::price(ctx, *p);
    ASSERT_TRUE(r.comm.dp.active());
    EXPECT_EQ(r.comm.dp.group.size, p->groups.dp.size);
    const double per = p->demands.dp[0].split_by_layer ? p->units : 1.0;  // ZeRO-3: the mean unit's call
    for (std::size_t k = 0; k < 2; ++k) {
      const auto& d = p->demands.dp[k];
      const auto& t = r.comm.dp.traffic[k];
      EXPECT_EQ(t.op, d.op);
      if (!d.active()) continue;
      EXPECT_DOUBLE_EQ(t.bytes, d.bytes / per);
      EXPECT_DOUBLE_EQ(t.calls, d.calls(p->microbatches, per));
      EXPECT_DOUBLE_EQ(t.cost.time, collective::collective(d.op, p->groups.dp, d.bytes / per).time);
    }
    auto heavier = *p;
    heavier.demands.dp[0].bytes *= 8;
    const auto h = engine::price(ctx, heavier);
    EXPECT_GT(h.breakdown.dp_comm + h.hidden_comm, r.breakdown.dp_comm + r.hidden_comm);
  }
}

// The work of one vision op on one device: over the `split` devices and `kernels` launches
// it adds up to the op's FLOPs and query rows for the whole micro-batch; only a split op
// exchanges halos, gathers or reduces.
TEST(Plan, VisionOpWork) {
  for (const char* name : {"resnet50", "vit-l16", "tesla-video"}) {
    SCOPED_TRACE(name);
    const auto w = workload::load_workload(name);
    int split_ops = 0, convs = 0, attentions = 0;
    for (const int spatial : {1, 4}) {
      const auto s = strategy(fmt::format("dp=1,spatial={},mbs=2,gbs=2", spatial), 0);
      for (const auto& o : w.network.ops) {
        const auto ow = engine::vision_op_work(o, s);
        const double whole = s.mbs * o.count;  // instances per micro-batch
        EXPECT_DOUBLE_EQ(ow.inst * ow.kernels, whole);
        EXPECT_LE(ow.split, spatial);
        if (o.kind == workload::OpKind::conv || o.kind == workload::OpKind::linear || o.kind == workload::OpKind::matmul) {
          ++convs;
          EXPECT_NEAR(ow.flops * ow.split * ow.kernels, whole * o.flops, 1e-9 * whole * o.flops);
          EXPECT_NEAR(ow.gemm.M * ow.split * ow.kernels, whole * o.m, 1e-9 * whole * o.m);
          EXPECT_DOUBLE_EQ(ow.gemm.N, o.n);
        }
        if (o.kind == workload::OpKind::attention) {
          ++attentions;
          EXPECT_NEAR(ow.query_rows * ow.split * ow.kernels, whole * o.heads * o.q_len, 1e-9 * whole * o.heads * o.q_len);
          EXPECT_DOUBLE_EQ(ow.score_elements, ow.query_rows * o.kv_len);
        }
        const double exchanged = ow.halo_bytes + ow.gather_bytes + ow.stats_bytes + ow.reduce_bytes;
        if (ow.split == 1) { EXPECT_EQ(exchanged, 0.0); }
        if (ow.split > 1) ++split_ops;
      }
    }
    EXPECT_GT(split_ops, 0);  // spatial=4 splits some ops
    EXPECT_GT(convs + attentions, 0);
  }
}

// One entry for both workloads: the context of any workload, and run's plan — a complete
// strategy evaluated as given, a partial one resolved by the one resolver.
TEST(Plan, OneEntryForEveryWorkload) {
  const auto sys = hardware::load_system("dgx-h100:nodes=4");
  const auto stack = parallel::load_stack("megatron-core");
  const auto llm = workload::load_workload("llama3-8b");
  const auto vit = workload::load_workload("vit-l16");
  auto t = engine::workload_context(sys, llm, 0, "--seq");
  EXPECT_EQ(t.model, &llm.transformer);
  EXPECT_EQ(t.net, nullptr);
  EXPECT_EQ(t.seq, std::min<long long>(llm.transformer.max_seq, 2048));
  EXPECT_EQ(engine::workload_context(sys, llm, 4096, "--seq").seq, 4096);
  EXPECT_THROW((void)engine::workload_context(sys, llm, 1LL << 25, "--seq"), core::InputError);
  auto v = engine::workload_context(sys, vit, 0, "seq");
  EXPECT_EQ(v.net, &vit.network);
  EXPECT_EQ(v.model, nullptr);
  EXPECT_EQ(v.seq, 0);
  try {
    (void)engine::workload_context(sys, vit, 1024, "seq");
    ADD_FAILURE() << "a seq for a vision network must be rejected";
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("seq does not apply to"), std::string::npos) << e.what();
  }
  t.use(stack);
  v.use(stack);

  auto full = strategy("tp=4,pp=1,dp=8,vp=1,mbs=1,gbs=64,sp=true,zero=1,recompute=selective", t.seq);
  EXPECT_TRUE(engine::complete(t, full));
  EXPECT_EQ(engine::plan_or_resolve(t, full).step_time, engine::evaluate(t, full).step_time);
  auto partial = strategy("tp=4,gbs=64", t.seq);
  EXPECT_FALSE(engine::complete(t, partial));
  const auto resolved = engine::plan_or_resolve(t, partial);
  EXPECT_EQ(resolved.step_time, engine::resolve(t, partial).step_time);
  EXPECT_EQ(resolved.strategy.tp, 4);
  // A complete strategy that breaks a rule is an input error, not a price.
  auto bad = strategy("tp=3,pp=1,dp=8,vp=1,mbs=1,gbs=64,sp=true,zero=1,recompute=selective", t.seq);
  EXPECT_THROW((void)engine::plan_or_resolve(t, bad), core::InputError);

  auto vfull = strategy("dp=16,spatial=2,mbs=8,gbs=256,zero=1,recompute=none", 0);
  EXPECT_TRUE(engine::complete(v, vfull));
  EXPECT_EQ(engine::plan_or_resolve(v, vfull).step_time, engine::evaluate(v, vfull).step_time);
  auto vpartial = strategy("mbs=8", 0);
  EXPECT_FALSE(engine::complete(v, vpartial));
  EXPECT_EQ(engine::plan_or_resolve(v, vpartial).step_time, engine::resolve(v, vpartial).step_time);
}

// ZeRO-3's reduce-scatters carry the stack's gradient dtype (FSDP reduce_dtype): fp32
// doubles their bytes per call, for transformers and vision networks; the gathers stay bf16.
TEST(Plan, Zero3ReduceDtypeIsTheStacks) {
  const Bench setup("dgx-a100:nodes=4", "llama3-8b");
  const auto fp32 = parallel::load_stack("fsdp", {"zero3.reduce=fp32"});
  const auto bf16 = parallel::load_stack("fsdp");
  EXPECT_EQ(bf16.zero3_reduce_bytes, 2.0);
  engine::Context c32 = setup.ctx, c16 = setup.ctx;
  c32.use(fp32);
  c16.use(bf16);
  const auto s = strategy("tp=1,pp=1,dp=32,vp=1,mbs=1,gbs=64,sp=false,zero=3,recompute=none");
  const auto a = engine::make_plan(c16, s), b = engine::make_plan(c32, s);
  EXPECT_EQ(a.demands.dp[0].op, collective::Op::reduce_scatter);
  EXPECT_DOUBLE_EQ(b.demands.dp[0].bytes, 2.0 * a.demands.dp[0].bytes);
  EXPECT_DOUBLE_EQ(b.demands.dp[1].bytes, a.demands.dp[1].bytes);
  EXPECT_GE(engine::price(c32, b).step_time, engine::price(c16, a).step_time);
  // ZeRO-1 keeps its own gradient reduction.
  const auto z1 = strategy("tp=1,pp=1,dp=32,vp=1,mbs=1,gbs=64,sp=false,zero=1,recompute=none");
  EXPECT_DOUBLE_EQ(engine::make_plan(c32, z1).demands.dp[0].bytes, engine::make_plan(c16, z1).demands.dp[0].bytes);
  // Vision: the reduce-scatter priced is the larger one (communication-bound: 64 GPUs,
  // one image each).
  const auto sys = hardware::load_system("dgx-a100:nodes=8");
  const auto w = workload::load_workload("vit-l16");
  engine::Context v16{&sys, nullptr, 0, &w.network}, v32{&sys, nullptr, 0, &w.network};
  v16.use(bf16);
  v32.use(fp32);
  const auto vs = strategy("dp=64,mbs=1,gbs=64,zero=3,recompute=none", 0);
  const auto r16 = engine::evaluate(v16, vs), r32 = engine::evaluate(v32, vs);
  EXPECT_GT(r32.step_time, r16.step_time);
}

// One activation-memory model for both workloads (workload/saved.hpp, engine::saved_bytes).
// A transformer layer's saved list reproduces Korthikanti et al. 2022's per-layer
// activations exactly: sbh(34 + 5as/h) bytes without parallelism, sbh(10 + 24/t + 5as/(ht))
// with tensor parallelism, sbh/t (34 + 5as/h) with sequence parallelism too (Table 2;
// GPT-3 175B: dropout, 2-byte activations, unfused attention).
TEST(Plan, TransformerLayerSavedListIsKorthikantisActivationMemory) {
  const auto m = workload::load_model("gpt3-175b");
  const double s = 2048, b = 1, h = static_cast<double>(m.hidden), a = static_cast<double>(m.heads), sbh = s * b * h;
  const auto list = m.saved_per_layer();
  auto bytes = [&](double t, bool sp) {
    const auto r = engine::saved_bytes(list, b * s, s, {.rows = 1, .tensor = t, .sequence = sp ? t : 1.0}, 2.0, 2.0);
    return r.kept + r.scores;
  };
  EXPECT_NEAR(bytes(1, false), sbh * (34.0 + 5.0 * a * s / h), 1e-9 * sbh);
  EXPECT_NEAR(bytes(8, false), sbh * (10.0 + 24.0 / 8.0 + 5.0 * a * s / (h * 8.0)), 1e-9 * sbh);
  EXPECT_NEAR(bytes(8, true), sbh / 8.0 * (34.0 + 5.0 * a * s / h), 1e-9 * sbh);
  // Selective recompute keeps everything but the scores: sbh/t * 34 with SP.
  const auto sel = engine::saved_bytes(list, b * s, s, {.rows = 1, .tensor = 8, .sequence = 8}, 2.0, 2.0);
  EXPECT_NEAR(sel.kept, sbh / 8.0 * 34.0, 1e-9 * sbh);
}

// The same model reads a vision network's ops: a ViT block described as ops (vision) keeps
// what the same block described as a transformer layer keeps, up to the softmax statistics
// fused attention saves per query (2 per head), which the transformer's list leaves out.
TEST(Plan, VisionAndTransformerBlocksKeepTheSameActivations) {
  const auto vit = workload::load_workload("vit-l16").network;
  workload::Transformer t;
  t.hidden = 1024;
  t.heads = 16;
  t.kv_heads = 16;
  t.head_dim = 64;
  t.ffn = 4096;
  t.layers = 24;
  t.vocab = 1;
  const double tokens = 197;  // 196 patches and the class token
  const auto per_layer = engine::saved_bytes(t.saved_per_layer(), tokens, tokens, {}, 2.0, 2.0);
  double block = 0, block_scores = 0;
  for (const auto& o : vit.ops)
    if (o.name.rfind("encoder.0.", 0) == 0) {
      const auto r = engine::saved_bytes(workload::op_saved(o), o.count, o.kv_len, {}, 2.0, 2.0);
      block += r.kept;
      block_scores += r.scores;
    }
  ASSERT_GT(block, 0.0) << "no ops of the first block found";
  EXPECT_NEAR(block, per_layer.kept, 0.005 * per_layer.kept);
  EXPECT_NEAR(block_scores, per_layer.scores, 1e-9 * per_layer.scores);
}

// Activation offload (docs/model.md#offload): `offload_layers` of each model chunk keep
// their saved activations in the GPU host's memory; the device holds the rest plus two
// layers in flight, the host the offloaded share of every in-flight micro-batch, and the
// plan fits only if both do. Llama 3 70B at 8K tokens on 64 GB200 with Megatron FSDP, FP8
// (the Megatron-Bridge recipe offloads 40 of the 80 layers).
TEST(Plan, OffloadedActivationsWaitInHostMemory) {
  const auto sys = hardware::load_system("gb200-nvl72:devices=64");
  const auto m = workload::load_model("llama3-70b");
  const auto stack = parallel::load_stack("megatron-core");
  engine::Context ctx{&sys, &m, 8192};
  ctx.use(stack);
  const auto spec = [](int k) {
    auto s =
        strategy(fmt::format("tp=1,pp=1,dp=64,vp=1,mbs=2,gbs=256,sp=false,zero=3,recompute=none,offload_layers={}", k), 8192);
    s.precision = hardware::Precision::fp8;
    return s;
  };
  const auto none = engine::make_plan(ctx, spec(0));
  EXPECT_FALSE(none.memory.fits);  // 80 layers of 2 x 8192 tokens do not fit 186 GB
  EXPECT_DOUBLE_EQ(none.memory.host, 0.0);
  EXPECT_DOUBLE_EQ(none.offload, 0.0);
  const double per_layer = engine::layer_activation_bytes(m, spec(0), none.sw, 0.0, 8192);
  const double first = per_layer * 80.0;  // one micro-batch in flight without pipelining
  // One stage: it also holds the fp32 logits and loss of its micro-batch.
  const double logits = 2.0 * 8192 * 128256 * 4.0 * 2.0;
  EXPECT_NEAR(none.memory.activations, first + logits, 1e-9 * first);
  for (int k : {20, 40, 60}) {
    const auto p = engine::make_plan(ctx, spec(k));
    const double omega = k / 80.0;
    EXPECT_DOUBLE_EQ(p.offload, omega);
    EXPECT_DOUBLE_EQ(p.offload_layer_bytes, per_layer);
    EXPECT_DOUBLE_EQ(p.host_link, 225e9);
    EXPECT_NEAR(p.memory.host, omega * first, 1e-9 * first);
    EXPECT_NEAR(p.memory.activations, (1.0 - omega) * first + 2.0 * per_layer + logits, 1e-9 * first);
    EXPECT_DOUBLE_EQ(p.memory.host_capacity, 240e9);
    EXPECT_EQ(p.memory.fits, p.memory.per_device() <= p.memory.capacity && p.memory.host <= p.memory.host_capacity);
  }
  // Too few layers offloaded: the device is short; all of them: the Grace share is.
  const auto few = engine::make_plan(ctx, spec(20)), all = engine::make_plan(ctx, spec(80));
  EXPECT_GT(few.memory.per_device(), few.memory.capacity);
  EXPECT_LE(all.memory.per_device(), all.memory.capacity);
  EXPECT_GT(all.memory.host, all.memory.host_capacity);
  EXPECT_FALSE(all.memory.fits);
  // The resolver finds the fewest layers that fit (the recipe's 40 within a few).
  const auto chosen = engine::resolve(ctx, parallel::parse_strategy("tp=1,pp=1,dp=64,mbs=2,gbs=256,zero=3"));
  EXPECT_TRUE(chosen.memory.fits);
  EXPECT_EQ(chosen.strategy.recompute, parallel::Recompute::none);
  EXPECT_GT(chosen.strategy.offload_layers, 20);
  EXPECT_LT(chosen.strategy.offload_layers, 60);
  auto fewer = spec(chosen.strategy.offload_layers - 1);
  fewer.precision = chosen.strategy.precision;
  EXPECT_FALSE(engine::make_plan(ctx, fewer).memory.fits);
}

// The exposed offload time: per offloaded layer, what the host link cannot hide under the
// layer's forward (going out) and backward (coming back) compute, in the memory_stream part
// of the step. A link 10x faster than GB200's hides it all; one 100x slower exposes most.
TEST(Plan, OffloadExposesOnlyWhatTheLinkCannotHide) {
  const auto m = workload::load_model("llama3-70b");
  const auto stack = parallel::load_stack("megatron-core");
  const auto s = strategy("tp=1,pp=1,dp=64,vp=1,mbs=2,gbs=256,sp=false,zero=3,recompute=none,offload_layers=40", 8192);
  const auto plain = strategy("tp=1,pp=1,dp=64,vp=1,mbs=2,gbs=256,sp=false,zero=3,recompute=none", 8192);
  double previous = -1;
  for (const char* bw : {"2250GB/s", "225GB/s", "2.25GB/s"}) {
    const auto sys = hardware::load_system("gb200-nvl72:devices=64", {fmt::format("device.memory.host.bandwidth={}", bw)});
    engine::Context ctx{&sys, &m, 8192};
    ctx.use(stack);
    const auto plan = engine::make_plan(ctx, s);
    const auto r = engine::price(ctx, plan), r0 = engine::evaluate(ctx, plain);
    const double link = plan.offload_layer_bytes / (plan.host_link * 0.8);
    const double mb = 256.0 / (64 * 2), fwd = r.pipeline.compute_fwd, bwd = r.pipeline.compute_bwd;
    const double expected = mb * 80.0 * 0.5 * (std::max(0.0, link - fwd) + std::max(0.0, link - bwd));
    EXPECT_NEAR(r.breakdown.memory_stream, expected, 1e-9 * r.step_time) << bw;
    EXPECT_DOUBLE_EQ(r.breakdown.compute, r0.breakdown.compute) << bw;
    EXPECT_NEAR(r.step_time - r0.step_time, r.breakdown.memory_stream, 1e-6 * r.step_time) << bw;
    // Reported each way (found by a probe: it was out plus back under that label).
    EXPECT_DOUBLE_EQ(r.memory.host_traffic, mb * 80.0 * 0.5 * plan.offload_layer_bytes) << bw;
    EXPECT_GT(r.breakdown.memory_stream, previous) << bw;  // slower links expose more
    previous = r.breakdown.memory_stream;
    if (std::string(bw) == "2250GB/s") { EXPECT_DOUBLE_EQ(r.breakdown.memory_stream, 0.0); }
    // The event engine runs the same exposure per layer.
    const hardware::Graph graph(sys);
    const auto ev = engine::simulate_step(ctx, plan, r, graph);
    EXPECT_NEAR(ev.step_time, r.step_time, 0.01 * r.step_time) << bw;
  }
}

// Where offload cannot run: Dojo (its own tiers), devices without a host tier, with full
// recompute, past a chunk's layers, vision networks, and stacks that do not offload.
TEST(Plan, OffloadIsCheckedAgainstTheMachineTheModelAndTheStack) {
  const auto m = workload::load_model("llama3-8b");
  const auto gpu = hardware::load_system("dgx-h100");
  const auto gpus = hardware::load_system("dgx-h100:nodes=2");
  const auto tpu = hardware::load_system("tpu-v5p");
  const auto tile = hardware::load_system("dojo-tile");
  auto problem = [&](const std::string& spec, const hardware::System& sys) {
    return parallel::strategy_problem(strategy(spec), m, sys);
  };
  EXPECT_EQ(problem("tp=8,pp=1,dp=1,mbs=1,gbs=8,offload_layers=4", gpu), "");
  EXPECT_NE(problem("tp=8,pp=1,dp=8,mbs=1,gbs=8,offload_layers=4", tpu).find("no `host` memory tier"), std::string::npos);
  EXPECT_NE(problem("tp=1,pp=1,dp=25,mbs=1,gbs=25,offload_layers=4", tile).find("Dojo places its state"), std::string::npos);
  EXPECT_NE(problem("tp=8,pp=1,dp=1,mbs=1,gbs=8,recompute=full,offload_layers=4", gpu).find("one or the other"),
            std::string::npos);
  EXPECT_NE(problem("tp=8,pp=2,dp=1,vp=2,mbs=1,gbs=8,offload_layers=9", gpus).find("exceeds the 8 layers"), std::string::npos);
  const auto w = workload::load_workload("resnet50");
  EXPECT_NE(parallel::strategy_problem(strategy("dp=8,mbs=1,gbs=8,offload_layers=1", 0), w.network, gpu).find("vision network"),
            std::string::npos);
  // The deepspeed stack does not offload activations: a given offload is an input error,
  // and its resolver never chooses one.
  const auto ds = parallel::load_stack("deepspeed");
  const auto mc = parallel::load_stack("megatron-core");
  EXPECT_FALSE(ds.activation_offload);
  EXPECT_TRUE(mc.activation_offload);
  engine::Context ctx{&gpu, &m, 2048};
  ctx.use(ds);
  EXPECT_NE(engine::stack_problem(ctx, strategy("tp=8,pp=1,dp=1,mbs=1,gbs=8,offload_layers=4")).find("does not offload"),
            std::string::npos);
}

// Full recompute keeps each layer's input, and re-materialises one layer of one micro-batch
// in its backward: that layer's whole activations less its input, once (Korthikanti et al.
// 2022, §5). On a single stage the fp32 logits are freed first, so the larger of the two
// counts. A probe found the 405B at 64k tokens 2.1 GB short on the first stage.
TEST(Plan, FullRecomputeHoldsOneLayerForItsBackward) {
  const auto sys = hardware::load_system("dgx-h100:nodes=16");
  const auto m = workload::load_model("llama3.1-405b");
  const auto stack = parallel::load_stack("megatron-core");
  engine::Context ctx{&sys, &m, 65536};
  ctx.use(stack);
  const auto s = strategy("tp=8,cp=2,pp=8,dp=1,vp=1,mbs=1,gbs=16,sp=true,zero=1,recompute=full", 65536);
  const auto p = engine::make_plan(ctx, s);
  const double kept = engine::layer_activation_bytes(m, s, p.sw, 1.0, 65536);   // the input
  const double whole = engine::layer_activation_bytes(m, s, p.sw, 0.0, 65536);  // everything
  ASSERT_GT(whole, 10 * kept);
  const double first = kept * p.split.max * 8;  // 8 micro-batches in flight on the first stage
  EXPECT_NEAR(p.memory.activations, first + (whole - kept), 1e-9 * first);
  // Without recompute nothing is re-materialised.
  const auto none =
      engine::make_plan(ctx, strategy("tp=8,cp=2,pp=8,dp=1,vp=1,mbs=1,gbs=16,sp=true,zero=1,recompute=none", 65536));
  EXPECT_NEAR(none.memory.activations, whole * p.split.max * 8, 1e-9 * whole);
  // One stage: max(logits, the re-materialised layer) on top of the kept inputs.
  const auto sys1 = hardware::load_system("dgx-h100:nodes=1");
  const auto m8 = workload::load_model("llama3-8b");
  engine::Context c1{&sys1, &m8, 2048};
  c1.use(stack);
  const auto s1 = strategy("tp=1,pp=1,dp=8,vp=1,mbs=4,gbs=64,sp=false,zero=1,recompute=full", 2048);
  const auto p1 = engine::make_plan(c1, s1);
  const double k1 = engine::layer_activation_bytes(m8, s1, p1.sw, 1.0, 2048),
               w1 = engine::layer_activation_bytes(m8, s1, p1.sw, 0.0, 2048);
  const double logits = 4.0 * 2048 * 128256 * 4.0 * 2.0;
  EXPECT_NEAR(p1.memory.activations, k1 * 32 + std::max(logits, w1 - k1), 1e-9 * logits);
}

// The share of D1 SRAM the core model's GEMM blocks work in is not free for model state:
// 5% reserved plus gemm_sram_share, so 198 MB of 440 MB hold weights and activations
// (docs/model.md#memory). A probe found GPT-3 13B's weights "resident" in 425 MB on a
// cabinet while its GEMMs were priced with blocks in half of every core's SRAM.
TEST(Plan, DojoGemmWorkingSpaceHoldsNoModelState) {
  const auto cab = hardware::load_system("dojo-cabinet");
  const auto m = workload::load_model("gpt3-13b");
  const auto stack = parallel::load_stack("dojo");
  engine::Context ctx{&cab, &m, 2048};
  ctx.use(stack);
  const auto p = engine::make_plan(ctx, strategy("tp=4,pp=1,dp=75,vp=1,mbs=1,gbs=1200,sp=true,zero=3,recompute=none"));
  const double cap = cab.device.memory_capacity();
  EXPECT_DOUBLE_EQ(p.memory.other, (0.05 + cab.device.core_gemm_sram_share) * cap);
  EXPECT_NEAR(cap - p.memory.other, 198e6, 0.5e6);  // the figure docs/model.md quotes
  // 403 MB of weights no longer count as resident: they stream from the DIPs.
  ASSERT_GT(p.memory.weights, cap - p.memory.other);
  EXPECT_NE(p.placement.weights, engine::Tier::sram);
}
