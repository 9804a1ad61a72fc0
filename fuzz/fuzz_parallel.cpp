// --parallel SPEC (tp=8,pp=4,...), then checked against a model and a system.
#include "dojosim/hardware/system.hpp"
#include "dojosim/parallel/strategy.hpp"
#include "dojosim/workload/workload.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dojosim;
  static const auto sys = hardware::load_system("dgx-h100:nodes=4");
  static const auto w = workload::load_workload("llama3-8b");
  return fuzz::expect_typed_errors([&] {
    const auto s = parallel::parse_strategy(fuzz::bytes(data, size));
    (void)parallel::strategy_problem(s, w.transformer, sys);
  });
}
