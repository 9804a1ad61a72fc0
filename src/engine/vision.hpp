// The vision path of the engine (vision.cpp): evaluate and resolve for a Context whose
// `net` is set. Internal to the engine module; callers use engine::evaluate / resolve.
#pragma once

#include "dojosim/engine/engine.hpp"

namespace dojosim::engine {

Result evaluate_vision(const Context& ctx, const parallel::Strategy& s);
// Rejects keys that do not exist for vision networks (tp, pp, cp, ep, vp, sp) with a
// clear InputError; the space and ranking are the common ones (engine/space.hpp).
void check_vision_keys(const Context& ctx, const parallel::Strategy& partial);

}  // namespace dojosim::engine
