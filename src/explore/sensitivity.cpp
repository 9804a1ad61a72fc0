// One-at-a-time sensitivity and the Dojo assumptions table (contract in
// explore/sensitivity.hpp; method in docs/model.md#sensitivity).
#include "dojosim/explore/sensitivity.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace dojosim::explore {

// THE table. Base values are the dojo-exapod preset's (a unit test checks that setting
// them all reproduces the preset's verdict). Sources: ../shared/specs/hardware_facts.md.
const std::vector<Assumption>& dojo_assumptions() {
  static const std::vector<Assumption> table{
      {"D1 matrix-unit issue efficiency", "device.core_mesh.issue_efficiency", "0.6", "0.8", "0.95",
       "assumption: no public D1 GEMM measurement; the core model (docs/model.md#d1-core) turns it into each GEMM's efficiency; "
       "0.6 a young compiler, 0.95 hand-scheduled SRAM-fed kernels"},
      {"D1 SRAM bandwidth", "device.memory.sram.bandwidth", "95.58 TB/s", "141.6 TB/s", "181.2 TB/s",
       "T15 (U): 354 cores x 270 GB/s store / x 400 GB/s load; T6: x 512 GB/s NoC port"},
      {"D1 edge bandwidth per direction", "levels.tile.bandwidth", "2 TB/s", "2 TB/s", "4 TB/s",
       "T6, flag F1: 4 TB/s per edge counted both directions (base) or per direction"},
      {"tile edge reading (9 TB/s)", "levels.tray.bandwidth_counts", "both_directions", "per_direction", "per_direction",
       "T4: 9 TB/s per edge, read per direction (base); T9's 5 DIPs x 900 GB/s = 4.5 TB/s per edge reads it as both directions"},
      {"tray-to-tray bandwidth", "levels.cabinet.bandwidth", "9 TB/s", "27 TB/s", "27 TB/s",
       "assumption: trays joined along one to three tile edges"},
      {"cabinet-to-cabinet bandwidth", "levels.exapod.bandwidth", "4.5 TB/s", "9 TB/s", "27 TB/s",
       "assumption: half a tile edge to three"},
      {"Z-plane bandwidth per DIP", "dip.ethernet_bandwidth", "12.5 GB/s", "50 GB/s", "100 GB/s",
       "T9: 400 Gb/s per DIP; T11: TTPoE shown on 100 GbE; 800 GbE assumption"},
      {"Z-plane frame loss rate", "dip.loss_rate", "0", "0", "1e-4", "assumption: lossy L2 Ethernet, TTPoE replays (T10)"},
      {"Z-plane latency", "dip.ethernet_latency", "1.3 us", "1.3 us", "10 us",
       "T13 (one-way over a switch); 10 us under load, assumption"},
      {"die-to-die hop latency", "levels.tile.latency", "50 ns", "100 ns", "500 ns", "assumption"},
      {"tile-to-tile hop latency", "levels.tray.latency", "100 ns", "200 ns", "1 us", "assumption"},
      {"cabinet hop latency", "levels.exapod.latency", "0.5 us", "1 us", "5 us", "assumption"},
      {"DIP HBM bandwidth", "dip.hbm_bandwidth", "400 GB/s", "800 GB/s", "900 GB/s",
       "T9: 800 GB/s; 400 assumption (half achieved); 900 the TTP link (T9)"},
      {"DIP to tile link", "dip.tile_link_bandwidth", "450 GB/s", "900 GB/s", "900 GB/s", "T9: 900 GB/s; half, assumption"},
      {"host link per DIP", "dip.host_link_bandwidth", "16 GB/s", "32 GB/s", "32 GB/s",
       "T9: PCIe Gen4 x16; half achieved, assumption"},
      {"tile yield", "economics.tile_yield", "0.5", "", "0.95",
       "base: the yield model (docs/economics.md); 0.5 the unsourced T14 rumour; 0.95 assumption"},
      {"D1 price", "device.price", "$1500", "$3000", "$6000", "assumption: not published (x0.5 .. x2)"},
      {"tile integration price", "levels.tile.price", "$37500", "$75000", "$150000", "assumption: not published (x0.5 .. x2)"},
  };
  return table;
}

std::vector<std::size_t> Sensitivity::ranked(std::size_t m) const {
  std::vector<std::size_t> idx(rows.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  auto swing = [&](std::size_t i) { return std::abs(rows[i].high[m] - rows[i].low[m]); };
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return swing(a) > swing(b); });
  return idx;
}

Sensitivity one_at_a_time(const std::vector<Assumption>& table, const Evaluate& evaluate) {
  Sensitivity s;
  s.base = evaluate({});
  std::vector<std::string> at_base;
  for (const auto& a : table)
    if (!a.base.empty()) at_base.push_back(a.key + "=" + a.base);
  s.base_from_table = evaluate(at_base);
  for (const auto& a : table)
    s.rows.push_back({a, a.low.empty() ? s.base : evaluate({a.key + "=" + a.low}),
                      a.high.empty() ? s.base : evaluate({a.key + "=" + a.high})});
  for (std::size_t m = 0; m < s.base.size(); ++m) {
    Sensitivity::Corner c;
    const double b = s.base[m];
    for (const auto& w : s.rows) {
      // The value that moved metric m down (up); a row that does not move it stays at base.
      const double lo = w.low[m], hi = w.high[m];
      const std::string& down = lo <= hi ? w.a.low : w.a.high;
      const std::string& up = lo <= hi ? w.a.high : w.a.low;
      if (std::min(lo, hi) < b && !down.empty()) c.low_sets.push_back(w.a.key + "=" + down);
      if (std::max(lo, hi) > b && !up.empty()) c.high_sets.push_back(w.a.key + "=" + up);
    }
    c.low = c.low_sets.empty() ? b : evaluate(c.low_sets)[m];
    c.high = c.high_sets.empty() ? b : evaluate(c.high_sets)[m];
    // Every evaluated variant is an answer the facts allow, so the range holds them all:
    // effects are not additive (the reference's best plan jumps between sizes, so its
    // throughput is not monotonic in its size), and one assumption alone can reach further
    // than all together.
    for (const auto& w : s.rows) {
      c.low = std::min({c.low, w.low[m], w.high[m]});
      c.high = std::max({c.high, w.low[m], w.high[m]});
    }
    s.corners.push_back(std::move(c));
  }
  return s;
}

}  // namespace dojosim::explore
