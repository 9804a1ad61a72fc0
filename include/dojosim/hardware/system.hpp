// Machines: a Device, the levels of the interconnect hierarchy that group devices
// (device -> node or tile -> ... -> pod), Dojo's DIP memory cards and Z-plane, and the
// power/price figures economics needs.
//
// Contract: all figures are in SI base units (bytes, seconds, B/s, FLOP/s, W, USD).
// Level i groups `size` children, each child being one instance of level i-1 (level 0's
// children are devices). Bandwidths are per direction. A System is immutable once
// loaded; engines read it, never modify it.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "dojosim/core/config.hpp"
#include "dojosim/core/registry.hpp"
#include "dojosim/hardware/transport.hpp"

namespace dojosim::hardware {

enum class Precision { fp64, fp32, tf32, bf16, fp16, fp8, cfp8 };
inline constexpr std::size_t kPrecisions = 7;
std::string_view precision_name(Precision p);
const std::vector<std::string>& precision_names();
Precision parse_precision(std::string_view s);  // throws InputError with a suggestion
// A precision to train in: bf16, fp16, fp8 or cfp8. Weights, activations and collectives
// are sized for 16- or 8-bit training, so fp32, tf32 and fp64 (peaks of `show system`) are
// an InputError here rather than priced as if they were bf16.
Precision parse_training_precision(std::string_view s);
// A precision the system's device computes in (a peak for it), else an InputError at `where`
// naming the ones it has: the precision option's fault, not a strategy's.
struct System;
void require_peak(const System& sys, Precision p, const core::Location& where);
// Bytes per stored element of a tensor kept in this precision.
double precision_bytes(Precision p);

struct MemoryTier {
  std::string name;      // "hbm", "sram", ...
  double capacity = 0;   // bytes
  double bandwidth = 0;  // B/s
};

// What the silicon reaches on its own, measured at component level (GEMM sweeps, memory
// streaming; docs/validation.md#gemm-size-curve). GEMM time = FLOPs / (peak * gemm_max[prec]
// * wave_quantisation * size_curve); memory-bound op time = bytes / (bw * memory_efficiency).
// What the software decides (attention kernel, overlap, launch overheads, efficiencies
// calibrated for a (device, stack) pair) is a Stack: include/dojosim/parallel/stack.hpp.
struct Efficiency {
  std::array<double, kPrecisions> gemm_max{};  // achieved fraction of peak for large GEMMs
  // GEMM size curve: efficiency x K / (K + gemm_k_half[prec]) for reduction depth K (0 = none).
  // From published GEMM sweeps (docs/validation.md#gemm-size-curve).
  std::array<double, kPrecisions> gemm_k_half{};
  int tile_m = 128, tile_n = 128;  // output tile of the GEMM kernels (wave quantisation)
  double memory_efficiency = 0.8;  // achieved fraction of memory bandwidth
};

// A device file that gives no idle power idles at this share of its TDP (assumption: GPUs
// draw roughly a quarter of TDP when idle; docs/economics.md lists idle power as an assumption).
inline constexpr double kIdleShareOfTdp = 0.25;
// A device file that gives no GEMM efficiency at all gets this one for every precision
// (assumption: near the middle of the 0.565-0.79 calibrated gemm_max values in docs/validation.md).
inline constexpr double kGemmMaxWhenUnstated = 0.7;

struct Device {
  std::string name;
  std::string description;
  std::array<double, kPrecisions> peak{};     // FLOP/s; 0 = not supported
  std::vector<MemoryTier> memory;             // memory[0] holds model state by default
  int compute_units = 1;                      // SMs, TensorCores, or D1 cores
  double tdp = 0, idle_power = 0, price = 0;  // W, W, USD (idle_power unset: kIdleShareOfTdp x tdp)
  Efficiency eff;
  // On-die core mesh (Dojo D1): rows x cols cores, link bandwidth per direction, hop latency.
  int core_rows = 0, core_cols = 0;
  double core_link_bandwidth = 0, core_hop_latency = 1e-9;  // hop latency: about one core clock (assumption)
  double sram_per_core = 0;
  // The core model of a GEMM (engine/core_gemm.hpp; 0 = none, the device's gemm_max applies):
  // matrix-unit issue efficiency when fed, the share of a core's SRAM a GEMM's working set
  // may take, and each core's SRAM store bandwidth (load: the SRAM tier's bandwidth / cores).
  double core_issue_efficiency = 0;
  double core_gemm_sram_share = 0.5;
  double core_store_bandwidth = 0;
  [[nodiscard]] double peak_for(Precision p) const { return peak[static_cast<std::size_t>(p)]; }
  [[nodiscard]] double memory_capacity() const { return memory.empty() ? 0.0 : memory[0].capacity; }
  [[nodiscard]] double memory_bandwidth() const { return memory.empty() ? 0.0 : memory[0].bandwidth; }
  // The host memory a GPU reaches over its host link (a tier named `host` after the first:
  // capacity per device, link bandwidth per device per direction), or nullptr. Activation
  // offloading (strategy key offload_layers) keeps saved activations there.
  [[nodiscard]] const MemoryTier* host() const {
    for (std::size_t i = 1; i < memory.size(); ++i)
      if (memory[i].name == "host") return &memory[i];
    return nullptr;
  }
};

enum class Topology { switched, fat_tree, ring, mesh2d, torus2d, torus3d };
std::string_view topology_name(Topology t);

struct Level {
  std::string name;
  Topology topology = Topology::switched;
  int size = 1;                      // children per instance of this level
  std::array<int, 3> dims{1, 1, 1};  // mesh/torus shape (product == size)
  // switched/fat_tree: injection bandwidth per device per direction;
  // mesh/torus/ring: bandwidth per link per direction between adjacent children.
  double bandwidth = 0;
  // How the figure given as `bandwidth` reads (key `bandwidth_counts`): per direction (the
  // default), or both directions together — then `bandwidth` above holds half of it. Dojo's
  // tile edge is quoted as 9 TB/s (T4) without saying which; docs/dojo.md#tile-edge.
  bool bandwidth_both_directions = false;
  double latency = 0;             // s per message (switched) or per hop (mesh, torus, ring)
  double oversubscription = 1.0;  // fat tree: bandwidth divisor for traffic through the top tier
  int tiers = 1;                  // fat tree tiers (switch hops = 2*tiers - 1)
  // Fat tree: children (rail-optimised) or devices per leaf switch, and whether device r of
  // each child goes to rail r's leaf (topology graph only; hardware/topology.hpp).
  int leaf_size = 32;
  bool rail_optimised = true;
  double bus_efficiency = 0.9;       // achieved fraction of bandwidth for large messages
  double half_efficiency_bytes = 0;  // message size at which efficiency is half its maximum
  double overhead_power = 0;         // W per instance of this level beyond its devices (switches, hosts, VRMs)
  double price = 0;                  // USD per instance beyond its devices (chassis, switches, hosts)
};

// Dojo Interface Processor cards: HBM reached from the tiles over TTP links, and the
// Ethernet (TTPoE) Z-plane between them.
struct Dip {
  int count = 0;                   // DIPs in the whole system
  double capacity = 0;             // bytes of HBM per DIP
  double hbm_bandwidth = 0;        // B/s per DIP
  double tile_link_bandwidth = 0;  // B/s DIP <-> tile, per DIP
  double ethernet_bandwidth = 0;   // B/s per DIP on the Z-plane (TTPoE)
  double ethernet_latency = 0;     // s, one-way over the switch
  double host_memory = 0;          // bytes of host DRAM reachable per DIP (the host's DRAM / DIPs it serves)
  double host_link_bandwidth = 0;  // B/s per DIP over PCIe to the host (also the data ingest path)
  double power = 0, price = 0;     // per DIP
  // The Z-plane's transport (hardware/transport.hpp) and its frame loss rate.
  TransportKind transport = TransportKind::ttpoe;
  double loss_rate = 0;
};

struct System {
  std::string name;
  std::string description;
  Device device;
  std::vector<Level> levels;  // innermost first
  Dip dip;
  double pue = 1.0;
  std::string stack = "megatron-core";  // the software stack it runs when none is named (DESIGN.md 4.5)
  core::Location stack_where;           // where `stack:` is written (file:line), for errors about it
  // Devices in use when they do not fill the outermost level ("dgx-h100:devices=12": two
  // nodes, the second half used); 0 = every device the levels hold. Placement fills
  // devices in order, so only the last instance of the outermost level is partial.
  long long devices_used = 0;
  core::Provenance provenance;
  std::vector<std::string> assumptions;

  [[nodiscard]] long long device_count() const;
  // Devices under one instance of level i (level -1 = one device).
  [[nodiscard]] long long devices_per(int level) const;
  [[nodiscard]] double peak(Precision p) const { return static_cast<double>(device_count()) * device.peak_for(p); }
  [[nodiscard]] bool is_dojo() const { return device.core_rows > 0; }
  [[nodiscard]] int tiles() const;  // Dojo: number of training tiles, a partly used one included (0 otherwise)
  [[nodiscard]] double total_memory(std::string_view tier) const;
};

// Loads a system: a preset name with optional parameters ("dgx-h100:nodes=64"), or a
// path to a YAML file; then applies --set overrides (KEY=VALUE). Throws InputError
// (exit 2) with file, line, key and a suggestion on any problem.
System load_system(const std::string& spec, const std::vector<std::string>& overrides = {});
// The fully resolved system as a YAML/JSON-ready tree (with sources and derived totals).
YAML::Node system_to_yaml(const System& s);
std::vector<std::string> preset_system_names();
// The preset parameter that sets the size of level `level` alone (e.g. "nodes" for
// dgx-h100's cluster, "cabinets" for dojo-exapod), or "" when the preset has none.
std::string preset_size_parameter(const std::string& preset, const std::string& level);
// Every parameter of the preset that sets that level's size (e.g. gb200-nvl72's `racks` and
// `devices`), "" names none.
std::vector<std::string> preset_level_parameters(const std::string& preset, const std::string& level);
// The device names of the presets' devices ("a100-sxm4-80gb", "d1", ...), each once, in
// preset order: what a stack's per-device key (a name prefix) is checked against.
const std::vector<std::string>& preset_device_names();
// The YAML text of a preset, or "" if there is none of that name.
std::string preset_system_text(std::string_view name);

void register_hardware(core::Registry& r);

}  // namespace dojosim::hardware
