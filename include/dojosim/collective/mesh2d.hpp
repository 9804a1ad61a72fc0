// Collectives on an open 2D mesh: the core mesh inside a D1 (18 x 20), the 5 x 5 D1 mesh of
// a Dojo training tile, the 2 x 3 tiles of a tray, the trays and cabinets above.
//
//          col 0     1     2     3     4
//   row 0   o <==> o <==> o <==> o <==> o      <==> : two directed links, one per direction,
//           ^      ^      ^      ^      ^            each `link_bandwidth` B/s
//           v      v      v      v      v      no wrap-around: corners have degree 2,
//   row 1   o <==> o <==> o <==> o <==> o      edge nodes 3, interior nodes 4
//           :      :      :      :      :
//
// Routing is dimension-ordered (XY: along the row to the destination column, then along
// the column); a message of m bytes over h hops takes h * hop_latency + m / bandwidth
// (cut-through). A group occupies a sub-rectangle: `Members` rows x cols nodes, spaced
// row_spacing / col_spacing hops apart (other groups of the same kind sit in between and
// share those links: share_h groups use every horizontal link, share_v every vertical).
//
// Algorithms (docs/model.md#mesh has the closed forms and references):
//  - snake_ring: a ring embedded on the members. Two counter-rotating rings on a
//    Hamiltonian cycle when one side is even (every directed link carries at most one
//    half-chunk per step); on odd x odd grids, which have no Hamiltonian cycle, one edge of
//    the cycle is a straight 2-hop edge through an interior member (no link carries more,
//    every step pays the 2 hops) — except on 3 x 3, where no such embedding exists under
//    XY routing and one link carries both rings' chunks;
//    on a line, the folded ring 0,2,4,..,5,3,1 (each edge at most 2 hops, one ring: the end
//    members have a single link).
//  - dimwise: half the data reduce-scatters along rows then columns, the other half along
//    columns then rows, concurrently (folded rings per row / column); all-gather reverses.
//  - all-to-all: every pair directly, XY routed; the busiest link sets the pace.
//  - send/recv: neighbours along the snake, Manhattan-distance hops.
// All-reduce = reduce-scatter + all-gather. `best` picks the fastest for the message size.
//
// Contract: the cost and bound functions are pure and allocation-free (the strategy search
// calls them millions of times). LinkLoads and the functions that fill it allocate; they
// are for pictures and tests.
#pragma once

#include <cstdlib>
#include <limits>
#include <vector>

#include "dojosim/collective/algo.hpp"

namespace dojosim::collective::mesh {

struct Mesh2D {
  int rows = 1, cols = 1;
  double link_bandwidth = 0;  // B/s per link per direction
  double hop_latency = 0;     // s per router hop
  bool torus = false;         // wrap-around links: for comparison only (Dojo meshes are open)
};

struct Coord {
  int row = 0, col = 0;
  friend bool operator==(Coord, Coord) = default;
};
// Hops of the XY route between two nodes of an open mesh (Manhattan distance).
inline int hops(Coord a, Coord b) { return std::abs(a.row - b.row) + std::abs(a.col - b.col); }
// Links out of a node in each direction (2 at a corner, 3 on an edge, 4 inside; 4 on a torus).
int degree(const Mesh2D& m, Coord c);

struct Members {
  int rows = 1, cols = 1;                // the member grid
  int row_spacing = 1, col_spacing = 1;  // mesh hops between neighbouring members
  int row0 = 0, col0 = 0;                // mesh node of member (0, 0)
  int share_h = 1, share_v = 1;          // concurrent groups on each horizontal / vertical link
  bool irregular = false;                // no rectangle of k members fits: spread over the mesh (approximated)
  // The group's block (its members and the interleaved inner groups between them) tiles
  // the mesh, so every instance is this rectangle. False: it fits but does not tile (four
  // D1s on a 5 x 5 tile): some instances are other shapes or straddle the level's edge,
  // and pricing every one as this rectangle is optimistic.
  bool tiles = true;
  [[nodiscard]] int count() const { return rows * cols; }
  [[nodiscard]] Coord at(int r, int c) const { return {row0 + r * row_spacing, col0 + c * col_spacing}; }
};

// Achieved fraction of link bandwidth for a message of m bytes: max * m / (m + half_bytes).
struct Efficiency {
  double max = 1.0, half_bytes = 0;
  [[nodiscard]] double operator()(double m) const { return half_bytes > 0 ? max * m / (m + half_bytes) : max; }
};

struct MeshCost {
  double time = std::numeric_limits<double>::infinity();
  Algo algo = Algo::none;
  int hops_per_step = 0;  // mesh hops of the longest message of one algorithm step
  int steps = 0;          // algorithm steps (messages in sequence)
};

// Time of `op` on a buffer of `bytes` per member (the full buffer for reduce-scatter and
// all-reduce, the gathered result for all-gather, what each member sends in total for
// all-to-all, the message for send/recv). Infinite when the algorithm does not apply.
MeshCost ring(const Mesh2D& m, const Members& g, Op op, double bytes, Efficiency eff = {});
MeshCost dimwise(const Mesh2D& m, const Members& g, Op op, double bytes, Efficiency eff = {});
MeshCost all_to_all(const Mesh2D& m, const Members& g, double bytes, Efficiency eff = {});
MeshCost send_recv(const Mesh2D& m, const Members& g, double bytes, Efficiency eff = {});
// The fastest applicable algorithm for `op` at this size.
MeshCost best(const Mesh2D& m, const Members& g, Op op, double bytes, Efficiency eff = {});

// Lower bounds on any algorithm for one group alone on an open mesh (no sharing), in
// seconds: the injection bound (what each member must send or receive, over its links)
// and the cut bound (what must cross a cut across the whole mesh, over the links it cuts).
double injection_bound(const Mesh2D& m, const Members& g, Op op, double bytes);
double bisection_bound(const Mesh2D& m, const Members& g, Op op, double bytes);

// Compact placement of k members in a mesh of mesh_rows x mesh_cols nodes, `spacing`
// nodes apart in device order (spacing > 1: the inner groups sit between them, as a block
// of `spacing` nodes placed the same way, so members are a block's height / width apart
// and each link is shared by the block's columns / rows). Among the rows x cols grids of
// blocks that fit: the smallest hop diameter, then the widest. When none fits the group
// is marked irregular: the nearest enclosing grid, spread over the mesh, every link
// shared by all `spacing` interleaved groups (pessimistic).
Members place(int mesh_rows, int mesh_cols, int k, int spacing);

// ---- link loads (allocate; for pictures and tests) ----

enum class Dir { east = 0, west = 1, south = 2, north = 3 };
const char* dir_name(Dir d);

struct LinkLoads {
  int rows = 0, cols = 0;
  std::vector<double> bytes;  // (row * cols + col) * 4 + dir: bytes leaving that node that way
  LinkLoads(int r, int c) : rows(r), cols(c), bytes(static_cast<std::size_t>(r) * static_cast<std::size_t>(c) * 4, 0.0) {}
  [[nodiscard]] bool exists(Coord c, Dir d) const;  // false for links off the open mesh
  double& at(Coord c, Dir d) { return bytes[index(c, d)]; }
  [[nodiscard]] double at(Coord c, Dir d) const { return bytes[index(c, d)]; }
  [[nodiscard]] double max() const;
  [[nodiscard]] double total() const;
  [[nodiscard]] int links() const { return 2 * (rows * (cols - 1) + (rows - 1) * cols); }

 private:
  [[nodiscard]] std::size_t index(Coord c, Dir d) const {
    return (static_cast<std::size_t>(c.row) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c.col)) * 4 +
           static_cast<std::size_t>(d);
  }
};

// Adds `bytes` on every link of the XY route from a to b.
void route(LinkLoads& l, Coord a, Coord b, double bytes);
// The cycle the snake ring follows, member-grid coordinates in mesh nodes (see above).
std::vector<Coord> ring_order(const Members& g);
// The bytes one call of `op` with `algo` (snake_ring, dimwise or direct) puts on every
// link, times `scale`.
void add_collective(LinkLoads& l, const Members& g, Op op, Algo algo, double bytes, double scale = 1.0);
// The same for every group of this kind: the interleaved groups (offsets within the
// spacing) and the copies of the sub-rectangle that fit in the mesh.
void add_all_groups(LinkLoads& l, const Members& g, Op op, Algo algo, double bytes, double scale = 1.0);

}  // namespace dojosim::collective::mesh
