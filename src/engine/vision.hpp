// The vision path of the engine (vision.cpp): plan, price and key checks for a Context whose
// `net` is set. Internal to the engine module; callers use engine::evaluate / resolve.
#pragma once

#include "dojosim/engine/engine.hpp"
#include "dojosim/engine/plan.hpp"
#include "kernels.hpp"

namespace dojosim::engine {

// Planning and pricing of a vision network (make_plan and price dispatch here): the Plan
// holds the data-parallel group, the memory by kind and the Dojo tiers (one policy with
// the transformer's, tiers.hpp); pricing walks the network's ops for compute and spatial
// communication and prices the gradient reduction.
Plan plan_vision(const Context& ctx, const parallel::Strategy& s);
Result price_vision(const Context& ctx, const Plan& plan);
// Memory per device by kind for a vision network (docs/model.md#vision-networks): kept
// tensors per recompute mode (full: one input per segment of sqrt(n) ops plus the largest
// segment); the model state is device_memory's (plan.hpp), the transformer's formula, with
// the network as one stage sharded over dp x spatial and its largest ZeRO-3 unit held whole.
Memory vision_memory(const hardware::System& sys, const workload::Network& net, const parallel::Strategy& s,
                     const parallel::Software& sw);
// PyTorch DistributedDataParallel reduces gradients in 25 MB buckets as they become ready
// during the backward pass (bucket_cap_mb = 25; Li et al. 2020, "PyTorch Distributed",
// VLDB): only the last bucket's reduction cannot overlap the backward.
inline constexpr double kDdpBucketBytes = 25.0 * 1024.0 * 1024.0;

// ZeRO-3's units of a vision network: consecutive ops coalesced as long as their weights
// stay within the largest op's, so the unit held whole is never larger than that op (the
// memory account's unit) while small ops share one gather (DeepSpeed ZeRO-3 coalesces the
// parameters it gathers into prefetch buckets, PyTorch FSDP gathers per wrapped module).
// Calls f(first op, last op, parameters) in network order for every unit; ops without
// weights join the unit they fall in (a network without weights is one unit of 0).
// The rule op by op: whether an op with `weights` starts a new unit (the current one
// closes before it).
class Zero3Units {
 public:
  explicit Zero3Units(const workload::Network& net) {
    for (const auto& o : net.ops) cap_ = std::max(cap_, o.params);
  }
  bool starts(double weights) {
    const bool fresh = params_ > 0 && weights > 0 && params_ + weights > cap_;
    if (fresh) params_ = 0;
    params_ += weights;
    return fresh;
  }

 private:
  double cap_ = 0, params_ = 0;
};
template <class F>
void for_each_zero3_unit(const workload::Network& net, F&& f) {
  Zero3Units rule(net);
  std::size_t first = 0;
  double params = 0;
  const std::size_t n = net.ops.size();
  for (std::size_t i = 0; i < n; ++i) {
    const double w = net.ops[i].params;
    if (rule.starts(w)) {
      f(first, i - 1, params);
      first = i;
      params = 0;
    }
    params += w;
  }
  if (first < n) f(first, n - 1, params);
}

// The device's kernels as a vision plan uses them (its stack and precision), and the
// seconds of one launch of an op, forward and backward, from its work (vision_op_work):
// the one per-op price both engines use (price_vision; simulate_step's vision programs).
struct VisionKernels {
  detail::Dev d{};
  double peak_simd = 0;  // depthwise convolutions: the vector (FP32) units
  double slice = 0;      // implicit-GEMM K slice (tensor-core tiles)
  bool flash = false;    // fused attention
  double attention_efficiency = 1;
};
VisionKernels vision_kernels(const hardware::Device& dv, const parallel::Software& sw, const parallel::Strategy& s);
struct OpTimes {
  double fwd = 0, bwd = 0;
};
OpTimes vision_op_times(const VisionKernels& k, const workload::Op& o, const OpWork& w);
// Rejects keys that do not exist for vision networks (tp, pp, cp, ep, vp, sp) with a
// clear InputError; the space and ranking are the common ones (engine/space.hpp).
void check_vision_keys(const Context& ctx, const parallel::Strategy& partial);

}  // namespace dojosim::engine
