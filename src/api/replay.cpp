// api: replay — a Chakra execution trace priced on a system (contract in api.hpp; the
// replay in engine/chakra.hpp; the format in workload/chakra.hpp; docs/model.md#chakra).
#include <fmt/format.h>

#include <filesystem>

#include "dojosim/api/api.hpp"
#include "dojosim/core/errors.hpp"

namespace dojosim::api {

namespace ck = workload::chakra;

ReplayOutput replay(const ReplayArgs& a) {
  if (a.prefix.empty())
    throw core::InputError({"PREFIX", 0, 0, ""}, "no trace prefix", "the prefix of <prefix>.0.et, <prefix>.1.et, ...");
  if (a.ranks < 0 || a.ranks > engine::kMaxChakraRanks)
    throw core::InputError({"--ranks", 0, 0, "ranks"}, fmt::format("--ranks {} is out of range", a.ranks),
                           fmt::format("0 (every file) to {}", engine::kMaxChakraRanks));
  const auto split = split_sets(a.sets);
  if (!split.economics.empty() || !split.stack.empty())
    throw core::InputError({"--set", 0, 0, "set"}, "replay takes system keys only",
                           "KEY=VALUE of the system (dojosim show system SYS)");
  ReplayOutput out;
  out.sys = hardware::load_system(a.system, split.system);
  // Nodes priced from num_ops need a peak in this precision: as run refuses it (a probe got
  // compute priced at 0 s for fp8 on A100); fp32/tf32/fp64 are not training precisions.
  engine::ReplayOptions opt;
  opt.precision = hardware::parse_training_precision(a.precision);
  hardware::require_peak(out.sys, opt.precision, {"--precision", 0, 0, "precision"});
  out.files = ck::rank_files(a.prefix, a.ranks);
  if (static_cast<long long>(out.files.size()) > engine::kMaxChakraRanks)
    throw core::Unsupported({out.files.back(), 0, 0, ""}, fmt::format("more than {} rank files", engine::kMaxChakraRanks),
                            "--ranks N");
  std::vector<ck::Trace> traces;
  traces.reserve(out.files.size());
  for (const auto& f : out.files) traces.push_back(ck::read_file(f));
  const int ranks = static_cast<int>(traces.size());
  ck::CommGroups groups;
  out.comm_groups = a.comm_groups;
  if (out.comm_groups.empty() && std::filesystem::exists(a.prefix + ".comm_groups.json"))
    out.comm_groups = a.prefix + ".comm_groups.json";
  if (!out.comm_groups.empty()) groups = ck::read_comm_groups(out.comm_groups, ranks);
  opt.files = out.files;
  out.result = engine::replay_chakra(out.sys, traces, groups, opt, a.timeline ? &out.timeline : nullptr);
  out.has_timeline = a.timeline;
  return out;
}

Json ReplayOutput::json() const {
  const auto& r = result;
  Json j;
  j["system"] = sys.name;
  j["ranks"] = r.ranks;
  j["files"] = files.empty() ? "" : files.front();
  j["comm_groups"] = comm_groups;
  j["step_time_s"] = r.step_time;
  j["nodes"] = r.nodes;
  j["collectives"] = r.collectives;
  j["messages"] = r.messages;
  j["comm_bytes"] = r.comm_bytes;
  j["critical_rank"] = r.critical_rank;
  Json per = Json::array();
  for (std::size_t i = 0; i < r.per_rank.size(); ++i) {
    const auto& p = r.per_rank[i];
    per.push_back(Json{
        {"rank", i}, {"end_s", p.end}, {"compute_s", p.compute}, {"comm_s", p.comm}, {"wait_s", p.wait}, {"nodes", p.nodes}});
  }
  j["per_rank"] = std::move(per);
  j["notes"] = r.notes;
  return j;
}

}  // namespace dojosim::api
