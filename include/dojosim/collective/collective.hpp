// Collective communication priced on the levels of a system that a group spans.
//
// A Group is a set of `size` devices placed `stride` devices apart (TP innermost, then
// CP, EP, PP, DP outward). `place_group` finds, for each topology level the group
// crosses, the fan-in k (members per instance of that level divided by members per
// instance of the level below), the bandwidth each member gets there, the latency per
// step, and the bus-efficiency curve. Collectives are hierarchical: a reduce-scatter
// inside the innermost level, then across the next level on the shards, and so on
// (all-gather in reverse); at each hop the cheapest algorithm among ring,
// halving-doubling (power-of-two k) and double binary tree is used.
//
// Closed forms at one level with fan-in p, bandwidth B, latency a, efficiency 1:
//   ring all-reduce      2 (p-1)/p * S/B + 2 (p-1) a
//   halving-doubling     2 (p-1)/p * S/B + 2 log2(p) a
//   double binary tree   2 S/B + 2 ceil(log2 p) a     (NCCL's tree; wins on latency)
//   reduce-scatter / all-gather: half of the ring all-reduce.
// Contract: every function is pure and allocation-free (hot path of search).
#pragma once

#include <array>

#include "dojosim/hardware/system.hpp"

namespace dojosim::collective {

enum class Algo { none, ring, halving_doubling, tree };
const char* algo_name(Algo a);
enum class Path { mesh, zplane };

struct Hop {
  int level = 0;         // index into System::levels
  int k = 1;             // fan-in at this level
  double bandwidth = 0;  // B/s per member per direction (effective, algorithm-independent)
  double latency = 0;    // s per algorithm step
  double bus_efficiency = 1, half_bytes = 0;
  bool zplane = false;   // Dojo: this hop uses the TTPoE Z-plane instead of the mesh
};

struct Group {
  int size = 1;
  int hops = 0;
  std::array<Hop, 8> hop{};
  [[nodiscard]] bool trivial() const { return size <= 1; }
};

// Places a group of `size` members `stride` devices apart, starting at device 0.
Group place_group(const hardware::System& sys, int size, long long stride);

struct Cost {
  double time = 0;
  Algo algo = Algo::none;  // algorithm of the most expensive hop
};

// S is the full buffer size in bytes on each member (before reduce-scatter / after all-gather).
Cost all_reduce(const Group& g, double bytes, Algo force = Algo::none);
Cost reduce_scatter(const Group& g, double bytes, Algo force = Algo::none);
Cost all_gather(const Group& g, double bytes, Algo force = Algo::none);
// Each member holds `bytes` and sends (size-1)/size of it to the others.
Cost all_to_all(const Group& g, double bytes);
// Point-to-point between neighbours of the group (pipeline stages).
Cost send_recv(const Group& g, double bytes);

// Achieved fraction of bandwidth for a message of `bytes` at a hop.
inline double efficiency(const Hop& h, double bytes) {
  return h.half_bytes > 0 ? h.bus_efficiency * bytes / (bytes + h.half_bytes) : h.bus_efficiency;
}

}  // namespace dojosim::collective
