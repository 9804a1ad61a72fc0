// Analytical step-time model. Every formula is explained, with its reference, in
// docs/model.md; the section names below match that document.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dojosim/engine/engine.hpp"
#include "tiers.hpp"
#include "kernels.hpp"
#include "vision.hpp"

namespace dojosim::engine {

using hardware::Precision;
using parallel::Recompute;
using parallel::Strategy;

using namespace detail;

namespace {

// Per-micro-batch, per-layer costs on one device.
struct LayerCost {
  double fwd = 0, bwd = 0, recompute = 0;  // compute seconds
  double tp_fwd = 0, tp_bwd = 0;           // exposed TP communication
  double cp = 0, ep = 0;                   // exposed CP / EP communication (fwd + bwd)
  double flops_fwd = 0, flops_recompute = 0;
  double attn_core_fwd = 0;
};

// One pass (forward or backward) of `layers` identical layers under ZeRO-3: per layer a
// parameter gather `gather` before its compute `compute` and a gradient reduce-scatter
// `scatter` after it, on one communication stream. Prefetched (the next layer's gather
// issued while this layer computes), the two streams form a two-stage pipeline:
//   T = gather + (layers-1) * max(gather + scatter, compute) + compute + scatter
// Without prefetch every gather waits for the previous layer: T = layers * (gather +
// compute + scatter). Deeper prefetch changes nothing while layers are identical.
struct Zero3Pass {
  double exposed = 0;  // T minus the compute
  double comm = 0;     // communication time of the pass
  bool comm_bound = false;
};
Zero3Pass zero3_pass(double layers, double gather, double scatter, double compute, bool prefetch) {
  Zero3Pass p;
  layers = std::max(1.0, layers);
  p.comm = layers * (gather + scatter);
  const double t = prefetch ? gather + std::max(0.0, layers - 1.0) * std::max(gather + scatter, compute) + compute + scatter
                            : layers * (gather + compute + scatter);
  p.exposed = std::clamp(t - layers * compute, 0.0, p.comm);
  p.comm_bound = gather + scatter > compute;
  return p;
}

}  // namespace

const char* tier_name(Tier t) {
  switch (t) {
    case Tier::sram: return "SRAM";
    case Tier::dip: return "DIP";
    case Tier::host: return "host";
  }
  return "SRAM";
}

long long default_gbs(const workload::Transformer& m, long long seq) {
  const double tokens = m.params() > 100e9 ? 4.0 * 1048576 : 2.0 * 1048576;
  return std::max<long long>(1, static_cast<long long>(std::llround(tokens / static_cast<double>(seq))));
}

Result evaluate(const Context& ctx, const Strategy& s) {
  if (ctx.net != nullptr) return evaluate_vision(ctx, s);
  const auto& sys = *ctx.sys;
  const auto& m = *ctx.model;
  const auto& dv = sys.device;
  Result r;
  r.strategy = s;
  r.devices = sys.device_count();
  const double seq = static_cast<double>(ctx.seq);
  const double b = s.mbs;
  const double tp = s.tp, cp = s.cp, ep = s.ep, pp = s.pp;
  const double h = static_cast<double>(m.hidden);
  const double e = s.precision == Precision::cfp8 ? 1.0 : 2.0;  // bytes per stored activation element
  const bool fp8 = s.precision == Precision::fp8 || s.precision == Precision::cfp8;

  const parallel::Software sw = ctx.software();
  const Dev d = make_dev(dv, sw, s.precision);
  if (ctx.stack != nullptr) r.stack = ctx.stack->name;
  const double gemm_bytes = fp8 ? 1.0 : 2.0;

  // --- placement of groups: innermost first in the given order, else the system's
  // convention (GPU: Megatron-Core's tp-cp-dp-pp; Dojo: tp-cp-pp-dp); EP inside DP ---
  using K = Strategy::Kind;
  Strategy placed = s;
  placed.order = s.effective_order(sys.is_dojo());
  r.strategy.order = placed.order;
  const long long st_tp = placed.stride(K::tp), st_cp = placed.stride(K::cp), st_pp = placed.stride(K::pp),
                  st_dp = placed.stride(K::dp);
  const auto g_tp = collective::place_group(sys, s.tp, st_tp);
  const auto g_cp = collective::place_group(sys, s.cp, st_cp);
  const auto g_pp = collective::place_group(sys, s.pp, st_pp);
  // Gradients reduce over DP and CP replicas together; with cp > 1 the group is placed
  // at the CP stride (an approximation: its members are not evenly strided).
  // When CP and DP are not neighbours in the order, the group is placed at the DP stride.
  const auto pos = [&](K k) { return std::find(placed.order.begin(), placed.order.end(), k) - placed.order.begin(); };
  const bool cp_dp_adjacent = pos(K::dp) == pos(K::cp) + 1;
  const auto g_dp = collective::place_group(sys, static_cast<int>(1LL * s.dp * s.cp), s.cp > 1 && cp_dp_adjacent ? st_cp : st_dp);
  const auto g_ep = collective::place_group(sys, s.ep, st_dp);

  // Fraction of the layers that full recompute recomputes: all of them, or
  // `recompute_layers` per model chunk (Megatron-LM's --recompute-method block
  // --recompute-num-layers N, counted per virtual pipeline chunk); the other layers keep
  // their activations.
  const double chunk_layers = std::ceil(static_cast<double>(m.layers) / (pp * s.vp));
  const double phi = s.recompute != Recompute::full ? 0.0
                     : s.recompute_layers > 0 ? std::min(1.0, s.recompute_layers / chunk_layers)
                                              : 1.0;

  // --- per-layer costs (docs/model.md#layer) ---
  const double tok = b * seq / cp;                 // tokens per micro-batch on this device
  const double tok_sp = s.sp ? tok / tp : tok;     // tokens held outside TP regions
  const double q = static_cast<double>(m.q_dim()), kv = static_cast<double>(m.kv_dim());
  LayerCost L;
  {
    // QKV, attention output, MLP (or experts) GEMMs, forward.
    double gf = gemm_time(d, tok, (q + 2 * kv) / tp, h, gemm_bytes) + gemm_time(d, tok, h, q / tp, gemm_bytes);
    double ff = 2.0 * tok * h * (q + 2 * kv) / tp + 2.0 * tok * q / tp * h;
    const double mats = m.gated_mlp ? 3.0 : 2.0;
    double act_width;
    if (!m.moe()) {
      const double f = static_cast<double>(m.ffn);
      gf += gemm_time(d, tok, (mats - 1) * f / tp, h, gemm_bytes) + gemm_time(d, tok, h, f / tp, gemm_bytes);
      ff += 2.0 * tok * h * mats * f / tp;
      act_width = f / tp;
    } else {
      // Experts: tokens * top_k spread over the ep experts groups of this device's experts.
      const double f = static_cast<double>(m.expert_ffn);
      const double routed = tok * static_cast<double>(m.experts_per_token + m.shared_experts);
      const double local_experts = static_cast<double>(m.experts) / ep;
      const double per_expert = routed / static_cast<double>(m.experts) * ep;  // tokens per local expert
      gf += local_experts * (gemm_time(d, per_expert, (mats - 1) * f / tp, h, gemm_bytes) +
                             gemm_time(d, per_expert, h, f / tp, gemm_bytes));
      gf += gemm_time(d, tok, static_cast<double>(m.experts), h, 2.0);  // router
      ff += 2.0 * routed * h * mats * f / tp + 2.0 * tok * h * static_cast<double>(m.experts);
      act_width = routed / tok * f / tp;
      // Dispatch and combine all-to-all, forward and backward (docs/model.md#ep).
      if (s.ep > 1) {
        r.comm.ep = {g_ep, collective::all_to_all(g_ep, routed * h * e / tp), {{{collective::Op::all_to_all, routed * h * e / tp, 0.0}}}};
        L.ep = 4.0 * r.comm.ep.cost.time;
      }
    }
    // Attention core. FlashAttention: causal, the local query chunk against the whole
    // sequence, fused (no s^2 tensor in memory). Unfused (Megatron-LM 2021-22): batched
    // GEMMs over the full s x s scores plus a fused scale-mask-softmax and dropout that
    // stream the scores through HBM (docs/model.md#attention).
    const bool flash = s.attention == 1 || (s.attention == 0 && sw.flash_attention);
    const double heads_local = static_cast<double>(m.heads) / tp;
    const double sq = seq / cp;
    double attn_flops, ta, ta_bwd;
    if (flash) {
      attn_flops = 4.0 * b * sq * seq * q / tp * 0.5;
      ta = attn_flops / (d.peak_vec * d.attn_eff) + d.overhead;
      ta_bwd = kFlashBackwardRatio * ta;
    } else {
      const double hd = static_cast<double>(m.head_dim);
      attn_flops = 4.0 * b * sq * seq * q / tp;
      const double gq = gemm_time(d, b * heads_local * sq, seq, hd, 2.0);   // Q K^T
      const double gv = gemm_time(d, b * heads_local * sq, hd, seq, 2.0);   // softmax(.) V
      const double E = b * heads_local * sq * seq;                         // score elements
      ta = (gq + gv) / sw.attention_efficiency + mem_time(d, 9.0 * E);  // softmax r/w, dropout r/w + mask
      ta_bwd = 2.0 * (gq + gv) / sw.attention_efficiency + mem_time(d, 11.0 * E);
    }
    // Memory-bound element-wise work: 2 norms, 2 residual adds, the MLP activation.
    const double elem_bytes = (4.0 + 6.0) * tok_sp * h * 2.0 + (m.gated_mlp ? 3.0 : 2.0) * tok * act_width * 2.0;
    const double te = mem_time(d, elem_bytes) + 4 * d.overhead;
    // Rotary position embeddings (models without learned positions): a kernel reads and
    // writes Q and K, forward and again backward (docs/model.md#layer).
    const double rope = m.learned_positions ? 0.0 : mem_time(d, 2.0 * tok * (q + kv) / tp * 2.0);
    // FP8 (Transformer Engine): the attention output is cast and transposed to FP8 before
    // the output projection (LayerNorm and the MLP activation write FP8 themselves); in
    // backward each GEMM's output gradient is cast and transposed for dgrad and wgrad.
    // Each cast-transpose reads 2 bytes and writes 1 + 1 per element.
    double cast_f = 0, cast_b = 0;
    if (s.precision == Precision::fp8 && sw.fp8_cast_kernels) {
      cast_f = mem_time(d, 4.0 * tok * q / tp);
      cast_b = mem_time(d, 4.0 * tok * ((q + 2 * kv) / tp + h + (mats - 1) * act_width + h)) + 3 * d.overhead;
    }
    L.fwd = gf + ta + te + rope + cast_f;
    L.bwd = 2.0 * gf + ta_bwd + 2.0 * te + rope + cast_b;
    L.flops_fwd = ff + attn_flops;
    L.attn_core_fwd = ta;
    if (s.recompute == Recompute::full) {
      L.recompute = phi * L.fwd;
      L.flops_recompute = phi * L.flops_fwd;
    } else if (s.recompute == Recompute::selective) {
      L.recompute = ta;
      L.flops_recompute = attn_flops;
    }
    // Tensor parallel: 2 all-reduces (or all-gather + reduce-scatter pairs with SP) per
    // direction of activations [tok, h] (Megatron-LM; Korthikanti et al. 2022).
    if (s.tp > 1) {
      const double act = tok * h * 2.0;
      const collective::Cost ag = s.sp ? collective::all_gather(g_tp, act) : collective::Cost{};
      collective::Cost c = s.sp ? collective::Cost{ag.time + collective::reduce_scatter(g_tp, act).time, ag.algo}
                                : collective::all_reduce(g_tp, act);
      using collective::Op;
      r.comm.tp = s.sp ? GroupComm{g_tp, ag, {{{Op::all_gather, act, 0.0}, {Op::reduce_scatter, act, 0.0}}}}
                       : GroupComm{g_tp, c, {{{Op::all_reduce, act, 0.0}}}};
      const double exposed = 1.0 - sw.tp_overlap;
      L.tp_fwd = 2.0 * c.time * exposed;
      L.tp_bwd = 2.0 * c.time * exposed;
      r.tp_algo = c.algo;
    }
    // Context parallel (ring attention): K,V chunks travel cp-1 hops under the attention
    // compute; dK,dV travel back in the backward pass. Only the excess is exposed.
    if (s.cp > 1) {
      const double kv_chunk = 2.0 * b * (seq / cp) * kv / tp * 2.0;
      r.comm.cp = {g_cp, collective::send_recv(g_cp, kv_chunk), {{{collective::Op::send_recv, kv_chunk, 0.0}}}};
      const double hop = r.comm.cp.cost.time;
      // Stacks that do not overlap the ring (overlap.cp false) expose all of it.
      const double fwd_exposed = std::max(0.0, (cp - 1) * hop - (sw.cp_overlap ? ta : 0.0));
      const double bwd_exposed = std::max(0.0, 2.0 * (cp - 1) * hop - (sw.cp_overlap ? ta_bwd : 0.0));
      L.cp = fwd_exposed + bwd_exposed;
    }
  }

  // --- stages: layers per stage. Uneven splits: when layers + 2 divide evenly, the
  // embedding and the loss count as one layer each and the first and last stages take one
  // layer fewer (Megatron-LM's account_for_embedding/loss_in_pipeline_split, as Llama 3
  // 405B's 126 layers on 16 stages); otherwise the first stages take the remainder. ---
  const bool accounted = s.pp > 1 && m.layers % s.pp != 0 && (m.layers + 2) % s.pp == 0;
  const double layers_max = accounted ? static_cast<double>((m.layers + 2) / s.pp) : std::ceil(static_cast<double>(m.layers) / pp);
  const double layers_first = accounted ? layers_max - 1 : layers_max;
  const double layers_last = accounted ? layers_max - 1 : std::floor(static_cast<double>(m.layers) / pp);
  const double layer_total = L.fwd + L.bwd + L.recompute + L.tp_fwd * (1.0 + phi) + L.tp_bwd + L.cp + L.ep;
  // Embedding (first stage) and LM head + loss (last stage).
  const double vocab_local = static_cast<double>(m.vocab) / tp;
  const double head_f = gemm_time(d, tok, vocab_local, h, gemm_bytes) + mem_time(d, 3.0 * tok * vocab_local * 4.0);
  const double head_b = 2.0 * gemm_time(d, tok, vocab_local, h, gemm_bytes) + mem_time(d, 2.0 * tok * vocab_local * 4.0);
  const double embed = mem_time(d, 2.0 * tok_sp * h * 2.0) * 3.0;
  const double head_comm = s.tp > 1 ? 2.0 * collective::all_reduce(g_tp, tok * 4.0 * 3.0).time : 0.0;  // loss statistics
  const double last_extra = head_f + head_b + head_comm;
  const double first_extra = embed;
  double stage_first = layers_first * layer_total + first_extra;
  double stage_last = layers_last * layer_total + last_extra;
  const double stage_mid = accounted ? layers_max * layer_total : 0.0;
  if (s.pp == 1) stage_first = stage_last = static_cast<double>(m.layers) * layer_total + first_extra + last_extra;
  const double stage_max = std::max({stage_first, stage_last, stage_mid});
  // The slowest stage sets the steady state: 0 first, 1 last, 2 a middle stage.
  const int slowest = s.pp == 1 || stage_first >= std::max(stage_last, stage_mid) ? 0 : stage_last >= stage_mid ? 1 : 2;
  const double mb = static_cast<double>(s.microbatches());

  // Pipeline point-to-point: activations (or their gradients) per micro-batch per chunk
  // boundary. With TP, each rank sends only its 1/tp slice and the receiver all-gathers it
  // over the fast intra-node links (scatter/gather optimisation, Narayanan et al. 2021 §4.1).
  double p2p = 0;
  if (s.pp > 1) {
    r.comm.pp = {g_pp, collective::send_recv(g_pp, tok * h * 2.0 / tp), {{{collective::Op::send_recv, tok * h * 2.0 / tp, 0.0}}}};
    p2p = r.comm.pp.cost.time + (s.tp > 1 && !s.sp ? collective::all_gather(g_tp, tok * h * 2.0).time : 0.0);
  }
  // The stack hides a fraction of it under compute (overlap.pp).
  const double pp_comm_per_mb = s.pp > 1 ? 2.0 * s.vp * p2p * (1.0 - sw.pp_overlap) : 0.0;

  // 1F1B / interleaved schedule: m steady-state slots of the slowest stage plus a fill and
  // drain of (pp-1)/vp stage-times (Narayanan et al. 2021). Stages differ only by the
  // embedding and head, so the fill uses the mean stage.
  const double stage_mean = s.pp == 1 ? stage_max : (static_cast<double>(m.layers) / pp * layer_total + (first_extra + last_extra) / pp);
  const double bubble = s.pp > 1 ? (pp - 1.0) / s.vp * (stage_mean + pp_comm_per_mb) : 0.0;

  // Split the slowest stage's per-micro-batch time into its parts.
  const double lay_n = s.pp == 1 ? static_cast<double>(m.layers) : slowest == 0 ? layers_first : slowest == 1 ? layers_last : layers_max;
  const double extra = s.pp == 1 ? first_extra + last_extra : slowest == 0 ? first_extra : slowest == 1 ? last_extra : 0.0;
  const bool has_head = s.pp == 1 || slowest == 1;
  r.breakdown.compute = mb * (lay_n * (L.fwd + L.bwd + L.recompute) + extra - (has_head && s.pp > 1 ? head_comm : 0.0));
  r.breakdown.tp_comm = mb * (lay_n * (L.tp_fwd * (1.0 + phi) + L.tp_bwd) + (has_head ? head_comm : 0.0));
  r.breakdown.cp_comm = mb * lay_n * L.cp;
  r.breakdown.ep_comm = mb * lay_n * L.ep;
  r.breakdown.pp_comm = mb * pp_comm_per_mb;
  r.breakdown.bubble = bubble;

  // --- parameters per device (docs/model.md#memory) ---
  const double layer_params = m.attention_params_per_layer() / tp + m.norm_params_per_layer() +
                              (m.moe() ? (m.mlp_params_per_layer() - h * static_cast<double>(m.experts)) / (tp * ep) + h * static_cast<double>(m.experts)
                                       : m.mlp_params_per_layer() / tp);
  const double stage_params = layers_max * layer_params + std::max(m.embedding_params() / tp, m.head_params() / tp) *
                                                              (s.pp == 1 && !m.tied_embeddings ? 2.0 : 1.0);
  const double dpz = static_cast<double>(s.dp) * cp;  // optimizer state shards over DP and CP replicas

  // --- data parallel (docs/model.md#dp) ---
  double dp_exposed = 0, dp_hidden = 0;
  if (s.dp * s.cp > 1) {
    const double grads = stage_params * grad_bytes(s.zero);
    const double params16 = stage_params * 2.0;
    double t_rs = 0, t_ag = 0;
    collective::Cost c;
    if (s.zero == 0) {
      c = collective::all_reduce(g_dp, grads);
      t_rs = c.time;
    } else if (s.zero <= 2) {
      c = collective::reduce_scatter(g_dp, grads);
      t_rs = c.time;
      t_ag = collective::all_gather(g_dp, params16).time;
    } else {
      // ZeRO-3 / FSDP (docs/model.md#zero3): per layer (module), an all-gather of its
      // parameters before its forward and again before its backward (which also serves
      // full recompute), and a reduce-scatter of its gradients after its backward, every
      // micro-batch. Each is priced with its algorithm's latency over the group's levels.
      c = collective::reduce_scatter(g_dp, grads);
      const double unit = stage_params / std::max(1.0, lay_n);  // parameters per gathered unit (layers share the embedding)
      const double g1 = collective::all_gather(g_dp, unit * 2.0).time;
      const double r1 = collective::reduce_scatter(g_dp, unit * grad_bytes(3)).time;
      const double c_f = L.fwd + L.tp_fwd;
      const double c_b = layer_total - c_f;
      const bool prefetch = s.overlap_zero3 && sw.zero3_prefetch > 0;
      const Zero3Pass f = zero3_pass(lay_n, g1, 0.0, c_f, prefetch);
      const Zero3Pass bw = zero3_pass(lay_n, g1, r1, c_b, prefetch);
      dp_exposed += mb * (f.exposed + bw.exposed);
      dp_hidden += mb * std::max(0.0, f.comm + bw.comm - f.exposed - bw.exposed);
      r.zero3_comm_bound = f.comm_bound || bw.comm_bound;
      t_rs = 0;
      t_ag = 0;
    }
    r.dp_algo = c.algo;
    using collective::Op;
    const double gathers = s.zero == 3 ? 2.0 * mb : 1.0;
    r.comm.dp = {g_dp, c, {{{s.zero == 0 ? Op::all_reduce : Op::reduce_scatter, grads, s.zero == 3 ? mb : 1.0},
                            {s.zero == 0 ? Op::none : Op::all_gather, params16, gathers}}}};
    for (int i = 0; i < c.hops; ++i) r.dp_zplane = r.dp_zplane || c.hop[static_cast<std::size_t>(i)].path == collective::Path::zplane;
    // Gradient reduction overlaps the last micro-batch's backward (bucketed, Megatron
    // --overlap-grad-reduce); the parameter all-gather overlaps the next forward.
    const double window_b = lay_n * L.bwd * (lay_n > 1 ? (lay_n - 1) / lay_n : 0.0);
    const double window_f = lay_n * L.fwd * (lay_n > 1 ? (lay_n - 1) / lay_n : 0.0);
    const bool overlap = s.overlap_dp && sw.dp_overlap;
    const double rs_exposed = overlap ? std::max(0.0, t_rs - window_b) : t_rs;
    const double ag_exposed = overlap ? std::max(0.0, t_ag - window_f) : t_ag;
    dp_exposed += rs_exposed + ag_exposed;
    dp_hidden += (t_rs - rs_exposed) + (t_ag - ag_exposed);
  }
  r.breakdown.dp_comm = dp_exposed;
  // Calls per step of the per-layer collectives (link-load pictures): TP 2 forward (twice
  // with full recompute) and 2 backward per layer, CP (cp-1) forward and 2(cp-1) backward
  // hops, EP 4 all-to-alls, PP one exchange each way per chunk boundary.
  for (auto& t : r.comm.tp.traffic) t.calls = mb * lay_n * (2.0 * (1.0 + phi) + 2.0);
  r.comm.cp.traffic[0].calls = mb * lay_n * 3.0 * (cp - 1.0);
  r.comm.ep.traffic[0].calls = mb * lay_n * 4.0;
  r.comm.pp.traffic[0].calls = 2.0 * s.vp * mb;
  r.hidden_comm = dp_hidden;

  // --- optimizer step: Adam, memory-bound over the local shard ---
  const double opt_params = s.zero >= 1 ? stage_params / dpz : stage_params;
  r.breakdown.optimizer = mem_time(d, opt_params * kOptimizerTraffic) + 10 * d.overhead;

  // --- memory per device (Korthikanti et al. 2022, generalised to GQA and gated MLPs) ---
  Memory& M = r.memory;
  // ZeRO-3 holds the layer being computed plus the prefetched ones, unsharded.
  M.weights = stage_params * 2.0 / (s.zero == 3 ? dpz : 1.0) +
              (s.zero == 3 ? (1.0 + std::max(1, sw.zero3_prefetch)) * layer_params * 2.0 : 0.0);
  if (fp8) M.weights += stage_params * 1.0 / (s.zero == 3 ? dpz : 1.0);  // 8-bit copies of GEMM weights
  M.gradients = stage_params * grad_bytes(s.zero) / (s.zero >= 2 ? dpz : 1.0);
  M.optimizer = stage_params * (kMasterBytes + kAdamStateBytes) / (s.zero >= 1 ? dpz : 1.0);
  {
    // Activation bytes per layer per micro-batch (sbh units: s*b*h elements of 2 bytes).
    const double sbh = b * (seq / cp) * h;
    const double ratio_kv = kv / h, ratio_q = q / h;
    const double f_local = m.moe() ? static_cast<double>(m.expert_ffn) * static_cast<double>(m.experts_per_token + m.shared_experts) : static_cast<double>(m.ffn);
    const double mlp_inner = f_local / h * (m.gated_mlp ? 3.0 : 2.0);  // up (+gate) outputs and activation output, in units of sbh
    // Norm inputs (2 x 2 sbh) and the QKV input, out-proj input, MLP input that SP shards.
    // FP8 (Transformer Engine) keeps the inputs of its FP8 GEMMs for backward in 8 bits:
    // the QKV, output-projection, FC1 and FC2 inputs take 1 byte per element, not 2.
    const double gi = s.precision == Precision::fp8 ? 0.5 : 1.0;
    // Dropout (GPT-2/3, Megatron's default 0.1) keeps a 1-byte mask after attention and
    // after the MLP; models trained without dropout (Llama, Mistral, Qwen) keep none.
    const double masks = m.dropout ? 2.0 : 0.0;
    const double act_out = f_local / h;  // FC2 input (the activation output), in elements of sbh
    const double sharded = 4.0 + 2.0 * gi + 2.0 * gi + masks;  // LN inputs, QKV input, MLP input, dropout masks
    const double tp_local = 2.0 * (ratio_q + 2.0 * ratio_kv) + 2.0 * ratio_q * gi + 2.0 * mlp_inner -
                            2.0 * act_out * (1.0 - gi);  // Q,K,V, attn out (out-proj input), MLP inner (FC2 input)
    // Scores kept without FlashAttention: softmax output, and with dropout its mask and output.
    const double attn_scores = (m.dropout ? 5.0 : 2.0) * static_cast<double>(m.heads) * (seq / cp) / h;
    const double e_scale = e / 2.0;
    // Kept per layer: everything (none), everything but the attention scores (selective),
    // or only the layer input (full); partial full recompute mixes full and none.
    const bool flash_mem = s.attention == 1 || (s.attention == 0 && sw.flash_attention);
    const double kept = sbh * (sharded / (s.sp ? tp : 1.0) + tp_local / tp) * e_scale;
    const double scores = flash_mem ? 0.0 : sbh * attn_scores / tp * e_scale;
    const double input_only = 2.0 * sbh / (s.sp ? tp : 1.0);
    double per_layer;
    if (s.recompute == Recompute::full) per_layer = phi * input_only + (1.0 - phi) * (kept + scores);
    else if (s.recompute == Recompute::selective) per_layer = kept;
    else per_layer = kept + scores;
    // In-flight micro-batches on the first stage: pp for 1F1B; interleaving adds
    // (pp-1)/(pp*vp) (Korthikanti et al. 2022, section 4.2.3).
    const double inflight = std::min(mb, pp) * (s.vp > 1 ? 1.0 + (pp - 1.0) / (pp * s.vp) : 1.0);
    M.activations = per_layer * layers_max * inflight;
    // Logits and loss (fp32) on the last stage for one micro-batch.
    const double logits = tok * vocab_local * 4.0 * 2.0;
    M.activations = std::max(M.activations, per_layer * layers_last + logits);
  }
  M.other = sys.is_dojo() ? 0.05 * dv.memory_capacity() : kWorkspaceGpu;
  M.capacity = dv.memory_capacity();
  M.fits = M.per_device() <= M.capacity;

  // --- Dojo: SRAM-resident, or streamed from DIP HBM or from the host DRAM behind the
  // DIPs (docs/dojo.md#memory-tiers) ---
  if (sys.is_dojo() && !M.fits && sys.dip.count > 0) {
    Placement& P = r.placement;
    // Traffic per step for each kind if streamed, and the bytes it would occupy.
    const double passes_w = (2.0 + phi) * mb;
    detail::StateKind kinds[4] = {
        {M.activations, 2.0 * M.activations / std::max(1.0, std::min(mb, pp)) * mb, &P.activations, false, false},
        {M.weights, passes_w * M.weights, &P.weights, s.weights == parallel::Residency::dip, s.weights == parallel::Residency::sram},
        {M.gradients, 2.0 * mb * M.gradients, &P.gradients, false, false},
        {M.optimizer, 2.0 * M.optimizer, &P.optimizer, false, false}};
    const double stream = detail::place_in_tiers(sys, r.devices, kinds, M, P);
    const double overlap_window = r.breakdown.compute;  // DMA from DIPs runs under compute
    // Prefetching hides streaming under compute except the prologue: the first layer's
    // streamed state must arrive before any compute can start.
    const double prologue = stream / std::max(1.0, passes_w * lay_n);
    r.breakdown.memory_stream = std::max(prologue, stream - overlap_window);
    P.stream_hidden = stream - r.breakdown.memory_stream;
  }

  r.step_time = r.breakdown.total();
  {
    PipelineTimes& P = r.pipeline;
    P.layer_fwd = L.fwd + L.tp_fwd;
    P.layer_bwd = layer_total - P.layer_fwd;
    P.embed = first_extra;
    P.head_fwd = head_f + 0.5 * head_comm;
    P.head_bwd = head_b + 0.5 * head_comm;
    P.p2p = p2p;
    P.tail = r.breakdown.dp_comm + r.breakdown.optimizer + r.breakdown.memory_stream;
  }
  r.tokens_per_step = static_cast<double>(s.gbs) * seq;
  r.model_flops_per_step = m.training_flops_per_token(ctx.seq) * r.tokens_per_step;
  const double rec_ratio = L.flops_fwd > 0 ? L.flops_recompute / L.flops_fwd : 0.0;
  const double layer_share = 1.0 - 2.0 * static_cast<double>(m.vocab) * h / m.forward_flops_per_token(ctx.seq);
  r.hardware_flops_per_step = r.model_flops_per_step * (1.0 + rec_ratio / 3.0 * layer_share);
  const double peak = sys.peak(s.precision == Precision::cfp8 ? Precision::cfp8 : Precision::bf16);
  r.mfu = r.model_flops_per_step / (r.step_time * peak);
  r.hfu = r.hardware_flops_per_step / (r.step_time * peak);
  return r;
}

}  // namespace dojosim::engine
