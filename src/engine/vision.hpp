// The vision path of the engine (vision.cpp): evaluate and resolve for a Context whose
// `net` is set. Internal to the engine module; callers use engine::evaluate / resolve.
#pragma once

#include "dojosim/engine/engine.hpp"

namespace dojosim::engine {

Result evaluate_vision(const Context& ctx, const parallel::Strategy& s);
Result resolve_vision(const Context& ctx, const parallel::Strategy& partial);

}  // namespace dojosim::engine
