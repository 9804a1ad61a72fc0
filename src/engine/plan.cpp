// Building a Plan (contract in engine/plan.hpp; formulas in docs/model.md).
#include "dojosim/engine/plan.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "kernels.hpp"
#include "tiers.hpp"
#include "vision.hpp"

namespace dojosim::engine {

using hardware::Precision;
using parallel::Recompute;
using parallel::Strategy;
using namespace detail;

PlacedGroups place_groups(const hardware::System& sys, const Strategy& s) {
  using K = Strategy::Kind;
  Strategy placed = s;
  placed.order = s.effective_order(sys.is_dojo());
  PlacedGroups g;
  g.order = placed.order;
  const long long st_tp = placed.stride(K::tp), st_cp = placed.stride(K::cp), st_pp = placed.stride(K::pp),
                  st_dp = placed.stride(K::dp);
  g.tp = collective::place_group(sys, s.tp, st_tp);
  g.cp = collective::place_group(sys, s.cp, st_cp);
  g.pp = collective::place_group(sys, s.pp, st_pp);
  const auto pos = [&](K k) { return std::find(placed.order.begin(), placed.order.end(), k) - placed.order.begin(); };
  const bool cp_dp_adjacent = pos(K::dp) == pos(K::cp) + 1;
  g.dp = collective::place_group(sys, static_cast<int>(1LL * s.dp * s.cp), s.cp > 1 && cp_dp_adjacent ? st_cp : st_dp);
  g.ep = collective::place_group(sys, s.ep, std::max<long long>(1, placed.ep_stride()));
  return g;
}

bool uses_flash_attention(const Strategy& s, const parallel::Software& sw) {
  return s.attention == 1 || (s.attention == 0 && sw.flash_attention);
}

StageSplit split_stages(long long layers, int pp) {
  StageSplit sp;
  const double p = pp;
  sp.accounted = pp > 1 && layers % pp != 0 && (layers + 2) % pp == 0;
  sp.max = sp.accounted ? static_cast<double>((layers + 2) / pp) : std::ceil(static_cast<double>(layers) / p);
  sp.first = sp.accounted ? sp.max - 1 : sp.max;
  sp.last = sp.accounted ? sp.max - 1 : std::floor(static_cast<double>(layers) / p);
  return sp;
}

double recompute_fraction(const workload::Transformer& m, const Strategy& s) {
  if (s.recompute != Recompute::full) return 0.0;
  const double chunk_layers = std::ceil(static_cast<double>(m.layers) / (static_cast<double>(s.pp) * s.vp));
  return s.recompute_layers > 0 ? std::min(1.0, s.recompute_layers / chunk_layers) : 1.0;
}

double offload_fraction(const workload::Transformer& m, const Strategy& s) {
  if (s.offload_layers <= 0) return 0.0;
  const double chunk_layers = std::ceil(static_cast<double>(m.layers) / (static_cast<double>(s.pp) * s.vp));
  return std::min(1.0, s.offload_layers / chunk_layers);
}

DeviceParams device_params(const workload::Transformer& m, const Strategy& s, const StageSplit& split) {
  const double tp = s.tp, ep = s.ep, h = static_cast<double>(m.hidden);
  DeviceParams p;
  p.layer =
      m.attention_params_per_layer() / tp + m.norm_params_per_layer() +
      (m.moe() ? (m.mlp_params_per_layer() - h * static_cast<double>(m.experts)) / (tp * ep) + h * static_cast<double>(m.experts)
               : m.mlp_params_per_layer() / tp);
  p.stage = split.max * p.layer +
            std::max(m.embedding_params() / tp, m.head_params() / tp) * (s.pp == 1 && !m.tied_embeddings ? 2.0 : 1.0);
  if (m.moe()) {
    p.expert_layer = (m.mlp_params_per_layer() - h * static_cast<double>(m.experts)) / (tp * ep);
    p.expert_stage = split.max * p.expert_layer;
  }
  return p;
}

Memory device_memory(const hardware::System& sys, const Strategy& s, const parallel::Software& sw, const DeviceState& st,
                     double activations) {
  const bool fp8 = s.precision == Precision::fp8 || s.precision == Precision::cfp8;
  const double P = st.stage_params;
  // Bytes per device of `per_param` bytes for every parameter held, sharded or not: the
  // dense parameters over their dp·cp replicas, MoE experts over their own (fewer) ones.
  const double E = std::min(st.expert_params, P);
  auto held = [&](double per_param, bool sharded) {
    return sharded ? (P - E) * per_param / st.shards + E * per_param / st.expert_shards : P * per_param;
  };
  Memory M;
  // ZeRO-3 holds the unit being computed plus the prefetched ones, unsharded.
  M.weights = held(2.0, s.zero == 3) + (s.zero == 3 ? (1.0 + std::max(1, sw.zero3_prefetch)) * st.unit_params * 2.0 : 0.0);
  if (fp8) M.weights += held(1.0, s.zero == 3);  // 8-bit copies of GEMM weights
  M.gradients = held(grad_bytes(s.zero, sw), s.zero >= 2);
  M.optimizer = held(sw.optimizer_state_bytes, s.zero >= 1);
  M.activations = activations;
  // Dojo: a share of SRAM for code, stacks and buffers (assumption, docs/dojo.md) and the
  // share the core model's GEMM blocks work in (`gemm_sram_share`: output block and
  // double-buffered panels, docs/model.md#d1-core), which model state cannot also occupy;
  // GPUs: CUDA context, NCCL and cuBLAS workspaces.
  M.other = sys.is_dojo() ? (kDojoReservedSram + sys.device.core_gemm_sram_share) * sys.device.memory_capacity() : kWorkspaceGpu;
  M.capacity = sys.device.memory_capacity();
  M.fits = M.per_device() <= M.capacity;
  return M;
}

SavedBytes saved_bytes(const workload::SavedList& list, double rows, double keys, const SavedShare& share, double e,
                       double gemm_e) {
  using Split = workload::Saved::Split;
  SavedBytes out;
  for (const workload::Saved& t : list) {
    const double over = share.rows * (t.split == Split::tensor     ? share.tensor
                                      : t.split == Split::sequence ? share.sequence
                                                                   : 1.0);
    const double bytes = t.mask ? e / 2.0 : t.gemm_input ? gemm_e : e;
    const double v = rows * t.elems / over * bytes;
    if (t.scores)
      out.scores += v * keys;
    else
      out.kept += v;
  }
  return out;
}

double layer_activation_bytes(const workload::Transformer& m, const Strategy& s, const parallel::Software& sw, double phi,
                              long long seq_len) {
  const double tp = s.tp, cp = s.cp, b = s.mbs, seq = static_cast<double>(seq_len);
  const double h = static_cast<double>(m.hidden);
  const double e = s.precision == Precision::cfp8 ? 1.0 : 2.0;  // bytes per stored activation element
  // What a layer keeps (Transformer::saved_per_layer) for the b*seq/cp tokens of a
  // micro-batch on this device, its tensor-split entries over TP and its sequence-split ones
  // over TP with SP. FP8 (Transformer Engine) keeps the inputs of its FP8 GEMMs in 8 bits;
  // the scores are kept per key of the local chunk (seq/cp) and only without FlashAttention.
  const double gi = s.precision == Precision::fp8 ? 0.5 : 1.0;
  const double tok = b * seq / cp;
  const SavedBytes layer =
      saved_bytes(m.saved_per_layer(), tok, seq / cp, {.rows = 1.0, .tensor = tp, .sequence = s.sp ? tp : 1.0}, e, e * gi);
  // Kept per layer: everything (none), everything but the attention scores (selective),
  // or only the layer input (full); partial full recompute mixes full and none.
  const double kept = layer.kept;
  const double scores = uses_flash_attention(s, sw) ? 0.0 : layer.scores;
  const double input_only = 2.0 * tok * h / (s.sp ? tp : 1.0);
  if (s.recompute == Recompute::full) return phi * input_only + (1.0 - phi) * (kept + scores);
  if (s.recompute == Recompute::selective) return kept;
  return kept + scores;
}

Memory memory_by_kind(const hardware::System& sys, const workload::Transformer& m, const Strategy& s,
                      const parallel::Software& sw, const StageSplit& split, const DeviceParams& params, double phi,
                      long long seq_len) {
  const double tp = s.tp, cp = s.cp, pp = s.pp, b = s.mbs, seq = static_cast<double>(seq_len);
  const double mb = static_cast<double>(s.microbatches());
  const double per_layer = layer_activation_bytes(m, s, sw, phi, seq_len);
  // In-flight micro-batches on the first stage: pp for 1F1B; interleaving adds
  // (pp-1)/(pp*vp) (Korthikanti et al. 2022, section 4.2.3).
  // Never more than the step's micro-batches whole (a probe found 17.9 with 16).
  const double inflight = std::min(mb, std::min(mb, pp) * (s.vp > 1 ? 1.0 + (pp - 1.0) / (pp * s.vp) : 1.0));
  // Logits and loss (fp32) on the last stage for one micro-batch.
  const double tok = b * seq / cp;
  const double logits = tok * static_cast<double>(m.vocab) / tp * 4.0 * 2.0;
  // Offloading (docs/model.md#offload): the offloaded layers' activations wait in host
  // memory; the device keeps two layers' worth in flight (one leaving after its forward,
  // one arriving before its backward).
  const double omega = offload_fraction(m, s);
  const double staging = omega > 0 ? 2.0 * per_layer : 0.0;
  const double first = per_layer * split.max * inflight;
  // Full recompute re-materialises one layer of one micro-batch in its backward: that
  // layer's whole activations less the input already kept (Korthikanti et al. 2022, §5:
  // the recomputed layer's memory on top of 2sbh per layer). On the last stage it comes
  // after the loss's logits are freed.
  const double rematerialised =
      phi > 0 ? layer_activation_bytes(m, s, sw, 0.0, seq_len) - layer_activation_bytes(m, s, sw, 1.0, seq_len) : 0.0;
  const double activations = std::max((1.0 - omega) * first + staging + rematerialised,
                                      (1.0 - omega) * per_layer * split.last + staging + std::max(logits, rematerialised));
  // Optimizer state shards over the DP and CP replicas; ZeRO-3 gathers one layer at a time.
  // MoE experts: replicated on the dp·cp/ep devices of their expert-data-parallel group
  // (Megatron-Core's distributed optimizer shards their state over it).
  const double dense_shards = static_cast<double>(s.dp) * cp;
  Memory M = device_memory(sys, s, sw,
                           {.stage_params = params.stage,
                            .unit_params = params.layer,
                            .shards = dense_shards,
                            .expert_params = params.expert_stage,
                            .expert_shards = std::max(1.0, dense_shards / s.ep)},
                           activations);
  if (omega > 0) {
    const hardware::MemoryTier* host = sys.device.host();
    M.host = omega * first;
    M.host_capacity = host != nullptr ? host->capacity : 0.0;
    M.fits = M.fits && M.host <= M.host_capacity * (1 + 1e-12);
  }
  return M;
}

Memory transformer_memory(const Context& ctx, const Strategy& s) {
  const auto& m = *ctx.model;
  const StageSplit split = split_stages(m.layers, s.pp);
  const double phi = recompute_fraction(m, s);
  return memory_by_kind(*ctx.sys, m, s, ctx.software(), split, device_params(m, s, split), phi, ctx.seq);
}

Demands comm_demands(const workload::Transformer& m, const Strategy& s, const DeviceParams& params, double phi, long long seq_len,
                     const parallel::Software& sw) {
  using collective::Op;
  const double tp = s.tp, cp = s.cp, b = s.mbs, seq = static_cast<double>(seq_len);
  const double h = static_cast<double>(m.hidden), kv = static_cast<double>(m.kv_dim());
  const double e = s.precision == Precision::cfp8 ? 1.0 : 2.0;  // bytes per activation element (EP dispatch)
  const double tok = b * seq / cp;                              // tokens per micro-batch on this device
  Demands D;
  // Tensor parallel: 2 all-reduces (or all-gather + reduce-scatter pairs with SP) of the
  // activations [tok, h] per direction per layer, the forward ones again under full
  // recompute (Megatron-LM; Korthikanti et al. 2022).
  if (s.tp > 1) {
    const double act = tok * h * 2.0, per_layer = 2.0 * (1.0 + phi) + 2.0;
    if (s.sp) {
      D.tp[0] = {.op = Op::all_gather, .bytes = act, .per_layer = per_layer};
      D.tp[1] = {.op = Op::reduce_scatter, .bytes = act, .per_layer = per_layer};
    } else {
      D.tp[0] = {.op = Op::all_reduce, .bytes = act, .per_layer = per_layer};
    }
    D.head_stats = {.op = Op::all_reduce, .bytes = tok * 4.0 * 3.0, .per_microbatch = 2.0};
  }
  // Context parallel (ring attention): K and V chunks travel cp-1 hops forward, dK and dV
  // back in the backward pass; under a sliding window of W keys a chunk needs only the
  // ceil(W / (seq/cp)) chunks before it (docs/model.md#attention).
  if (s.cp > 1) {
    double hops = cp - 1.0;
    if (m.sliding_window > 0 && (m.window_layers == 0 || m.window_layers >= m.layers))
      hops = std::min(hops, std::ceil(static_cast<double>(m.sliding_window) / (seq / cp)));
    D.cp[0] = {.op = Op::send_recv, .bytes = 2.0 * b * (seq / cp) * kv / tp * 2.0, .per_layer = 3.0 * hops};
  }
  // Expert parallel: dispatch and combine all-to-all, forward and backward.
  if (m.moe() && s.ep > 1) {
    const double routed = tok * static_cast<double>(m.experts_per_token + m.shared_experts);
    D.ep[0] = {.op = Op::all_to_all, .bytes = routed * h * e / tp, .per_layer = 4.0};
  }
  // Pipeline: one exchange each way per chunk boundary per micro-batch; with TP each rank
  // sends its 1/tp slice (Narayanan et al. 2021 §4.1), gathered over TP without SP.
  if (s.pp > 1) {
    D.pp[0] = {.op = Op::send_recv, .bytes = tok * h * 2.0 / tp, .per_microbatch = 2.0 * s.vp};
    if (s.tp > 1 && !s.sp) D.pp_gather = {.op = Op::all_gather, .bytes = tok * h * 2.0, .per_microbatch = 2.0 * s.vp};
  }
  // Data parallel over dp*cp replicas: all-reduce (ZeRO-0), reduce-scatter (ZeRO-1: once
  // per step; ZeRO-2: every micro-batch) and parameter all-gather once per step, or per
  // layer and micro-batch (ZeRO-3: one
  // reduce-scatter after each layer's backward, a gather before its forward and backward).
  if (1LL * s.dp * s.cp > 1) {
    const double grads = params.stage * grad_bytes(s.zero, sw), params16 = params.stage * 2.0;
    if (s.zero == 0) {
      D.dp[0] = {.op = Op::all_reduce, .bytes = grads, .per_step = 1.0};
      D.dp[1] = {.op = Op::none, .bytes = params16, .per_step = 1.0};
    } else if (s.zero <= 2) {
      D.dp[0] = zero_gradient_reduction(s.zero, grads);
      D.dp[1] = {.op = Op::all_gather, .bytes = params16, .per_step = 1.0};
    } else {
      D.dp[0] = {
          .op = Op::reduce_scatter, .bytes = params.stage * sw.zero3_reduce_bytes, .per_layer = 1.0, .split_by_layer = true};
      D.dp[1] = {.op = Op::all_gather, .bytes = params16, .per_layer = 2.0, .split_by_layer = true};
    }
  }
  return D;
}

namespace {

// Eager PyTorch element-wise kernels (docs/model.md#eager-elementwise): what the reference
// Llama code (torchtitan's and Meta's model.py) runs where fused stacks run one pass each,
// counted in bytes read + written per element and kernels, forward:
//  - RMSNorm: x.float() (2+4), pow (4+4), mean (4), x * rsqrt (4+4), type_as (4+2),
//    * weight (2+2): 36 bytes and 8 kernels (with the [tok, 1] eps add and rsqrt), against a
//    fused norm's 4 bytes and 1 kernel;
//  - SwiGLU: silu (2+2) then the multiply (4+2): 10 bytes and 2 kernels against 6 and 1;
//  - RoPE on Q and K: float (2+4), the complex multiply (4+4), type_as (4+2): 20 bytes and
//    3 kernels per tensor against 4 bytes fused;
//  - grouped-query attention: K and V expanded to every query head (repeat_kv: a copy
//    reading kv and writing q columns each), where fused kernels read the shared heads.
// Backward is priced as fused work is: the norm and activation bytes twice, the rotary and
// copy bytes once more.
void add_eager_elementwise(const workload::Transformer& m, double tok, double tok_sp, double tp, double act_width, Work& w) {
  const double h = static_cast<double>(m.hidden);
  const double q = static_cast<double>(m.q_dim()), kv = static_cast<double>(m.kv_dim());
  if (m.rmsnorm) {
    w.elementwise_bytes += 2.0 * (36.0 - 4.0) * tok_sp * h;
    w.elementwise_kernels += 2.0 * 7.0;
  }
  if (m.gated_mlp) {
    w.elementwise_bytes += (10.0 - 6.0) * tok * act_width;
    w.elementwise_kernels += 1.0;
  }
  if (!m.learned_positions) {
    w.rope_bytes += (20.0 - 4.0) * tok * (q + kv) / tp;
    w.elementwise_kernels += 6.0;
  }
  if (m.kv_heads < m.heads) {
    w.rope_bytes += 2.0 * tok * (kv + q) / tp * 2.0;
    w.elementwise_kernels += 2.0;
  }
}

}  // namespace

Work compute_work(const workload::Transformer& m, const Strategy& s, const parallel::Software& sw, const DeviceParams& params,
                  double shards, long long seq_len) {
  Work w;
  const double seq = static_cast<double>(seq_len);
  const double b = s.mbs, tp = s.tp, cp = s.cp, ep = s.ep;
  const double h = static_cast<double>(m.hidden);
  const bool fp8 = s.precision == Precision::fp8 || s.precision == Precision::cfp8;
  const double gb = fp8 ? 1.0 : 2.0;            // GEMM operand bytes
  const double tok = b * seq / cp;              // tokens per micro-batch on this device
  const double tok_sp = s.sp ? tok / tp : tok;  // tokens held outside TP regions
  const double q = static_cast<double>(m.q_dim()), kv = static_cast<double>(m.kv_dim());
  w.qkv = {tok, (q + 2 * kv) / tp, h, gb};
  w.proj = {tok, h, q / tp, gb};
  w.gemm_flops = 2.0 * tok * h * (q + 2 * kv) / tp + 2.0 * tok * q / tp * h;
  const double mats = m.gated_mlp ? 3.0 : 2.0;
  double act_width;  // MLP activation columns per token on this device
  if (!m.moe()) {
    const double f = static_cast<double>(m.ffn);
    w.up = {tok, (mats - 1) * f / tp, h, gb};
    w.down = {tok, h, f / tp, gb};
    w.gemm_flops += 2.0 * tok * h * mats * f / tp;
    act_width = f / tp;
  } else {
    // Experts: tokens x top_k spread over the ep expert groups of this device's experts.
    const double f = static_cast<double>(m.expert_ffn);
    const double routed = tok * static_cast<double>(m.experts_per_token + m.shared_experts);
    const double per_expert = routed / static_cast<double>(m.experts) * ep;  // tokens per local expert
    w.mlps = static_cast<double>(m.experts) / ep;
    w.up = {per_expert, (mats - 1) * f / tp, h, gb};
    w.down = {per_expert, h, f / tp, gb};
    w.router = {tok, static_cast<double>(m.experts), h, 2.0};
    w.gemm_flops += 2.0 * routed * h * mats * f / tp + 2.0 * tok * h * static_cast<double>(m.experts);
    act_width = routed / tok * f / tp;
  }
  // Attention core: the local query chunk (seq / cp) against the whole sequence.
  w.flash = uses_flash_attention(s, sw);
  const double heads_local = static_cast<double>(m.heads) / tp;
  const double sq = seq / cp;
  if (w.flash) {
    // Causal: half the scores; a sliding window skips the blocks outside it too.
    w.attention_flops = 4.0 * b * sq * seq * q / tp * 0.5 * m.causal_pairs_share(seq_len);
  } else {
    const double hd = static_cast<double>(m.head_dim);
    w.attention_flops = 4.0 * b * sq * seq * q / tp;
    w.scores = {b * heads_local * sq, seq, hd, 2.0};   // Q K^T
    w.context = {b * heads_local * sq, hd, seq, 2.0};  // softmax(.) V
    w.score_elements = b * heads_local * sq * seq;
  }
  w.elementwise_bytes = (4.0 + 6.0) * tok_sp * h * 2.0 + (m.gated_mlp ? 3.0 : 2.0) * tok * act_width * 2.0;
  w.rope_bytes = m.learned_positions ? 0.0 : 2.0 * tok * (q + kv) / tp * 2.0;
  if (!sw.fused_elementwise) add_eager_elementwise(m, tok, tok_sp, tp, act_width, w);
  // FP8 (Transformer Engine): the attention output is cast and transposed before the output
  // projection; in backward each GEMM's output gradient is cast and transposed for dgrad and
  // wgrad. Each reads 2 bytes and writes 1 + 1 per element.
  w.fp8_casts = s.precision == Precision::fp8 && sw.fp8_cast_kernels;
  if (w.fp8_casts) {
    w.cast_fwd_bytes = 4.0 * tok * q / tp;
    w.cast_bwd_bytes = 4.0 * tok * ((q + 2 * kv) / tp + h + (mats - 1) * act_width + h);
  }
  // Vocabulary-parallel head: the logits GEMM, then loss kernels that stream the fp32
  // logits three times forward and twice backward; the embedding reads and writes [tok, h].
  const double vocab_local = static_cast<double>(m.vocab) / tp;
  w.head = {tok, vocab_local, h, gb};
  w.head_fwd_bytes = 3.0 * tok * vocab_local * 4.0;
  w.head_bwd_bytes = 2.0 * tok * vocab_local * 4.0;
  w.embed_bytes = 2.0 * tok_sp * h * 2.0;
  const double opt_params = s.zero >= 1 ? params.stage / shards : params.stage;
  w.optimizer_bytes = opt_params * optimizer_traffic(sw.optimizer_state_bytes);
  return w;
}

namespace {

// A transformer's Plan, every member built in place from its builder (a Plan is ~7.5 KB,
// mostly the placed groups, and this runs in the search loop: no temporaries copied in, and
// one return of one named Plan so that it is not copied out).
Plan plan_transformer(const Context& ctx, const Strategy& s, const PlacedGroups* placed) {
  const auto& sys = *ctx.sys;
  const auto& m = *ctx.model;
  const StageSplit split = split_stages(m.layers, s.pp);
  const double phi = recompute_fraction(m, s);
  const DeviceParams params = device_params(m, s, split);
  const double shards = static_cast<double>(s.dp) * s.cp;
  const parallel::Software sw = ctx.software();
  Plan p{.strategy = s,
         .sw = sw,
         .groups = placed != nullptr ? *placed : place_groups(sys, s),
         .split = split,
         .params = params,
         .phi = phi,
         .microbatches = static_cast<double>(s.microbatches()),
         .shards = shards,
         .demands = comm_demands(m, s, params, phi, ctx.seq, sw),
         .work = compute_work(m, s, sw, params, shards, ctx.seq),
         .memory = memory_by_kind(sys, m, s, sw, split, params, phi, ctx.seq),
         .placement = {}};
  p.strategy.order = p.groups.order;
  // Dojo: SRAM-resident, or streamed from DIP HBM or from the host DRAM behind the DIPs
  // (docs/dojo.md#memory-tiers).
  p.stream_time = plan_tiers(sys, s, phi, p.microbatches, p.memory, p.placement);
  p.offload = offload_fraction(m, s);
  if (p.offload > 0) {
    p.offload_layer_bytes = layer_activation_bytes(m, s, sw, phi, ctx.seq);
    const hardware::MemoryTier* host = sys.device.host();
    p.host_link = host != nullptr ? host->bandwidth : 0.0;
  }
  return p;
}

}  // namespace

Plan make_plan(const Context& ctx, const Strategy& s) {
  return ctx.net != nullptr ? plan_vision(ctx, s) : plan_transformer(ctx, s, nullptr);
}

Plan make_plan(const Context& ctx, const Strategy& s, const PlacedGroups& placed) {
  if (ctx.net != nullptr) throw std::logic_error("make_plan: a vision network places its own groups");
  return plan_transformer(ctx, s, &placed);
}

}  // namespace dojosim::engine
