// The topology graph of a system (contract and conventions in hardware/topology.hpp;
// docs/model.md#topology-graph).
#include "dojosim/hardware/topology.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <span>
#include <tuple>

namespace dojosim::hardware {

const char* link_kind_name(LinkKind k) {
  switch (k) {
    case LinkKind::port: return "port";
    case LinkKind::leaf: return "leaf uplink";
    case LinkKind::spine: return "spine uplink";
    case LinkKind::core: return "core uplink";
    case LinkKind::mesh: return "mesh";
    case LinkKind::edge: return "edge";
    case LinkKind::rail: return "rail";
    case LinkKind::dip: return "DIP link";
    case LinkKind::hbm: return "DIP HBM";
    case LinkKind::zplane: return "Z-plane";
  }
  return "port";
}

namespace {
bool is_gridlike(Topology t) {
  return t == Topology::mesh2d || t == Topology::torus2d || t == Topology::torus3d || t == Topology::ring;
}
int level_grid_dims(const Level& l) {
  if (l.topology == Topology::ring) return 1;
  if (l.topology == Topology::torus3d) return 3;
  return 2;
}
}  // namespace

int Graph::add_link(int from, int to, double bw, double lat, int level, LinkKind kind) {
  links_.push_back({from, to, bw, lat, level, kind});
  return static_cast<int>(links_.size()) - 1;
}

Graph::Graph(const System& sys) : sys_(&sys) {
  const int nlev = static_cast<int>(sys.levels.size());
  for (int i = 0; i < nlev; ++i) per_.push_back(sys.devices_per(i));
  devices_ = per_.empty() ? 1 : per_.back();
  nodes_ = static_cast<int>(devices_);
  lv_.resize(static_cast<std::size_t>(nlev));
  // The grid: a level-0 mesh, torus or ring, and on Dojo every 2D-mesh level above it.
  if (nlev > 0 && is_gridlike(sys.levels[0].topology)) {
    grid_levels_ = 1;
    if (sys.levels[0].topology == Topology::mesh2d)
      while (grid_levels_ < nlev && sys.levels[static_cast<std::size_t>(grid_levels_)].topology == Topology::mesh2d)
        ++grid_levels_;
    build_grid(sys);
  }
  for (int i = grid_levels_; i < nlev; ++i) {
    const Level& L = sys.levels[static_cast<std::size_t>(i)];
    if (L.size <= 1) continue;  // one child: no traffic crosses this level
    switch (L.topology) {
      case Topology::switched: build_switch(sys, i); break;
      case Topology::fat_tree: build_fat_tree(sys, i); break;
      default: build_rails(sys, i); break;
    }
  }
  if (sys.dip.count > 0 && grid_levels_ > 0 && sys.levels[0].topology == Topology::mesh2d) build_dips(sys);
}

// --- the device grid ---------------------------------------------------------------

void Graph::build_grid(const System& sys) {
  const Level& L0 = sys.levels[0];
  grid_.dims = level_grid_dims(L0);
  grid_.wrap = L0.topology != Topology::mesh2d && L0.size > 2;
  coord_.resize(static_cast<std::size_t>(devices_));
  // Composed extents: a level-i child spans ext[] devices of the grid in each dimension.
  std::array<int, 3> ext{1, 1, 1};
  std::vector<std::array<int, 3>> child_ext;  // extent of a child of level i
  for (int i = 0; i < grid_levels_; ++i) {
    child_ext.push_back(ext);
    const Level& L = sys.levels[static_cast<std::size_t>(i)];
    if (grid_.dims == 1)
      ext[0] *= L.size;
    else
      for (int j = 0; j < grid_.dims; ++j) ext[static_cast<std::size_t>(j)] *= L.dims[static_cast<std::size_t>(j)];
  }
  grid_.size = ext;
  const long long gsize = 1LL * ext[0] * ext[1] * ext[2];
  at_.assign(static_cast<std::size_t>(devices_), -1);
  for (long long d = 0; d < devices_; ++d) {
    std::array<int, 3> c{0, 0, 0};
    for (int i = 0; i < grid_levels_; ++i) {
      const Level& L = sys.levels[static_cast<std::size_t>(i)];
      const long long below = i == 0 ? 1 : per_[static_cast<std::size_t>(i - 1)];
      long long child = (d / below) % L.size;
      // Row-major over dims: the last dimension varies fastest.
      std::array<int, 3> cc{0, 0, 0};
      if (grid_.dims == 1)
        cc[0] = static_cast<int>(child);
      else
        for (int j = grid_.dims - 1; j >= 0; --j) {
          cc[static_cast<std::size_t>(j)] = static_cast<int>(child % L.dims[static_cast<std::size_t>(j)]);
          child /= L.dims[static_cast<std::size_t>(j)];
        }
      for (std::size_t j = 0; j < 3; ++j) c[j] += cc[j] * child_ext[static_cast<std::size_t>(i)][j];
    }
    coord_[static_cast<std::size_t>(d)] = c;
    const long long inst = d / per_[static_cast<std::size_t>(grid_levels_ - 1)];
    const long long pos = (1LL * c[0] * ext[1] + c[1]) * ext[2] + c[2];
    at_[static_cast<std::size_t>(inst * gsize + pos)] = d;
  }
  // Links to the +1 neighbour in each dimension, both directions.
  grid_.nbr.assign(static_cast<std::size_t>(devices_) * 6, -1);
  for (long long d = 0; d < devices_; ++d) {
    const auto c = coord_[static_cast<std::size_t>(d)];
    for (int j = 0; j < grid_.dims; ++j) {
      const auto ju = static_cast<std::size_t>(j);
      auto n = c;
      n[ju] += 1;
      if (n[ju] >= ext[ju]) {
        if (!grid_.wrap || ext[ju] <= 2) continue;
        n[ju] = 0;
      }
      const long long e = device_at_instance(d, n);
      if (e < 0) continue;
      // The lowest level holding both: its link, split over the pairs along a child's edge.
      int lvl = 0;
      while (lvl < grid_levels_ && d / per_[static_cast<std::size_t>(lvl)] != e / per_[static_cast<std::size_t>(lvl)]) ++lvl;
      const Level& L = sys.levels[static_cast<std::size_t>(std::min(lvl, grid_levels_ - 1))];
      double bw = L.bandwidth;
      LinkKind kind = LinkKind::mesh;
      if (lvl > 0 && grid_.dims == 2) {
        const auto& ce = child_ext[static_cast<std::size_t>(lvl)];
        bw = L.bandwidth / static_cast<double>(ce[1 - ju]);  // pairs along the edge crossed
        kind = LinkKind::edge;
      }
      const int fwd = add_link(static_cast<int>(d), static_cast<int>(e), bw, L.latency, lvl, kind);
      const int back = add_link(static_cast<int>(e), static_cast<int>(d), bw, L.latency, lvl, kind);
      grid_.nbr[static_cast<std::size_t>(d * 6 + 2 * j)] = fwd;
      grid_.nbr[static_cast<std::size_t>(e * 6 + 2 * j + 1)] = back;
    }
  }
}

long long Graph::device_at_instance(long long same_as, std::array<int, 3> c) const {
  const long long gsize = 1LL * grid_.size[0] * grid_.size[1] * grid_.size[2];
  const long long inst = same_as / per_[static_cast<std::size_t>(grid_levels_ - 1)];
  const long long pos = (1LL * c[0] * grid_.size[1] + c[1]) * grid_.size[2] + c[2];
  const auto i = static_cast<std::size_t>(inst * gsize + pos);
  return i < at_.size() ? at_[i] : -1;
}

double Graph::route_grid(long long src, long long dst, std::vector<int>& out) const {
  double lat = 0;
  auto c = coord_[static_cast<std::size_t>(src)];
  const auto t = coord_[static_cast<std::size_t>(dst)];
  long long cur = src;
  // Dimension order: the last dimension first (along the row to the destination column on
  // a 2D mesh, then along the column), as collective/mesh2d.hpp routes.
  for (int j = grid_.dims - 1; j >= 0; --j) {
    const auto ju = static_cast<std::size_t>(j);
    const int n = grid_.size[ju];
    while (c[ju] != t[ju]) {
      int step = t[ju] > c[ju] ? 1 : -1;
      if (grid_.wrap && n > 2) {
        const int fwd = ((t[ju] - c[ju]) % n + n) % n;
        step = fwd <= n - fwd ? 1 : -1;
      }
      const int id = grid_.nbr[static_cast<std::size_t>(cur * 6 + 2 * j + (step > 0 ? 0 : 1))];
      if (id < 0) break;  // cannot happen on a full grid
      out.push_back(id);
      lat += links_[static_cast<std::size_t>(id)].latency;
      cur = links_[static_cast<std::size_t>(id)].to;
      c = coord_[static_cast<std::size_t>(cur)];
    }
  }
  return lat;
}

// --- switches and fat trees -----------------------------------------------------------

void Graph::build_switch(const System& sys, int level) {
  const Level& L = sys.levels[static_cast<std::size_t>(level)];
  auto& v = lv_[static_cast<std::size_t>(level)];
  const long long per = per_[static_cast<std::size_t>(level)];
  v.up.resize(static_cast<std::size_t>(devices_));
  v.down.resize(static_cast<std::size_t>(devices_));
  int sw = -1;
  for (long long d = 0; d < devices_; ++d) {
    if (d % per == 0) {
      sw = nodes_++;
      node_label_.push_back(fmt::format("{} {} switch", L.name, d / per));
    }
    v.up[static_cast<std::size_t>(d)] = add_link(static_cast<int>(d), sw, L.bandwidth, L.latency, level, LinkKind::port);
    v.down[static_cast<std::size_t>(d)] = add_link(sw, static_cast<int>(d), L.bandwidth, 0.0, level, LinkKind::port);
  }
}

void Graph::build_fat_tree(const System& sys, int level) {
  const Level& L = sys.levels[static_cast<std::size_t>(level)];
  auto& v = lv_[static_cast<std::size_t>(level)];
  const long long per = per_[static_cast<std::size_t>(level)];
  const long long child = level == 0 ? 1 : per_[static_cast<std::size_t>(level - 1)];
  v.rails = L.rail_optimised ? static_cast<int>(child) : 1;
  // A leaf takes leaf_size children on each rail (rail-optimised) or leaf_size devices.
  v.leaf_size = L.tiers <= 1 ? (L.rail_optimised ? L.size : per) : L.leaf_size;
  const long long groups = L.rail_optimised ? (L.size + v.leaf_size - 1) / v.leaf_size : (per + v.leaf_size - 1) / v.leaf_size;
  const long long leaves_per_inst = groups * v.rails;
  const long long instances = (devices_ + per - 1) / per;
  const long long leaves = instances * leaves_per_inst;
  const int leaf0 = nodes_;
  for (long long l = 0; l < leaves; ++l) node_label_.push_back(fmt::format("{} leaf {}", L.name, l));
  nodes_ += static_cast<int>(leaves);
  std::vector<long long> leaf_devices(static_cast<std::size_t>(leaves), 0);
  v.up.resize(static_cast<std::size_t>(devices_));
  v.down.resize(static_cast<std::size_t>(devices_));
  v.latency = L.latency;
  for (long long d = 0; d < devices_; ++d) {
    const long long inst = d / per, local = d % per;
    const long long leaf = inst * leaves_per_inst +
                           (L.rail_optimised ? (local % child) * groups + (local / child) / v.leaf_size : local / v.leaf_size);
    ++leaf_devices[static_cast<std::size_t>(leaf)];
    const int ln = leaf0 + static_cast<int>(leaf);
    // The level's latency is paid once per message (on the first link).
    v.up[static_cast<std::size_t>(d)] = add_link(static_cast<int>(d), ln, L.bandwidth, L.latency, level, LinkKind::port);
    v.down[static_cast<std::size_t>(d)] = add_link(ln, static_cast<int>(d), L.bandwidth, 0.0, level, LinkKind::port);
  }
  if (L.tiers <= 1) return;
  // Spines (aggregated: one node per pod or per instance, non-blocking inside).
  v.pod_leaves = L.tiers >= 3 ? std::max<long long>(1, L.leaf_size) : leaves_per_inst;
  const long long pods_per_inst = (leaves_per_inst + v.pod_leaves - 1) / v.pod_leaves;
  const long long pods = instances * pods_per_inst;
  const int pod0 = nodes_;
  for (long long p = 0; p < pods; ++p) node_label_.push_back(fmt::format("{} spine {}", L.name, p));
  nodes_ += static_cast<int>(pods);
  const double top_div = L.tiers == 2 ? L.oversubscription : 1.0;
  v.leaf_up.resize(static_cast<std::size_t>(leaves));
  v.leaf_down.resize(static_cast<std::size_t>(leaves));
  std::vector<long long> pod_devices(static_cast<std::size_t>(pods), 0);
  for (long long l = 0; l < leaves; ++l) {
    const long long pod = (l / leaves_per_inst) * pods_per_inst + (l % leaves_per_inst) / v.pod_leaves;
    const double bw = static_cast<double>(leaf_devices[static_cast<std::size_t>(l)]) * L.bandwidth / top_div;
    pod_devices[static_cast<std::size_t>(pod)] += leaf_devices[static_cast<std::size_t>(l)];
    v.leaf_up[static_cast<std::size_t>(l)] =
        add_link(leaf0 + static_cast<int>(l), pod0 + static_cast<int>(pod), bw, 0.0, level, LinkKind::leaf);
    v.leaf_down[static_cast<std::size_t>(l)] =
        add_link(pod0 + static_cast<int>(pod), leaf0 + static_cast<int>(l), bw, 0.0, level, LinkKind::leaf);
  }
  if (L.tiers < 3 || pods_per_inst <= 1) return;
  const int core0 = nodes_;
  for (long long c = 0; c < instances; ++c) node_label_.push_back(fmt::format("{} core {}", L.name, c));
  nodes_ += static_cast<int>(instances);
  v.pod_up.resize(static_cast<std::size_t>(pods));
  v.pod_down.resize(static_cast<std::size_t>(pods));
  for (long long p = 0; p < pods; ++p) {
    const double bw = static_cast<double>(pod_devices[static_cast<std::size_t>(p)]) * L.bandwidth / L.oversubscription;
    const int core = core0 + static_cast<int>(p / pods_per_inst);
    v.pod_up[static_cast<std::size_t>(p)] = add_link(pod0 + static_cast<int>(p), core, bw, 0.0, level, LinkKind::spine);
    v.pod_down[static_cast<std::size_t>(p)] = add_link(core, pod0 + static_cast<int>(p), bw, 0.0, level, LinkKind::spine);
  }
}

// --- rails: a mesh, torus or ring of children that are not part of the grid -------------

void Graph::build_rails(const System& sys, int level) {
  const Level& L = sys.levels[static_cast<std::size_t>(level)];
  auto& v = lv_[static_cast<std::size_t>(level)];
  const long long child = per_[static_cast<std::size_t>(level - 1)];
  const int dims = level_grid_dims(L);
  v.child_dims = dims == 1 ? std::array<int, 3>{L.size, 1, 1} : L.dims;
  v.wrap = L.topology != Topology::mesh2d && L.size > 2;
  // Per device, per direction (+/- each dimension): the rail link to the neighbour child.
  v.rail_next.assign(static_cast<std::size_t>(devices_) * 6, -1);
  const double bw = L.bandwidth / static_cast<double>(child);
  const long long per = per_[static_cast<std::size_t>(level)];
  for (long long d = 0; d < devices_; ++d) {
    const long long inst = d / per, c = (d % per) / child, k = d % child;
    std::array<int, 3> cc{0, 0, 0};
    long long rest = c;
    for (int j = 2; j >= 0; --j) {
      cc[static_cast<std::size_t>(j)] = static_cast<int>(rest % v.child_dims[static_cast<std::size_t>(j)]);
      rest /= v.child_dims[static_cast<std::size_t>(j)];
    }
    for (int j = 0; j < dims; ++j) {
      const auto ju = static_cast<std::size_t>(j);
      auto n = cc;
      n[ju] += 1;
      if (n[ju] >= v.child_dims[ju]) {
        if (!v.wrap || v.child_dims[ju] <= 2) continue;
        n[ju] = 0;
      }
      const long long nc = (1LL * n[0] * v.child_dims[1] + n[1]) * v.child_dims[2] + n[2];
      const long long e = inst * per + nc * child + k;
      if (e >= devices_) continue;
      v.rail_next[static_cast<std::size_t>(d * 6 + 2 * j)] =
          add_link(static_cast<int>(d), static_cast<int>(e), bw, L.latency, level, LinkKind::rail);
      v.rail_next[static_cast<std::size_t>(e * 6 + 2 * j + 1)] =
          add_link(static_cast<int>(e), static_cast<int>(d), bw, L.latency, level, LinkKind::rail);
    }
  }
}

// --- Dojo DIPs and the Z-plane -------------------------------------------------------------

// A unit's DIP slots, the edge D1s in the order DIPs take them: the outer edges of its end
// tiles (the first and last D1 columns), left edge top to bottom, then the right edge (a
// tile's 5 DIPs on its left edge, a tray's 20 on both). More DIPs than that walk the
// edges again from the middle rows out (two or more DIPs on one edge D1): the 21st of a
// tray went to the first, a corner whose two mesh links then carried its streams.
std::vector<long long> Graph::edge_slots(long long first, int rows, int cols) const {
  const auto base = coord_[static_cast<std::size_t>(first)];
  std::vector<long long> slots;
  for (int c : {0, cols - 1}) {
    if (c == cols - 1 && cols == 1) break;
    for (int r = 0; r < rows; ++r)
      if (const long long e = device_at_instance(first, {base[0] + r, base[1] + c, 0}); e >= 0) slots.push_back(e);
  }
  std::vector<long long> again = slots;
  std::stable_sort(again.begin(), again.end(), [&](long long a, long long b) {
    const int ra = coord_[static_cast<std::size_t>(a)][0] - base[0], rb = coord_[static_cast<std::size_t>(b)][0] - base[0];
    return std::abs(2 * ra - (rows - 1)) < std::abs(2 * rb - (rows - 1));
  });
  slots.insert(slots.end(), again.begin(), again.end());
  return slots;
}

void Graph::build_dips(const System& sys) {
  const Dip& D = sys.dip;
  const int tl = std::min(1, grid_levels_ - 1);  // DIPs sit on a tray (or, alone, a tile)
  const long long per = per_[static_cast<std::size_t>(tl)];
  const long long units = (devices_ + per - 1) / per;
  // Every DIP is placed: each unit takes count / units, the first count % units one more
  // (a floor share dropped the rest: 21 DIPs on two trays placed 20).
  const long long each = D.count / units, extra = D.count % units;
  // The unit's extent in D1s.
  int rows = 1, cols = 1;
  for (int i = 0; i <= tl; ++i) {
    rows *= sys.levels[static_cast<std::size_t>(i)].dims[0];
    cols *= sys.levels[static_cast<std::size_t>(i)].dims[1];
  }
  if (ethernet_ok(D)) {
    zswitch_ = nodes_++;
    node_label_.push_back("Z-plane switch");
  }
  std::vector<Share> shares;  // (D1, DIP, share) of every unit, nearest first per D1
  ShareCache cache;
  for (long long u = 0; u < units; ++u) {
    const long long first = u * per;
    const std::vector<long long> edge = edge_slots(first, rows, cols);
    if (edge.empty()) continue;
    const int lo = dips();
    const long long here = each + (u < extra ? 1 : 0);
    for (long long j = 0; j < here; ++j) {
      const auto E = static_cast<long long>(edge.size()) / 2;  // the first walk, then the later ones
      const long long at = edge[static_cast<std::size_t>(j < E ? j : E + (j - E) % E)];
      const int id = static_cast<int>(dip_attach_.size());
      const int dip = nodes_++, hbm = nodes_++;
      node_label_.push_back(fmt::format("DIP {}", id));
      node_label_.push_back(fmt::format("DIP {} HBM", id));
      dip_attach_.push_back(at);
      dip_hbm_.push_back(add_link(hbm, dip, D.hbm_bandwidth, 0.0, -1, LinkKind::hbm));
      dip_down_.push_back(add_link(dip, static_cast<int>(at), D.tile_link_bandwidth, sys.levels[0].latency, -1, LinkKind::dip));
      dip_up_.push_back(add_link(static_cast<int>(at), dip, D.tile_link_bandwidth, sys.levels[0].latency, -1, LinkKind::dip));
      if (zswitch_ >= 0) {
        dip_zup_.push_back(add_link(dip, zswitch_, D.ethernet_bandwidth, D.ethernet_latency, -1, LinkKind::zplane));
        dip_zdown_.push_back(add_link(zswitch_, dip, D.ethernet_bandwidth, 0.0, -1, LinkKind::zplane));
      }
    }
    share_dips(first, std::min(devices_, first + per), lo, dips(), shares, cache);
  }
  index_dip_shares(shares);
}

namespace {

// The transport problem of a unit's DIP shares, in whole parts: each of n D1s gives k, each
// of k DIPs takes n, over pairs whose cost (route latency) is at most `limit`. Minimum total
// cost by successive shortest paths (Dijkstra with potentials on the dense residual graph:
// V = n + k + 2, a tray's 190 nodes). Returns the parts per pair (D1-major), or nothing
// when the pairs within `limit` cannot carry every part.
std::vector<long long> cheapest_shares(const std::vector<long long>& cost, long long n, long long k, long long limit) {
  struct Edge {
    int to;
    long long cap, cost;
  };
  const int V = static_cast<int>(n + k + 2), S = V - 2, T = V - 1;
  std::vector<Edge> e;
  std::vector<std::vector<int>> adj(static_cast<std::size_t>(V));
  auto add = [&](int a, int b, long long cap, long long c) {
    adj[static_cast<std::size_t>(a)].push_back(static_cast<int>(e.size()));
    e.push_back({b, cap, c});
    adj[static_cast<std::size_t>(b)].push_back(static_cast<int>(e.size()));
    e.push_back({a, 0, -c});
  };
  for (int i = 0; i < n; ++i) add(S, i, k, 0);
  std::vector<int> pair_edge(static_cast<std::size_t>(n * k), -1);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < k; ++j) {
      const long long c = cost[static_cast<std::size_t>(i * k + j)];
      if (c > limit) continue;
      pair_edge[static_cast<std::size_t>(i * k + j)] = static_cast<int>(e.size());
      add(i, static_cast<int>(n + j), k, c);
    }
  for (int j = 0; j < k; ++j) add(static_cast<int>(n + j), T, n, 0);
  constexpr long long kInf = std::numeric_limits<long long>::max() / 4;
  std::vector<long long> pot(static_cast<std::size_t>(V), 0), dist(static_cast<std::size_t>(V));
  std::vector<int> via(static_cast<std::size_t>(V));
  std::vector<char> done(static_cast<std::size_t>(V));
  long long left = n * k;
  while (left > 0) {
    std::fill(dist.begin(), dist.end(), kInf);
    std::fill(done.begin(), done.end(), 0);
    dist[static_cast<std::size_t>(S)] = 0;
    for (;;) {
      int u = -1;
      for (int v = 0; v < V; ++v)
        if (!done[static_cast<std::size_t>(v)] && dist[static_cast<std::size_t>(v)] < kInf &&
            (u < 0 || dist[static_cast<std::size_t>(v)] < dist[static_cast<std::size_t>(u)]))
          u = v;
      if (u < 0) break;
      done[static_cast<std::size_t>(u)] = 1;
      for (int id : adj[static_cast<std::size_t>(u)]) {
        const Edge& x = e[static_cast<std::size_t>(id)];
        if (x.cap == 0) continue;
        const long long d =
            dist[static_cast<std::size_t>(u)] + x.cost + pot[static_cast<std::size_t>(u)] - pot[static_cast<std::size_t>(x.to)];
        if (d < dist[static_cast<std::size_t>(x.to)])
          dist[static_cast<std::size_t>(x.to)] = d, via[static_cast<std::size_t>(x.to)] = id;
      }
    }
    if (dist[static_cast<std::size_t>(T)] >= kInf) return {};
    for (int v = 0; v < V; ++v)
      if (dist[static_cast<std::size_t>(v)] < kInf) pot[static_cast<std::size_t>(v)] += dist[static_cast<std::size_t>(v)];
    long long push = left;
    for (int v = T; v != S; v = e[static_cast<std::size_t>(via[static_cast<std::size_t>(v)] ^ 1)].to)
      push = std::min(push, e[static_cast<std::size_t>(via[static_cast<std::size_t>(v)])].cap);
    for (int v = T; v != S; v = e[static_cast<std::size_t>(via[static_cast<std::size_t>(v)] ^ 1)].to) {
      e[static_cast<std::size_t>(via[static_cast<std::size_t>(v)])].cap -= push;
      e[static_cast<std::size_t>(via[static_cast<std::size_t>(v)] ^ 1)].cap += push;
    }
    left -= push;
  }
  std::vector<long long> parts(static_cast<std::size_t>(n * k), 0);
  for (std::size_t p = 0; p < parts.size(); ++p)
    if (pair_edge[p] >= 0) parts[p] = e[static_cast<std::size_t>(pair_edge[p] ^ 1)].cap;
  return parts;
}

}  // namespace

void Graph::share_dips(long long first, long long last, int lo, int hi, std::vector<Share>& out, ShareCache& cache) const {
  const long long n = last - first, k = hi - lo;
  if (n <= 0 || k <= 0) return;
  // Units laid out alike (an ExaPOD's trays) share alike: solved once.
  const auto base = coord_[static_cast<std::size_t>(first)];
  std::vector<int> key{static_cast<int>(n), static_cast<int>(k)};
  for (long long i = 0; i < n; ++i)
    for (int x = 0; x < 2; ++x) key.push_back(coord_[static_cast<std::size_t>(first + i)][x] - base[x]);
  for (long long j = 0; j < k; ++j) key.push_back(static_cast<int>(dip_attach_[static_cast<std::size_t>(lo + j)] - first));
  if (key != cache.key) {
    cache.key = std::move(key);
    // Cost of a pair: the latency of the DIP's route to the D1, in picoseconds.
    std::vector<long long> cost(static_cast<std::size_t>(n * k));
    std::vector<int> route;
    for (long long i = 0; i < n; ++i)
      for (long long j = 0; j < k; ++j) {
        route.clear();
        cost[static_cast<std::size_t>(i * k + j)] =
            std::llround(route_from_dip(static_cast<int>(lo + j), first + i, route) * 1e12);
      }
    // The nearest bound any plan must meet: each D1's nearest DIP; then the next costs up
    // until every part finds a DIP within the bound.
    std::vector<long long> bounds(cost);
    std::sort(bounds.begin(), bounds.end());
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
    long long floor = 0;
    for (long long i = 0; i < n; ++i)
      floor = std::max(floor, *std::min_element(cost.begin() + i * k, cost.begin() + (i + 1) * k));
    std::vector<long long> parts;
    for (auto b = std::lower_bound(bounds.begin(), bounds.end(), floor); b != bounds.end() && parts.empty(); ++b)
      parts = cheapest_shares(cost, n, k, *b);
    // Per D1, nearest DIP first (cost, then DIP).
    cache.shares.clear();
    std::vector<long long> order;
    for (long long i = 0; i < n; ++i) {
      order.clear();
      for (long long j = 0; j < k; ++j)
        if (parts[static_cast<std::size_t>(i * k + j)] > 0) order.push_back(j);
      std::stable_sort(order.begin(), order.end(), [&](long long a, long long b) {
        return cost[static_cast<std::size_t>(i * k + a)] < cost[static_cast<std::size_t>(i * k + b)];
      });
      for (long long j : order)
        cache.shares.push_back(
            {i, static_cast<int>(j), static_cast<double>(parts[static_cast<std::size_t>(i * k + j)]) / static_cast<double>(k)});
    }
  }
  for (const Share& s : cache.shares) out.push_back({first + s.device, lo + s.dip, s.share});
}

void Graph::index_dip_shares(const std::vector<Share>& shares) {
  // Per D1, its shares in the order they were served (nearest first); a D1 of a unit
  // without DIPs streams whole from DIP (device mod DIPs).
  if (dip_attach_.empty()) return;
  const auto n = static_cast<std::size_t>(devices_);
  dip_share_at_.assign(n + 1, 0);
  for (const Share& s : shares) ++dip_share_at_[static_cast<std::size_t>(s.device) + 1];
  for (std::size_t d = 0; d < n; ++d)
    if (dip_share_at_[d + 1] == 0) dip_share_at_[d + 1] = 1;
  for (std::size_t d = 0; d < n; ++d) dip_share_at_[d + 1] += dip_share_at_[d];
  dip_share_.assign(dip_share_at_[n], DipShare{});
  std::vector<std::size_t> next(dip_share_at_.begin(), dip_share_at_.end() - 1);
  for (const Share& s : shares) dip_share_[next[static_cast<std::size_t>(s.device)]++] = {s.dip, s.share};
  dip_home_.assign(n, -1);
  for (std::size_t d = 0; d < n; ++d) {
    if (next[d] == dip_share_at_[d]) {  // no share
      dip_share_[next[d]] = {static_cast<int>(static_cast<long long>(d) % static_cast<long long>(dip_attach_.size())), 1.0};
    }
    // Home: the largest share, the nearest of equal ones.
    const DipShare* best = &dip_share_[dip_share_at_[d]];
    for (std::size_t i = dip_share_at_[d] + 1; i < dip_share_at_[d + 1]; ++i)
      if (dip_share_[i].share > best->share) best = &dip_share_[i];
    dip_home_[d] = best->dip;
  }
}

bool Graph::ethernet_ok(const Dip& d) { return d.ethernet_bandwidth > 0; }

std::span<const DipShare> Graph::dip_shares(long long device) const {
  if (dip_attach_.empty()) return {};
  const auto d = static_cast<std::size_t>(device);
  return {dip_share_.data() + dip_share_at_[d], dip_share_at_[d + 1] - dip_share_at_[d]};
}

int Graph::home_dip(long long device) const { return dip_attach_.empty() ? -1 : dip_home_[static_cast<std::size_t>(device)]; }

double Graph::route_from_dip(int dip, long long dst, std::vector<int>& out) const {
  const auto j = static_cast<std::size_t>(dip);
  out.push_back(dip_hbm_[j]);
  out.push_back(dip_down_[j]);
  return links_[static_cast<std::size_t>(dip_down_[j])].latency + route(dip_attach_[j], dst, out);
}

double Graph::route_zplane(long long src, long long dst, std::vector<int>& out) const {
  if (zswitch_ < 0) return route(src, dst, out);
  const auto a = static_cast<std::size_t>(home_dip(src)), b = static_cast<std::size_t>(home_dip(dst));
  double lat = route(src, dip_attach_[a], out);
  for (int id : {dip_up_[a], dip_zup_[a], dip_zdown_[b], dip_down_[b]}) {
    out.push_back(id);
    lat += links_[static_cast<std::size_t>(id)].latency;
  }
  return lat + route(dip_attach_[b], dst, out);
}

// --- routing --------------------------------------------------------------------------------

double Graph::route(long long src, long long dst, std::vector<int>& out) const {
  if (src == dst) return 0.0;
  int lvl = 0;
  const int nlev = static_cast<int>(per_.size());
  while (lvl < nlev - 1 && src / per_[static_cast<std::size_t>(lvl)] != dst / per_[static_cast<std::size_t>(lvl)]) ++lvl;
  if (lvl < grid_levels_) return route_grid(src, dst, out);
  return route_level(lvl, src, dst, out);
}

double Graph::route_level(int level, long long src, long long dst, std::vector<int>& out) const {
  const auto& v = lv_[static_cast<std::size_t>(level)];
  const Level& L = sys_->levels[static_cast<std::size_t>(level)];
  auto push = [&](int id) {
    out.push_back(id);
    return links_[static_cast<std::size_t>(id)].latency;
  };
  if (L.topology == Topology::switched)
    return push(v.up[static_cast<std::size_t>(src)]) + push(v.down[static_cast<std::size_t>(dst)]);
  if (L.topology == Topology::fat_tree) {
    double lat = push(v.up[static_cast<std::size_t>(src)]);
    const int ls = links_[static_cast<std::size_t>(v.up[static_cast<std::size_t>(src)])].to;
    const int ld = links_[static_cast<std::size_t>(v.down[static_cast<std::size_t>(dst)])].from;
    if (ls != ld && !v.leaf_up.empty()) {
      const int first_leaf = links_[static_cast<std::size_t>(v.leaf_up[0])].from;
      const auto a = static_cast<std::size_t>(ls - first_leaf), b = static_cast<std::size_t>(ld - first_leaf);
      lat += push(v.leaf_up[a]);
      const int pa = links_[static_cast<std::size_t>(v.leaf_up[a])].to,
                pb = links_[static_cast<std::size_t>(v.leaf_down[b])].from;
      if (pa != pb && !v.pod_up.empty()) {
        const int first_pod = links_[static_cast<std::size_t>(v.pod_up[0])].from;
        lat += push(v.pod_up[static_cast<std::size_t>(pa - first_pod)]);
        lat += push(v.pod_down[static_cast<std::size_t>(pb - first_pod)]);
      }
      lat += push(v.leaf_down[b]);
    }
    return lat + push(v.down[static_cast<std::size_t>(dst)]);
  }
  // Rails: along the children on the source's local rail, dimension-ordered, then inside
  // the destination child.
  const long long child = per_[static_cast<std::size_t>(level - 1)];
  const long long per = per_[static_cast<std::size_t>(level)];
  auto child_coord = [&](long long d) {
    std::array<int, 3> cc{0, 0, 0};
    long long rest = (d % per) / child;
    for (int j = 2; j >= 0; --j) {
      cc[static_cast<std::size_t>(j)] = static_cast<int>(rest % v.child_dims[static_cast<std::size_t>(j)]);
      rest /= v.child_dims[static_cast<std::size_t>(j)];
    }
    return cc;
  };
  double lat = 0;
  long long cur = src;
  const auto t = child_coord(dst);
  for (int j = 2; j >= 0; --j) {
    const auto ju = static_cast<std::size_t>(j);
    const int n = v.child_dims[ju];
    for (int guard = 0; guard < n; ++guard) {
      const auto c = child_coord(cur);
      if (c[ju] == t[ju]) break;
      int step = t[ju] > c[ju] ? 1 : -1;
      if (v.wrap && n > 2) {
        const int fwd = ((t[ju] - c[ju]) % n + n) % n;
        step = fwd <= n - fwd ? 1 : -1;
      }
      const int id = v.rail_next[static_cast<std::size_t>(cur * 6 + 2 * j + (step > 0 ? 0 : 1))];
      if (id < 0) break;
      lat += push(id);
      cur = links_[static_cast<std::size_t>(id)].to;
    }
  }
  return lat + route(cur, dst, out);
}

// --- names and summary ----------------------------------------------------------------------

std::string Graph::link_name(int id) const {
  const Link& l = links_[static_cast<std::size_t>(id)];
  auto node = [&](int n) -> std::string {
    if (n < devices_) {
      if (!coord_.empty() && grid_.dims == 2) {
        const auto c = coord_[static_cast<std::size_t>(n)];
        return fmt::format("{} {} ({},{})", sys_->device.name, n, c[0], c[1]);
      }
      return fmt::format("{} {}", sys_->device.name, n);
    }
    return node_label_[static_cast<std::size_t>(n - devices_)];
  };
  const std::string where = l.level >= 0 ? sys_->levels[static_cast<std::size_t>(l.level)].name + " " : std::string{};
  // Grid links are named by their level's topology (a TPU cube's are torus links).
  const char* kind = link_kind_name(l.kind);
  if (l.kind == LinkKind::mesh && l.level >= 0) {
    const auto t = sys_->levels[static_cast<std::size_t>(l.level)].topology;
    if (t == Topology::torus2d || t == Topology::torus3d) kind = "torus";
    if (t == Topology::ring) kind = "ring";
  }
  return fmt::format("{} -> {} [{}{}]", node(l.from), node(l.to), where, kind);
}

std::vector<std::string> Graph::summary() const {
  std::map<std::tuple<int, int, double>, long long> groups;
  for (const auto& l : links_) ++groups[{l.level, static_cast<int>(l.kind), l.bandwidth}];
  std::vector<std::string> out;
  out.push_back(fmt::format("{} nodes ({} devices, {} switches and DIP nodes), {} directed links", nodes_, devices_,
                            nodes_ - devices_, links_.size()));
  for (const auto& [key, n] : groups) {
    const auto [level, kind, bw] = key;
    const std::string where = level >= 0 ? sys_->levels[static_cast<std::size_t>(level)].name : std::string("dip");
    out.push_back(
        fmt::format("{:<8} {:<13} {:>8} links x {:.4g} GB/s", where, link_kind_name(static_cast<LinkKind>(kind)), n, bw / 1e9));
  }
  return out;
}

}  // namespace dojosim::hardware
