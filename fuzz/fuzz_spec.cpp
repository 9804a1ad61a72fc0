// SYS and MODEL spec strings: preset[:param=value,...] (dojo-exapod:dips=..., tesla-video:cameras=8).
// Strings that name files are left to the file targets.
#include "dojosim/hardware/system.hpp"
#include "dojosim/workload/workload.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dojosim;
  const std::string s = fuzz::bytes(data, size);
  for (const char* ext : {".yaml", ".yml", ".json", ".onnx"})
    if (s.find(ext) != std::string::npos) return 0;
  if (s.find('/') != std::string::npos) return 0;
  fuzz::expect_typed_errors([&] { (void)hardware::load_system(s); });
  return fuzz::expect_typed_errors([&] { (void)workload::load_workload(s).params(); });
}
