// --set KEY=VALUE overrides of a system (levels.node.bandwidth=500GB/s, ...); one per line.
#include "dojosim/core/text.hpp"
#include "dojosim/hardware/system.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dojosim;
  if (size < 1) return 0;
  static const char* systems[] = {"dgx-h100", "dojo-exapod", "tpu-v4", "gb200-nvl72"};
  const std::string sys = systems[data[0] % 4];
  const auto sets = core::split(fuzz::bytes(data + 1, size - 1), '\n');
  return fuzz::expect_typed_errors([&] { (void)hardware::load_system(sys, sets); });
}
