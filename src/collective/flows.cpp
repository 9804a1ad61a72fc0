// Flows on the topology graph (contract in collective/flows.hpp; docs/model.md#flows).
#include "dojosim/collective/flows.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cmath>
#include <limits>
#include <map>

namespace dojosim::collective::flow {

using hardware::Graph;
using hardware::Topology;

// --- max-min fair rates -------------------------------------------------------------------

Solver::Solver(const Graph& g) : g_(&g), cap_(g.links().size(), 0.0), cnt_(g.links().size(), 0.0), mark_(g.links().size(), 0) {}

void Solver::solve(const std::vector<const Phase*>& active, std::vector<double>& rate) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  rate.assign(active.size(), kInf);
  touched_.clear();
  open_.clear();
  for (std::size_t p = 0; p < active.size(); ++p) {
    for (const auto& c : active[p]->classes) {
      if (c.load.empty()) continue;
      open_.push_back({&c, p});
      for (const auto& [l, n] : c.load) {
        const auto lu = static_cast<std::size_t>(l);
        if (mark_[lu] == 0) {
          mark_[lu] = 1;
          cap_[lu] = g_->link(l).bandwidth;
          cnt_[lu] = 0;
          touched_.push_back(l);
        }
        cnt_[lu] += n;
      }
    }
  }
  // Progressive filling: raise every open class's rate together until a link fills; the
  // classes crossing it are frozen at that rate; repeat with what is left.
  while (!open_.empty()) {
    double s = kInf;
    for (int l : touched_) {
      const auto lu = static_cast<std::size_t>(l);
      if (cnt_[lu] > 1e-9) s = std::min(s, std::max(0.0, cap_[lu]) / cnt_[lu]);
    }
    if (!(s < kInf)) break;
    const double tol = s * (1.0 + 1e-9) + 1e-30;
    next_.clear();
    // Classes on a full link freeze at s and give back nothing more; subtracting each as it
    // freezes leaves every other link's share unchanged or higher, so the test stays exact.
    for (const auto& r : open_) {
      bool full = false;
      for (const auto& [l, n] : r.c->load) {
        const auto lu = static_cast<std::size_t>(l);
        if (cnt_[lu] > 1e-9 && std::max(0.0, cap_[lu]) / cnt_[lu] <= tol) {
          full = true;
          break;
        }
      }
      if (!full) {
        next_.push_back(r);
        continue;
      }
      rate[r.phase] = std::min(rate[r.phase], s);
      for (const auto& [l, n] : r.c->load) {
        const auto lu = static_cast<std::size_t>(l);
        cap_[lu] -= s * n;
        cnt_[lu] -= n;
      }
    }
    if (next_.size() == open_.size()) break;  // numerical safety: nothing froze
    open_.swap(next_);
  }
  for (int l : touched_) mark_[static_cast<std::size_t>(l)] = 0;
}

// --- decomposition --------------------------------------------------------------------------

namespace {

// Accumulates the routes of one class's flows and compresses them into (link, count).
struct ClassBuilder {
  std::vector<int> links;
  double latency = 0;
  void add(const Graph& g, long long src, long long dst, bool zplane) {
    if (src == dst) return;
    const std::size_t before = links.size();
    const double lat = zplane ? g.route_zplane(src, dst, links) : g.route(src, dst, links);
    if (links.size() > before) latency = std::max(latency, lat);
  }
  FlowClass finish() {
    std::sort(links.begin(), links.end());
    FlowClass c;
    c.latency = latency;
    for (std::size_t i = 0; i < links.size();) {
      std::size_t j = i;
      while (j < links.size() && links[j] == links[i]) ++j;
      c.load.emplace_back(links[i], static_cast<float>(j - i));
      i = j;
    }
    links.clear();
    return c;
  }
};

// The device of member `i` of the instance at `base`.
long long member(const Instances& in, long long base, long long i) { return base + i * in.stride; }

// The members of one instance of the group laid out hop by hop, as the closed form
// prices them (docs/model.md#straddle): hop 0's rings take up to k_0 consecutive members
// and, where the hop has an instance boundary (Hop::instance), never cross it, so a group
// straddling two NVLink racks has rings inside each rack; each ring becomes a unit, and
// hop 1's rings take up to k_1 consecutive units inside one of its instances, and so on;
// the last hop takes every unit left. Slot p * inner_h + lo of a unit of hop h holds
// position p's unit's slot lo (inner_h = slots per unit below); a short ring leaves its
// slots empty (-1). Groups that divide their instances get the plain member order.
struct Layout {
  std::vector<long long> slots;
  std::array<long long, 9> inner{};  // slots per unit below hop h (inner[0] = 1)
  std::array<long long, 8> len{};    // units per ring at hop h (k, or more at the last hop)
};
void lay_out(const Group& g, const Instances& in, long long base, Layout& out) {
  std::vector<std::vector<long long>> units(static_cast<std::size_t>(in.size)), next;
  for (long long i = 0; i < in.size; ++i) units[static_cast<std::size_t>(i)] = {member(in, base, i)};
  out.inner[0] = 1;
  for (int h = 0; h < g.hops; ++h) {
    const Hop& hop = g.hop[static_cast<std::size_t>(h)];
    const bool last = h == g.hops - 1;
    const auto inner = static_cast<std::size_t>(out.inner[static_cast<std::size_t>(h)]);
    const auto len =
        static_cast<std::size_t>(last ? std::max<std::size_t>(static_cast<std::size_t>(hop.k), units.size()) : hop.k);
    out.len[static_cast<std::size_t>(h)] = static_cast<long long>(len);
    out.inner[static_cast<std::size_t>(h) + 1] = static_cast<long long>(inner * len);
    auto first = [](const std::vector<long long>& u) {
      for (long long d : u)
        if (d >= 0) return d;
      return -1LL;
    };
    next.clear();
    std::size_t p = len;  // position in the open ring (len: none open)
    long long at = -1;    // the open ring's instance
    for (auto& u : units) {
      const long long d = first(u);
      const long long inst = hop.instance > 0 && !last ? d / hop.instance : 0;
      if (p >= len || inst != at) {
        next.emplace_back(inner * len, -1LL);
        p = 0;
        at = inst;
      }
      std::copy(u.begin(), u.end(), next.back().begin() + static_cast<std::ptrdiff_t>(p * inner));
      ++p;
    }
    units.swap(next);
  }
  out.slots.clear();
  for (const auto& u : units) out.slots.insert(out.slots.end(), u.begin(), u.end());
}

// Members of hop h in each ring: for every instance and every combination of the other
// hops' positions, the members differing only in hop h's position (ordered by position,
// laid out by lay_out). Calls f(ring) with the ring's devices.
template <class F>
void for_each_ring(const Group& g, const Instances& in, int h, F&& f) {
  std::vector<long long> ring;
  Layout lay;
  for (long long base : in.bases) {
    lay_out(g, in, base, lay);
    const auto hu = static_cast<std::size_t>(h);
    const long long inner = lay.inner[hu], k = lay.len[hu], span = inner * k;
    const auto n = static_cast<long long>(lay.slots.size());
    for (long long lo = 0; lo < inner; ++lo)
      for (long long hi = 0; hi * span < n; ++hi) {
        ring.clear();
        for (long long p = 0; p < k; ++p) {
          const long long i = hi * span + p * inner + lo;
          if (i < n && lay.slots[static_cast<std::size_t>(i)] >= 0) ring.push_back(lay.slots[static_cast<std::size_t>(i)]);
        }
        if (ring.size() > 1) f(ring);
      }
  }
}

// A ring's members on a 2D mesh (Dojo) as the R x C grid they occupy: their rows and
// columns of the graph's grid, evenly spaced; false when they are not such a grid.
struct MeshGrid {
  int rows = 0, cols = 0;
  std::vector<long long> at;  // row-major: the member at (r, c)
};
bool mesh_grid(const Graph& graph, const Hop& hop, bool zplane, const std::vector<long long>& ring, MeshGrid& out) {
  if (zplane || !hop.is_mesh() || graph.grid_dims() != 2 || ring.size() < 2) return false;
  std::vector<int> rows, cols;
  for (long long d : ring) {
    const auto c = graph.grid_coord(d);
    rows.push_back(c[0]);
    cols.push_back(c[1]);
  }
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  std::sort(cols.begin(), cols.end());
  cols.erase(std::unique(cols.begin(), cols.end()), cols.end());
  if (rows.size() * cols.size() != ring.size()) return false;
  out.rows = static_cast<int>(rows.size());
  out.cols = static_cast<int>(cols.size());
  out.at.assign(ring.size(), -1);
  for (long long d : ring) {
    const auto c = graph.grid_coord(d);
    const auto r = std::lower_bound(rows.begin(), rows.end(), c[0]) - rows.begin();
    const auto k = std::lower_bound(cols.begin(), cols.end(), c[1]) - cols.begin();
    auto& slot = out.at[static_cast<std::size_t>(r * out.cols + k)];
    if (slot >= 0) return false;
    slot = d;
  }
  return true;
}

// The ring order the closed form's mesh algorithm uses (collective/mesh2d.hpp: a folded
// ring on a line, a snake on a Hamiltonian cycle of a grid), in place; other rings keep
// member order.
void mesh_ring_order(const Graph& graph, const Hop& hop, bool zplane, std::vector<long long>& ring) {
  MeshGrid mg;
  if (!mesh_grid(graph, hop, zplane, ring, mg)) return;
  mesh::Members m;
  m.rows = mg.rows;
  m.cols = mg.cols;
  const auto order = mesh::ring_order(m);
  if (order.size() != ring.size()) return;
  for (std::size_t i = 0; i < order.size(); ++i) ring[i] = mg.at[static_cast<std::size_t>(order[i].row * mg.cols + order[i].col)];
}

bool bidirectional(const Hop& h, bool zplane) {
  return !zplane && h.topology != Topology::switched && h.topology != Topology::fat_tree;
}

// Ring classes: for each position j, the flows j -> j+shift (mod ring size) of every ring.
Phase ring_phase(const Graph& graph, const Group& g, const Instances& in, int h, int shift, bool zplane) {
  const int k = g.hop[static_cast<std::size_t>(h)].k;
  std::vector<ClassBuilder> cls(static_cast<std::size_t>(k));
  std::vector<long long> ordered;
  const Hop& hop = g.hop[static_cast<std::size_t>(h)];
  const bool mesh = !zplane && hop.is_mesh() && graph.grid_dims() == 2;
  for_each_ring(g, in, h, [&](const std::vector<long long>& members) {
    if (mesh) {
      ordered = members;
      mesh_ring_order(graph, hop, zplane, ordered);
    }
    const auto& ring = mesh ? ordered : members;
    const auto n = static_cast<long long>(ring.size());
    if (std::abs(shift) >= n) return;  // an all-to-all's offsets past a short ring's length
    if (cls.size() < ring.size()) cls.resize(ring.size());
    for (long long j = 0; j < n; ++j)
      cls[static_cast<std::size_t>(j)].add(graph, ring[static_cast<std::size_t>(j)],
                                           ring[static_cast<std::size_t>(((j + shift) % n + n) % n)], zplane);
  });
  Phase p;
  for (auto& c : cls) {
    FlowClass f = c.finish();
    if (!f.load.empty()) p.classes.push_back(std::move(f));
  }
  return p;
}

// Halving-doubling exchange of round r: member j with member j xor 2^r.
Phase exchange_phase(const Graph& graph, const Group& g, const Instances& in, int h, int r, bool zplane) {
  const int k = g.hop[static_cast<std::size_t>(h)].k;
  std::vector<ClassBuilder> cls(static_cast<std::size_t>(k));
  for_each_ring(g, in, h, [&](const std::vector<long long>& ring) {
    const auto n = static_cast<int>(ring.size());
    if (cls.size() < ring.size()) cls.resize(ring.size());
    for (int j = 0; j < n; ++j) {
      const int partner = j ^ (1 << r);
      if (partner < n)
        cls[static_cast<std::size_t>(j)].add(graph, ring[static_cast<std::size_t>(j)], ring[static_cast<std::size_t>(partner)],
                                             zplane);
    }
  });
  Phase p;
  for (auto& c : cls) {
    FlowClass f = c.finish();
    if (!f.load.empty()) p.classes.push_back(std::move(f));
  }
  return p;
}

double max_latency(const Phase& p, double floor) {
  double l = 0;
  for (const auto& c : p.classes) l = std::max(l, c.latency);
  return l > 0 ? l : floor;
}

// One hop of a reduce-scatter, all-gather or all-reduce on `bytes` per member.
bool torus_dimwise(const Graph& graph, const Group& g, const Instances& in, int h, const HopChoice& ch, Op op, double bytes,
                   std::vector<Phase>& out);

bool mesh_dimwise(const Graph& graph, const Group& g, const Instances& in, int h, const HopChoice& ch, Op op, double bytes,
                  std::vector<Phase>& out);

void reduce_hop(const Graph& graph, const Group& g, const Instances& in, int h, const HopChoice& ch, Op op, double bytes,
                std::vector<Phase>& out) {
  if (torus_dimwise(graph, g, in, h, ch, op, bytes, out)) return;
  if (mesh_dimwise(graph, g, in, h, ch, op, bytes, out)) return;
  const Hop& hop = g.hop[static_cast<std::size_t>(h)];
  const double k = hop.k;
  const bool zp = mostly_zplane(ch);
  const double a = zp ? hop.z_latency : hop.latency;
  const double per_op = op == Op::all_reduce ? 2.0 : 1.0;
  if (ch.algo == Algo::halving_doubling) {
    const int rounds = static_cast<int>(std::lround(std::log2(k)));
    std::vector<Phase> rs;
    for (int r = 0; r < rounds; ++r) {
      Phase p = exchange_phase(graph, g, in, h, r, zp);
      p.bytes = bytes / std::pow(2.0, r + 1);
      p.latency = max_latency(p, a);
      p.efficiency = efficiency(hop, bytes / 2);
      p.what = "halving-doubling";
      rs.push_back(std::move(p));
    }
    if (op != Op::all_gather)
      for (const auto& p : rs) out.push_back(p);
    if (op != Op::reduce_scatter)
      for (auto it = rs.rbegin(); it != rs.rend(); ++it) out.push_back(*it);
    return;
  }
  const bool two = bidirectional(hop, zp);
  const double dirs = two ? 2.0 : 1.0;
  for (int d = 0; d < (two ? 2 : 1); ++d) {
    Phase p = ring_phase(graph, g, in, h, d == 0 ? 1 : -1, zp);
    if (ch.algo == Algo::tree) {
      // NCCL's double binary tree: each member streams the whole buffer up (reduce) and
      // down (broadcast) to a tree neighbour; carried here on the ring neighbours, with
      // the tree's log-depth latency.
      p.bytes = bytes / dirs;
      p.rounds = 2;
      p.latency = std::ceil(std::log2(k)) * std::max(a, max_latency(p, a));
      p.efficiency = efficiency(hop, bytes);
      p.what = "tree";
    } else {
      p.bytes = bytes / k / dirs;
      p.rounds = per_op * (k - 1);
      p.latency = max_latency(p, a);
      p.efficiency = efficiency(hop, bytes / k);
      p.what = ch.algo == Algo::snake_ring || ch.algo == Algo::dimwise ? "mesh ring" : "ring";
    }
    out.push_back(std::move(p));
  }
  // Two counter-rotating rings run at once: merge them into one phase.
  if (two && out.size() >= 2) {
    Phase b = std::move(out.back());
    out.pop_back();
    Phase& f = out.back();
    for (auto& c : b.classes) f.classes.push_back(std::move(c));
    f.latency = std::max(f.latency, b.latency);
  }
}

// Torus levels (TPU): the closed form drives every link of the torus (ring_links: two per
// dimension). Carried as dimension-wise bidirectional rings: the buffer is split into one
// part per dimension; part p reduce-scatters along dimensions p, p+1, ... in turn, so at
// every stage the parts use different dimensions' links at once (all-gather in reverse).
bool torus_dimwise(const Graph& graph, const Group& g, const Instances& in, int h, const HopChoice& ch, Op op, double bytes,
                   std::vector<Phase>& out) {
  const Hop& hop = g.hop[static_cast<std::size_t>(h)];
  if (mostly_zplane(ch) || (hop.topology != Topology::torus2d && hop.topology != Topology::torus3d) || graph.grid_dims() < 2)
    return false;
  // Lines: the members of each ring that differ in one grid coordinate only.
  const int D = graph.grid_dims();
  std::vector<std::vector<std::vector<long long>>> lines(static_cast<std::size_t>(D));  // per dimension
  std::array<int, 3> extent{1, 1, 1};
  for_each_ring(g, in, h, [&](const std::vector<long long>& ring) {
    for (int e = 0; e < D; ++e) {
      std::map<std::array<int, 3>, std::vector<long long>> by_rest;
      for (long long d : ring) {
        auto c = graph.grid_coord(d);
        c[static_cast<std::size_t>(e)] = -1;
        by_rest[c].push_back(d);
      }
      for (auto& [rest, v] : by_rest) {
        std::sort(v.begin(), v.end(), [&](long long x, long long y) {
          return graph.grid_coord(x)[static_cast<std::size_t>(e)] < graph.grid_coord(y)[static_cast<std::size_t>(e)];
        });
        extent[static_cast<std::size_t>(e)] = std::max(extent[static_cast<std::size_t>(e)], static_cast<int>(v.size()));
        if (v.size() > 1) lines[static_cast<std::size_t>(e)].push_back(std::move(v));
      }
    }
  });
  std::vector<int> dims;
  for (int e = 0; e < D; ++e)
    if (extent[static_cast<std::size_t>(e)] > 1) dims.push_back(e);
  if (dims.size() < 2) return false;
  const auto nd = static_cast<int>(dims.size());
  std::vector<Phase> rs;
  // Part p's buffer before stage j: bytes / nd reduced over the dimensions it has done.
  std::vector<double> part(static_cast<std::size_t>(nd), bytes / nd);
  for (int j = 0; j < nd; ++j) {
    Phase p;
    int rounds = 1;
    double work = 0, chunk = 0;  // bytes the busiest line's flows move; its per-round message
    for (int pi = 0; pi < nd; ++pi) {
      const int e = dims[static_cast<std::size_t>((pi + j) % nd)];
      const int n = extent[static_cast<std::size_t>(e)];
      rounds = std::max(rounds, n - 1);
      const double x = part[static_cast<std::size_t>(pi)];
      // A ring of 3 or more runs both ways, half each; a pair exchanges over its one link.
      const bool both = n > 2;
      // The slowest line at its message size's efficiency sets the stage.
      const double w = (n - 1.0) * x / n / (both ? 2.0 : 1.0);
      if (work <= 0 || w / efficiency(hop, x / n) > work / efficiency(hop, chunk)) {
        work = w;
        chunk = x / n;
      }
      std::vector<ClassBuilder> cls(static_cast<std::size_t>(2 * n));
      for (const auto& line : lines[static_cast<std::size_t>(e)]) {
        const auto m = static_cast<long long>(line.size());
        for (long long q = 0; q < m; ++q) {
          cls[static_cast<std::size_t>(q)].add(graph, line[static_cast<std::size_t>(q)],
                                               line[static_cast<std::size_t>((q + 1) % m)], false);
          if (both)
            cls[static_cast<std::size_t>(n + q)].add(graph, line[static_cast<std::size_t>(q)],
                                                     line[static_cast<std::size_t>((q + m - 1) % m)], false);
        }
      }
      for (auto& c : cls) {
        FlowClass f = c.finish();
        if (!f.load.empty()) p.classes.push_back(std::move(f));
      }
      part[static_cast<std::size_t>(pi)] = x / n;
    }
    p.rounds = rounds;
    p.bytes = work / rounds;  // the stage lasts as long as its busiest line
    p.latency = max_latency(p, hop.latency);
    p.efficiency = efficiency(hop, chunk);
    p.what = "torus rings";
    rs.push_back(std::move(p));
  }
  if (op != Op::all_gather)
    for (const auto& p : rs) out.push_back(p);
  if (op != Op::reduce_scatter)
    for (auto it = rs.rbegin(); it != rs.rend(); ++it) out.push_back(*it);
  return true;
}

// 2D-mesh levels (Dojo) where the closed form chose the dimension-wise algorithm
// (collective/mesh2d.hpp): half A of the buffer reduce-scatters along the rows while half
// B does along the columns, then A along the columns and B along the rows on their
// shards; each line a folded ring (0, 2, 4, ..., 3, 1: every directed link once a round).
// One phase per stage: the two halves run at once on disjoint links, the stage lasting as
// long as its slower line (rows and columns differ in length when R != C).
bool mesh_dimwise(const Graph& graph, const Group& g, const Instances& in, int h, const HopChoice& ch, Op op, double bytes,
                  std::vector<Phase>& out) {
  const Hop& hop = g.hop[static_cast<std::size_t>(h)];
  if (ch.algo != Algo::dimwise || mostly_zplane(ch) || !hop.is_mesh()) return false;
  std::vector<MeshGrid> grids;
  bool ok = true;
  for_each_ring(g, in, h, [&](const std::vector<long long>& ring) {
    MeshGrid mg;
    if (ok && mesh_grid(graph, hop, false, ring, mg) && mg.rows >= 2 && mg.cols >= 2)
      grids.push_back(std::move(mg));
    else
      ok = false;
  });
  if (!ok || grids.empty()) return false;
  const int R = grids[0].rows, C = grids[0].cols;
  for (const auto& mg : grids)
    if (mg.rows != R || mg.cols != C) return false;
  // Folded-ring flows of every row (along_rows) or column line, one class per ring position.
  auto lines = [&](bool along_rows, std::vector<ClassBuilder>& cls, std::size_t first) {
    const int n = along_rows ? C : R, count = along_rows ? R : C;
    std::vector<int> ord;
    for (int i = 0; i < n; i += 2) ord.push_back(i);
    for (int i = (n % 2 == 0 ? n - 1 : n - 2); i >= 1; i -= 2) ord.push_back(i);
    for (const auto& mg : grids)
      for (int line = 0; line < count; ++line) {
        auto member = [&](int i) {
          const int r = along_rows ? line : i, c = along_rows ? i : line;
          return mg.at[static_cast<std::size_t>(r * C + c)];
        };
        for (int q = 0; q < n; ++q)
          cls[first + static_cast<std::size_t>(q)].add(graph, member(ord[static_cast<std::size_t>(q)]),
                                                       member(ord[static_cast<std::size_t>((q + 1) % n)]), false);
      }
  };
  // Stage j: rows carry x_row bytes per member over C - 1 rounds, columns x_col over R - 1.
  auto stage = [&](double x_row, double x_col) {
    std::vector<ClassBuilder> cls(static_cast<std::size_t>(R + C));
    lines(true, cls, 0);
    lines(false, cls, static_cast<std::size_t>(C));
    Phase p;
    for (auto& c : cls) {
      FlowClass f = c.finish();
      if (!f.load.empty()) p.classes.push_back(std::move(f));
    }
    const double w_row = (C - 1.0) * x_row / C, w_col = (R - 1.0) * x_col / R;  // bytes each line's flows move
    p.rounds = std::max(R, C) - 1.0;
    p.bytes = std::max(w_row, w_col) / p.rounds;
    p.latency = max_latency(p, hop.latency);
    p.efficiency = efficiency(hop, std::max(x_row / C, x_col / R));
    p.what = "mesh dimension-wise";
    return p;
  };
  std::vector<Phase> rs;
  rs.push_back(stage(bytes / 2.0, bytes / 2.0));
  rs.push_back(stage(bytes / (2.0 * R), bytes / (2.0 * C)));
  if (op != Op::all_gather)
    for (const auto& p : rs) out.push_back(p);
  if (op != Op::reduce_scatter)
    for (auto it = rs.rbegin(); it != rs.rend(); ++it) out.push_back(*it);
  return true;
}

}  // namespace

std::vector<Phase> decompose(const Graph& graph, const Group& g, Op op, double bytes, const Instances& in) {
  std::vector<Phase> out;
  if (g.trivial() || bytes <= 0 || op == Op::none || in.bases.empty()) return out;
  const Cost cost = collective(op, g, bytes);
  if (op == Op::send_recv) {
    // A ring shift (context parallel): every member sends to the next.
    for (int h = 0; h < g.hops; ++h) {
      const Hop& hop = g.hop[static_cast<std::size_t>(h)];
      const bool zp = mostly_zplane(cost.hop[static_cast<std::size_t>(h)]);
      Phase p = ring_phase(graph, g, in, h, 1, zp);
      p.bytes = bytes;
      p.latency = max_latency(p, zp ? hop.z_latency : hop.latency);
      p.efficiency = efficiency(hop, bytes);
      p.what = "send-recv";
      if (!p.empty()) out.push_back(std::move(p));
    }
    // Neighbours at different hops exchange at once: one phase, at the efficiency of its
    // least efficient hop (a small message across the network; it was the first hop's,
    // NVLink's, so a CP ring across nodes took 0.6x the closed form's time).
    for (std::size_t i = 1; i < out.size(); ++i) {
      for (auto& c : out[i].classes) out[0].classes.push_back(std::move(c));
      out[0].latency = std::max(out[0].latency, out[i].latency);
      out[0].efficiency = std::min(out[0].efficiency, out[i].efficiency);
    }
    out.resize(std::min<std::size_t>(out.size(), 1));
    return out;
  }
  if (op == Op::all_to_all) {
    for (int h = 0; h < g.hops; ++h) {
      const Hop& hop = g.hop[static_cast<std::size_t>(h)];
      const int k = hop.k;
      const bool zp = mostly_zplane(cost.hop[static_cast<std::size_t>(h)]);
      Phase p;
      for (int o = 1; o < k; ++o) {
        Phase s = ring_phase(graph, g, in, h, o, zp);
        for (auto& c : s.classes) p.classes.push_back(std::move(c));
      }
      p.bytes = hop_bytes(g, Op::all_to_all, bytes, h) / k;
      p.latency = (k - 1) * max_latency(p, zp ? hop.z_latency : hop.latency);
      p.efficiency = efficiency(hop, bytes / g.size);
      p.what = "all-to-all";
      if (!p.empty()) out.push_back(std::move(p));
    }
    return out;
  }
  // Reduce-scatter inside out; all-gather outside in; all-reduce: both.
  std::vector<Phase> rs, ag;
  double shard = bytes;
  for (int h = 0; h < g.hops; ++h) {
    const HopChoice& ch = cost.hop[static_cast<std::size_t>(h)];
    if (op == Op::all_reduce) {
      // The closed form prices a hierarchical all-reduce hop by hop on the shard.
      reduce_hop(graph, g, in, h, ch, Op::all_reduce, shard, rs);
    } else {
      reduce_hop(graph, g, in, h, ch, op, shard, op == Op::all_gather ? ag : rs);
    }
    shard /= g.hop[static_cast<std::size_t>(h)].k;
  }
  for (auto& p : rs)
    if (!p.empty()) out.push_back(std::move(p));
  for (auto it = ag.rbegin(); it != ag.rend(); ++it)
    if (!it->empty()) out.push_back(std::move(*it));
  return out;
}

Phase point_to_point(const Graph& graph, const Group& g, double bytes, const Instances& in, int from, int to) {
  Phase p;
  if (bytes <= 0 || from == to) return p;
  const Cost cost = send_recv(g, bytes);
  bool zp = false;
  double a = 0, eff = 1;
  for (int h = 0; h < g.hops; ++h) {
    zp = zp || mostly_zplane(cost.hop[static_cast<std::size_t>(h)]);
    a = std::max(a, g.hop[static_cast<std::size_t>(h)].latency);
    eff = std::min(eff, efficiency(g.hop[static_cast<std::size_t>(h)], bytes));
  }
  ClassBuilder c;
  for (long long base : in.bases) c.add(graph, member(in, base, from), member(in, base, to), zp);
  FlowClass f = c.finish();
  if (!f.load.empty()) p.classes.push_back(std::move(f));
  p.bytes = bytes;
  p.latency = max_latency(p, a);
  p.efficiency = eff;
  p.what = "send-recv";
  return p;
}

Phase dip_stream(const Graph& graph, double bytes, const std::vector<long long>& devices, double latency) {
  Phase p;
  if (bytes <= 0 || graph.dips() == 0) return p;
  // A D1's stream comes from the DIPs it shares (Graph::dip_shares): a share s of it puts s
  // of a flow on each link of that DIP's route, so each DIP carries its share of the D1s.
  std::vector<std::pair<int, double>> weighted;
  std::vector<int> route;
  FlowClass f;
  for (long long d : devices)
    for (const auto& s : graph.dip_shares(d)) {
      route.clear();
      f.latency = std::max(f.latency, graph.route_from_dip(s.dip, d, route));
      for (int l : route) weighted.emplace_back(l, s.share);
    }
  std::sort(weighted.begin(), weighted.end());
  for (std::size_t i = 0; i < weighted.size();) {
    double load = 0;
    std::size_t j = i;
    for (; j < weighted.size() && weighted[j].first == weighted[i].first; ++j) load += weighted[j].second;
    f.load.emplace_back(weighted[i].first, static_cast<float>(load));
    i = j;
  }
  if (!f.load.empty()) p.classes.push_back(std::move(f));
  p.bytes = bytes;
  p.latency = std::max(latency, p.classes.empty() ? 0.0 : p.classes[0].latency);
  p.what = "DIP stream";
  return p;
}

double uncontended_time(const Graph& graph, const std::vector<Phase>& phases) {
  Solver s(graph);
  std::vector<double> rate;
  double t = 0;
  for (const auto& p : phases) {
    if (p.empty()) continue;
    s.solve({&p}, rate);
    t += p.fixed() + (std::isfinite(rate[0]) && rate[0] > 0 ? p.work() / rate[0] : 0.0);
  }
  return t;
}

}  // namespace dojosim::collective::flow
