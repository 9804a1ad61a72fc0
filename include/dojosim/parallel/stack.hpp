// Software stacks: what the training software decides, kept apart from the machine.
//
// A device preset holds what the silicon and the wiring are (peak rates, memory, links,
// the GEMM efficiency a vendor library reaches on large shapes). A Stack holds what the
// software decides on top of it (DESIGN.md 4.5): the attention kernel, which
// communication overlaps what, how ZeRO-3 / FSDP gathers and prefetches, kernel launch
// overheads, and the efficiencies calibrated for particular (device, stack) pairs.
// Comparisons between machines run them on the same stack unless the user says
// otherwise.
//
//   configs/stacks/NAME.yaml  --load_stack-->  Stack  --bind(device)-->  Software
//                                             (every device)            (one device: the
//                                                                        numbers engines read)
//
// Contract: `bind` is the only way engines see a stack; a Software value is plain data,
// copied into engine::Context once per (system, stack) and read on the hot path without
// allocation. Every field of a stack file is read by the engine (docs/model.md#stacks);
// an unknown key is an InputError with a suggestion.
#pragma once

#include <array>
#include <map>
#include <string>
#include <vector>

#include "dojosim/core/config.hpp"
#include "dojosim/core/registry.hpp"
#include "dojosim/hardware/system.hpp"

namespace dojosim::parallel {

// Per-(device, stack) calibration: what this stack achieves on one device. Zero (or
// negative for overheads) means "not set here": the stack-wide or device value applies.
struct DeviceTuning {
  std::array<double, hardware::kPrecisions> gemm_max{};  // achieved fraction of peak for large GEMMs
  double kernel_overhead = -1;                           // s per kernel
  double attention_efficiency = 0;                       // fused attention, fraction of GEMM max
  double tp_overlap = -1;                                // fraction of TP communication hidden
  int attention_kernel = -1;                             // -1 the stack's, 0 unfused, 1 flash (the version run on this device)
  core::Location where;                                  // the entry in the stack's file (for errors)
};

struct Stack {
  std::string name;
  std::string description;
  bool assumption = false;  // the stack itself is assumed (Dojo's), not documented
  // Attention: FlashAttention-style fused kernel (causal blocks skipped, no s^2 tensors in
  // memory) or Megatron-LM 2021's batched GEMMs with a fused softmax over s^2 scores.
  bool flash_attention = true;
  double attention_efficiency = 0.6;  // fused attention achieved fraction of the GEMM max
  double kernel_overhead = 4e-6;      // s per kernel launch and tail
  // Overlap of communication with compute.
  double tp_overlap = 0.0;  // fraction of tensor-parallel communication hidden under GEMMs
  bool dp_overlap = true;   // DP gradient reduce-scatter under backward, parameter gather under forward
  double pp_overlap = 0.0;  // fraction of pipeline send/recv hidden under compute
  // Interleaved schedules (vp > 1): the send/recv of the steady 1F1B phase run under the
  // other direction's compute; only the fill's and the flush's stay exposed (Megatron-Core
  // overlap_p2p_comm, NeMo's default with virtual pipelining). docs/model.md#pipeline.
  bool pp_steady_overlap = false;
  bool cp_overlap = true;  // ring-attention K/V exchange under the attention compute
  // Pipeline engine: whether it runs interleaved (virtual-stage) schedules, and the
  // highest ZeRO stage it combines with pipeline parallelism (DeepSpeed's: 1, no
  // interleaving). docs/model.md#stacks.
  bool pipeline_interleaved = true;
  int pipeline_max_zero = 3;
  // ZeRO-3 / FSDP: parameters gathered per layer (module) in forward and again in
  // backward, gradients reduce-scattered per layer; `zero3_prefetch` layers gathered ahead
  // (0 = each gather waits for the previous layer to finish).
  int zero3_prefetch = 1;
  // Bytes per gradient element of ZeRO-3's reduce-scatters: 2 (bf16, FSDP's default: the
  // parameters' compute dtype) or 4 (fp32: FSDP MixedPrecision(reduce_dtype=float32),
  // Composer's `mixed_precision: DEFAULT`, DeepSpeed `communication_data_type: fp32`).
  double zero3_reduce_bytes = 2.0;
  // FP8 recipe: cast/transpose kernels priced as separate memory-bound passes (Transformer
  // Engine), or fused into the GEMM epilogues (0 passes).
  bool fp8_cast_kernels = true;
  // Element-wise kernels of Llama-style layers: fused (Transformer Engine / apex / XLA /
  // torch.compile: one pass per RMSNorm, RoPE and SwiGLU) or eager PyTorch as the reference
  // model code writes them (RMSNorm as seven fp32 ops, RoPE through complex fp32 tensors,
  // SiLU then a multiply). docs/model.md#eager-elementwise.
  bool fused_elementwise = true;
  // Activation offloading: the stack can keep the saved activations of some layers in the
  // GPU host's memory between forward and backward (Megatron-Core's cpu_offloading), so
  // `offload_layers` is a plan it runs and the resolver may choose (docs/model.md#offload).
  bool activation_offload = false;
  // Optimizer state precision (Adam): bytes of the master copy of each parameter and of
  // each of the two moments. fp32/fp32 (4, 4) is mixed-precision Adam as in Megatron-LM
  // and DeepSpeed; apex/NeMo DistributedFusedAdam with `dtype: bf16` keeps all three in
  // bf16 (2, 2); Megatron-Core's precision-aware optimizer keeps fp32 master, bf16
  // moments (4, 2). docs/model.md#optimizer.
  double optimizer_master_bytes = 4.0;
  double optimizer_moment_bytes = 4.0;
  // Gradient buffer and its data-parallel reduction under the distributed optimizer
  // (ZeRO-1/2): 2 (bf16, NVIDIA's performance recipes: grad_reduce_in_fp32 = False) or 4
  // (fp32: Megatron-LM's default with --bf16, accumulate_allreduce_grads_in_fp32).
  double distributed_grad_bytes = 2.0;
  std::map<std::string, DeviceTuning> devices;  // keyed by Device::name
  core::Provenance provenance;
  std::string file;  // the YAML file it was read from ("" for a preset)
};

// A stack bound to one device: the numbers the engines read. Plain data (no allocation).
struct Software {
  bool flash_attention = true;
  double attention_efficiency = 0.6;
  double kernel_overhead = 4e-6;
  double tp_overlap = 0.0;
  bool dp_overlap = true;
  double pp_overlap = 0.0;
  bool pp_steady_overlap = false;
  bool cp_overlap = true;
  bool pipeline_interleaved = true;
  int pipeline_max_zero = 3;
  int zero3_prefetch = 1;
  double zero3_reduce_bytes = 2.0;
  bool fp8_cast_kernels = true;
  bool fused_elementwise = true;
  bool activation_offload = false;
  double optimizer_state_bytes = 12.0;                   // per parameter: master + two Adam moments
  double distributed_grad_bytes = 2.0;                   // ZeRO-1/2 gradient buffer and reduction, bytes per element
  std::array<double, hardware::kPrecisions> gemm_max{};  // the device's, or the stack's tuning for it
  bool tuned = false;                                    // the stack has a (device, stack) calibration entry for this device
};

// The stack-neutral binding used when no stack is named (unit tests, bare contexts):
// the device's own GEMM efficiencies with the Stack defaults above.
Software bind(const Stack& stack, const hardware::Device& device);
// The same on a system: GEMM efficiencies the user overrode on its device (provenance
// "override ...") win over the stack's tuning for the device.
Software bind(const Stack& stack, const hardware::System& sys);
Software neutral_software(const hardware::Device& device);
// "" when the stack carries a GEMM efficiency for this device and precision, or the
// device's own figure is a calibration; else a note saying the (device, stack) pair's GEMM
// efficiency is not measured, with the figure used and its source (docs/validation.md).
std::string uncalibrated_gemm_note(const Stack& stack, const hardware::System& sys, hardware::Precision p);

// Loads a stack: a name from configs/stacks (embedded at build time) or a path to a YAML
// file, optionally followed by overrides as in system specs
// ("megatron-core:optimizer.moments=bf16,overlap.tp=0.3"), then applies `overrides`.
// A stack changed by spec overrides is named by the whole spec. InputError (exit 2) on
// any problem.
Stack load_stack(const std::string& spec, const std::vector<std::string>& overrides = {});
std::vector<std::string> preset_stack_names();
std::string preset_stack_text(std::string_view name);
// The stack a system runs when none is named: the system's `stack:` key.
const std::string& default_stack_name(const hardware::System& sys);
// The resolved stack as a YAML/JSON-ready tree (with sources).
YAML::Node stack_to_yaml(const Stack& s);

void register_stacks(core::Registry& r);

}  // namespace dojosim::parallel
