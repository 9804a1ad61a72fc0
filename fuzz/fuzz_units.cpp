// Units: "900 GB/s", "1.2 PFLOP/s", "80 GiB", ... read as each dimension.
#include "dojosim/core/units.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dojosim;
  if (size < 1) return 0;
  const auto dims = {core::Dim::count,     core::Dim::bytes,     core::Dim::seconds, core::Dim::hertz,  core::Dim::flops,
                     core::Dim::flop_rate, core::Dim::byte_rate, core::Dim::watts,   core::Dim::joules, core::Dim::usd};
  const auto d = *(dims.begin() + data[0] % dims.size());
  const std::string text = fuzz::bytes(data + 1, size - 1);
  return fuzz::expect_typed_errors([&] {
    const double v = core::parse_quantity(text, d);
    (void)core::format_quantity(v, d);
  });
}
