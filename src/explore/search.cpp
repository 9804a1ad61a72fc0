// Strategy search (contract in explore/search.hpp).
#include "dojosim/explore/search.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"

namespace dojosim::explore {

using engine::Result;
using parallel::Strategy;

std::string_view objective_name(Objective o) {
  switch (o) {
    case Objective::time: return "time";
    case Objective::cost: return "cost";
    case Objective::energy: return "energy";
  }
  return "time";
}

Objective parse_objective(std::string_view s) {
  if (s == "time") return Objective::time;
  if (s == "cost") return Objective::cost;
  if (s == "energy") return Objective::energy;
  const std::vector<std::string> known = {"time", "cost", "energy"};
  throw core::InputError({"--objective", 0, 0, "objective"}, fmt::format("unknown objective '{}'", s), "time, cost or energy",
                         core::did_you_mean(s, known));
}

namespace {

// A candidate in the running: what ranks it and what reproduces it. Results (about
// 10 kB each) are not kept in the loop; the few that stay in the list are evaluated again
// at the end (evaluation is a pure function of the context and the strategy).
struct Candidate {
  double objective = 0;
  long long index = 0;
  parallel::Strategy strategy;
  report::Economics econ;
};
bool before(const Candidate& a, const Candidate& b) {
  if (a.objective != b.objective) return a.objective < b.objective;
  return a.index < b.index;
}

// Keeps the `cap` best candidates, sorted.
struct TopList {
  std::size_t cap;
  std::vector<Candidate> items;
  explicit TopList(std::size_t c) : cap(c) { items.reserve(cap + 1); }
  [[nodiscard]] bool admits(const Candidate& c) const { return items.size() < cap || before(c, items.back()); }
  void offer(const Candidate& c) {
    if (!admits(c)) return;
    items.insert(
        std::upper_bound(items.begin(), items.end(), c, [](const Candidate& x, const Candidate& y) { return before(x, y); }), c);
    if (items.size() > cap) items.pop_back();
  }
};

double per_token(double v, const Result& r) { return r.tokens_per_step > 0 ? v / r.tokens_per_step : 1e300; }

}  // namespace

std::string why_better(const Result& best, const Result& other) {
  const auto& a = best.breakdown;
  const auto& b = other.breakdown;
  struct Part {
    const char* phrase;
    double mine, theirs;
  };
  const Part parts[] = {
      {"less compute time (fewer recomputed FLOPs, better GEMM shapes)", a.compute, b.compute},
      {"less exposed tensor-parallel communication", a.tp_comm, b.tp_comm},
      {"less exposed context-parallel communication", a.cp_comm, b.cp_comm},
      {"less exposed expert all-to-all", a.ep_comm, b.ep_comm},
      {"less pipeline send/recv", a.pp_comm, b.pp_comm},
      {"less exposed data-parallel communication", a.dp_comm, b.dp_comm},
      {"a smaller pipeline bubble", a.bubble, b.bubble},
      {"a faster optimizer step", a.optimizer, b.optimizer},
      {"less exposed memory streaming", a.memory_stream, b.memory_stream},
      {"less spatial (halo) communication", a.spatial_comm, b.spatial_comm},
  };
  // Compare per token: the two plans may have rounded the global batch differently.
  double gain = 0;
  const Part* top = nullptr;
  for (const auto& p : parts) {
    const double d = per_token(p.theirs, other) - per_token(p.mine, best);
    if (d > gain) {
      gain = d;
      top = &p;
    }
  }
  const double pct = 100.0 * (per_token(other.step_time, other) / per_token(best.step_time, best) - 1.0);
  // Vision results count samples (images, clips) where transformers count tokens.
  const std::string unit = std::string_view(best.sample_unit) == "tokens"   ? "token"
                           : std::string_view(best.sample_unit) == "images" ? "image"
                           : std::string_view(best.sample_unit) == "clips"  ? "clip"
                                                                            : "sample";
  if (top == nullptr)
    return fmt::format("{:.2f}% faster per {} than the runner-up ({}{})", pct, unit, other.strategy.spec(),
                       other.strategy.options());
  std::string phrase = top->phrase;
  if (top == &parts[0] && other.strategy.recompute != parallel::Recompute::none &&
      best.strategy.recompute == parallel::Recompute::none)
    phrase = "it fits without activation recomputation";
  // Per step when both plans run the same batch; per token (sample) when their batches
  // were rounded differently, since that is what was compared (a probe read 8.8 s vs
  // 11.7 s per step as a compute gain where most of it was the smaller batch).
  std::string figures;
  if (best.tokens_per_step == other.tokens_per_step)
    figures = fmt::format("{:.4g} s vs {:.4g} s per step", top->mine, top->theirs);
  else
    figures = fmt::format("{:.4g} vs {:.4g} s per million {}s, the batches being {} vs {}", 1e6 * per_token(top->mine, best),
                          1e6 * per_token(top->theirs, other), unit, best.strategy.gbs, other.strategy.gbs);
  return fmt::format("{} ({}): {:.2f}% faster per {} than the runner-up ({})", phrase, figures, pct, unit,
                     other.strategy.spec() + other.strategy.options());
}

SearchReport search(const engine::Context& ctx, const Strategy& partial, const SearchOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  SearchReport rep;
  rep.target_gbs = engine::target_gbs(ctx, partial);
  const auto outers = engine::outer_points(ctx, partial, opt.space);
  const Pricer pricer(*ctx.sys, opt.econ);
  const std::size_t keep = static_cast<std::size_t>(std::max(1, opt.top)) + 16;  // extra for a distinct runner-up
  int threads = opt.threads > 0 ? opt.threads : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  threads = std::max(1, std::min<int>(threads, static_cast<int>(outers.size())));

  std::atomic<std::size_t> next{0};
  std::mutex merge;
  TopList all(keep);
  engine::SpaceCounts total;
  // Each outer point owns a block of indices wide enough for any inner enumeration (its
  // variants included: the offload candidate's index once overflowed a block of 2^20 into
  // the next outer point's, and exact ties ranked differently from run to run).
  constexpr long long kBlock = 1LL << 40;
  auto work = [&]() {
    TopList local(keep);
    engine::SpaceCounts counts;
    for (std::size_t i = next++; i < outers.size(); i = next++) {
      engine::for_each_inner(ctx, outers[i], partial, opt.space, counts, [&](const Result& r, long long inner) {
        if (!r.memory.fits) return;
        Candidate c;
        c.index = static_cast<long long>(i) * kBlock + inner;
        switch (opt.objective) {
          case Objective::time: c.objective = per_token(r.step_time, r); break;
          case Objective::cost:
            c.econ = pricer.summary(r);
            c.objective = per_token(c.econ.cost_usd_per_step, r);
            break;
          case Objective::energy:
            c.econ = pricer.summary(r);
            c.objective = per_token(c.econ.energy_j_per_step, r);
            break;
        }
        if (!local.admits(c)) return;
        c.strategy = r.strategy;
        local.offer(c);
      });
    }
    std::lock_guard<std::mutex> lock(merge);
    for (const auto& c : local.items) all.offer(c);
    total.add(counts);
  };
  if (threads == 1)
    work();
  else {
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t) pool.emplace_back(work);
    for (auto& t : pool) t.join();
  }
  rep.counts = total;
  // `last_problem` depends on which thread saw what last; keep the message deterministic.
  if (total.evaluated == 0 && total.pruned_memory == 0) {
    engine::SpaceCounts serial;
    for (const auto& o : outers) engine::for_each_inner(ctx, o, partial, opt.space, serial, [](const Result&, long long) {});
    throw engine::no_completion(partial,
                                serial.last_problem.empty() ? engine::no_split_reason(ctx, partial) : serial.last_problem,
                                "keys that fit the model and system (a given gbs is a target: it must be at least dp*mbs)");
  }
  if (all.items.empty())
    throw core::Infeasible(fmt::format("no strategy fits in memory on {} x {} ({} plans evaluated, {} pruned by memory)",
                                       ctx.sys->device_count(), ctx.sys->device.name, total.evaluated, total.pruned_memory),
                           "try more devices or a smaller model");
  std::vector<Ranked> items(all.items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Candidate& c = all.items[i];
    items[i].result = engine::evaluate(ctx, c.strategy);
    items[i].econ = c.econ;
    items[i].objective = c.objective;
    items[i].index = c.index;
  }
  for (auto& c : items)
    if (!c.econ.present) c.econ = pricer.summary(c.result);
  // The same plan twice: options that changed nothing (weights=sram where the resolver
  // keeps them in SRAM anyway) give the same result; the first enumerated stays.
  {
    std::vector<Ranked> kept;
    kept.reserve(items.size());
    for (auto& c : items) {
      const bool same = std::any_of(kept.begin(), kept.end(), [&](const Ranked& k) {
        return k.result.step_time == c.result.step_time && k.result.memory.per_device() == c.result.memory.per_device() &&
               k.objective == c.objective && k.result.strategy.spec() == c.result.strategy.spec();
      });
      if (!same) kept.push_back(std::move(c));
    }
    items = std::move(kept);
  }
  // Runner-up: the best plan that is measurably different from the winner.
  const Ranked& best = items.front();
  const Ranked* runner = nullptr;
  for (std::size_t i = 1; i < items.size(); ++i)
    if (items[i].objective > best.objective * (1 + 1e-4)) {
      runner = &items[i];
      break;
    }
  if (runner == nullptr)
    rep.reason = items.size() > 1 ? "several plans tie within 0.01%; the first enumerated is shown" : "the only plan that fits";
  else if (opt.objective == Objective::time)
    rep.reason = why_better(best.result, runner->result);
  else
    rep.reason =
        fmt::format("{:.2f}% lower {} per {} than the runner-up ({}); {}", 100.0 * (runner->objective / best.objective - 1.0),
                    objective_name(opt.objective), std::string_view(best.result.sample_unit) == "tokens" ? "token" : "sample",
                    runner->result.strategy.spec() + runner->result.strategy.options(), why_better(best.result, runner->result));
  items.resize(std::min(items.size(), static_cast<std::size_t>(std::max(1, opt.top))));
  rep.ranked = std::move(items);
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace dojosim::explore
