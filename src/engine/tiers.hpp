// Dojo memory tiers, shared by the transformer and vision paths: which kinds of state stay
// in D1 SRAM, which stream from DIP HBM, and which from the host DRAM behind the DIPs
// (docs/dojo.md#memory-tiers, docs/model.md#dojo-memory-tiers).
#pragma once

#include <algorithm>
#include <iterator>
#include <utility>

#include "dojosim/engine/engine.hpp"

namespace dojosim::engine::detail {

struct StateKind {
  double bytes = 0;    // bytes per device
  double traffic = 0;  // bytes moved per step if streamed
  Tier* tier = nullptr;
  bool forced_off = false;  // must stream (weights=dip)
  bool pinned = false;      // must stay in SRAM (weights=sram)
};

// The bandwidth a D1 takes in over its four edges of the wafer mesh (level 0's links, per
// direction); unbounded when the innermost level is not a mesh.
inline double d1_ingress(const hardware::System& sys) {
  return !sys.levels.empty() && sys.levels[0].topology == hardware::Topology::mesh2d ? 4.0 * sys.levels[0].bandwidth : 1e300;
}

// Places the four kinds (most traffic per byte first into SRAM, then DIP HBM, then host
// DRAM), sets M.offload/host and their capacities, M.fits, the placement's bandwidths and
// bytes, and returns the streaming time per step (before overlap with compute).
inline double place_in_tiers(const hardware::System& sys, long long devices, StateKind (&kinds)[4], Memory& M, Placement& P) {
  const double n = static_cast<double>(devices);
  const double dips = static_cast<double>(sys.dip.count);
  // What reaches one D1 from the DIPs, shared evenly, is at most what its four mesh edges
  // take in (docs/model.md#dojo-memory-tiers): a few D1s of a large system do not get every
  // DIP's bandwidth to themselves.
  const double ingress = d1_ingress(sys);
  P.stream_bandwidth = std::min(std::min(sys.dip.hbm_bandwidth, sys.dip.tile_link_bandwidth) * dips / n, ingress);
  P.host_bandwidth = std::min(std::min(sys.dip.host_link_bandwidth, sys.dip.tile_link_bandwidth) * dips / n, ingress);
  auto density = [](const StateKind& k) {
    if (k.forced_off) return -1.0;
    if (k.pinned) return 1e300;
    return k.traffic / std::max(1.0, k.bytes);
  };
  // Stable insertion sort of the four kinds (std::stable_sort would allocate a buffer in
  // the search loop).
  for (std::size_t i = 1; i < std::size(kinds); ++i)
    for (std::size_t j = i; j > 0 && density(kinds[j]) > density(kinds[j - 1]); --j) std::swap(kinds[j], kinds[j - 1]);
  double room = M.capacity - M.other;
  double room_dip = sys.dip.capacity * dips / n;
  double dip_bytes = 0, host_bytes = 0, dip_traffic = 0, host_traffic = 0;
  bool pinned_ok = true;
  for (auto& k : kinds) {
    if (!k.forced_off && k.bytes <= room) {
      room -= k.bytes;
      *k.tier = Tier::sram;
      continue;
    }
    if (k.pinned) pinned_ok = false;
    // Streamed: DIP HBM while it lasts, the rest from host DRAM over PCIe.
    const double in_dip = std::min(k.bytes, room_dip);
    room_dip -= in_dip;
    const double frac_dip = k.bytes > 0 ? in_dip / k.bytes : 1.0;
    dip_bytes += in_dip;
    host_bytes += k.bytes - in_dip;
    dip_traffic += k.traffic * frac_dip;
    host_traffic += k.traffic * (1.0 - frac_dip);
    *k.tier = frac_dip >= 1.0 ? Tier::dip : Tier::host;
  }
  M.offload = dip_bytes;
  M.offload_capacity = sys.dip.capacity * dips / n;
  M.host = host_bytes;
  M.host_capacity = sys.dip.host_memory * dips / n;
  M.fits = pinned_ok && host_bytes <= M.host_capacity * (1 + 1e-12);
  P.stream_bytes = dip_traffic;
  P.host_bytes = host_traffic;
  // DIP HBM and host PCIe are separate sources that share the DIP-to-tile links.
  const double link = std::min(sys.dip.tile_link_bandwidth * dips / n, ingress);
  double stream = dip_traffic / P.stream_bandwidth;
  if (host_traffic > 0)
    stream =
        std::max({stream, P.host_bandwidth > 0 ? host_traffic / P.host_bandwidth : 1e30, (dip_traffic + host_traffic) / link});
  return stream;
}

// The tiers of a plan, transformer or vision network (one policy): when the state does not
// fit in SRAM, places it and returns the streaming seconds per step (0 when it fits or
// there are no DIPs). Traffic per step of each kind if streamed: activations written and
// read once per micro-batch (a pipeline keeps min(mb, pp) in flight), weights read every
// pass (forward, backward and the recomputed fraction `phi`), gradients read and written
// every micro-batch, optimizer state once.
inline double plan_tiers(const hardware::System& sys, const parallel::Strategy& s, double phi, double mb, Memory& M,
                         Placement& P) {
  if (!sys.is_dojo() || M.fits || sys.dip.count <= 0) return 0.0;
  const double pp = s.pp;
  const double passes_w = (2.0 + phi) * mb;
  StateKind kinds[4] = {{M.activations, 2.0 * M.activations / std::max(1.0, std::min(mb, pp)) * mb, &P.activations, false, false},
                        {M.weights, passes_w * M.weights, &P.weights, s.weights == parallel::Residency::dip,
                         s.weights == parallel::Residency::sram},
                        {M.gradients, 2.0 * mb * M.gradients, &P.gradients, false, false},
                        {M.optimizer, 2.0 * M.optimizer, &P.optimizer, false, false}};
  return place_in_tiers(sys, sys.device_count(), kinds, M, P);
}

}  // namespace dojosim::engine::detail
