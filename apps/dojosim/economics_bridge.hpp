// Energy and cost per step for a result, from the economics module.
#pragma once
#include "dojosim/economics/params.hpp"
#include "dojosim/engine/engine.hpp"
#include "dojosim/report/result.hpp"

namespace dojosim::cli {
report::Economics economics_for(const hardware::System& sys, const engine::Result& r,
                                const economics::EconomicsParams& p = {});
// The plan `run` prints: evaluated when every key is given, else completed by the one
// resolver (engine::resolve, the space and ranking of `search`).
engine::Result plan(const engine::Context& ctx, const parallel::Strategy& s);
int run_default_scenario();
}  // namespace dojosim::cli
