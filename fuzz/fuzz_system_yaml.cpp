// System YAML files (dojosim run --system FILE.yaml).
#include "dojosim/hardware/system.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dojosim;
  const std::string path = fuzz::scratch_file(fuzz::bytes(data, size), ".yaml");
  return fuzz::expect_typed_errors([&] { (void)hardware::load_system(path); });
}
