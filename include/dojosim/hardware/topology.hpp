// The topology graph of a system: every link, with its bandwidth and latency, built from
// the levels of a System, and the route a message takes between two devices.
//
//   switched level      one switch node per instance; each device has an up and a down
//                       link at the level's bandwidth (an NVLink port, a NIC).
//   fat_tree level      each device's NIC to a leaf switch; rail-optimised leaves (device r
//                       of `leaf_size` consecutive children share rail r's leaf) or plain
//                       ones; leaves up to a spine (tiers 2) or to a pod spine and a core
//                       (tiers 3). The top tier's uplinks carry the leaf's (or pod's)
//                       injection bandwidth divided by the oversubscription.
//   mesh2d / torus      level 0: device-to-device links (wrap-around on a torus / ring).
//                       Dojo (every level a 2D mesh): one grid of D1s composed from the
//                       levels; a link that crosses a child's edge (a tile edge, a tray
//                       joint) carries the level's edge bandwidth split over the D1 pairs
//                       along that edge.
//   mesh / ring above   rail links: device k of a child to device k of each neighbouring
//   a non-mesh level    child, the level's bandwidth split over a child's devices.
//   Dojo DIPs           on the outer edges of a tray's end tiles (the D1 columns at either
//                       end): HBM -> DIP -> edge D1 links, and each DIP's Ethernet port to
//                       the Z-plane switch (TTPoE). A tray's D1s share its DIPs evenly,
//                       nearest first (dip_shares).
//
// Routing: dimension-ordered on meshes and tori (shorter way round on a torus); up-down on
// switches and fat trees; the lowest level that holds both ends carries the message.
//
// Contract: a Graph is immutable once built; route() appends link ids and never allocates
// beyond the caller's vector. Node ids 0 .. devices()-1 are the devices. Building is
// O(devices + links); a 16,384-GPU cluster builds in a few milliseconds.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dojosim/hardware/system.hpp"

namespace dojosim::hardware {

enum class LinkKind : std::uint8_t { port, leaf, spine, core, mesh, edge, rail, dip, hbm, zplane };
const char* link_kind_name(LinkKind k);

// One DIP a device streams from and the part of the device's stream it carries.
struct DipShare {
  int dip = 0;
  double share = 0;  // a device's shares sum to 1
};

struct Link {
  int from = 0, to = 0;  // node ids
  double bandwidth = 0;  // B/s, this direction
  double latency = 0;    // s added to a message that crosses it
  int level = -1;        // System::levels index (-1: DIP / Z-plane)
  LinkKind kind = LinkKind::port;
};

class Graph {
 public:
  explicit Graph(const System& sys);

  [[nodiscard]] long long devices() const { return devices_; }
  [[nodiscard]] int nodes() const { return nodes_; }
  [[nodiscard]] const std::vector<Link>& links() const { return links_; }
  [[nodiscard]] const Link& link(int id) const { return links_[static_cast<std::size_t>(id)]; }
  // Appends the links from device `src` to device `dst` (none when equal); returns the
  // route's latency: each crossed level's latency once for a switch or fat tree, per hop
  // on meshes, tori and rails.
  double route(long long src, long long dst, std::vector<int>& out) const;
  // Dojo: DIPs in the system; the DIPs a device streams from, each with its share of the
  // device's stream: a tray's D1s (a tile's, alone) divided evenly over the tray's DIPs, so
  // each DIP carries D1s / DIPs of them, as the analytical engine's even share of the
  // aggregate DIP bandwidth assumes; the longest DIP-to-D1 route as short as it can be, then
  // the least total route latency, so a D1 streams from its nearest DIP and a few are split
  // between two. Its home DIP (largest share, nearest of equals) carries its Z-plane traffic. The route from a DIP's HBM to a
  // device, and a device to device route over the Z-plane (to its home DIP, the Ethernet
  // switch, the far device's home DIP, then the far device).
  [[nodiscard]] int dips() const { return static_cast<int>(dip_attach_.size()); }
  [[nodiscard]] std::span<const DipShare> dip_shares(long long device) const;
  [[nodiscard]] int home_dip(long long device) const;
  double route_from_dip(int dip, long long dst, std::vector<int>& out) const;
  double route_zplane(long long src, long long dst, std::vector<int>& out) const;
  [[nodiscard]] bool has_zplane() const { return zswitch_ >= 0; }
  // Grid coordinate of a device (meshes, tori, rings at level 0; Dojo's composed mesh), and
  // the number of grid dimensions (0: no grid).
  [[nodiscard]] std::array<int, 3> grid_coord(long long d) const {
    return coord_.empty() ? std::array<int, 3>{0, 0, 0} : coord_[static_cast<std::size_t>(d)];
  }
  [[nodiscard]] int grid_dims() const { return grid_.dims; }
  // A readable name for a link: "gpu 3 -> node 0 switch", "D1 (4,9) -> D1 (5,9) [tile edge]".
  [[nodiscard]] std::string link_name(int id) const;
  // One line per kind of link: count, bandwidth (the `show system` summary).
  [[nodiscard]] std::vector<std::string> summary() const;

 private:
  struct Grid {  // device grid (level-0 mesh/torus, or Dojo's composed D1 mesh)
    int dims = 0;
    std::array<int, 3> size{1, 1, 1};
    bool wrap = false;
    std::vector<int> nbr;  // per device, per direction (+x,-x,+y,-y,+z,-z): link id or -1
  };
  int add_link(int from, int to, double bw, double lat, int level, LinkKind kind);
  void build_grid(const System& sys);
  void build_switch(const System& sys, int level);
  void build_fat_tree(const System& sys, int level);
  void build_rails(const System& sys, int level);
  void build_dips(const System& sys);
  [[nodiscard]] std::vector<long long> edge_slots(long long first, int rows, int cols) const;
  struct Share {
    long long device;
    int dip;
    double share;
  };
  struct ShareCache {  // the last unit's layout and its shares (unit-local D1 and DIP)
    std::vector<int> key;
    std::vector<Share> shares;
  };
  // The shares of a unit's D1s [first, last) in its DIPs [lo, hi), appended per D1 nearest
  // first: every DIP carries (last - first) / (hi - lo) D1s; the longest route as short as
  // can be, then the least total route latency.
  void share_dips(long long first, long long last, int lo, int hi, std::vector<Share>& out, ShareCache& cache) const;
  void index_dip_shares(const std::vector<Share>& shares);
  // The device at grid position c in the grid instance of device `same_as` (-1: none).
  [[nodiscard]] long long device_at_instance(long long same_as, std::array<int, 3> c) const;
  static bool ethernet_ok(const Dip& d);
  double route_grid(long long src, long long dst, std::vector<int>& out) const;
  double route_level(int level, long long src, long long dst, std::vector<int>& out) const;

  const System* sys_ = nullptr;
  long long devices_ = 0;
  int nodes_ = 0;
  std::vector<Link> links_;
  std::vector<long long> per_;  // devices per instance of each level
  int grid_levels_ = 0;         // levels 0 .. grid_levels_-1 are covered by the grid
  Grid grid_;
  std::vector<std::array<int, 3>> coord_;  // composed grid coordinate per device
  std::vector<long long> at_;              // device per grid position (row-major x, y, z)
  // Per level: first link id of each device's up and down port (switch / fat tree).
  struct LevelLinks {
    std::vector<int> up, down;            // per device
    std::vector<int> leaf_up, leaf_down;  // per leaf (fat tree)
    std::vector<int> pod_up, pod_down;    // per pod (fat tree, 3 tiers)
    long long leaf_size = 1, pod_leaves = 1;
    int rails = 1;
    double latency = 0;
    std::vector<int> rail_next;  // per device, per direction: rail link to the neighbour child (-1 none)
    std::array<int, 3> child_dims{1, 1, 1};
    bool wrap = false;
  };
  std::vector<LevelLinks> lv_;
  std::vector<long long> dip_attach_;  // per DIP: the D1 it attaches to
  std::vector<int> dip_down_, dip_up_, dip_hbm_, dip_zup_, dip_zdown_;
  std::vector<std::size_t> dip_share_at_;  // per device + 1: its first entry in dip_share_
  std::vector<DipShare> dip_share_;        // per device, nearest first
  std::vector<int> dip_home_;              // per device: its home DIP
  int zswitch_ = -1;
  std::vector<std::string> node_label_;  // switches and DIPs (devices are named on demand)
};

}  // namespace dojosim::hardware
