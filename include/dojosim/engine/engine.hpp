// The analytical engine: a resolved strategy on a system and model -> a step-time
// prediction with where the time goes, memory per device, and what was chosen.
//
// Contract: `evaluate` is pure and fast (no allocation on the hot path beyond the
// Result's strings when `explain` is set); it never throws for a valid strategy — a plan
// that does not fit is a Result with memory.fits == false. `resolve` fills the keys the
// user left out with the fastest feasible values. Formulas: docs/model.md.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "dojosim/collective/collective.hpp"
#include "dojosim/parallel/stack.hpp"
#include "dojosim/parallel/strategy.hpp"
#include "dojosim/workload/network.hpp"
#include "dojosim/workload/workload.hpp"

namespace dojosim::engine {

struct Breakdown {
  double compute = 0, tp_comm = 0, cp_comm = 0, ep_comm = 0, pp_comm = 0, dp_comm = 0, bubble = 0, optimizer = 0,
         memory_stream = 0;
  // Vision: halo exchange, key/value gathers and statistics reductions of spatially
  // partitioned feature maps (0 for transformers).
  double spatial_comm = 0;
  // Dojo vision: the part of the host -> DIP data ingest that the rest of the step cannot
  // hide (0 unless the plan is ingest-bound; docs/model.md#ingest).
  double ingest = 0;
  // Sum of the exposed communication entries above (a subtotal, not an addend).
  [[nodiscard]] double exposed_comm() const { return tp_comm + cp_comm + ep_comm + pp_comm + dp_comm + spatial_comm; }
  [[nodiscard]] double total() const {
    return compute + tp_comm + cp_comm + ep_comm + pp_comm + dp_comm + bubble + optimizer + memory_stream + spatial_comm + ingest;
  }
};

struct Memory {
  double weights = 0, gradients = 0, optimizer = 0, activations = 0, other = 0;
  double capacity = 0;  // device main memory (HBM, or D1 SRAM)
  double offload = 0;   // Dojo: bytes kept in DIP HBM instead of SRAM
  double offload_capacity = 0;
  double host = 0;  // Dojo: bytes kept in host DRAM behind the DIPs (PCIe); GPUs: offloaded activations
  double host_capacity = 0;
  double host_link = 0;     // GPUs offloading activations: host link bandwidth per direction
  double host_traffic = 0;  // GPUs offloading activations: bytes each way per step
  bool fits = false;
  [[nodiscard]] double per_device() const { return weights + gradients + optimizer + activations + other; }
};

// Dojo: where each kind of state lives — D1 SRAM, DIP HBM, or the host DRAM behind the
// DIPs' PCIe links (docs/dojo.md#memory-tiers).
enum class Tier { sram, dip, host };
const char* tier_name(Tier t);  // "SRAM", "DIP", "host"
struct Placement {
  Tier weights = Tier::sram, gradients = Tier::sram, optimizer = Tier::sram, activations = Tier::sram;
  double stream_bandwidth = 0;  // B/s per D1 from DIP HBM
  double host_bandwidth = 0;    // B/s per D1 from host DRAM (PCIe)
  double stream_bytes = 0;      // bytes moved per step per D1 from DIP HBM
  double host_bytes = 0;        // bytes moved per step per D1 from host DRAM
  double stream_hidden = 0;     // s of streaming hidden under compute
  [[nodiscard]] bool streams() const { return stream_bytes + host_bytes > 0; }
};

// What one kind of parallel group (tp, cp, ep, pp, dp) communicated in a step: where its
// members sit (the Group: levels, fan-in, mesh sub-rectangles), the cost of its main
// collective with the path and algorithm of each level, and its traffic per step (for
// link-load pictures). Filled by the engine; reports only format it.
struct GroupComm {
  struct Traffic {
    collective::Op op = collective::Op::none;
    double bytes = 0;       // per member per call (the buffer of collective::collective)
    double calls = 0;       // per step
    collective::Cost cost;  // one call, as the engine priced it (paths, algorithms, Z-plane shares per hop)
  };
  collective::Group group;
  std::array<Traffic, 2> traffic{};
  [[nodiscard]] bool active() const { return !group.trivial() && traffic[0].op != collective::Op::none; }
  // The group's main collective (traffic[0]), one call.
  [[nodiscard]] const collective::Cost& cost() const { return traffic[0].cost; }
};
struct Communication {
  GroupComm tp, cp, ep, pp, dp;
};

// Per micro-batch times the event engine schedules (filled by the analytical engine).
struct PipelineTimes {
  double layer_fwd = 0, layer_bwd = 0;  // one layer: forward (+ exposed TP), backward (+ recompute, TP, CP, EP)
  double embed = 0;                     // first virtual stage: embedding, forward + backward
  double head_fwd = 0, head_bwd = 0;    // last virtual stage: LM head and loss
  double p2p = 0;                       // one activation (or gradient) send between stages
  double tail = 0;                      // after the pipeline: exposed DP, optimizer, memory streaming
  // The whole-step event engine (engine/step.cpp) schedules compute and prices every
  // collective itself on the topology graph; it needs the compute alone and what the
  // stack overlaps.
  double compute_fwd = 0, compute_bwd = 0;  // one layer, one micro-batch: compute only (bwd with recompute)
  double offload_fwd = 0, offload_bwd = 0;  // one layer: exposed activation offload to / from the host (GPUs)
  double attn_fwd = 0, attn_bwd = 0;        // attention core of a layer: the window a CP ring hides under
  double head_compute_fwd = 0, head_compute_bwd = 0, head_comm = 0;  // last stage: LM head, loss statistics
  // The work of that compute, for the Chakra export's num_ops and tensor_size: FLOPs of one
  // layer and one micro-batch (GEMMs + attention; bwd: 2x fwd + the recomputed share) and the
  // bytes of its memory-bound kernels (norms, residuals, activation, rotary, casts, unfused
  // scores), of the LM head per micro-batch (fwd; bwd is 2x), and the bytes of the
  // memory-bound embedding (one pass) and optimizer step.
  double flops_fwd = 0, flops_bwd = 0, head_flops = 0;
  double bytes_fwd = 0, bytes_bwd = 0, embed_bytes = 0, optimizer_bytes = 0;
  double tp_calls_fwd = 0, tp_calls_bwd = 0;  // TP collectives per layer per pass (with recompute)
  double tp_exposed = 1, pp_exposed = 1;      // fraction the stack leaves exposed
  double pp_steady_exposed = 1;  // of the steady 1F1B phase's pipeline sends (0 under interleaved steady-phase overlap)
  bool cp_overlap = false, dp_overlap = false, zero3_prefetch = false;
  double cp_hops = 0;     // K/V chunk hops of the CP ring forward (cp-1, fewer under a sliding window)
  double p2p_gather = 0;  // TP all-gather after a pipeline receive (s)
  double optimizer = 0;
  double stream_bytes_per_layer = 0;  // Dojo: bytes streamed from DIP HBM per layer per pass
  double host_time_per_layer = 0;     // Dojo: seconds per layer per pass from host DRAM (PCIe, not on the graph)
  double stream_passes_bwd = 1;       // Dojo: passes a layer's backward streams (1 + the recomputed fraction)
};

// A link of the topology graph and how busy a simulated step kept it (event engine).
struct LinkUse {
  std::string name;
  double bandwidth = 0;    // B/s
  double bytes = 0;        // moved over the step
  double utilisation = 0;  // bytes / (bandwidth x step time)
  long long alike = 0;     // further links of the same level and kind at the same utilisation (not listed)
};

struct Result {
  parallel::Strategy strategy;
  double step_time = 0;
  double tokens_per_step = 0;
  double model_flops_per_step = 0;     // 6N-style model FLOPs (no recompute), causal attention
  double hardware_flops_per_step = 0;  // including recompute
  double mfu = 0, hfu = 0;
  long long devices = 0;
  Breakdown breakdown;
  Memory memory;
  Placement placement;
  double hidden_comm = 0;  // communication overlapped with compute
  collective::Algo dp_algo = collective::Algo::none, tp_algo = collective::Algo::none;
  bool dp_zplane = false;
  bool zero3_comm_bound = false;  // ZeRO-3: a layer's gathers and reductions outlast its compute
  // A group whose links are shared with concurrent groups (an oversubscribed tier it
  // crosses, mesh or ring links shared by a child's devices) exposes more than
  // kContentionBoundShare of the step: the closed form's even split is then the answer's
  // main uncertainty (`--engine event` simulates it). Which group: contention_group.
  bool contention_bound = false;
  const char* contention_group = "";
  // Dojo vision: one step's input carried host -> DIP over PCIe (s; 0 when not modelled),
  // and whether it outlasts the rest of the step (the host feed then sets the pace).
  double ingest_time = 0;
  double ingest_bytes = 0;  // input bytes per step
  bool ingest_bound = false;
  Communication comm;              // per group: placement, path and algorithm (docs/dojo.md#placement)
  std::vector<std::string> notes;  // choices and caveats, for the report
  PipelineTimes pipeline;          // inputs of the event engine (engine/event.hpp)
  const char* engine = "analytical";
  std::string stack;       // the software stack priced (Context::stack's name; "" = neutral defaults)
  std::string stack_file;  // the YAML file that stack was read from ("" = a preset)
  // The overlaps priced: the plan's overlap_dp / overlap_zero3 and the stack's (dp overlap,
  // ZeRO-3 prefetch); a stack without them prices none whatever the plan asks.
  bool dp_overlap = true, zero3_prefetch = true;
  // What tokens_per_step counts: "tokens" (transformers), "images" or "clips" (vision:
  // tokens_per_step is then samples per step).
  const char* sample_unit = "tokens";
  std::vector<LinkUse> busiest_links;  // event engine: the most utilised links of the step
  double overlap_fill = 0;             // hidden DP communication over compute (pricing_notes)
  int shared_link_level = -1;          // a direct-link level hidden DP and TP traffic share (-1: none)
  double contention = 0;  // event engine: step time over the same schedule with every transfer alone on the graph, minus 1
  double halo_bytes = 0;  // vision: halo-exchange bytes received per device per step (forward + backward)
  [[nodiscard]] double tokens_per_s() const { return step_time > 0 ? tokens_per_step / step_time : 0; }
};

// Everything about a (system, model) pair that does not depend on the strategy.
// Exactly one of `model` (a transformer) and `net` (a vision network) is set.
struct Context {
  const hardware::System* sys = nullptr;
  const workload::Transformer* model = nullptr;
  long long seq = 2048;
  const workload::Network* net = nullptr;  // vision: planned and priced by src/engine/vision.cpp
  // The software stack bound to the system's device (parallel::bind). Unset (`stack` null):
  // the stack-neutral defaults (parallel::neutral_software), for bare unit-test contexts.
  const parallel::Stack* stack = nullptr;
  parallel::Software sw{};
  // Binds `s` (kept by the caller for the context's lifetime) to the system's device.
  void use(const parallel::Stack& s) {
    stack = &s;
    sw = parallel::bind(s, *sys);
  }
  [[nodiscard]] parallel::Software software() const { return stack != nullptr ? sw : parallel::neutral_software(sys->device); }
};

// The Context of a workload on a system, for either kind (the stack is bound by the
// caller with Context::use): a transformer at `seq` tokens (0: its max_seq up to 2048), a
// vision network at its own input size. `option` names where seq came from in errors
// ("--seq", "seq"): a seq for a vision network, or one outside 1..16M, is an InputError.
Context workload_context(const hardware::System& sys, const workload::Workload& w, long long seq, const std::string& option);
// The sequence length a run of `w` takes when none is given: its max_seq up to 2048 for a
// transformer, 0 for a vision network (the input size is part of the network).
long long default_seq(const workload::Workload& w);

inline constexpr double kContentionBoundShare = 0.10;

// Where the closed form's overlap is least sure (docs/model.md#contention), as notes for a
// report: data-parallel traffic hidden under compute that fills more than
// kSaturatedOverlapShare of that compute (the links run near saturation: any delay queues
// and is exposed), and data-parallel traffic hidden on direct links (torus, mesh, ring) that
// the tensor-parallel group drives too, when it fills more than kSharedLinkOverlapShare of
// the compute (the closed form prices the two apart). Both thresholds are heuristics for a
// warning, not part of any prediction. Pricing only marks the numbers (allocation-free).
inline constexpr double kSaturatedOverlapShare = 0.8;
inline constexpr double kSharedLinkOverlapShare = 0.5;
// Also Dojo: groups priced as compact rectangles of a mesh level they do not tile (some
// instances cannot be; optimistic). Nothing for the event engine's Results, which simulate
// both. Worded here, for the report, from the numbers pricing stored.
// Also, for every engine: a device whose SRAM per core times its cores differs from its
// first memory tier's capacity by more than kSramAgreement (a share of the capacity).
inline constexpr double kSramAgreement = 0.05;
std::vector<std::string> pricing_notes(const Result& r, const hardware::System& sys);

// Evaluates a fully resolved, valid strategy (check with parallel::strategy_problem first).
Result evaluate(const Context& ctx, const parallel::Strategy& s);

// Fills unset keys of `partial` with the fastest feasible choice. Throws InputError if
// the given keys cannot be completed into a valid strategy, and Infeasible if nothing fits.
Result resolve(const Context& ctx, const parallel::Strategy& partial);

// Whether `s` gives every key of its workload's strategy (transformers: tp, pp, dp, vp,
// mbs, gbs, sp, zero, recompute and cp unless it is 1; vision: dp, spatial, mbs, gbs,
// zero, recompute).
bool complete(const Context& ctx, const parallel::Strategy& s);
// The plan `run` prices, for every workload: a complete strategy checked
// (parallel::check_strategy) and evaluated as given, else its left-out keys resolved.
Result plan_or_resolve(const Context& ctx, const parallel::Strategy& s);

// Seconds per token: the figure `resolve` minimises (fair across rounded global batches).
double time_per_token(const Result& r);

// Default global batch for a model when none is given: about 2M tokens (4M above 100B params).
long long default_gbs(const workload::Transformer& m, long long seq);
// Vision: the network's default batch in samples, rounded down to a multiple of `unit`
// (dp * mbs), at least one unit.
long long default_gbs(const workload::Network& n, long long unit);

}  // namespace dojosim::engine
