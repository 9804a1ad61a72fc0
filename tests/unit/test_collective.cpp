// Closed-form collective costs, exactly.
#include <gtest/gtest.h>

#include <cmath>

#include "dojosim/collective/collective.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/hardware/transport.hpp"

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

// --- Z-plane transport, DIP reach and the mesh/Z-plane split (issue 15.4) ---------------

TEST(Transport, LossRaisesTtpoeTimeAsGoBackNSays) {
  // Hand-worked (docs/model.md#ttpoe): 50 GB/s, 1.3 us one-way, RTT 2.6 us, 130 kB in
  // flight (under the 1 MB window) = 126.953 frames of 1 KB; p = 1e-3:
  // eta = 0.999 / (1 + 125.953e-3) = 0.887249, so 100 MB takes 1.3 us + 1e8 / (50e9 eta).
  const auto& t = hardware::transport_spec(hardware::TransportKind::ttpoe);
  const double clean = hardware::transfer_time(t, 100e6, 50e9, 1.3e-6, 0.0);
  EXPECT_DOUBLE_EQ(clean, 1.3e-6 + 100e6 / 50e9);
  const double N = 50e9 * 2.6e-6 / 1024.0;
  const double eta = (1 - 1e-3) / (1 + (N - 1) * 1e-3);
  EXPECT_NEAR(eta, 0.887249, 1e-6);
  const double lossy = hardware::transfer_time(t, 100e6, 50e9, 1.3e-6, 1e-3);
  EXPECT_NEAR(lossy, 1.3e-6 + 100e6 / (50e9 * eta), 1e-15);
  EXPECT_NEAR(lossy * 1e3, 2.2554, 1e-4);
  // More latency, more frames in flight, more replayed per loss.
  EXPECT_GT(hardware::transfer_time(t, 100e6, 50e9, 5e-6, 1e-3) - 5e-6, lossy - 1.3e-6);
  // Past 1 MB in flight the window (transmit SRAM) caps the rate: 1 MB / RTT.
  const auto far = hardware::transport_rate(t, 50e9, 40e-6, 0.0);
  EXPECT_DOUBLE_EQ(far.bandwidth, 1e6 / 80e-6);
}

TEST(Transport, RoceAndTcpOnTheSameLink) {
  const auto& roce = hardware::transport_spec(hardware::TransportKind::roce);
  const auto& tcp = hardware::transport_spec(hardware::TransportKind::tcp);
  const auto& ttpoe = hardware::transport_spec(hardware::TransportKind::ttpoe);
  // Lossless: RoCE pays its 2 us latency, TCP its 530 us and a 4 MB window over 1.06 ms.
  EXPECT_DOUBLE_EQ(hardware::transfer_time(roce, 1e9, 50e9, 1.3e-6, 0.0), 2e-6 + 1e9 / 50e9);
  EXPECT_DOUBLE_EQ(hardware::transport_rate(tcp, 50e9, 1.3e-6, 0.0).bandwidth, 4e6 / 1.06e-3);
  // With loss TCP follows Mathis: MSS / RTT * sqrt(3 / (2p)).
  EXPECT_NEAR(hardware::transport_rate(tcp, 50e9, 1.3e-6, 1e-4).bandwidth, 1460.0 / 1.06e-3 * std::sqrt(1.5e4), 1e-6);
  // RoCE's 4 KB frames replay fewer frames per loss than TTPoE's 1 KB at equal RTT, but
  // TTPoE's lower latency keeps fewer in flight: both lose bandwidth to loss.
  for (const auto* t : {&roce, &ttpoe}) EXPECT_LT(hardware::transport_rate(*t, 50e9, 1.3e-6, 1e-4).efficiency, 1.0);
  EXPECT_LT(hardware::transfer_time(ttpoe, 1e6, 50e9, 1.3e-6, 0), hardware::transfer_time(tcp, 1e6, 50e9, 1.3e-6, 0));
  EXPECT_THROW(hardware::parse_transport("udp"), dojosim::core::InputError);
}

TEST(ZPlane, ReachingADipCostsTheTraysMeshHops) {
  const auto sys = hardware::load_system("dojo-exapod");
  // 15 D1 columns per tray: the middle column is 7 hops from an edge, one tile edge crossed:
  // 6 x 100 ns + 200 ns, plus the DIP link's 100 ns.
  EXPECT_NEAR(collective::dip_reach_latency(sys), 0.9e-6, 1e-15);
  const auto tile = hardware::load_system("dojo-tile");  // 5 columns: 2 hops + the link
  EXPECT_NEAR(collective::dip_reach_latency(tile), 0.3e-6, 1e-15);
  const auto g = collective::place_group(sys, 3000, 1);
  const auto& top = g.hop[static_cast<std::size_t>(g.hops - 1)];
  EXPECT_NEAR(top.z_latency, 1.3e-6 + 2 * 0.9e-6, 1e-15);
  EXPECT_DOUBLE_EQ(top.z_bandwidth, 50e9 * 400 / 3000);
  // TCP on the same links: its own latency plus the same reach.
  const auto tcp = hardware::load_system("dojo-exapod", {"dip.transport=tcp"});
  const auto gt = collective::place_group(tcp, 3000, 1);
  EXPECT_NEAR(gt.hop[static_cast<std::size_t>(gt.hops - 1)].z_latency, 530e-6 + 1.8e-6, 1e-15);
}

TEST(ZPlane, TrafficSplitsBetweenMeshAndZPlane) {
  const auto sys = hardware::load_system("dojo-exapod");
  const auto g = collective::place_group(sys, 3000, 1);
  const double bytes = 10e9;
  const auto c = collective::all_reduce(g, bytes);
  const int top = g.hops - 1;
  const auto& ch = c.hop[static_cast<std::size_t>(top)];
  // The cabinet-to-cabinet hop carries a share on the Z-plane, at once with the mesh...
  ASSERT_GT(ch.z_share, 0.0);
  ASSERT_LT(ch.z_share, 1.0);
  EXPECT_EQ(ch.path, collective::Path::mesh);
  // ... and is faster than either path alone (the split's reason to exist).
  auto mesh_only = g;
  for (int i = 0; i < mesh_only.hops; ++i) mesh_only.hop[static_cast<std::size_t>(i)].z_bandwidth = 0;
  const auto m = collective::all_reduce(mesh_only, bytes);
  EXPECT_LT(ch.time, m.hop[static_cast<std::size_t>(top)].time);
  // Without DIP Ethernet nothing is split.
  const auto none = hardware::load_system("dojo-exapod", {"dip.ethernet_bandwidth=1MB/s"});
  const auto cn = collective::all_reduce(collective::place_group(none, 3000, 1), bytes);
  EXPECT_LT(cn.hop[static_cast<std::size_t>(top)].z_share, 1e-3);
  // Loss on the Z-plane moves traffic back to the mesh.
  const auto lossy = hardware::load_system("dojo-exapod", {"dip.loss_rate=1e-2"});
  const auto cl = collective::all_reduce(collective::place_group(lossy, 3000, 1), bytes);
  EXPECT_LT(cl.hop[static_cast<std::size_t>(top)].z_share, ch.z_share);
}
