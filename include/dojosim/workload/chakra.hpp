// Chakra execution traces (ET): the MLCommons format in which PyTorch runs are traced
// (Chakra's converters) and which ASTRA-sim simulates. One file per rank,
// `<prefix>.<rank>.et`: a GlobalMetadata message, then the rank's nodes (compute, memory,
// send/recv, collectives) with their dependencies, each message preceded by its size as a
// varint32. Collectives name their process group (`pg_name`), whose ranks come from a
// comm-group JSON file ({"<pg_name>": [rank, ...], ...}, ASTRA-sim's
// --comm-group-configuration).
//
// This header is the format only: reading (validated: unique ids, data dependencies on
// nodes of the file without a cycle (control dependencies are kept, not checked: see parse), known node and collective types; every problem a core::InputError naming the file
// and the node) and writing. Pricing a trace on a system is engine/chakra.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dojosim::workload::chakra {

enum class NodeType : int { invalid = 0, metadata = 1, mem_load = 2, mem_store = 3, comp = 4, send = 5, recv = 6, coll = 7 };
enum class Comm : int {
  all_reduce = 0,
  reduce = 1,
  all_gather = 2,
  gather = 3,
  scatter = 4,
  broadcast = 5,
  all_to_all = 6,
  reduce_scatter = 7,
  reduce_scatter_block = 8,
  barrier = 9
};
const char* name(NodeType t);
const char* name(Comm c);

struct Node {
  std::uint64_t id = 0;
  std::string name;
  NodeType type = NodeType::invalid;
  std::vector<std::uint64_t> ctrl_deps, data_deps;
  std::uint64_t start_micros = 0, duration_micros = 0;  // duration: at most 10^12 us (parse checks)
  // Well-known attributes (absent: the defaults).
  bool is_cpu_op = false;
  std::int64_t num_ops = 0;       // COMP: floating-point operations
  std::uint64_t tensor_size = 0;  // MEM_LOAD / MEM_STORE, COMP (memory-bound work): bytes
  Comm comm_type = Comm::all_reduce;
  std::int64_t comm_size = 0;  // bytes of the buffer on each member (send/recv: bytes sent)
  int comm_src = -1, comm_dst = -1, comm_tag = 0;
  std::string pg_name;  // process group of a collective ("" = every rank)
  // dojosim's own attribute `dojosim_seconds` (double): the exact duration of an exported
  // node, which duration_micros can only round (< 0: absent).
  double seconds = -1;
};

struct Trace {
  std::string version;  // GlobalMetadata.version
  std::vector<Node> nodes;
};

// Parses the bytes of one .et file; `origin` names it in errors.
Trace parse(std::string_view bytes, const std::string& origin);
Trace read_file(const std::string& path);
std::string serialize(const Trace& t);
void write_file(const std::string& path, const Trace& t);

using CommGroups = std::map<std::string, std::vector<int>>;
// ASTRA-sim's comm-group JSON: every rank in [0, ranks) at most once per group.
CommGroups parse_comm_groups(std::string_view text, const std::string& origin, int ranks);
CommGroups read_comm_groups(const std::string& path, int ranks);
std::string comm_groups_json(const CommGroups& g);

// The files of a trace prefix: `<prefix>.0.et`, `<prefix>.1.et`, ... up to the first
// missing index (at least `<prefix>.0.et` must exist), or exactly `ranks` files (> 0).
std::vector<std::string> rank_files(const std::string& prefix, int ranks = 0);

}  // namespace dojosim::workload::chakra
