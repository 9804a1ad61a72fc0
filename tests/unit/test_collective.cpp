// Closed-form collective costs, exactly.
#include <gtest/gtest.h>

#include <cmath>

#include "dojosim/collective/collective.hpp"

using namespace dojosim;

namespace {
hardware::System one_level(hardware::Topology t, int size, double bw, double lat) {
  hardware::System s;
  s.device.peak[static_cast<std::size_t>(hardware::Precision::bf16)] = 1e12;
  hardware::Level l;
  l.name = "node";
  l.topology = t;
  l.size = size;
  l.dims = {size, 1, 1};
  l.bandwidth = bw;
  l.latency = lat;
  l.bus_efficiency = 1.0;
  l.half_efficiency_bytes = 0;
  s.levels.push_back(l);
  return s;
}
}  // namespace

TEST(Collective, RingAllReduceIsExactAtEfficiencyOne) {
  for (int p : {2, 3, 7, 8, 12}) {
    const auto sys = one_level(hardware::Topology::switched, p, 100e9, 2e-6);
    const auto g = collective::place_group(sys, p, 1);
    ASSERT_EQ(g.hops, 1);
    const double S = 1e9;
    const double want = 2.0 * (p - 1) / p * S / 100e9 + 2.0 * (p - 1) * 2e-6;
    EXPECT_DOUBLE_EQ(collective::all_reduce(g, S, collective::Algo::ring).time, want) << p;
    EXPECT_DOUBLE_EQ(collective::reduce_scatter(g, S, collective::Algo::ring).time, want / 2) << p;
  }
}

TEST(Collective, AutomaticChoiceIsNeverSlowerThanRing) {
  const auto sys = one_level(hardware::Topology::switched, 64, 25e9, 5e-6);
  const auto g = collective::place_group(sys, 64, 1);
  for (double S : {1e3, 1e5, 1e7, 1e9}) {
    EXPECT_LE(collective::all_reduce(g, S).time, collective::all_reduce(g, S, collective::Algo::ring).time);
  }
  // Small messages: latency-bound, a log-depth algorithm wins.
  EXPECT_NE(collective::all_reduce(g, 1e3).algo, collective::Algo::ring);
}

TEST(Collective, HierarchicalGroupsSpanTheRightLevels) {
  auto sys = hardware::load_system("dgx-h100:nodes=16");
  const auto tp = collective::place_group(sys, 8, 1);
  EXPECT_EQ(tp.hops, 1);
  EXPECT_EQ(tp.hop[0].level, 0);
  const auto dp = collective::place_group(sys, 16, 8);  // one GPU per node
  EXPECT_EQ(dp.hops, 1);
  EXPECT_EQ(dp.hop[0].level, 1);
  const auto both = collective::place_group(sys, 32, 4);  // 2 per node, 16 nodes
  EXPECT_EQ(both.hops, 2);
  EXPECT_EQ(both.hop[0].k, 2);
  EXPECT_EQ(both.hop[1].k, 16);
}

TEST(Collective, MoreBandwidthIsNeverSlower) {
  for (double S : {1e4, 1e6, 1e8, 1e10}) {
    double prev = 1e300;
    for (double bw : {10e9, 25e9, 50e9, 100e9, 400e9}) {
      auto sys = one_level(hardware::Topology::switched, 16, bw, 3e-6);
      const double t = collective::all_reduce(collective::place_group(sys, 16, 1), S).time;
      EXPECT_LE(t, prev);
      prev = t;
    }
  }
}
