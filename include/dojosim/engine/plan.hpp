// A Plan: what a strategy means on a system for a transformer or a vision network, before anything is priced.
//
//   Strategy --make_plan--> Plan --price (analytical engine)--> Result --report
//
// A Plan is built once from (System, Workload, Stack, Strategy): where each parallel
// group sits (its members and the levels it spans), how the layers split over pipeline
// stages, the parameters a device holds, what full recompute recomputes, the compute each
// device does (GEMM shapes, memory-bound bytes), the collectives each group needs (bytes,
// how often), and memory per device by kind and — on Dojo — by
// tier (SRAM, DIP HBM, host DRAM). Engines price a
// Plan; they do not place, split or account memory themselves, and reports read the Plan's
// numbers through the Result, never recomputing them. Each step is a function of its own
// with a test (tests/unit/test_plan.cpp). Formulas: docs/model.md.
//
// Contract: make_plan is pure and allocation-free (hot path of search and sweeps).
#pragma once

#include "dojosim/engine/engine.hpp"

namespace dojosim::engine {

// Where the groups of a strategy sit: innermost first in the strategy's order, else the
// system's convention (GPU: Megatron-Core's tp-cp-dp-pp; Dojo: tp-cp-pp-dp); EP inside DP.
// Gradients reduce over DP and CP replicas together: the dp group has dp*cp members,
// placed at the CP stride when CP and DP are neighbours in the order (an approximation:
// its members are not evenly strided), else at the DP stride (docs/dojo.md#placement).
struct PlacedGroups {
  collective::Group tp, cp, pp, dp, ep;
  std::array<parallel::Strategy::Kind, 4> order{};
};
PlacedGroups place_groups(const hardware::System& sys, const parallel::Strategy& s);

// Layers per pipeline stage. Uneven splits: when layers + 2 divide evenly, the embedding
// and the loss count as one layer each and the first and last stages take one layer fewer
// (Megatron-LM's account_for_embedding/loss_in_pipeline_split, as Llama 3 405B's 126
// layers on 16 stages); otherwise the first stages take the remainder.
struct StageSplit {
  bool accounted = false;  // embedding and loss counted as layers
  double first = 0;        // layers on the first stage
  double last = 0;         // layers on the last stage
  double max = 0;          // layers on the fullest stage (a middle one when accounted)
};
StageSplit split_stages(long long layers, int pp);

// Fraction of the layers that full recompute recomputes: all of them, or
// `recompute_layers` per model chunk (Megatron-LM's --recompute-method block
// --recompute-num-layers N, counted per virtual pipeline chunk); 0 without full recompute.
double recompute_fraction(const workload::Transformer& m, const parallel::Strategy& s);
// Fraction of a model chunk's layers whose saved activations are offloaded to host memory
// (`offload_layers` per chunk, Megatron-Core's --cpu-offloading-num-layers); 0 without.
double offload_fraction(const workload::Transformer& m, const parallel::Strategy& s);
// Bytes one layer keeps for its backward pass, per micro-batch on one device, under the
// strategy's recompute mode (all of it when not recomputed; only the input under full
// recompute): what memory_by_kind counts per layer, and what offloading moves.
double layer_activation_bytes(const workload::Transformer& m, const parallel::Strategy& s, const parallel::Software& sw,
                              double phi, long long seq);

// Parameters one device holds: per layer (TP- and EP-sharded) and on the fullest stage
// (with the embedding or head; both on a single stage unless tied).
struct DeviceParams {
  double layer = 0, stage = 0;
  // Of these, the MoE experts' (sharded over EP): replicated on dp·cp/ep devices only,
  // their expert-data-parallel group, over which their gradients and optimizer state shard.
  double expert_layer = 0, expert_stage = 0;
};
DeviceParams device_params(const workload::Transformer& m, const parallel::Strategy& s, const StageSplit& split);

// Memory per device by kind, for every workload (docs/model.md#memory): the weights (16-bit,
// plus 8-bit copies under FP8), gradients and optimizer state of the `stage_params` one
// device holds, sharded over the `shards` replicas that share them by the ZeRO stage;
// under ZeRO-3 the unit being computed and the ones the stack prefetches held whole (a
// transformer layer, a vision network's largest unit of coalesced ops: `unit_params`); the activation bytes the workload keeps
// at its peak; and a workspace (GPU) or reserved SRAM (Dojo).
struct DeviceState {
  double stage_params = 0, unit_params = 0, shards = 1;
  double expert_params = 0, expert_shards = 1;  // MoE: the experts' share of stage_params and their replicas
};
Memory device_memory(const hardware::System& sys, const parallel::Strategy& s, const parallel::Software& sw,
                     const DeviceState& state, double activations);

// The one activation-memory model of both workloads (docs/model.md#memory): the bytes one
// device keeps of a saved list (workload/saved.hpp) for `rows` rows (tokens of a micro-batch,
// or instances of an op), each entry's elements shared over the devices its split names
// (`share`), in `e` bytes per element (a GEMM input kept in 8 bits: `gemm_e`; a dropout
// mask: e/2), attention scores times the `keys` each row sees. Kept tensors and scores
// apart: fused attention and selective recompute keep no scores.
struct SavedShare {
  double rows = 1, tensor = 1, sequence = 1;  // devices sharing each kind of split
};
struct SavedBytes {
  double kept = 0, scores = 0;
};
SavedBytes saved_bytes(const workload::SavedList& list, double rows, double keys, const SavedShare& share, double e,
                       double gemm_e);

// Memory per device by kind for a transformer (Korthikanti et al. 2022, generalised to GQA, gated MLPs, FP8
// and partial recompute; docs/model.md#memory), before Dojo's tiers.
Memory memory_by_kind(const hardware::System& sys, const workload::Transformer& m, const parallel::Strategy& s,
                      const parallel::Software& sw, const StageSplit& split, const DeviceParams& params, double phi,
                      long long seq);
// memory_by_kind for a transformer strategy in a Context, without building the rest of the
// Plan (the resolver's memory-only probes, e.g. how many layers to offload).
Memory transformer_memory(const Context& ctx, const parallel::Strategy& s);

// A collective the strategy needs (docs/model.md#comm, #dp, #zero3): the operation, bytes
// per member per call, and how often it runs — per layer and micro-batch (TP, CP, EP,
// ZeRO-3), per micro-batch (pipeline boundaries) or per step (gradient reduction). Engines
// price these; a Result reports each with the cost it was priced at.
struct Demand {
  collective::Op op = collective::Op::none;
  double bytes = 0;
  double per_layer = 0;       // calls per layer and micro-batch
  double per_microbatch = 0;  // calls per micro-batch
  double per_step = 0;        // calls per step
  // ZeRO-3: `bytes` are the whole stage's; the stage is moved one layer at a time, so a
  // call moves bytes / (layers of the stage priced).
  bool split_by_layer = false;
  [[nodiscard]] bool active() const { return op != collective::Op::none; }
  [[nodiscard]] double calls(double microbatches, double layers) const {
    return microbatches * layers * per_layer + microbatches * per_microbatch + per_step;
  }
};
struct Demands {
  std::array<Demand, 2> tp, cp, ep, pp, dp;  // each group's collectives ([1]: a second one, or none)
  Demand pp_gather;                          // TP without SP: the receiver all-gathers a pipeline boundary's slices
  Demand head_stats;                         // TP: the loss statistics all-reduce of the vocabulary-parallel head
};
// The collectives of a transformer plan, from the strategy and the parameters per device;
// gradients travel in the stack's dtypes (ZeRO-1/2: optimizer.grads; ZeRO-3: zero3.reduce).
Demands comm_demands(const workload::Transformer& m, const parallel::Strategy& s, const DeviceParams& params, double phi,
                     long long seq, const parallel::Software& sw);

// The collectives of a vision plan (docs/model.md#vision-dp), over the dp x spatial
// replicas that share the network's weights: the gradient all-reduce (ZeRO-0), or the
// reduce-scatter and parameter all-gather once per step (ZeRO-1/2), or under ZeRO-3 unit by
// unit every micro-batch (split_by_layer; units of consecutive ops, Plan::units: each
// unit's weights gathered before its forward and its backward, 1.5x that under full
// recompute; its gradients reduce-scattered in the stack's zero3.reduce dtype; ZeRO-1/2's
// in its optimizer.grads), in `dp` ([0] the reduction, [1] the gather). A spatial split's exchanges
// depend on each op's rows and come with its work (vision_op_work).
Demands vision_demands(const workload::Network& net, const parallel::Strategy& s, const parallel::Software& sw);

// The attention kernel a plan runs: the strategy's `attention=` when given, else the stack's.
bool uses_flash_attention(const parallel::Strategy& s, const parallel::Software& sw);

// A GEMM on one device: M x N x K, operands and result of `bytes` per element.
struct Gemm {
  double M = 0, N = 0, K = 0;
  double bytes = 2;
  [[nodiscard]] double flops() const { return 2.0 * M * N * K; }
};

// The compute a strategy gives one device (docs/model.md#layer, #attention, #optimizer):
// the GEMM shapes and memory-bound bytes of one layer and one micro-batch in the forward
// pass (the backward pass is priced from them: 2x the GEMMs, 2x the element-wise work), the
// embedding and the LM head, and the optimizer step. Engines price this work with a
// device's kernels; they do not derive shapes themselves.
struct Work {
  // Layer GEMMs: the QKV and output projections, and the MLP's up (with the gate when
  // gated) and down projections, `mlps` times (MoE: this device's experts, each with its
  // share of the routed tokens), then the MoE router (M = 0 without experts).
  Gemm qkv, proj, up, down, router;
  double mlps = 1;
  double gemm_flops = 0;  // forward FLOPs of the layer's GEMMs (the routed tokens' for MoE)
  // Attention core. Fused (FlashAttention): `attention_flops`, causal. Unfused: the batched
  // score and context GEMMs over the full s x s scores, and `score_elements` streamed
  // through memory by scale-mask-softmax and dropout.
  bool flash = false;
  double attention_flops = 0;
  Gemm scores, context;
  double score_elements = 0;
  double elementwise_bytes = 0;    // two norms, two residual adds, the MLP activation
  double rope_bytes = 0;           // rotary embeddings on Q and K (0 with learned positions); eager: and GQA's K/V copies
  double elementwise_kernels = 4;  // kernels of the element-wise work forward (more when eager)
  bool fp8_casts = false;          // FP8 cast-transpose kernels (Transformer Engine)
  double cast_fwd_bytes = 0, cast_bwd_bytes = 0;
  // First and last stage: the LM head GEMM, its loss kernels' bytes forward and backward,
  // and the embedding lookup's bytes (one pass).
  Gemm head;
  double head_fwd_bytes = 0, head_bwd_bytes = 0, embed_bytes = 0;
  double optimizer_bytes = 0;  // one Adam step over this device's shard of parameters
};
// The work of a transformer plan, from the strategy, the stack (which attention kernel,
// FP8 casts, optimizer state) and the parameters per device.
Work compute_work(const workload::Transformer& m, const parallel::Strategy& s, const parallel::Software& sw,
                  const DeviceParams& params, double shards, long long seq);

// The work of one op of a vision network on one device, per micro-batch and per kernel
// launch (docs/model.md#vision-networks): the op's rows split over `split` devices
// (spatial partitioning), `kernels` launches (a recurrence over frames runs one per
// instance, else one batched kernel of `inst` instances), and what each launch computes,
// moves and exchanges. Engines turn it into time with a device's kernels.
struct OpWork {
  double split = 1, kernels = 1, inst = 0;
  // GEMM-like ops (convolution as implicit GEMM, linear, matmul): M = this device's rows,
  // N, K and the batch of the op; the activations and weights read and written; the FLOPs
  // (depthwise convolutions run on the vector units).
  Gemm gemm;
  double gemm_batch = 1;
  double io_bytes = 0;
  double flops = 0;  // forward FLOPs of the launch on this device (GEMM-like and attention)
  // Attention: query rows over all heads on this device, and the score elements.
  double query_rows = 0, score_elements = 0;
  double fwd_bytes = 0, bwd_bytes = 0;  // memory-bound ops: bytes read and written
  // Spatial partitioning (split > 1): halo rows from the busier neighbour (one send-recv)
  // and from both (traffic), keys/values gathered, statistics and pooled sums reduced.
  double halo_side_bytes = 0, halo_bytes = 0, gather_bytes = 0, stats_bytes = 0, reduce_bytes = 0;
};
OpWork vision_op_work(const workload::Op& o, const parallel::Strategy& s);

struct Plan {
  parallel::Strategy strategy;  // as given, with its placement order resolved
  parallel::Software sw;        // the stack bound to the device
  PlacedGroups groups;
  StageSplit split;
  DeviceParams params;
  double phi = 0;           // recompute_fraction
  double microbatches = 0;  // per pipeline, per step
  double shards = 1;        // ZeRO shards: dp * cp
  Demands demands;          // the collectives each group needs (vision: the dp group's)
  Work work;                // the compute each device does
  Memory memory;            // per device; on Dojo with offload, host and fits from the tiers
  Placement placement;      // Dojo: which tier holds each kind, bytes streamed per step
  double stream_time = 0;   // Dojo: streaming seconds per step, before overlap with compute
  // GPUs offloading activations (offload_fraction of each chunk's layers): the bytes an
  // offloaded layer sends to the host in its forward pass and reads back before its backward,
  // per micro-batch, and the host link's bandwidth per direction (docs/model.md#offload).
  double offload = 0;
  double offload_layer_bytes = 0;
  double host_link = 0;
  double ops = 0;    // vision: the network's ops (kernels other than views), the units streaming is prefetched in
  double units = 0;  // vision: ZeRO-3's units (consecutive ops coalesced up to the largest op's weights)
};
// Transformers (ctx.model) and vision networks (ctx.net; engine/vision.cpp, which fills the
// strategy, stack, data-parallel group and its demands, microbatches, shards, params.stage,
// phi, ops, memory and Dojo tiers; split and work are the transformer's).
Plan make_plan(const Context& ctx, const parallel::Strategy& s);
// The same, with the groups already placed: `placed` is place_groups(*ctx.sys, s), which
// depends only on tp, cp, pp, dp, ep and the order, so the inner points of one outer point
// of the strategy space share it (the search loop places them once per outer point).
// Transformers only (a vision network places its groups itself).
Plan make_plan(const Context& ctx, const parallel::Strategy& s, const PlacedGroups& placed);
// price(ctx, make_plan(ctx, s, placed)).
Result evaluate(const Context& ctx, const parallel::Strategy& s, const PlacedGroups& placed);

// The analytical engine: the step time of a Plan (engine/analytical.cpp; vision networks
// engine/vision.cpp). evaluate(ctx, s) is price(ctx, make_plan(ctx, s)) for every workload.
Result price(const Context& ctx, const Plan& plan);

}  // namespace dojosim::engine
