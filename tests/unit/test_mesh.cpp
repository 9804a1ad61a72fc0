// 2D-mesh collectives: hop counts, ring embeddings, closed forms against explicit per-link
// accounting, lower bounds, algorithm crossover, mesh vs torus, placement and the Z-plane.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <set>
#include <utility>
#include <vector>

#include "dojosim/collective/collective.hpp"
#include "dojosim/collective/mesh2d.hpp"

#include "alloc_counter.hpp"

using namespace dojosim;
using collective::Algo;
using collective::Op;
namespace mesh = collective::mesh;

namespace {

struct Shape {
  int rows, cols;
};
// 1xN lines, even and odd grids, the 5x5 D1 mesh of a tile, the 2x3 tiles of a tray, the
// 18x20 core mesh of a D1, odd x odd, elongated.
const std::vector<Shape> kShapes{{1, 2}, {1, 3}, {1, 5}, {1, 16}, {2, 1}, {5, 1}, {2, 2},  {2, 3},   {3, 2}, {3, 3},
                                 {5, 5}, {4, 6}, {7, 9}, {2, 12}, {3, 7}, {6, 6}, {10, 1}, {18, 20}, {9, 9}};
const std::vector<double> kSizes{1.0, 1e2, 1e4, 1e6, 1e8, 1e10};

mesh::Members whole(Shape s) { return mesh::Members{s.rows, s.cols, 1, 1, 0, 0, 1, 1, false}; }
mesh::Mesh2D net(Shape s, double bw = 100e9, double lat = 1e-7) { return mesh::Mesh2D{s.rows, s.cols, bw, lat, false}; }

// Every algorithm that applies to `op`.
std::vector<mesh::MeshCost> algorithms(const mesh::Mesh2D& m, const mesh::Members& g, Op op, double S, mesh::Efficiency e) {
  std::vector<mesh::MeshCost> v;
  if (op == Op::all_to_all) return {mesh::all_to_all(m, g, S, e)};
  if (op == Op::send_recv) return {mesh::send_recv(m, g, S, e)};
  v.push_back(mesh::ring(m, g, op, S, e));
  const auto d = mesh::dimwise(m, g, op, S, e);
  if (std::isfinite(d.time)) v.push_back(d);
  v.push_back(mesh::best(m, g, op, S, e));
  return v;
}

}  // namespace

TEST(Mesh, HopCountsOfKnownPairs) {
  EXPECT_EQ(mesh::hops({0, 0}, {4, 4}), 8);  // opposite corners of a 5x5 tile
  EXPECT_EQ(mesh::hops({0, 4}, {4, 0}), 8);
  EXPECT_EQ(mesh::hops({2, 2}, {2, 2}), 0);
  EXPECT_EQ(mesh::hops({0, 0}, {0, 1}), 1);
  EXPECT_EQ(mesh::hops({0, 0}, {17, 19}), 36);  // corners of the 18x20 core mesh
  // The XY route has exactly that many links, row first.
  mesh::LinkLoads l(5, 5);
  mesh::route(l, {0, 0}, {4, 4}, 1.0);
  EXPECT_DOUBLE_EQ(l.total(), 8.0);
  for (int c = 0; c < 4; ++c) EXPECT_DOUBLE_EQ(l.at({0, c}, mesh::Dir::east), 1.0);
  for (int r = 0; r < 4; ++r) EXPECT_DOUBLE_EQ(l.at({r, 4}, mesh::Dir::south), 1.0);
  EXPECT_EQ(l.links(), 80);
}

TEST(Mesh, DegreeHasEdgeEffects) {
  const mesh::Mesh2D m{5, 5, 1, 0, false};
  EXPECT_EQ(mesh::degree(m, {0, 0}), 2);
  EXPECT_EQ(mesh::degree(m, {0, 2}), 3);
  EXPECT_EQ(mesh::degree(m, {2, 2}), 4);
  EXPECT_EQ(mesh::degree(mesh::Mesh2D{1, 5, 1, 0, false}, {0, 0}), 1);
  EXPECT_EQ(mesh::degree(mesh::Mesh2D{5, 5, 1, 0, true}, {0, 0}), 4);
}

TEST(Mesh, SnakeRingVisitsEveryMemberWithShortEdges) {
  for (const auto s : kShapes) {
    const auto g = whole(s);
    const auto order = mesh::ring_order(g);
    ASSERT_EQ(static_cast<int>(order.size()), g.count()) << s.rows << "x" << s.cols;
    std::set<std::pair<int, int>> seen;
    int longest = 0, long_edges = 0;
    for (std::size_t i = 0; i < order.size(); ++i) {
      seen.insert({order[i].row, order[i].col});
      const int h = mesh::hops(order[i], order[(i + 1) % order.size()]);
      longest = std::max(longest, h);
      if (h > 1) ++long_edges;
    }
    EXPECT_EQ(static_cast<int>(seen.size()), g.count());
    if (g.count() == 1) continue;
    if (s.rows == 1 || s.cols == 1) {
      EXPECT_LE(longest, 2);  // folded ring
    } else if (g.count() % 2 == 0) {
      EXPECT_EQ(longest, 1) << "Hamiltonian cycle expected on " << s.rows << "x" << s.cols;
    } else {
      EXPECT_EQ(longest, 2) << s.rows << "x" << s.cols;  // odd x odd: no Hamiltonian cycle
      EXPECT_EQ(long_edges, 1);
    }
    EXPECT_EQ(longest, mesh::ring(net(s), g, Op::reduce_scatter, 1e6).hops_per_step);
  }
}

// The closed forms' bandwidth term equals the busiest link of the explicit XY-routed
// embedding: no link carries more than the formula assumes, and none is left idle by it.
TEST(Mesh, ClosedFormsMatchPerLinkAccounting) {
  const double bw = 50e9, S = 3e8;
  for (const auto s : kShapes) {
    const auto g = whole(s);
    if (g.count() < 2) continue;
    const auto m = net(s, bw, 0.0);  // no latency: time is bandwidth only
    for (Op op : {Op::reduce_scatter, Op::all_gather, Op::all_reduce}) {
      mesh::LinkLoads ring(s.rows, s.cols);
      mesh::add_collective(ring, g, op, Algo::snake_ring, S);
      EXPECT_NEAR(mesh::ring(m, g, op, S).time, ring.max() / bw, 1e-9 * ring.max() / bw) << s.rows << "x" << s.cols;
      if (s.rows >= 2 && s.cols >= 2) {
        mesh::LinkLoads dim(s.rows, s.cols);
        mesh::add_collective(dim, g, op, Algo::dimwise, S);
        const double t = mesh::dimwise(m, g, op, S).time;
        // Synchronous phases: the busiest link never exceeds the time; equal on squares.
        EXPECT_GE(t * (1 + 1e-12), dim.max() / bw) << s.rows << "x" << s.cols;
        if (s.rows == s.cols) { EXPECT_NEAR(t, dim.max() / bw, 1e-9 * t); }
      }
    }
    mesh::LinkLoads a2a(s.rows, s.cols);
    mesh::add_collective(a2a, g, Op::all_to_all, Algo::direct, S);
    EXPECT_NEAR(mesh::all_to_all(m, g, S).time, a2a.max() / bw, 1e-9 * a2a.max() / bw) << s.rows << "x" << s.cols;
    // Every member sends (p-1)/p of its buffer: the total link traffic is that times the mean distance.
    double hops_sum = 0;
    for (int i = 0; i < g.count(); ++i)
      for (int j = 0; j < g.count(); ++j) hops_sum += mesh::hops(g.at(i / s.cols, i % s.cols), g.at(j / s.cols, j % s.cols));
    EXPECT_NEAR(a2a.total(), hops_sum * S / g.count(), 1e-9 * a2a.total());
  }
}

TEST(Mesh, NoAlgorithmBeatsTheInjectionOrBisectionBound) {
  const mesh::Efficiency effs[] = {{1.0, 0}, {0.85, 64e3}};
  int checked = 0;
  for (const auto s : kShapes) {
    // The whole mesh, and (where there is room) a sub-rectangle inside it, compact or spaced.
    std::vector<mesh::Members> groups{whole(s)};
    if (s.rows >= 3 && s.cols >= 3) groups.push_back({2, 2, 1, 1, 1, 1, 1, 1, false});
    if (s.rows >= 4 && s.cols >= 4) groups.push_back({2, 2, 2, 2, 0, 0, 1, 1, false});
    if (s.cols >= 5) groups.push_back({1, 3, 1, 2, 0, 0, 1, 1, false});
    for (const auto& g : groups)
      for (double lat : {0.0, 2e-7})
        for (const auto& e : effs)
          for (Op op : {Op::reduce_scatter, Op::all_gather, Op::all_reduce, Op::all_to_all, Op::send_recv})
            for (double S : kSizes) {
              const auto m = net(s, 25e9, lat);
              const double bound = std::max(mesh::injection_bound(m, g, op, S), mesh::bisection_bound(m, g, op, S));
              if (g.count() > 1) { EXPECT_GT(bound, 0.0); }
              for (const auto& c : algorithms(m, g, op, S, e)) {
                EXPECT_GE(c.time, bound * (1 - 1e-12))
                    << collective::algo_name(c.algo) << " " << collective::op_name(op) << " on " << g.rows << "x" << g.cols
                    << " in " << s.rows << "x" << s.cols << " S=" << S;
                ++checked;
              }
            }
  }
  EXPECT_GT(checked, 3000);
}

TEST(Mesh, BoundsAreTightWhereTheyShouldBe) {
  // A line's end member has one link: the folded ring meets the injection bound exactly.
  const Shape line{1, 8};
  const auto m = net(line, 10e9, 0.0);
  EXPECT_NEAR(mesh::ring(m, whole(line), Op::reduce_scatter, 1e9).time,
              mesh::injection_bound(m, whole(line), Op::reduce_scatter, 1e9), 1e-12);
  // A square mesh: the corner's two links bound the bidirectional ring and the 2D algorithm.
  const Shape sq{6, 6};
  const auto ms = net(sq, 10e9, 0.0);
  EXPECT_NEAR(mesh::ring(ms, whole(sq), Op::reduce_scatter, 1e9).time,
              mesh::injection_bound(ms, whole(sq), Op::reduce_scatter, 1e9), 1e-9);
  EXPECT_NEAR(mesh::dimwise(ms, whole(sq), Op::reduce_scatter, 1e9).time,
              mesh::injection_bound(ms, whole(sq), Op::reduce_scatter, 1e9), 1e-9);
  // All-to-all on a 2 x 2k mesh: the middle cut is the bottleneck (cut bound met exactly).
  const Shape flat{2, 8};
  const auto mf = net(flat, 10e9, 0.0);
  EXPECT_NEAR(mesh::all_to_all(mf, whole(flat), 1e9).time, mesh::bisection_bound(mf, whole(flat), Op::all_to_all, 1e9), 1e-9);
}

TEST(Mesh, RingVersusTwoDimensionalCrossover) {
  // Small messages are latency-bound: the 2D algorithm's ~4 max(R,C) hop-steps beat the
  // ring's p-1. Large messages on a non-square mesh are bandwidth-bound: the ring's single
  // pass over a Hamiltonian cycle beats the 2D algorithm's two synchronous phases (its
  // long dimension idles the short one), by (1/R - 1/C) S/b.
  const Shape s{6, 12};
  const auto m = net(s, 100e9, 1e-7);
  const auto g = whole(s);
  EXPECT_EQ(mesh::best(m, g, Op::all_reduce, 1e3).algo, Algo::dimwise);
  EXPECT_EQ(mesh::best(m, g, Op::all_reduce, 1e10).algo, Algo::snake_ring);
  // Exactly one crossover, and the best is never slower than either and grows with size.
  int switches = 0;
  Algo prev = Algo::none;
  double prev_t = 0;
  for (double S = 1e2; S <= 1e11; S *= 1.5) {
    const auto b = mesh::best(m, g, Op::all_reduce, S);
    EXPECT_LE(b.time, mesh::ring(m, g, Op::all_reduce, S).time);
    EXPECT_LE(b.time, mesh::dimwise(m, g, Op::all_reduce, S).time);
    EXPECT_GE(b.time, prev_t);
    if (prev != Algo::none && b.algo != prev) ++switches;
    prev = b.algo;
    prev_t = b.time;
  }
  EXPECT_EQ(switches, 1);
  // On a thin mesh the ring wins at every size (the 2D algorithm's rows are long lines).
  for (double S : {1e2, 1e6, 1e10})
    EXPECT_EQ(mesh::best(net(Shape{2, 12}), whole(Shape{2, 12}), Op::all_reduce, S).algo, Algo::snake_ring) << S;
  // On the 5x5 tile and the 18x20 core mesh the 2D algorithm wins small messages too.
  for (const auto t : {Shape{5, 5}, Shape{18, 20}})
    EXPECT_EQ(mesh::best(net(t), whole(t), Op::reduce_scatter, 1e3).algo, Algo::dimwise);
}

TEST(Mesh, NeverFasterThanTheTorusOfTheSameShape) {
  for (const auto s : kShapes) {
    const auto g = whole(s);
    if (g.count() < 2) continue;
    auto open = net(s, 40e9, 1.5e-7), torus = open;
    torus.torus = true;
    for (Op op : {Op::reduce_scatter, Op::all_gather, Op::all_reduce, Op::all_to_all})
      for (double S : kSizes) {
        const mesh::Efficiency e{0.85, 64e3};
        EXPECT_GE(mesh::best(open, g, op, S, e).time, mesh::best(torus, g, op, S, e).time)
            << collective::op_name(op) << " " << s.rows << "x" << s.cols << " S=" << S;
      }
  }
}

TEST(Mesh, PlacementIsACompactSubRectangle) {
  auto p = mesh::place(5, 5, 4, 1);  // TP 4 on a tile: 2x2
  EXPECT_EQ(p.rows * 10 + p.cols, 22);
  EXPECT_FALSE(p.irregular);
  p = mesh::place(5, 5, 8, 1);  // 2x4
  EXPECT_EQ(p.rows * p.cols, 8);
  EXPECT_EQ(std::min(p.rows, p.cols), 2);
  p = mesh::place(5, 5, 25, 1);
  EXPECT_EQ(p.rows * 10 + p.cols, 55);
  p = mesh::place(2, 3, 6, 1);  // PP 6 over the tiles of a tray
  EXPECT_EQ(p.rows * 10 + p.cols, 23);
  // 4 members with 4 inner groups between them: a 2x2 grid spaced 2x2, links shared by 2.
  p = mesh::place(5, 5, 4, 4);
  EXPECT_EQ(p.rows * 10 + p.cols, 22);
  EXPECT_EQ(p.row_spacing * 10 + p.col_spacing, 22);
  EXPECT_EQ(p.share_h * 10 + p.share_v, 22);
  // 6 members 4 apart do not tile a 5x5 mesh as rectangles: irregular, pessimistic sharing.
  p = mesh::place(5, 5, 6, 4);
  EXPECT_TRUE(p.irregular);
  EXPECT_FALSE(p.tiles);
  EXPECT_GE(p.count(), 6);
  EXPECT_EQ(p.share_h, 4);
}

TEST(Mesh, PlacementSaysWhetherTheGroupTilesTheMesh) {
  // A 2x2 fits a 5x5 tile but four of them leave a row and a column: the other groups of
  // four are lines or straddle the tile, so the compact price is optimistic (and said).
  auto p = mesh::place(5, 5, 4, 1);
  EXPECT_FALSE(p.irregular);
  EXPECT_FALSE(p.tiles);
  EXPECT_TRUE(mesh::place(5, 5, 5, 1).tiles);   // a row
  EXPECT_TRUE(mesh::place(5, 5, 5, 5).tiles);   // a column, rows between
  EXPECT_TRUE(mesh::place(5, 5, 25, 1).tiles);  // the tile
  EXPECT_TRUE(mesh::place(2, 3, 6, 1).tiles);   // the tiles of a tray
  EXPECT_TRUE(mesh::place(4, 4, 4, 4).tiles);   // 2x2 groups spaced 2x2 on a 4x4 mesh
  // Pairs of tiles on a 2x3 tray: 1x2 would leave a column, 2x1 tiles (same diameter).
  p = mesh::place(2, 3, 2, 1);
  EXPECT_TRUE(p.tiles);
  EXPECT_EQ(p.rows * 10 + p.cols, 21);
  EXPECT_TRUE(mesh::place(10, 15, 2, 1).tiles);  // 2x1 on 10 rows (1x2 would not tile 15 columns)
  // A tiling shape before a more compact one: 1x4 rows on a 5x4 mesh, not 2x2 squares.
  p = mesh::place(5, 4, 4, 1);
  EXPECT_TRUE(p.tiles);
  EXPECT_EQ(p.rows * 10 + p.cols, 14);
}

TEST(Mesh, StridedGroupsTraverseMoreHopsAndShareLinks) {
  const mesh::Mesh2D m{5, 5, 2e12, 1e-7, false};
  const auto compact = mesh::place(5, 5, 4, 1), spaced = mesh::place(5, 5, 4, 4);
  for (double S : {1e3, 1e6, 1e9}) {
    const auto a = mesh::best(m, compact, Op::all_reduce, S), b = mesh::best(m, spaced, Op::all_reduce, S);
    EXPECT_GT(b.time, a.time) << S;
    EXPECT_GT(b.hops_per_step, a.hops_per_step);
  }
  // The sharing is real: four interleaved 2x2 groups load each link as the formula assumes.
  mesh::LinkLoads l(5, 5);
  mesh::add_all_groups(l, spaced, Op::reduce_scatter, Algo::snake_ring, 1e9);
  EXPECT_NEAR(mesh::ring(mesh::Mesh2D{5, 5, 1.0, 0, false}, spaced, Op::reduce_scatter, 1e9).time, l.max(), 1e-6 * l.max());
}

TEST(Mesh, DojoTileGroupsArePlacedOnTheMesh) {
  const auto sys = hardware::load_system("dojo-exapod");
  const auto tp = collective::place_group(sys, 4, 1);
  ASSERT_EQ(tp.hops, 1);
  EXPECT_TRUE(tp.hop[0].is_mesh());
  EXPECT_EQ(tp.hop[0].members.rows * 10 + tp.hop[0].members.cols, 22);
  // TP 25 fills a tile; PP 6 across the tiles of a tray (one member per tile, adjacent
  // tiles), sharing each tile edge among the tile's 25 D1s.
  const auto pp = collective::place_group(sys, 6, 25);
  ASSERT_EQ(pp.hops, 1);
  EXPECT_EQ(pp.hop[0].level, 1);
  EXPECT_EQ(pp.hop[0].members.rows * 10 + pp.hop[0].members.cols, 23);
  EXPECT_DOUBLE_EQ(pp.hop[0].mesh.link_bandwidth, 9e12 / 25);
  const auto c = collective::send_recv(pp, 1e6);
  EXPECT_EQ(c.path, collective::Path::mesh);
  EXPECT_EQ(c.hop[0].mesh_hops, 1);
}

TEST(Mesh, ZPlaneIsChosenPerMessageSize) {
  // DP across the 10 cabinets of an ExaPOD (one member per cabinet): small messages are
  // latency-bound and take the switched Z-plane (log-depth tree over TTPoE); large ones
  // take the cabinet-to-cabinet mesh, which has more bandwidth per D1.
  const auto sys = hardware::load_system("dojo-exapod");
  const auto dp = collective::place_group(sys, 10, 300);
  ASSERT_EQ(dp.hops, 1);
  EXPECT_GT(dp.hop[0].z_bandwidth, 0.0);
  const auto small = collective::all_reduce(dp, 1e3), large = collective::all_reduce(dp, 1e9);
  EXPECT_EQ(small.hop[0].path, collective::Path::zplane);
  EXPECT_EQ(large.hop[0].path, collective::Path::mesh);
  // Whichever is chosen is the faster of the two for that message.
  auto mesh_only = dp;
  mesh_only.hop[0].z_bandwidth = 0;
  for (double S : {1e2, 1e4, 1e6, 1e8, 1e10})
    EXPECT_LE(collective::all_reduce(dp, S).time, collective::all_reduce(mesh_only, S).time) << S;
  EXPECT_LT(small.time, collective::all_reduce(mesh_only, 1e3).time);
  // Inside a tile there is no Z-plane.
  EXPECT_EQ(collective::place_group(sys, 25, 1).hop[0].z_bandwidth, 0.0);
}

TEST(Mesh, GpuLevelsAreNotMeshes) {
  const auto sys = hardware::load_system("dgx-h100:nodes=4");
  const auto g = collective::place_group(sys, 32, 1);
  ASSERT_EQ(g.hops, 2);
  const auto c = collective::all_reduce(g, 1e8);
  EXPECT_EQ(c.hop[0].path, collective::Path::switched);
  EXPECT_EQ(c.hop[1].path, collective::Path::switched);
  EXPECT_FALSE(g.hop[0].is_mesh());
  EXPECT_EQ(g.hop[0].z_bandwidth, 0.0);
}

TEST(Mesh, PlacementAndCostsDoNotAllocate) {
  const auto sys = hardware::load_system("dojo-exapod");
  const long before = test_support::allocations();
  double sink = 0;
  for (int rep = 0; rep < 100; ++rep)
    for (long long stride : {1LL, 4LL, 25LL, 150LL, 300LL})
      for (int size : {2, 4, 6, 10, 25, 120}) {
        if (stride * size > sys.device_count()) continue;
        const auto g = collective::place_group(sys, size, stride);
        sink += collective::all_reduce(g, 1e6).time + collective::reduce_scatter(g, 1e8).time +
                collective::all_gather(g, 1e4).time + collective::all_to_all(g, 1e6).time + collective::send_recv(g, 1e5).time;
        sink += mesh::injection_bound(g.hop[0].mesh, g.hop[0].members, Op::all_reduce, 1e6) +
                mesh::bisection_bound(g.hop[0].mesh, g.hop[0].members, Op::all_to_all, 1e6);
      }
  EXPECT_EQ(test_support::allocations() - before, 0);
  EXPECT_GT(sink, 0.0);
  // The counter does count: the link-load accounting (for pictures) allocates.
  mesh::LinkLoads l(5, 5);
  EXPECT_GT(test_support::allocations() - before, 0);
}
