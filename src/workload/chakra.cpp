// Chakra ET reading and writing (include/dojosim/workload/chakra.hpp).
#include "dojosim/workload/chakra.hpp"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <unordered_map>

#include "et_def.pb.h"
#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"

namespace dojosim::workload::chakra {

namespace {

using core::InputError;
using core::Location;
namespace pb = ChakraProtoMsg;

constexpr std::uint32_t kMaxMessage = 64u << 20;  // one node or metadata message
// The longest duration a node may take, in dojosim_seconds as in duration_micros (10^12 us,
// 11.6 days): far beyond any step, small enough that a step's sum of them stays exact to a
// nanosecond in a double and never nears the range of signed 64-bit microseconds.
constexpr double kMaxSeconds = 1e6;
constexpr std::uint64_t kMaxMicros = 1'000'000'000'000ULL;

const char* kTypeNames[] = {"INVALID_NODE", "METADATA_NODE",  "MEM_LOAD_NODE",  "MEM_STORE_NODE",
                            "COMP_NODE",    "COMM_SEND_NODE", "COMM_RECV_NODE", "COMM_COLL_NODE"};
const char* kCommNames[] = {"ALL_REDUCE", "REDUCE",         "ALL_GATHER",           "GATHER", "SCATTER", "BROADCAST",
                            "ALL_TO_ALL", "REDUCE_SCATTER", "REDUCE_SCATTER_BLOCK", "BARRIER"};

std::string node_key(std::size_t index, std::uint64_t id) { return fmt::format("node[{}] (id {})", index, id); }

// An integer attribute, whichever integer field the writer chose.
bool int_attr(const pb::AttributeProto& a, long long* out) {
  switch (a.value_case()) {
    case pb::AttributeProto::kInt32Val: *out = a.int32_val(); return true;
    case pb::AttributeProto::kInt64Val: *out = a.int64_val(); return true;
    case pb::AttributeProto::kUint32Val: *out = a.uint32_val(); return true;
    case pb::AttributeProto::kUint64Val:
      *out = static_cast<long long>(std::min<std::uint64_t>(a.uint64_val(), 1ULL << 62));
      return true;
    case pb::AttributeProto::kSint32Val: *out = a.sint32_val(); return true;
    case pb::AttributeProto::kSint64Val: *out = a.sint64_val(); return true;
    case pb::AttributeProto::kFixed32Val: *out = a.fixed32_val(); return true;
    case pb::AttributeProto::kFixed64Val:
      *out = static_cast<long long>(std::min<std::uint64_t>(a.fixed64_val(), 1ULL << 62));
      return true;
    case pb::AttributeProto::kSfixed32Val: *out = a.sfixed32_val(); return true;
    case pb::AttributeProto::kSfixed64Val: *out = a.sfixed64_val(); return true;
    default: return false;
  }
}

Node from_proto(const pb::Node& n, const std::string& origin, std::size_t index) {
  Node out;
  out.id = n.id();
  out.name = n.name();
  const int t = static_cast<int>(n.type());
  if (t < 1 || t > 7)
    throw InputError(Location{origin, 0, 0, node_key(index, n.id())}, fmt::format("unknown node type {}", t),
                     "METADATA_NODE (1) to COMM_COLL_NODE (7)");
  out.type = static_cast<NodeType>(t);
  out.ctrl_deps.assign(n.ctrl_deps().begin(), n.ctrl_deps().end());
  out.data_deps.assign(n.data_deps().begin(), n.data_deps().end());
  out.start_micros = n.start_time_micros();
  if (n.duration_micros() > kMaxMicros)
    throw InputError(Location{origin, 0, 0, fmt::format("{}.duration_micros", node_key(index, n.id()))},
                     fmt::format("duration of {} us is out of range", n.duration_micros()),
                     fmt::format("duration_micros from 0 to {} (10^12 us, 11.6 days)", kMaxMicros));
  out.duration_micros = n.duration_micros();
  for (const auto& a : n.attr()) {
    const std::string& k = a.name();
    const Location loc{origin, 0, 0, fmt::format("{}.attr '{}'", node_key(index, n.id()), core::printable(k))};
    long long v = 0;
    auto need_int = [&](const char* what) {
      if (!int_attr(a, &v)) throw InputError(loc, "attribute is not an integer", what);
      return v;
    };
    if (k == "is_cpu_op") {
      if (a.value_case() != pb::AttributeProto::kBoolVal) throw InputError(loc, "attribute is not a bool", "bool_val");
      out.is_cpu_op = a.bool_val();
    } else if (k == "num_ops") {
      out.num_ops = need_int("an operation count (int64_val)");
    } else if (k == "tensor_size") {
      out.tensor_size = static_cast<std::uint64_t>(std::max(0LL, need_int("a size in bytes (uint64_val)")));
    } else if (k == "comm_type") {
      need_int("a CollectiveCommType (int64_val)");
      if (v < 0 || v > 9) throw InputError(loc, fmt::format("unknown collective type {}", v), "ALL_REDUCE (0) to BARRIER (9)");
      out.comm_type = static_cast<Comm>(v);
    } else if (k == "comm_size") {
      need_int("a size in bytes (int64_val)");
      if (v < 0) throw InputError(loc, fmt::format("negative size {}", v), "a size in bytes >= 0");
      out.comm_size = v;
    } else if (k == "comm_src" || k == "comm_dst") {
      need_int("a rank (int32_val)");
      if (v < 0 || v > (1LL << 30)) throw InputError(loc, fmt::format("rank {} out of range", v), "a rank >= 0");
      (k == "comm_src" ? out.comm_src : out.comm_dst) = static_cast<int>(v);
    } else if (k == "comm_tag") {
      out.comm_tag = static_cast<int>(std::clamp<long long>(need_int("a tag (int32_val)"), INT32_MIN, INT32_MAX));
    } else if (k == "pg_name") {
      if (a.value_case() != pb::AttributeProto::kStringVal) throw InputError(loc, "attribute is not a string", "string_val");
      out.pg_name = a.string_val();
    } else if (k == "dojosim_seconds") {
      if (a.value_case() != pb::AttributeProto::kDoubleVal || !(a.double_val() >= 0) || a.double_val() > kMaxSeconds)
        throw InputError(loc, "attribute is not a duration", "double_val, seconds from 0 to 10^6 (11.6 days)");
      out.seconds = a.double_val();
    }
    // Other attributes (comm_priority, op schemas, ...) do not change the simulation.
  }
  return out;
}

void add_attr(pb::Node* n, const char* name, long long v) {
  auto* a = n->add_attr();
  a->set_name(name);
  a->set_int64_val(v);
}

}  // namespace

const char* name(NodeType t) { return kTypeNames[static_cast<int>(t)]; }
const char* name(Comm c) { return kCommNames[static_cast<int>(c)]; }

Trace parse(std::string_view bytes, const std::string& origin) {
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f && static_cast<unsigned char>(bytes[1]) == 0x8b)
    throw InputError(Location{origin, 0, 0, ""}, "gzip-compressed Chakra trace", "an uncompressed .et file", "gunzip it first");
  if (bytes.size() > static_cast<std::size_t>(INT32_MAX))
    throw InputError(Location{origin, 0, 0, ""}, "Chakra trace over 2 GiB", "one rank's .et file under 2 GiB");
  const int total = static_cast<int>(bytes.size());
  const google::protobuf::LogSilencer quiet;  // a bad message is our InputError, not libprotobuf's log line
  google::protobuf::io::ArrayInputStream raw(bytes.data(), total);
  google::protobuf::io::CodedInputStream in(&raw);
  in.SetTotalBytesLimit(INT32_MAX);
  Trace t;
  std::size_t index = 0;
  bool meta = true;
  std::unordered_map<std::uint64_t, std::size_t> ids;
  while (true) {
    std::uint32_t size = 0;
    if (in.CurrentPosition() == total) break;
    if (!in.ReadVarint32(&size))
      throw InputError(Location{origin, 0, 0, meta ? "GlobalMetadata" : node_key(index, 0)},
                       "malformed Chakra trace: truncated size prefix",
                       "a GlobalMetadata message then Node messages, each preceded by its size (varint32)");
    if (size > kMaxMessage)
      throw InputError(Location{origin, 0, 0, meta ? "GlobalMetadata" : fmt::format("node[{}]", index)},
                       fmt::format("message of {} bytes (more than {} MiB)", size, kMaxMessage >> 20), "a Chakra .et file");
    const auto limit = in.PushLimit(static_cast<int>(size));
    bool ok = false;
    if (meta) {
      pb::GlobalMetadata m;
      ok = m.ParseFromCodedStream(&in) && in.ConsumedEntireMessage() && in.BytesUntilLimit() == 0;
      if (ok) t.version = m.version();
    } else {
      pb::Node n;
      ok = n.ParseFromCodedStream(&in) && in.ConsumedEntireMessage() && in.BytesUntilLimit() == 0;
      if (ok) {
        Node node = from_proto(n, origin, index);
        if (!ids.emplace(node.id, index).second)
          throw InputError(Location{origin, 0, 0, node_key(index, node.id)},
                           fmt::format("node id {} repeats node[{}]", node.id, ids[node.id]), "unique node ids per rank");
        t.nodes.push_back(std::move(node));
        ++index;
      }
    }
    if (!ok)
      throw InputError(Location{origin, 0, 0, meta ? "GlobalMetadata" : fmt::format("node[{}]", index)},
                       "malformed Chakra trace: a message does not parse (truncated or not a Chakra ET file)",
                       "a GlobalMetadata message then Node messages (schema: MLCommons Chakra et_def.proto)");
    in.PopLimit(limit);
    meta = false;
  }
  if (meta) throw InputError(Location{origin, 0, 0, ""}, "empty Chakra trace", "a GlobalMetadata message then Node messages");
  // Data dependencies name other nodes of this rank and do not form a cycle. Control
  // dependencies are kept as written and not checked: real traces from Chakra's PyTorch
  // converter hold some on operators the file leaves out, on the node itself, and in cycles;
  // ASTRA-sim's feeder, like the replay, orders nodes by data dependencies only.
  std::vector<int> indeg(t.nodes.size(), 0);
  std::vector<std::vector<std::size_t>> children(t.nodes.size());
  for (std::size_t i = 0; i < t.nodes.size(); ++i) {
    const Node& n = t.nodes[i];
    for (std::uint64_t d : n.data_deps) {
      auto it = ids.find(d);
      if (it == ids.end())
        throw InputError(Location{origin, 0, 0, node_key(i, n.id)},
                         fmt::format("depends on node {}, which is not in this file", d),
                         "data dependencies on node ids of the same rank");
      if (it->second == i)
        throw InputError(Location{origin, 0, 0, node_key(i, n.id)}, "depends on itself", "data dependencies on other nodes");
      children[it->second].push_back(i);
      ++indeg[i];
    }
  }
  std::vector<std::size_t> ready;
  for (std::size_t i = 0; i < indeg.size(); ++i)
    if (indeg[i] == 0) ready.push_back(i);
  std::size_t seen = 0;
  while (!ready.empty()) {
    const std::size_t i = ready.back();
    ready.pop_back();
    ++seen;
    for (std::size_t c : children[i])
      if (--indeg[c] == 0) ready.push_back(c);
  }
  if (seen != t.nodes.size()) {
    std::size_t bad = 0;
    while (indeg[bad] == 0) ++bad;
    throw InputError(Location{origin, 0, 0, node_key(bad, t.nodes[bad].id)}, "dependency cycle through this node",
                     "a directed acyclic graph of dependencies");
  }
  return t;
}

Trace read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError(Location{path, 0, 0, ""}, "cannot open Chakra trace", "an existing, readable .et file");
  std::ostringstream ss;
  ss << f.rdbuf();
  return parse(ss.str(), path);
}

std::string serialize(const Trace& t) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream raw(&out);
    google::protobuf::io::CodedOutputStream o(&raw);
    auto put = [&](const google::protobuf::MessageLite& m) {
      o.WriteVarint32(static_cast<std::uint32_t>(m.ByteSizeLong()));
      m.SerializeWithCachedSizes(&o);
    };
    pb::GlobalMetadata meta;
    meta.set_version(t.version);
    put(meta);
    pb::Node n;
    for (const Node& x : t.nodes) {
      n.Clear();
      n.set_id(x.id);
      n.set_name(x.name);
      n.set_type(static_cast<pb::NodeType>(static_cast<int>(x.type)));
      for (auto d : x.ctrl_deps) n.add_ctrl_deps(d);
      for (auto d : x.data_deps) n.add_data_deps(d);
      n.set_start_time_micros(x.start_micros);
      n.set_duration_micros(x.duration_micros);
      auto* cpu = n.add_attr();
      cpu->set_name("is_cpu_op");
      cpu->set_bool_val(x.is_cpu_op);
      if (x.type == NodeType::comp && x.num_ops > 0) add_attr(&n, "num_ops", x.num_ops);
      if (x.type == NodeType::mem_load || x.type == NodeType::mem_store || (x.type == NodeType::comp && x.tensor_size > 0)) {
        auto* a = n.add_attr();
        a->set_name("tensor_size");
        a->set_uint64_val(x.tensor_size);
      }
      if (x.type == NodeType::coll) add_attr(&n, "comm_type", static_cast<int>(x.comm_type));
      if (x.type == NodeType::coll || x.type == NodeType::send || x.type == NodeType::recv)
        add_attr(&n, "comm_size", x.comm_size);
      if (x.type == NodeType::send || x.type == NodeType::recv) {
        auto i32 = [&](const char* k, int v) {
          auto* a = n.add_attr();
          a->set_name(k);
          a->set_int32_val(v);
        };
        i32("comm_src", x.comm_src);
        i32("comm_dst", x.comm_dst);
        i32("comm_tag", x.comm_tag);
      }
      if (!x.pg_name.empty()) {
        auto* a = n.add_attr();
        a->set_name("pg_name");
        a->set_string_val(x.pg_name);
      }
      if (x.seconds >= 0) {
        auto* a = n.add_attr();
        a->set_name("dojosim_seconds");
        a->set_double_val(x.seconds);
      }
      put(n);
    }
  }
  return out;
}

void write_file(const std::string& path, const Trace& t) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw InputError(Location{path, 0, 0, ""}, "cannot write Chakra trace", "a writable path");
  const std::string bytes = serialize(t);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw InputError(Location{path, 0, 0, ""}, "cannot write Chakra trace (disk full?)", "a writable path");
}

CommGroups parse_comm_groups(std::string_view text, const std::string& origin, int ranks) {
  nlohmann::json j;
  // A process group named twice would keep only its last list (JSON parsers differ on
  // which): refused, as ASTRA-sim's reader cannot be relied on to read it the same way.
  std::set<std::string> names;
  std::string twice;
  const nlohmann::json::parser_callback_t note_names = [&](int depth, nlohmann::json::parse_event_t event,
                                                           nlohmann::json& parsed) {
    if (event == nlohmann::json::parse_event_t::key && depth == 1 && !names.insert(parsed.get<std::string>()).second &&
        twice.empty())
      twice = parsed.get<std::string>();
    return true;
  };
  try {
    j = nlohmann::json::parse(text, note_names);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(Location{origin, 0, 0, ""}, fmt::format("malformed JSON: {}", core::printable(e.what())),
                     R"(an object of process groups: {"1": [0, 1], ...})");
  }
  if (!twice.empty())
    throw InputError(Location{origin, 0, 0, core::printable(twice)}, "process group named twice",
                     "each process group once; merge or rename the lists");
  if (!j.is_object()) throw InputError(Location{origin, 0, 0, ""}, "not a JSON object", R"({"<pg_name>": [rank, ...], ...})");
  CommGroups g;
  for (const auto& [k, v] : j.items()) {
    const Location loc{origin, 0, 0, core::printable(k)};
    if (!v.is_array() || v.empty()) throw InputError(loc, "a process group is not a non-empty list of ranks", "[rank, ...]");
    std::set<int> seen;
    auto& members = g[k];
    for (const auto& r : v) {
      if (!r.is_number_integer() || r.get<long long>() < 0 || r.get<long long>() >= ranks)
        throw InputError(loc, fmt::format("'{}' is not a rank of this trace", core::printable(r.dump())),
                         fmt::format("integers from 0 to {}", ranks - 1));
      const int x = r.get<int>();
      if (!seen.insert(x).second) throw InputError(loc, fmt::format("rank {} listed twice", x), "each rank once per group");
      members.push_back(x);
    }
  }
  return g;
}

CommGroups read_comm_groups(const std::string& path, int ranks) {
  std::ifstream f(path);
  if (!f) throw InputError(Location{path, 0, 0, ""}, "cannot open comm-group file", "an existing JSON file");
  std::ostringstream ss;
  ss << f.rdbuf();
  return parse_comm_groups(ss.str(), path, ranks);
}

std::string comm_groups_json(const CommGroups& g) {
  // Keys in numeric order when they are numbers (ASTRA-sim writes them so).
  std::vector<std::pair<std::string, const std::vector<int>*>> v;
  for (const auto& [k, m] : g) v.emplace_back(k, &m);
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.first.size() != b.first.size() ? a.first.size() < b.first.size() : a.first < b.first;
  });
  std::string out = "{\n";
  for (std::size_t i = 0; i < v.size(); ++i) {
    out += fmt::format("  \"{}\": [", v[i].first);
    for (std::size_t r = 0; r < v[i].second->size(); ++r) out += fmt::format("{}{}", r ? ", " : "", (*v[i].second)[r]);
    out += i + 1 < v.size() ? "],\n" : "]\n";
  }
  return out + "}\n";
}

std::vector<std::string> rank_files(const std::string& prefix, int ranks) {
  std::vector<std::string> files;
  for (int r = 0;; ++r) {
    std::string p = fmt::format("{}.{}.et", prefix, r);
    const bool exists = std::filesystem::exists(p);
    if (ranks > 0) {
      if (r >= ranks) break;
      if (!exists)
        throw InputError(Location{p, 0, 0, ""}, fmt::format("missing the trace of rank {} of {}", r, ranks),
                         "one .et file per rank");
    } else if (!exists) {
      if (r == 0)
        throw InputError(Location{p, 0, 0, ""}, "no Chakra trace at this prefix", "files <prefix>.0.et, <prefix>.1.et, ...",
                         "give the prefix without '.<rank>.et'");
      break;
    }
    files.push_back(std::move(p));
    if (files.size() > (1u << 20)) break;
  }
  return files;
}

}  // namespace dojosim::workload::chakra
