// Per-kernel time on one device, shared by the transformer (analytical.cpp) and vision
// (vision.cpp) paths so both price a GEMM the same way (docs/model.md#gemm), and the
// optimizer and memory constants both paths use. Internal to the engine module.
#pragma once

#include <algorithm>
#include <cmath>

#include "dojosim/engine/core_gemm.hpp"
#include "dojosim/engine/plan.hpp"
#include "dojosim/hardware/system.hpp"
#include "dojosim/parallel/stack.hpp"

namespace dojosim::engine::detail {

// Gradient buffer and reduction dtype: fp32 with plain data parallelism (Megatron-LM's
// default main_grad for bf16); with the distributed optimizer (ZeRO-1/2) the stack's
// `optimizer.grads` (bf16: NVIDIA's performance recipes, grad_reduce_in_fp32=False; fp32:
// Megatron-LM's own --bf16 default); ZeRO-3 holds bf16 shards (its reduce-scatter dtype is
// zero3.reduce).
inline double grad_bytes(int zero, const parallel::Software& sw) {
  return zero == 0 ? 4.0 : zero <= 2 ? sw.distributed_grad_bytes : 2.0;
}
// The ZeRO-1/2 gradient reduction of `bytes` (docs/model.md#dp): ZeRO-1 keeps whole
// gradients and reduce-scatters them once per step after the last micro-batch; ZeRO-2 keeps
// only its shard, so each micro-batch's are reduce-scattered after its backward (DeepSpeed
// stage 2 reduces every micro-step; FSDP SHARD_GRAD_OP without no_sync, Zhao et al. 2023).
// Marks where the closed form's overlap is least sure (Result::overlap_fill and
// shared_link_level; engine::pricing_notes words them): allocation-free, in the search loop.
void mark_overlap_risks(Result& r);

inline Demand zero_gradient_reduction(int zero, double bytes) {
  if (zero == 2) return {.op = collective::Op::reduce_scatter, .bytes = bytes, .per_microbatch = 1.0};
  return {.op = collective::Op::reduce_scatter, .bytes = bytes, .per_step = 1.0};
}
// Bytes moved per parameter by one Adam step (docs/model.md#optimizer): the master copy and
// both moments read and written (2 x the stack's optimizer state bytes: 24 for fp32), the
// fp32 gradient read (4), the bf16 weight copy written (2), the gradient zeroed (4) and read
// for the clipping norm (4): 38 bytes with fp32 state.
inline double optimizer_traffic(double state_bytes) { return 2.0 * state_bytes + 14.0; }
constexpr double kFlashBackwardRatio = 2.5;  // FlashAttention backward / forward FLOPs (5 vs 2 matmuls)
constexpr double kWorkspaceGpu = 2.0e9;      // CUDA context, NCCL and cuBLAS workspaces (assumption)
constexpr double kDojoReservedSram = 0.05;   // share of D1 SRAM kept for code, stacks and buffers (assumption)
// Achieved share of a GPU's host link (PCIe, NVLink-C2C) for activation offload copies
// from pinned host buffers (assumption: large pinned cudaMemcpyAsync transfers are commonly
// measured at about 80% of the link's per-direction rate). docs/model.md#offload.
constexpr double kHostLinkEfficiency = 0.8;
// Unfused attention (Megatron-LM 2021-22): bytes moved per s x s score element. Forward:
// scale-mask-softmax reads the scores and writes the probabilities (2 + 2), dropout reads
// them and writes its output and a 1-byte mask (2 + 2 + 1). Backward: dropout reads the
// gradient and the mask and writes (2 + 1 + 2); softmax reads the gradient and the
// probabilities and writes (2 + 2 + 2).
constexpr double kUnfusedScoreBytesFwd = 9.0;
constexpr double kUnfusedScoreBytesBwd = 11.0;

struct Dev {
  double peak_gemm, peak_vec, gemm_eff, attn_eff, bw, overhead;
  int units, tm, tn;
  double k_half = 0;  // GEMM size curve: efficiency x K / (K + k_half)
  // A device with a core model (Dojo D1): GEMMs priced core by core (engine/core_gemm.hpp),
  // element-wise work at the vector units' rate when that is below the memory's.
  const hardware::Device* core = nullptr;
  hardware::Precision prec = hardware::Precision::bf16;
  double vec_rate = 0;  // bytes/s the vector units stream (0: no limit beyond bw)
};
// Shape at which a core model's large-GEMM efficiency is read (for attention kernels).
constexpr double kLargeGemm = 8192;

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
  if (has_core_model(dv)) {
    // The core model replaces the fixed efficiency: GEMMs by shape, attention at the
    // model's large-GEMM efficiency, element-wise work at one 64-byte vector operation per
    // core and cycle (twice the FP32 FMA rate in bytes: 16 lanes x 4 B per 32 FLOP).
    d.core = &dv;
    d.prec = p;
    d.gemm_eff = core_mesh_gemm(dv, p, kLargeGemm, kLargeGemm, kLargeGemm).efficiency;
    d.attn_eff = core_mesh_gemm(dv, Precision::bf16, kLargeGemm, kLargeGemm, kLargeGemm).efficiency * sw.attention_efficiency;
    d.k_half = 0;
    d.vec_rate = 2.0 * dv.peak_for(Precision::fp32);
  }
  return d;
}

// Compute-bound time of `batch` identical GEMMs (M x N x K each) in one kernel, with wave
// quantisation over the device's compute units (docs/model.md#gemm).
inline double gemm_compute_time(const Dev& d, double M, double N, double K, double batch = 1.0) {
  if (d.core != nullptr) return core_mesh_gemm(*d.core, d.prec, M, N, K, batch).time;
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

inline double mem_time(const Dev& d, double bytes) {
  return bytes > 0 ? bytes / (d.vec_rate > 0 ? std::min(d.bw, d.vec_rate) : d.bw) + d.overhead : 0;
}

}  // namespace dojosim::engine::detail
