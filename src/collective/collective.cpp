#include "dojosim/collective/collective.hpp"

#include <algorithm>
#include <cmath>

namespace dojosim::collective {

using hardware::Topology;

const char* algo_name(Algo a) {
  switch (a) {
    case Algo::none: return "none";
    case Algo::ring: return "ring";
    case Algo::halving_doubling: return "halving-doubling";
    case Algo::tree: return "tree";
  }
  return "none";
}

namespace {
// Links a ring embedded in this topology can drive per member (both directions of a
// bidirectional ring; one ring per torus dimension).
double ring_links(Topology t) {
  switch (t) {
    case Topology::switched: case Topology::fat_tree: return 1.0;
    case Topology::ring: case Topology::mesh2d: return 2.0;
    case Topology::torus2d: return 4.0;
    case Topology::torus3d: return 6.0;
  }
  return 1.0;
}
bool pow2(int k) { return k > 0 && (k & (k - 1)) == 0; }
}  // namespace

Group place_group(const hardware::System& sys, int size, long long stride) {
  Group g;
  g.size = size;
  if (size <= 1) return g;
  long long below = 1;  // members per instance of the level below
  const int nlev = static_cast<int>(sys.levels.size());
  for (int i = 0; i < nlev && g.hops < static_cast<int>(g.hop.size()); ++i) {
    const long long per = sys.devices_per(i);
    long long members = stride >= per ? 1 : std::min<long long>(size, std::max<long long>(1, per / stride));
    if (i == nlev - 1) members = size;  // the outermost level holds the whole group
    if (members <= below) continue;
    const auto& L = sys.levels[static_cast<std::size_t>(i)];
    Hop h;
    h.level = i;
    h.k = static_cast<int>(members / below);
    h.latency = L.latency;
    h.bus_efficiency = L.bus_efficiency;
    h.half_bytes = L.half_efficiency_bytes;
    if (L.topology == Topology::switched || L.topology == Topology::fat_tree) {
      // Every device has its own port (NVLink, a NIC per GPU): no sharing between members.
      h.bandwidth = L.bandwidth / (L.topology == Topology::fat_tree ? L.oversubscription : 1.0);
    } else {
      // Direct links between neighbouring instances are shared by all devices of an
      // instance (every group of this kind communicates at the same time).
      const double devices_below = i == 0 ? 1.0 : static_cast<double>(sys.devices_per(i - 1));
      h.bandwidth = ring_links(L.topology) * L.bandwidth / devices_below;
      // Dojo: beyond the tile, the Z-plane (TTPoE between DIPs) is an alternative path.
      if (i >= 1 && sys.dip.count > 0) {
        const double z = sys.dip.ethernet_bandwidth * sys.dip.count / static_cast<double>(sys.device_count());
        if (z > h.bandwidth) {
          h.bandwidth = z;
          h.latency = sys.dip.ethernet_latency;
          h.zplane = true;
        }
      }
    }
    g.hop[static_cast<std::size_t>(g.hops++)] = h;
    below = members;
  }
  return g;
}

namespace {
// Time of one hop of a reduce-scatter (or all-gather) on `bytes` per member.
double rs_ring(const Hop& h, double bytes) {
  const double k = h.k;
  const double chunk = bytes / k;
  return (k - 1) / k * bytes / (h.bandwidth * efficiency(h, chunk)) + (k - 1) * h.latency;
}
double rs_hd(const Hop& h, double bytes) {
  const double k = h.k;
  return (k - 1) / k * bytes / (h.bandwidth * efficiency(h, bytes / 2)) + std::log2(k) * h.latency;
}
double ar_tree(const Hop& h, double bytes) {
  return 2.0 * bytes / (h.bandwidth * efficiency(h, bytes)) + 2.0 * std::ceil(std::log2(static_cast<double>(h.k))) * h.latency;
}

Cost hop_cost(const Hop& h, double bytes, bool all_reduce, Algo force) {
  const double mult = all_reduce ? 2.0 : 1.0;
  Cost best{mult * rs_ring(h, bytes), Algo::ring};
  if (force == Algo::ring) return best;
  if (pow2(h.k) && (force == Algo::none || force == Algo::halving_doubling)) {
    const double t = mult * rs_hd(h, bytes);
    if (force == Algo::halving_doubling || t < best.time) best = {t, Algo::halving_doubling};
  }
  if (all_reduce && (force == Algo::none || force == Algo::tree)) {
    const double t = ar_tree(h, bytes);
    if (force == Algo::tree || t < best.time) best = {t, Algo::tree};
  }
  return best;
}

Cost hierarchical(const Group& g, double bytes, bool all_reduce, Algo force) {
  Cost total;
  double worst = -1;
  double shard = bytes;
  for (int i = 0; i < g.hops; ++i) {
    const Hop& h = g.hop[static_cast<std::size_t>(i)];
    const Cost c = hop_cost(h, shard, all_reduce, force);
    total.time += c.time;
    if (c.time > worst) { worst = c.time; total.algo = c.algo; }
    shard /= h.k;
  }
  return total;
}
}  // namespace

Cost all_reduce(const Group& g, double bytes, Algo force) {
  if (g.trivial() || bytes <= 0) return {};
  return hierarchical(g, bytes, true, force);
}
Cost reduce_scatter(const Group& g, double bytes, Algo force) {
  if (g.trivial() || bytes <= 0) return {};
  return hierarchical(g, bytes, false, force);
}
Cost all_gather(const Group& g, double bytes, Algo force) { return reduce_scatter(g, bytes, force); }

Cost all_to_all(const Group& g, double bytes) {
  if (g.trivial() || bytes <= 0) return {};
  Cost c{0, Algo::none};
  double inside = 1;
  for (int i = 0; i < g.hops; ++i) {
    const Hop& h = g.hop[static_cast<std::size_t>(i)];
    inside *= h.k;
    // Data leaving the instance of the level below this hop.
    const double leaving = bytes * (1.0 - static_cast<double>(inside / h.k) / inside);
    c.time += leaving / (h.bandwidth * efficiency(h, bytes / g.size)) + (h.k - 1) * h.latency;
  }
  return c;
}

Cost send_recv(const Group& g, double bytes) {
  if (g.trivial() || bytes <= 0) return {};
  // Some neighbours sit inside an instance, some across the outermost level the group
  // spans; a pipeline runs at the pace of its slowest boundary.
  double worst = 0;
  for (int i = 0; i < g.hops; ++i) {
    const Hop& h = g.hop[static_cast<std::size_t>(i)];
    worst = std::max(worst, bytes / (h.bandwidth * efficiency(h, bytes)) + h.latency);
  }
  return {worst, Algo::none};
}

}  // namespace dojosim::collective
