// Batch format conversion throughput (elements per second): FP32 -> each 8-bit format
// (round to nearest even, and stochastic) and back. The working set (64 Ki elements)
// stays in L2 so the figure is the kernel's, not the memory system's.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "dojosim/numerics/batch.hpp"

using namespace dojosim::numerics;

namespace {

constexpr std::size_t kN = 1 << 16;

std::vector<float> inputs() {
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0F, 1.0F);
  std::vector<float> xs(kN);
  for (auto& x : xs) x = nd(rng);
  return xs;
}

Format format_of(int id) {
  const auto f = static_cast<FormatId>(id);
  return f == FormatId::cfloat8_1_4_3 || f == FormatId::cfloat8_1_5_2 ? Format(f, 12) : Format(f);
}

void BM_Encode(benchmark::State& state) {
  const Format f = format_of(static_cast<int>(state.range(0)));
  const auto xs = inputs();
  std::vector<std::uint8_t> out(kN);
  ConvertOptions o;
  o.rounding = state.range(1) == 0 ? Rounding::nearest_even : Rounding::stochastic;
  for (auto _ : state) {
    encode(f, xs, std::span(out), o);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kN));
  state.SetLabel(std::string(f.name()) + (state.range(1) == 0 ? " rne" : " stochastic"));
}

void BM_Decode(benchmark::State& state) {
  const Format f = format_of(static_cast<int>(state.range(0)));
  const auto xs = inputs();
  std::vector<std::uint8_t> codes(kN);
  encode(f, xs, std::span(codes));
  std::vector<float> out(kN);
  for (auto _ : state) {
    decode(f, std::span<const std::uint8_t>(codes), std::span(out));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kN));
  state.SetLabel(std::string(f.name()));
}

void BM_EncodeWithFlags(benchmark::State& state) {
  const Format f(FormatId::cfloat8_1_4_3, 12);
  const auto xs = inputs();
  std::vector<std::uint8_t> out(kN);
  for (auto _ : state) {
    unsigned flags = 0;
    encode(f, xs, std::span(out), {}, &flags);
    benchmark::DoNotOptimize(flags);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kN));
}

void eight_bit(benchmark::internal::Benchmark* b) {
  for (FormatId id : {FormatId::cfloat8_1_4_3, FormatId::cfloat8_1_5_2, FormatId::fp8_e4m3, FormatId::fp8_e5m2})
    b->Args({static_cast<int>(id), 0});
}
void eight_bit_sr(benchmark::internal::Benchmark* b) {
  for (FormatId id : {FormatId::cfloat8_1_4_3, FormatId::cfloat8_1_5_2, FormatId::fp8_e4m3, FormatId::fp8_e5m2})
    b->Args({static_cast<int>(id), 1});
}

}  // namespace

BENCHMARK(BM_Encode)->Apply(eight_bit);
BENCHMARK(BM_Encode)->Apply(eight_bit_sr);
BENCHMARK(BM_Decode)->Apply(eight_bit);
BENCHMARK(BM_EncodeWithFlags);
