// A GEMM inside one D1 (engine/core_gemm.hpp): the core model's terms worked by hand, the
// working set against a core's SRAM, split-K with its reduction, and what the model does to
// a Dojo step.
#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "dojosim/engine/core_gemm.hpp"
#include "dojosim/engine/engine.hpp"
#include "dojosim/hardware/system.hpp"
#include "dojosim/parallel/strategy.hpp"
#include "dojosim/workload/workload.hpp"

using namespace dojosim;
using hardware::Precision;

namespace {
hardware::Device d1(std::vector<std::string> sets = {}) { return hardware::load_system("dojo-tile", sets).device; }
}  // namespace

// The preset D1: 354 cores of 362/354 TFLOP/s, issue efficiency 0.8, 1.25 MB SRAM of which
// half for a GEMM, 512 GB/s mesh links, SRAM load 141.6 TB/s / 354 = 400 GB/s, store 270 GB/s.
TEST(CoreGemm, TermsWorkedByHand) {
  const auto d = d1();
  ASSERT_TRUE(engine::has_core_model(d));
  const double M = 2048, N = 9216, K = 12288;
  const auto g = engine::core_mesh_gemm(d, Precision::bf16, M, N, K);
  const double rate = 362e12 / 354 * 0.8;
  // The busiest core's block, as the model reports its shape.
  EXPECT_NEAR(g.compute, 2 * g.bm * g.bn * K / rate, 1e-12);
  EXPECT_NEAR(g.network, std::max(g.bm, g.bn) * K * 2 / 512e9, 1e-12);
  const double reads = g.bm * g.bn * K * 2 * (32.0 / 256.0), writes = (g.bm + g.bn) * K * 2 + g.bm * g.bn * 2;
  EXPECT_NEAR(g.feed, std::max(reads / 400e9, writes / 270e9), 1e-9);
  EXPECT_DOUBLE_EQ(g.tiles, std::ceil(M / g.bm) * std::ceil(N / g.bn));
  EXPECT_DOUBLE_EQ(g.waves, std::ceil(g.tiles / 354));
  const double barrier = (18 + 20) * 1e-9 * std::ceil(K / 64);
  EXPECT_NEAR(g.time, g.waves * (std::max({g.compute, g.feed, g.network}) + barrier), 1e-12);
  // The block fits its SRAM share: fp32 accumulators and double-buffered 64-deep panels.
  EXPECT_LE(4 * g.bm * g.bn + 2 * 64 * 2 * (g.bm + g.bn), 1.25e6 * 0.5);
  // A large GEMM is compute-bound: its efficiency is the issue efficiency less quantisation.
  EXPECT_GT(g.efficiency, 0.75);
  EXPECT_LE(g.efficiency, 0.8 + 1e-12);
  EXPECT_NEAR(g.onchip_bytes, g.tiles * (g.bm + g.bn) * K * 2, 1.0);
}

// A GEMM whose working set exceeds a core's SRAM share must take smaller blocks: every
// operand crosses the mesh more often (on-chip bytes ~ MNK (1/bm + 1/bn)), and once the
// links cannot keep up, the links set the time.
TEST(CoreGemm, WorkingSetBeyondSramCostsOnChipTraffic) {
  const double M = 4096, N = 4096, K = 4096;
  const auto big = engine::core_mesh_gemm(d1(), Precision::bf16, M, N, K);
  const auto small = engine::core_mesh_gemm(d1({"device.core_mesh.sram_per_core=40kB"}), Precision::bf16, M, N, K);
  EXPECT_LT(small.bm * small.bn, big.bm * big.bn);
  EXPECT_GT(small.onchip_bytes, 2 * big.onchip_bytes);
  EXPECT_GE(small.time, big.time);
  // Slow links: the same small blocks become link-bound and the time is the links'.
  const auto slow = engine::core_mesh_gemm(d1({"device.core_mesh.sram_per_core=40kB", "device.core_mesh.link_bandwidth=8GB/s"}),
                                           Precision::bf16, M, N, K);
  EXPECT_GT(slow.network, slow.compute);
  EXPECT_GT(slow.time, 3 * small.time);
  EXPECT_NEAR(slow.time, slow.waves * (slow.network + (18 + 20) * 1e-9 * std::ceil(K / slow.k_split / 64)) + slow.reduce, 1e-9);
}

// Fewer output blocks than cores: K is split and the partial sums are reduced over the
// mesh, which costs time and on-chip bytes the unsplit GEMM does not have.
TEST(CoreGemm, SplitKReducesOverTheMesh) {
  const auto g = engine::core_mesh_gemm(d1(), Precision::bf16, 64, 64, 8192);
  EXPECT_GT(g.k_split, 1);
  EXPECT_GT(g.reduce, 0);
  EXPECT_NEAR(g.reduce, 2 * (g.k_split - 1) / g.k_split * g.bm * g.bn * 4 / 512e9 + (g.k_split - 1) * 1e-9, 1e-15);
  EXPECT_LT(g.efficiency, 0.6);  // a small GEMM cannot fill 354 cores
}

// More issue efficiency, more SRAM, 8-bit operands: never slower. FP8 halves the bytes.
TEST(CoreGemm, MonotonicInItsInputs) {
  for (double n : {512.0, 2048.0, 12288.0}) {
    const auto base = engine::core_mesh_gemm(d1(), Precision::bf16, 2048, n, n);
    EXPECT_LE(engine::core_mesh_gemm(d1({"device.core_mesh.issue_efficiency=0.95"}), Precision::bf16, 2048, n, n).time,
              base.time);
    EXPECT_LE(engine::core_mesh_gemm(d1({"device.core_mesh.sram_per_core=2.5MB"}), Precision::bf16, 2048, n, n).time,
              base.time * (1 + 1e-12));
    EXPECT_NEAR(engine::core_mesh_gemm(d1(), Precision::cfp8, 2048, n, n).onchip_bytes * 2, base.onchip_bytes,
                base.onchip_bytes * 0.5);
  }
}

// The D1's GEMM efficiency in a training step comes from the core model: the matrix units'
// issue efficiency moves a compute-bound Dojo step, and a GPU has no core model.
TEST(CoreGemm, DrivesTheDojoStep) {
  EXPECT_FALSE(engine::has_core_model(hardware::load_system("dgx-h100").device));
  auto step = [](const std::vector<std::string>& sets) {
    const auto sys = hardware::load_system("dojo-tile", sets);
    const auto w = workload::load_workload("llama3-8b");
    parallel::Strategy s = parallel::parse_strategy("tp=1,pp=5,dp=5,mbs=1,gbs=50,vp=1,sp=false,zero=1,recompute=full");
    s.seq = 2048;
    return engine::evaluate(engine::Context{&sys, &w.transformer, 2048}, s).breakdown.compute;
  };
  const double lo = step({"device.core_mesh.issue_efficiency=0.6"}), hi = step({"device.core_mesh.issue_efficiency=0.9"});
  EXPECT_GT(lo, hi * 1.2);
  EXPECT_LT(lo, hi * 1.5 + 1e-9);  // GEMMs are most, not all, of the compute
}

// The figures docs/model.md#d1-core quotes for the preset D1.
TEST(CoreGemm, FiguresQuotedInTheDocs) {
  const auto d = d1();
  for (auto [M, N, K] : {std::array<double, 3>{2048, 9216, 12288}, {2048, 12288, 6144}, {2048, 8192, 8192}}) {
    const double e = engine::core_mesh_gemm(d, Precision::bf16, M, N, K).efficiency;
    EXPECT_GE(e, 0.77) << M << " " << N << " " << K;
    EXPECT_LE(e, 0.795) << M << " " << N << " " << K;
  }
  EXPECT_NEAR(engine::core_mesh_gemm(d, Precision::bf16, 512, 512, 512).efficiency, 0.64, 0.005);
  EXPECT_LT(engine::core_mesh_gemm(d, Precision::bf16, 64, 64, 4096).efficiency, 0.4);
}
