// Model YAML files (transformer or vision network; dojosim run --model FILE.yaml).
#include "dojosim/workload/workload.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dojosim;
  const std::string path = fuzz::scratch_file(fuzz::bytes(data, size), ".yaml");
  return fuzz::expect_typed_errors([&] {
    const auto w = workload::load_workload(path);
    (void)w.params();
  });
}
