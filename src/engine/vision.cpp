// Vision path of the analytical engine: CNNs, ViTs and multi-camera video networks trained
// data parallel (ZeRO 0-3) with optional spatial partitioning of feature maps (halo
// exchange priced on the fabric). Formulas: docs/model.md#vision-networks.
//
// Per micro-batch of b samples, every op costs forward + backward (+ recompute) on the
// device's share of it: GEMM-like ops through the same wave-quantised GEMM time as the
// transformer path (kernels.hpp), memory-bound ops by the bytes they move. Spatial
// partitioning splits an op's rows (feature-map rows or tokens) over min(spatial, rows)
// neighbouring devices; convolutions and pools then exchange halo rows, attention gathers
// keys and values, batch norm reduces its statistics.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"
#include "kernels.hpp"
#include "tiers.hpp"
#include "traffic.hpp"
#include "vision.hpp"

namespace dojosim::engine {

using namespace detail;
using hardware::Precision;
using parallel::Recompute;
using parallel::Strategy;
using workload::Op;
using workload::OpKind;

namespace {

// Tensor Core implicit-GEMM kernels step through the reduction dimension K in slices of
// 32 16-bit elements (CUTLASS/cuDNN Ampere and Hopper threadblock tiles are 32 or 64
// deep): a Cin/g*kh*kw that is not a multiple pays for the padding (assumption: the
// smaller slice). Grouped convolutions pad N = Cout/g the same way. Dojo's D1 matrix
// units work on 8x8 tiles (device tile_n), so there the slice is 8.
constexpr double kConvSliceGpu = 32.0;
constexpr double kStatBytes = 4.0;  // fp32 statistics and partial sums
// Ingest: the hosts decode the camera streams and send 8-bit pixels (one byte per input
// element) to the DIPs; normalisation to 16 bits happens on the D1s (assumption: the
// cheapest format a host can send; Tesla said hosts feeding data limited Dojo, T8).
constexpr double kIngestBytesPerElement = 1.0;

double pad_util(double x, double slice) { return x <= 0 ? 1.0 : x / (std::ceil(x / slice) * slice); }

bool depthwise(const Op& o) { return o.kind == OpKind::conv && o.groups > 1 && o.n <= 1; }

// The groups of a spatial split by size (an op's split is min(spatial, its rows)), placed
// once per pricing: a few sizes per network, kept without allocating (the search loop
// prices vision plans too); past kSplitSizes distinct sizes a group is placed each time.
inline constexpr std::size_t kSplitSizes = 8;
struct Groups {
  const hardware::System* sys;
  std::array<int, kSplitSizes> size{};
  std::array<std::optional<collective::Group>, kSplitSizes> group{};
  collective::Group spare{};
  const collective::Group& of(int k) {
    for (std::size_t i = 0; i < kSplitSizes && group[i]; ++i)
      if (size[i] == k) return *group[i];
    for (std::size_t i = 0; i < kSplitSizes; ++i)
      if (!group[i]) {
        size[i] = k;
        return group[i].emplace(collective::place_group(*sys, k, 1));
      }
    spare = collective::place_group(*sys, k, 1);
    return spare;
  }
};

}  // namespace

long long default_gbs(const workload::Network& n, long long unit) {
  unit = std::max<long long>(1, unit);
  return std::max(unit, n.default_gbs / unit * unit);
}

namespace {

// The devices an op's rows are split over: min(spatial, rows) for ops that split, else 1.
double op_split(const Op& o, int sp) {
  return o.splittable && sp > 1 ? static_cast<double>(std::min<long long>(sp, std::max<long long>(1, o.rows))) : 1.0;
}

}  // namespace

OpWork vision_op_work(const Op& o, const Strategy& s) {
  const double e = s.precision == Precision::cfp8 ? 1.0 : 2.0;  // bytes per stored activation element
  const bool fp8 = s.precision == Precision::fp8 || s.precision == Precision::cfp8;
  OpWork w;
  w.split = op_split(o, s.spatial);
  w.kernels = o.sequential ? o.count : 1.0;
  w.inst = s.mbs * o.count / w.kernels;  // instances batched into one kernel
  const double inst = w.inst, split = w.split;
  switch (o.kind) {
    case OpKind::conv:
    case OpKind::linear:
    case OpKind::matmul:
      w.io_bytes = inst * (o.in_elems + o.out_elems) / split * e + o.params * (fp8 ? 1.0 : 2.0);
      w.flops = inst * o.flops / split;
      // Implicit GEMM: M = b*Ho*Wo (this device's rows), N = Cout/g, K = Cin/g*kh*kw, g groups.
      w.gemm = {inst * o.m / split, o.n, o.k, fp8 ? 1.0 : 2.0};
      w.gemm_batch = o.batch;
      break;
    case OpKind::attention:
      w.flops = inst * o.flops / split;
      w.query_rows = inst * o.heads * o.q_len / split;
      w.score_elements = w.query_rows * o.kv_len;
      break;
    case OpKind::view: break;
    default:
      w.fwd_bytes = inst * o.fwd_elems / split * e;
      w.bwd_bytes = inst * o.bwd_elems / split * e;
      break;
  }
  if (split > 1) {
    if (o.halo_rows > 0 && o.halo_elems_per_row > 0) {
      w.halo_side_bytes = inst * static_cast<double>(o.halo_side_rows) * o.halo_elems_per_row * e;
      w.halo_bytes = 2.0 * inst * static_cast<double>(o.halo_rows) * o.halo_elems_per_row * e;
    }
    if (o.gather_elems > 0) w.gather_bytes = inst * o.gather_elems * e;
    if (o.stats_elems > 0) w.stats_bytes = o.stats_elems * kStatBytes;
    if (o.reduce_elems > 0) w.reduce_bytes = inst * o.reduce_elems * kStatBytes;
  }
  return w;
}

Memory vision_memory(const hardware::System& sys, const workload::Network& net, const Strategy& s, const parallel::Software& sw) {
  const double b = s.mbs;
  const double e = s.precision == Precision::cfp8 ? 1.0 : 2.0;  // bytes per stored activation element
  const bool flash = uses_flash_attention(s, sw);
  const int sp = s.spatial;
  // Kept tensors of one micro-batch: every op's (none), all but the norms' inputs
  // (selective), or one input per segment of sqrt(n) ops plus the largest segment
  // recomputed (full); and the largest output being produced.
  std::size_t n_ops = 0;
  for (const Op& o : net.ops) n_ops += o.kind != OpKind::view ? 1 : 0;
  const auto seg = static_cast<std::size_t>(std::max(1.0, std::ceil(std::sqrt(static_cast<double>(n_ops)))));
  double saved_none = 0, saved_selective = 0, max_out = 0, largest_unit = 0;
  double kept = 0, worst = 0, inside = 0;
  std::size_t index = 0;
  for (const Op& o : net.ops) {
    const double split = op_split(o, sp);
    const double kernels = o.sequential ? o.count : 1.0;
    // The one activation-memory model (saved_bytes): the op's saved elements and, without
    // fused attention, its scores (the softmax output, per key), split with its rows.
    const SavedBytes op_kept = saved_bytes(workload::op_saved(o), b * o.count, o.kv_len, {.rows = split}, e, e);
    double saved = op_kept.kept + (flash ? 0.0 : op_kept.scores);
    saved_none += saved;
    if (o.kind != OpKind::norm) saved_selective += saved;
    max_out = std::max(max_out, b * o.count / kernels * o.out_elems / split * e);
    largest_unit = std::max(largest_unit, o.params);
    if (o.kind == OpKind::view) continue;
    if (index % seg == 0) {
      worst = std::max(worst, inside);
      inside = 0;
      kept += b * o.count * o.in_elems / split * e;
    }
    inside += saved;
    ++index;
  }
  worst = std::max(worst, inside);
  double act = saved_none;
  if (s.recompute == Recompute::selective)
    act = saved_selective;
  else if (s.recompute == Recompute::full)
    act = kept + worst;

  // Kept tensors of one micro-batch + the output being produced; ZeRO-3 gathers one unit's
  // weights at a time, over the dp * spatial replicas that share the state.
  // (ZeRO-3 units never exceed the largest op and that op is a unit of its own: the
  // largest unit is the largest op, Zero3Units' rule.)
  return device_memory(sys, s, sw,
                       {.stage_params = net.params(), .unit_params = largest_unit, .shards = static_cast<double>(s.dp) * sp},
                       act + max_out);
}

Demands vision_demands(const workload::Network& net, const Strategy& s, const parallel::Software& sw) {
  using collective::Op;
  Demands D;
  if (1LL * s.dp * s.spatial <= 1) return D;
  const double P = net.params(), grads = P * grad_bytes(s.zero, sw), params16 = P * 2.0;
  const double reduce_bytes = sw.zero3_reduce_bytes;
  if (s.zero == 0) {
    D.dp[0] = {.op = Op::all_reduce, .bytes = grads, .per_step = 1.0};
  } else if (s.zero <= 2) {
    D.dp[0] = zero_gradient_reduction(s.zero, grads);
    D.dp[1] = {.op = Op::all_gather, .bytes = params16, .per_step = 1.0};
  } else {
    // ZeRO-3 / FSDP, one unit of coalesced ops at a time (for_each_zero3_unit): every
    // micro-batch gathers each unit's weights before its forward and its backward (and,
    // under full recompute, half again: priced as 3 gathers instead of 2) and
    // reduce-scatters its gradients after its backward. `bytes` are the whole network's,
    // moved unit by unit (split_by_layer; calls per unit and micro-batch in per_layer).
    const double gathers = 2.0 * (s.recompute == Recompute::full ? 1.5 : 1.0);
    D.dp[0] = {.op = Op::reduce_scatter, .bytes = P * reduce_bytes, .per_layer = 1.0, .split_by_layer = true};
    D.dp[1] = {.op = Op::all_gather, .bytes = params16, .per_layer = gathers, .split_by_layer = true};
  }
  return D;
}

Plan plan_vision(const Context& ctx, const Strategy& s) {
  const auto& sys = *ctx.sys;
  const auto& net = *ctx.net;
  Plan p;  // the transformer's members (split, work) stay empty; demands holds the dp group's
  p.strategy = s;
  p.sw = ctx.software();
  // Gradients reduce over all dp * spatial replicas, placed innermost; the spatial groups
  // of each op are placed while pricing (their size depends on the op's rows).
  p.groups.dp = collective::place_group(sys, static_cast<int>(1LL * s.dp * s.spatial), 1);
  p.params = {.layer = 0, .stage = net.params()};  // the whole network on every replica before ZeRO
  p.phi = s.recompute == Recompute::full ? 1.0 : 0.0;
  p.microbatches = static_cast<double>(s.microbatches());
  p.shards = static_cast<double>(s.dp) * s.spatial;
  for (const Op& o : net.ops) { p.ops += o.kind != OpKind::view ? 1 : 0; }
  for_each_zero3_unit(net, [&](std::size_t, std::size_t, double w) { p.units += w > 0 ? 1 : 0; });
  p.demands = vision_demands(net, s, p.sw);
  p.memory = vision_memory(sys, net, s, p.sw);
  p.stream_time = plan_tiers(sys, s, p.phi, p.microbatches, p.memory, p.placement);
  return p;
}

VisionKernels vision_kernels(const hardware::Device& dv, const parallel::Software& sw, const Strategy& s) {
  VisionKernels k;
  k.d = make_dev(dv, sw, s.precision);
  // Depthwise convolutions run on the vector (FP32) units, not the matrix units.
  k.peak_simd = dv.peak_for(Precision::fp32) > 0 ? dv.peak_for(Precision::fp32) : k.d.peak_vec / 16.0;
  k.slice = std::min(kConvSliceGpu, static_cast<double>(dv.eff.tile_n));
  // Attention: the stack's kernel (fused FlashAttention, Dao et al. 2022, on every modern
  // stack), unless the strategy asks for one (docs/model.md#stacks).
  k.flash = uses_flash_attention(s, sw);
  k.attention_efficiency = sw.attention_efficiency;
  return k;
}

OpTimes vision_op_times(const VisionKernels& k, const Op& o, const OpWork& w) {
  const Dev& d = k.d;
  double tf = 0, tb = 0;
  switch (o.kind) {
    case OpKind::conv:
    case OpKind::linear:
    case OpKind::matmul: {
      if (depthwise(o)) {
        tf = std::max(w.flops / k.peak_simd, w.io_bytes / d.bw) + d.overhead;
      } else {
        // Tensor-core tiles pad K (and N of grouped convolutions) to the device's slice.
        const double u = pad_util(o.k, k.slice) * (o.batch > 1 && o.kind == OpKind::conv ? pad_util(o.n, k.slice) : 1.0);
        const Gemm& g = w.gemm;
        const double tc = g.M > 0 && g.N > 0 && g.K > 0 ? gemm_compute_time(d, g.M, g.N, g.K, w.gemm_batch) / u : 0.0;
        tf = std::max(tc, w.io_bytes / d.bw) + d.overhead;
      }
      tb = 2.0 * tf;  // data and weight gradients, each the forward's work
      break;
    }
    case OpKind::attention: {
      if (k.flash) {
        tf = w.flops / (d.peak_vec * d.attn_eff) + d.overhead;
        tb = kFlashBackwardRatio * tf;
      } else {
        const double q = w.query_rows;
        const double gq = gemm_time(d, q, o.kv_len, o.head_dim, 2.0), gv = gemm_time(d, q, o.head_dim, o.kv_len, 2.0);
        tf = (gq + gv) / k.attention_efficiency + mem_time(d, kUnfusedScoreBytesFwd * w.score_elements);
        tb = 2.0 * (gq + gv) / k.attention_efficiency + mem_time(d, kUnfusedScoreBytesBwd * w.score_elements);
      }
      break;
    }
    case OpKind::view: break;
    default:
      tf = mem_time(d, w.fwd_bytes);
      tb = mem_time(d, w.bwd_bytes);
      break;
  }
  return {tf, tb};
}

namespace {

// One op of a vision plan per micro-batch: compute forward and backward, and its blocking
// spatial exchanges in each pass.
struct OpCost {
  double fwd = 0, bwd = 0, comm_fwd = 0, comm_bwd = 0, halo = 0;
  bool norm = false;
};

// ZeRO-3 over one micro-batch, unit by unit (for_each_zero3_unit; docs/model.md#vision-dp):
// each unit gathers its weights before its ops' forward and their backward (the Plan's
// per-unit gathers: the rest of them in the backward) and reduce-scatters its gradients
// after its ops' backward, all on one communication stream in the order they are issued.
// With the stack's prefetch a unit's gather is issued when the unit before it starts, so
// it hides under that unit's compute; without, each gather and reduction blocks. The
// exposed time is what the two passes take beyond their compute (recompute and spatial
// exchanges included).
struct Zero3Ops {
  double exposed = 0, comm = 0, compute = 0;  // seconds per micro-batch
};
// Units kept without allocating (a network with more, a user's very deep ViT, keeps the
// rest in a vector: pricing it allocates).
inline constexpr std::size_t kZero3UnitsInPlace = 1024;
// The units of one micro-batch in network order, accumulated op by op as pricing walks the
// ops (Zero3Units' rule, as for_each_zero3_unit takes them): weights, and the busy seconds
// of their ops forward and backward (recompute and spatial exchanges included).
struct Zero3Walk {
  struct Unit {
    double params = 0, fwd = 0, bwd = 0;
  };
  explicit Zero3Walk(const workload::Network& net) : rule(net) {}
  Zero3Units rule;
  std::array<Unit, kZero3UnitsInPlace> in_place{};
  std::vector<Unit> more;
  std::size_t count = 0;
  [[nodiscard]] const Unit& unit(std::size_t k) const {
    return k < kZero3UnitsInPlace ? in_place[k] : more[k - kZero3UnitsInPlace];
  }
  Unit& unit(std::size_t k) { return k < kZero3UnitsInPlace ? in_place[k] : more[k - kZero3UnitsInPlace]; }
  void add(const Op& o, const OpCost& c, Recompute recompute) {
    const bool fresh = rule.starts(o.params);  // always asked: the rule counts every op's weights
    if (count == 0 || fresh) {
      if (count >= kZero3UnitsInPlace) more.emplace_back();
      ++count;
    }
    Unit& u = unit(count - 1);
    u.params += o.params;
    u.fwd += c.fwd + c.comm_fwd;
    double b = c.bwd + c.comm_bwd;
    if (recompute == Recompute::full) b += c.fwd + c.comm_fwd;
    if (recompute == Recompute::selective && c.norm) b += c.fwd;
    u.bwd += b;
  }
};
Zero3Ops zero3_ops(const Zero3Walk& walk, const Plan& plan, const collective::Group& g_dp) {
  const Strategy& s = plan.strategy;
  const Demand &red = plan.demands.dp[0], &ag = plan.demands.dp[1];
  const bool prefetch = s.overlap_zero3 && plan.sw.zero3_prefetch > 0;
  const double ag_per_param = ag.bytes / plan.params.stage, rs_per_param = red.bytes / plan.params.stage;
  const double back_gathers = std::max(0.0, ag.per_layer - 1.0);
  using Unit = Zero3Walk::Unit;
  const std::size_t count = walk.count;
  Zero3Ops z;
  for (std::size_t k = 0; k < count; ++k) z.compute += walk.unit(k).fwd + walk.unit(k).bwd;
  // One gather and one reduce-scatter of a unit, priced once per distinct size (a ViT's
  // layers repeat the same few units).
  struct Priced {
    double params = -1, gather = 0, scatter = 0;
  };
  std::array<Priced, 32> seen{};
  std::size_t next_slot = 0;
  auto priced = [&](const Unit& u) -> const Priced& {
    for (const auto& p : seen)
      if (p.params == u.params) return p;
    Priced& p = seen[next_slot++ % seen.size()];
    p = {u.params, collective::collective(ag.op, g_dp, u.params * ag_per_param).time,
         collective::collective(red.op, g_dp, u.params * rs_per_param).time};
    return p;
  };
  auto gather = [&](const Unit& u) { return u.params > 0 ? priced(u).gather : 0.0; };
  // One pass over the units, forward or backward.
  auto pass = [&](bool forward) {
    const double gathers = forward ? 1.0 : back_gathers;
    double t = 0, q = 0, ready = -1;  // compute stream, communication stream, the prefetched gather's end
    for (std::size_t k = 0; k < count; ++k) {
      const Unit& u = walk.unit(forward ? k : count - 1 - k);
      double start = t;
      if (u.params > 0) {
        const double g = gather(u) * gathers;
        z.comm += g;
        if (prefetch) {
          if (ready < 0) ready = q = std::max(q, t) + g;
          start = std::max(t, ready);
          ready = -1;
          if (k + 1 < count) {
            const Unit& next = walk.unit(forward ? k + 1 : count - 2 - k);
            if (next.params > 0) ready = q = std::max(q, start) + gather(next) * gathers;
          }
        } else {
          start = q = std::max(t, q) + g;
        }
      }
      t = start + (forward ? u.fwd : u.bwd);
      if (!forward && u.params > 0) {
        const double rs = priced(u).scatter;
        z.comm += rs;
        q = std::max(q, t) + rs;
        if (!prefetch) t = q;
      }
    }
    return std::max(t, q);
  };
  const double span = pass(true) + pass(false);
  z.exposed = std::clamp(span - z.compute, 0.0, z.comm);
  return z;
}

}  // namespace

Result price_vision(const Context& ctx, const Plan& plan) {
  const Strategy& s = plan.strategy;
  const auto& sys = *ctx.sys;
  const auto& net = *ctx.net;
  const auto& dv = sys.device;
  Result r;
  if (ctx.stack != nullptr) {
    r.stack = ctx.stack->name;
    r.stack_file = ctx.stack->file;
  }
  r.strategy = s;
  r.dp_overlap = s.overlap_dp && plan.sw.dp_overlap;
  r.zero3_prefetch = s.overlap_zero3 && plan.sw.zero3_prefetch > 0;
  r.devices = sys.device_count();
  r.sample_unit = net.sample == "clip" ? "clips" : (net.sample == "image" ? "images" : "samples");

  const parallel::Software& sw = plan.sw;
  const VisionKernels vk = vision_kernels(dv, sw, s);
  const Dev& d = vk.d;
  const int sp = s.spatial;
  Groups groups{&sys};
  const collective::Group& g_dp = plan.groups.dp;

  // --- per micro-batch: compute, spatial communication (docs/model.md#vision-networks) ---
  double fwd = 0, bwd = 0, rec = 0, comm_fwd = 0, comm_bwd = 0, halo = 0, norm_fwd = 0;
  // One op per micro-batch: its compute forward and backward, and its spatial exchanges
  // (halo rows from the neighbours forward, halo gradients back; keys/values gathered
  // whole; statistics and pooled sums reduced).
  auto cost_of = [&](const Op& o) {
    OpCost c;
    const OpWork w = vision_op_work(o, s);
    const OpTimes ot = vision_op_times(vk, o, w);
    const double kernels = w.kernels;
    c.fwd = ot.fwd * kernels;
    c.bwd = ot.bwd * kernels;
    c.norm = o.kind == OpKind::norm;
    if (w.split > 1) {
      const auto& g = groups.of(static_cast<int>(w.split));
      if (w.halo_bytes > 0) {
        // Both sides at once: over different links on a mesh or ring; through one port on a
        // switched level, where an interior member (split of 3 or more) sends twice.
        const auto topo = g.hops > 0 ? g.hop[0].topology : hardware::Topology::mesh2d;
        const bool one_port = w.split > 2 && (topo == hardware::Topology::switched || topo == hardware::Topology::fat_tree);
        const double t = collective::send_recv(g, w.halo_side_bytes * (one_port ? 2.0 : 1.0)).time * kernels;
        c.comm_fwd += t;
        c.comm_bwd += t;
        c.halo += w.halo_bytes * kernels;
      }
      if (w.gather_bytes > 0) {
        c.comm_fwd += collective::all_gather(g, w.gather_bytes).time * kernels;
        c.comm_bwd += collective::reduce_scatter(g, w.gather_bytes).time * kernels;
      }
      if (w.stats_bytes > 0) {
        const double t = collective::all_reduce(g, w.stats_bytes).time * kernels;
        c.comm_fwd += t;
        c.comm_bwd += t;
      }
      if (w.reduce_bytes > 0) {
        const double t = collective::all_reduce(g, w.reduce_bytes).time * kernels;
        c.comm_fwd += t;
        c.comm_bwd += t;
      }
    }
    return c;
  };
  const Demand &red = plan.demands.dp[0], &ag = plan.demands.dp[1];
  std::optional<Zero3Walk> walk;  // ZeRO-3: the units, as the ops are walked
  if (s.zero == 3 && red.active()) walk.emplace(net);
  for (const Op& o : net.ops) {
    const OpCost c = cost_of(o);
    if (walk) walk->add(o, c, s.recompute);
    fwd += c.fwd;
    bwd += c.bwd;
    if (c.norm) norm_fwd += c.fwd;
    comm_fwd += c.comm_fwd;
    comm_bwd += c.comm_bwd;
    halo += c.halo;
  }
  // Recompute: selective recomputes the norms from the outputs the next layer keeps
  // (in-place activated norm, Rota Bulo et al. 2018); full recomputes the forward from one
  // kept input per segment (Chen et al. 2016, "Training Deep Nets with Sublinear Memory
  // Cost"); the memory each keeps is the Plan's (vision_memory).
  if (s.recompute == Recompute::selective) {
    rec = norm_fwd;
  } else if (s.recompute == Recompute::full) {
    rec = fwd;
    comm_fwd *= 2.0;  // the recomputed forward exchanges its halos again
  }
  const double mb = plan.microbatches;
  r.breakdown.compute = mb * (fwd + bwd + rec);
  r.breakdown.spatial_comm = mb * (comm_fwd + comm_bwd);
  r.halo_bytes = mb * halo * (s.recompute == Recompute::full ? 1.5 : 1.0);

  // --- data parallel over all dp * spatial replicas (docs/model.md#vision-dp): the Plan's
  // demands, [0] the gradient reduction, [1] (ZeRO) the parameter all-gather ---
  double dp_exposed = 0, dp_hidden = 0;
  if (s.dp * sp > 1) {
    const bool overlap = s.overlap_dp && sw.dp_overlap;
    // One call each (ZeRO-3: of the mean unit, for the report; priced unit by unit in zero3_ops).
    const double units = red.split_by_layer ? std::max(1.0, plan.units) : 1.0;
    const collective::Cost c = collective::collective(red.op, g_dp, red.bytes / units);
    const collective::Cost gather = ag.active() ? collective::collective(ag.op, g_dp, ag.bytes / units) : collective::Cost{};
    double t_rs = 0, t_ag = 0, t_last = 0;
    if (s.zero < 3) {
      t_rs = c.time;
      t_ag = gather.time;
      t_last = collective::collective(red.op, g_dp, std::min(red.bytes, kDdpBucketBytes)).time;
    } else {
      // ZeRO-3 / FSDP: the gathers and reductions of every micro-batch, unit by unit, on one
      // communication stream (zero3_ops).
      const Zero3Ops z = zero3_ops(*walk, plan, g_dp);
      dp_exposed += mb * z.exposed;
      dp_hidden += mb * (z.comm - z.exposed);
      r.zero3_comm_bound = z.comm > z.compute;
    }
    r.dp_algo = c.algo;
    r.dp_zplane = g_dp.hops > 0 && g_dp.hop[static_cast<std::size_t>(g_dp.hops - 1)].zplane;
    record(r.comm.dp, g_dp, red.op, red.bytes / units, c);
    r.comm.dp.traffic[0].calls = red.calls(mb, units);
    set_traffic(r.comm.dp.traffic[1], ag.op, ag.bytes / units, gather);
    r.comm.dp.traffic[1].calls = ag.calls(mb, units);
    // Bucketed reduction under the last micro-batch's backward; the parameter all-gather
    // (ZeRO-1/2) under the next forward.
    // ZeRO-2: every earlier micro-batch's reduction too, under the compute that follows it.
    const double earlier = s.zero == 2 ? mb - 1.0 : 0.0;
    const double rs_exposed = (overlap ? std::max(std::min(t_last, t_rs), t_rs - bwd) : t_rs) +
                              earlier * (overlap ? std::max(0.0, t_rs - (fwd + bwd + rec)) : t_rs);
    const double ag_exposed = overlap ? std::max(0.0, t_ag - fwd) : t_ag;
    dp_exposed += rs_exposed + ag_exposed;
    dp_hidden += std::max(0.0, (1.0 + earlier) * t_rs - rs_exposed) + (t_ag - ag_exposed);
  }
  r.breakdown.dp_comm = dp_exposed;
  r.hidden_comm = dp_hidden;

  // --- optimizer step: Adam, memory-bound over the local shard (docs/model.md#optimizer) ---
  const double P = plan.params.stage;
  const double opt_params = s.zero >= 1 ? P / plan.shards : P;
  r.breakdown.optimizer = mem_time(d, opt_params * optimizer_traffic(sw.optimizer_state_bytes)) + 10 * d.overhead;

  // --- memory per device and Dojo tiers: the Plan's. Prefetch hides streaming under
  // compute except the prologue: the first op's state must arrive before compute starts
  // (ops stand in for the transformer's layers) ---
  r.memory = plan.memory;
  r.placement = plan.placement;
  if (plan.placement.streams() || plan.stream_time > 0) {
    const double passes_w = (2.0 + plan.phi) * mb;
    const double prologue = plan.stream_time / std::max(1.0, passes_w * std::max(1.0, plan.ops));
    r.breakdown.memory_stream = std::max(prologue, plan.stream_time - r.breakdown.compute);
    r.placement.stream_hidden = plan.stream_time - r.breakdown.memory_stream;
  }

  // --- data ingest: the step's samples from the hosts to the DIPs over PCIe, prefetched
  // under the previous step (docs/model.md#ingest) ---
  if (sys.dip.count > 0 && sys.dip.host_link_bandwidth > 0) {
    double elems = 1;
    for (long long dim : net.input) elems *= static_cast<double>(dim);
    r.ingest_bytes = static_cast<double>(s.gbs) * elems * kIngestBytesPerElement;
    r.ingest_time = r.ingest_bytes / (static_cast<double>(sys.dip.count) * sys.dip.host_link_bandwidth);
    const double rest = r.breakdown.total();
    r.breakdown.ingest = std::max(0.0, r.ingest_time - rest);
    r.ingest_bound = r.breakdown.ingest > 0;
  }

  r.step_time = r.breakdown.total();
  detail::mark_overlap_risks(r);
  r.tokens_per_step = static_cast<double>(s.gbs);
  r.model_flops_per_step = net.training_flops() * r.tokens_per_step;
  r.hardware_flops_per_step =
      r.model_flops_per_step + (s.recompute == Recompute::full ? net.forward_flops() * r.tokens_per_step : 0.0);
  const double peak = sys.peak(s.precision == Precision::cfp8 ? Precision::cfp8 : Precision::bf16);
  r.mfu = r.model_flops_per_step / (r.step_time * peak);
  r.hfu = r.hardware_flops_per_step / (r.step_time * peak);
  return r;
}

void check_vision_keys(const Context& ctx, const Strategy& partial) {
  const auto& net = *ctx.net;
  // Keys that do not exist for vision networks: a clear error, not an empty search.
  const std::pair<const char*, int> fixed[] = {
      {"tp", partial.tp}, {"pp", partial.pp}, {"cp", partial.cp}, {"ep", partial.ep}, {"vp", partial.vp}};
  for (const auto& [key, v] : fixed)
    if (v != 1)
      throw core::InputError(core::Location{"--parallel", 0, 0, key},
                             fmt::format("{}={} is not available for vision networks ({}): they run data parallel (dp, zero) "
                                         "and spatially partitioned (spatial=N splits feature maps over N devices)",
                                         key, v, net.name),
                             "dp, spatial, mbs, gbs, zero and recompute", fmt::format("remove {}={}", key, v));
  if (partial.sp)
    throw core::InputError(core::Location{"--parallel", 0, 0, "sp"}, "sp=true (sequence parallelism) applies to transformers",
                           "dp, spatial, mbs, gbs, zero and recompute", "use spatial=N to split feature maps");
}

}  // namespace dojosim::engine
