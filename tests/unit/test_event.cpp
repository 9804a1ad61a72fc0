// Event engine: the simulated pipeline agrees with the closed forms it should reproduce.
#include <gtest/gtest.h>

#include "dojosim/engine/event.hpp"

using namespace dojosim;

namespace {
// A synthetic plan: `layers` layers over pp stages, m micro-batches, 1 s forward and 2 s
// backward per layer, no communication, no embedding or head.
engine::Result synthetic(int pp, int vp, long long m, workload::Transformer& model, long long layers) {
  model.layers = layers;
  engine::Result r;
  r.strategy.pp = pp;
  r.strategy.vp = vp;
  r.strategy.dp = 1;
  r.strategy.mbs = 1;
  r.strategy.gbs = m;
  r.pipeline.layer_fwd = 1.0;
  r.pipeline.layer_bwd = 2.0;
  const double per_stage = static_cast<double>(layers) / pp * 3.0;
  r.breakdown.compute = static_cast<double>(m) * per_stage;
  r.step_time = r.breakdown.total();
  return r;
}
}  // namespace

TEST(EventEngine, OneF1BMakespanIsExact) {
  workload::Transformer model;
  for (int pp : {1, 2, 4, 8})
    for (long long m : {1LL, 4LL, 8LL, 32LL}) {
      const auto a = synthetic(pp, 1, m, model, 16);
      engine::Timeline t;
      const auto r = engine::simulate_pipeline(engine::Context{nullptr, &model, 2048}, a, &t);
      const double stage = 16.0 / pp * 3.0;  // F + B of one stage per micro-batch
      EXPECT_DOUBLE_EQ(t.pipeline, static_cast<double>(m + pp - 1) * stage) << "pp=" << pp << " m=" << m;
      EXPECT_DOUBLE_EQ(r.breakdown.bubble, (pp - 1) * stage);
      EXPECT_EQ(t.events.size(), static_cast<std::size_t>(2 * m * pp));
      EXPECT_STREQ(r.engine, "event");
    }
}

// Interleaving divides the bubble by vp (Narayanan et al. 2021, section 2.2.2).
TEST(EventEngine, InterleavingDividesTheBubble) {
  workload::Transformer model;
  for (int vp : {2, 4}) {
    const int pp = 4;
    const long long m = 8;
    const auto a = synthetic(pp, vp, m, model, 32);
    engine::Timeline t;
    const auto r = engine::simulate_pipeline(engine::Context{nullptr, &model, 2048}, a, &t);
    const double stage = 32.0 / pp * 3.0;
    EXPECT_NEAR(r.breakdown.bubble, (pp - 1) * stage / vp, 1e-9) << "vp=" << vp;
    EXPECT_EQ(t.events.size(), static_cast<std::size_t>(2 * m * pp * vp));
  }
}

// On real plans the event engine and the analytical closed form agree closely.
TEST(EventEngine, AgreesWithTheAnalyticalEngine) {
  const auto sys = hardware::load_system("dgx-a100:nodes=8");
  const auto m = workload::load_model("gpt3-175b");
  const engine::Context ctx{&sys, &m, 2048};
  for (const char* spec : {"tp=8,pp=8,dp=1,vp=1,mbs=1,gbs=64,sp=true,zero=0,recompute=selective",
                           "tp=8,pp=8,dp=1,vp=3,mbs=1,gbs=64,sp=true,zero=0,recompute=selective",
                           "tp=4,pp=16,dp=1,vp=2,mbs=1,gbs=32,sp=true,zero=0,recompute=full"}) {
    auto s = parallel::parse_strategy(spec);
    s.seq = 2048;
    const auto a = engine::evaluate(ctx, s);
    const auto e = engine::simulate_pipeline(ctx, a);
    EXPECT_NEAR(e.step_time / a.step_time, 1.0, 0.03) << spec;
    EXPECT_NEAR(e.breakdown.total(), e.step_time, 1e-9 * e.step_time);
  }
}
