// Energy and cost per step for a result, from the economics module.
#pragma once
#include "dojosim/economics/params.hpp"
#include "dojosim/engine/engine.hpp"
#include "dojosim/report/result.hpp"

namespace dojosim::cli {
report::Economics economics_for(const hardware::System& sys, const engine::Result& r,
                                const economics::EconomicsParams& p = {});
engine::Result plan(const hardware::System& sys, const workload::Transformer& m, const std::string& spec, long long seq,
                    const std::string& precision);
int run_default_scenario();
}  // namespace dojosim::cli
