// A parallel training strategy: how one model is split over a system's devices.
//
// Contract: a Strategy returned by `parse_strategy` holds what the user said; keys the
// user left out are marked unset (`given` flags false) and are chosen by the engine's
// resolver as the fastest feasible value. `check_strategy` throws InputError (exit 2)
// with the reason when a fully resolved strategy is invalid for a model and system.
#pragma once

#include <array>
#include <string>

#include "dojosim/hardware/system.hpp"
#include "dojosim/workload/network.hpp"
#include "dojosim/workload/transformer.hpp"

namespace dojosim::parallel {

enum class Recompute { none, selective, full };
std::string_view recompute_name(Recompute r);
struct Strategy;
// How a plan keeps its activations, for tables: "none", "selective", "full",
// "full (5 layers/chunk)" for a partial recompute, ", offload 42 layers/chunk" appended.
std::string activation_text(const Strategy& s);

// Where Dojo keeps each kind of state: resident in D1 SRAM, or streamed from DIP HBM.
enum class Residency { automatic, sram, dip };

struct Strategy {
  int tp = 1, pp = 1, dp = 1, cp = 1, ep = 1, vp = 1;
  int mbs = 1;
  long long gbs = 0;  // sequences per optimizer step
  bool sp = false;
  int zero = 0;
  Recompute recompute = Recompute::none;
  int recompute_layers = 0;  // with recompute=full: layers per stage recomputed (0 = all)
  // Activation offloading (Megatron-Core's cpu_offloading_num_layers): the saved activations
  // of this many layers per model chunk wait in host memory between the forward and the
  // backward pass (GPUs with a `host` memory tier; docs/model.md#offload). 0 = none.
  int offload_layers = 0;
  hardware::Precision precision = hardware::Precision::bf16;
  bool overlap_dp = true;                    // overlap DP gradient reduction with backward
  bool overlap_zero3 = true;                 // prefetch ZeRO-3 parameter gathers under compute
  long long seq = 0;                         // sequence length (0 = model's default for training, 2048 cap)
  Residency weights = Residency::automatic;  // Dojo only
  int attention = 0;                         // 0 = the device's calibrated kernel, 1 = flash, 2 = unfused
  // Vision: feature maps split along their rows over `spatial` neighbouring devices, with
  // halo exchange (1 = no split; must be 1 for transformers).
  int spatial = 1;
  // Placement order of the groups on the devices, innermost first (`placement=tp-cp-dp-pp`):
  // the first kind takes consecutive devices (on Dojo, a compact sub-rectangle of a tile),
  // each next kind is strided by the product of the ones before it; EP groups sit inside
  // DP. When not given (`order_given` false) the engine uses the system's convention:
  // Megatron-Core's tp-cp-(ep)-dp-pp on GPU clusters and TPUs, tp-cp-pp-dp on Dojo (TP on a
  // tile, PP across tiles, DP across trays and cabinets). docs/dojo.md#placement.
  enum class Kind : unsigned char { tp, cp, pp, dp };
  std::array<Kind, 4> order{Kind::tp, Kind::cp, Kind::pp, Kind::dp};
  bool order_given = false;
  // Which keys the user gave (the rest are chosen by the resolver).
  struct Given {
    bool tp = false, pp = false, dp = false, cp = false, ep = false, vp = false, mbs = false, gbs = false, sp = false,
         zero = false, recompute = false, spatial = false, overlap_dp = false, overlap_zero3 = false, offload_layers = false;
  } given;

  [[nodiscard]] long long devices() const { return 1LL * tp * pp * dp * cp * spatial; }
  [[nodiscard]] long long microbatches() const { return gbs / (1LL * dp * mbs); }
  [[nodiscard]] std::string spec() const;  // "tp=8,pp=1,..." fully resolved (",spatial=N" when N > 1)
  // The options that differ from their defaults (",overlap_dp=false,weights=dip"), or "".
  [[nodiscard]] std::string options() const;
  [[nodiscard]] int degree(Kind k) const;
  // Devices between neighbouring members of a group of this kind (product of the degrees
  // of the kinds placed inside it).
  [[nodiscard]] long long stride(Kind k) const;
  // Devices between neighbouring members of an expert-parallel group: its members are DP
  // ranks when ep divides dp; otherwise the group spans the dp x cp ranks with CP's
  // stride (Megatron-Core folds CP into the expert groups), which needs cp and dp
  // adjacent in `order` (0 when they are not: no such placement).
  [[nodiscard]] long long ep_stride() const;
  [[nodiscard]] bool default_order() const;  // true unless the user gave a placement
  // The order the engine uses on a system: the given one, else the system's convention.
  [[nodiscard]] std::array<Kind, 4> effective_order(bool dojo) const;
  [[nodiscard]] std::string placement() const;  // "tp-cp-pp-dp"
};

// Parses "tp=8,pp=2,sp=true,recompute=selective". Unknown keys and bad values are
// InputErrors with a suggestion.
Strategy parse_strategy(const std::string& spec);

// Throws InputError explaining why a resolved strategy cannot run this model on this system.
void check_strategy(const Strategy& s, const workload::Transformer& m, const hardware::System& sys);
// Same checks, returning the reason ("" when valid) — for search loops.
std::string strategy_problem(const Strategy& s, const workload::Transformer& m, const hardware::System& sys);

// Vision networks: data parallelism (ZeRO 0-3), spatial partitioning, micro/global batch
// and recompute; tp, pp, cp, ep, vp and sp must stay 1 / false.
void check_strategy(const Strategy& s, const workload::Network& n, const hardware::System& sys);
std::string strategy_problem(const Strategy& s, const workload::Network& n, const hardware::System& sys);
// The largest number of rows any splittable op of `n` has (the useful bound on spatial).
long long max_spatial(const workload::Network& n);

}  // namespace dojosim::parallel
