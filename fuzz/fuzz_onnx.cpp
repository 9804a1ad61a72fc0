// ONNX models (dojosim run --model FILE.onnx), from bytes.
#include "dojosim/workload/network.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dojosim;
  return fuzz::expect_typed_errors([&] {
    const auto n = workload::import_onnx_bytes(fuzz::bytes(data, size), "fuzz.onnx");
    (void)n.forward_flops();
  });
}
