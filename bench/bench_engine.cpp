// Plan evaluation and strategy search speed (issues 3 and 8).
//
//   BM_Evaluate/*     one engine::evaluate call (items/s = plan evaluations per second per core)
//   BM_Search/*       a whole `dojosim search` space; counters: evaluated plans, plans/s
//     turing_nlg_5128_a100   Megatron-Turing NLG 530B on 5,128 A100 (641 DGX nodes), global
//                            batch at most 2520, rounded down per plan (the space Calculon's
//                            README searches: 8,112 configurations in ~31 s)
//     llama405b_16384_h100   Llama 3.1 405B on 16,384 H100, seq 8192, global batch 2048 (16M tokens, Meta 2024)
#include <benchmark/benchmark.h>

#include "dojosim/explore/search.hpp"

using namespace dojosim;

namespace {

void BM_Evaluate(benchmark::State& state, const char* system, const char* model, const char* spec) {
  const auto sys = hardware::load_system(system);
  const auto m = workload::load_model(model);
  auto s = parallel::parse_strategy(spec);
  s.seq = 2048;
  parallel::check_strategy(s, m, sys);
  const auto stack = parallel::load_stack(parallel::default_stack_name(sys));
  engine::Context ctx{&sys, &m, 2048};
  ctx.use(stack);
  for (auto _ : state) {
    auto r = engine::evaluate(ctx, s);
    benchmark::DoNotOptimize(r.step_time);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_Evaluate, gpt3_175b_1024_a100, "dgx-a100:nodes=128", "gpt3-175b",
                  "tp=8,pp=8,dp=16,vp=4,mbs=1,gbs=1536,sp=true,zero=1,recompute=selective");
BENCHMARK_CAPTURE(BM_Evaluate, gpt3_175b_exapod, "dojo-exapod", "gpt3-175b",
                  "tp=2,pp=1,dp=1500,vp=1,mbs=1,gbs=1500,sp=true,zero=3,recompute=full");

void BM_Search(benchmark::State& state, const char* system, const char* model, const char* spec, long long seq, int threads) {
  const auto sys = hardware::load_system(system);
  const auto m = workload::load_model(model);
  auto partial = parallel::parse_strategy(spec);
  partial.seq = seq;
  const auto stack = parallel::load_stack(parallel::default_stack_name(sys));
  engine::Context ctx{&sys, &m, seq};
  ctx.use(stack);
  explore::SearchOptions opt;
  opt.threads = threads;
  long long evaluated = 0, enumerated = 0;
  for (auto _ : state) {
    const auto rep = explore::search(ctx, partial, opt);
    evaluated = rep.counts.evaluated;
    enumerated = rep.counts.enumerated;
    benchmark::DoNotOptimize(rep.ranked.front().objective);
  }
  state.counters["enumerated"] = static_cast<double>(enumerated);
  state.counters["evaluated"] = static_cast<double>(evaluated);
  state.counters["evaluated_per_s"] =
      benchmark::Counter(static_cast<double>(evaluated) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_Search, turing_nlg_5128_a100_1thread, "dgx-a100:nodes=641", "turing-nlg-530b", "gbs=2520", 2048, 1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Search, turing_nlg_5128_a100_2threads, "dgx-a100:nodes=641", "turing-nlg-530b", "gbs=2520", 2048, 2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Search, llama405b_16384_h100_2threads, "dgx-h100:nodes=2048", "llama3.1-405b", "gbs=2048", 8192, 2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
