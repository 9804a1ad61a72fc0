// Names shared by every collective model: the algorithms, the fabric a message took, and
// the collective operations.
#pragma once

namespace dojosim::collective {

// ring / halving_doubling / tree: switched, fat-tree, ring and torus levels and the Dojo
// Z-plane. snake_ring / dimwise: open 2D meshes (collective/mesh2d.hpp). direct: every
// message routed on its own (point-to-point, all-to-all).
enum class Algo { none, ring, halving_doubling, tree, snake_ring, dimwise, direct };
const char* algo_name(Algo a);

// The fabric a hop's traffic used: "switch" (NVSwitch, InfiniBand, fat tree), "ring",
// "torus", "mesh" (Dojo's on-wafer and tile-to-tile 2D mesh) or "zplane" (TTPoE Ethernet
// between Dojo DIPs).
enum class Path { none, switched, ring, torus, mesh, zplane };
const char* path_name(Path p);

enum class Op { none, all_reduce, reduce_scatter, all_gather, all_to_all, send_recv };
const char* op_name(Op o);

}  // namespace dojosim::collective
