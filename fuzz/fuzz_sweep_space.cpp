// Sweep spaces (dojosim sweep SPACE.yaml): parsed, counted, and a few points drawn.
#include "dojosim/explore/sweep.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dojosim;
  return fuzz::expect_typed_errors([&] {
    const auto space = explore::parse_space(fuzz::bytes(data, size), "fuzz.yaml");
    (void)space.hash();  // the canonical JSON of the space (invalid UTF-8 once threw here)
    if (space.size() > 0) {
      (void)explore::point_at(space, 0);
      (void)explore::point_at(space, space.size() - 1);
    }
  });
}
