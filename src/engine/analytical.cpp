// Analytical step-time model. Every formula is explained, with its reference, in
// docs/model.md; the section names below match that document.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dojosim/core/units.hpp"
#include "dojosim/engine/engine.hpp"
#include "dojosim/engine/plan.hpp"
#include "kernels.hpp"
#include "traffic.hpp"
#include "vision.hpp"

namespace dojosim::engine {

using hardware::Precision;
using parallel::Recompute;
using parallel::Strategy;

using namespace detail;

namespace {

// Prices one call of a demand on its group.
collective::Cost price_call(const collective::Group& g, const Demand& d, double bytes) {
  return collective::collective(d.op, g, bytes);
}

// Per-micro-batch, per-layer costs on one device.
struct LayerCost {
  double fwd = 0, bwd = 0, recompute = 0;  // compute seconds
  double tp_fwd = 0, tp_bwd = 0;           // exposed TP communication
  double cp = 0, ep = 0;                   // exposed CP / EP communication (fwd + bwd)
  double flops_fwd = 0, flops_recompute = 0;
  double bytes_fwd = 0, bytes_bwd = 0, bytes_recompute = 0;  // memory-bound work's bytes (norms, residuals, casts, scores)
  double attn_core_fwd = 0, attn_core_bwd = 0;
  double offload_fwd = 0, offload_bwd = 0;  // exposed activation offload, averaged over the layers
};

// One layer, one micro-batch, on one device: compute of each pass and the exposed TP, CP
// and EP communication (docs/model.md#layer, #comm). Records each group's collective in
// `r.comm` for the report.
LayerCost layer_costs(const Plan& plan, const Dev& d, Result& r) {
  const Strategy& s = plan.strategy;
  const parallel::Software& sw = plan.sw;
  const Work& w = plan.work;
  const auto& g_tp = plan.groups.tp;
  const auto& g_cp = plan.groups.cp;
  const auto& g_ep = plan.groups.ep;
  const auto t = [&d](const Gemm& g) { return gemm_time(d, g.M, g.N, g.K, g.bytes); };
  LayerCost L;
  // QKV, attention output, MLP (or this device's experts) GEMMs and the router, forward.
  double gf = t(w.qkv) + t(w.proj);
  gf += w.mlps * (t(w.up) + t(w.down));
  if (w.router.M > 0) gf += t(w.router);
  // Dispatch and combine all-to-all, forward and backward (docs/model.md#ep).
  if (s.ep > 1) {
    const Demand& a2a = plan.demands.ep[0];
    record(r.comm.ep, g_ep, a2a.op, a2a.bytes, price_call(g_ep, a2a, a2a.bytes));
    L.ep = a2a.per_layer * r.comm.ep.cost().time;
  }
  // Attention core. FlashAttention: fused, no s^2 tensor in memory, backward 2.5x forward.
  // Unfused (Megatron-LM 2021-22): batched GEMMs over the full scores plus a fused
  // scale-mask-softmax and dropout that stream them through HBM (docs/model.md#attention).
  double ta, ta_bwd;
  if (w.flash) {
    ta = w.attention_flops / (d.peak_vec * d.attn_eff) + d.overhead;
    ta_bwd = kFlashBackwardRatio * ta;
  } else {
    const double gq = t(w.scores), gv = t(w.context);
    ta = (gq + gv) / sw.attention_efficiency + mem_time(d, kUnfusedScoreBytesFwd * w.score_elements);
    ta_bwd = 2.0 * (gq + gv) / sw.attention_efficiency + mem_time(d, kUnfusedScoreBytesBwd * w.score_elements);
  }
  // Memory-bound element-wise work (4 kernels), rotary embeddings (forward and again
  // backward), FP8 cast-transposes (3 more kernels backward).
  const double te = mem_time(d, w.elementwise_bytes) + w.elementwise_kernels * d.overhead;
  const double rope = mem_time(d, w.rope_bytes);
  double cast_f = 0, cast_b = 0;
  if (w.fp8_casts) {
    cast_f = mem_time(d, w.cast_fwd_bytes);
    cast_b = mem_time(d, w.cast_bwd_bytes) + 3 * d.overhead;
  }
  L.fwd = gf + ta + te + rope + cast_f;
  L.bwd = 2.0 * gf + ta_bwd + 2.0 * te + rope + cast_b;
  L.flops_fwd = w.gemm_flops + w.attention_flops;
  const double scores_f = w.flash ? 0.0 : kUnfusedScoreBytesFwd * w.score_elements;
  L.bytes_fwd = w.elementwise_bytes + w.rope_bytes + (w.fp8_casts ? w.cast_fwd_bytes : 0.0) + scores_f;
  L.bytes_bwd = 2.0 * w.elementwise_bytes + w.rope_bytes + (w.fp8_casts ? w.cast_bwd_bytes : 0.0) +
                (w.flash ? 0.0 : kUnfusedScoreBytesBwd * w.score_elements);
  L.attn_core_fwd = ta;
  L.attn_core_bwd = ta_bwd;
  if (s.recompute == Recompute::full) {
    L.recompute = plan.phi * L.fwd;
    L.flops_recompute = plan.phi * L.flops_fwd;
    L.bytes_recompute = plan.phi * L.bytes_fwd;
  } else if (s.recompute == Recompute::selective) {
    L.recompute = ta;
    L.flops_recompute = w.attention_flops;
    L.bytes_recompute = scores_f;
  }
  // Activation offload (docs/model.md#offload): an offloaded layer's saved activations go
  // to the host while the next layer computes its forward, and come back while the layer
  // after it (in backward order) computes its backward; only what the link cannot hide
  // under that compute is exposed, for the offloaded share of the layers.
  if (plan.offload > 0 && plan.host_link > 0) {
    const double link = plan.offload_layer_bytes / (plan.host_link * kHostLinkEfficiency);
    L.offload_fwd = plan.offload * std::max(0.0, link - L.fwd);
    L.offload_bwd = plan.offload * std::max(0.0, link - (L.bwd + L.recompute));
  }
  // Tensor parallel: 2 all-reduces (or all-gather + reduce-scatter pairs with SP) per
  // direction of activations [tok, h] (Megatron-LM; Korthikanti et al. 2022).
  if (s.tp > 1) {
    // The Plan's demands: with SP an all-gather and a reduce-scatter, else an all-reduce.
    const Demand &d0 = plan.demands.tp[0], &d1 = plan.demands.tp[1];
    const collective::Cost c0 = price_call(g_tp, d0, d0.bytes);
    const collective::Cost c1 = d1.active() ? price_call(g_tp, d1, d1.bytes) : collective::Cost{};
    const collective::Cost c = d1.active() ? collective::Cost{c0.time + c1.time, c0.algo} : c0;
    record(r.comm.tp, g_tp, d0.op, d0.bytes, c0);
    if (d1.active()) set_traffic(r.comm.tp.traffic[1], d1.op, d1.bytes, c1);
    const double exposed = 1.0 - sw.tp_overlap;
    L.tp_fwd = 2.0 * c.time * exposed;
    L.tp_bwd = 2.0 * c.time * exposed;
    r.tp_algo = c.algo;
  }
  // Context parallel (ring attention): K,V chunks travel cp-1 hops under the attention
  // compute; dK,dV travel back in the backward pass. Only the excess is exposed.
  if (s.cp > 1) {
    const Demand& kv_chunk = plan.demands.cp[0];
    record(r.comm.cp, g_cp, kv_chunk.op, kv_chunk.bytes, price_call(g_cp, kv_chunk, kv_chunk.bytes));
    const double hop = r.comm.cp.cost().time;
    // Stacks that do not overlap the ring (overlap.cp false) expose all of it.
    const double hops = kv_chunk.per_layer / 3.0;  // cp-1, fewer under a sliding window
    const double fwd_exposed = std::max(0.0, hops * hop - (sw.cp_overlap ? ta : 0.0));
    const double bwd_exposed = std::max(0.0, 2.0 * hops * hop - (sw.cp_overlap ? ta_bwd : 0.0));
    L.cp = fwd_exposed + bwd_exposed;
  }
  return L;
}

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

// Exposed time of a bucketed data-parallel collective of `t` seconds in all (docs/model.md#dp)
// over `vp` model chunks. Chunk c's gradients are final `c` groups of chunk passes before the
// backward ends (the cooldown runs chunks vp-1 ... 0, min(m, pp) micro-batches each, a
// group taking `group_time`), and the chunks' reductions queue behind one another: the queue
// ends at the latest of (c+1)·t/vp - c·group_time, a line in c, so at c = 0 (one chunk's
// share, NeMo's "exposes only one DP communication chunk") or c = vp-1. Within its last pass
// a chunk's layers release their buckets one by one: `window` (the pass but one layer) hides
// under it. vp = 1 is the last micro-batch's backward as the window. The parameter gathers of
// the next forward mirror this through the warm-up.
double bucketed_exposure(double t, int vp, double group_time, double window) {
  const double queue = std::max(t / vp, t - (vp - 1.0) * group_time);
  return std::max(0.0, queue - window);
}

// Data parallel (docs/model.md#dp, #zero3): the gradient reduction and parameter gathers
// of one step over the dp*cp group, what of it hides under compute, and the group's
// collective for the report. `lay_n` layers on the slowest stage, each taking `layer_total`
// seconds per micro-batch.
void price_data_parallel(const Plan& plan, const LayerCost& L, double lay_n, double layer_total, Result& r) {
  const Strategy& s = plan.strategy;
  const parallel::Software& sw = plan.sw;
  const auto& g_dp = plan.groups.dp;
  const double mb = plan.microbatches;
  double dp_exposed = 0, dp_hidden = 0;
  if (s.dp * s.cp > 1) {
    // The Plan's demands: [0] the gradient reduction, [1] (ZeRO) the parameter all-gather.
    const Demand &red = plan.demands.dp[0], &ag = plan.demands.dp[1];
    const double layers = std::max(1.0, lay_n);  // ZeRO-3 moves the stage one layer at a time
    const double red_bytes = red.split_by_layer ? red.bytes / layers : red.bytes;
    const double ag_bytes = ag.split_by_layer ? ag.bytes / layers : ag.bytes;
    double t_rs = 0, t_ag = 0;
    collective::Cost c = price_call(g_dp, red, red_bytes);  // one call each
    collective::Cost gather = ag.active() ? price_call(g_dp, ag, ag_bytes) : collective::Cost{};
    if (s.zero < 3) {
      t_rs = c.time;
      t_ag = gather.time;
    } else {
      // ZeRO-3 / FSDP (docs/model.md#zero3): per layer (module), an all-gather of its
      // parameters before its forward and again before its backward (which also serves
      // full recompute), and a reduce-scatter of its gradients after its backward, every
      // micro-batch. Each is priced with its algorithm's latency over the group's levels.
      const double g1 = gather.time;
      const double r1 = c.time;
      const double c_f = L.fwd + L.tp_fwd;
      const double c_b = layer_total - c_f;
      const bool prefetch = s.overlap_zero3 && sw.zero3_prefetch > 0;
      // Under an interleaved schedule each micro-batch makes vp passes of lay_n / vp layers
      // in each direction, each starting with a gather that nothing prefetched (the
      // prefetch follows the modules of one pass; the event engine's schedule, where a
      // probe found vp = 8 exposing 8x the gathers this priced).
      const double passes = std::max(1, s.vp);
      const Zero3Pass f = zero3_pass(lay_n / passes, g1, 0.0, c_f, prefetch);
      const Zero3Pass bw = zero3_pass(lay_n / passes, g1, r1, c_b, prefetch);
      dp_exposed += mb * passes * (f.exposed + bw.exposed);
      dp_hidden += mb * passes * std::max(0.0, f.comm + bw.comm - f.exposed - bw.exposed);
      r.zero3_comm_bound = f.comm_bound || bw.comm_bound;
    }
    r.dp_algo = c.algo;
    record(r.comm.dp, g_dp, red.op, red_bytes, c);
    r.comm.dp.traffic[0].calls = red.calls(mb, layers);
    set_traffic(r.comm.dp.traffic[1], ag.op, ag_bytes, gather);
    r.comm.dp.traffic[1].calls = ag.calls(mb, layers);
    for (int i = 0; i < c.hops; ++i) r.dp_zplane = r.dp_zplane || c.hop[static_cast<std::size_t>(i)].z_share > 0;
    // Gradient reduction overlaps the last micro-batch's backward (bucketed, Megatron
    // --overlap-grad-reduce); the parameter all-gather overlaps the next forward
    // (--overlap-param-gather). Buckets follow the layers within a model chunk; with an
    // interleaved schedule the chunks' buckets are released chunk by chunk through the
    // cooldown (and needed chunk by chunk through the warm-up): bucketed_exposure.
    const double chunk = lay_n / s.vp;  // layers per model chunk on this stage
    const double within = chunk > 1 ? (chunk - 1) / chunk : 0.0;
    const double group = std::min(mb, static_cast<double>(s.pp));
    const bool overlap = s.overlap_dp && sw.dp_overlap;
    // ZeRO-2 keeps only its shard of the gradients, so each earlier micro-batch's are
    // reduce-scattered too, under the compute that follows (the stage's next micro-batch).
    const double earlier = s.zero == 2 ? mb - 1.0 : 0.0;
    const double rs_exposed = (overlap ? bucketed_exposure(t_rs, s.vp, group * chunk * L.bwd, chunk * L.bwd * within) : t_rs) +
                              earlier * (overlap ? std::max(0.0, t_rs - lay_n * layer_total) : t_rs);
    const double ag_exposed = overlap ? bucketed_exposure(t_ag, s.vp, group * chunk * L.fwd, chunk * L.fwd * within) : t_ag;
    dp_exposed += rs_exposed + ag_exposed;
    dp_hidden += std::max(0.0, (1.0 + earlier) * t_rs - rs_exposed) + (t_ag - ag_exposed);
  }
  r.breakdown.dp_comm = dp_exposed;
  r.hidden_comm = dp_hidden;
}

// Pipeline send/recv exposed per step on the first stage (docs/model.md#pipeline), each
// call taking `p2p` seconds: 2 per chunk and micro-batch (the activation forward, its
// gradient backward). Under steady-phase overlap with an interleaved schedule, only the
// fill's and the flush's are exposed: the first stage's warm-up forward passes (Megatron-
// Core's count, 2(pp-1) + (vp-1)pp, at most all of them) and as many backward passes at the
// end; a steady call shows only what it takes beyond the chunk's forward compute
// (`chunk_fwd`) it runs under.
double exposed_pipeline_p2p(const Strategy& s, const parallel::Software& sw, double mb, double p2p, double chunk_fwd) {
  const double passes = mb * s.vp;  // forward (and backward) chunk passes per step
  double exposed = 2.0 * passes * p2p;
  if (sw.pp_steady_overlap && s.vp > 1) {
    const double warmup = std::min(passes, 2.0 * (s.pp - 1.0) + (s.vp - 1.0) * s.pp);
    exposed = 2.0 * warmup * p2p + 2.0 * (passes - warmup) * std::max(0.0, p2p - chunk_fwd);
  }
  return exposed * (1.0 - sw.pp_overlap);
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

Result evaluate(const Context& ctx, const Strategy& s) { return price(ctx, make_plan(ctx, s)); }
Result evaluate(const Context& ctx, const Strategy& s, const PlacedGroups& placed) {
  return price(ctx, make_plan(ctx, s, placed));
}

namespace detail {
void mark_overlap_risks(Result& r) {
  r.overlap_fill = r.hidden_comm > 0 && r.breakdown.compute > 0 ? r.hidden_comm / r.breakdown.compute : 0.0;
  r.shared_link_level = -1;
  if (!r.comm.tp.active() || !r.comm.dp.active() || r.overlap_fill <= kSharedLinkOverlapShare) return;
  for (int i = 0; i < r.comm.dp.group.hops; ++i) {
    const auto& h = r.comm.dp.group.hop[static_cast<std::size_t>(i)];
    if (h.topology == hardware::Topology::switched || h.topology == hardware::Topology::fat_tree) continue;
    for (int j = 0; j < r.comm.tp.group.hops; ++j)
      if (r.comm.tp.group.hop[static_cast<std::size_t>(j)].level == h.level) {
        r.shared_link_level = h.level;
        return;
      }
  }
}
}  // namespace detail

std::vector<std::string> pricing_notes(const Result& r, const hardware::System& sys) {
  std::vector<std::string> out;
  // Dojo: the core model's SRAM per core and the SRAM tier's capacity describe the same
  // silicon (354 x 1.25 MB = 440 MB) and are read apart: a change to one only (a sweep of
  // the capacity) is priced half-changed, and said so.
  if (const hardware::Device& d = sys.device; d.sram_per_core > 0 && d.compute_units > 0 && d.memory_capacity() > 0) {
    const double cores = d.sram_per_core * d.compute_units;
    if (std::abs(cores - d.memory_capacity()) > kSramAgreement * d.memory_capacity())
      out.push_back(fmt::format(
          "SRAM figures disagree: device.core_mesh.sram_per_core x {} cores = {}, device.memory.{}.capacity = {}; the "
          "GEMM core model blocks with the first, the memory account holds the second (set both)",
          d.compute_units, core::format_quantity(cores, core::Dim::bytes), d.memory[0].name,
          core::format_quantity(d.memory_capacity(), core::Dim::bytes)));
  }
  // The event engine simulates what these notes say the analytical engine approximates.
  if (std::string_view(r.engine) != "analytical") return out;
  if (r.overlap_fill > kSaturatedOverlapShare)
    out.push_back(
        fmt::format("overlap near saturation: {:.3g} s of data-parallel traffic hidden under {:.3g} s of compute "
                    "({:.0f}%); any delay queues and is exposed (--engine event simulates the queue)",
                    r.hidden_comm, r.breakdown.compute, 100 * r.overlap_fill));
  if (r.shared_link_level >= 0 && r.shared_link_level < static_cast<int>(sys.levels.size()))
    out.push_back(
        fmt::format("shared links: data-parallel traffic hidden under {:.0f}% of the compute and tensor-parallel "
                    "traffic both run on the {} level's direct links, priced apart (--engine event prices them "
                    "together)",
                    100 * r.overlap_fill, sys.levels[static_cast<std::size_t>(r.shared_link_level)].name));
  // Dojo: groups whose rectangle fits a mesh level but does not tile it. Every plan, however
  // it was found: the note had been written by the resolver only, so a plan given whole or
  // ranked by search (tp=16 on an ExaPOD: 4.70 s priced, 9.01 s on the event engine) had none.
  const std::pair<const char*, const GroupComm*> groups[] = {
      {"tp", &r.comm.tp}, {"cp", &r.comm.cp}, {"ep", &r.comm.ep}, {"pp", &r.comm.pp}, {"dp", &r.comm.dp}};
  for (const auto& [name, gc] : groups)
    for (int i = 0; i < gc->group.hops; ++i) {
      const auto& h = gc->group.hop[static_cast<std::size_t>(i)];
      if (!h.is_mesh() || h.members.tiles || h.members.irregular) continue;
      out.push_back(fmt::format(
          "{} groups of {} do not tile the {}'s {}x{} mesh: each is priced as a compact {}x{} rectangle, which only some of "
          "them can be (optimistic; `--engine event` places them in device order)",
          name, h.k, sys.levels[static_cast<std::size_t>(h.level)].name, h.mesh.rows, h.mesh.cols, h.members.rows,
          h.members.cols));
    }
  return out;
}

namespace {

// The analytical engine on a transformer Plan (docs/model.md). Every placement, split and
// memory figure comes from the Plan; this function only turns work into time. (One return
// of one named Result: a Result is ~10 KB, and a second return path would cost a copy of
// it per plan in the search loop.)
Result price_transformer(const Context& ctx, const Plan& plan) {
  const Strategy& s = plan.strategy;
  const auto& sys = *ctx.sys;
  const auto& m = *ctx.model;
  const auto& dv = sys.device;
  Result r;
  r.strategy = s;
  r.devices = sys.device_count();
  const double pp = s.pp;

  const parallel::Software& sw = plan.sw;
  const Dev d = make_dev(dv, sw, s.precision);
  if (ctx.stack != nullptr) {
    r.stack = ctx.stack->name;
    r.stack_file = ctx.stack->file;
  }
  r.dp_overlap = s.overlap_dp && sw.dp_overlap;
  r.zero3_prefetch = s.overlap_zero3 && sw.zero3_prefetch > 0;

  r.strategy.order = plan.groups.order;
  const auto& g_tp = plan.groups.tp;
  const auto& g_pp = plan.groups.pp;
  const double phi = plan.phi;

  // --- per-layer costs (docs/model.md#layer), from the Plan's work ---
  const LayerCost L = layer_costs(plan, d, r);

  // --- stages (the Plan's split) ---
  const bool accounted = plan.split.accounted;
  const double layers_max = plan.split.max, layers_first = plan.split.first, layers_last = plan.split.last;
  const double layer_total =
      L.fwd + L.bwd + L.recompute + L.tp_fwd * (1.0 + phi) + L.tp_bwd + L.cp + L.ep + L.offload_fwd + L.offload_bwd;
  // Embedding (first stage) and LM head + loss (last stage).
  const Work& w = plan.work;
  const double head_f = gemm_time(d, w.head.M, w.head.N, w.head.K, w.head.bytes) + mem_time(d, w.head_fwd_bytes);
  const double head_b = 2.0 * gemm_time(d, w.head.M, w.head.N, w.head.K, w.head.bytes) + mem_time(d, w.head_bwd_bytes);
  const double embed = mem_time(d, w.embed_bytes) * 3.0;
  const Demand& stats = plan.demands.head_stats;  // loss statistics of the vocabulary-parallel head
  const double head_comm = stats.active() ? stats.per_microbatch * price_call(g_tp, stats, stats.bytes).time : 0.0;
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
    const Demand &boundary = plan.demands.pp[0], &gather = plan.demands.pp_gather;
    record(r.comm.pp, g_pp, boundary.op, boundary.bytes, price_call(g_pp, boundary, boundary.bytes));
    // The pipeline runs at the pace of the stage at its slowest boundary, which sends across
    // it one way and to its other neighbour the other way: inside the innermost level the
    // group spans when that level holds consecutive stages (k >= 2). A send costs the mean.
    const collective::Cost pc = r.comm.pp.cost();
    const double other = g_pp.hops > 1 && g_pp.hop[0].k >= 2 ? pc.hop[0].time : pc.time;
    p2p = 0.5 * (pc.time + other) + (gather.active() ? price_call(g_tp, gather, gather.bytes).time : 0.0);
  }
  // The stack hides a fraction of it under compute (overlap.pp); the fill and drain see
  // every hop's send/recv.
  const double pp_comm_per_mb = s.pp > 1 ? 2.0 * s.vp * p2p * (1.0 - sw.pp_overlap) : 0.0;

  // 1F1B / interleaved schedule: m steady-state slots of the slowest stage plus a fill and
  // drain of (pp-1)/vp stage-times (Narayanan et al. 2021). Stages differ only by the
  // embedding and head, so the fill uses the mean stage.
  const double stage_mean =
      s.pp == 1 ? stage_max : (static_cast<double>(m.layers) / pp * layer_total + (first_extra + last_extra) / pp);
  const double bubble = s.pp > 1 ? (pp - 1.0) / s.vp * (stage_mean + pp_comm_per_mb) : 0.0;

  // Split the slowest stage's per-micro-batch time into its parts.
  const double lay_n = s.pp == 1      ? static_cast<double>(m.layers)
                       : slowest == 0 ? layers_first
                       : slowest == 1 ? layers_last
                                      : layers_max;
  const double extra = s.pp == 1 ? first_extra + last_extra : slowest == 0 ? first_extra : slowest == 1 ? last_extra : 0.0;
  const bool has_head = s.pp == 1 || slowest == 1;
  r.breakdown.compute = mb * (lay_n * (L.fwd + L.bwd + L.recompute) + extra - (has_head && s.pp > 1 ? head_comm : 0.0));
  r.breakdown.tp_comm = mb * (lay_n * (L.tp_fwd * (1.0 + phi) + L.tp_bwd) + (has_head ? head_comm : 0.0));
  r.breakdown.cp_comm = mb * lay_n * L.cp;
  r.breakdown.ep_comm = mb * lay_n * L.ep;
  const double offload_exposed = mb * lay_n * (L.offload_fwd + L.offload_bwd);  // activation offload (GPUs)
  r.breakdown.memory_stream = offload_exposed;
  r.breakdown.pp_comm = s.pp > 1 ? exposed_pipeline_p2p(s, sw, mb, p2p, lay_n / s.vp * L.fwd) : 0.0;
  r.breakdown.bubble = bubble;

  price_data_parallel(plan, L, lay_n, layer_total, r);
  // Calls per step of the per-layer collectives (link-load pictures): TP 2 forward (twice
  // with full recompute) and 2 backward per layer, CP (cp-1) forward and 2(cp-1) backward
  // hops, EP 4 all-to-alls, PP one exchange each way per chunk boundary.
  const Demands& D = plan.demands;
  for (int i = 0; i < 2; ++i) {
    const auto k = static_cast<std::size_t>(i);
    r.comm.tp.traffic[k].calls = D.tp[k].calls(mb, lay_n);
    r.comm.cp.traffic[k].calls = D.cp[k].calls(mb, lay_n);
    r.comm.ep.traffic[k].calls = D.ep[k].calls(mb, lay_n);
    r.comm.pp.traffic[k].calls = D.pp[k].calls(mb, lay_n);
  }

  // --- optimizer step: Adam, memory-bound over the local shard ---
  r.breakdown.optimizer = mem_time(d, w.optimizer_bytes) + 10 * d.overhead;

  // --- memory per device and Dojo tiers: the Plan's; streaming hides under compute except
  // the prologue (the first layer's streamed state must arrive before any compute) ---
  r.memory = plan.memory;
  r.placement = plan.placement;
  if (plan.offload > 0) {
    r.memory.host_link = plan.host_link;
    // Each way: every micro-batch sends its offloaded layers out once and brings them back once.
    r.memory.host_traffic = mb * lay_n * plan.offload * plan.offload_layer_bytes;
  }
  if (plan.placement.streams() || plan.stream_time > 0) {
    const double stream = plan.stream_time;
    const double passes_w = (2.0 + phi) * mb;
    const double prologue = stream / std::max(1.0, passes_w * lay_n);
    r.breakdown.memory_stream = std::max(prologue, stream - r.breakdown.compute);
    r.placement.stream_hidden = stream - r.breakdown.memory_stream;
    // A stage that waits for its stream is slower per micro-batch, in the pipeline's fill
    // and drain too: the bubble's stage-times stretch by the exposed stream per micro-batch.
    if (s.pp > 1) r.breakdown.bubble += (pp - 1.0) / s.vp * std::max(0.0, stream - r.breakdown.compute) / mb;
  }

  r.step_time = r.breakdown.total();
  detail::mark_overlap_risks(r);
  {
    // Contention-bound (docs/model.md#contention): the most exposed group on shared links.
    const auto& bd = r.breakdown;
    const std::array<std::pair<const GroupComm*, std::pair<const char*, double>>, 5> groups{{{&r.comm.tp, {"tp", bd.tp_comm}},
                                                                                             {&r.comm.cp, {"cp", bd.cp_comm}},
                                                                                             {&r.comm.ep, {"ep", bd.ep_comm}},
                                                                                             {&r.comm.pp, {"pp", bd.pp_comm}},
                                                                                             {&r.comm.dp, {"dp", bd.dp_comm}}}};
    double worst = 0;
    for (const auto& [gc, named] : groups) {
      if (!gc->active() || r.step_time <= 0) continue;
      double shared = 1;
      for (int i = 0; i < gc->group.hops; ++i) shared = std::max(shared, gc->group.hop[static_cast<std::size_t>(i)].shared);
      const double share = named.second / r.step_time;
      if (shared > 1 && share > kContentionBoundShare && share > worst) {
        worst = share;
        r.contention_bound = true;
        r.contention_group = named.first;
      }
    }
  }
  {
    PipelineTimes& P = r.pipeline;
    P.layer_fwd = L.fwd + L.tp_fwd + L.offload_fwd;
    P.layer_bwd = layer_total - P.layer_fwd;
    P.embed = first_extra;
    P.head_fwd = head_f + 0.5 * head_comm;
    P.head_bwd = head_b + 0.5 * head_comm;
    P.p2p = p2p;
    P.tail =
        r.breakdown.dp_comm + r.breakdown.optimizer + r.breakdown.memory_stream - offload_exposed;  // offload is in the layers
    P.compute_fwd = L.fwd;
    P.compute_bwd = L.bwd + L.recompute;
    P.offload_fwd = L.offload_fwd;
    P.offload_bwd = L.offload_bwd;
    P.attn_fwd = L.attn_core_fwd;
    P.attn_bwd = L.attn_core_bwd;
    P.head_compute_fwd = head_f;
    P.head_compute_bwd = head_b;
    P.head_comm = head_comm;
    P.flops_fwd = L.flops_fwd;
    P.flops_bwd = 2.0 * L.flops_fwd + L.flops_recompute;
    P.head_flops = w.head.flops();
    P.bytes_fwd = L.bytes_fwd;
    P.bytes_bwd = L.bytes_bwd + L.bytes_recompute;
    P.embed_bytes = w.embed_bytes;
    P.optimizer_bytes = w.optimizer_bytes;
    P.tp_calls_fwd = s.tp > 1 ? 2.0 : 0.0;
    P.tp_calls_bwd = s.tp > 1 ? 2.0 * (1.0 + phi) : 0.0;
    P.tp_exposed = 1.0 - sw.tp_overlap;
    P.pp_exposed = 1.0 - sw.pp_overlap;
    P.pp_steady_exposed = sw.pp_steady_overlap && s.vp > 1 ? 0.0 : P.pp_exposed;
    P.cp_overlap = sw.cp_overlap;
    P.cp_hops = s.cp > 1 ? plan.demands.cp[0].per_layer / 3.0 : 0.0;
    P.dp_overlap = s.overlap_dp && sw.dp_overlap;
    P.zero3_prefetch = s.overlap_zero3 && sw.zero3_prefetch > 0;
    P.p2p_gather =
        plan.demands.pp_gather.active() ? price_call(g_tp, plan.demands.pp_gather, plan.demands.pp_gather.bytes).time : 0.0;
    P.optimizer = r.breakdown.optimizer;
    if (plan.placement.streams() || plan.stream_time > 0) {
      const double passes = (2.0 + phi) * mb * std::max(1.0, lay_n);
      P.stream_bytes_per_layer = plan.placement.stream_bytes / passes;
      const double dip_time =
          plan.placement.stream_bandwidth > 0 ? plan.placement.stream_bytes / plan.placement.stream_bandwidth : 0.0;
      P.host_time_per_layer = std::max(0.0, plan.stream_time - dip_time) / passes;
      P.stream_passes_bwd = 1.0 + phi;  // the recompute reads the layer's weights again
    }
  }
  r.tokens_per_step = static_cast<double>(s.gbs) * static_cast<double>(ctx.seq);
  r.model_flops_per_step = m.training_flops_per_token(ctx.seq) * r.tokens_per_step;
  const double rec_ratio = L.flops_fwd > 0 ? L.flops_recompute / L.flops_fwd : 0.0;
  const double layer_share =
      1.0 - 2.0 * static_cast<double>(m.vocab) * static_cast<double>(m.hidden) / m.forward_flops_per_token(ctx.seq);
  r.hardware_flops_per_step = r.model_flops_per_step * (1.0 + rec_ratio / 3.0 * layer_share);
  const double peak = sys.peak(s.precision == Precision::cfp8 ? Precision::cfp8 : Precision::bf16);
  r.mfu = r.model_flops_per_step / (r.step_time * peak);
  r.hfu = r.hardware_flops_per_step / (r.step_time * peak);
  return r;
}

}  // namespace

Result price(const Context& ctx, const Plan& plan) {
  return ctx.net != nullptr ? price_vision(ctx, plan) : price_transformer(ctx, plan);
}

}  // namespace dojosim::engine
