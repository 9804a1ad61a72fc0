#include "dojosim/collective/collective.hpp"

#include <algorithm>
#include <bit>
#include <numeric>
#include <cmath>

namespace dojosim::collective {

using hardware::Topology;

const char* algo_name(Algo a) {
  switch (a) {
    case Algo::none: return "none";
    case Algo::ring: return "ring";
    case Algo::halving_doubling: return "halving-doubling";
    case Algo::tree: return "tree";
    case Algo::snake_ring: return "snake-ring";
    case Algo::dimwise: return "dimension-wise";
    case Algo::direct: return "direct";
  }
  return "none";
}

const char* path_name(Path p) {
  switch (p) {
    case Path::none: return "none";
    case Path::switched: return "switch";
    case Path::ring: return "ring";
    case Path::torus: return "torus";
    case Path::mesh: return "mesh";
    case Path::zplane: return "zplane";
  }
  return "none";
}

const char* op_name(Op o) {
  switch (o) {
    case Op::none: return "none";
    case Op::all_reduce: return "all-reduce";
    case Op::reduce_scatter: return "reduce-scatter";
    case Op::all_gather: return "all-gather";
    case Op::all_to_all: return "all-to-all";
    case Op::send_recv: return "send-recv";
  }
  return "none";
}

namespace {
// Links a ring embedded in this topology can drive per member (both directions of a
// bidirectional ring; one ring per torus dimension). Mesh levels are priced by mesh2d.
double ring_links(Topology t) {
  switch (t) {
    case Topology::switched:
    case Topology::fat_tree: return 1.0;
    case Topology::ring:
    case Topology::mesh2d: return 2.0;
    case Topology::torus2d: return 4.0;
    case Topology::torus3d: return 6.0;
  }
  return 1.0;
}
Path path_of(Topology t) {
  switch (t) {
    case Topology::switched:
    case Topology::fat_tree: return Path::switched;
    case Topology::ring: return Path::ring;
    case Topology::mesh2d: return Path::mesh;
    case Topology::torus2d:
    case Topology::torus3d: return Path::torus;
  }
  return Path::switched;
}
bool pow2(int k) { return k > 0 && (k & (k - 1)) == 0; }

// The Z-plane as seen by one member: each DIP's Ethernet shared by the D1s it serves, as
// delivered by the transport (window, loss) over the latency that includes reaching a
// DIP at both ends (docs/model.md#ttpoe).
void set_zplane(const hardware::System& sys, Hop& h) {
  const auto& D = sys.dip;
  const auto rate = hardware::transport_rate(hardware::transport_spec(D.transport), D.ethernet_bandwidth, D.ethernet_latency,
                                             D.loss_rate, dip_reach_latency(sys));
  h.z_bandwidth = rate.bandwidth * D.count / static_cast<double>(sys.device_count());
  h.z_latency = rate.latency;
}
}  // namespace

double dip_reach_latency(const hardware::System& sys) {
  if (sys.dip.count <= 0 || sys.levels.empty()) return 0.0;
  const auto& tile = sys.levels[0];
  const bool tray = sys.levels.size() >= 2 && sys.levels[1].topology == Topology::mesh2d;
  const int tc = std::max(1, tile.dims[1]);
  const int cols = tc * (tray ? std::max(1, sys.levels[1].dims[1]) : 1);
  const double edge_latency = tray ? sys.levels[1].latency : tile.latency;
  double worst = 0;
  for (int c = 0; c < cols; ++c) {
    // Toward the nearer edge column; tile edges crossed on the way.
    const bool left = c <= cols - 1 - c;
    const int hops = left ? c : cols - 1 - c;
    const int crossings = left ? c / tc : (cols - 1) / tc - c / tc;
    worst = std::max(worst, (hops - crossings) * tile.latency + crossings * edge_latency);
  }
  return worst + tile.latency;  // the DIP link
}

// The fewest members a group keeps in one instance of `per` devices, for groups of `size`
// members `stride` apart laid out in rank order over `n` devices (blocks of size x stride
// ranks, each holding `stride` groups): at each instance boundary inside a block, the
// pieces on either side (at most one instance long) hold at least floor(length / stride)
// members of every group with any there (one when shorter than the stride). Blocks that
// divide the instance, or instances that divide the blocks with the stride dividing the
// instance, keep the closed form (every piece alike), and so do device counts past the
// pattern's period (the nearest boundary gcd(per, block) from a block's edge); fewer
// devices are walked boundary by boundary (docs/model.md#straddle).
static long long smallest_part(long long per, long long size, long long stride, long long n) {
  const long long block = size * stride;
  const long long whole = std::min<long long>(size, std::max<long long>(1, per / stride));
  if (n <= per || per % block == 0 || (block % per == 0 && per % stride == 0)) return whole;
  auto piece = [&](long long length) { return std::max<long long>(1, std::min(length, per) / stride); };
  long long least = block >= per ? whole : size;
  const long long g = std::gcd(per, block), period = block / g;
  // The whole pattern fits (n >= lcm): boundaries fall at every multiple of g into a
  // block, the nearest g from a block's edge. Else walk the boundaries there are.
  if (n / per >= period) return std::min(least, piece(g));
  for (long long k = 1; k * per < n; ++k) {
    const long long boundary = k * per, into = boundary % block;
    if (into == 0 || boundary - into + block > n) continue;
    least = std::min({least, piece(into), piece(block - into)});
  }
  return least;
}

Group place_group(const hardware::System& sys, int size, long long stride) {
  Group g;
  g.size = size;
  if (size <= 1) return g;
  long long below = 1;  // members per instance of the level below
  const int nlev = static_cast<int>(sys.levels.size());
  for (int i = 0; i < nlev && g.hops < static_cast<int>(g.hop.size()); ++i) {
    const long long per = sys.devices_per(i);
    long long members = stride >= per ? 1 : std::min<long long>(size, std::max<long long>(1, per / stride));
    // Groups laid out in rank order straddle instances of this level where their blocks do
    // not divide the instance (a 72-GPU NVLink rack holding groups of 16, 32 or 64; partial
    // units): the slowest group is the one with the fewest members in one instance, and
    // the next level carries the rest (docs/model.md#straddle). A 2D mesh places its groups
    // as rectangles instead (below, with its own note when they do not tile it).
    if (i < nlev - 1 && stride < per && sys.levels[static_cast<std::size_t>(i)].topology != Topology::mesh2d)
      members = std::min(members, smallest_part(per, size, stride, sys.device_count()));
    if (i == nlev - 1) members = size;  // the outermost level holds the whole group
    if (members <= below) continue;
    const auto& L = sys.levels[static_cast<std::size_t>(i)];
    Hop h;
    h.level = i;
    h.k = static_cast<int>((members + below - 1) / below);  // a partly used last instance still takes a step
    h.instance = i < nlev - 1 && L.topology != Topology::mesh2d ? per : 0;
    h.latency = L.latency;
    h.bus_efficiency = L.bus_efficiency;
    h.half_bytes = L.half_efficiency_bytes;
    h.topology = L.topology;
    if (L.topology == Topology::switched || L.topology == Topology::fat_tree) {
      // Every device has its own port (NVLink, a NIC per GPU): no sharing between members.
      // Fat tree: the oversubscribed top tier only when the group's members span more than
      // a leaf (rail-optimised: leaf_size children on each rail; else leaf_size devices) or,
      // with three tiers, more than a pod (leaf_size leaves) — as the topology graph routes.
      double over = 1.0;
      if (L.topology == Topology::fat_tree && L.tiers >= 2 && L.oversubscription > 1.0) {
        const long long child = i == 0 ? 1 : sys.devices_per(i - 1);
        const long long top = L.tiers >= 3 ? 1LL * L.leaf_size * L.leaf_size : L.leaf_size;
        // Children (rails) or devices the group covers, first member to last.
        const long long span = L.rail_optimised ? (1LL * size - 1) * stride / child + 1 : (1LL * size - 1) * stride + 1;
        if (span > top) over = L.oversubscription;
      }
      h.bandwidth = L.bandwidth / over;
      h.shared = over;
    } else if (L.topology == Topology::mesh2d) {
      // Links between neighbouring children are shared by all devices of a child (every
      // group of this kind communicates at the same time); the k members occupy a
      // sub-rectangle, spaced by the inner groups when each child holds one member.
      const long long child = i == 0 ? 1 : sys.devices_per(i - 1);
      h.bandwidth = L.bandwidth / static_cast<double>(child);
      h.shared = static_cast<double>(child);
      h.mesh = mesh::Mesh2D{L.dims[0], L.dims[1], h.bandwidth, L.latency, false};
      const long long spacing = stride >= child ? stride / child : 1;
      h.members = mesh::place(L.dims[0], L.dims[1], h.k, static_cast<int>(std::min<long long>(spacing, 1 << 20)));
      // Dojo: beyond the tile, the Z-plane (TTPoE between DIPs, each DIP's Ethernet shared
      // by the D1s it serves) is an alternative path, chosen per message when faster.
      if (i >= 1 && sys.dip.count > 0) {
        set_zplane(sys, h);
        h.zplane = h.z_bandwidth > ring_links(L.topology) * h.bandwidth;
      }
    } else {
      // Direct links between neighbouring instances are shared by all devices of an
      // instance (every group of this kind communicates at the same time).
      const double devices_below = i == 0 ? 1.0 : static_cast<double>(sys.devices_per(i - 1));
      // Torus: a group's members span a box of the dimensions (row-major, the last
      // fastest); one ring through all of them drives two links per member (one for a
      // pair), and a box of two or more dimensions is priced dimension-wise on rings
      // along each (switch_hop), driving the links of every dimension it spans.
      double links = ring_links(L.topology);
      if (L.topology == Topology::torus2d || L.topology == Topology::torus3d) {
        const int nd = L.topology == Topology::torus2d ? 2 : 3;
        const long long child = i == 0 ? 1 : sys.devices_per(i - 1);
        const long long spacing = stride >= child ? stride / child : 1;
        long long faster = 1;  // children per step of dimension j
        for (int j = nd - 1; j >= 0; --j) {
          const long long d = std::max(1, L.dims[static_cast<std::size_t>(j)]);
          long long lo = 0, hi = 0;
          for (long long m = 1; m < h.k; ++m) {
            const long long c = (m * spacing / faster) % d;
            lo = std::min(lo, c);
            hi = std::max(hi, c);
          }
          h.torus[static_cast<std::size_t>(j)] = static_cast<int>(hi - lo + 1);
          if (d <= 64 && spacing <= (1LL << 30)) h.torus_dim[static_cast<std::size_t>(j)] = static_cast<std::uint8_t>(d);
          faster *= d;
        }
        links = h.k > 2 ? 2.0 : 1.0;
        h.link_bandwidth = L.bandwidth / devices_below;
        h.torus_spacing = static_cast<int>(std::min<long long>(spacing, 1LL << 30));
      }
      h.bandwidth = links * L.bandwidth / devices_below;
      h.shared = devices_below;
      if (i >= 1 && sys.dip.count > 0) {
        set_zplane(sys, h);
        h.zplane = h.z_bandwidth > h.bandwidth;
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
  return sent_bytes(Op::reduce_scatter, bytes, h.k) / (h.bandwidth * efficiency(h, chunk)) + (k - 1) * h.latency;
}
double rs_hd(const Hop& h, double bytes) {
  const double k = h.k;
  return sent_bytes(Op::reduce_scatter, bytes, h.k) / (h.bandwidth * efficiency(h, bytes / 2)) + std::log2(k) * h.latency;
}
double ar_tree(const Hop& h, double bytes) {
  return 2.0 * bytes / (h.bandwidth * efficiency(h, bytes)) + 2.0 * std::ceil(std::log2(static_cast<double>(h.k))) * h.latency;
}

// Torus box of two or more dimensions (Hop::torus): the buffer in one part per spanned
// dimension; in stage j part p reduce-scatters along dimension (p + j) mod D on its
// current shard, all parts at once on different links, the stage as long as its slowest
// line: (n-1) (x/n) / (w b eta(x/n)) + (n-1) a on a line of n, w = 2 ways for n > 2 (half
// each way), 1 for a pair. 0 when the members are not such a box (then one ring).
double torus_dimwise(const Hop& h, double bytes) {
  std::array<int, 3> dims{};
  int nd = 0;
  long long box = 1;
  for (int e : h.torus) {
    box *= e;
    if (e > 1) dims[static_cast<std::size_t>(nd++)] = e;
  }
  if (nd < 2 || box != h.k || !(h.link_bandwidth > 0)) return 0.0;
  std::array<double, 3> part{};
  for (int p = 0; p < nd; ++p) part[static_cast<std::size_t>(p)] = bytes / nd;
  double total = 0;
  for (int j = 0; j < nd; ++j) {
    double stage = 0;
    for (int p = 0; p < nd; ++p) {
      const double n = dims[static_cast<std::size_t>((p + j) % nd)];
      const double x = part[static_cast<std::size_t>(p)];
      const double ways = n > 2 ? 2.0 : 1.0;
      stage = std::max(stage, (n - 1) * (x / n) / (ways * h.link_bandwidth * efficiency(h, x / n)) + (n - 1) * h.latency);
      part[static_cast<std::size_t>(p)] = x / n;
    }
    total += stage;
  }
  return total;
}

// Switched, fat-tree, ring and torus levels (and the Z-plane, a switch).
HopChoice switch_hop(const Hop& h, double bytes, bool all_reduce, Algo force) {
  const double mult = all_reduce ? 2.0 : 1.0;
  HopChoice best{Algo::ring, path_of(h.topology), 0, mult * rs_ring(h, bytes)};
  if (force == Algo::ring) return best;
  // Direct links (a ring or torus of children): rings. Halving-doubling and trees send to
  // one partner at a time over multi-hop routes that share links; XLA runs ICI collectives
  // as rings, on a torus one per dimension the group spans.
  if (h.topology == Topology::torus2d || h.topology == Topology::torus3d) {
    const double t = torus_dimwise(h, bytes);
    if (t > 0) best = {Algo::dimwise, best.path, 0, mult * t};
    return best;
  }
  if (h.topology == Topology::ring) return best;
  if (pow2(h.k) && (force == Algo::none || force == Algo::halving_doubling)) {
    const double t = mult * rs_hd(h, bytes);
    if (force == Algo::halving_doubling || t < best.time) best = {Algo::halving_doubling, best.path, 0, t};
  }
  if (all_reduce && (force == Algo::none || force == Algo::tree)) {
    const double t = ar_tree(h, bytes);
    if (force == Algo::tree || t < best.time) best = {Algo::tree, best.path, 0, t};
  }
  return best;
}

Hop zplane_of(const Hop& h) {
  Hop z = h;
  z.topology = Topology::switched;
  z.bandwidth = h.z_bandwidth;
  z.latency = h.z_latency;
  return z;
}

// The fabric and the Z-plane at once: a share x of the bytes over the Z-plane, the rest
// over the fabric, the hop taking max(t_fabric((1-x) S), t_z(x S)). Each path's time is
// close to affine in its bytes, t(b) = a + c b (latency terms plus bytes over bandwidth;
// the efficiency curve bends it a little), fitted here at S and S/2; the share that
// balances the two fits is x = (a_f + c_f S - a_z) / ((c_f + c_z) S), priced exactly. The
// split is kept when it beats both whole paths (each path then pays its own latency).
// `fabric(b)` and `zplane(b)` price b bytes on each path.
template <class F, class Z>
HopChoice split_zplane(const Hop& h, double bytes, F&& fabric, Z&& zplane) {
  const HopChoice c = fabric(bytes);
  if (!(h.z_bandwidth > 0) || !(bytes > 0)) return c;
  HopChoice best = c;
  HopChoice z = zplane(bytes);
  z.path = Path::zplane;
  z.mesh_hops = 0;
  z.z_share = 1;
  if (z.time < best.time) best = z;
  const double cf = 2.0 * (c.time - fabric(0.5 * bytes).time) / bytes, cz = 2.0 * (z.time - zplane(0.5 * bytes).time) / bytes;
  const double af = c.time - cf * bytes, az = z.time - cz * bytes;
  if (!(cf > 0) || !(cz > 0)) return best;
  const double x = (af + cf * bytes - az) / ((cf + cz) * bytes);
  if (x > 0 && x < 1) {
    HopChoice s = fabric((1 - x) * bytes);
    s.time = std::max(s.time, zplane(x * bytes).time);
    s.z_share = x;
    if (s.time < best.time) best = s;
  }
  return best;
}

HopChoice reduce_hop(const Hop& h, double bytes, Op op, Algo force) {
  const bool ar = op == Op::all_reduce;
  const Hop z = zplane_of(h);
  auto on_z = [&](double b) { return switch_hop(z, b, ar, Algo::none); };
  if (!h.is_mesh())
    return split_zplane(
        h, bytes, [&](double b) { return switch_hop(h, b, ar, force); }, on_z);
  const mesh::Efficiency eff{h.bus_efficiency, h.half_bytes};
  auto on_mesh = [&](double b) {
    const mesh::MeshCost m = force == Algo::snake_ring ? mesh::ring(h.mesh, h.members, op, b, eff)
                             : force == Algo::dimwise  ? mesh::dimwise(h.mesh, h.members, op, b, eff)
                                                       : mesh::best(h.mesh, h.members, op, b, eff);
    return HopChoice{m.algo, Path::mesh, m.hops_per_step, m.time};
  };
  return split_zplane(h, bytes, on_mesh, on_z);
}

void record(Cost& total, double& worst, int i, const HopChoice& c) {
  total.time += c.time;
  total.hop[static_cast<std::size_t>(i)] = c;
  total.hops = i + 1;
  if (c.time > worst) {
    worst = c.time;
    total.algo = c.algo;
    total.path = c.path;
  }
}

Cost hierarchical(const Group& g, double bytes, Op op, Algo force) {
  Cost total;
  double worst = -1;
  double shard = bytes;
  for (int i = 0; i < g.hops; ++i) {
    const Hop& h = g.hop[static_cast<std::size_t>(i)];
    record(total, worst, i, reduce_hop(h, shard, op, force));
    shard /= h.k;
  }
  return total;
}
}  // namespace

Cost all_reduce(const Group& g, double bytes, Algo force) {
  if (g.trivial() || bytes <= 0) return {};
  return hierarchical(g, bytes, Op::all_reduce, force);
}
Cost reduce_scatter(const Group& g, double bytes, Algo force) {
  if (g.trivial() || bytes <= 0) return {};
  return hierarchical(g, bytes, Op::reduce_scatter, force);
}
Cost all_gather(const Group& g, double bytes, Algo force) {
  if (g.trivial() || bytes <= 0) return {};
  return hierarchical(g, bytes, Op::all_gather, force);
}

namespace {
// Bytes leaving an instance of the level below hop i, per member, in an all-to-all.
double a2a_leaving(const Group& g, double bytes, int i, double* inside_out) {
  double inside = 1;
  for (int j = 0; j <= i; ++j) inside *= g.hop[static_cast<std::size_t>(j)].k;
  const Hop& h = g.hop[static_cast<std::size_t>(i)];
  if (inside_out) *inside_out = inside;
  return bytes * (1.0 - static_cast<double>(inside / h.k) / inside);
}
}  // namespace

namespace {
// Torus hop: the busiest link's bytes in a direct all-to-all of `message` bytes from every
// member to every other, routed as the topology graph routes (dimension by dimension, the
// shorter way round a ring, forward on a tie), with every group of the kind along the same
// lines exchanging at once (translates of the members' coordinates that tile the ring).
// The members must form a box (a product of their coordinate sets; else 0). Along
// dimension j with e_j occupied coordinates, each ordered pair of coordinates carries
// k / e_j messages (one per line of the box the pair's route runs on).
double torus_a2a_busiest_link(const Hop& h, double message) {
  // The coordinates the members occupy along each dimension (bit c: coordinate c), as
  // place_group lays them out: member m at child m·spacing, row-major, the last dimension
  // fastest.
  std::array<unsigned long long, 3> occupied{};
  long long faster = 1, box = 1;
  const int nd = h.topology == Topology::torus2d ? 2 : 3;
  for (int j = nd - 1; j >= 0; --j) {
    const auto ju = static_cast<std::size_t>(j);
    if (h.torus_dim[ju] == 0) return 0.0;
    const long long d = h.torus_dim[ju];
    for (long long m = 0; m < h.k; ++m) occupied[ju] |= 1ULL << ((m * h.torus_spacing / faster) % d);
    faster *= d;
    box *= std::popcount(occupied[ju]);
  }
  if (box != h.k) return 0.0;
  double busiest = 0;
  for (std::size_t j = 0; j < 3; ++j) {
    const int d = h.torus_dim[j];
    const unsigned long long at = occupied[j];
    const int e = std::popcount(at);
    if (e < 2) continue;
    const bool wrap = d > 2;
    std::array<double, 64> fwd{}, back{};  // messages on the link leaving coordinate c, + and - way
    for (int a = 0; a < d; ++a) {
      if (!(at >> a & 1ULL)) continue;
      for (int b = 0; b < d; ++b) {
        if (a == b || !(at >> b & 1ULL)) continue;
        int step = b > a ? 1 : -1;
        if (wrap) {
          const int ahead = ((b - a) % d + d) % d;
          step = ahead <= d - ahead ? 1 : -1;
        }
        for (int c = a; c != b; c = ((c + step) % d + d) % d) (step > 0 ? fwd : back)[static_cast<std::size_t>(c)] += 1;
      }
    }
    // Translates of the coordinate set that tile the ring: the other groups on these lines.
    unsigned long long covered = 0;
    std::array<double, 64> total_f{}, total_b{};
    for (int t = 0; t < d; ++t) {
      const unsigned long long moved =
          d == 64 ? (at << t | (t ? at >> (64 - t) : 0)) : ((at << t | at >> (d - t)) & ((1ULL << d) - 1));
      if (moved & covered) continue;
      covered |= moved;
      for (int c = 0; c < d; ++c) {
        total_f[static_cast<std::size_t>((c + t) % d)] += fwd[static_cast<std::size_t>(c)];
        total_b[static_cast<std::size_t>((c + t) % d)] += back[static_cast<std::size_t>(c)];
      }
    }
    for (int c = 0; c < d; ++c)
      busiest = std::max(busiest, std::max(total_f[static_cast<std::size_t>(c)], total_b[static_cast<std::size_t>(c)]) *
                                      static_cast<double>(h.k / e) * message);
  }
  return busiest;
}
}  // namespace

Cost all_to_all(const Group& g, double bytes) {
  if (g.trivial() || bytes <= 0) return {};
  Cost c;
  double worst = -1;
  for (int i = 0; i < g.hops; ++i) {
    const Hop& h = g.hop[static_cast<std::size_t>(i)];
    // Data leaving the instance of the level below this hop.
    const double leaving = a2a_leaving(g, bytes, i, nullptr);
    // Share f of every member's data (f = bytes' / bytes) on a path.
    const double eff_a2a = efficiency(h, bytes / g.size), sent = hop_bytes(g, Op::all_to_all, bytes, i);
    auto on_fabric = [&](double b) {
      const double f = bytes > 0 ? b / bytes : 0.0;
      if (h.is_mesh()) {
        const mesh::MeshCost m = mesh::all_to_all(h.mesh, h.members, f * sent, mesh::Efficiency{h.bus_efficiency, h.half_bytes});
        return HopChoice{Algo::direct, Path::mesh, m.hops_per_step, m.time};
      }
      // What a member injects over its links, or on a torus the busiest link of the
      // routes (on a ring it carries several times what a member injects), whichever is longer.
      double t = f * leaving / (h.bandwidth * eff_a2a);
      if (h.link_bandwidth > 0 && (h.topology == Topology::torus2d || h.topology == Topology::torus3d))
        t = std::max(t, f * torus_a2a_busiest_link(h, sent / h.k) / (h.link_bandwidth * eff_a2a));
      return HopChoice{Algo::direct, path_of(h.topology), 0, t + (h.k - 1) * h.latency};
    };
    auto on_z = [&](double b) {
      const double f = bytes > 0 ? b / bytes : 0.0;
      return HopChoice{Algo::direct, Path::zplane, 0, f * leaving / (h.z_bandwidth * eff_a2a) + (h.k - 1) * h.z_latency};
    };
    record(c, worst, i, split_zplane(h, bytes, on_fabric, on_z));
  }
  return c;
}

Cost send_recv(const Group& g, double bytes) {
  if (g.trivial() || bytes <= 0) return {};
  // Some neighbours sit inside an instance, some across the outermost level the group
  // spans; a pipeline runs at the pace of its slowest boundary.
  Cost c;
  double worst = 0;
  for (int i = 0; i < g.hops; ++i) {
    const Hop& h = g.hop[static_cast<std::size_t>(i)];
    const double eff_p2p = efficiency(h, bytes);
    auto on_fabric = [&](double b) {
      if (h.is_mesh()) {
        const mesh::MeshCost m = mesh::send_recv(h.mesh, h.members, b, mesh::Efficiency{h.bus_efficiency, h.half_bytes});
        return HopChoice{Algo::direct, Path::mesh, m.hops_per_step, m.time};
      }
      // A message to one neighbour crosses one link one way: on ring and torus levels not
      // the both-ways ring bandwidth a collective drives (a probe found TPU CP rings and
      // pipeline sends at half the graph's time).
      double bw = h.bandwidth;
      if (h.topology == Topology::torus2d || h.topology == Topology::torus3d)
        bw = h.link_bandwidth > 0 ? h.link_bandwidth : bw;
      else if (h.topology == Topology::ring)
        bw = h.bandwidth / ring_links(h.topology);
      return HopChoice{Algo::direct, path_of(h.topology), 0, b / (bw * eff_p2p) + h.latency};
    };
    auto on_z = [&](double b) { return HopChoice{Algo::direct, Path::zplane, 0, b / (h.z_bandwidth * eff_p2p) + h.z_latency}; };
    const HopChoice hc = split_zplane(h, bytes, on_fabric, on_z);
    c.hop[static_cast<std::size_t>(i)] = hc;
    c.hops = i + 1;
    if (hc.time > worst || i == 0) {
      worst = std::max(worst, hc.time);
      c.algo = hc.algo;
      c.path = hc.path;
    }
  }
  c.time = worst;
  return c;
}

Cost collective(Op op, const Group& g, double bytes) {
  switch (op) {
    case Op::all_reduce: return all_reduce(g, bytes);
    case Op::reduce_scatter: return reduce_scatter(g, bytes);
    case Op::all_gather: return all_gather(g, bytes);
    case Op::all_to_all: return all_to_all(g, bytes);
    case Op::send_recv: return send_recv(g, bytes);
    case Op::none: break;
  }
  return {};
}

double sent_bytes(Op op, double bytes, int k) {
  const double f = k > 1 ? (k - 1.0) / k : 0.0;
  switch (op) {
    case Op::all_reduce: return 2.0 * f * bytes;
    case Op::reduce_scatter:
    case Op::all_gather:
    case Op::all_to_all: return f * bytes;
    case Op::send_recv: return bytes;
    case Op::none: break;
  }
  return 0;
}

double hop_bytes(const Group& g, Op op, double bytes, int i) {
  if (i < 0 || i >= g.hops) return 0;
  switch (op) {
    case Op::all_reduce:
    case Op::reduce_scatter:
    case Op::all_gather: {
      double shard = bytes;
      for (int j = 0; j < i; ++j) shard /= g.hop[static_cast<std::size_t>(j)].k;
      return shard;
    }
    case Op::all_to_all: {
      // What a member sends across this hop, as an all-to-all among the hop's k children.
      const int k = g.hop[static_cast<std::size_t>(i)].k;
      return k > 1 ? a2a_leaving(g, bytes, i, nullptr) * k / (k - 1.0) : 0.0;
    }
    case Op::send_recv: return bytes;
    case Op::none: break;
  }
  return 0;
}

}  // namespace dojosim::collective
