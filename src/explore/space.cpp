// SPACE.yaml -> Space (typed, located reading), range expansion, and point enumeration
// (cartesian and seeded random sampling). Format: docs/sweep.md.
#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>
#include <cmath>
#include <random>

#include "dojosim/core/config.hpp"
#include "dojosim/core/text.hpp"
#include "dojosim/economics/params.hpp"
#include "dojosim/economics/yield.hpp"
#include "dojosim/explore/sweep.hpp"
#include "dojosim/parallel/stack.hpp"
#include "dojosim/workload/workload.hpp"
#include "dojosim/hardware/system.hpp"
#include "dojosim/parallel/strategy.hpp"
#include "dojosim/workload/transformer.hpp"

namespace dojosim::explore {

using core::Dim;
using core::InputError;
using core::Location;
using core::Reader;

// ---- ranges ---------------------------------------------------------------------------

namespace {
double snap(double v) {
  const double r = std::round(v);
  return std::fabs(v - r) <= 1e-12 * std::max(1.0, std::fabs(v)) ? r : v;
}
}  // namespace

std::vector<double> expand_range(const Range& r) {
  std::vector<double> out;
  if (r.steps <= 0) return out;
  const long long n = r.steps;
  out.reserve(static_cast<std::size_t>(n));
  if (n == 1) {
    out.push_back(r.from);
  } else {
    const double lf = r.log ? std::log(r.from) : 0.0, lt = r.log ? std::log(r.to) : 0.0;
    const auto d = static_cast<double>(n - 1);
    for (long long i = 0; i < n; ++i) {
      double v = 0;
      if (i == 0)
        v = r.from;
      else if (i == n - 1)
        v = r.to;
      else {
        const auto a = static_cast<double>(n - 1 - i), b = static_cast<double>(i);
        v = r.log ? std::exp((a * lf + b * lt) / d) : (a * r.from + b * r.to) / d;
        v = snap(v);
      }
      out.push_back(v);
    }
  }
  if (r.round) {
    // Rounded values, each once, in order (a set of those seen: a range of 10^5 distinct
    // values was quadratic with a linear search, found by fuzzing).
    std::vector<double> uniq;
    uniq.reserve(out.size());
    std::unordered_set<double> seen;
    seen.reserve(out.size());
    for (double v : out)
      if (seen.insert(std::round(v)).second) uniq.push_back(std::round(v));
    out = std::move(uniq);
  }
  return out;
}

std::string format_value(double v, Dim d) {
  if (v == 0.0) v = 0.0;  // no "-0"
  switch (d) {
    case Dim::count: return fmt::format("{}", v);
    case Dim::usd: return fmt::format("${}", v);
    case Dim::bytes: return fmt::format("{} B", v);
    case Dim::byte_rate: return fmt::format("{} B/s", v);
    case Dim::seconds: return fmt::format("{} s", v);
    case Dim::hertz: return fmt::format("{} Hz", v);
    case Dim::flops: return fmt::format("{} FLOP", v);
    case Dim::flop_rate: return fmt::format("{} FLOP/s", v);
    case Dim::watts: return fmt::format("{} W", v);
    case Dim::joules: return fmt::format("{} J", v);
  }
  return fmt::format("{}", v);
}

// ---- Space ------------------------------------------------------------------------------

namespace {

std::string_view dim_key(Dim d) {
  switch (d) {
    case Dim::count: return "count";
    case Dim::bytes: return "bytes";
    case Dim::seconds: return "seconds";
    case Dim::hertz: return "hertz";
    case Dim::flops: return "flops";
    case Dim::flop_rate: return "flop_rate";
    case Dim::byte_rate: return "byte_rate";
    case Dim::watts: return "watts";
    case Dim::joules: return "joules";
    case Dim::usd: return "usd";
  }
  return "count";
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace

long long Space::size() const {
  if (sampling == Sampling::random) return samples;
  long long n = 1;
  auto mul = [&n](std::size_t k) {
    const auto kk = static_cast<long long>(k);
    if (kk == 0) {
      n = 0;
      return;
    }
    n = n > kMaxPoints / kk ? kMaxPoints + 1 : n * kk;
  };
  mul(systems.size());
  for (const auto& a : set) mul(a.values.size());
  mul(models.size());
  mul(strategies.size());
  mul(seqs.size());
  mul(precisions.size());
  return n;
}

nlohmann::ordered_json Space::canonical() const {
  nlohmann::ordered_json j;
  j["format"] = "dojosim-sweep-space/1";
  j["systems"] = systems;
  j["models"] = models;
  auto axes = nlohmann::ordered_json::array();
  for (const auto& a : set) {
    nlohmann::ordered_json x;
    x["key"] = a.key;
    if (a.range) {
      x["range"] = {{"from", a.range->from},
                    {"to", a.range->to},
                    {"scale", a.range->log ? "log" : "linear"},
                    {"round", a.range->round},
                    {"dim", dim_key(a.range->dim)}};
    } else {
      x["values"] = a.values;
    }
    axes.push_back(std::move(x));
  }
  j["set"] = std::move(axes);
  j["strategies"] = strategies;
  j["objective"] = objective;
  j["seqs"] = seqs;
  j["precisions"] = precisions;
  if (!stack.empty()) j["stack"] = stack;  // absent for the default, so older stores keep their hash
  if (sampling == Sampling::random)
    j["sampling"] = {{"random", samples}, {"seed", seed}};
  else
    j["sampling"] = "cartesian";
  return j;
}

std::string Space::hash() const {
  return fmt::format("{:016x}", fnv1a(canonical().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
}

std::vector<std::string> Space::set_keys() const {
  std::vector<std::string> k;
  for (const auto& a : set) k.push_back(a.key);
  return k;
}

namespace {

Location node_location(const std::string& file, const YAML::Node& n, const std::string& path) {
  Location loc;
  loc.file = file;
  const auto m = n.Mark();
  if (m.line >= 0) {
    loc.line = m.line + 1;
    loc.column = m.column + 1;
  }
  loc.key_path = path;
  return loc;
}

// A value of a list (or a lone scalar), with where it was written.
struct Item {
  std::string text;
  Location where;
};

// Reads `key` as a scalar or a list of scalars. Absent: required -> the Reader's
// "missing required setting" error (with a typo hint), else an empty list.
std::vector<Item> scalar_list(const Reader& r, const std::string& key, bool required, const std::string& expected) {
  if (!r.has(key)) {
    if (required) (void)r.string(key);  // throws the located "missing" error
    r.ignore(key);
    return {};
  }
  r.ignore(key);
  const std::string file = r.location(key).file;
  const YAML::Node& map = r.node();
  const YAML::Node v = map[key];
  std::vector<Item> out;
  if (v.IsScalar()) {
    out.push_back({v.Scalar(), r.location(key)});
  } else if (v.IsSequence()) {
    std::size_t i = 0;
    for (const auto& e : v) {
      const std::string path = fmt::format("{}[{}]", key, i++);
      if (!e.IsScalar())
        throw InputError(node_location(file, e, path), fmt::format("'{}' must be a single value", path), expected);
      out.push_back({e.Scalar(), node_location(file, e, path)});
    }
    if (out.empty()) r.fail(key, fmt::format("'{}' is an empty list", key), expected);
  } else {
    r.fail(key, fmt::format("'{}' must be a value or a list of values", key), expected);
  }
  return out;
}

// Re-throws a library InputError (which knows nothing of the space file) at `where`.
[[noreturn]] void relocate(const core::Error& e, const Location& where, const std::string& what) {
  std::string msg = fmt::format("{}: {}", what, e.message());
  if (!e.location().key_path.empty() && e.location().file.empty()) msg = fmt::format("{} ({})", msg, e.location().key_path);
  throw InputError(where, msg, e.expected(), e.suggestion());
}

// Which dimension a range's endpoints are in: the unit decides; bare numbers are counts
// (or in the base unit of the other endpoint's dimension).
Dim range_dim(const Reader& rr, const std::string& from, const std::string& to) {
  static constexpr Dim kDims[] = {Dim::count,   Dim::bytes, Dim::byte_rate, Dim::flop_rate, Dim::flops,
                                  Dim::seconds, Dim::hertz, Dim::watts,     Dim::joules,    Dim::usd};
  auto dims_of = [](const std::string& t) {
    std::vector<Dim> ds;
    for (Dim d : kDims) {
      try {
        (void)core::parse_quantity(t, d);
        ds.push_back(d);
      } catch (const InputError&) {}
    }
    return ds;
  };
  const auto df = dims_of(from), dt = dims_of(to);
  if (df.empty())
    rr.fail("from", fmt::format("cannot read '{}' as a number (with an optional unit)", from),
            "a number with an optional unit, e.g. 440 MB, 2 TB/s, $3000, 64");
  if (dt.empty())
    rr.fail("to", fmt::format("cannot read '{}' as a number (with an optional unit)", to),
            "a number with an optional unit, e.g. 8 GB, 4 TB/s, $5000, 1024");
  std::vector<Dim> both;
  for (Dim d : df)
    if (std::find(dt.begin(), dt.end(), d) != dt.end()) both.push_back(d);
  if (both.empty())
    rr.fail("to",
            fmt::format("'{}' and '{}' are not in the same unit ({} vs {})", from, to,
                        core::dim_name(df.size() == 1 ? df[0] : dt[0]), core::dim_name(dt.size() == 1 ? dt[0] : df[0])),
            "both ends of a range in the same kind of unit");
  return both[0] == Dim::count && both.size() > 1 ? Dim::count : both[0];
}

Axis read_axis(const Reader& set, const std::string& key, bool cartesian, std::vector<Item>& probes) {
  Axis a;
  a.key = key;
  const YAML::Node& map = set.node();
  const YAML::Node v = map[key];
  const std::string file = set.location(key).file;
  const std::string path = fmt::format("set.{}", key);
  const std::string expected = "a value, a list of values, or a range {from: 440 MB, to: 8 GB, steps: 8, scale: log}";
  if (v.IsScalar()) {
    set.ignore(key);
    a.values.push_back(v.Scalar());
    probes.push_back({v.Scalar(), set.location(key)});
  } else if (v.IsSequence()) {
    set.ignore(key);
    std::size_t i = 0;
    for (const auto& e : v) {
      const std::string p = fmt::format("{}[{}]", path, i++);
      if (!e.IsScalar()) throw InputError(node_location(file, e, p), fmt::format("'{}' must be a single value", p), expected);
      a.values.push_back(e.Scalar());
      probes.push_back({e.Scalar(), node_location(file, e, p)});
    }
    if (a.values.empty()) set.fail(key, fmt::format("'{}' is an empty list", path), expected);
  } else if (v.IsMap()) {
    const Reader rr = set.map(key);
    Range rg;
    const std::string from = rr.string("from"), to = rr.string("to");
    rg.dim = range_dim(rr, from, to);
    rg.from = core::parse_quantity(from, rg.dim);
    rg.to = core::parse_quantity(to, rg.dim);
    if (cartesian)
      rg.steps = rr.integer("steps", std::nullopt, 1, kMaxSteps);
    else
      rg.steps = rr.integer("steps", 0, 1, kMaxSteps);
    rg.log = rr.choice("scale", {"linear", "log"}, "linear") == "log";
    rg.round = rr.boolean("round", false);
    rr.finish();
    if (rg.log && (rg.from <= 0 || rg.to <= 0))
      rr.fail(rg.from <= 0 ? "from" : "to", "a log range needs both ends greater than zero", "from > 0 and to > 0",
              "use scale: linear for ranges that include zero");
    if (rg.steps == 1 && rg.from != rg.to)
      rr.fail("steps", "steps: 1 would keep 'from' and drop 'to'", "steps of at least 2 (or from equal to to)");
    probes.push_back({format_value(rg.from, rg.dim), rr.location("from")});
    probes.push_back({format_value(rg.to, rg.dim), rr.location("to")});
    if (rg.steps > 0) {
      for (double x : expand_range(rg)) a.values.push_back(format_value(x, rg.dim));
    } else {
      a.range = rg;  // random sampling draws from the continuous range
    }
  } else {
    set.fail(key, fmt::format("'{}' has no value", path), expected);
  }
  return a;
}

// A set key must be a key of at least one system (else it is a typo), and its values
// must be accepted where it exists. Combinations a system cannot take are left to the
// points (status invalid).
void check_axis(const Space& s, const Axis& a, const std::vector<Item>& probes, const Location& key_loc) {
  if (economics::is_economics_key(a.key)) {
    // As `dojosim run` refuses it: a key that cannot act on any point of the space.
    economics::KeyUse use;
    use.systems = core::join(s.systems, ", ");
    for (const auto& name : s.systems) {
      try {
        const auto sys = hardware::load_system(name);
        use.tile_system = use.tile_system || economics::tile_level(sys) >= 0;
      } catch (const core::Error&) {}  // the system's own error is reported where it is read
    }
    economics::reject_without_effect(a.key, use, key_loc);
    for (const auto& p : probes) {
      economics::EconomicsParams params;
      try {
        economics::apply_override(params, a.key + "=" + p.text, "set");
      } catch (const core::Error& e) { relocate(e, p.where, fmt::format("set {}={}", a.key, p.text)); }
    }
    return;
  }
  if (a.key.starts_with("stack.")) {
    // A stack key: every value must be accepted by the space's stack, or by each system's
    // default stack when the space names none.
    std::vector<std::string> stacks;
    if (!s.stack.empty()) {
      stacks.push_back(s.stack);
    } else {
      for (const auto& sys : s.systems) {
        std::string name;
        try {
          name = parallel::default_stack_name(hardware::load_system(sys));
        } catch (const core::Error&) { continue; }  // the system's own error is reported where it is read
        if (std::find(stacks.begin(), stacks.end(), name) == stacks.end()) stacks.push_back(name);
      }
    }
    for (const auto& name : stacks)
      for (const auto& p : probes) {
        try {
          (void)parallel::load_stack(name, {a.key.substr(6) + "=" + p.text});
        } catch (const core::Error& e) { relocate(e, p.where, fmt::format("set {}={} on stack {}", a.key, p.text, name)); }
      }
    return;
  }
  std::vector<std::string> tried;
  std::optional<InputError> first;
  for (const auto& sys : s.systems) {
    if (std::find(tried.begin(), tried.end(), sys) != tried.end()) continue;
    tried.push_back(sys);
    try {
      (void)hardware::load_system(sys, {a.key + "=" + probes.front().text});
    } catch (const core::Error& e) {
      if (!first) first.emplace(e.location(), e.message(), e.expected(), e.suggestion());
      continue;
    }
    // The key exists here: every value (up to 16 of them) must be accepted.
    const std::size_t n = probes.size();
    for (std::size_t i = 1; i < n; ++i) {
      if (n > 16 && i >= 15 && i + 1 != n) continue;
      try {
        (void)hardware::load_system(sys, {a.key + "=" + probes[i].text});
      } catch (const core::Error& e) { relocate(e, probes[i].where, fmt::format("set {}={} on {}", a.key, probes[i].text, sys)); }
    }
    return;
  }
  if (first)
    relocate(*first, key_loc,
             fmt::format("set {}: no system of the space accepts it (tried {})", a.key, core::join(tried, ", ")));
}

}  // namespace

Space parse_space(const std::string& text, const std::string& file) {
  auto doc = std::make_shared<const core::Document>(core::parse_yaml(text, file));
  const Reader r(doc, doc->root, "");
  Space s;
  s.file = file;
  s.name = r.string("name", "");
  s.description = r.string("description", "");

  for (const auto& it :
       scalar_list(r, "systems", true, "a list of systems: presets (dojo-exapod, dgx-h100:nodes=64) or YAML files")) {
    try {
      (void)hardware::load_system(it.text);
    } catch (const core::Error& e) { relocate(e, it.where, fmt::format("system '{}'", it.text)); }
    s.systems.push_back(core::trim(it.text));
  }
  for (const auto& it :
       scalar_list(r, "models", true,
                   "a list of models: zoo names (gpt3-175b, resnet50, tesla-video:cameras=8), config.json, ONNX or YAML files")) {
    try {
      (void)workload::load_workload(it.text);
    } catch (const core::Error& e) { relocate(e, it.where, fmt::format("model '{}'", it.text)); }
    s.models.push_back(core::trim(it.text));
  }
  for (const auto& it : scalar_list(r, "strategy", false, "best, or a SPEC such as tp=8,pp=4,dp=2 (a list for several)")) {
    const std::string t = core::trim(it.text);
    if (t.empty())
      throw core::InputError(it.where, "an empty strategy", "best, or a SPEC such as tp=8,pp=4,dp=2",
                             "write `best` for the fastest feasible plan");
    if (core::to_lower(t) == "best") {
      s.strategies.emplace_back("best");
      continue;
    }
    try {
      (void)parallel::parse_strategy(t);
    } catch (const core::Error& e) { relocate(e, it.where, fmt::format("strategy '{}'", t)); }
    s.strategies.push_back(t);
  }
  if (s.strategies.empty()) s.strategies.emplace_back("best");
  s.objective = r.choice("objective", {"time", "cost", "energy"}, "time");
  for (const auto& it : scalar_list(r, "seq", false, "a sequence length in tokens (or a list), e.g. 2048")) {
    char* end = nullptr;
    const std::string t = core::trim(it.text);
    const double d = std::strtod(t.c_str(), &end);
    if (t.empty() || end == nullptr || *end != '\0' || !std::isfinite(d) || d != std::floor(d) || d < 1 || d > double(1LL << 24))
      throw InputError(it.where, fmt::format("sequence length '{}' is not a whole number from 1 to 16777216", t),
                       "a sequence length in tokens, e.g. 2048");
    s.seqs.push_back(static_cast<long long>(d));
  }
  if (s.seqs.empty()) s.seqs.push_back(0);
  for (const auto& it : scalar_list(r, "precision", false, "a precision (or a list): bf16, fp16, fp8, cfp8")) {
    try {
      s.precisions.emplace_back(hardware::precision_name(hardware::parse_training_precision(core::trim(it.text))));
    } catch (const core::Error& e) { relocate(e, it.where, "precision"); }
  }
  if (s.precisions.empty()) s.precisions.emplace_back("bf16");
  s.stack = r.string("stack", "");
  if (!s.stack.empty()) {
    try {
      (void)parallel::load_stack(s.stack);
    } catch (const core::Error& e) { relocate(e, r.location("stack"), "stack"); }
  }

  if (r.has("sampling")) {
    const YAML::Node& root = r.node();
    if (root["sampling"].IsMap()) {
      const Reader m = r.map("sampling");
      s.sampling = Sampling::random;
      s.samples = m.integer("random", std::nullopt, 1, kMaxPoints);
      s.seed = static_cast<std::uint64_t>(m.integer("seed", 1, 0, (1LL << 53)));
      m.finish();
    } else {
      const std::string c = r.choice("sampling", {"cartesian", "random"});
      if (c == "random") r.fail("sampling", "random sampling needs a number of points", "sampling: {random: 1000, seed: 1}");
    }
  } else {
    r.ignore("sampling");
  }

  std::vector<std::vector<Item>> probes;
  std::vector<Location> key_locs;
  if (auto set = r.optional_map("set")) {
    for (const auto& key : set->keys()) {
      if (core::trim(key).empty() || key.find('=') != std::string::npos)
        set->fail(key, fmt::format("'{}' is not a key path", key), "a dotted key such as device.memory.sram.capacity");
      probes.emplace_back();
      key_locs.push_back(set->location(key));
      s.set.push_back(read_axis(*set, key, s.sampling == Sampling::cartesian, probes.back()));
    }
    set->finish();
  }
  r.finish();

  for (std::size_t i = 0; i < s.set.size(); ++i) check_axis(s, s.set[i], probes[i], key_locs[i]);

  if (s.size() > kMaxPoints)
    throw InputError(Location{file, 0, 0, ""}, fmt::format("the space has more than {} points", kMaxPoints), "a smaller space",
                     "sample it: sampling: {random: 100000, seed: 1}");
  return s;
}

Space load_space(const std::string& path) { return parse_space(core::read_text_file(path), path); }

// ---- points -------------------------------------------------------------------------------

std::string Point::overrides() const {
  std::string o;
  for (const auto& [k, v] : set) {
    if (!o.empty()) o += ';';
    o += k + "=" + v;
  }
  return o;
}

nlohmann::ordered_json Point::inputs_json() const {
  nlohmann::ordered_json j;
  j["system"] = system;
  j["model"] = model;
  nlohmann::ordered_json sj = nlohmann::ordered_json::object();
  for (const auto& [k, v] : set) sj[k] = v;
  j["set"] = std::move(sj);
  j["strategy"] = strategy;
  j["objective"] = objective;
  j["seq"] = seq;
  j["precision"] = precision;
  if (!stack.empty()) j["stack"] = stack;
  return j;
}

nlohmann::ordered_json Point::to_json() const {
  // The wire form: like inputs_json() but `set` as a list of [key, value] pairs, which
  // keeps the axis order whatever JSON type the receiver parses into.
  nlohmann::ordered_json j;
  j["id"] = id;
  j["system"] = system;
  j["model"] = model;
  nlohmann::ordered_json sj = nlohmann::ordered_json::array();
  for (const auto& [k, v] : set) sj.push_back({k, v});
  j["set"] = std::move(sj);
  j["strategy"] = strategy;
  j["objective"] = objective;
  j["seq"] = seq;
  j["precision"] = precision;
  if (!stack.empty()) j["stack"] = stack;
  return j;
}

Point Point::from_json(const nlohmann::json& j) {
  try {
    Point p;
    p.id = j.at("id").get<long long>();
    p.system = j.at("system").get<std::string>();
    p.model = j.at("model").get<std::string>();
    for (const auto& kv : j.at("set")) p.set.emplace_back(kv.at(0).get<std::string>(), kv.at(1).get<std::string>());
    p.strategy = j.at("strategy").get<std::string>();
    p.objective = j.at("objective").get<std::string>();
    p.seq = j.at("seq").get<long long>();
    p.precision = j.at("precision").get<std::string>();
    if (j.contains("stack")) p.stack = j.at("stack").get<std::string>();
    return p;
  } catch (const nlohmann::json::exception& e) { throw std::runtime_error(fmt::format("malformed point message: {}", e.what())); }
}

Point point_at(const Space& s, long long id) {
  Point p;
  p.id = id;
  p.objective = s.objective;
  p.stack = s.stack;
  if (s.sampling == Sampling::cartesian) {
    // Mixed radix, last axis fastest: systems, set axes, models, strategies, seqs, precisions.
    long long rest = id;
    auto digit = [&rest](std::size_t n) {
      const auto k = static_cast<long long>(n);
      const auto d = static_cast<std::size_t>(rest % k);
      rest /= k;
      return d;
    };
    p.precision = s.precisions[digit(s.precisions.size())];
    p.seq = s.seqs[digit(s.seqs.size())];
    p.strategy = s.strategies[digit(s.strategies.size())];
    p.model = s.models[digit(s.models.size())];
    std::vector<std::pair<std::string, std::string>> set(s.set.size());
    for (std::size_t i = s.set.size(); i-- > 0;) set[i] = {s.set[i].key, s.set[i].values[digit(s.set[i].values.size())]};
    p.set = std::move(set);
    p.system = s.systems[digit(s.systems.size())];
    return p;
  }
  // Random: point i has its own generator, so any process draws it without the others.
  std::mt19937_64 rng(splitmix64(s.seed ^ splitmix64(static_cast<std::uint64_t>(id))));
  auto pick = [&rng](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  p.system = s.systems[pick(s.systems.size())];
  for (const auto& a : s.set) {
    if (a.range) {
      const Range& r = *a.range;
      const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
      double v = r.log ? std::exp(std::log(r.from) + u * (std::log(r.to) - std::log(r.from))) : r.from + u * (r.to - r.from);
      v = r.round ? std::round(v) : snap(v);
      p.set.emplace_back(a.key, format_value(v, r.dim));
    } else {
      p.set.emplace_back(a.key, a.values[pick(a.values.size())]);
    }
  }
  p.model = s.models[pick(s.models.size())];
  p.strategy = s.strategies[pick(s.strategies.size())];
  p.seq = s.seqs[pick(s.seqs.size())];
  p.precision = s.precisions[pick(s.precisions.size())];
  return p;
}

}  // namespace dojosim::explore
