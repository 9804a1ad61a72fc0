#include "dojosim/hardware/system.hpp"
#include "dojosim/hardware/topology.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>

#include <optional>

#include "dojosim/core/text.hpp"
#include "presets.hpp"

namespace dojosim::hardware {

using core::Bounds;
using core::Dim;
using core::InputError;
using core::Location;
using core::Reader;

namespace {
const std::vector<std::string> kPrecisionNames{"fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "cfp8"};
const std::vector<std::string> kTopologyNames{"switched", "fat_tree", "ring", "mesh2d", "torus2d", "torus3d"};
// Each default is written once, in the structs (system.hpp): the reader falls back to
// these instances and the registry documents them (test_hardware: DefaultsWrittenOnce).
const Efficiency kEff{};
const Device kDevice{};
const Level kLevel{};
const System kSystem{};
template <class T>
std::string doc(const T& v) {
  return fmt::format("{}", v);
}

// One number, whole-number or switch key of a system file: where it lives in its struct,
// how it reads (dimension, bounds; required, or the default of a default-constructed
// struct), how the registry documents it and when `show system` writes it. The typed
// reader, the registry (`dojosim list components`, docs/reference.md) and system_to_yaml
// iterate the same tables, so each key, default and bound is written once.
enum class Shown { always, when_positive };
template <class T>
struct Field {
  const char* key = "";
  double T::*number = nullptr;  // exactly one of number, whole, flag
  int T::*whole = nullptr;
  bool T::*flag = nullptr;
  Dim dim = Dim::count;  // count: a plain number
  bool required = false;
  Bounds bounds{};  // whole numbers: min..max
  const char* type = "float";
  const char* help = "";
  Shown shown = Shown::always;
};

std::string unit_of(Dim d) {
  switch (d) {
    case Dim::bytes: return "B";
    case Dim::byte_rate: return "B/s";
    case Dim::seconds: return "s";
    case Dim::watts: return "W";
    case Dim::usd: return "USD";
    case Dim::flop_rate: return "FLOP/s";
    case Dim::flops: return "FLOP";
    case Dim::hertz: return "Hz";
    case Dim::joules: return "J";
    case Dim::count: return "";
  }
  return "";
}

template <class T>
void read_fields(const Reader& r, T& out, const std::vector<Field<T>>& table, const T& dflt) {
  for (const auto& f : table) {
    if (f.number != nullptr) {
      const std::optional<double> d = f.required ? std::nullopt : std::optional<double>(dflt.*f.number);
      out.*f.number = f.dim == Dim::count ? r.number(f.key, d, f.bounds) : r.quantity(f.key, f.dim, d, f.bounds);
    } else if (f.whole != nullptr) {
      const std::optional<long long> d = f.required ? std::nullopt : std::optional<long long>(dflt.*f.whole);
      out.*f.whole =
          static_cast<int>(r.integer(f.key, d, static_cast<long long>(f.bounds.min), static_cast<long long>(f.bounds.max)));
    } else {
      out.*f.flag = f.required ? r.boolean(f.key) : r.boolean(f.key, dflt.*f.flag);
    }
  }
}

template <class T>
std::vector<core::ParamDoc> field_docs(const std::vector<Field<T>>& table, const T& dflt) {
  std::vector<core::ParamDoc> out;
  for (const auto& f : table) {
    std::string d;
    if (!f.required) d = f.number != nullptr ? doc(dflt.*f.number) : f.whole != nullptr ? doc(dflt.*f.whole) : doc(dflt.*f.flag);
    out.push_back({f.key, f.type, unit_of(f.dim), d, f.help});
  }
  return out;
}

// A figure of `show system`: its value and where it came from (provenance).
YAML::Node fig(double v, Dim d, const System& s, const std::string& path) {
  YAML::Node n;
  n["value"] = core::format_quantity(v, d);
  n["source"] = s.provenance.origin(path);
  auto nt = s.provenance.note.find(path);
  if (nt != s.provenance.note.end()) n["note"] = nt->second;
  return n;
}

template <class T>
void write_fields(YAML::Node& n, const T& v, const std::vector<Field<T>>& table, const System& s, const std::string& prefix) {
  for (const auto& f : table) {
    if (f.number != nullptr) {
      if (f.shown == Shown::when_positive && v.*f.number <= 0) continue;
      n[f.key] = fig(v.*f.number, f.dim, s, prefix + f.key);
    } else if (f.whole != nullptr) {
      n[f.key] = v.*f.whole;
    } else {
      n[f.key] = v.*f.flag;
    }
  }
}

// The tables. Keys read specially stay beside them in the reader (names, peaks, memory
// tiers, topology, dims, bandwidth and how it counts, transport, idle power's default).
const std::vector<Field<Level>> kLevelFields{{.key = "latency",
                                              .number = &Level::latency,
                                              .dim = Dim::seconds,
                                              .required = true,
                                              .bounds = {0.0, 1.0, true},
                                              .type = "time",
                                              .help = "per message (switched, fat_tree) or per hop (mesh, torus, ring)"},
                                             {.key = "bus_efficiency",
                                              .number = &Level::bus_efficiency,
                                              .bounds = {0.01, 1.0},
                                              .help = "achieved fraction of bandwidth for large messages"},
                                             {.key = "half_efficiency_bytes",
                                              .number = &Level::half_efficiency_bytes,
                                              .dim = Dim::bytes,
                                              .bounds = {0.0, 1e12, true},
                                              .type = "size",
                                              .help = "message size at which efficiency is half its maximum"},
                                             {.key = "overhead_power",
                                              .number = &Level::overhead_power,
                                              .dim = Dim::watts,
                                              .bounds = {0.0, 1e9, true},
                                              .type = "power",
                                              .help = "power per instance beyond its devices (switches, hosts, VRMs)",
                                              .shown = Shown::when_positive},
                                             {.key = "price",
                                              .number = &Level::price,
                                              .dim = Dim::usd,
                                              .bounds = {0.0, 1e12, true},
                                              .type = "price",
                                              .help = "price per instance beyond its devices",
                                              .shown = Shown::when_positive}};
const std::vector<Field<Level>> kFatTreeFields{
    {.key = "tiers",
     .whole = &Level::tiers,
     .bounds = {1, 3},
     .type = "int",
     .help = "switch tiers (2 = leaf/spine, 3 = leaf/spine/core)"},
    {.key = "oversubscription",
     .number = &Level::oversubscription,
     .bounds = {1.0, 64.0},
     .help = "bandwidth divisor for traffic crossing the top tier"},
    {.key = "leaf_size",
     .whole = &Level::leaf_size,
     .bounds = {1, 100000},
     .type = "int",
     .help = "children per leaf switch on each rail (rail-optimised) or devices per leaf; assumption: 64-port switches, half "
             "down"},
    {.key = "rail_optimised",
     .flag = &Level::rail_optimised,
     .type = "bool",
     .help = "device r of every child on rail r's leaf switches (topology graph)"}};
const std::vector<Field<Device>> kDeviceFields{{.key = "compute_units",
                                                .whole = &Device::compute_units,
                                                .bounds = {1, 10000000},
                                                .type = "int",
                                                .help = "SMs, TensorCores or D1 cores"},
                                               {.key = "tdp",
                                                .number = &Device::tdp,
                                                .dim = Dim::watts,
                                                .required = true,
                                                .bounds = {1.0, 1e6},
                                                .type = "power",
                                                .help = "thermal design power"}};
const std::vector<Field<Device>> kDevicePriceFields{{.key = "price",
                                                     .number = &Device::price,
                                                     .dim = Dim::usd,
                                                     .bounds = {0.0, 1e9, true},
                                                     .type = "price",
                                                     .help = "price per device"}};
const std::vector<Field<Device>> kCoreMeshFields{
    {.key = "rows",
     .whole = &Device::core_rows,
     .required = true,
     .bounds = {1, 4096},
     .type = "int",
     .help = "Dojo: rows of the on-die core mesh"},
    {.key = "cols",
     .whole = &Device::core_cols,
     .required = true,
     .bounds = {1, 4096},
     .type = "int",
     .help = "Dojo: columns of the on-die core mesh"},
    {.key = "link_bandwidth",
     .number = &Device::core_link_bandwidth,
     .dim = Dim::byte_rate,
     .required = true,
     .bounds = {1e6, 1e15},
     .type = "bandwidth",
     .help = "Dojo: bandwidth of one core-to-core link"},
    {.key = "hop_latency",
     .number = &Device::core_hop_latency,
     .dim = Dim::seconds,
     .bounds = {0.0, 1e-3, true},
     .type = "time",
     .help = "Dojo: latency per core hop (assumption)"},
    {.key = "sram_per_core",
     .number = &Device::sram_per_core,
     .dim = Dim::bytes,
     .required = true,
     .bounds = {1.0, 1e12},
     .type = "size",
     .help = "Dojo: SRAM per core"},
    {.key = "issue_efficiency",
     .number = &Device::core_issue_efficiency,
     .bounds = {0.0, 1.0, true},
     .help = "Dojo core GEMM model: achieved fraction of the cores' issue rate (0 = no core model)",
     .shown = Shown::when_positive},
    {.key = "gemm_sram_share",
     .number = &Device::core_gemm_sram_share,
     .bounds = {0.01, 1.0},
     .help = "Dojo core GEMM model: share of a core's SRAM a GEMM tile may use"},
    {.key = "store_bandwidth",
     .number = &Device::core_store_bandwidth,
     .dim = Dim::byte_rate,
     .bounds = {0.0, 1e15, true},
     .type = "bandwidth",
     .help = "Dojo core GEMM model: SRAM store bandwidth per core (0 = not limiting)",
     .shown = Shown::when_positive}};
const std::vector<Field<Efficiency>> kEfficiencyFields{
    {.key = "tile_m",
     .whole = &Efficiency::tile_m,
     .bounds = {1, 4096},
     .type = "int",
     .help = "GEMM output tile rows (wave quantisation)"},
    {.key = "tile_n", .whole = &Efficiency::tile_n, .bounds = {1, 4096}, .type = "int", .help = "GEMM output tile columns"},
    {.key = "memory_efficiency",
     .number = &Efficiency::memory_efficiency,
     .bounds = {0.01, 1.0},
     .help = "achieved fraction of memory bandwidth for streaming ops"}};
const Dip kDip{};
const std::vector<Field<Dip>> kDipFields{{.key = "count",
                                          .whole = &Dip::count,
                                          .required = true,
                                          .bounds = {0, 10000000},
                                          .type = "int",
                                          .help = "DIPs in the whole system"},
                                         {.key = "capacity",
                                          .number = &Dip::capacity,
                                          .dim = Dim::bytes,
                                          .required = true,
                                          .bounds = {1e6, 1e14},
                                          .type = "size",
                                          .help = "HBM per DIP"},
                                         {.key = "hbm_bandwidth",
                                          .number = &Dip::hbm_bandwidth,
                                          .dim = Dim::byte_rate,
                                          .required = true,
                                          .bounds = {1e6, 1e15},
                                          .type = "bandwidth",
                                          .help = "HBM bandwidth per DIP"},
                                         {.key = "tile_link_bandwidth",
                                          .number = &Dip::tile_link_bandwidth,
                                          .dim = Dim::byte_rate,
                                          .required = true,
                                          .bounds = {1e6, 1e15},
                                          .type = "bandwidth",
                                          .help = "DIP <-> tile bandwidth per DIP"},
                                         {.key = "ethernet_bandwidth",
                                          .number = &Dip::ethernet_bandwidth,
                                          .dim = Dim::byte_rate,
                                          .required = true,
                                          .bounds = {1e6, 1e15},
                                          .type = "bandwidth",
                                          .help = "Z-plane (Ethernet, TTPoE) bandwidth per DIP"},
                                         {.key = "ethernet_latency",
                                          .number = &Dip::ethernet_latency,
                                          .dim = Dim::seconds,
                                          .required = true,
                                          .bounds = {0.0, 1.0, true},
                                          .type = "time",
                                          .help = "one-way Z-plane latency over the switch"},
                                         {.key = "host_memory",
                                          .number = &Dip::host_memory,
                                          .dim = Dim::bytes,
                                          .bounds = {0.0, 1e15, true},
                                          .type = "size",
                                          .help = "host DRAM reachable per DIP (the host's DRAM / DIPs it serves)",
                                          .shown = Shown::when_positive},
                                         {.key = "host_link_bandwidth",
                                          .number = &Dip::host_link_bandwidth,
                                          .dim = Dim::byte_rate,
                                          .bounds = {0.0, 1e15, true},
                                          .type = "bandwidth",
                                          .help = "PCIe bandwidth per DIP to the host (also the data ingest path)",
                                          .shown = Shown::when_positive},
                                         {.key = "power",
                                          .number = &Dip::power,
                                          .dim = Dim::watts,
                                          .bounds = {0.0, 1e5, true},
                                          .type = "power",
                                          .help = "power per DIP",
                                          .shown = Shown::when_positive},
                                         {.key = "price",
                                          .number = &Dip::price,
                                          .dim = Dim::usd,
                                          .bounds = {0.0, 1e9, true},
                                          .type = "price",
                                          .help = "price per DIP",
                                          .shown = Shown::when_positive},
                                         {.key = "loss_rate",
                                          .number = &Dip::loss_rate,
                                          .bounds = {0.0, 0.5, true},
                                          .help = "Z-plane packet loss rate (transport replay model)"}};
}  // namespace

std::string_view precision_name(Precision p) { return kPrecisionNames[static_cast<std::size_t>(p)]; }
const std::vector<std::string>& precision_names() { return kPrecisionNames; }

Precision parse_precision(std::string_view s) {
  const std::string l = core::to_lower(s);
  for (std::size_t i = 0; i < kPrecisionNames.size(); ++i)
    if (kPrecisionNames[i] == l) return static_cast<Precision>(i);
  throw InputError({"--precision", 0, 0, "precision"}, fmt::format("unknown precision '{}'", s),
                   "one of: " + core::join(kPrecisionNames, ", "), core::did_you_mean(l, kPrecisionNames));
}

void require_peak(const System& sys, Precision p, const core::Location& where) {
  if (sys.device.peak_for(p) > 0) return;
  std::vector<std::string> has;
  for (const char* n : {"bf16", "fp16", "fp8", "cfp8"})
    if (sys.device.peak_for(parse_precision(n)) > 0) has.emplace_back(n);
  throw InputError(where, fmt::format("{} has no {} peak", sys.device.name, precision_name(p)),
                   "a precision the device computes in: " + core::join(has, ", "));
}

Precision parse_training_precision(std::string_view s) {
  Precision p;
  try {
    p = parse_precision(s);
  } catch (const InputError& e) {
    // The training precisions only: fp32, tf32 and fp64 are formats, not trainings modelled.
    throw InputError(e.location(), e.message(), "bf16, fp16, fp8 or cfp8",
                     core::did_you_mean(std::string(s), {"bf16", "fp16", "fp8", "cfp8"}));
  }
  if (p == Precision::fp32 || p == Precision::tf32 || p == Precision::fp64)
    throw InputError({"--precision", 0, 0, "precision"},
                     fmt::format("training in {} is not modelled: weights, activations and collectives are sized for 16-bit "
                                 "(bf16, fp16) or 8-bit (fp8, cfp8) mixed-precision training",
                                 precision_name(p)),
                     "bf16, fp16, fp8 or cfp8");
  return p;
}

double precision_bytes(Precision p) {
  switch (p) {
    case Precision::fp64: return 8;
    case Precision::fp32:
    case Precision::tf32: return 4;
    case Precision::bf16:
    case Precision::fp16: return 2;
    case Precision::fp8:
    case Precision::cfp8: return 1;
  }
  return 2;
}

std::string_view topology_name(Topology t) { return kTopologyNames[static_cast<std::size_t>(t)]; }

long long System::devices_per(int level) const {
  long long n = 1;
  for (int i = 0; i <= level && i < static_cast<int>(levels.size()); ++i) n *= levels[static_cast<std::size_t>(i)].size;
  return n;
}
long long System::device_count() const {
  const long long all = devices_per(static_cast<int>(levels.size()) - 1);
  return devices_used > 0 ? std::min(all, devices_used) : all;
}

int System::tiles() const {
  if (!is_dojo()) return 0;
  for (std::size_t i = 0; i < levels.size(); ++i)
    if (levels[i].name == "tile") {
      const long long per = devices_per(static_cast<int>(i));
      return static_cast<int>((device_count() + per - 1) / per);  // a partly used tile counts
    }
  return 0;
}

double System::total_memory(std::string_view tier) const {
  double t = 0;
  for (const auto& m : device.memory)
    if (m.name == tier) t += m.capacity * static_cast<double>(device_count());
  if (tier == "dip_hbm") t += dip.capacity * dip.count;
  return t;
}

namespace {

// Parameters a preset exposes as "NAME:param=value".
struct PresetParam {
  std::string name, help;
  // The key paths it sets, each with its multiplier ("dip.count*40": 40 times the
  // parameter; without one, `multiply`).
  struct Target {
    std::string path;
    long long multiply = 1;
  };
  std::vector<Target> targets;
  long long divide = 1;
  long long multiply = 1;
};

// The largest divisor or multiplier of a preset parameter: a parameter value (at most
// 10^9) times it stays far inside a long long.
constexpr long long kMaxParamFactor = 1000000000;

// The multiplier after the '*' of a `sets` entry ("dip.count*40"): a whole number from 1
// to kMaxParamFactor, digits only. A probe found "dip.count*abc", "**40", "size*" and
// "*99999999999999999999" thrown out of std::stoll ("internal error", exit 1), and "*40.5"
// read as 40 and "*1e300" as 1.
long long parse_multiplier(const std::string& text_in, const std::string& entry, const Location& where) {
  const std::string text = core::trim(text_in);
  const bool digits =
      !text.empty() && text.size() <= 10 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  const long long v = digits ? std::stoll(text) : 0;
  if (v < 1 || v > kMaxParamFactor)
    throw InputError(where, fmt::format("'{}' has no valid multiplier after its '*': '{}'", entry, text),
                     fmt::format("KEY or KEY*INTEGER, the integer a whole number from 1 to {}", kMaxParamFactor),
                     "e.g. dip.count*40: the key set to 40 times the parameter's value");
  return v;
}

std::vector<PresetParam> read_params(const core::Document& doc) {
  std::vector<PresetParam> out;
  const YAML::Node& root = doc.root;
  if (!root["parameters"].IsDefined()) return out;
  if (!root["parameters"].IsMap())
    throw InputError(Location{doc.file, root["parameters"].Mark().line + 1, root["parameters"].Mark().column + 1, "parameters"},
                     "'parameters' must be a map", "name: {sets: [key.path], help: ...}");
  // The typed reader judges each parameter's settings (located errors, whole numbers in
  // range): a probe found `divide: 0` a division by zero (SIGFPE) and `divide: -8` or
  // `divide: 2.5` accepted or misreported. The document outlives the readers.
  const std::shared_ptr<const core::Document> shared(&doc, [](const core::Document*) {});
  for (const auto& kv : root["parameters"]) {
    PresetParam p;
    p.name = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    const Reader r(shared, v, "parameters." + p.name);
    p.help = r.string("help", "");
    try {
      p.divide = r.integer("divide", 1, 1, kMaxParamFactor);
      p.multiply = r.integer("multiply", 1, 1, kMaxParamFactor);
    } catch (const InputError& e) {
      throw InputError(e.location(), e.message(), e.expected(),
                       "divide: how many of the counted things fill one unit (e.g. divide: 8 for 8 GPUs per node)");
    }
    // A misspelt key (`set:`, `divid:`) would leave the parameter silently without effect.
    r.ignore("sets");
    r.finish();
    const YAML::Node& sets = v["sets"];
    if (!sets.IsDefined() || sets.IsNull())
      r.fail("", fmt::format("parameter '{}' sets nothing: 'sets' is missing", p.name),
             "sets: [KEY, ...], e.g. sets: [levels.cluster.size]", "list the key paths the parameter sets");
    if (!sets.IsSequence() || sets.size() == 0)
      r.fail("sets", fmt::format("'sets' of parameter '{}' must be a non-empty list of key paths", p.name),
             "sets: [KEY, ...], each KEY or KEY*INTEGER, e.g. sets: [levels.cluster.size]",
             sets.IsScalar() ? fmt::format("write it as a list: sets: [{}]", sets.Scalar())
                             : "list the key paths the parameter sets");
    for (const auto& s : sets) {
      const Location where{doc.file, s.Mark().line + 1, s.Mark().column + 1, "parameters." + p.name + ".sets"};
      if (!s.IsScalar() || core::trim(s.Scalar()).empty())
        throw InputError(where, fmt::format("an entry of parameter '{}''s 'sets' is not a key path", p.name),
                         "KEY or KEY*INTEGER, e.g. levels.cluster.size or dip.count*40");
      const std::string entry = core::trim(s.Scalar());
      const std::string path = core::trim(entry.substr(0, entry.find('*')));
      long long multiply = p.multiply;
      if (const auto star = entry.find('*'); star != std::string::npos)
        multiply = parse_multiplier(entry.substr(star + 1), entry, where);
      // Each path must name a setting of this file: a typo fails here, at its line, not
      // only when the parameter is used.
      YAML::Node cur = root;
      std::string walked;
      for (const auto& k : core::split(path, '.')) {
        const YAML::Node& ccur = cur;
        if (!ccur.IsMap() || !ccur[k].IsDefined()) {
          std::vector<std::string> names;
          if (ccur.IsMap())
            for (const auto& e : ccur) names.push_back(e.first.Scalar());
          throw InputError(where,
                           fmt::format("parameter '{}' sets '{}', which is not in the file: no '{}' in '{}'", p.name, path, k,
                                       walked.empty() ? "<top level>" : walked),
                           names.empty() ? "a key path of this file" : "one of: " + core::join(names, ", "),
                           core::did_you_mean(k, names));
        }
        walked = walked.empty() ? k : walked + "." + k;
        cur.reset(ccur[k]);
      }
      p.targets.push_back({path, multiply});
    }
    out.push_back(std::move(p));
  }
  return out;
}

void apply_param(core::Document& doc, const std::vector<PresetParam>& params, const std::string& preset,
                 const std::string& assignment) {
  const auto eq = assignment.find('=');
  const std::string origin = fmt::format("{}:{}", preset, assignment);
  std::vector<std::string> names;
  for (const auto& p : params) names.push_back(p.name);
  if (eq == std::string::npos)
    throw InputError(Location{origin, 0, 0, ""}, fmt::format("system parameter '{}' is not name=value", assignment),
                     names.empty() ? "no parameters (this preset has none)" : "one of: " + core::join(names, ", "));
  const std::string key = core::trim(assignment.substr(0, eq));
  const std::string val = core::trim(assignment.substr(eq + 1));
  for (const auto& p : params) {
    if (p.name != key) continue;
    char* end = nullptr;
    const double d = std::strtod(val.c_str(), &end);
    if (val.empty() || *end != '\0' || d != std::floor(d) || d < 1 || d > 1e9)
      throw InputError(Location{origin, 0, 0, key}, fmt::format("'{}' must be a whole number >= 1, got '{}'", key, val),
                       "a positive whole number");
    const auto n = static_cast<long long>(d);
    // A count that does not fill the outer unit (devices=512 on 72-GPU racks): enough
    // units to hold it, the last one partly used (System::devices_used).
    const long long units = (n + p.divide - 1) / p.divide;
    for (const auto& t : p.targets) core::set_path(doc, t.path, std::to_string(units * t.multiply), origin);
    if (n % p.divide != 0) doc.root["devices_used"] = n;
    return;
  }
  throw InputError(Location{origin, 0, 0, key}, fmt::format("'{}' has no parameter '{}'", preset, key),
                   names.empty() ? "no parameters (this preset has none)" : "one of: " + core::join(names, ", "),
                   core::did_you_mean(key, names));
}

}  // namespace

// A preset's document, or a system file's (its `parameters:` size it as a preset's do: a
// probe found a user's YAML with `nodes` never resized by compare and sensitivity).
static std::optional<core::Document> sized_system_doc(const std::string& name) {
  const std::string text = preset_system_text(name);
  if (!text.empty()) return core::parse_yaml(text, fmt::format("<preset {}>", name));
  const bool is_file =
      name.find('/') != std::string::npos || name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json");
  if (is_file) return core::load_yaml_file(name);
  return std::nullopt;
}

std::string preset_size_parameter(const std::string& preset, const std::string& level) {
  const auto doc = sized_system_doc(preset);
  if (!doc) return "";
  for (const auto& p : read_params(*doc)) {
    if (p.divide != 1 || p.targets.empty() || p.targets.front().multiply != 1) continue;
    if (p.targets.front().path == "levels." + level + ".size") return p.name;
  }
  return "";
}

std::vector<std::string> preset_level_parameters(const std::string& preset, const std::string& level) {
  std::vector<std::string> out;
  const auto doc = sized_system_doc(preset);
  if (!doc) return out;
  for (const auto& p : read_params(*doc))
    for (const auto& t : p.targets)
      if (t.path == "levels." + level + ".size") {
        out.push_back(p.name);
        break;
      }
  return out;
}

namespace {

Efficiency read_efficiency(const Reader& r) {
  Efficiency e;
  if (auto g = r.optional_map("gemm_max")) {
    for (std::size_t i = 0; i < kPrecisionNames.size(); ++i)
      e.gemm_max[i] = g->number(kPrecisionNames[i], 0.0, Bounds{0.0, 1.0, false});
    g->finish();
  }
  if (auto g = r.optional_map("gemm_k_half")) {
    for (std::size_t i = 0; i < kPrecisionNames.size(); ++i)
      e.gemm_k_half[i] = g->number(kPrecisionNames[i], 0.0, Bounds{0.0, 1e6, true});
    g->finish();
  }
  read_fields(r, e, kEfficiencyFields, kEff);
  // Software choices moved to stacks: say where they went instead of "unknown key".
  for (const char* k : {"kernel_overhead", "attention_efficiency", "attention_kernel", "tp_comm_overlap", "dp_comm_overlap"})
    if (r.has(k))
      r.fail(k, fmt::format("'{}' is a software setting: it belongs to a stack, not to the device", k),
             "hardware efficiencies only (gemm_max, gemm_k_half, tile_m, tile_n, memory_efficiency)",
             "set it in a stack file (configs/stacks/*.yaml, docs/model.md#stacks) and pass --stack");
  r.finish();
  return e;
}

Device read_device(const Reader& r) {
  Device d;
  d.name = r.string("name");
  d.description = r.string("description", "");
  const Reader peak = r.map("peak");
  for (std::size_t i = 0; i < kPrecisionNames.size(); ++i)
    d.peak[i] = peak.quantity(kPrecisionNames[i], Dim::flop_rate, 0.0, Bounds{0.0, 1e18, true});
  peak.finish();
  if (d.peak[static_cast<std::size_t>(Precision::bf16)] <= 0)
    peak.fail("bf16", "a device needs a BF16 peak", "a compute rate, e.g. 312 TFLOP/s");
  const Reader mem = r.map("memory");
  // The first tier is the device's own memory (what capacity and bandwidth mean); `host` is
  // the host memory a GPU reaches over its link (activation offload). A misspelt name, a
  // host tier first or a second local tier would silently change what the engines use.
  static const std::vector<std::string> kTierNames{"hbm", "sram", "dram", "gddr", "lpddr", "host"};
  for (const auto& name : mem.keys()) {
    if (std::find(kTierNames.begin(), kTierNames.end(), name) == kTierNames.end())
      mem.fail(name, fmt::format("unknown memory tier '{}'", name),
               "the device's own memory (hbm, sram, dram, gddr or lpddr) first, then optionally host",
               core::did_you_mean(name, kTierNames));
    if (d.memory.empty() && name == "host")
      mem.fail(name, "the host tier comes after the device's own memory", "the device's own memory (e.g. hbm) first, then host",
               "move the host block below the device's own tier");
    if (!d.memory.empty() && name != "host")
      mem.fail(name, fmt::format("a second device memory tier '{}' (after '{}')", name, d.memory.front().name),
               "one tier of the device's own memory, then optionally host", "keep one of them");
    if (name == "host" && std::any_of(d.memory.begin(), d.memory.end(), [](const MemoryTier& m) { return m.name == "host"; }))
      mem.fail(name, "a second host tier", "one host tier");
    const Reader t = mem.map(name);
    MemoryTier tier;
    tier.name = name;
    tier.capacity = t.quantity("capacity", Dim::bytes, std::nullopt, Bounds{1e3, 1e15});
    tier.bandwidth = t.quantity("bandwidth", Dim::byte_rate, std::nullopt, Bounds{1e6, 1e16});
    t.finish();
    d.memory.push_back(tier);
  }
  mem.finish();
  if (d.memory.empty()) mem.fail("", "a device needs at least one memory tier", "e.g. hbm: {capacity: 80 GB, bandwidth: 2 TB/s}");
  read_fields(r, d, kDeviceFields, kDevice);
  d.idle_power = r.quantity("idle_power", Dim::watts, d.tdp * kIdleShareOfTdp, Bounds{0.0, 1e6, true});
  if (d.idle_power > d.tdp) r.fail("idle_power", "idle power exceeds TDP", "a power at most the TDP");
  read_fields(r, d, kDevicePriceFields, kDevice);
  if (auto e = r.optional_map("efficiency")) d.eff = read_efficiency(*e);
  // Calibration defaults when a precision's GEMM efficiency is not given: the BF16 one.
  const double bf = d.eff.gemm_max[static_cast<std::size_t>(Precision::bf16)];
  for (auto& g : d.eff.gemm_max)
    if (g <= 0) g = bf > 0 ? bf : kGemmMaxWhenUnstated;
  if (auto m = r.optional_map("core_mesh")) {
    read_fields(*m, d, kCoreMeshFields, kDevice);
    m->finish();
  }
  r.finish();
  return d;
}

const std::vector<std::string> kBandwidthCounts{"per_direction", "both_directions"};

Level read_level(const Reader& r, const std::string& name) {
  Level l;
  l.name = name;
  const std::string topo = r.choice("topology", kTopologyNames);
  l.topology = static_cast<Topology>(std::find(kTopologyNames.begin(), kTopologyNames.end(), topo) - kTopologyNames.begin());
  l.size = static_cast<int>(r.integer("size", std::nullopt, 1, 100000000));
  if (r.has("dims")) {
    const YAML::Node& dn = r.node()["dims"];
    r.ignore("dims");
    // As many as the topology has dimensions: a list of another length was read as far as it
    // went (a probe found torus3d accepting [4, 16] and [64], with other results).
    const std::size_t want = l.topology == Topology::torus3d                                     ? 3
                             : l.topology == Topology::mesh2d || l.topology == Topology::torus2d ? 2
                                                                                                 : 0;
    if (want == 0)
      r.fail("dims", fmt::format("dims apply to mesh2d, torus2d and torus3d levels, not to a {} one", topo),
             "no dims on this level", "remove dims, or set the topology that has them");
    if (!dn.IsSequence() || dn.size() != want)
      r.fail("dims", fmt::format("a {} level takes {} dims", topo, want), want == 3 ? "e.g. [4, 4, 4]" : "e.g. [5, 5]");
    long long prod = 1;
    for (std::size_t i = 0; i < dn.size(); ++i) {
      int v = 0;
      try {
        v = dn[i].as<int>();
      } catch (const YAML::Exception&) { r.fail("dims", "dims must be whole numbers", "e.g. [5, 5]"); }
      if (v < 1) r.fail("dims", "each dimension must be at least 1");
      l.dims[i] = v;
      prod *= v;
    }
    if (prod != l.size)
      r.fail("dims", fmt::format("dims multiply to {} but size is {}", prod, l.size), "dims whose product equals size",
             "set size to the product of dims, or use a SYS:param that sets both");
  } else {
    l.dims = {l.size, 1, 1};
  }
  l.bandwidth = r.quantity("bandwidth", Dim::byte_rate, std::nullopt, Bounds{1e6, 1e16});
  l.bandwidth_both_directions = r.choice("bandwidth_counts", kBandwidthCounts, std::string("per_direction")) == "both_directions";
  if (l.bandwidth_both_directions) l.bandwidth /= 2;
  read_fields(r, l, kLevelFields, kLevel);
  // Only a fat tree uses them: on another topology they are an error, never silently
  // without effect (a probe found `--set levels.node.oversubscription=8` on a switched
  // level accepted and ignored).
  if (l.topology != Topology::fat_tree)
    for (const auto& f : kFatTreeFields)
      if (r.has(f.key))
        r.fail(f.key, fmt::format("'{}' applies to a fat_tree level; this level is {}", f.key, topo),
               "no fat-tree settings on a " + topo + " level", "set topology: fat_tree to model the switch tiers");
  read_fields(r, l, kFatTreeFields, kLevel);
  r.finish();
  return l;
}

System read_system(const std::shared_ptr<const core::Document>& doc) {
  System s;
  Reader r(doc, doc->root, "", &s.provenance);
  s.name = r.string("name");
  s.description = r.string("description", "");
  r.ignore("parameters");
  r.ignore("derived");  // written by `show system`, recomputed on reading
  if (r.has("assumptions")) {
    r.ignore("assumptions");
    for (const auto& a : doc->root["assumptions"]) s.assumptions.push_back(a.Scalar());
  }
  s.device = read_device(r.map("device"));
  const Reader levels = r.map("levels");
  for (const auto& name : levels.keys()) s.levels.push_back(read_level(levels.map(name), name));
  levels.finish();
  if (s.levels.empty()) levels.fail("", "a system needs at least one level", "e.g. node: {topology: switched, size: 8, ...}");
  if (s.device_count() > 100000000) r.fail("levels", "more than 10^8 devices is beyond what dojosim models");
  if (auto d = r.optional_map("dip")) {
    read_fields(*d, s.dip, kDipFields, kDip);
    // DIPs plug into the outer edges of a wafer's D1s, one per edge side of an edge D1: 5 per
    // tile edge and 20 per tile (T8). More cannot be attached, and would have been priced as
    // if they fed the mesh (10,000 DIPs gave a tile 320 TB/s per D1).
    if (const Level& l0 = s.levels[0]; l0.topology == Topology::mesh2d) {
      const long long tiles = s.devices_per(static_cast<int>(s.levels.size()) - 1) / l0.size;
      const long long slots = 2LL * (l0.dims[0] + l0.dims[1]);
      if (s.dip.count > tiles * slots)
        d->fail(
            "count",
            fmt::format("{} DIPs on {} {}{}: at most {} fit, one per edge side of an edge D1 ({} per {}x{} {}, T8)", s.dip.count,
                        tiles, l0.name, tiles == 1 ? "" : "s", tiles * slots, slots, l0.dims[0], l0.dims[1], l0.name),
            fmt::format("a count from 0 to {}", tiles * slots),
            "for more streaming bandwidth, raise dip.hbm_bandwidth or dip.tile_link_bandwidth");
    }
    s.dip.transport =
        parse_transport(d->choice("transport", transport_names(), std::string(transport_spec(kDip.transport).name)));
    d->finish();
  }
  s.pue = r.number("pue", kSystem.pue, Bounds{1.0, 3.0});
  s.stack = r.string("stack", kSystem.stack);
  s.stack_where = r.location("stack");
  const long long all = s.device_count();
  s.devices_used = r.integer("devices_used", 0, 0, all);
  if (s.devices_used == all) s.devices_used = 0;
  r.finish();
  return s;
}

}  // namespace

std::vector<std::string> preset_system_names() {
  std::vector<std::string> names;
  for (const auto& p : detail::system_presets()) names.emplace_back(p.name);
  return names;
}

const std::vector<std::string>& preset_device_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& p : detail::system_presets()) {
      const std::string dev = load_system(std::string(p.name)).device.name;
      if (std::find(v.begin(), v.end(), dev) == v.end()) v.push_back(dev);
    }
    return v;
  }();
  return names;
}

std::string preset_system_text(std::string_view name) {
  for (const auto& p : detail::system_presets())
    if (p.name == name) return std::string(p.text);
  return {};
}

System load_system(const std::string& spec, const std::vector<std::string>& overrides) {
  if (core::trim(spec).empty()) throw InputError({}, "empty system name", "a preset name (dojosim list systems) or a YAML file");
  core::Document doc;
  std::string preset;
  std::vector<std::string> params;
  // A file, optionally with its own declared parameters: my-cluster.yaml:nodes=4.
  std::string path = spec;
  for (const char* ext : {".yaml:", ".yml:", ".json:"})
    if (const auto k = spec.find(ext); k != std::string::npos) {
      path = spec.substr(0, k + std::char_traits<char>::length(ext) - 1);
      for (const auto& p : core::split(spec.substr(path.size() + 1), ','))
        if (!core::trim(p).empty()) params.push_back(core::trim(p));
      break;
    }
  const bool is_file =
      path.find('/') != std::string::npos || path.ends_with(".yaml") || path.ends_with(".yml") || path.ends_with(".json");
  if (is_file) {
    doc = core::load_yaml_file(path);
    preset = path;
  } else {
    auto parts = core::split(spec, ':');
    preset = core::trim(parts[0]);
    for (std::size_t i = 1; i < parts.size(); ++i)
      for (const auto& p : core::split(parts[i], ','))
        if (!core::trim(p).empty()) params.push_back(core::trim(p));
    const std::string text = preset_system_text(preset);
    if (text.empty()) {
      const auto names = preset_system_names();
      throw InputError(Location{"", 0, 0, ""}, fmt::format("unknown system '{}'", preset),
                       "a preset name or a path to a YAML file; presets: " + core::join(names, ", "),
                       core::did_you_mean(preset, names));
    }
    doc = core::parse_yaml(text, fmt::format("<preset {}>", preset));
  }
  if (!doc.root.IsMap())
    throw InputError(Location{doc.file, 1, 1, ""}, "a system file must be a YAML map", "name:, device:, levels:");
  std::vector<PresetParam> declared;
  try {
    declared = read_params(doc);
  } catch (const YAML::Exception& e) {
    throw InputError(Location{doc.file, e.mark.line + 1, e.mark.column + 1, "parameters"},
                     fmt::format("malformed preset parameters: {}", e.msg), "name: {sets: [key.path], divide: N, help: ...}");
  }
  for (const auto& p : params) apply_param(doc, declared, preset, p);
  for (const auto& o : overrides) core::apply_override(doc, o, "--set " + o);
  auto shared = std::make_shared<const core::Document>(std::move(doc));
  try {
    return read_system(shared);
  } catch (const YAML::Exception& e) {
    // Safety net: a structural surprise the typed reader did not anticipate.
    throw InputError(Location{shared->file, e.mark.line + 1, e.mark.column + 1, ""},
                     fmt::format("cannot read system: {}", e.msg));
  }
}

YAML::Node system_to_yaml(const System& s) {
  YAML::Node root;
  root["name"] = s.name;
  if (!s.description.empty()) root["description"] = s.description;
  YAML::Node dev;
  dev["name"] = s.device.name;
  for (std::size_t i = 0; i < kPrecisions; ++i)
    if (s.device.peak[i] > 0)
      dev["peak"][kPrecisionNames[i]] = fig(s.device.peak[i], Dim::flop_rate, s, "device.peak." + kPrecisionNames[i]);
  for (const auto& m : s.device.memory) {
    dev["memory"][m.name]["capacity"] = fig(m.capacity, Dim::bytes, s, "device.memory." + m.name + ".capacity");
    dev["memory"][m.name]["bandwidth"] = fig(m.bandwidth, Dim::byte_rate, s, "device.memory." + m.name + ".bandwidth");
  }
  write_fields(dev, s.device, kDeviceFields, s, "device.");
  dev["idle_power"] = fig(s.device.idle_power, Dim::watts, s, "device.idle_power");
  write_fields(dev, s.device, kDevicePriceFields, s, "device.");
  YAML::Node eff;
  for (std::size_t i = 0; i < kPrecisions; ++i)
    if (s.device.peak[i] > 0) eff["gemm_max"][kPrecisionNames[i]] = s.device.eff.gemm_max[i];
  for (std::size_t i = 0; i < kPrecisions; ++i)
    if (s.device.peak[i] > 0 && s.device.eff.gemm_k_half[i] > 0)
      eff["gemm_k_half"][kPrecisionNames[i]] = s.device.eff.gemm_k_half[i];
  write_fields(eff, s.device.eff, kEfficiencyFields, s, "device.efficiency.");
  dev["efficiency"] = eff;
  if (s.device.core_rows > 0) {
    YAML::Node mesh;
    write_fields(mesh, s.device, kCoreMeshFields, s, "device.core_mesh.");
    dev["core_mesh"] = mesh;
  }
  root["device"] = dev;
  YAML::Node derived;  // what show derives (written last, under `derived:`)
  for (const auto& l : s.levels) {
    YAML::Node n;
    const std::string p = "levels." + l.name + ".";
    n["topology"] = std::string(topology_name(l.topology));
    n["size"] = l.size;
    if (l.topology == Topology::mesh2d || l.topology == Topology::torus2d || l.topology == Topology::torus3d) {
      YAML::Node d;
      d.SetStyle(YAML::EmitterStyle::Flow);
      const int nd = l.topology == Topology::torus3d ? 3 : 2;
      for (int i = 0; i < nd; ++i) d.push_back(l.dims[static_cast<std::size_t>(i)]);
      n["dims"] = d;
    }
    n["bandwidth"] = fig(l.bandwidth * (l.bandwidth_both_directions ? 2 : 1), Dim::byte_rate, s, p + "bandwidth");
    if (l.bandwidth_both_directions || s.provenance.source.contains(p + "bandwidth_counts")) {
      YAML::Node c = fig(0, Dim::count, s, p + "bandwidth_counts");
      c["value"] = l.bandwidth_both_directions ? "both_directions" : "per_direction";
      n["bandwidth_counts"] = c;
    }
    write_fields(n, l, kLevelFields, s, p);
    if (l.topology == Topology::fat_tree) write_fields(n, l, kFatTreeFields, s, p);
    root["levels"][l.name] = n;
  }
  if (s.dip.count > 0) {
    YAML::Node d;
    write_fields(d, s.dip, kDipFields, s, "dip.");
    // The Z-plane transport and what it delivers per DIP link (hardware/transport.hpp).
    const auto& tr = transport_spec(s.dip.transport);
    const auto rate = transport_rate(tr, s.dip.ethernet_bandwidth, s.dip.ethernet_latency, s.dip.loss_rate);
    d["transport"] = tr.name;
    YAML::Node z;
    z["latency"] = core::format_quantity(rate.latency, Dim::seconds);
    z["bandwidth"] = core::format_quantity(rate.bandwidth, Dim::byte_rate);
    z["source"] = tr.source;
    derived["zplane_delivered"] = z;
    root["dip"] = d;
  }
  root["pue"] = fig(s.pue, Dim::count, s, "pue");
  root["stack"] = s.stack;
  if (s.devices_used > 0) root["devices_used"] = s.devices_used;
  // What show derives from the settings above, under one key the reader skips: the file
  // reads back into the same system (Registry.ShowReadsBack), and an edit of a derived
  // figure is not mistaken for a setting (docs/reference.md#derived).
  for (const auto& l : s.levels) derived["devices_per_instance"][l.name] = s.devices_per(static_cast<int>(&l - s.levels.data()));
  YAML::Node t;
  t["devices"] = s.device_count();
  if (s.devices_used > 0)
    t["devices_note"] = fmt::format("{} of the {} places the levels hold: the last {} partly used", s.devices_used,
                                    s.devices_per(static_cast<int>(s.levels.size()) - 1),
                                    s.levels.size() >= 2 ? s.levels[s.levels.size() - 2].name : s.levels.back().name);
  if (s.tiles() > 0) t["tiles"] = s.tiles();
  for (std::size_t i = 0; i < kPrecisions; ++i)
    if (s.device.peak[i] > 0)
      t["peak_" + kPrecisionNames[i]] =
          core::format_quantity(s.device.peak[i] * static_cast<double>(s.device_count()), Dim::flop_rate);
  for (const auto& m : s.device.memory)
    t["memory_" + m.name] = core::format_quantity(m.capacity * static_cast<double>(s.device_count()), Dim::bytes);
  if (s.dip.count > 0) t["memory_dip_hbm"] = core::format_quantity(s.dip.capacity * s.dip.count, Dim::bytes);
  if (s.dip.host_memory > 0) t["memory_host_dram"] = core::format_quantity(s.dip.host_memory * s.dip.count, Dim::bytes);
  t["tdp_devices"] = core::format_quantity(s.device.tdp * static_cast<double>(s.device_count()), Dim::watts);
  derived["totals"] = t;
  if (!s.assumptions.empty())
    for (const auto& a : s.assumptions) root["assumptions"].push_back(a);
  // The topology graph the event engine routes on (hardware/topology.hpp).
  {
    const Graph g(s);
    YAML::Node lines;
    for (const auto& line : g.summary()) lines.push_back(line);
    derived["graph"] = lines;
  }
  root["derived"] = derived;
  return root;
}

void register_hardware(core::Registry& r) {
  auto common = std::vector<core::ParamDoc>{
      {"size", "int", "", "", "children per instance of this level"},
      {"bandwidth", "bandwidth", "B/s", "",
       "switched/fat_tree: injection bandwidth per device per direction; mesh/torus/ring: per link per direction"},
      {"bandwidth_counts", "string", "", "per_direction",
       "how `bandwidth` reads: per_direction, or both_directions (the model uses half of it per direction)"},
  };
  for (auto& d : field_docs(kLevelFields, kLevel)) common.push_back(std::move(d));
  auto with = [&](std::vector<core::ParamDoc> extra) {
    auto v = common;
    v.insert(v.end(), extra.begin(), extra.end());
    return v;
  };
  r.add({"topology", "switched", "Non-blocking switch (NVSwitch, one NVLink domain): every child reaches every other in one hop.",
         common});
  r.add({"topology", "fat_tree",
         "Two- or three-tier fat tree (InfiniBand, Ethernet) with optional oversubscription at the top tier.",
         with(field_docs(kFatTreeFields, kLevel))});
  r.add({"topology", "ring", "Bidirectional ring of children.", common});
  r.add({"topology", "mesh2d",
         "Open 2D mesh (no wrap-around links): dimension-ordered routing, edge effects (Dojo tile, tray, cabinet).",
         with({{"dims", "list", "", "[size, 1]", "rows and columns; product equals size"}})});
  r.add({"topology", "torus2d", "2D torus (wrap-around links in both dimensions).",
         with({{"dims", "list", "", "", "rows, columns"}})});
  r.add({"topology", "torus3d", "3D torus (TPU v4/v5p slices).", with({{"dims", "list", "", "", "x, y, z"}})});
  std::vector<core::ParamDoc> device{
      {"name", "string", "", "", "device name"},
      {"peak.<precision>", "compute rate", "FLOP/s", "0", "peak rate per precision (bf16 required; 0 = not supported)"},
      {"memory.<tier>.capacity", "size", "B", "",
       "capacity of a memory tier: the device's own first (`hbm`, `sram`, `dram`, `gddr` or `lpddr`: it holds model "
       "state), then optionally `host` (host memory per GPU, for activation offload)"},
      {"memory.<tier>.bandwidth", "bandwidth", "B/s", "",
       "bandwidth of a memory tier (`host`: the GPU's host link per direction, PCIe or NVLink-C2C)"}};
  for (auto& d : field_docs(kDeviceFields, kDevice)) device.push_back(std::move(d));
  device.push_back(
      {"idle_power", "power", "W", fmt::format("{} x tdp", kIdleShareOfTdp), "power when idle (assumption when unstated)"});
  for (auto& d : field_docs(kDevicePriceFields, kDevice)) device.push_back(std::move(d));
  for (auto d : field_docs(kCoreMeshFields, kDevice)) {
    d.name = "core_mesh." + d.name;
    device.push_back(std::move(d));
  }
  r.add({"device", "device", "The accelerator (device: in a system file); required keys have no default.", device});
  std::vector<core::ParamDoc> eff{{"gemm_max.<precision>", "float", "", fmt::format("bf16 value, else {}", kGemmMaxWhenUnstated),
                                   "achieved fraction of peak for large GEMMs"},
                                  {"gemm_k_half.<precision>", "float", "", "0",
                                   "reduction depth K at which GEMM efficiency halves (size curve K/(K+k_half); 0 = none)"}};
  for (auto& d : field_docs(kEfficiencyFields, kEff)) eff.push_back(std::move(d));
  r.add({"efficiency", "device", "Per-device calibration of achieved vs. peak throughput (device.efficiency).", eff});
  std::vector<core::ParamDoc> dip = field_docs(kDipFields, kDip);
  dip.insert(dip.end() - 1, {"transport", "string", "", std::string(transport_spec(kDip.transport).name),
                             "Z-plane transport: " + core::join(transport_names(), ", ") + " (docs/model.md)"});
  r.add({"dip", "dip", "Dojo Interface Processors (dip: in a system file): HBM beside the tiles and the Z-plane between them.",
         dip});
}

}  // namespace dojosim::hardware
