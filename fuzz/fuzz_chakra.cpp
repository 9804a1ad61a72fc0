// Chakra execution traces (dojosim replay PREFIX), from bytes: one rank's .et file parsed
// and replayed alone on a DGX A100 (each process group it names holding just this rank), and the same bytes read as a comm-group JSON file.
#include "dojosim/engine/chakra.hpp"
#include "dojosim/hardware/system.hpp"
#include "dojosim/workload/chakra.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dojosim;
  static const hardware::System sys = hardware::load_system("dgx-a100");
  const std::string text = fuzz::bytes(data, size);
  fuzz::expect_typed_errors([&] {
    const auto t = workload::chakra::parse(text, "fuzz.0.et");
    (void)workload::chakra::serialize(t);
    workload::chakra::CommGroups groups;  // every group the trace names: this one rank
    for (const auto& n : t.nodes)
      if (!n.pg_name.empty()) groups[n.pg_name] = {0};
    (void)engine::replay_chakra(sys, {t}, groups);
  });
  return fuzz::expect_typed_errors([&] { (void)workload::chakra::parse_comm_groups(text, "fuzz.comm_groups.json", 8); });
}
