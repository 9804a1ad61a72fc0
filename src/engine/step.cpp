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
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>
#include <random>
#include <stdexcept>

#include "dojosim/collective/flows.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/engine/event.hpp"
#include "kernels.hpp"
#include "schedule.hpp"

namespace dojosim::engine {

namespace {

using collective::Op;
using collective::flow::Instances;
using collective::flow::Phase;
using parallel::Strategy;

// What a stretch of a rank's compute stream was spent on (the Result's breakdown).
enum Cat : int { kCompute, kTp, kCp, kEp, kPp, kDp, kBubble, kOptimizer, kStream, kCats };
const char* cat_name(int c) {
  static const char* names[] = {"compute", "tp", "cp", "ep", "pp", "dp", "bubble", "optimizer", "stream"};
  return names[c];
}

// A collective on every instance a stage's representative stands for.
struct Template {
  std::vector<Phase> phases;
  const char* name = "";
  int cat = kTp;
};

enum class K : unsigned char { compute, fixed, block, async, wait, send, recv };
struct Task {
  K kind = K::compute;
  int cat = kCompute;
  int tmpl = -1;       // block / async / send
  double scale = 1;    // bytes multiplier
  double repeat = 1;   // whole-collective repeats (rounds and latency scale too)
  double dur = 0;      // compute / fixed
  int queue = 0;       // async
  int token = -1;      // async (sets), wait (waits)
  int msg = -1;        // send (delivers), recv (waits)
  int label = -1;      // index into labels (trace), for compute tasks opening a pass
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
    std::vector<double> compute_scale;  // per stage: jitter-free straggler factor
    std::vector<std::size_t> phase_off;  // first phase id of each template (stable cache keys)
    // Phases that share a link (and so must be solved together), by phase id.
    std::vector<std::vector<char>> meets;
  };
  static Built build(const Context& ctx, const Plan& plan, const Result& a, const hardware::Graph& g, const StepOptions& opt,
                     StepStats* stats);

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
long long ranks_of(const Strategy& s) { return 1LL * s.tp * s.cp * s.pp * s.dp; }

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
  auto add = [&](std::vector<Phase> ph, const char* name, int cat) {
    for (const auto& p : ph) {
      if (stats == nullptr) continue;
      stats->flow_classes += static_cast<long long>(p.classes.size());
      for (const auto& c : p.classes)
        for (const auto& [l, n] : c.load) stats->flows += static_cast<long long>(n) * (g.link(l).from < g.devices() ? 1 : 0);
    }
    b.tmpl.push_back({std::move(ph), name, cat});
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
  for (int st = 0; st < pp; ++st) {
    auto& t = T[static_cast<std::size_t>(st)];
    if (s.tp > 1 && C.tp.active()) {
      auto in = instances(s.tp, st_tp, st);
      std::vector<Phase> ph;
      for (const auto& tr : C.tp.traffic)
        if (tr.op != Op::none) ph = concat(std::move(ph), collective::flow::decompose(g, C.tp.group, tr.op, tr.bytes, in));
      t.tp = add(std::move(ph), "tp", kTp);
    }
    if (s.cp > 1 && C.cp.active())
      t.cp = add(collective::flow::decompose(g, C.cp.group, Op::send_recv, C.cp.traffic[0].bytes, instances(s.cp, st_cp, st)), "cp ring", kCp);
    if (s.ep > 1 && C.ep.active())
      t.ep = add(collective::flow::decompose(g, C.ep.group, Op::all_to_all, C.ep.traffic[0].bytes, instances(s.ep, st_dp, st)), "ep all-to-all",
                 kEp);
    if (s.dp * s.cp > 1) {
      const int size = s.dp * s.cp;
      auto in = instances(size, st_dpg, st);
      if (s.zero == 3) {
        t.z_ag = add(collective::flow::decompose(g, C.dp.group, Op::all_gather, P.zero3_unit_bytes, in), "zero3 gather", kDp);
        t.z_rs = add(collective::flow::decompose(g, C.dp.group, Op::reduce_scatter, P.zero3_grad_bytes, in), "zero3 reduce-scatter", kDp);
      } else {
        t.dp_rs = add(collective::flow::decompose(g, C.dp.group, s.zero == 0 ? Op::all_reduce : Op::reduce_scatter,
                                                  layer_params * detail::grad_bytes(s.zero), in),
                      s.zero == 0 ? "dp all-reduce" : "dp reduce-scatter", kDp);
        if (s.zero > 0) t.dp_ag = add(collective::flow::decompose(g, C.dp.group, Op::all_gather, layer_params * 2.0, in), "dp all-gather", kDp);
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
      t.stream = add({collective::flow::dip_stream(g, P.stream_bytes_per_layer, devs, 0.0), host}, "DIP stream", kStream);
    }
  }
  if (pp > 1 && C.pp.active()) {
    auto in = instances(s.pp, st_pp, -1);
    in.bases.erase(std::remove_if(in.bases.begin(), in.bases.end(), [&](long long d) { return stage_of(d) != 0; }), in.bases.end());
    const double bytes = C.pp.traffic[0].bytes;
    for (int st = 0; st < pp; ++st) {
      T[static_cast<std::size_t>(st)].pp_next =
          add({collective::flow::point_to_point(g, C.pp.group, bytes, in, st, (st + 1) % pp)}, "pp send", kPp);
      T[static_cast<std::size_t>(st)].pp_prev =
          add({collective::flow::point_to_point(g, C.pp.group, bytes, in, st, (st + pp - 1) % pp)}, "pp send", kPp);
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
  auto msg_id = [&](int v, long long mb, bool fwd) { return static_cast<int>((static_cast<long long>(v) * m + mb) * 2 + (fwd ? 0 : 1)); };
  b.msgs = nv * static_cast<int>(m) * 2;
  long long total_tasks = 0;
  for (int st = 0; st < pp; ++st) {
    const auto& t = T[static_cast<std::size_t>(st)];
    auto& prog = b.prog.emplace_back();
    auto compute = [&](double dur, int cat = kCompute, int label = -1) {
      if (dur > 0 || label >= 0) prog.push_back(Task{K::compute, cat, -1, 1, 1, dur, 0, -1, -1, label});
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
    for (const auto& pass : passes) {
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
        compute(v == 0 ? P.embed / 3.0 : 0.0, kCompute, label);
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
            if (l == 0) s_next = async(t.stream, 1);
            const int cur = s_next;
            s_next = l + 1 < n ? async(t.stream, 1) : -1;
            wait(cur, kStream);
          }
          if (!ag_tok.empty() && pass.mb == 0) wait(ag_tok[static_cast<std::size_t>(base + l)], kDp);
          if (t.cp >= 0 && P.cp_overlap) {
            const int tok = async(t.cp, 3, 1, s.cp - 1.0);
            compute(P.compute_fwd);
            wait(tok, kCp);
          } else {
            compute(P.compute_fwd);
            block(t.cp, kCp, 1, s.cp - 1.0);
          }
          for (int i = 0; i < static_cast<int>(P.tp_calls_fwd); ++i) {
            block(t.tp, kTp, P.tp_exposed);
            if (P.tp_exposed < 1) async(t.tp, 2, 1.0 - P.tp_exposed);
          }
          block(t.ep, kEp, 1, 2);
        }
        if (v == nv - 1) {
          compute(P.head_compute_fwd);
          fixed(0.5 * P.head_comm, kTp);
        } else {
          prog.push_back(Task{K::send, kPp, t.pp_next, 1, 1, P.pp_exposed, 0, -1, msg_id(v, pass.mb, true)});
        }
      } else {
        if (v < nv - 1) {
          prog.push_back(Task{K::recv, kBubble, -1, 1, 1, 0, 0, -1, msg_id(v + 1, pass.mb, false)});
          fixed(P.p2p_gather, kPp);
          compute(0.0, kCompute, label);
        } else {
          compute(P.head_compute_bwd, kCompute, label);
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
            if (l == n - 1) s_next = async(t.stream, 1);
            const int cur = s_next;
            s_next = l > 0 ? async(t.stream, 1) : -1;
            wait(cur, kStream);
          }
          if (t.cp >= 0 && P.cp_overlap) {
            const int tok = async(t.cp, 3, 1, 2.0 * (s.cp - 1.0));
            compute(P.compute_bwd);
            wait(tok, kCp);
          } else {
            compute(P.compute_bwd);
            block(t.cp, kCp, 1, 2.0 * (s.cp - 1.0));
          }
          for (int i = 0; i < static_cast<int>(std::lround(P.tp_calls_bwd)); ++i) {
            block(t.tp, kTp, P.tp_exposed);
            if (P.tp_exposed < 1) async(t.tp, 2, 1.0 - P.tp_exposed);
          }
          block(t.ep, kEp, 1, 2);
          if (t.z_rs >= 0) {
            const int tok = async(t.z_rs, 0);
            if (P.zero3_prefetch) rs_tok.push_back(tok);
            else wait(tok, kDp);
          }
          if (t.dp_rs >= 0 && last_mb && P.dp_overlap) rs_tok.push_back(async(t.dp_rs, 0));
        }
        if (v == 0) compute(2.0 * P.embed / 3.0);
        if (v > 0) prog.push_back(Task{K::send, kPp, t.pp_prev, 1, 1, P.pp_exposed, 0, -1, msg_id(v, pass.mb, false)});
      }
    }
    // End of step: gradients reduced (the embedding's and head's with the last bucket),
    // the optimizer, and without overlap the parameter gather.
    const double extra = std::max(0.0, plan.params.stage - plan.split.max * plan.params.layer);
    const double extra_scale = layer_params > 0 && (st == 0 || st == pp - 1) ? extra / layer_params : 0.0;
    if (t.dp_rs >= 0) {
      if (P.dp_overlap) {
        if (extra_scale > 0) rs_tok.push_back(async(t.dp_rs, 0, extra_scale));
      } else {
        block(t.dp_rs, kDp, layers_here + extra_scale);
      }
    }
    if (t.z_rs >= 0 && extra_scale > 0) rs_tok.push_back(async(t.z_rs, 0, extra_scale));
    for (int tok : rs_tok) wait(tok, kDp);
    compute(P.optimizer, kOptimizer);
    if (t.dp_ag >= 0 && !P.dp_overlap) block(t.dp_ag, kDp, layers_here + extra_scale);
    total_tasks += static_cast<long long>(prog.size());
    if (total_tasks > kMaxStepTasks)
      throw core::Unsupported({"--engine", 0, 0, "engine"},
                              fmt::format("the whole-step event engine would simulate more than {} tasks ({} micro-batches, {} stages, {} layers)",
                                          kMaxStepTasks, m, pp, ctx.model != nullptr ? ctx.model->layers : 0),
                              "--engine analytical, or fewer micro-batches");
  }
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
  std::vector<double> busy_until(static_cast<std::size_t>(pp), -1.0), block_start(static_cast<std::size_t>(pp), 0.0), end(static_cast<std::size_t>(pp), -1.0);
  std::vector<int> blocked_job(static_cast<std::size_t>(pp), -1), blocked_token(static_cast<std::size_t>(pp), -1),
      blocked_msg(static_cast<std::size_t>(pp), -1), block_cat(static_cast<std::size_t>(pp), kCompute), busy_cat(static_cast<std::size_t>(pp), kCompute);
  std::vector<std::array<double, kCats>> spent(static_cast<std::size_t>(pp));
  for (auto& x : spent) x.fill(0.0);
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
            case K::block: case K::send: {
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
          st += fmt::format(" [stage {} pc {} busy {} job {} tok {} msg {}]", x, pc[static_cast<std::size_t>(x)], busy_until[static_cast<std::size_t>(x)],
                            blocked_job[static_cast<std::size_t>(x)], blocked_token[static_cast<std::size_t>(x)], blocked_msg[static_cast<std::size_t>(x)]);
        for (int id : running_) st += fmt::format(" (job {} lat {} work {} rate {})", id, jobs_[static_cast<std::size_t>(id)].lat_left, jobs_[static_cast<std::size_t>(id)].work_left, jobs_[static_cast<std::size_t>(id)].rate);
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
      if (j.lat_left > 0) dt = std::min(dt, j.lat_left);
      else if (j.rate > 0 && std::isfinite(j.rate)) dt = std::min(dt, j.work_left / j.rate);
      else dt = 0;
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
      if (j.lat_left <= 0 && j.work_left <= 1e-9 * std::max(1.0, b.tmpl[static_cast<std::size_t>(j.tmpl)].phases[j.phase].work() * j.scale)) {
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
      running_.erase(std::remove_if(running_.begin(), running_.end(), [&](int id) { return jobs_[static_cast<std::size_t>(id)].phase >= b.tmpl[static_cast<std::size_t>(jobs_[static_cast<std::size_t>(id)].tmpl)].phases.size(); }),
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
  r.step_time = end[static_cast<std::size_t>(slow)];
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

}  // namespace

Result simulate_step(const Context& ctx, const Plan& plan, const Result& analytical, const hardware::Graph& graph, Timeline* timeline,
                     const StepOptions& opt, StepStats* stats) {
  if (ctx.model == nullptr)
    throw core::Unsupported({"--engine", 0, 0, "engine"}, "the whole-step event engine simulates transformers", "--engine analytical");
  if (stats != nullptr) *stats = StepStats{};
  {
    // Refuse before building: about six tasks per layer per pass on every stage.
    const auto& st = plan.strategy;
    const double passes = 2.0 * static_cast<double>(std::max<long long>(1, st.microbatches())) * st.vp * st.pp;
    const double per_pass = 6.0 * (static_cast<double>(ctx.model->layers) / (1.0 * st.pp * st.vp) + 1.0) + 4.0;
    if (passes * per_pass > static_cast<double>(kMaxStepTasks))
      throw core::Unsupported({"--engine", 0, 0, "engine"},
                              fmt::format("the whole-step event engine would simulate about {:.3g} tasks ({} micro-batches on {} x {} stages); "
                                          "the limit is {}",
                                          passes * per_pass, st.microbatches(), st.pp, st.vp, kMaxStepTasks),
                              "--engine analytical (the same schedule in closed form), or a smaller global batch");
  }
  const Sim::Built built = Sim::build(ctx, plan, analytical, graph, opt, stats);
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
  auto util = [&](int l) { return bytes[static_cast<std::size_t>(l)] / (graph.link(l).bandwidth * std::max(r.step_time, 1e-30)); };
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
      for (std::size_t i = 0; i < smp.size(); ++i) {
        const double t0 = smp[i].first, t1 = i + 1 < smp.size() ? smp[i + 1].first : r.step_time;
        for (double t = t0; t < t1 && width > 0;) {
          const int bin = std::min(kCounterBins - 1, static_cast<int>(t / width));
          const double edge = std::min(t1, (bin + 1) * width);
          acc[static_cast<std::size_t>(bin)] += smp[i].second * std::max(0.0, edge - t);
          if (edge <= t) break;
          t = edge;
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
  r.notes.push_back(fmt::format("event engine: whole step simulated on the topology graph ({} links), {} ranks (one per stage) standing for {}; "
                                "contention adds {:.1f}% over the same schedule with every transfer alone",
                                graph.links().size(), plan.strategy.pp, ranks_of(plan.strategy), 100.0 * r.contention));
  return r;
}

}  // namespace dojosim::engine
