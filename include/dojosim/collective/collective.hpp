// Collective communication priced on the levels of a system that a group spans.
//
// A Group is a set of `size` devices placed `stride` devices apart (TP innermost, then
// CP, EP, PP, DP outward by default; see parallel::Strategy::stride). `place_group` finds,
// for each topology level the group crosses, the fan-in k (members per instance of that
// level divided by members per instance of the level below), the bandwidth each member
// gets there, the latency per step, and the bus-efficiency curve. Collectives are
// hierarchical: a reduce-scatter inside the innermost level, then across the next level
// on the shards, and so on (all-gather in reverse).
//
// Switched, fat-tree, ring and torus levels: at each hop the cheapest of ring,
// halving-doubling (power-of-two k) and double binary tree. Closed forms at one level
// with fan-in p, bandwidth B, latency a, efficiency 1:
//   ring all-reduce      2 (p-1)/p * S/B + 2 (p-1) a
//   halving-doubling     2 (p-1)/p * S/B + 2 log2(p) a
//   double binary tree   2 S/B + 2 ceil(log2 p) a     (NCCL's tree; wins on latency)
//   reduce-scatter / all-gather: half of the ring all-reduce.
// 2D-mesh levels (Dojo): the k members occupy a sub-rectangle of the level's mesh
// (Hop::members) and are priced by collective/mesh2d.hpp (snake ring or dimension-wise,
// the faster for the message size). Beyond the tile, the Dojo Z-plane (Ethernet between
// DIPs, priced as a switch under its transport, hardware/transport.hpp) carries a share
// of each message at the same time as the mesh: the share that balances the two paths'
// times, or all of it, or none, whichever is fastest. Reaching a DIP costs the mesh hops
// from the farthest D1 of a tray to its nearest DIP, at each end (dip_reach_latency).
//
// Contract: every function here is pure and allocation-free (hot path of search).
#pragma once

#include <array>
#include <cstdint>

#include "dojosim/collective/algo.hpp"
#include "dojosim/collective/mesh2d.hpp"
#include "dojosim/hardware/system.hpp"

namespace dojosim::collective {

struct Hop {
  int level = 0;  // index into System::levels
  int k = 1;      // fan-in at this level
  // Devices per instance of this level (System::devices_per), where the group's members of
  // one ring of this hop must share an instance: 0 for the outermost hop and mesh levels.
  // The whole-step engine lays straddling groups out by it (collective/flows.hpp).
  long long instance = 0;
  double bandwidth = 0;  // B/s per member per direction (effective, algorithm-independent);
                         // mesh levels: per link per direction, shared by a child's devices
  double latency = 0;    // s per algorithm step (mesh levels: per hop)
  double bus_efficiency = 1, half_bytes = 0;
  // Bandwidth divisor from sharing with concurrent groups: an oversubscribed fat-tree tier
  // the group crosses, or a mesh / ring link shared by every device of a child (1: none).
  double shared = 1;
  hardware::Topology topology = hardware::Topology::switched;
  // Torus levels: children between consecutive members (in row-major order), for the
  // coordinates they occupy (torus_occupied); in the padding beside `topology`.
  int torus_spacing = 1;
  // Mesh levels: the level's grid of children (link bandwidth already divided among the
  // devices of a child) and the sub-rectangle the group's k members occupy in it.
  mesh::Mesh2D mesh{};
  mesh::Members members{};
  // Torus levels: the members' extent along each dimension (their box, when the extents'
  // product is k: priced dimension-wise) and one link's bandwidth per direction (shared
  // by the devices of a child).
  std::array<int, 3> torus{1, 1, 1};
  double link_bandwidth = 0;
  // Torus levels of at most 64 children per dimension: each dimension's size (0 otherwise),
  // for the link loads of an all-to-all routed as the topology graph routes it. Kept small:
  // a Hop is copied many times per evaluated plan (in the padding after `zplane`).
  // Dojo beyond the tile: the Z-plane alternative, B/s per member and s per message (0 = none).
  double z_bandwidth = 0, z_latency = 0;
  // Kept for callers written before the per-message choice: the Z-plane has more
  // bandwidth per member than a ring on this hop's links (its old meaning). The path a
  // collective actually took is Cost::hop[i].path.
  bool zplane = false;
  std::array<std::uint8_t, 3> torus_dim{0, 0, 0};
  [[nodiscard]] bool is_mesh() const { return topology == hardware::Topology::mesh2d; }
};

struct Group {
  int size = 1;
  int hops = 0;
  std::array<Hop, 8> hop{};
  [[nodiscard]] bool trivial() const { return size <= 1; }
};

// Dojo: one-way latency from the farthest D1 of a tray (of the tile when alone) to its
// nearest DIP, which sit on the outer edges of the end tiles (first and last D1 column, as
// hardware/topology.cpp places them): die-to-die hops at the tile level's latency, tile
// edges crossed at the tray level's, and the DIP link (the tile level's). 0 without DIPs.
double dip_reach_latency(const hardware::System& sys);

// Places a group of `size` members `stride` devices apart, starting at device 0.
Group place_group(const hardware::System& sys, int size, long long stride);

// What one hop of a collective used.
struct HopChoice {
  Algo algo = Algo::none;
  Path path = Path::none;
  int mesh_hops = 0;  // mesh: hops of the longest message of one step
  double time = 0;    // s spent at this hop
  // Fraction of the hop's bytes carried by the Dojo Z-plane (1 when path == zplane; in
  // (0, 1) when split with the fabric named by `path`).
  double z_share = 0;
};
// True when the Z-plane carries most of the hop (the event engine routes such a hop
// whole over the Z-plane, the others whole over the fabric).
inline bool mostly_zplane(const HopChoice& c) { return c.z_share > 0.5; }

struct Cost {
  double time = 0;
  Algo algo = Algo::none;  // algorithm of the most expensive hop
  Path path = Path::none;  // path of the most expensive hop
  int hops = 0;            // entries of `hop` in use (one per Group hop)
  std::array<HopChoice, 8> hop{};
};

// S is the full buffer size in bytes on each member (before reduce-scatter / after all-gather).
Cost all_reduce(const Group& g, double bytes, Algo force = Algo::none);
Cost reduce_scatter(const Group& g, double bytes, Algo force = Algo::none);
Cost all_gather(const Group& g, double bytes, Algo force = Algo::none);
// Each member holds `bytes` and sends (size-1)/size of it to the others.
Cost all_to_all(const Group& g, double bytes);
// Point-to-point between neighbours of the group (pipeline stages).
Cost send_recv(const Group& g, double bytes);
// Dispatch by operation (Op::none costs nothing).
Cost collective(Op op, const Group& g, double bytes);

// Bytes per member that hop `i` of a hierarchical `op` on `bytes` works on (the shard
// left by the hops inside it).
double hop_bytes(const Group& g, Op op, double bytes, int i);

// Bytes each member sends for one call of `op` on `bytes` per member at a hop of fan-in k
// (ring and halving-doubling alike): (k-1)/k of the buffer per reduce-scatter or
// all-gather phase, twice for an all-reduce, the whole buffer for a send/receive.
double sent_bytes(Op op, double bytes, int k);

// Achieved fraction of bandwidth for a message of `bytes` at a hop.
inline double efficiency(const Hop& h, double bytes) {
  return h.half_bytes > 0 ? h.bus_efficiency * bytes / (bytes + h.half_bytes) : h.bus_efficiency;
}

}  // namespace dojosim::collective
