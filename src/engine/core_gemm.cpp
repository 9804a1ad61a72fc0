// A GEMM inside one Dojo D1 (contract in include/dojosim/engine/core_gemm.hpp; formulas
// in docs/model.md#d1-core).
#include "dojosim/engine/core_gemm.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace dojosim::engine {

namespace {
// K panel streamed per step, double-buffered (assumption: a multiple of the 8x8x4 matrix
// unit's depth that keeps panels small next to the output block).
constexpr double kPanelK = 64;
constexpr double kAccumBytes = 4;  // fp32 accumulators for the output block

double up(double x, double m) { return std::ceil(x / m) * m; }
double down(double x, double m) { return std::floor(x / m) * m; }
}  // namespace

bool has_core_model(const hardware::Device& d) {
  return d.core_rows > 0 && d.core_issue_efficiency > 0 && d.sram_per_core > 0 && d.core_link_bandwidth > 0 &&
         d.compute_units > 0;
}

double operand_bytes(hardware::Precision p) {
  using hardware::Precision;
  switch (p) {
    case Precision::fp64: return 8;
    case Precision::fp32:
    case Precision::tf32: return 4;
    case Precision::fp8:
    case Precision::cfp8: return 1;
    default: return 2;
  }
}

namespace {
CoreGemm price(const hardware::Device& d, hardware::Precision p, double M, double N, double K, double batch);

// The search prices the same few shapes on the same device many times: a small
// direct-mapped cache per thread (no allocation), keyed by every input the price reads.
struct CacheKey {
  std::array<double, 15> v{};
  bool operator==(const CacheKey&) const = default;
};
CacheKey key_of(const hardware::Device& d, hardware::Precision p, double M, double N, double K, double batch) {
  return {{M, N, K, batch, static_cast<double>(p), d.peak_for(p), static_cast<double>(d.compute_units), d.core_issue_efficiency,
           d.sram_per_core * d.core_gemm_sram_share, d.memory_bandwidth(), d.core_store_bandwidth, d.core_link_bandwidth,
           d.core_hop_latency, static_cast<double>(d.core_rows + d.core_cols),
           static_cast<double>(d.eff.tile_m) * 4096 + static_cast<double>(d.eff.tile_n)}};
}
}  // namespace

CoreGemm core_mesh_gemm(const hardware::Device& d, hardware::Precision p, double M, double N, double K, double batch) {
  struct Entry {
    CacheKey key;
    CoreGemm value;
    bool used = false;
  };
  thread_local std::array<Entry, 512> cache{};
  const CacheKey k = key_of(d, p, M, N, K, batch);
  std::uint64_t h = 1469598103934665603ULL;
  for (double x : k.v) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &x, sizeof bits);
    h = (h ^ bits) * 1099511628211ULL;
    h ^= h >> 29;  // doubles of round values differ in their high bits: fold them down
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  Entry& e = cache[h % cache.size()];
  if (e.used && e.key == k) return e.value;
  e.key = k;
  e.value = price(d, p, M, N, K, batch);
  e.used = true;
  return e.value;
}

namespace {
CoreGemm price(const hardware::Device& d, hardware::Precision p, double M, double N, double K, double batch) {
  CoreGemm best;
  if (M <= 0 || N <= 0 || K <= 0 || batch <= 0 || !has_core_model(d) || d.peak_for(p) <= 0) return best;
  const double cores = d.compute_units;
  const double rate = d.peak_for(p) / cores * d.core_issue_efficiency;  // FLOP/s of one core's matrix units
  const double b = operand_bytes(p);
  const double tm = std::max(1, d.eff.tile_m), tn = std::max(1, d.eff.tile_n);
  const double budget = d.sram_per_core * d.core_gemm_sram_share;
  const double load = d.memory_bandwidth() / cores;
  const double store = d.core_store_bandwidth > 0 ? d.core_store_bandwidth : load;
  const double link = d.core_link_bandwidth;
  const double barrier = (d.core_rows + d.core_cols) * d.core_hop_latency;
  // Reads per MAC from SRAM: the four matrix units share a 2 x 2 arrangement of tm x tn
  // outputs, so each K step reads (2 tm + 2 tn) operands for 4 tm tn MACs.
  const double reads_per_mac = (2 * tm + 2 * tn) / (4 * tm * tn);
  // Largest bn that fits beside bm: accumulators + double-buffered A and B panels.
  auto fit_bn = [&](double bm) { return down((budget - 2 * kPanelK * b * bm) / (kAccumBytes * bm + 2 * kPanelK * b), tn); };
  const double Mr = up(M, tm), Nr = up(N, tn);

  auto evaluate = [&](double bm, double bn) {
    CoreGemm g;
    g.bm = bm;
    g.bn = bn;
    g.tiles = std::ceil(M / bm) * std::ceil(N / bn) * batch;
    g.k_split = g.tiles < cores ? std::max(1.0, std::min(std::floor(cores / g.tiles), std::floor(K / kPanelK))) : 1.0;
    const double kc = K / g.k_split;
    g.waves = std::ceil(g.tiles * g.k_split / cores);
    g.compute = 2 * bm * bn * kc / rate;
    g.feed = std::max(bm * bn * kc * reads_per_mac * b / load, ((bm + bn) * kc * b + bm * bn * b) / store);
    g.network = std::max(bm, bn) * kc * b / link;
    const double block = std::max({g.compute, g.feed, g.network}) + std::ceil(kc / kPanelK) * barrier;
    if (g.k_split > 1)
      g.reduce = 2 * (g.k_split - 1) / g.k_split * bm * bn * kAccumBytes / link + (g.k_split - 1) * d.core_hop_latency;
    g.time = g.waves * block + g.reduce;
    g.onchip_bytes =
        g.tiles * g.k_split * (bm + bn) * kc * b + (g.k_split > 1 ? g.tiles * bm * bn * kAccumBytes * (g.k_split - 1) : 0.0);
    return g;
  };
  // Candidate block heights: powers of two from the matrix unit up, the largest square
  // block that fits, and the one that gives every core a block.
  // Largest square block: 4 s^2 + 4 kPanelK b s <= budget.
  const double s_max = std::max(tm, down((std::sqrt(kPanelK * b * kPanelK * b + budget) - kPanelK * b) / 2, tm));
  const double s_fill = std::max(tm, up(std::sqrt(M * N * batch / cores), tm));
  std::array<double, 11> heights{tm, 16, 32, 64, 128, 256, 512, s_max, s_fill, std::max(tm, s_fill - tm), s_fill + tm};
  bool first = true;
  for (double h : heights) {
    const double bm = std::min(up(h, tm), Mr);
    const double room = fit_bn(bm);
    if (room < tn) continue;  // the block's accumulators and panels do not fit
    const double rows_of_blocks = std::ceil(M / bm) * batch;
    const double bn_fill = std::max(tn, up(N / std::max(1.0, std::floor(cores / rows_of_blocks)), tn));
    for (double bn : {std::min(room, Nr), std::min({room, Nr, bn_fill})}) {
      const CoreGemm g = evaluate(bm, bn);
      if (first || g.time < best.time) best = g;
      first = false;
    }
  }
  if (first) best = evaluate(tm, tn);  // not even one unit block fits: priced as one, streamed
  best.efficiency = 2 * M * N * K * batch / (best.time * d.peak_for(p));
  return best;
}
}  // namespace

}  // namespace dojosim::engine
