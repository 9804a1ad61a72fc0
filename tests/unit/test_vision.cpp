// Vision networks: op costs against closed forms, zoo shapes against published figures,
// the spatial-partitioning invariants and sanity of the vision engine path.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>

#include "dojosim/core/errors.hpp"
#include "dojosim/engine/engine.hpp"
#include "dojosim/workload/workload.hpp"

using namespace dojosim;
using workload::Network;
using workload::NetworkBuilder;

namespace {
void expect_within(double got, double want, double rel) {
  EXPECT_NEAR(got / want, 1.0, rel) << "got " << got << " want " << want;
}

Network net_of(const std::string& name) {
  auto w = workload::load_workload(name);
  EXPECT_TRUE(w.vision()) << name;
  return w.network;
}

parallel::Strategy vision_strategy(const std::string& spec) {
  auto s = parallel::parse_strategy(spec);
  s.seq = 0;
  return s;
}

engine::Result eval(const hardware::System& sys, const Network& n, const parallel::Strategy& s) {
  EXPECT_EQ(parallel::strategy_problem(s, n, sys), "");
  return engine::evaluate(engine::Context{&sys, nullptr, 0, &n}, s);
}
}  // namespace

TEST(VisionOps, ConvShapesFlopsAndParamsClosedForm) {
  Network n;
  NetworkBuilder b(n);
  // 7x7 stride-2 pad-3 stem of ResNet: 224 -> 112, 2 * 112^2 * 64 * 3*49 FLOPs.
  const auto stem = b.conv("stem", 1, 3, 224, 224, 64, 7, 7, 2, 3, 3, 1, false);
  EXPECT_EQ(stem.h_out, 112);
  EXPECT_EQ(stem.w_out, 112);
  EXPECT_DOUBLE_EQ(stem.flops, 2.0 * 112 * 112 * 64 * 3 * 49);
  EXPECT_DOUBLE_EQ(stem.params, 64.0 * 3 * 49);
  EXPECT_DOUBLE_EQ(stem.m, 112.0 * 112);  // implicit GEMM M = Ho*Wo per image
  EXPECT_DOUBLE_EQ(stem.k, 147.0);        // K = Cin*kh*kw
  // Halo of a 7x7 stride-2 pad-3 conv split by rows: 3 rows above, 7-2-3 = 2 below.
  EXPECT_EQ(stem.halo_rows, 5);
  EXPECT_EQ(stem.halo_side_rows, 3);
  // Grouped 3x3: g = 4 groups of 16 -> 16; K = 16*9, N = 16, 4 GEMMs; bias adds Cout.
  const auto grp = b.conv("grp", 2, 64, 30, 40, 64, 3, 3, 1, 1, 1, 4, true);
  EXPECT_EQ(grp.h_out, 30);
  EXPECT_DOUBLE_EQ(grp.k, 144.0);
  EXPECT_DOUBLE_EQ(grp.n, 16.0);
  EXPECT_DOUBLE_EQ(grp.flops, 2.0 * 30 * 40 * 64 * 16 * 9);
  EXPECT_DOUBLE_EQ(grp.params, 64.0 * 16 * 9 + 64);
  EXPECT_EQ(grp.halo_rows, 2);
  // Depthwise 3x3 stride 2: 9 MACs per output, 9*C params; 1x1 conv has no halo.
  const auto dw = b.conv("dw", 1, 32, 15, 20, 32, 3, 3, 2, 1, 1, 32, false);
  EXPECT_EQ(dw.h_out, 8);
  EXPECT_EQ(dw.w_out, 10);
  EXPECT_DOUBLE_EQ(dw.flops, 2.0 * 8 * 10 * 32 * 9);
  EXPECT_DOUBLE_EQ(dw.params, 32.0 * 9);
  EXPECT_EQ(b.conv("pw", 1, 32, 15, 20, 64, 1, 1, 1, 0, 0, 1, false).halo_rows, 0);
  // Network totals count every instance's FLOPs and shared parameters once.
  EXPECT_DOUBLE_EQ(n.forward_flops(), stem.flops + 2 * grp.flops + dw.flops + 2.0 * 15 * 20 * 64 * 32);
}

TEST(VisionOps, AttentionPoolNormClosedForms) {
  Network n;
  NetworkBuilder b(n);
  const auto a = b.attention("a", 1, 197, 197, 16, 64);
  EXPECT_DOUBLE_EQ(a.flops, 4.0 * 197 * 197 * 16 * 64);  // QK^T and AV, no causal mask
  EXPECT_DOUBLE_EQ(a.gather_elems, 2.0 * 197 * 16 * 64);
  const auto p = b.pool("p", "MaxPool", 1, 64, 112, 112, 3, 2, 1, true);
  EXPECT_EQ(p.h_out, 56);
  EXPECT_DOUBLE_EQ(p.fwd_elems, 64.0 * 112 * 112 + 64.0 * 56 * 56);
  const auto bn = b.batch_norm("bn", 1, 64, 56, 56);
  EXPECT_DOUBLE_EQ(bn.params, 128.0);
  EXPECT_DOUBLE_EQ(bn.fwd_elems, 3.0 * 64 * 56 * 56);
  EXPECT_DOUBLE_EQ(bn.flops, 0.0);  // memory-bound: priced by bytes, not FLOPs
  const auto ln = b.layer_norm("ln", 1, 197, 1024);
  EXPECT_DOUBLE_EQ(ln.params, 2048.0);
  const auto l = b.linear("l", 1, 197, 1024, 4096, true);
  EXPECT_DOUBLE_EQ(l.flops, 2.0 * 197 * 1024 * 4096);
  EXPECT_DOUBLE_EQ(l.params, 1024.0 * 4096 + 4096);
}

TEST(VisionZoo, ResNet50MatchesPublishedCounts) {
  const auto n = net_of("resnet50");
  expect_within(n.params(), 25.557032e6, 0.005);  // torchvision resnet50
  EXPECT_DOUBLE_EQ(n.params(), 25557032.0);
  expect_within(n.forward_macs(), 4.1e9, 0.03);   // "4.1 GMAC" (torchvision: 4.09 GFLOPS as MACs)
  expect_within(n.forward_flops(), 8.2e9, 0.03);  // 2 FLOPs per MAC
  EXPECT_EQ(n.sample, "image");
}

TEST(VisionZoo, VitMatchesPublishedCounts) {
  const auto l16 = net_of("vit-l16");
  expect_within(l16.params(), 304.326632e6, 0.001);  // torchvision vit_l_16
  expect_within(l16.forward_macs(), 61.55e9, 0.01);
  const auto h14 = net_of("vit-h14");
  expect_within(h14.params(), 632.0e6, 0.005);  // Dosovitskiy et al. 2021: 632M
  expect_within(h14.forward_macs(), 167.3e9, 0.01);
}

TEST(VisionZoo, VideoNetParametersScaleTheRightParts) {
  const auto base = net_of("tesla-video");
  EXPECT_EQ(base.sample, "clip");
  EXPECT_EQ(base.input, (std::vector<long long>{8, 8, 3, 960, 1280}));
  const auto explicit_defaults = net_of("tesla-video:cameras=8,frames=8,height=960,width=1280");
  EXPECT_DOUBLE_EQ(explicit_defaults.forward_flops(), base.forward_flops());
  // Twice the frames: every part runs per frame (backbone per camera and frame), so FLOPs double
  // exactly; parameters are shared.
  const auto f16 = net_of("tesla-video:frames=16");
  EXPECT_DOUBLE_EQ(f16.forward_flops(), 2.0 * base.forward_flops());
  EXPECT_DOUBLE_EQ(f16.params(), base.params());
  // Fewer cameras: less work, fewer camera positional parameters.
  const auto c4 = net_of("tesla-video:cameras=4");
  EXPECT_LT(c4.forward_flops(), base.forward_flops());
  EXPECT_GT(c4.forward_flops(), 0.4 * base.forward_flops());
  EXPECT_LT(c4.params(), base.params());
  // A bigger BEV grid costs more in the fusion and temporal parts only.
  EXPECT_GT(net_of("tesla-video:bev=128").forward_flops(), base.forward_flops());
}

TEST(VisionZoo, BadParametersAreInputErrorsWithSuggestions) {
  try {
    workload::load_workload("tesla-video:camera=6");
    FAIL() << "expected InputError";
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'cameras'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(workload::load_workload("tesla-video:cameras=x"), core::InputError);
  EXPECT_THROW(workload::load_workload("tesla-video:cameras=0"), core::InputError);  // below the bound
  EXPECT_THROW(workload::load_workload("resnet50:image=960"), core::InputError);     // no parameters declared
  EXPECT_THROW(workload::load_workload("llama3-8b:layers=2"), core::InputError);     // transformers take none
  EXPECT_THROW(workload::load_workload("resnet5"), core::InputError);
  EXPECT_THROW(workload::load_model("resnet50"), core::Unsupported);  // not a transformer
  EXPECT_FALSE(workload::load_workload("llama3-8b").vision());
}

TEST(VisionStrategy, KeysThatDoNotApply) {
  const auto sys = hardware::load_system("dgx-h100");
  const auto n = net_of("resnet50");
  auto s = vision_strategy("tp=2,dp=4,mbs=32,gbs=256,zero=0,recompute=none");
  EXPECT_NE(parallel::strategy_problem(s, n, sys).find("tp=2 is not available for vision networks"), std::string::npos);
  EXPECT_THROW(engine::resolve(engine::Context{&sys, nullptr, 0, &n}, vision_strategy("tp=2")), core::InputError);
  EXPECT_THROW(engine::resolve(engine::Context{&sys, nullptr, 0, &n}, vision_strategy("pp=2")), core::InputError);
  // spatial is for vision only.
  const auto m = workload::load_model("llama3-8b");
  auto t = parallel::parse_strategy("tp=8,spatial=2");
  t.seq = 2048;
  EXPECT_NE(parallel::strategy_problem(t, m, sys).find("spatial=2"), std::string::npos);
  // spatial beyond the largest feature map (112 rows) is rejected.
  const auto big = hardware::load_system("dgx-h100:nodes=32");  // 256 devices
  EXPECT_NE(parallel::strategy_problem(vision_strategy("dp=1,spatial=256,mbs=1,gbs=1"), n, big).find("exceeds the largest"),
            std::string::npos);
}

TEST(VisionEngine, DataParallelResultsAreSane) {
  const auto sys = hardware::load_system("dgx-h100");
  const auto n = net_of("resnet50");
  for (const char* spec : {"dp=8,mbs=32,gbs=256,zero=0,recompute=none", "dp=8,mbs=128,gbs=2048,zero=1,recompute=selective",
                           "dp=8,mbs=64,gbs=512,zero=3,recompute=full", "dp=4,spatial=2,mbs=64,gbs=512,zero=2,recompute=none"}) {
    const auto r = eval(sys, n, vision_strategy(spec));
    EXPECT_GT(r.mfu, 0.0) << spec;
    EXPECT_LT(r.mfu, 1.0) << spec;
    EXPECT_GE(r.hfu, r.mfu) << spec;
    EXPECT_NEAR(r.breakdown.total(), r.step_time, 1e-12 * r.step_time) << spec;
    EXPECT_GT(r.breakdown.compute, 0.0);
    EXPECT_DOUBLE_EQ(r.tokens_per_step, static_cast<double>(r.strategy.gbs));  // samples per step
    EXPECT_DOUBLE_EQ(r.model_flops_per_step, 3.0 * n.forward_flops() * static_cast<double>(r.strategy.gbs));
    EXPECT_STREQ(r.sample_unit, "images");
    EXPECT_GT(r.memory.weights, 0.0);
    EXPECT_GT(r.memory.activations, 0.0);
    EXPECT_TRUE(r.memory.fits) << spec;
  }
  // A compute-bound network cannot beat peak: MFU of the best plan on H100 stays below the GEMM efficiency.
  const auto best = engine::resolve(engine::Context{&sys, nullptr, 0, &n}, vision_strategy(""));
  EXPECT_LT(best.mfu, sys.device.eff.gemm_max[static_cast<std::size_t>(hardware::Precision::bf16)]);
  EXPECT_TRUE(best.memory.fits);
  // resolve is at least as fast per sample as a hand-written valid plan.
  const auto hand = eval(sys, n, vision_strategy("dp=8,mbs=32,gbs=256,zero=0,recompute=none"));
  EXPECT_LE(best.step_time / static_cast<double>(best.strategy.gbs), hand.step_time / 256.0 * (1 + 1e-9));
}

TEST(VisionEngine, MoreRecomputeKeepsLessAndComputesMore) {
  const auto sys = hardware::load_system("dgx-a100");
  const auto n = net_of("resnet50");
  double prev_mem = 1e300, prev_compute = 0;
  for (const char* rc : {"none", "selective", "full"}) {
    const auto r = eval(sys, n, vision_strategy(std::string("dp=8,mbs=64,gbs=512,zero=1,recompute=") + rc));
    EXPECT_LT(r.memory.activations, prev_mem) << rc;
    EXPECT_GT(r.breakdown.compute, prev_compute) << rc;
    prev_mem = r.memory.activations;
    prev_compute = r.breakdown.compute;
  }
}

TEST(VisionEngine, HaloTrafficGrowsWithSpatialDegreeAndIsZeroWithout) {
  const auto sys = hardware::load_system("dgx-h100:nodes=2");  // 16 devices
  const auto n = net_of("resnet50");
  double prev_total = -1, prev_act = 1e300;
  for (int sp : {1, 2, 4, 8, 16}) {
    const int dp = 16 / sp;
    const auto r =
        eval(sys, n, vision_strategy(fmt::format("dp={},spatial={},mbs=16,gbs={},zero=1,recompute=none", dp, sp, 16 * dp * 4)));
    const double total = r.halo_bytes * static_cast<double>(r.devices) / static_cast<double>(r.strategy.gbs);  // per sample
    if (sp == 1) {
      EXPECT_EQ(r.halo_bytes, 0.0);
      EXPECT_EQ(r.breakdown.spatial_comm, 0.0);
    } else {
      EXPECT_GT(r.halo_bytes, 0.0) << sp;
      EXPECT_GT(r.breakdown.spatial_comm, 0.0) << sp;
      EXPECT_GT(total, prev_total) << sp;               // more cuts, more halo rows per image
      EXPECT_LT(r.memory.activations, prev_act) << sp;  // each device keeps a strip
    }
    prev_total = total;
    prev_act = r.memory.activations;
  }
}

TEST(VisionEngine, HaloTimeFollowsFabricBandwidth) {
  const auto n = net_of("tesla-video");
  const auto s = vision_strategy("dp=5,spatial=5,mbs=1,gbs=10,zero=1,recompute=full");
  double prev = 1e300;
  for (const char* bw : {"200 GB/s", "2 TB/s", "20 TB/s"}) {
    const auto sys = hardware::load_system("dojo-tile", {std::string("levels.tile.bandwidth=") + bw});
    const auto r = eval(sys, n, s);
    EXPECT_LT(r.breakdown.spatial_comm, prev) << bw;
    prev = r.breakdown.spatial_comm;
  }
}

TEST(VisionEngine, DojoStreamsActivationsThatExceedSram) {
  const auto sys = hardware::load_system("dojo-tile");
  const auto n = net_of("tesla-video");
  const auto r = eval(sys, n, vision_strategy("dp=25,mbs=1,gbs=25,zero=1,recompute=none"));
  EXPECT_GT(r.memory.activations, sys.device.memory_capacity());  // one clip's activations exceed 440 MB
  EXPECT_NE(r.placement.activations, engine::Tier::sram);
  EXPECT_GT(r.placement.stream_bytes, 0.0);
  EXPECT_GT(r.breakdown.memory_stream, 0.0);
  // Spatial partitioning over the tile brings the working set back towards SRAM.
  const auto sp = eval(sys, n, vision_strategy("dp=1,spatial=25,mbs=1,gbs=1,zero=1,recompute=full"));
  EXPECT_LT(sp.memory.activations, r.memory.activations / 10.0);
}

TEST(VisionEngine, VideoNetRunsOnGpuAndDojoSystems) {
  const auto n = net_of("tesla-video");
  for (const char* name : {"dgx-a100", "dgx-h100", "dojo-tile", "dojo-exapod"}) {
    const auto sys = hardware::load_system(name);
    const auto r = engine::resolve(engine::Context{&sys, nullptr, 0, &n}, vision_strategy(""));
    EXPECT_TRUE(r.memory.fits) << name;
    EXPECT_GT(r.mfu, 0.0) << name;
    EXPECT_LT(r.mfu, 1.0) << name;
    EXPECT_STREQ(r.sample_unit, "clips");
    EXPECT_NEAR(r.breakdown.total(), r.step_time, 1e-12 * r.step_time) << name;
  }
}

// Ingest (issue 15.5): a light video network on a Dojo tray is fed by the hosts' PCIe
// links slower than the D1s consume it, and the step says so.
TEST(VisionIngest, ThinVideoNetOnATrayIsIngestBound) {
  const auto sys = hardware::load_system("dojo-tray");
  const auto n = net_of(std::string(DOJOSIM_TEST_DATA_DIR) + "/models/video-ingest.yaml");
  const auto s = vision_strategy("dp=150,spatial=1,mbs=1,gbs=450,zero=0,recompute=selective");
  const auto r = eval(sys, n, s);
  // 450 clips x (8 frames x 8 cameras x 3 x 960 x 1280) bytes over 20 DIPs x 32 GB/s.
  const double bytes = 450.0 * 8 * 8 * 3 * 960 * 1280;
  EXPECT_DOUBLE_EQ(r.ingest_bytes, bytes);
  EXPECT_DOUBLE_EQ(r.ingest_time, bytes / (20 * 32e9));
  ASSERT_TRUE(r.ingest_bound);
  // Prefetched under the rest of the step: only the excess adds, and the step is the ingest.
  EXPECT_NEAR(r.step_time, r.ingest_time, 1e-12 * r.ingest_time);
  EXPECT_NEAR(r.breakdown.ingest, r.ingest_time - (r.step_time - r.breakdown.ingest), 1e-12);
  // Twice the PCIe bandwidth: no longer ingest-bound, nothing added.
  const auto fast = hardware::load_system("dojo-tray", {"dip.host_link_bandwidth=64GB/s"});
  const auto rf = eval(fast, n, s);
  EXPECT_FALSE(rf.ingest_bound);
  EXPECT_EQ(rf.breakdown.ingest, 0.0);
  // GPUs: ingest not modelled (no DIPs).
  EXPECT_EQ(eval(hardware::load_system("dgx-a100"), n, vision_strategy("dp=8,spatial=1,mbs=1,gbs=8,zero=0,recompute=selective"))
                .ingest_time,
            0.0);
}

// ZeRO-2 on a vision network: every micro-batch's gradients are reduce-scattered (the
// shard is all it keeps); without overlap each of them is exposed (docs/model.md#dp).
TEST(VisionDp, Zero2ReducesEveryMicroBatch) {
  const auto sys = hardware::load_system("dgx-a100:nodes=4");
  const auto vit = workload::load_workload("vit-h14");
  const auto eager = parallel::load_stack("fsdp", {"overlap.dp=false"});
  auto run = [&](int zero) {
    engine::Context c{&sys, nullptr, 0, &vit.network};
    c.use(eager);
    return engine::evaluate(c, vision_strategy(fmt::format("dp=32,mbs=4,gbs=2048,zero={},recompute=none", zero)));
  };
  const auto one = run(1), two = run(2);
  const double m = 2048.0 / (32 * 4), t_rs = two.comm.dp.traffic[0].cost.time;
  EXPECT_EQ(two.comm.dp.traffic[0].calls, m);
  EXPECT_EQ(one.comm.dp.traffic[0].calls, 1.0);
  expect_within(two.step_time - one.step_time, (m - 1) * t_rs, 1e-9);
}

// `show model` writes a network's FLOPs exactly, as run counts them (a probe found 6
// significant digits: 24535100000 against run's 24535105536 for ResNet-50).
TEST(Vision, ShowWritesFlopsExactly) {
  for (const char* name : {"resnet50", "tesla-video"}) {
    const auto w = workload::load_workload(name);
    const YAML::Node d = workload::workload_to_yaml(w)["derived"];
    EXPECT_EQ(d["training_flops_per_sample"].as<double>(), w.network.training_flops()) << name;
    EXPECT_EQ(d["forward_flops_per_sample"].as<double>(), w.network.forward_flops()) << name;
  }
}
