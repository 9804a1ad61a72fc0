// The whole-step event engine (contract in engine/event.hpp; docs/model.md#whole-step).
//
// Each pipeline stage has one representative rank with a program: its passes in Megatron's
// order, layer by layer, as operations on a compute stream (compute, blocking collectives,
// waits) and on communication queues (DP buckets and ZeRO-3 gathers; DIP streams; the
// overlapped share of TP; CP rings), each queue running one transfer at a time. Transfers
// are collectives decomposed into phases of flows over every instance the representative
// stands for; all phases in flight share the graph with max-min fair rates, solved again
// whenever the set in flight changes (cached by that set).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <unordered_map>
#include <random>
#include <stdexcept>

#include "dojosim/collective/flows.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/engine/event.hpp"
#include "dojosim/workload/chakra.hpp"
#include "kernels.hpp"
#include "schedule.hpp"
#include "vision.hpp"

namespace dojosim::engine {

namespace {

using collective::Op;
using collective::flow::Instances;
using collective::flow::Phase;
using parallel::Strategy;

// What a stretch of a rank's compute stream was spent on (the Result's breakdown).
enum Cat : int { kCompute, kTp, kCp, kEp, kPp, kDp, kBubble, kOptimizer, kStream, kSpatial, kCats };
const char* cat_name(int c) {
  static const char* names[] = {"compute", "tp", "cp", "ep", "pp", "dp", "bubble", "optimizer", "stream", "spatial"};
  return names[c];
}

// A collective on every instance a stage's representative stands for.
struct Template {
  std::vector<Phase> phases;
  const char* name = "";
  int cat = kTp;
  // What it is, for the Chakra export: the collectives in order (operation, bytes per
  // member), the group ('t'p, 'c'p, 'e'p, 'd'p, 'p'p, 's'tream) and, for pipeline sends,
  // the receiving stage.
  std::vector<std::pair<Op, double>> ops;
  char group = 0;
  int to_stage = -1;
};

enum class K : unsigned char { compute, fixed, block, async, wait, send, recv };
struct Task {
  K kind = K::compute;
  int cat = kCompute;
  int tmpl = -1;      // block / async / send
  double scale = 1;   // bytes multiplier
  double repeat = 1;  // whole-collective repeats (rounds and latency scale too)
  double dur = 0;     // compute / fixed
  int queue = 0;      // async
  int token = -1;     // async (sets), wait (waits)
  int msg = -1;       // send (delivers), recv (waits)
  int label = -1;     // index into labels (trace), for compute tasks opening a pass
  double flops = 0;   // compute: FLOPs (the Chakra export's num_ops)
  double bytes = 0;   // compute: bytes of memory-bound work (the Chakra export's tensor_size)
};

struct Job {
  int tmpl = -1;
  std::size_t phase = 0;
  double scale = 1, repeat = 1;
  double lat_left = 0, work_left = 0;
  double rate = 0;
  double start = 0;
  int stage = 0;
  int owner_kind = 0;  // 0: blocks its stage, 1: async (token), 2: send (message)
  int token = -1, msg = -1, queue = -1;
  bool done = false;
};

constexpr int kQueues = 4;
// A phase with nothing to move and no time of its own is skipped.
bool skip(const Phase& p) { return p.empty() && p.fixed() <= 0; }  // 0: DP / ZeRO-3, 1: DIP streams, 2: overlapped TP, 3: CP ring

class Sim {
 public:
  Sim(const Context& ctx, const Plan& plan, const Result& a, const hardware::Graph& g, const StepOptions& opt, bool alone)
      : ctx_(ctx), plan_(plan), a_(a), g_(g), opt_(opt), alone_(alone), solver_(g) {}

  // Templates and programs (built once; shared by the contended and the reference runs).
  struct Built {
    std::vector<Template> tmpl;
    std::vector<std::vector<Task>> prog;  // per stage
    std::vector<std::string> labels;
    int tokens = 0, msgs = 0;
    std::vector<double> compute_scale;   // per stage: jitter-free straggler factor
    std::vector<std::size_t> phase_off;  // first phase id of each template (stable cache keys)
    // Phases that share a link (and so must be solved together), by phase id.
    std::vector<std::vector<char>> meets;
  };
  static Built build(const Context& ctx, const Plan& plan, const Result& a, const hardware::Graph& g, const StepOptions& opt,
                     StepStats* stats);
  // A vision network's step (data parallel over dp x spatial ranks, one stage).
  static Built build_vision(const Context& ctx, const Plan& plan, const Result& a, const hardware::Graph& g,
                            const StepOptions& opt, StepStats* stats);
  // Stable phase ids and which phases share a link (after the templates are built).
  static void index_phases(Built& b, const hardware::Graph& g);

  Result run(const Built& b, Timeline* tl, std::vector<double>* link_bytes, double* end_out);

 private:
  void refresh_rates(const Built& b);
  void start_job(const Built& b, Job j);
  const Context& ctx_;
  const Plan& plan_;
  const Result& a_;
  const hardware::Graph& g_;
  const StepOptions& opt_;
  bool alone_;
  collective::flow::Solver solver_;
  std::vector<Job> jobs_;
  std::vector<int> running_;  // job ids in flight
  bool dirty_ = true;
  struct KeyHash {
    std::size_t operator()(const std::vector<std::size_t>& k) const noexcept {
      std::size_t h = 1469598103934665603ULL;
      for (std::size_t x : k) h = (h ^ x) * 1099511628211ULL;
      return h;
    }
  };
  std::unordered_map<std::vector<std::size_t>, std::vector<double>, KeyHash> cache_;
  std::vector<int> ids_, comp_;
  std::vector<std::size_t> stack_, ckey_;
  std::vector<const Phase*> cact_;
  std::map<std::size_t, double> alone_rate_;
  std::vector<std::size_t> key_;
  std::vector<const Phase*> active_;
  std::vector<double> rate_;
  std::vector<std::vector<int>> queue_pending_;  // per stage*kQueues: job ids waiting
  std::vector<int> queue_busy_;                  // per stage*kQueues: running job or -1
  double now_ = 0;

 public:
  long long solves = 0, hits = 0;
  // Links whose utilisation is sampled at every change of rates (trace counters).
  std::vector<int> watch;
  std::vector<std::vector<std::pair<double, double>>> samples;
};

// Devices of the plan (every rank of the strategy, placed in order).
long long ranks_of(const Strategy& s) { return 1LL * s.tp * s.cp * s.pp * s.dp * s.spatial; }

void Sim::index_phases(Built& b, const hardware::Graph& g) {
  b.phase_off.assign(b.tmpl.size() + 1, 0);
  for (std::size_t i = 0; i < b.tmpl.size(); ++i) b.phase_off[i + 1] = b.phase_off[i] + b.tmpl[i].phases.size();
  {
    // Which phases share a link: max-min rates of phases that share none are independent,
    // so each connected group of phases in flight is solved (and cached) on its own.
    const std::size_t np = b.phase_off.back();
    b.meets.assign(np, std::vector<char>(np, 0));
    std::vector<std::vector<int>> on_link(g.links().size());
    for (std::size_t i = 0; i < b.tmpl.size(); ++i)
      for (std::size_t p = 0; p < b.tmpl[i].phases.size(); ++p) {
        const int id = static_cast<int>(b.phase_off[i] + p);
        for (const auto& c : b.tmpl[i].phases[p].classes)
          for (const auto& lc : c.load) {
            auto& v = on_link[static_cast<std::size_t>(lc.first)];
            if (v.empty() || v.back() != id) v.push_back(id);
          }
      }
    for (const auto& v : on_link)
      for (std::size_t x = 0; x < v.size(); ++x)
        for (std::size_t y = x + 1; y < v.size(); ++y) {
          b.meets[static_cast<std::size_t>(v[x])][static_cast<std::size_t>(v[y])] = 1;
          b.meets[static_cast<std::size_t>(v[y])][static_cast<std::size_t>(v[x])] = 1;
        }
  }
}

// A vision network's step (docs/model.md#whole-step-vision): one stage whose
// representative rank runs, per micro-batch, every op's forward and then backward as
// compute tasks, each spatial exchange (halo send-recv, key/value gathers, statistics
// reductions) as a blocking collective on its split's group with one instance per
// data-parallel replica, and the data-parallel collectives of the Plan's demands: ZeRO-0/1/2
// gradients reduced in DDP buckets during the last backward (the ZeRO-1/2 parameter gather
// under the first forward), ZeRO-3 per-op gathers prefetched one op ahead and per-op
// reduce-scatters; Dojo's DIP streams per op, prefetched. The per-op compute is
// price_vision's (vision_op_times), so with no link shared the two engines agree up to
// the schedule.
Sim::Built Sim::build_vision(const Context& ctx, const Plan& plan, const Result& a, const hardware::Graph& g,
                             const StepOptions& opt, StepStats* stats) {
  Built b;
  const Strategy& s = plan.strategy;
  const auto& net = *ctx.net;
  const auto& sys = *ctx.sys;
  const parallel::Software& sw = plan.sw;
  const int sp = s.spatial;
  const long long m = std::max<long long>(1, s.microbatches());
  const long long N = std::min<long long>(ranks_of(s), g.devices());
  const VisionKernels vk = vision_kernels(sys.device, sw, s);
  auto add = [&](std::vector<Phase> ph, const char* name, int cat, std::vector<std::pair<Op, double>> ops, char group) {
    for (const auto& p : ph) {
      if (stats == nullptr) continue;
      stats->flow_classes += static_cast<long long>(p.classes.size());
      for (const auto& c : p.classes)
        for (const auto& [l, n] : c.load) stats->flows += static_cast<long long>(n) * (g.link(l).from < g.devices() ? 1 : 0);
    }
    b.tmpl.push_back({std::move(ph), name, cat, std::move(ops), group, -1});
    return static_cast<int>(b.tmpl.size()) - 1;
  };
  // Spatial exchanges: one template per (collective, split, bytes), on the group of the
  // split's neighbouring devices, one instance per data-parallel replica.
  std::map<int, collective::Group> split_group;
  std::map<std::tuple<int, int, double>, int> exchange;
  auto spatial = [&](Op op, double split, double bytes, const char* name) {
    const int k = static_cast<int>(split);
    if (k <= 1 || bytes <= 0) return -1;
    const auto key = std::make_tuple(static_cast<int>(op), k, bytes);
    if (auto it = exchange.find(key); it != exchange.end()) return it->second;
    auto [gi, fresh] = split_group.try_emplace(k);
    if (fresh) gi->second = collective::place_group(sys, k, 1);
    Instances in;
    in.size = k;
    in.stride = 1;
    for (long long d = 0; d < N; d += sp) in.bases.push_back(d);
    // A halo exchange (Op::none here): every member sends its border rows to each
    // neighbour along the split, both directions at once; the ends have one neighbour.
    std::vector<Phase> ph;
    if (op == Op::none) {
      Phase halo;
      for (int i = 0; i + 1 < k; ++i)
        for (const auto& [from, to] : {std::pair{i, i + 1}, std::pair{i + 1, i}}) {
          Phase q = collective::flow::point_to_point(g, gi->second, bytes, in, from, to);
          if (halo.classes.empty()) {
            halo = std::move(q);
          } else {
            for (auto& c : q.classes) halo.classes.push_back(std::move(c));
            halo.latency = std::max(halo.latency, q.latency);
          }
        }
      halo.what = "halo exchange";
      ph.push_back(std::move(halo));
    } else {
      ph = collective::flow::decompose(g, gi->second, op, bytes, in);
    }
    const int id = add(std::move(ph), name, kSpatial, {{op == Op::none ? Op::send_recv : op, bytes}}, 'x');
    exchange.emplace(key, id);
    return id;
  };
  // Data parallel over the dp x spatial replicas: the Plan's demands, one template per
  // (collective, bytes) so that each call is priced at its own size (small calls at the
  // bus efficiency of a small message, as the closed form prices them).
  const Demand &red = plan.demands.dp[0], &ag = plan.demands.dp[1];
  const bool dp = red.active();
  std::map<std::pair<int, double>, int> dp_calls;
  auto dp_tmpl = [&](Op op, double bytes) {
    if (!dp || op == Op::none || bytes <= 0) return -1;
    const auto key = std::make_pair(static_cast<int>(op), bytes);
    if (auto it = dp_calls.find(key); it != dp_calls.end()) return it->second;
    Instances in;
    in.size = s.dp * sp;
    in.stride = 1;
    in.bases = {0};
    const char* name = op == Op::all_reduce       ? "dp all-reduce"
                       : op == Op::reduce_scatter ? (s.zero == 3 ? "zero3 reduce-scatter" : "dp reduce-scatter")
                                                  : (s.zero == 3 ? "zero3 gather" : "dp all-gather");
    const int id = add(collective::flow::decompose(g, plan.groups.dp, op, bytes, in), name, kDp, {{op, bytes}}, 'd');
    dp_calls.emplace(key, id);
    return id;
  };
  const bool overlap = s.overlap_dp && sw.dp_overlap;
  const bool prefetch = s.overlap_zero3 && sw.zero3_prefetch > 0;
  const double grad_bytes = dp ? red.bytes / plan.params.stage : 0.0;  // DDP buckets: the Plan's bytes per weight
  // Dojo: state streamed from DIP HBM (and host DRAM) per op and pass, as the Plan's tiers say.
  const auto& pl = plan.placement;
  int t_stream = -1;
  const double occurrences = 2.0 * static_cast<double>(m) * std::max(1.0, plan.ops);
  if (pl.streams()) {
    std::vector<long long> devs;
    for (long long d = 0; d < N; ++d) devs.push_back(d);
    // DIP HBM and host DRAM stream at once (the Plan's tiers: the slower sets the time):
    // the host phase adds only what the host takes beyond the DIP stream, as for a
    // transformer (a probe found the two summed: vit-h14 on a tray 1.8x the closed form).
    Phase host;
    const double dip_time = pl.stream_bandwidth > 0 ? pl.stream_bytes / pl.stream_bandwidth : 0.0;
    host.latency = std::max(0.0, plan.stream_time - dip_time) / occurrences;
    host.what = "host stream";
    t_stream = add({collective::flow::dip_stream(g, pl.stream_bytes / occurrences, devs, 0.0), host}, "DIP stream", kStream,
                   {{Op::none, pl.stream_bytes / occurrences}}, 's');
  }

  // Each op once: its compute per pass and its exchanges.
  struct Step {
    double fwd = 0, bwd = 0, kernels = 1, params = 0;
    bool norm = false, view = false;
    int halo = -1, gather = -1, scatter = -1, stats = -1, reduce = -1;
  };
  std::vector<Step> steps;
  steps.reserve(net.ops.size());
  for (const auto& o : net.ops) {
    const OpWork w = vision_op_work(o, s);
    const OpTimes t = vision_op_times(vk, o, w);
    Step st;
    st.kernels = w.kernels;
    st.fwd = t.fwd * w.kernels;
    st.bwd = t.bwd * w.kernels;
    st.params = o.params;
    st.norm = o.kind == workload::OpKind::norm;
    st.view = o.kind == workload::OpKind::view;
    if (w.halo_bytes > 0) st.halo = spatial(Op::none, w.split, w.halo_side_bytes, "halo exchange");
    st.gather = spatial(Op::all_gather, w.split, w.gather_bytes, "spatial all-gather");
    st.scatter = spatial(Op::reduce_scatter, w.split, w.gather_bytes, "spatial reduce-scatter");
    st.stats = spatial(Op::all_reduce, w.split, w.stats_bytes, "spatial all-reduce");
    st.reduce = spatial(Op::all_reduce, w.split, w.reduce_bytes, "spatial all-reduce");
    steps.push_back(st);
  }
  const int n = static_cast<int>(steps.size());
  // ZeRO-3's units (for_each_zero3_unit, as the analytical engine and the memory account
  // take them): each unit's weights gathered (per_layer times per micro-batch: the
  // forward's, and in the backward the rest) and its gradients reduced, by the Plan's bytes
  // per weight.
  struct Unit {
    int first = 0, last = 0, gather = -1, reduce = -1;
  };
  std::vector<Unit> units;
  std::vector<int> unit_starting(static_cast<std::size_t>(n), -1), unit_ending(static_cast<std::size_t>(n), -1);
  std::vector<int> with_params;  // units that gather weights
  if (s.zero == 3 && dp)
    for_each_zero3_unit(net, [&](std::size_t first, std::size_t last, double params) {
      Unit u{static_cast<int>(first), static_cast<int>(last), -1, -1};
      if (params > 0) {
        u.gather = dp_tmpl(ag.op, params * (ag.bytes / plan.params.stage));
        u.reduce = dp_tmpl(red.op, params * (red.bytes / plan.params.stage));
        with_params.push_back(static_cast<int>(units.size()));
      }
      unit_starting[first] = static_cast<int>(units.size());
      unit_ending[last] = static_cast<int>(units.size());
      units.push_back(u);
    });
  b.compute_scale.assign(1, 1.0 + (opt.straggler > 0 ? opt.straggler : 0.0));
  auto& prog = b.prog.emplace_back();
  // Dojo: each op's share of the streamed state, by what the tiers keep off the D1s (its
  // kept activations, its weights and their gradients and optimizer state), in repeats
  // of the stream template (the mean op's share of a pass).
  std::vector<double> share(static_cast<std::size_t>(n), 0.0);
  if (t_stream >= 0) {
    const bool acts = pl.activations != Tier::sram;
    const bool state = pl.weights != Tier::sram || pl.gradients != Tier::sram || pl.optimizer != Tier::sram;
    double sum = 0;
    for (int i = 0; i < n; ++i) {
      const auto& o = net.ops[static_cast<std::size_t>(i)];
      if (steps[static_cast<std::size_t>(i)].view) continue;
      const double w = (acts ? o.count * o.saved_elems : 0.0) + (state ? o.params : 0.0);
      share[static_cast<std::size_t>(i)] = w;
      sum += w;
    }
    for (int i = 0; i < n; ++i) {
      auto& x = share[static_cast<std::size_t>(i)];
      if (sum > 0)
        x = x / sum * std::max(1.0, plan.ops);
      else
        x = steps[static_cast<std::size_t>(i)].view ? 0.0 : 1.0;
    }
  }
  // A pass's streams are issued when it starts, in the order its ops need them, and each
  // op waits for its own (prefetch as deep as the DIP queue runs ahead of compute, as the
  // analytical engine assumes).
  auto stream_pass = [&](bool forward) {
    std::vector<int> tok(static_cast<std::size_t>(n), -1);
    if (t_stream < 0) return tok;
    for (int k = 0; k < n; ++k) {
      const int i = forward ? k : n - 1 - k;
      const double r = share[static_cast<std::size_t>(i)];
      if (r <= 0) continue;
      const int t = b.tokens++;
      prog.push_back(Task{K::async, kStream, t_stream, 1, r, 0, 1, t});
      tok[static_cast<std::size_t>(i)] = t;
    }
    return tok;
  };

  auto compute = [&](double dur, int cat = kCompute, int label = -1) {
    if (dur > 0 || label >= 0) prog.push_back(Task{K::compute, cat, -1, 1, 1, dur, 0, -1, -1, label});
  };
  auto block = [&](int tmpl, int cat, double scale = 1, double repeat = 1) {
    if (tmpl >= 0 && scale > 0 && repeat > 0) prog.push_back(Task{K::block, cat, tmpl, scale, repeat});
  };
  auto async = [&](int tmpl, int queue, double scale = 1, double repeat = 1) {
    if (tmpl < 0 || scale <= 0 || repeat <= 0) return -1;
    const int tok = b.tokens++;
    prog.push_back(Task{K::async, kDp, tmpl, scale, repeat, 0, queue, tok});
    return tok;
  };
  auto wait = [&](int tok, int cat) {
    if (tok >= 0) prog.push_back(Task{K::wait, cat, -1, 1, 1, 0, 0, tok});
  };
  // ZeRO-3 gathers of a pass, unit by unit: each unit's is issued one unit ahead under the
  // previous unit's compute (with the stack's prefetch) and waited for before its own.
  // `times` gathers of a unit run back to back as one transfer of that many repeats (the
  // backward's under full recompute: the recomputed forward's and the backward's), as
  // zero3_ops takes them.
  struct Ahead {
    double times = 1;
    std::map<int, int> tok;
  };
  auto before = [&](Ahead& x, int unit, bool forward) {
    if (s.zero != 3 || x.times <= 0) return;
    const auto it = std::find(with_params.begin(), with_params.end(), unit);
    if (it == with_params.end()) return;
    auto tmpl_of = [&](int u) { return units[static_cast<std::size_t>(u)].gather; };
    if (!prefetch) {
      block(tmpl_of(unit), kDp, 1, x.times);
      return;
    }
    if (!x.tok.count(unit)) x.tok[unit] = async(tmpl_of(unit), 0, 1, x.times);
    const auto next = forward ? (it + 1 != with_params.end() ? *(it + 1) : -1) : (it != with_params.begin() ? *(it - 1) : -1);
    if (next >= 0 && !x.tok.count(next)) x.tok[next] = async(tmpl_of(next), 0, 1, x.times);
    wait(x.tok[unit], kDp);
    x.tok.erase(unit);
  };
  auto exchange_fwd = [&](const Step& st) {
    block(st.halo, kSpatial, 1, st.kernels);
    block(st.gather, kSpatial, 1, st.kernels);
    block(st.stats, kSpatial, 1, st.kernels);
    block(st.reduce, kSpatial, 1, st.kernels);
  };
  auto exchange_bwd = [&](const Step& st) {
    block(st.halo, kSpatial, 1, st.kernels);
    block(st.scatter, kSpatial, 1, st.kernels);
    block(st.stats, kSpatial, 1, st.kernels);
    block(st.reduce, kSpatial, 1, st.kernels);
  };

  const bool zero3 = dp && s.zero == 3;
  const bool zero2 = dp && s.zero == 2;  // gradients reduce-scattered every micro-batch
  // ZeRO-1/2: the previous step's parameter gather runs under the first forward.
  const int ag_tok = s.zero > 0 && s.zero < 3 && overlap ? async(dp_tmpl(ag.op, ag.bytes), 0) : -1;
  std::vector<int> rs_tok;
  double bucket = 0;
  // Dojo: a pass's streams are issued as the pass before it reaches its last op (the
  // stream queue runs ahead across passes, as the transformer's does).
  std::vector<int> fs, bs;
  for (long long mb = 0; mb < m; ++mb) {
    Ahead gat;
    b.labels.push_back(fmt::format("F{}", mb));
    compute(0.0, kCompute, static_cast<int>(b.labels.size()) - 1);
    if (mb == 0) fs = stream_pass(true);
    for (int i = 0; i < n; ++i) {
      const auto& st = steps[static_cast<std::size_t>(i)];
      if (unit_starting[static_cast<std::size_t>(i)] >= 0) before(gat, unit_starting[static_cast<std::size_t>(i)], true);
      if (i == n - 1) bs = stream_pass(false);
      wait(fs[static_cast<std::size_t>(i)], kStream);
      compute(st.fwd);
      exchange_fwd(st);
    }
    if (mb == 0) wait(ag_tok, kDp);
    b.labels.push_back(fmt::format("B{}", mb));
    compute(0.0, kCompute, static_cast<int>(b.labels.size()) - 1);
    // The backward's gathers: the Plan's per unit and micro-batch less the forward's (under
    // full recompute, as it counts them, the recomputed forward's too).
    Ahead gbw{std::max(0.0, ag.per_layer - 1.0), {}};
    const bool last = mb == m - 1;
    std::vector<int> next_fs;
    for (int i = n - 1; i >= 0; --i) {
      const auto& st = steps[static_cast<std::size_t>(i)];
      if (unit_ending[static_cast<std::size_t>(i)] >= 0) before(gbw, unit_ending[static_cast<std::size_t>(i)], false);
      if (i == 0 && !last) next_fs = stream_pass(true);
      wait(bs[static_cast<std::size_t>(i)], kStream);
      if (s.recompute == parallel::Recompute::full) {
        compute(st.fwd);
        exchange_fwd(st);
      } else if (s.recompute == parallel::Recompute::selective && st.norm) {
        compute(st.fwd);
      }
      compute(st.bwd);
      exchange_bwd(st);
      const int ended = unit_starting[static_cast<std::size_t>(i)];  // the backward leaves the unit
      if (ended >= 0 && units[static_cast<std::size_t>(ended)].reduce >= 0) {
        const int tok = async(units[static_cast<std::size_t>(ended)].reduce, 0);
        if (prefetch)
          rs_tok.push_back(tok);
        else
          wait(tok, kDp);
      }
      // DDP buckets: each issued as its share of the whole reduction the Plan demands (the
      // closed form prices one call of every gradient, its buckets splitting its time).
      if (dp && !zero3 && (last || zero2) && overlap) {
        bucket += st.params * grad_bytes;
        if (bucket >= kDdpBucketBytes) {
          rs_tok.push_back(async(dp_tmpl(red.op, red.bytes), 0, 1, bucket / red.bytes));
          bucket = 0;
        }
      }
    }
    if (zero2 && !last) {
      if (!overlap) {
        block(dp_tmpl(red.op, red.bytes), kDp);
      } else if (bucket > 0) {
        rs_tok.push_back(async(dp_tmpl(red.op, red.bytes), 0, 1, bucket / red.bytes));
        bucket = 0;
      }
    }
    fs = std::move(next_fs);
  }
  if (dp && !zero3) {
    if (overlap) {
      if (bucket > 0) rs_tok.push_back(async(dp_tmpl(red.op, red.bytes), 0, 1, bucket / red.bytes));
    } else {
      block(dp_tmpl(red.op, red.bytes), kDp);
    }
  }
  for (int tok : rs_tok) wait(tok, kDp);
  compute(a.breakdown.optimizer, kOptimizer);
  if (s.zero > 0 && s.zero < 3 && !overlap) block(dp_tmpl(ag.op, ag.bytes), kDp);
  if (static_cast<long long>(prog.size()) > kMaxStepTasks)
    throw core::Unsupported(
        {"--engine", 0, 0, "engine"},
        fmt::format("the whole-step event engine would simulate more than {} tasks ({} micro-batches of {} ops)", kMaxStepTasks,
                    m, n),
        "--engine analytical, or fewer micro-batches");
  index_phases(b, g);
  if (stats != nullptr) {
    stats->tasks = static_cast<long long>(prog.size());
    stats->ranks = 1;
    stats->links = g.links().size();
  }
  return b;
}

Sim::Built Sim::build(const Context& ctx, const Plan& plan, const Result& a, const hardware::Graph& g, const StepOptions& opt,
                      StepStats* stats) {
  Built b;
  const Strategy& s = plan.strategy;
  const auto& P = a.pipeline;
  const int pp = s.pp, vp = s.vp, nv = pp * vp;
  const long long m = std::max<long long>(1, s.microbatches());
  const long long N = std::min<long long>(ranks_of(s), g.devices());
  using SK = Strategy::Kind;
  const long long st_pp = s.stride(SK::pp), st_tp = s.stride(SK::tp), st_cp = s.stride(SK::cp), st_dp = s.stride(SK::dp);
  const auto& order = s.order;
  const auto pos = [&](SK k) { return std::find(order.begin(), order.end(), k) - order.begin(); };
  const bool cp_dp_adjacent = pos(SK::dp) == pos(SK::cp) + 1;
  const long long st_dpg = s.cp > 1 && cp_dp_adjacent ? st_cp : st_dp;
  auto stage_of = [&](long long d) { return static_cast<int>((d / st_pp) % pp); };
  // Instances of a group (size, stride) among the ranks of stage st (st < 0: stage 0's
  // bases of the pipeline group).
  auto instances = [&](int size, long long stride, int st) {
    Instances in;
    in.size = size;
    in.stride = stride;
    for (long long d = 0; d < N; ++d)
      if ((st < 0 || stage_of(d) == st) && (d / stride) % size == 0) in.bases.push_back(d);
    return in;
  };
  auto add = [&](std::vector<Phase> ph, const char* name, int cat, std::vector<std::pair<Op, double>> ops = {}, char group = 0,
                 int to = -1) {
    for (const auto& p : ph) {
      if (stats == nullptr) continue;
      stats->flow_classes += static_cast<long long>(p.classes.size());
      for (const auto& c : p.classes)
        for (const auto& [l, n] : c.load) stats->flows += static_cast<long long>(n) * (g.link(l).from < g.devices() ? 1 : 0);
    }
    b.tmpl.push_back({std::move(ph), name, cat, std::move(ops), group, to});
    return static_cast<int>(b.tmpl.size()) - 1;
  };
  auto concat = [](std::vector<Phase> x, std::vector<Phase> y) {
    for (auto& p : y) x.push_back(std::move(p));
    return x;
  };
  const auto& C = a.comm;
  const bool dojo_stream = (P.stream_bytes_per_layer > 0 && g.dips() > 0) || P.host_time_per_layer > 0;
  // Per stage templates.
  struct StageT {
    int tp = -1, cp = -1, ep = -1, dp_rs = -1, dp_ag = -1, z_ag = -1, z_rs = -1, pp_next = -1, pp_prev = -1, stream = -1;
  };
  std::vector<StageT> T(static_cast<std::size_t>(pp));
  const double layer_params = plan.params.layer;
  const bool zero2 = s.zero == 2;  // gradients reduce-scattered every micro-batch (t.dp_rs exists only with dp*cp > 1)
  for (int st = 0; st < pp; ++st) {
    auto& t = T[static_cast<std::size_t>(st)];
    if (s.tp > 1 && C.tp.active()) {
      auto in = instances(s.tp, st_tp, st);
      std::vector<Phase> ph;
      std::vector<std::pair<Op, double>> ops;
      for (const auto& tr : C.tp.traffic)
        if (tr.op != Op::none) {
          ph = concat(std::move(ph), collective::flow::decompose(g, C.tp.group, tr.op, tr.bytes, in));
          ops.emplace_back(tr.op, tr.bytes);
        }
      t.tp = add(std::move(ph), "tp", kTp, std::move(ops), 't');
    }
    if (s.cp > 1 && C.cp.active())
      t.cp = add(collective::flow::decompose(g, C.cp.group, Op::send_recv, C.cp.traffic[0].bytes, instances(s.cp, st_cp, st)),
                 "cp ring", kCp, {{Op::send_recv, C.cp.traffic[0].bytes}}, 'c');
    if (s.ep > 1 && C.ep.active())
      t.ep = add(collective::flow::decompose(g, C.ep.group, Op::all_to_all, C.ep.traffic[0].bytes,
                                             instances(s.ep, std::max<long long>(1, s.ep_stride()), st)),
                 "ep all-to-all", kEp, {{Op::all_to_all, C.ep.traffic[0].bytes}}, 'e');
    if (s.dp * s.cp > 1) {
      const int size = s.dp * s.cp;
      auto in = instances(size, st_dpg, st);
      if (s.zero == 3) {
        // One layer's parameter gather and gradient reduce-scatter, as the Plan demands them.
        const double unit_bytes = C.dp.traffic[1].bytes, grad_bytes = C.dp.traffic[0].bytes;
        t.z_ag = add(collective::flow::decompose(g, C.dp.group, Op::all_gather, unit_bytes, in), "zero3 gather", kDp,
                     {{Op::all_gather, unit_bytes}}, 'd');
        t.z_rs = add(collective::flow::decompose(g, C.dp.group, Op::reduce_scatter, grad_bytes, in), "zero3 reduce-scatter", kDp,
                     {{Op::reduce_scatter, grad_bytes}}, 'd');
      } else {
        t.dp_rs =
            add(collective::flow::decompose(g, C.dp.group, s.zero == 0 ? Op::all_reduce : Op::reduce_scatter,
                                            layer_params * detail::grad_bytes(s.zero, plan.sw), in),
                s.zero == 0 ? "dp all-reduce" : "dp reduce-scatter", kDp,
                {{s.zero == 0 ? Op::all_reduce : Op::reduce_scatter, layer_params * detail::grad_bytes(s.zero, plan.sw)}}, 'd');
        if (s.zero > 0)
          t.dp_ag = add(collective::flow::decompose(g, C.dp.group, Op::all_gather, layer_params * 2.0, in), "dp all-gather", kDp,
                        {{Op::all_gather, layer_params * 2.0}}, 'd');
      }
    }
    if (dojo_stream) {
      std::vector<long long> devs;
      for (long long d = 0; d < N; ++d)
        if (stage_of(d) == st) devs.push_back(d);
      // DIP HBM over the graph, then the host DRAM share over PCIe (not on the graph: a
      // latency-only phase of its transfer time).
      Phase host;
      host.latency = P.host_time_per_layer;
      host.what = "host stream";
      t.stream = add({collective::flow::dip_stream(g, P.stream_bytes_per_layer, devs, 0.0), host}, "DIP stream", kStream,
                     {{Op::none, P.stream_bytes_per_layer}}, 's');
    }
  }
  if (pp > 1 && C.pp.active()) {
    auto in = instances(s.pp, st_pp, -1);
    in.bases.erase(std::remove_if(in.bases.begin(), in.bases.end(), [&](long long d) { return stage_of(d) != 0; }),
                   in.bases.end());
    const double bytes = C.pp.traffic[0].bytes;
    for (int st = 0; st < pp; ++st) {
      T[static_cast<std::size_t>(st)].pp_next =
          add({collective::flow::point_to_point(g, C.pp.group, bytes, in, st, (st + 1) % pp)}, "pp send", kPp,
              {{Op::send_recv, bytes}}, 'p', (st + 1) % pp);
      T[static_cast<std::size_t>(st)].pp_prev =
          add({collective::flow::point_to_point(g, C.pp.group, bytes, in, st, (st + pp - 1) % pp)}, "pp send", kPp,
              {{Op::send_recv, bytes}}, 'p', (st + pp - 1) % pp);
    }
  }
  // Straggler: one stage, drawn from the seed, computes slower.
  b.compute_scale.assign(static_cast<std::size_t>(pp), 1.0);
  if (opt.straggler > 0) {
    std::mt19937_64 rng(opt.seed);
    b.compute_scale[static_cast<std::size_t>(rng() % static_cast<unsigned long long>(pp))] = 1.0 + opt.straggler;
  }
  // Programs.
  const auto per_v = detail::layers_per_virtual_stage(ctx.model != nullptr ? ctx.model->layers : 1, pp, vp);
  auto msg_id = [&](int v, long long mb, bool fwd) {
    return static_cast<int>((static_cast<long long>(v) * m + mb) * 2 + (fwd ? 0 : 1));
  };
  b.msgs = nv * static_cast<int>(m) * 2;
  long long total_tasks = 0;
  for (int st = 0; st < pp; ++st) {
    const auto& t = T[static_cast<std::size_t>(st)];
    auto& prog = b.prog.emplace_back();
    auto compute = [&](double dur, int cat = kCompute, int label = -1, double flops = 0, double bytes = 0) {
      if (dur > 0 || label >= 0) prog.push_back(Task{K::compute, cat, -1, 1, 1, dur, 0, -1, -1, label, flops, bytes});
    };
    auto fixed = [&](double dur, int cat) {
      if (dur > 0) prog.push_back(Task{K::fixed, cat, -1, 1, 1, dur});
    };
    auto block = [&](int tmpl, int cat, double scale = 1, double repeat = 1) {
      if (tmpl >= 0 && scale > 0 && repeat > 0) prog.push_back(Task{K::block, cat, tmpl, scale, repeat});
    };
    auto async = [&](int tmpl, int queue, double scale = 1, double repeat = 1) {
      if (tmpl < 0 || scale <= 0) return -1;
      const int tok = b.tokens++;
      prog.push_back(Task{K::async, kDp, tmpl, scale, repeat, 0, queue, tok});
      return tok;
    };
    auto wait = [&](int tok, int cat) {
      if (tok >= 0) prog.push_back(Task{K::wait, cat, -1, 1, 1, 0, 0, tok});
    };
    // One layer's pass: its compute, the CP ring under the attention core only (the GEMMs
    // around it need the whole chunk, as the closed form hides it), the exposed activation
    // offload, the TP calls and the MoE all-to-alls. With TP overlap (Transformer Engine)
    // each call sits between the layer's GEMMs: its exposed share blocks, its overlapped
    // share runs under the compute that follows, not beside the next call (a probe found
    // one TP group contending with itself, 8% on llama3-8b tp=8 in one node).
    auto layer = [&](double total, double attn_core, double cp_repeat, int calls, double offload, double flops, double bytes) {
      const bool split_tp = t.tp >= 0 && calls > 0 && P.tp_exposed < 1;
      const int parts = split_tp ? calls : 1;
      const bool cp_under_attention = t.cp >= 0 && P.cp_overlap;
      const double attn = cp_under_attention ? std::min(attn_core, total) : 0.0;
      const double share = (total - attn) / parts;
      // The layer's FLOPs and memory-bound bytes, spread over its compute by time.
      const double per_s = total > 0 ? flops / total : 0.0, bytes_per_s = total > 0 ? bytes / total : 0.0;
      for (int i = 0; i < parts; ++i) {
        compute(share, kCompute, -1, share * per_s, share * bytes_per_s);
        if (i == 0 && cp_under_attention) {
          const int tok = async(t.cp, 3, 1, cp_repeat);
          compute(attn, kCompute, -1, attn * per_s, attn * bytes_per_s);
          wait(tok, kCp);
        } else if (i == 0) {
          block(t.cp, kCp, 1, cp_repeat);
        }
        if (split_tp) {
          block(t.tp, kTp, P.tp_exposed);
          async(t.tp, 2, 1.0 - P.tp_exposed);
        }
      }
      fixed(offload, kStream);  // exposed activation offload (forward) or reload (backward) to the host (GPUs)
      if (!split_tp)
        for (int i = 0; i < calls; ++i) block(t.tp, kTp, P.tp_exposed);
      block(t.ep, kEp, 1, 2);
    };
    // Data parallel: parameter gathers of the previous step's update run under the first
    // micro-batch's forward (overlapped), bucket by layer.
    const int layers_here = [&] {
      int n = 0;
      for (int c = 0; c < vp; ++c) n += per_v[static_cast<std::size_t>(c * pp + st)];
      return n;
    }();
    std::vector<int> ag_tok;
    if (t.dp_ag >= 0 && P.dp_overlap)
      for (int l = 0; l < layers_here; ++l) ag_tok.push_back(async(t.dp_ag, 0));
    std::vector<int> rs_tok;
    int layer_base_of_chunk[64] = {0};
    {
      int acc = 0;
      for (int c = 0; c < vp && c < 64; ++c) {
        layer_base_of_chunk[c] = acc;
        acc += per_v[static_cast<std::size_t>(c * pp + st)];
      }
    }
    const auto passes = detail::stage_order(st, pp, vp, m);
    // The embedding's and head's parameters beyond the stage's layers (first and last stage),
    // in layers' worth: reduced with the last gradient bucket.
    const double extra = std::max(0.0, plan.params.stage - plan.split.max * plan.params.layer);
    const double extra_scale = layer_params > 0 && (st == 0 || st == pp - 1) ? extra / layer_params : 0.0;
    // The steady 1F1B phase: from the first backward pass to the last forward pass. Its
    // sends are exposed by pp_steady_exposed (interleaved schedules with steady-phase
    // overlap hide them), the fill's and the flush's by pp_exposed.
    std::size_t first_bwd = passes.size(), last_fwd = 0;
    for (std::size_t pi = 0; pi < passes.size(); ++pi) {
      if (!passes[pi].forward && first_bwd == passes.size()) first_bwd = pi;
      if (passes[pi].forward) last_fwd = pi;
    }
    // Dojo: the stream runs one layer ahead across passes too: the last layer of a pass
    // issues the first layer's stream of the next pass on this stage.
    int carried = -1;
    for (std::size_t pi = 0; pi < passes.size(); ++pi) {
      const auto& pass = passes[pi];
      const double send_exposed = pi >= first_bwd && pi <= last_fwd ? P.pp_steady_exposed : P.pp_exposed;
      auto next_pass_stream = [&] {
        if (pi + 1 >= passes.size()) return -1;
        return async(t.stream, 1, 1.0, passes[pi + 1].forward ? 1.0 : P.stream_passes_bwd);
      };
      const int v = pass.chunk * pp + st;
      const int n = per_v[static_cast<std::size_t>(v)];
      const int base = layer_base_of_chunk[std::min(pass.chunk, 63)];
      b.labels.push_back(fmt::format("{}{}{}", pass.forward ? "F" : "B", pass.mb, vp > 1 ? fmt::format(".c{}", pass.chunk) : ""));
      const int label = static_cast<int>(b.labels.size()) - 1;
      if (pass.forward) {
        if (v > 0) {
          prog.push_back(Task{K::recv, kBubble, -1, 1, 1, 0, 0, -1, msg_id(v - 1, pass.mb, true)});
          fixed(P.p2p_gather, kPp);
        }
        compute(v == 0 ? P.embed / 3.0 : 0.0, kCompute, label, 0.0, v == 0 ? P.embed_bytes : 0.0);
        int z_next = -1, s_next = -1;
        for (int l = 0; l < n; ++l) {
          if (t.z_ag >= 0) {
            if (P.zero3_prefetch) {
              if (l == 0) z_next = async(t.z_ag, 0);
              const int cur = z_next;
              z_next = l + 1 < n ? async(t.z_ag, 0) : -1;
              wait(cur, kDp);
            } else {
              block(t.z_ag, kDp);
            }
          }
          if (t.stream >= 0) {
            if (l == 0) s_next = carried >= 0 ? carried : async(t.stream, 1);
            const int cur = s_next;
            s_next = l + 1 < n ? async(t.stream, 1) : -1;
            if (l + 1 == n) carried = next_pass_stream();
            wait(cur, kStream);
          }
          if (!ag_tok.empty() && pass.mb == 0) wait(ag_tok[static_cast<std::size_t>(base + l)], kDp);
          layer(P.compute_fwd, P.attn_fwd, P.cp_hops, static_cast<int>(P.tp_calls_fwd), P.offload_fwd, P.flops_fwd, P.bytes_fwd);
        }
        if (v == nv - 1) {
          compute(P.head_compute_fwd, kCompute, -1, P.head_flops);
          fixed(0.5 * P.head_comm, kTp);
        } else {
          prog.push_back(Task{K::send, kPp, t.pp_next, 1, 1, send_exposed, 0, -1, msg_id(v, pass.mb, true)});
        }
      } else {
        if (v < nv - 1) {
          prog.push_back(Task{K::recv, kBubble, -1, 1, 1, 0, 0, -1, msg_id(v + 1, pass.mb, false)});
          fixed(P.p2p_gather, kPp);
          compute(0.0, kCompute, label);
        } else {
          compute(P.head_compute_bwd, kCompute, label, 2.0 * P.head_flops);
          fixed(0.5 * P.head_comm, kTp);
        }
        int z_next = -1, s_next = -1;
        const bool last_mb = pass.mb == m - 1;
        for (int l = n - 1; l >= 0; --l) {
          if (t.z_ag >= 0) {
            if (P.zero3_prefetch) {
              if (l == n - 1) z_next = async(t.z_ag, 0);
              const int cur = z_next;
              z_next = l > 0 ? async(t.z_ag, 0) : -1;
              wait(cur, kDp);
            } else {
              block(t.z_ag, kDp);
            }
          }
          if (t.stream >= 0) {
            // The backward's stream carries the recomputed forward's too.
            if (l == n - 1) s_next = carried >= 0 ? carried : async(t.stream, 1, 1.0, P.stream_passes_bwd);
            const int cur = s_next;
            s_next = l > 0 ? async(t.stream, 1, 1.0, P.stream_passes_bwd) : -1;
            if (l == 0) carried = next_pass_stream();
            wait(cur, kStream);
          }
          layer(P.compute_bwd, P.attn_bwd, 2.0 * P.cp_hops, static_cast<int>(std::lround(P.tp_calls_bwd)), P.offload_bwd,
                P.flops_bwd, P.bytes_bwd);
          if (t.z_rs >= 0) {
            const int tok = async(t.z_rs, 0);
            if (P.zero3_prefetch)
              rs_tok.push_back(tok);
            else
              wait(tok, kDp);
          }
          // ZeRO-2 keeps only its shard of the gradients, so every micro-batch's are
          // reduce-scattered after its backward; ZeRO-0/1 reduce the accumulated ones once.
          if (t.dp_rs >= 0 && (last_mb || zero2)) {
            if (P.dp_overlap)
              rs_tok.push_back(async(t.dp_rs, 0));
            else if (zero2)
              block(t.dp_rs, kDp);
          }
        }
        if (v == 0) compute(2.0 * P.embed / 3.0, kCompute, -1, 0.0, 2.0 * P.embed_bytes);
        if (zero2 && v == 0 && t.dp_rs >= 0 && extra_scale > 0 && !last_mb) {
          if (P.dp_overlap)
            rs_tok.push_back(async(t.dp_rs, 0, extra_scale));
          else
            block(t.dp_rs, kDp, extra_scale);
        }
        if (v > 0) prog.push_back(Task{K::send, kPp, t.pp_prev, 1, 1, send_exposed, 0, -1, msg_id(v, pass.mb, false)});
      }
    }
    // End of step: gradients reduced (the embedding's and head's with the last bucket),
    // the optimizer, and without overlap the parameter gather.
    if (t.dp_rs >= 0) {
      if (P.dp_overlap) {
        if (extra_scale > 0) rs_tok.push_back(async(t.dp_rs, 0, extra_scale));
      } else if (!zero2) {
        block(t.dp_rs, kDp, layers_here + extra_scale);
      } else if (extra_scale > 0) {
        block(t.dp_rs, kDp, extra_scale);
      }
    }
    if (t.z_rs >= 0 && extra_scale > 0) rs_tok.push_back(async(t.z_rs, 0, extra_scale));
    for (int tok : rs_tok) wait(tok, kDp);
    compute(P.optimizer, kOptimizer, -1, 0.0, P.optimizer_bytes);
    if (t.dp_ag >= 0 && !P.dp_overlap) block(t.dp_ag, kDp, layers_here + extra_scale);
    total_tasks += static_cast<long long>(prog.size());
    if (total_tasks > kMaxStepTasks)
      throw core::Unsupported(
          {"--engine", 0, 0, "engine"},
          fmt::format("the whole-step event engine would simulate more than {} tasks ({} micro-batches, {} stages, {} layers)",
                      kMaxStepTasks, m, pp, ctx.model != nullptr ? ctx.model->layers : 0),
          "--engine analytical, or fewer micro-batches");
  }
  index_phases(b, g);
  if (stats != nullptr) {
    stats->tasks = total_tasks;
    stats->ranks = pp;
    stats->links = g.links().size();
  }
  return b;
}

void Sim::refresh_rates(const Built& b) {
  if (!dirty_) return;
  dirty_ = false;
  auto& ids = ids_;
  ids.clear();
  for (int j : running_) {
    const Job& job = jobs_[static_cast<std::size_t>(j)];
    if (job.lat_left <= 0 && job.work_left > 0) ids.push_back(j);
  }
  auto pid = [&](int j) {
    const Job& job = jobs_[static_cast<std::size_t>(j)];
    return b.phase_off[static_cast<std::size_t>(job.tmpl)] + job.phase;
  };
  auto phase = [&](int j) {
    const Job& job = jobs_[static_cast<std::size_t>(j)];
    return &b.tmpl[static_cast<std::size_t>(job.tmpl)].phases[job.phase];
  };
  // Stable keys (phase ids, not addresses): the same set solves the same way every run.
  std::sort(ids.begin(), ids.end(), [&](int x, int y) { return pid(x) < pid(y) || (pid(x) == pid(y) && x < y); });
  key_.clear();
  active_.clear();
  for (int j : ids) {
    key_.push_back(pid(j));
    active_.push_back(phase(j));
  }
  if (alone_) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto it = alone_rate_.find(key_[i]);
      if (it == alone_rate_.end()) {
        solver_.solve({active_[i]}, rate_);
        it = alone_rate_.emplace(key_[i], rate_[0]).first;
        ++solves;
      } else {
        ++hits;
      }
      jobs_[static_cast<std::size_t>(ids[i])].rate = it->second;
    }
  } else {
    // Connected groups of phases (sharing links, directly or through others), each solved
    // and cached on its own.
    const std::size_t n = ids.size();
    auto& comp = comp_;
    comp.assign(n, -1);
    int ncomp = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (comp[i] >= 0) continue;
      comp[i] = ncomp;
      auto& stack = stack_;
      stack.assign(1, i);
      while (!stack.empty()) {
        const std::size_t x = stack.back();
        stack.pop_back();
        for (std::size_t y = 0; y < n; ++y)
          if (comp[y] < 0 && (key_[x] == key_[y] || b.meets[key_[x]][key_[y]])) {
            comp[y] = ncomp;
            stack.push_back(y);
          }
      }
      ++ncomp;
    }
    auto& ckey = ckey_;
    auto& cact = cact_;
    for (int c = 0; c < ncomp; ++c) {
      ckey.clear();
      cact.clear();
      for (std::size_t i = 0; i < n; ++i)
        if (comp[i] == c) {
          ckey.push_back(key_[i]);
          cact.push_back(active_[i]);
        }
      auto it = cache_.find(ckey);
      if (it == cache_.end()) {
        solver_.solve(cact, rate_);
        it = cache_.emplace(ckey, rate_).first;
        ++solves;
      } else {
        ++hits;
      }
      std::size_t k = 0;
      for (std::size_t i = 0; i < n; ++i)
        if (comp[i] == c) jobs_[static_cast<std::size_t>(ids[i])].rate = it->second[k++];
    }
  }
  if (!watch.empty()) {
    samples.resize(watch.size());
    for (std::size_t w = 0; w < watch.size(); ++w) {
      double use = 0;
      for (std::size_t i = 0; i < ids.size(); ++i) {
        const double r = jobs_[static_cast<std::size_t>(ids[i])].rate;
        if (!std::isfinite(r)) continue;
        for (const auto& c : active_[i]->classes) {
          const auto it = std::lower_bound(c.load.begin(), c.load.end(), std::make_pair(watch[w], 0.0f),
                                           [](const auto& x, const auto& y) { return x.first < y.first; });
          if (it != c.load.end() && it->first == watch[w]) use += r * active_[i]->efficiency * it->second;
        }
      }
      samples[w].emplace_back(now_, use / g_.link(watch[w]).bandwidth);
    }
  }
}

void Sim::start_job(const Built& b, Job j) {
  const auto& t = b.tmpl[static_cast<std::size_t>(j.tmpl)];
  // Skip empty phases.
  while (j.phase < t.phases.size() && skip(t.phases[j.phase])) ++j.phase;
  if (j.phase >= t.phases.size()) {
    j.done = true;
  } else {
    const Phase& p = t.phases[j.phase];
    j.lat_left = p.fixed() * j.repeat;
    j.work_left = p.work() * j.scale * j.repeat;
  }
  j.start = now_;
  jobs_.push_back(j);
  if (!j.done) {
    running_.push_back(static_cast<int>(jobs_.size()) - 1);
    dirty_ = true;
  }
}

Result Sim::run(const Built& b, Timeline* tl, std::vector<double>* link_bytes, double* end_out) {
  const Strategy& s = plan_.strategy;
  const int pp = s.pp;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::vector<double> token_done(static_cast<std::size_t>(b.tokens), -1.0), msg_done(static_cast<std::size_t>(b.msgs), -1.0);
  queue_pending_.assign(static_cast<std::size_t>(pp * kQueues), {});
  queue_busy_.assign(static_cast<std::size_t>(pp * kQueues), -1);
  std::vector<std::size_t> pc(static_cast<std::size_t>(pp), 0), qhead(static_cast<std::size_t>(pp * kQueues), 0);
  std::vector<double> busy_until(static_cast<std::size_t>(pp), -1.0), block_start(static_cast<std::size_t>(pp), 0.0),
      end(static_cast<std::size_t>(pp), -1.0);
  std::vector<int> blocked_job(static_cast<std::size_t>(pp), -1), blocked_token(static_cast<std::size_t>(pp), -1),
      blocked_msg(static_cast<std::size_t>(pp), -1), block_cat(static_cast<std::size_t>(pp), kCompute),
      busy_cat(static_cast<std::size_t>(pp), kCompute);
  std::vector<std::array<double, kCats>> spent(static_cast<std::size_t>(pp));
  for (auto& x : spent) x.fill(0.0);
  // Overlapped communication: per stage and queue, the time its jobs ran and the time the
  // stage waited for them; what ran and was not waited for was hidden under compute.
  std::vector<std::array<double, kQueues>> queue_ran(static_cast<std::size_t>(pp)), queue_waited(static_cast<std::size_t>(pp));
  for (auto& x : queue_ran) x.fill(0.0);
  for (auto& x : queue_waited) x.fill(0.0);
  std::vector<int> token_queue(static_cast<std::size_t>(b.tokens), -1);
  const auto& phase_off = b.phase_off;
  std::vector<double> phase_bytes(phase_off.back(), 0.0);  // per phase: bytes each of its flows moved
  std::mt19937_64 rng(opt_.seed * 0x9E3779B97F4A7C15ULL + 1);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> pass_start(static_cast<std::size_t>(pp), -1.0);
  std::vector<int> pass_label(static_cast<std::size_t>(pp), -1);
  auto close_pass = [&](int st) {
    const auto su = static_cast<std::size_t>(st);
    if (tl != nullptr && pass_label[su] >= 0) {
      const auto& lab = b.labels[static_cast<std::size_t>(pass_label[su])];
      tl->events.push_back({lab, lab[0] == 'F' ? "forward" : "backward", st, pass_start[su], now_ - pass_start[su]});
    }
    pass_label[su] = -1;
  };
  auto finish_job = [&](int id) {
    Job& j = jobs_[static_cast<std::size_t>(id)];
    j.done = true;
    if (tl != nullptr && now_ > j.start)
      tl->events.push_back({b.tmpl[static_cast<std::size_t>(j.tmpl)].name, cat_name(b.tmpl[static_cast<std::size_t>(j.tmpl)].cat),
                            pp + j.stage * (kQueues + 1) + (j.queue >= 0 ? j.queue : kQueues), j.start, now_ - j.start});
    if (j.owner_kind == 1) token_done[static_cast<std::size_t>(j.token)] = now_;
    if (j.queue >= 0) queue_ran[static_cast<std::size_t>(j.stage)][static_cast<std::size_t>(j.queue)] += now_ - j.start;
    if (j.owner_kind == 2) msg_done[static_cast<std::size_t>(j.msg)] = now_;
    if (j.queue >= 0) {
      const auto q = static_cast<std::size_t>(j.stage * kQueues + j.queue);
      queue_busy_[q] = -1;
      if (qhead[q] < queue_pending_[q].size()) {
        const int next = queue_pending_[q][qhead[q]++];
        Job nj = jobs_[static_cast<std::size_t>(next)];
        nj.start = now_;
        // Re-issue the queued job (its slot in jobs_ stays a placeholder).
        jobs_[static_cast<std::size_t>(next)].done = true;
        queue_busy_[q] = static_cast<int>(jobs_.size());
        start_job(b, nj);
        if (jobs_.back().done) {
          queue_busy_[q] = -1;
          token_done[static_cast<std::size_t>(nj.token)] = now_;
        }
      }
    }
  };
  // Jobs that are queued but not started are kept in jobs_ as placeholders (done=false,
  // not running).
  long long guard = 0, stalls = 0;
  std::vector<int> finished;
  while (true) {
    // 1. Run every free stage's program until it blocks.
    guard = 0;
    bool changed = true;
    while (changed) {
      changed = false;
      for (int st = 0; st < pp; ++st) {
        const auto su = static_cast<std::size_t>(st);
        if (end[su] >= 0 || busy_until[su] > now_) continue;
        // Resolve a block.
        if (blocked_job[su] >= 0) {
          if (!jobs_[static_cast<std::size_t>(blocked_job[su])].done) continue;
          blocked_job[su] = -1;
        }
        if (blocked_token[su] >= 0) {
          if (token_done[static_cast<std::size_t>(blocked_token[su])] < 0) continue;
          const int q = token_queue[static_cast<std::size_t>(blocked_token[su])];
          if (q >= 0 && now_ > block_start[su]) queue_waited[su][static_cast<std::size_t>(q)] += now_ - block_start[su];
          blocked_token[su] = -1;
        }
        if (blocked_msg[su] >= 0) {
          if (msg_done[static_cast<std::size_t>(blocked_msg[su])] < 0) continue;
          blocked_msg[su] = -1;
        }
        if (now_ > block_start[su]) spent[su][static_cast<std::size_t>(busy_cat[su])] += now_ - block_start[su];
        block_start[su] = now_;
        busy_cat[su] = kCompute;
        const auto& prog = b.prog[su];
        const std::size_t pc0 = pc[su];
        bool stop = false;
        while (!stop && pc[su] < prog.size()) {
          const Task& t = prog[pc[su]++];
          switch (t.kind) {
            case K::compute: {
              if (t.label >= 0) {
                close_pass(st);
                pass_label[su] = t.label;
                pass_start[su] = now_;
              }
              double d = t.dur * b.compute_scale[su];
              if (opt_.jitter > 0 && d > 0) d *= std::max(0.1, 1.0 + opt_.jitter * normal(rng));
              if (d > 0) {
                busy_until[su] = now_ + d;
                busy_cat[su] = t.cat;
                stop = true;
              }
              break;
            }
            case K::fixed:
              busy_until[su] = now_ + t.dur;
              busy_cat[su] = t.cat;
              stop = true;
              break;
            case K::block:
            case K::send: {
              Job j;
              j.tmpl = t.tmpl;
              j.scale = t.scale;
              j.repeat = t.repeat;
              j.stage = st;
              j.owner_kind = t.kind == K::send ? 2 : 0;
              j.msg = t.msg;
              j.queue = -1;
              if (t.tmpl < 0) {  // nothing to send: deliver at once
                if (t.msg >= 0) msg_done[static_cast<std::size_t>(t.msg)] = now_;
                break;
              }
              start_job(b, j);
              const int id = static_cast<int>(jobs_.size()) - 1;
              if (jobs_.back().done) {
                if (t.msg >= 0) msg_done[static_cast<std::size_t>(t.msg)] = now_;
                break;
              }
              // A send blocks its stage unless the stack overlaps it entirely.
              if (t.kind == K::block || t.dur > 0) {
                blocked_job[su] = id;
                busy_cat[su] = t.cat;
                stop = true;
              }
              break;
            }
            case K::async: {
              Job j;
              j.tmpl = t.tmpl;
              j.scale = t.scale;
              j.repeat = t.repeat;
              j.stage = st;
              j.owner_kind = 1;
              j.token = t.token;
              j.queue = t.queue;
              token_queue[static_cast<std::size_t>(t.token)] = t.queue;
              const auto q = static_cast<std::size_t>(st * kQueues + t.queue);
              if (queue_busy_[q] < 0) {
                queue_busy_[q] = static_cast<int>(jobs_.size());
                start_job(b, j);
                if (jobs_.back().done) {
                  queue_busy_[q] = -1;
                  token_done[static_cast<std::size_t>(t.token)] = now_;
                }
              } else {
                jobs_.push_back(j);  // placeholder, started when the queue frees
                queue_pending_[q].push_back(static_cast<int>(jobs_.size()) - 1);
              }
              break;
            }
            case K::wait:
              if (token_done[static_cast<std::size_t>(t.token)] < 0) {
                blocked_token[su] = t.token;
                busy_cat[su] = t.cat;
                stop = true;
              }
              break;
            case K::recv:
              if (msg_done[static_cast<std::size_t>(t.msg)] < 0) {
                blocked_msg[su] = t.msg;
                busy_cat[su] = t.cat;
                stop = true;
              }
              break;
          }
        }
        if (!stop && pc[su] >= prog.size()) {
          close_pass(st);
          end[su] = now_;
        }
        if (pc[su] != pc0) changed = true;
      }
      if (++guard > 1000000) {
        std::string st;
        for (int x = 0; x < pp; ++x)
          st += fmt::format(" [stage {} pc {} busy {} job {} tok {} msg {}]", x, pc[static_cast<std::size_t>(x)],
                            busy_until[static_cast<std::size_t>(x)], blocked_job[static_cast<std::size_t>(x)],
                            blocked_token[static_cast<std::size_t>(x)], blocked_msg[static_cast<std::size_t>(x)]);
        for (int id : running_)
          st += fmt::format(" (job {} lat {} work {} rate {})", id, jobs_[static_cast<std::size_t>(id)].lat_left,
                            jobs_[static_cast<std::size_t>(id)].work_left, jobs_[static_cast<std::size_t>(id)].rate);
        throw std::logic_error("whole-step engine: no progress at t=" + std::to_string(now_) + st);
      }
    }
    bool all_done = true;
    for (int st = 0; st < pp; ++st) all_done = all_done && end[static_cast<std::size_t>(st)] >= 0;
    if (all_done && running_.empty()) break;
    // 2. Rates of everything in flight, and the next event.
    refresh_rates(b);
    // The next event as a duration from now (a sum of small durations must not vanish in
    // a large `now`).
    double dt = kInf;
    for (int st = 0; st < pp; ++st)
      if (busy_until[static_cast<std::size_t>(st)] > now_) dt = std::min(dt, busy_until[static_cast<std::size_t>(st)] - now_);
    for (int id : running_) {
      const Job& j = jobs_[static_cast<std::size_t>(id)];
      if (j.lat_left > 0)
        dt = std::min(dt, j.lat_left);
      else if (j.rate > 0 && std::isfinite(j.rate))
        dt = std::min(dt, j.work_left / j.rate);
      else
        dt = 0;
    }
    if (!(dt < kInf)) throw std::logic_error(fmt::format("whole-step engine: the schedule of {} deadlocked", s.spec()));
    if (dt <= 0 && ++stalls > 1000000) throw std::logic_error(fmt::format("whole-step engine: time stalled at {} s", now_));
    if (dt > 0) stalls = 0;
    const double next = now_ + dt;
    // 3. Advance transfers.
    finished.clear();
    for (int id : running_) {
      Job& j = jobs_[static_cast<std::size_t>(id)];
      if (j.lat_left > 0) {
        j.lat_left -= dt;
        if (j.lat_left <= 1e-18) {
          j.lat_left = 0;
          dirty_ = true;
        }
      } else {
        const double moved = std::isfinite(j.rate) ? std::min(j.work_left, j.rate * dt) : j.work_left;
        j.work_left -= moved;
        const auto& ph = b.tmpl[static_cast<std::size_t>(j.tmpl)].phases[j.phase];
        phase_bytes[phase_off[static_cast<std::size_t>(j.tmpl)] + j.phase] += moved * ph.efficiency;
      }
      if (j.lat_left <= 0 &&
          j.work_left <= 1e-9 * std::max(1.0, b.tmpl[static_cast<std::size_t>(j.tmpl)].phases[j.phase].work() * j.scale)) {
        // Next phase, or done.
        const auto& t = b.tmpl[static_cast<std::size_t>(j.tmpl)];
        do ++j.phase;
        while (j.phase < t.phases.size() && skip(t.phases[j.phase]));
        dirty_ = true;
        if (j.phase >= t.phases.size()) {
          finished.push_back(id);
        } else {
          j.lat_left = t.phases[j.phase].fixed() * j.repeat;
          j.work_left = t.phases[j.phase].work() * j.scale * j.repeat;
        }
      }
    }
    now_ = next;
    for (auto& bu : busy_until)
      if (bu > now_ && bu - now_ <= 1e-12 * now_) bu = now_;  // below the clock's resolution at this time
    if (!finished.empty()) {
      running_.erase(
          std::remove_if(running_.begin(), running_.end(),
                         [&](int id) {
                           return jobs_[static_cast<std::size_t>(id)].phase >=
                                  b.tmpl[static_cast<std::size_t>(jobs_[static_cast<std::size_t>(id)].tmpl)].phases.size();
                         }),
          running_.end());
      for (int id : finished) finish_job(id);
    }
  }
  // The slowest stage sets the step; its compute stream's time by category is the breakdown.
  int slow = 0;
  for (int st = 1; st < pp; ++st)
    if (end[static_cast<std::size_t>(st)] > end[static_cast<std::size_t>(slow)]) slow = st;
  const auto& sp = spent[static_cast<std::size_t>(slow)];
  Result r = a_;
  r.engine = "event";
  auto& bd = r.breakdown;
  bd = Breakdown{};
  bd.compute = sp[kCompute];
  bd.tp_comm = sp[kTp];
  bd.cp_comm = sp[kCp];
  bd.ep_comm = sp[kEp];
  bd.pp_comm = sp[kPp];
  bd.dp_comm = sp[kDp];
  bd.bubble = sp[kBubble];
  bd.optimizer = sp[kOptimizer];
  bd.memory_stream = sp[kStream];
  bd.spatial_comm = sp[kSpatial];
  r.step_time = end[static_cast<std::size_t>(slow)];
  // Hidden: what the slowest stage's DP / ZeRO-3 queue and DIP streams ran while the
  // stage computed (the analytical engine's hidden_comm and stream_hidden, measured here).
  const auto& ran = queue_ran[static_cast<std::size_t>(slow)];
  const auto& waited = queue_waited[static_cast<std::size_t>(slow)];
  r.hidden_comm = std::max(0.0, ran[0] - waited[0]);
  if (r.placement.stream_hidden > 0 || ran[1] > 0) r.placement.stream_hidden = std::max(0.0, ran[1] - waited[1]);
  if (a_.ingest_time > 0) {
    // Dojo vision: the next step's input arrives over PCIe under this one (as priced).
    bd.ingest = std::max(0.0, a_.ingest_time - r.step_time);
    r.ingest_bound = bd.ingest > 0;
    r.step_time += bd.ingest;
  }
  const double scale = a_.step_time > 0 && r.step_time > 0 ? a_.step_time / r.step_time : 1.0;
  r.mfu = a_.mfu * scale;
  r.hfu = a_.hfu * scale;
  if (end_out != nullptr) *end_out = r.step_time;
  if (link_bytes != nullptr) {
    link_bytes->assign(g_.links().size(), 0.0);
    for (std::size_t i = 0; i < b.tmpl.size(); ++i)
      for (std::size_t p = 0; p < b.tmpl[i].phases.size(); ++p) {
        const double moved = phase_bytes[phase_off[i] + p];
        if (moved <= 0) continue;
        for (const auto& c : b.tmpl[i].phases[p].classes)
          for (const auto& [l, n] : c.load) (*link_bytes)[static_cast<std::size_t>(l)] += moved * n;
      }
  }
  if (tl != nullptr) {
    tl->pipeline = r.step_time;
    tl->tracks.clear();
    for (int st = 0; st < pp; ++st) tl->tracks.push_back(fmt::format("stage {} compute", st));
    static const char* qn[kQueues + 1] = {"dp / zero-3", "DIP stream", "tp (overlapped)", "cp ring", "blocking comm"};
    for (int st = 0; st < pp; ++st)
      for (int q = 0; q <= kQueues; ++q) tl->tracks.push_back(fmt::format("stage {} {}", st, qn[q]));
  }
  return r;
}

// The whole-step program of one rank as Chakra ET nodes (docs/model.md#chakra). The
// rank's compute stream is a chain (each node depends on the one before); collectives the
// stack overlaps hang off the chain where they are issued, one after another per queue,
// and the node after a wait depends on them; pipeline messages are send/recv pairs
// tagged by (virtual stage, micro-batch, direction).
constexpr int kCpTag = 1 << 30;  // CP ring steps (pipeline messages use their message id)
workload::chakra::Trace rank_trace(const Sim::Built& b, const Strategy& s, const hardware::Graph& g, long long d, long long m,
                                   const std::function<std::string(char, long long)>& group_name,
                                   const std::function<std::pair<long long, long long>(char)>& group_shape) {
  namespace ck = workload::chakra;
  using SK = Strategy::Kind;
  const long long st_pp = s.stride(SK::pp);
  const int pp = s.pp;
  const int st = static_cast<int>((d / st_pp) % pp);
  auto rank_of_stage = [&](int to) { return d + static_cast<long long>(to - st) * st_pp; };
  ck::Trace tr;
  tr.version = "0.0.4";
  std::uint64_t next_id = 0;
  std::vector<std::uint64_t> pending;  // waits: the next node depends on these
  long long last = -1;
  std::vector<long long> token_node(static_cast<std::size_t>(b.tokens), -1);
  std::array<long long, kQueues> queue_last{};
  queue_last.fill(-1);
  auto deps_now = [&](ck::Node& n, bool take_pending) {
    if (last >= 0) n.data_deps.push_back(static_cast<std::uint64_t>(last));
    for (auto p : pending) n.data_deps.push_back(p);
    if (take_pending) pending.clear();
  };
  auto emit = [&](ck::Node n) {
    n.id = next_id++;
    tr.nodes.push_back(std::move(n));
    return static_cast<long long>(tr.nodes.back().id);
  };
  auto comp = [&](const std::string& name, double dur, double flops = 0, double bytes = 0) {
    ck::Node n;
    n.name = name;
    n.type = ck::NodeType::comp;
    n.num_ops = std::llround(flops);  // what a trace stripped of durations (or ASTRA-sim) prices the node by
    n.tensor_size = static_cast<std::uint64_t>(std::llround(bytes));
    n.duration_micros = static_cast<std::uint64_t>(std::llround(dur * 1e6));
    n.seconds = dur;
    deps_now(n, true);
    last = emit(std::move(n));
  };
  auto comm_type = [](Op op) {
    switch (op) {
      case Op::all_reduce: return ck::Comm::all_reduce;
      case Op::all_gather: return ck::Comm::all_gather;
      case Op::reduce_scatter: return ck::Comm::reduce_scatter;
      case Op::all_to_all: return ck::Comm::all_to_all;
      default: return ck::Comm::all_reduce;
    }
  };
  // The nodes of one use of a template; returns the last node's id. `after`: extra dependency.
  auto comm = [&](const Template& t, double scale, double repeat, long long after, bool chain) {
    const long long reps = std::max(1LL, std::llround(repeat));
    long long prev = -1;
    for (long long r = 0; r < reps; ++r)
      for (const auto& [op, bytes] : t.ops) {
        ck::Node n;
        n.name = t.name;
        if (prev >= 0) {
          n.data_deps.push_back(static_cast<std::uint64_t>(prev));
        } else {
          deps_now(n, chain);
          if (after >= 0 && (last < 0 || after != last)) n.data_deps.push_back(static_cast<std::uint64_t>(after));
        }
        if (t.group == 's') {
          n.type = ck::NodeType::mem_load;
          n.tensor_size = static_cast<std::uint64_t>(std::llround(bytes * scale));
          n.seconds = collective::flow::uncontended_time(g, t.phases) * scale;
          n.duration_micros = static_cast<std::uint64_t>(std::llround(n.seconds * 1e6));
        } else if (op == Op::send_recv) {
          // A CP ring step: send the block to the next member of the CP group, receive one
          // from the previous; a zero-time join waits for both.
          const auto [size, stride] = group_shape('c');
          const long long pos = (d / stride) % size, base = d - pos * stride;
          ck::Node rv = n;
          n.name = rv.name = fmt::format("{} {}", t.name, r);
          n.type = ck::NodeType::send;
          n.comm_src = rv.comm_dst = static_cast<int>(d);
          n.comm_dst = static_cast<int>(base + ((pos + 1) % size) * stride);
          rv.type = ck::NodeType::recv;
          rv.comm_src = static_cast<int>(base + ((pos + size - 1) % size) * stride);
          n.comm_size = rv.comm_size = std::llround(bytes * scale);
          n.comm_tag = rv.comm_tag = kCpTag;
          const long long a = emit(std::move(n)), c = emit(std::move(rv));
          ck::Node join;
          join.name = "cp step";
          join.type = ck::NodeType::comp;
          join.seconds = 0;
          join.data_deps = {static_cast<std::uint64_t>(a), static_cast<std::uint64_t>(c)};
          prev = emit(std::move(join));
          continue;
        } else {
          n.type = ck::NodeType::coll;
          n.comm_type = comm_type(op);
          n.comm_size = std::llround(bytes * scale);
        }
        if (n.type == ck::NodeType::coll) n.pg_name = group_name(t.group, d);
        prev = emit(std::move(n));
      }
    return prev;
  };
  for (const Task& t : b.prog[static_cast<std::size_t>(st)]) {
    switch (t.kind) {
      case K::compute:
        if (t.dur > 0)
          comp(t.label >= 0 ? b.labels[static_cast<std::size_t>(t.label)] : cat_name(t.cat), t.dur, t.flops, t.bytes);
        break;
      case K::fixed: comp(cat_name(t.cat), t.dur); break;
      case K::block: {
        const long long id = comm(b.tmpl[static_cast<std::size_t>(t.tmpl)], t.scale, t.repeat, -1, true);
        if (id >= 0) last = id;
        break;
      }
      case K::async: {
        const auto q = static_cast<std::size_t>(t.queue);
        const long long id = comm(b.tmpl[static_cast<std::size_t>(t.tmpl)], t.scale, t.repeat, queue_last[q], false);
        queue_last[q] = id;
        token_node[static_cast<std::size_t>(t.token)] = id;
        break;
      }
      case K::wait:
        if (token_node[static_cast<std::size_t>(t.token)] >= 0)
          pending.push_back(static_cast<std::uint64_t>(token_node[static_cast<std::size_t>(t.token)]));
        break;
      case K::send: {
        if (t.tmpl < 0) break;
        const Template& tm = b.tmpl[static_cast<std::size_t>(t.tmpl)];
        ck::Node n;
        n.name = fmt::format("pp send {}", t.msg);
        n.type = ck::NodeType::send;
        n.comm_size = std::llround(tm.ops.empty() ? 0.0 : tm.ops[0].second * t.scale);
        n.comm_src = static_cast<int>(d);
        n.comm_dst = static_cast<int>(rank_of_stage(tm.to_stage));
        n.comm_tag = t.msg;
        deps_now(n, t.dur > 0);
        const long long id = emit(std::move(n));
        if (t.dur > 0) last = id;  // the stack does not overlap the send: it blocks the stream
        break;
      }
      case K::recv: {
        ck::Node n;
        const long long v = t.msg / 2 / m;
        n.name = fmt::format("pp recv {}", t.msg);
        n.type = ck::NodeType::recv;
        n.comm_src = static_cast<int>(rank_of_stage(static_cast<int>(v % pp)));
        n.comm_dst = static_cast<int>(d);
        n.comm_tag = t.msg;
        const Template* tm = nullptr;
        for (const auto& x : b.tmpl)
          if (x.group == 'p') tm = &x;
        n.comm_size = tm != nullptr && !tm->ops.empty() ? std::llround(tm->ops[0].second) : 0;
        deps_now(n, true);
        last = emit(std::move(n));
        break;
      }
    }
  }
  comp("end of step", 0.0);
  return tr;
}

}  // namespace

Result simulate_step(const Context& ctx, const Plan& plan, const Result& analytical, const hardware::Graph& graph,
                     Timeline* timeline, const StepOptions& opt, StepStats* stats) {
  if (stats != nullptr) *stats = StepStats{};
  if (ctx.net != nullptr) {
    // Refuse before building: about four tasks per op per pass.
    const auto& st = plan.strategy;
    const double tasks =
        2.0 * static_cast<double>(std::max<long long>(1, st.microbatches())) * 4.0 * static_cast<double>(ctx.net->ops.size());
    if (tasks > static_cast<double>(kMaxStepTasks))
      throw core::Unsupported(
          {"--engine", 0, 0, "engine"},
          fmt::format(
              "the whole-step event engine would simulate about {:.3g} tasks ({} micro-batches of {} ops); the limit is {}",
              tasks, st.microbatches(), ctx.net->ops.size(), kMaxStepTasks),
          "--engine analytical, or a smaller global batch");
  } else {
    // Refuse before building: about six tasks per layer per pass on every stage.
    const auto& st = plan.strategy;
    const double passes = 2.0 * static_cast<double>(std::max<long long>(1, st.microbatches())) * st.vp * st.pp;
    const double per_pass = 6.0 * (static_cast<double>(ctx.model->layers) / (1.0 * st.pp * st.vp) + 1.0) + 4.0;
    if (passes * per_pass > static_cast<double>(kMaxStepTasks))
      throw core::Unsupported(
          {"--engine", 0, 0, "engine"},
          fmt::format("the whole-step event engine would simulate about {:.3g} tasks ({} micro-batches on {} x {} stages); "
                      "the limit is {}",
                      passes * per_pass, st.microbatches(), st.pp, st.vp, kMaxStepTasks),
          "--engine analytical (the same schedule in closed form), or a smaller global batch");
  }
  const Sim::Built built = ctx.net != nullptr ? Sim::build_vision(ctx, plan, analytical, graph, opt, stats)
                                              : Sim::build(ctx, plan, analytical, graph, opt, stats);
  Sim sim(ctx, plan, analytical, graph, opt, false);
  std::vector<double> bytes;
  Result r = sim.run(built, timeline, &bytes, nullptr);
  if (stats != nullptr) {
    stats->solves = sim.solves;
    stats->cache_hits = sim.hits;
  }
  if (opt.reference) {
    Sim alone(ctx, plan, analytical, graph, opt, true);
    double t0 = 0;
    alone.run(built, nullptr, nullptr, &t0);
    r.contention = t0 > 0 ? r.step_time / t0 - 1.0 : 0.0;
    if (std::abs(r.contention) < 5e-5) r.contention = 0.0;  // below the simulation's resolution
  }
  // Busiest links.
  std::vector<int> ids;
  for (std::size_t l = 0; l < bytes.size(); ++l)
    if (bytes[l] > 0) ids.push_back(static_cast<int>(l));
  auto util = [&](int l) {
    return bytes[static_cast<std::size_t>(l)] / (graph.link(l).bandwidth * std::max(r.step_time, 1e-30));
  };
  std::stable_sort(ids.begin(), ids.end(), [&](int x, int y) { return util(x) > util(y); });
  r.busiest_links.clear();
  // Symmetric links (every NVSwitch port of a TP group) carry the same load: list one of
  // each (level, kind, utilisation) and count the rest.
  std::vector<int> listed;
  for (int id : ids) {
    bool same = false;
    for (std::size_t k = 0; k < listed.size(); ++k) {
      const auto& a = graph.link(listed[k]);
      const auto& c = graph.link(id);
      if (a.level == c.level && a.kind == c.kind && std::abs(util(listed[k]) - util(id)) <= 1e-6 * util(id)) {
        ++r.busiest_links[k].alike;
        same = true;
        break;
      }
    }
    if (same) continue;
    if (static_cast<int>(listed.size()) >= opt.busiest) {
      if (util(id) < r.busiest_links.back().utilisation * (1 - 1e-6)) break;
      continue;
    }
    listed.push_back(id);
    r.busiest_links.push_back({graph.link_name(id), graph.link(id).bandwidth, bytes[static_cast<std::size_t>(id)], util(id), 0});
  }
  ids = listed;
  if (timeline != nullptr && !ids.empty()) {
    // Again, sampling the busiest links' utilisation at every change of rates (the
    // schedule is deterministic: the same run).
    Sim again(ctx, plan, analytical, graph, opt, false);
    for (std::size_t i = 0; i < ids.size() && static_cast<int>(i) < opt.busiest; ++i) again.watch.push_back(ids[i]);
    Timeline scratch;
    again.run(built, &scratch, nullptr, nullptr);
    // Time-weighted averages over kCounterBins equal bins of the step (a trace stays small).
    constexpr int kCounterBins = 2000;
    const double width = r.step_time / kCounterBins;
    for (std::size_t w = 0; w < again.watch.size() && w < again.samples.size(); ++w) {
      const auto& smp = again.samples[w];
      std::vector<double> acc(kCounterBins, 0.0);
      for (std::size_t i = 0; i < smp.size() && width > 0; ++i) {
        const double t0 = smp[i].first, t1 = i + 1 < smp.size() ? smp[i + 1].first : r.step_time;
        // Bins advance by index, never re-derived from t: t / width of a bin's edge can round
        // below it, which had ended the interval there and dropped the rest of it.
        int bin = std::clamp(static_cast<int>(t0 / width), 0, kCounterBins - 1);
        for (double t = t0; t < t1; ++bin) {
          const double edge = bin == kCounterBins - 1 ? t1 : std::min(t1, (bin + 1) * width);
          acc[static_cast<std::size_t>(bin)] += smp[i].second * std::max(0.0, edge - t);
          t = std::max(t, edge);
          if (bin == kCounterBins - 1) break;
        }
      }
      Timeline::Counter c{"utilisation " + graph.link_name(again.watch[w]), {}};
      double last = -1;
      for (int k = 0; k < kCounterBins; ++k) {
        const double v = width > 0 ? acc[static_cast<std::size_t>(k)] / width : 0.0;
        if (std::abs(v - last) > 1e-4) c.samples.emplace_back(k * width, v);
        last = v;
      }
      timeline->counters.push_back(std::move(c));
    }
  }
  r.notes.push_back(
      fmt::format("event engine: whole step simulated on the topology graph ({} links), {} standing for {}; "
                  "contention adds {:.1f}% over the same schedule with every transfer alone",
                  graph.links().size(),
                  ctx.net != nullptr      ? std::string("one rank, op by op,")
                  : plan.strategy.pp == 1 ? std::string("one rank (one stage)")
                                          : fmt::format("{} ranks (one per stage)", plan.strategy.pp),
                  ranks_of(plan.strategy), 100.0 * r.contention));
  return r;
}

ChakraExportStats export_chakra(const Context& ctx, const Plan& plan, const Result& analytical, const hardware::Graph& graph,
                                const std::string& prefix) {
  if (ctx.model == nullptr)
    throw core::Unsupported({"--chakra", 0, 0, "chakra"}, "the Chakra export writes transformer plans", "a transformer model");
  const Strategy& s = plan.strategy;
  const long long n = std::min<long long>(ranks_of(s), graph.devices());
  if (n > kMaxChakraRanks)
    throw core::Unsupported({"--chakra", 0, 0, "chakra"},
                            fmt::format("the plan has {} ranks; the Chakra export writes at most {} files", n, kMaxChakraRanks),
                            "export a smaller system with the same per-rank plan");
  StepOptions opt;
  opt.reference = false;
  const Sim::Built built = Sim::build(ctx, plan, analytical, graph, opt, nullptr);
  using SK = Strategy::Kind;
  const auto& order = s.order;
  const auto pos = [&](SK k) { return std::find(order.begin(), order.end(), k) - order.begin(); };
  const bool cp_dp_adjacent = pos(SK::dp) == pos(SK::cp) + 1;
  // Groups by (kind, first member): size and stride as the step engine places them.
  auto shape = [&](char kind) -> std::pair<long long, long long> {
    switch (kind) {
      case 't': return {s.tp, s.stride(SK::tp)};
      case 'c': return {s.cp, s.stride(SK::cp)};
      case 'e': return {s.ep, s.stride(SK::dp)};
      case 'd': return {1LL * s.dp * s.cp, s.cp > 1 && cp_dp_adjacent ? s.stride(SK::cp) : s.stride(SK::dp)};
      default: return {1, 1};
    }
  };
  workload::chakra::CommGroups groups;
  std::map<std::pair<char, long long>, std::string> ids;
  auto group_name = [&](char kind, long long d) {
    const auto [size, stride] = shape(kind);
    const long long base = d - ((d / stride) % size) * stride;
    auto [it, fresh] = ids.emplace(std::make_pair(kind, base), std::to_string(ids.size() + 1));
    if (fresh) {
      auto& members = groups[it->second];
      for (long long i = 0; i < size; ++i) members.push_back(static_cast<int>(base + i * stride));
    }
    return it->second;
  };
  ChakraExportStats st;
  const long long m = std::max<long long>(1, s.microbatches());
  for (long long d = 0; d < n; ++d) {
    const auto tr = rank_trace(built, s, graph, d, m, group_name, shape);
    const std::string bytes = workload::chakra::serialize(tr);
    const std::string path = fmt::format("{}.{}.et", prefix, d);
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) throw core::InputError({path, 0, 0, "--chakra"}, "cannot write Chakra trace", "a writable path prefix");
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f)
      throw core::InputError({path, 0, 0, "--chakra"}, "cannot write Chakra trace (disk full?)",
                             "a writable path prefix with space");
    st.nodes += static_cast<long long>(tr.nodes.size());
    st.bytes += static_cast<long long>(bytes.size());
  }
  st.ranks = static_cast<int>(n);
  // A trace is the files up to the first missing rank: remove those an earlier, larger
  // export left at this prefix, so that a replay reads exactly this step.
  for (long long d = n;; ++d) {
    std::error_code ec;
    if (!std::filesystem::remove(fmt::format("{}.{}.et", prefix, d), ec)) break;
  }
  const std::string gpath = prefix + ".comm_groups.json";
  std::ofstream gf(gpath, std::ios::trunc);
  if (!gf) throw core::InputError({gpath, 0, 0, "--chakra"}, "cannot write the comm-group file", "a writable path prefix");
  gf << workload::chakra::comm_groups_json(groups);
  st.groups = static_cast<int>(groups.size());
  return st;
}

}  // namespace dojosim::engine
