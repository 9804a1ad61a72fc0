// The whole-step event engine with contention (issue 14): one simulated training step.
//
//   BM_Step/<case>        engine::simulate_step on a built graph and plan (the contended run
//                         only; counters: tasks, max-min solves, cache hits, links)
//   BM_StepFull/<case>    what `run --engine event` adds: graph, plan, the step, and the
//                         uncontended reference run
//   BM_Graph/<case>       building the topology graph alone
// Cases: GPT-3 175B on 1,024 A100 (tp8 pp8 dp16, Narayanan et al. 2021's 3-D split);
// Llama 3.1 405B on 16,384 H100 (tp8 pp16 dp128, seq 8192, gbs 2048: Meta 2024's
// 16K-GPU stage), and the same shape on 1,024 (dp8) and 65,536 (dp512) H100 for scaling.
// Peak memory: run with /usr/bin/time -v (docs/model.md#whole-step reports the figures).
#include <benchmark/benchmark.h>

#include "dojosim/engine/event.hpp"
#include "dojosim/engine/plan.hpp"
#include "dojosim/parallel/stack.hpp"

using namespace dojosim;

namespace {

struct Case {
  hardware::System sys;
  workload::Transformer model;
  parallel::Stack stack;
  parallel::Strategy s;
  engine::Context ctx;
  Case(const char* system, const char* model_name, const char* spec, long long seq)
      : sys(hardware::load_system(system)),
        model(workload::load_model(model_name)),
        stack(parallel::load_stack(parallel::default_stack_name(sys))) {
    s = parallel::parse_strategy(spec);
    s.seq = seq;
    parallel::check_strategy(s, model, sys);
    ctx = engine::Context{&sys, &model, seq};
    ctx.use(stack);
  }
};

void BM_Step(benchmark::State& state, const char* system, const char* model, const char* spec, long long seq) {
  Case c(system, model, spec, seq);
  const hardware::Graph g(c.sys);
  const auto plan = engine::make_plan(c.ctx, c.s);
  const auto a = engine::price(c.ctx, plan);
  engine::StepOptions opt;
  opt.reference = false;
  engine::StepStats stats;
  for (auto _ : state) {
    auto r = engine::simulate_step(c.ctx, plan, a, g, nullptr, opt, &stats);
    benchmark::DoNotOptimize(r.step_time);
  }
  state.counters["tasks"] = static_cast<double>(stats.tasks);
  state.counters["solves"] = static_cast<double>(stats.solves);
  state.counters["cache_hits"] = static_cast<double>(stats.cache_hits);
  state.counters["links"] = static_cast<double>(stats.links);
  state.counters["flows"] = static_cast<double>(stats.flows);
}

void BM_StepFull(benchmark::State& state, const char* system, const char* model, const char* spec, long long seq) {
  Case c(system, model, spec, seq);
  for (auto _ : state) {
    const hardware::Graph g(c.sys);
    const auto plan = engine::make_plan(c.ctx, c.s);
    const auto a = engine::price(c.ctx, plan);
    auto r = engine::simulate_step(c.ctx, plan, a, g);
    benchmark::DoNotOptimize(r.step_time);
  }
}

void BM_Graph(benchmark::State& state, const char* system) {
  const auto sys = hardware::load_system(system);
  for (auto _ : state) {
    const hardware::Graph g(sys);
    benchmark::DoNotOptimize(g.links().size());
  }
}

}  // namespace

BENCHMARK_CAPTURE(BM_Step, gpt3_175b_1024_a100, "dgx-a100:nodes=128", "gpt3-175b", "tp=8,pp=8,dp=16,mbs=1,gbs=1536,vp=1,sp=false",
                  2048)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Step, llama405b_1024_h100, "dgx-h100:nodes=128", "llama3.1-405b", "tp=8,pp=16,dp=8,mbs=1,gbs=128,vp=1", 8192)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Step, llama405b_16384_h100, "dgx-h100:nodes=2048", "llama3.1-405b", "tp=8,pp=16,dp=128,mbs=1,gbs=2048,vp=1",
                  8192)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Step, llama405b_65536_h100, "dgx-h100:nodes=8192", "llama3.1-405b", "tp=8,pp=16,dp=512,mbs=1,gbs=8192,vp=1",
                  8192)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Step, gpt3_175b_exapod, "dojo-exapod", "gpt3-175b", "tp=4,pp=6,dp=125,mbs=1,gbs=1500,vp=1,sp=false", 2048)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_StepFull, gpt3_175b_1024_a100, "dgx-a100:nodes=128", "gpt3-175b",
                  "tp=8,pp=8,dp=16,mbs=1,gbs=1536,vp=1,sp=false", 2048)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_StepFull, llama405b_16384_h100, "dgx-h100:nodes=2048", "llama3.1-405b",
                  "tp=8,pp=16,dp=128,mbs=1,gbs=2048,vp=1", 8192)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Graph, h100_16384, "dgx-h100:nodes=2048")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Graph, h100_65536, "dgx-h100:nodes=8192")->Unit(benchmark::kMillisecond);
