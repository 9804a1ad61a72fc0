// Per-kernel time on one device, shared by the transformer (analytical.cpp) and vision
// (vision.cpp) paths so both price a GEMM the same way (docs/model.md#gemm), and the
// optimizer and memory constants both paths use. Internal to the engine module.
#pragma once

#include <algorithm>
#include <cmath>

#include "dojosim/hardware/system.hpp"
#include "dojosim/parallel/stack.hpp"

namespace dojosim::engine::detail {

// Gradient buffer and reduction dtype: fp32 with plain data parallelism (Megatron-LM's
// default main_grad for bf16), bf16 with the distributed optimizer (NeMo's grad_sync_dtype).
inline double grad_bytes(int zero) { return zero == 0 ? 4.0 : 2.0; }
constexpr double kMasterBytes = 4.0;      // fp32 master weights
constexpr double kAdamStateBytes = 8.0;   // fp32 first and second moments
constexpr double kOptimizerTraffic = 38.0;  // bytes moved per parameter by one Adam step (docs/model.md#optimizer)
constexpr double kFlashBackwardRatio = 2.5; // FlashAttention backward / forward FLOPs (5 vs 2 matmuls)
constexpr double kWorkspaceGpu = 2.0e9;     // CUDA context, NCCL and cuBLAS workspaces (assumption)

struct Dev {
  double peak_gemm, peak_vec, gemm_eff, attn_eff, bw, overhead;
  int units, tm, tn;
  double k_half = 0;  // GEMM size curve: efficiency x K / (K + k_half)
};

// The device's achieved throughputs under a software stack for GEMMs at precision `p`
// (attention and vector work at BF16): hardware rates, the stack's (device, stack) GEMM
// efficiency, attention efficiency and kernel overhead.
inline Dev make_dev(const hardware::Device& dv, const parallel::Software& sw, hardware::Precision p) {
  using hardware::Precision;
  Dev d{};
  d.peak_gemm = dv.peak_for(p);
  d.peak_vec = dv.peak_for(Precision::bf16);
  d.gemm_eff = sw.gemm_max[static_cast<std::size_t>(p)];
  d.k_half = dv.eff.gemm_k_half[static_cast<std::size_t>(p)];
  d.attn_eff = sw.gemm_max[static_cast<std::size_t>(Precision::bf16)] * sw.attention_efficiency;
  d.bw = dv.memory_bandwidth() * dv.eff.memory_efficiency;
  d.overhead = sw.kernel_overhead;
  d.units = dv.compute_units;
  d.tm = dv.eff.tile_m;
  d.tn = dv.eff.tile_n;
  return d;
}

// Compute-bound time of `batch` identical GEMMs (M x N x K each) in one kernel, with wave
// quantisation over the device's compute units (docs/model.md#gemm).
inline double gemm_compute_time(const Dev& d, double M, double N, double K, double batch = 1.0) {
  const double flops = 2.0 * M * N * K * batch;
  const double tiles = std::ceil(M / d.tm) * std::ceil(N / d.tn) * batch;
  const double waves = std::ceil(tiles / d.units);
  const double q = tiles / (waves * d.units);
  const double size = d.k_half > 0 ? K / (K + d.k_half) : 1.0;
  return flops / (d.peak_gemm * d.gemm_eff * q * size);
}

// --- compute: GEMM time with wave quantisation (docs/model.md#gemm) ---
inline double gemm_time(const Dev& d, double M, double N, double K, double act_bytes) {
  if (M <= 0 || N <= 0 || K <= 0) return 0;
  const double tc = gemm_compute_time(d, M, N, K);
  const double tm = (M * K + K * N + M * N) * act_bytes / d.bw;
  return std::max(tc, tm) + d.overhead;
}

inline double mem_time(const Dev& d, double bytes) { return bytes > 0 ? bytes / d.bw + d.overhead : 0; }

}  // namespace dojosim::engine::detail
