#include "dojosim/collective/mesh2d.hpp"

#include <algorithm>
#include <cmath>

namespace dojosim::collective::mesh {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

bool reduces(Op op) { return op == Op::all_reduce || op == Op::reduce_scatter || op == Op::all_gather; }

// Hops of one step of a ring on a line of n members `s` hops apart: the folded ring
// 0,2,4,..,5,3,1 has edges of 2 member hops (1 when n == 2); a torus dimension closes the
// ring with its wrap-around link.
int line_hops(int n, int s, bool torus) { return torus || n == 2 ? s : 2 * s; }

// Reduce-scatter of X bytes per member on a line of n members (folded ring; on a torus
// dimension two counter-rotating rings, half the data each). Chan et al. 2007, bucket
// algorithm on a linear array: the ring embeds with dilation 2 and no link conflicts.
double line_rs(int n, int s, double b, double alpha, double X, Efficiency eff, bool torus) {
  if (n <= 1 || X <= 0) return 0;
  const double chunk = torus ? X / (2.0 * n) : X / n;
  return (n - 1) * (chunk / (b * eff(chunk)) + line_hops(n, s, torus) * alpha);
}

// Odd x odd grids have no Hamiltonian cycle. From 3 x 5 up the ring closes with one
// straight 2-hop edge through an interior member whose own ring edges are perpendicular
// to it, so the two counter-rotating rings never share a link (see band_cycle below); the
// edge runs along a row when there are at least 5 columns, along a column otherwise.
// On 3 x 3 no such embedding exists under XY routing (exhaustive search): one link then
// carries both rings' chunks.
bool odd_conflict(const Members& g) { return g.rows % 2 == 1 && g.cols % 2 == 1 && g.rows < 5 && g.cols < 5; }
bool long_edge_in_row(const Members& g) {
  const int sr = g.row_spacing, sc = g.col_spacing;
  if (g.cols >= 5 && g.rows >= 5) return std::max(2 * sc, sr) <= std::max(sc, 2 * sr);
  return g.cols >= 5;
}

// Hops of one step of the snake ring on an R x C (both >= 2) member grid.
int grid_ring_hops(const Members& g, bool torus) {
  const int sr = g.row_spacing, sc = g.col_spacing;
  if (torus || g.count() % 2 == 0) return std::max(sr, sc);
  if (odd_conflict(g)) return std::max(sc, 2 * sr);
  return long_edge_in_row(g) ? std::max(2 * sc, sr) : std::max(sc, 2 * sr);
}

double floor_half(int n) { return static_cast<double>(n / 2); }
double ceil_half(int n) { return static_cast<double>(n - n / 2); }

}  // namespace

int degree(const Mesh2D& m, Coord c) {
  if (m.torus) return (m.rows > 1 ? 2 : 0) + (m.cols > 1 ? 2 : 0);
  return (c.row > 0 ? 1 : 0) + (c.row < m.rows - 1 ? 1 : 0) + (c.col > 0 ? 1 : 0) + (c.col < m.cols - 1 ? 1 : 0);
}

MeshCost ring(const Mesh2D& m, const Members& g, Op op, double bytes, Efficiency eff) {
  MeshCost c;
  if (!reduces(op)) return c;
  const int p = g.count();
  c.algo = Algo::snake_ring;
  if (p <= 1 || bytes <= 0) {
    c.time = 0;
    return c;
  }
  const double mult = op == Op::all_reduce ? 2.0 : 1.0;
  const double bh = m.link_bandwidth / g.share_h, bv = m.link_bandwidth / g.share_v;
  double t;
  if (g.rows == 1 || g.cols == 1) {
    const bool row = g.rows == 1;
    const int s = row ? g.col_spacing : g.row_spacing;
    t = line_rs(p, s, row ? bh : bv, m.hop_latency, bytes, eff, m.torus);
    c.hops_per_step = line_hops(p, s, m.torus);
  } else {
    // Two counter-rotating rings, half the data each (four on a torus: two edge-disjoint
    // Hamiltonian cycles); a step moves one chunk over every edge of the cycle.
    const double chunk = bytes / ((m.torus ? 4.0 : 2.0) * p);
    const double busiest = !m.torus && odd_conflict(g) ? 2.0 * chunk : chunk;
    c.hops_per_step = grid_ring_hops(g, m.torus);
    t = (p - 1) * (busiest / (std::min(bh, bv) * eff(chunk)) + c.hops_per_step * m.hop_latency);
  }
  c.time = mult * t;
  c.steps = static_cast<int>(mult) * (p - 1);
  return c;
}

MeshCost dimwise(const Mesh2D& m, const Members& g, Op op, double bytes, Efficiency eff) {
  MeshCost c;
  if (!reduces(op) || g.rows < 2 || g.cols < 2) return c;  // a line: the ring is the same algorithm
  c.algo = Algo::dimwise;
  if (bytes <= 0) {
    c.time = 0;
    return c;
  }
  const int R = g.rows, C = g.cols;
  const double bh = m.link_bandwidth / g.share_h, bv = m.link_bandwidth / g.share_v, a = m.hop_latency;
  auto row = [&](double X) { return line_rs(C, g.col_spacing, bh, a, X, eff, m.torus); };
  auto col = [&](double X) { return line_rs(R, g.row_spacing, bv, a, X, eff, m.torus); };
  // Phase 1: half A along rows, half B along columns (disjoint links); phase 2: A's shards
  // along columns, B's along rows. Phases are synchronous (conservative).
  const double t = std::max(row(bytes / 2), col(bytes / 2)) + std::max(col(bytes / (2.0 * C)), row(bytes / (2.0 * R)));
  const double mult = op == Op::all_reduce ? 2.0 : 1.0;
  c.time = mult * t;
  c.hops_per_step = std::max(line_hops(C, g.col_spacing, m.torus), line_hops(R, g.row_spacing, m.torus));
  c.steps = static_cast<int>(mult) * 2 * (std::max(R, C) - 1);
  return c;
}

MeshCost all_to_all(const Mesh2D& m, const Members& g, double bytes, Efficiency eff) {
  MeshCost c;
  c.algo = Algo::direct;
  const int p = g.count();
  if (p <= 1 || bytes <= 0) {
    c.time = 0;
    return c;
  }
  const int R = g.rows, C = g.cols;
  const double piece = bytes / p;
  // Busiest horizontal link: the middle of a member row carries the row's left half to
  // every member right of it (XY routing goes along the source's row first); busiest
  // vertical link: the middle of a column carries every source's traffic to the column's
  // far half.
  double lh = floor_half(C) * ceil_half(C) * R * piece;
  double lv = floor_half(R) * ceil_half(R) * C * piece;
  if (m.torus) {
    lh /= 2;
    lv /= 2;
  }
  const double bh = m.link_bandwidth / g.share_h, bv = m.link_bandwidth / g.share_v;
  const int diameter = (R - 1) * g.row_spacing + (C - 1) * g.col_spacing;
  c.hops_per_step = diameter;
  c.steps = 1;
  c.time = std::max(lh / bh, lv / bv) / eff(piece) + diameter * m.hop_latency;
  return c;
}

MeshCost send_recv(const Mesh2D& m, const Members& g, double bytes, Efficiency eff) {
  MeshCost c;
  c.algo = Algo::direct;
  if (g.count() <= 1 || bytes <= 0) {
    c.time = 0;
    return c;
  }
  const double bh = m.link_bandwidth / g.share_h, bv = m.link_bandwidth / g.share_v;
  double b;
  if (g.rows >= 2 && g.cols >= 2) {
    c.hops_per_step = std::max(g.row_spacing, g.col_spacing);
    b = std::min(bh, bv);
  } else if (g.rows == 1) {
    c.hops_per_step = g.col_spacing;
    b = bh;
  } else {
    c.hops_per_step = g.row_spacing;
    b = bv;
  }
  c.steps = 1;
  c.time = bytes / (b * eff(bytes)) + c.hops_per_step * m.hop_latency;
  return c;
}

MeshCost best(const Mesh2D& m, const Members& g, Op op, double bytes, Efficiency eff) {
  switch (op) {
    case Op::all_to_all: return all_to_all(m, g, bytes, eff);
    case Op::send_recv: return send_recv(m, g, bytes, eff);
    case Op::all_reduce:
    case Op::reduce_scatter:
    case Op::all_gather: {
      const MeshCost r = ring(m, g, op, bytes, eff);
      const MeshCost d = dimwise(m, g, op, bytes, eff);
      return d.time < r.time ? d : r;
    }
    case Op::none: break;
  }
  return {};
}

double injection_bound(const Mesh2D& m, const Members& g, Op op, double bytes) {
  const int p = g.count();
  if (p <= 1 || bytes <= 0) return 0;
  // The fewest links of any member: on a rectangle of nodes, at one of its corners.
  int d = 4;
  for (const Coord c : {g.at(0, 0), g.at(0, g.cols - 1), g.at(g.rows - 1, 0), g.at(g.rows - 1, g.cols - 1)})
    d = std::min(d, degree(m, c));
  const double out = d * m.link_bandwidth;
  switch (op) {
    // Each member must send its contribution to the other p-1 shards (reduce-scatter),
    // receive the other p-1 shards (all-gather) or send its p-1 pieces (all-to-all).
    case Op::reduce_scatter:
    case Op::all_gather:
    case Op::all_to_all: return (p - 1.0) / p * bytes / out;
    // Every element of every other member's result depends on this member's buffer.
    case Op::all_reduce:
    case Op::send_recv: return bytes / out;
    case Op::none: break;
  }
  return 0;
}

double bisection_bound(const Mesh2D& m, const Members& g, Op op, double bytes) {
  const int p = g.count();
  if (p <= 1 || bytes <= 0) return 0;
  const int R = g.rows, C = g.cols;
  const double b = m.link_bandwidth * (m.torus ? 2.0 : 1.0);  // a torus cut crosses twice the links
  // A cut between member columns crosses m.rows links each way; between member rows, m.cols.
  const double vcut = m.rows * b, hcut = m.cols * b;
  double t = 0;
  switch (op) {
    case Op::reduce_scatter:
    case Op::all_gather:
      // Cutting off one column (row): the other side's contributions to (or its copies of)
      // the larger part's shards, (C-1)/C of the buffer, must cross.
      if (C >= 2) t = std::max(t, (C - 1.0) / C * bytes / vcut);
      if (R >= 2) t = std::max(t, (R - 1.0) / R * bytes / hcut);
      break;
    case Op::all_reduce:
    case Op::send_recv:
      // Each side's result depends on all of the other side's buffer.
      if (C >= 2) t = std::max(t, bytes / vcut);
      if (R >= 2) t = std::max(t, bytes / hcut);
      break;
    case Op::all_to_all: {
      const double piece = bytes / p;
      if (C >= 2) t = std::max(t, floor_half(C) * R * ceil_half(C) * R * piece / vcut);
      if (R >= 2) t = std::max(t, floor_half(R) * C * ceil_half(R) * C * piece / hcut);
      break;
    }
    case Op::none: break;
  }
  return t;
}

Members place(int mesh_rows, int mesh_cols, int k, int spacing) {
  Members best;
  if (k <= 1) return best;
  spacing = std::max(1, spacing);
  // The `spacing` children between neighbouring members hold the inner groups, laid out
  // the way those groups place themselves (the compact block of `spacing` children).
  int sr = 1, sc = 1;
  bool inner_ok = true;
  if (spacing > 1) {
    const Members inner = place(mesh_rows, mesh_cols, spacing, 1);
    inner_ok = !inner.irregular;
    sr = inner.rows;
    sc = inner.cols;
  }
  bool found = false;
  int best_diam = 0;
  for (int R = 1; inner_ok && R * sr <= mesh_rows && R <= k; ++R) {
    if (k % R != 0) continue;
    const int C = k / R;
    if (C * sc > mesh_cols) continue;
    const int diam = (R - 1) * sr + (C - 1) * sc;
    const bool tiles = mesh_rows % (R * sr) == 0 && mesh_cols % (C * sc) == 0;
    // A shape whose copies tile the mesh first (every group the same rectangle), then
    // the smallest diameter, then the widest.
    const bool better =
        !found || (tiles && !best.tiles) || (tiles == best.tiles && (diam < best_diam || (diam == best_diam && C > best.cols)));
    if (better) {
      best = Members{R, C, sr, sc, 0, 0, sc, sr, false};
      best.tiles = tiles;
      best_diam = diam;
      found = true;
    }
  }
  if (found) return best;
  // Irregular: the smallest near-square grid holding k members, spread over the mesh.
  int bR = 0, bC = 0;
  for (int R = 1; R <= mesh_rows; ++R) {
    const int C = std::min(mesh_cols, (k + R - 1) / R);
    if (R * C < k && !(R == mesh_rows && C == mesh_cols)) continue;
    if (bR == 0 || R * C < bR * bC || (R * C == bR * bC && std::abs(R - C) < std::abs(bR - bC))) {
      bR = R;
      bC = C;
    }
  }
  best.rows = bR;
  best.cols = bC;
  best.row_spacing = bR > 1 ? std::max(1, mesh_rows / bR) : 1;
  best.col_spacing = bC > 1 ? std::max(1, mesh_cols / bC) : 1;
  best.share_h = best.share_v = spacing;
  best.irregular = true;
  best.tiles = false;
  return best;
}

// ---- link loads ----

const char* dir_name(Dir d) {
  switch (d) {
    case Dir::east: return "east";
    case Dir::west: return "west";
    case Dir::south: return "south";
    case Dir::north: return "north";
  }
  return "east";
}

bool LinkLoads::exists(Coord c, Dir d) const {
  if (c.row < 0 || c.row >= rows || c.col < 0 || c.col >= cols) return false;
  switch (d) {
    case Dir::east: return c.col + 1 < cols;
    case Dir::west: return c.col > 0;
    case Dir::south: return c.row + 1 < rows;
    case Dir::north: return c.row > 0;
  }
  return false;
}

double LinkLoads::max() const { return bytes.empty() ? 0.0 : *std::max_element(bytes.begin(), bytes.end()); }
double LinkLoads::total() const {
  double t = 0;
  for (double b : bytes) t += b;
  return t;
}

void route(LinkLoads& l, Coord a, Coord b, double bytes) {
  Coord c = a;
  while (c.col != b.col) {
    const Dir d = b.col > c.col ? Dir::east : Dir::west;
    l.at(c, d) += bytes;
    c.col += b.col > c.col ? 1 : -1;
  }
  while (c.row != b.row) {
    const Dir d = b.row > c.row ? Dir::south : Dir::north;
    l.at(c, d) += bytes;
    c.row += b.row > c.row ? 1 : -1;
  }
}

namespace {

using Grid = std::vector<Coord>;  // member-grid coordinates (row, col)

// Folded ring on n members of a line: 0, 2, 4, ..., then the odd ones back.
std::vector<int> folded(int n) {
  std::vector<int> o;
  for (int i = 0; i < n; i += 2) o.push_back(i);
  for (int i = (n % 2 == 0 ? n - 1 : n - 2); i >= 1; i -= 2) o.push_back(i);
  return o;
}

// Hamiltonian cycle of an R x C grid, R even, C >= 2: along row 0, snake back and forth
// over columns 1..C-1 of rows 1..R-1, return up column 0.
Grid even_cycle(int R, int C) {
  Grid o;
  for (int c = 0; c < C; ++c) o.push_back({0, c});
  for (int r = 1; r < R; ++r) {
    if (r % 2 == 1)
      for (int c = C - 1; c >= 1; --c) o.push_back({r, c});
    else
      for (int c = 1; c < C; ++c) o.push_back({r, c});
  }
  for (int r = R - 1; r >= 1; --r) o.push_back({r, 0});
  return o;
}

// 3 x 3 (no conflict-free embedding exists): the even cycle of rows 0..1, the last row
// absorbed in pairs on row 1's edges, the corner (2, 2) reached by a straight 2-hop edge
// down column 2 (its middle link is also used by the counter-rotating ring).
Grid odd_cycle(int R, int C) {
  const Grid base = even_cycle(R - 1, C);
  Grid o;
  const std::size_t n = base.size();
  for (std::size_t i = 0; i < n; ++i) {
    const Coord a = base[i], b = base[(i + 1) % n];
    o.push_back(a);
    if (a == Coord{R - 3, C - 1} && b == Coord{R - 2, C - 1}) o.push_back({R - 1, C - 1});
    if (a.row == R - 2 && b.row == R - 2 && b.col == a.col - 1 && b.col % 2 == 0 && b.col <= C - 3) {
      o.push_back({R - 1, a.col});
      o.push_back({R - 1, b.col});
    }
  }
  return o;
}

// R odd >= 3, C odd >= 5. Row 0 and a snake over columns 1..C-1 of rows 1..R-4 (for
// R = 3 just (0,0)), then the band of the last three rows t, m, b over columns 1..C-1:
// (t,1) (t,2) (m,2) (b,2), along b to C-1, up column C-1, down/up columns C-2..3 in rows
// t and m ending at (m,3), the 2-hop edge (m,3) -> (m,1) through (m,2) (whose ring edges are
// vertical), (b,1), and back up column 0.
Grid band_cycle(int R, int C) {
  Grid o{{0, 0}};
  if (R > 3) {
    for (int c = 1; c < C; ++c) o.push_back({0, c});
    for (int r = 1; r <= R - 4; ++r) {
      if (r % 2 == 1)
        for (int c = C - 1; c >= 1; --c) o.push_back({r, c});
      else
        for (int c = 1; c < C; ++c) o.push_back({r, c});
    }
  }
  const int t = R - 3, m = R - 2, b = R - 1;
  for (const Coord c : {Coord{t, 1}, Coord{t, 2}, Coord{m, 2}, Coord{b, 2}}) o.push_back(c);
  for (int c = 3; c < C; ++c) o.push_back({b, c});
  o.push_back({m, C - 1});
  o.push_back({t, C - 1});
  for (int c = C - 2; c >= 3; --c) {
    if ((C - 2 - c) % 2 == 0) {
      o.push_back({t, c});
      o.push_back({m, c});
    } else {
      o.push_back({m, c});
      o.push_back({t, c});
    }
  }
  o.push_back({m, 1});
  o.push_back({b, 1});
  for (int r = R - 1; r >= 1; --r) o.push_back({r, 0});
  return o;
}

Grid transpose(Grid g) {
  for (auto& c : g) std::swap(c.row, c.col);
  return g;
}

Grid grid_ring(const Members& g) {
  const int R = g.rows, C = g.cols;
  if (R * C == 1) return {{0, 0}};
  if (R == 1 || C == 1) {
    Grid o;
    for (int i : folded(R * C)) o.push_back(R == 1 ? Coord{0, i} : Coord{i, 0});
    return o;
  }
  if (R % 2 == 0) return even_cycle(R, C);
  if (C % 2 == 0) return transpose(even_cycle(C, R));
  // odd x odd: the 2-hop edge along a row or a column (the cheaper where both are possible).
  if (odd_conflict(g)) return odd_cycle(R, C);
  if (long_edge_in_row(g)) return band_cycle(R, C);
  return transpose(band_cycle(C, R));
}

Grid to_mesh(const Members& g, const Grid& m) {
  Grid o;
  o.reserve(m.size());
  for (const auto& c : m) o.push_back(g.at(c.row, c.col));
  return o;
}

// Folded-ring reduce-scatter of X bytes on a line of mesh nodes (every step one chunk on every ring edge).
void line_ring_loads(LinkLoads& l, const Grid& line, double X) {
  const int n = static_cast<int>(line.size());
  if (n <= 1) return;
  const auto ord = folded(n);
  const double total = (n - 1) * X / n;  // chunks per edge over the n-1 steps
  for (int i = 0; i < n; ++i)
    route(l, line[static_cast<std::size_t>(ord[static_cast<std::size_t>(i)])],
          line[static_cast<std::size_t>(ord[static_cast<std::size_t>((i + 1) % n)])], total);
}

}  // namespace

std::vector<Coord> ring_order(const Members& g) { return to_mesh(g, grid_ring(g)); }

void add_collective(LinkLoads& l, const Members& g, Op op, Algo algo, double bytes, double scale) {
  const int p = g.count();
  if (p <= 1 || bytes <= 0) return;
  const double mult = (op == Op::all_reduce ? 2.0 : 1.0) * scale;
  const int R = g.rows, C = g.cols;
  if (op == Op::all_to_all) {
    for (int i = 0; i < p; ++i)
      for (int j = 0; j < p; ++j)
        if (i != j) route(l, g.at(i / C, i % C), g.at(j / C, j % C), bytes / p * scale);
    return;
  }
  if (op == Op::send_recv) {
    // Neighbours along the boustrophedon (snake) chain.
    Grid chain;
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) chain.push_back(g.at(r, r % 2 == 0 ? c : C - 1 - c));
    for (std::size_t i = 0; i + 1 < chain.size(); ++i) route(l, chain[i], chain[i + 1], bytes * scale);
    return;
  }
  if (algo == Algo::dimwise && R >= 2 && C >= 2) {
    // Rows carry half A's buffer and half B's row shards; columns the converse.
    for (int r = 0; r < R; ++r) {
      Grid line;
      for (int c = 0; c < C; ++c) line.push_back(g.at(r, c));
      line_ring_loads(l, line, mult * (bytes / 2 + bytes / (2.0 * R)));
    }
    for (int c = 0; c < C; ++c) {
      Grid line;
      for (int r = 0; r < R; ++r) line.push_back(g.at(r, c));
      line_ring_loads(l, line, mult * (bytes / 2 + bytes / (2.0 * C)));
    }
    return;
  }
  // Snake ring.
  const Grid order = ring_order(g);
  const std::size_t n = order.size();
  if (R == 1 || C == 1) {
    const double per_edge = (p - 1.0) * bytes / p * mult;
    for (std::size_t i = 0; i < n; ++i) route(l, order[i], order[(i + 1) % n], per_edge);
  } else {
    const double per_edge = (p - 1.0) * bytes / (2.0 * p) * mult;
    for (std::size_t i = 0; i < n; ++i) {
      route(l, order[i], order[(i + 1) % n], per_edge);
      route(l, order[(i + 1) % n], order[i], per_edge);
    }
  }
}

void add_all_groups(LinkLoads& l, const Members& g, Op op, Algo algo, double bytes, double scale) {
  const int sr = g.row_spacing, sc = g.col_spacing;
  const int bh = g.rows * sr, bw = g.cols * sc;  // rows and columns of one block of interleaved groups
  for (int br = 0; br == 0 || (br + 1) * bh <= l.rows; ++br)
    for (int bc = 0; bc == 0 || (bc + 1) * bw <= l.cols; ++bc)
      for (int a = 0; a < sr; ++a)
        for (int b = 0; b < sc; ++b) {
          Members h = g;
          h.row0 = br * bh + a;
          h.col0 = bc * bw + b;
          const Coord last = h.at(h.rows - 1, h.cols - 1);
          if (last.row >= l.rows || last.col >= l.cols) continue;
          add_collective(l, h, op, algo, bytes, scale);
        }
}

}  // namespace dojosim::collective::mesh
