// Event engine: op-by-op simulation of the pipeline schedule (contract in engine/event.hpp).
#include "dojosim/engine/event.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "dojosim/core/errors.hpp"
#include "schedule.hpp"

namespace dojosim::engine {

namespace detail {

// Megatron-LM's order of passes on `stage` (schedules.py: forward_backward_pipelining_*).
std::vector<Pass> stage_order(int stage, int pp, int vp, long long m) {
  std::vector<Pass> order;
  const long long total = m * vp;  // passes of each direction on this stage
  auto fwd = [&](long long k) {
    const int chunk = vp == 1 ? 0 : static_cast<int>((k / pp) % vp);
    const long long mb = vp == 1 ? k : (k / (1LL * pp * vp)) * pp + k % pp;
    return Pass{true, chunk, mb};
  };
  auto bwd = [&](long long k) {
    const int chunk = vp == 1 ? 0 : vp - 1 - static_cast<int>((k / pp) % vp);
    const long long mb = vp == 1 ? k : (k / (1LL * pp * vp)) * pp + k % pp;
    return Pass{false, chunk, mb};
  };
  long long warmup = vp == 1 ? pp - stage - 1 : 2LL * (pp - stage - 1) + 1LL * (vp - 1) * pp;
  warmup = std::min(warmup, total);
  long long f = 0, b = 0;
  for (; f < warmup; ++f) order.push_back(fwd(f));
  while (f < total) {
    order.push_back(fwd(f++));
    order.push_back(bwd(b++));
  }
  while (b < total) order.push_back(bwd(b++));
  return order;
}

// Layers of each virtual stage v = chunk * pp + stage, as the analytical engine splits them.
std::vector<int> layers_per_virtual_stage(long long layers, int pp, int vp) {
  const long long n = 1LL * pp * vp;
  std::vector<int> out(static_cast<std::size_t>(n));
  if (layers % n != 0 && (layers + 2) % n == 0) {
    // Embedding and loss counted as layers: the first and last virtual stages take one fewer.
    for (auto& x : out) x = static_cast<int>((layers + 2) / n);
    out.front() -= 1;
    out.back() -= 1;
  } else {
    for (long long v = 0; v < n; ++v) out[static_cast<std::size_t>(v)] = static_cast<int>(layers / n + (v < layers % n ? 1 : 0));
  }
  return out;
}

}  // namespace detail

using detail::layers_per_virtual_stage;
using detail::Pass;
using detail::stage_order;

Result simulate_pipeline(const Context& ctx, const Result& a, Timeline* timeline) {
  Result r = a;
  r.engine = "event";
  const auto& s = a.strategy;
  const auto& P = a.pipeline;
  const int pp = s.pp, vp = s.vp;
  const long long m = std::max<long long>(1, s.microbatches());
  if (2LL * pp * vp * m > kMaxPasses)
    throw core::Unsupported(
        {"--engine", 0, 0, "engine"},
        fmt::format("the event engine would simulate {} passes ({} micro-batches on {} x {} stages); the limit is {}",
                    2LL * pp * vp * m, m, pp, vp, kMaxPasses),
        "--engine analytical (the same schedule in closed form)");
  const long long layers = ctx.model != nullptr ? ctx.model->layers : 1;
  const auto per_v = layers_per_virtual_stage(layers, pp, vp);
  const int nv = pp * vp;
  auto duration = [&](int v, bool forward) {
    double t = per_v[static_cast<std::size_t>(v)] * (forward ? P.layer_fwd : P.layer_bwd);
    if (v == 0) t += forward ? P.embed / 3.0 : 2.0 * P.embed / 3.0;
    if (v == nv - 1) t += forward ? P.head_fwd : P.head_bwd;
    // Blocking send to the next (forward) or previous (backward) virtual stage.
    if (pp > 1 && (forward ? v < nv - 1 : v > 0)) t += P.p2p;
    return t;
  };
  // done[v][mb] for forward and backward passes.
  std::vector<std::vector<double>> fdone(static_cast<std::size_t>(nv), std::vector<double>(static_cast<std::size_t>(m), -1.0));
  auto bdone = fdone;
  std::vector<std::vector<Pass>> orders;
  for (int st = 0; st < pp; ++st) orders.push_back(stage_order(st, pp, vp, m));
  std::vector<std::size_t> next(static_cast<std::size_t>(pp), 0);
  std::vector<double> free_at(static_cast<std::size_t>(pp), 0.0);
  std::size_t remaining = 0;
  for (const auto& o : orders) remaining += o.size();
  double makespan = 0;
  while (remaining > 0) {
    bool progressed = false;
    for (int st = 0; st < pp; ++st) {
      auto& i = next[static_cast<std::size_t>(st)];
      while (i < orders[static_cast<std::size_t>(st)].size()) {
        const Pass p = orders[static_cast<std::size_t>(st)][i];
        const int v = p.chunk * pp + st;
        const auto mbi = static_cast<std::size_t>(p.mb);
        double ready;
        if (p.forward)
          ready = v == 0 ? 0.0 : fdone[static_cast<std::size_t>(v - 1)][mbi];
        else
          ready = v == nv - 1 ? fdone[static_cast<std::size_t>(v)][mbi] : bdone[static_cast<std::size_t>(v + 1)][mbi];
        if (ready < 0) break;  // its input is not produced yet: another stage goes first
        const double start = std::max(free_at[static_cast<std::size_t>(st)], ready);
        const double dur = duration(v, p.forward);
        const double end = start + dur;
        (p.forward ? fdone : bdone)[static_cast<std::size_t>(v)][mbi] = end;
        free_at[static_cast<std::size_t>(st)] = end;
        makespan = std::max(makespan, end);
        if (timeline != nullptr)
          timeline->events.push_back(
              {fmt::format("{}{}{}", p.forward ? "F" : "B", p.mb, vp > 1 ? fmt::format(".c{}", p.chunk) : ""),
               p.forward ? "forward" : "backward", st, start, dur});
        ++i;
        --remaining;
        progressed = true;
      }
    }
    if (!progressed)  // cannot happen for Megatron's orders
      throw std::logic_error(fmt::format("event engine: the schedule of {} deadlocked", s.spec()));
  }
  // Step = the pipeline + what follows it (exposed DP, optimizer, memory streaming).
  const auto& b = a.breakdown;
  const double busy = b.compute + b.tp_comm + b.cp_comm + b.ep_comm + b.pp_comm;
  r.breakdown.bubble = std::max(0.0, makespan - busy);
  r.step_time = r.breakdown.total();
  const double peak_scale = a.step_time > 0 ? a.step_time / r.step_time : 1.0;
  r.mfu = a.mfu * peak_scale;
  r.hfu = a.hfu * peak_scale;
  if (timeline != nullptr) {
    timeline->pipeline = makespan;
    double t = makespan;
    auto tail = [&](const char* name, const char* cat, double dur) {
      if (dur <= 0) return;
      for (int st = 0; st < pp; ++st) timeline->events.push_back({name, cat, st, t, dur});
      t += dur;
    };
    tail("data-parallel sync", "dp", b.dp_comm);
    tail("optimizer step", "optimizer", b.optimizer);
    tail("memory streaming (exposed)", "stream", b.memory_stream);
  }
  return r;
}

std::string trace_json(const Timeline& t, const std::string& title) {
  nlohmann::ordered_json j;
  auto& ev = j["traceEvents"];
  ev = nlohmann::ordered_json::array();
  int stages = 0;
  for (const auto& e : t.events) stages = std::max(stages, e.stage + 1);
  ev.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 0}, {"args", {{"name", title}}}});
  stages = std::max(stages, static_cast<int>(t.tracks.size()));
  for (int st = 0; st < stages; ++st) {
    const std::string name =
        static_cast<std::size_t>(st) < t.tracks.size() ? t.tracks[static_cast<std::size_t>(st)] : fmt::format("stage {}", st);
    ev.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 0}, {"tid", st}, {"args", {{"name", name}}}});
  }
  for (const auto& e : t.events)
    ev.push_back({{"name", e.name},
                  {"cat", e.category},
                  {"ph", "X"},
                  {"pid", 0},
                  {"tid", e.stage},
                  {"ts", std::round(e.start * 1e9) / 1e3},
                  {"dur", std::round(e.duration * 1e9) / 1e3}});
  // Counter tracks (link utilisation, 0..1), one sample per change.
  for (const auto& c : t.counters)
    for (const auto& [time, value] : c.samples)
      ev.push_back({{"name", c.name},
                    {"ph", "C"},
                    {"pid", 0},
                    {"ts", std::round(time * 1e9) / 1e3},
                    {"args", {{"utilisation", std::round(value * 1e6) / 1e6}}}});
  j["displayTimeUnit"] = "ms";
  j["otherData"] = {{"pipeline_s", t.pipeline}, {"generator", "dojosim event engine"}};
  return j.dump(1);
}

}  // namespace dojosim::engine
