// A GEMM inside one Dojo D1: the die's core mesh (docs/model.md#d1-core). The D1 has no
// shared cache: each of its cores computes a block of the output from operands in its own
// 1.25 MB of SRAM, which other cores send over the on-die mesh. This model tiles a GEMM
// (M x N x K, `batch` of them) into per-core output blocks that fit the SRAM share a GEMM
// may use, and prices the busiest core:
//
//   compute  = block FLOPs / (per-core peak x issue efficiency)            (matrix units)
//   feed     = max(operand reads / SRAM load bandwidth,                      (SRAM ports)
//                  received panels and results / SRAM store bandwidth)
//   network  = the larger of its A rows and B columns / one mesh link      (operand broadcast)
//   a block  = max(compute, feed, network) + a row-and-column barrier (hops x hop latency)
//
// blocks go to the cores in waves; when a GEMM has fewer blocks than cores, K is split and
// the partial sums are reduced over the mesh. The block shape is the fastest of a few
// candidates (the largest that fits, the one that fills every core, and powers of two).
// The D1's achieved GEMM efficiency is the outcome; no fixed fraction is assumed beyond
// the matrix units' issue efficiency (an assumption, device.core_mesh.issue_efficiency).
//
// Contract: deterministic, allocation-free, O(1) (a fixed number of candidates); inputs
// of zero give a zero time.
#pragma once

#include "dojosim/hardware/system.hpp"

namespace dojosim::engine {

struct CoreGemm {
  double time = 0;                            // s
  double compute = 0, feed = 0, network = 0;  // s, per block on the busiest core (before the waves)
  double reduce = 0;                          // s, split-K partial sums reduced over the mesh
  double onchip_bytes = 0;                    // operand and partial-sum bytes carried by the core mesh
  double efficiency = 0;                      // FLOPs / (time x device peak)
  double bm = 0, bn = 0;                      // output block per core
  double k_split = 1;                         // cores sharing one block's K
  double tiles = 0, waves = 0;
};

// True when the device carries a core model (a core mesh with an issue efficiency).
bool has_core_model(const hardware::Device& d);
// Bytes per GEMM operand element at a precision (2 for 16-bit, 1 for 8-bit, 4 for FP32).
double operand_bytes(hardware::Precision p);
CoreGemm core_mesh_gemm(const hardware::Device& d, hardware::Precision p, double M, double N, double K, double batch = 1.0);

}  // namespace dojosim::engine
