// Megatron-LM's pipeline schedules, shared by the pipeline replay (event.cpp) and the
// whole-step event engine (step.cpp).
#pragma once

#include <vector>

namespace dojosim::engine::detail {

struct Pass {
  bool forward;
  int chunk;
  long long mb;
};

// The order of passes on `stage` of pp, with vp virtual chunks per stage and m
// micro-batches (1F1B when vp == 1, else the interleaved schedule; schedules.py).
std::vector<Pass> stage_order(int stage, int pp, int vp, long long m);

// Layers of each virtual stage v = chunk * pp + stage, as the analytical engine splits them.
std::vector<int> layers_per_virtual_stage(long long layers, int pp, int vp);

}  // namespace dojosim::engine::detail
