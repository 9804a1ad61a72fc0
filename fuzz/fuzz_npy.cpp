// NumPy .npy tensors (dojosim numerics quantize FORMAT FILE.npy).
#include "dojosim/numerics/npy.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dojosim;
  return fuzz::expect_typed_errors(
      [&] { (void)numerics::parse_npy(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.npy"); });
}
