// dojosim replay: a Chakra execution trace (one .et file per rank) priced on a system
// (api::replay), as text or JSON, with an optional Perfetto trace of the replay.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "cli_checks.hpp"
#include "commands.hpp"
#include "dojosim/api/api.hpp"

namespace dojosim::cli {

void add_replay(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("replay",
                                 "Price a Chakra execution trace (<prefix>.<rank>.et, from run --chakra or Chakra's "
                                 "PyTorch converter) on a system");
  static api::ReplayArgs args;
  static std::string format = "text", trace;
  cmd->add_option("prefix", args.prefix, "trace prefix: the files <prefix>.0.et, <prefix>.1.et, ...")->required();
  cmd->add_option("--system", args.system, "preset, SYS:param=value, or YAML file (rank r runs on device r)")->required();
  cmd->add_option("--set", args.sets, "override a system key (KEY=VALUE)");
  cmd->add_option("--comm-groups", args.comm_groups,
                  "process groups, ASTRA-sim's JSON {\"pg\": [ranks]} (default: <prefix>.comm_groups.json if present)")
      ->check(checks::nonempty("a file path"));
  cmd->add_option("--precision", args.precision, "bf16 | fp16 | fp8 | cfp8: prices compute nodes that carry only num_ops");
  cmd->add_option("--ranks", args.ranks, "read exactly this many rank files (default: up to the first missing)")
      ->check(checks::whole(1, engine::kMaxChakraRanks, "a number of ranks"));
  cmd->add_option("--format", format, "text | json")->check(checks::one_of({"text", "json"}));
  cmd->add_option("--trace", trace, "write the replayed timeline as a Chrome/Perfetto trace (JSON)")
      ->check(checks::nonempty("a file path"));
  cmd->callback([&action]() {
    action = []() -> int {
      args.timeline = !trace.empty();
      const auto out = api::replay(args);
      if (!trace.empty())
        write_file(trace,
                   engine::trace_json(out.timeline, fmt::format("Chakra trace {} on {}", args.prefix, out.sys.name)) + "\n");
      if (format == "json") {
        std::cout << out.json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return 0;
      }
      const auto& r = out.result;
      fmt::print("Chakra trace {} ({} ranks, {} nodes) on {}\n", args.prefix, r.ranks, r.nodes, out.sys.name);
      fmt::print("step time        {:.6g} s   (last to finish: rank {})\n", r.step_time, r.critical_rank);
      fmt::print("collectives      {}   messages {}   bytes {:.4g} GB\n", r.collectives, r.messages, r.comm_bytes / 1e9);
      if (!r.per_rank.empty()) {
        const auto& c = r.per_rank[static_cast<std::size_t>(r.critical_rank)];
        fmt::print("rank {}: compute {:.6g} s, communication {:.6g} s, waiting for peers {:.6g} s\n", r.critical_rank, c.compute,
                   c.comm, c.wait);
      }
      fmt::print("process groups   {}\n",
                 out.comm_groups.empty() ? "none (collectives without pg_name span every rank)" : out.comm_groups);
      for (const auto& n : r.notes) fmt::print("note: {}\n", n);
      return 0;
    };
  });
}

}  // namespace dojosim::cli
