// The vision path of the engine (vision.cpp): plan, price and key checks for a Context whose
// `net` is set. Internal to the engine module; callers use engine::evaluate / resolve.
#pragma once

#include "dojosim/engine/engine.hpp"
#include "dojosim/engine/plan.hpp"

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
// the network as one stage sharded over dp x spatial and its largest op as ZeRO-3's unit.
Memory vision_memory(const hardware::System& sys, const workload::Network& net, const parallel::Strategy& s,
                     const parallel::Software& sw);
// Rejects keys that do not exist for vision networks (tp, pp, cp, ep, vp, sp) with a
// clear InputError; the space and ranking are the common ones (engine/space.hpp).
void check_vision_keys(const Context& ctx, const parallel::Strategy& partial);

}  // namespace dojosim::engine
