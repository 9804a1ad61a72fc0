// Vision networks: totals, YAML descriptions (with preset parameters such as
// "tesla-video:cameras=6,frames=16", mirroring system presets), and the single model
// loader `load_workload` for transformers and vision networks alike.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "dojosim/core/text.hpp"
#include "dojosim/workload/workload.hpp"
#include "presets.hpp"

namespace dojosim::workload {

using core::InputError;
using core::Location;

SavedList op_saved(const Op& o) {
  SavedList l;
  l.add({.elems = o.saved_elems});
  if (o.kind == OpKind::attention) l.add({.elems = o.heads * o.q_len, .scores = true});  // per key
  return l;
}

double Network::params() const {
  double p = 0;
  for (const auto& o : ops) p += o.params;
  return p;
}

double Network::forward_flops() const {
  double f = 0;
  for (const auto& o : ops) f += o.flops * o.count;
  return f;
}

double Network::saved_elems() const {
  double e = 0;
  for (const auto& o : ops) e += o.saved_elems * o.count;
  return e;
}

namespace {

std::vector<long long> int_list(const core::Reader& r, const std::string& key, std::vector<long long> dflt,
                                std::size_t size = 0) {
  if (!r.has(key)) {
    // A default whose length does not match its companion list (depths given, widths left
    // to the default) would index past its end.
    if (size > 0 && dflt.size() != size)
      r.fail(key, fmt::format("'{}' is missing and its default has {} entries, not the {} needed", key, dflt.size(), size),
             fmt::format("a list of {} whole numbers >= 1", size));
    return dflt;
  }
  r.ignore(key);
  const YAML::Node& n = r.node()[key];
  const std::string expected = size > 0 ? fmt::format("a list of {} whole numbers >= 1", size) : "a list of whole numbers >= 1";
  if (!n.IsSequence() || n.size() == 0) r.fail(key, fmt::format("'{}' must be a list", key), expected);
  std::vector<long long> v;
  for (const auto& e : n) {
    long long x = 0;
    try {
      x = e.as<long long>();
    } catch (const YAML::Exception&) { r.fail(key, fmt::format("'{}' must hold whole numbers", key), expected); }
    if (x < 1 || x > 1000000) r.fail(key, fmt::format("'{}' holds {}, out of range", key, x), expected);
    v.push_back(x);
  }
  if (size > 0 && v.size() != size) r.fail(key, fmt::format("'{}' has {} entries, expected {}", key, v.size(), size), expected);
  return v;
}

Network resnet_from(const core::Reader& c, const std::string& name) {
  ResNetConfig k;
  k.depths = int_list(c, "depths", k.depths);
  k.widths = int_list(c, "widths", k.widths, k.depths.size());
  k.expansion = c.integer("expansion", 4, 1, 64);
  k.image = c.integer("image", 224, 32, 16384);
  k.classes = c.integer("classes", 1000, 1, 1000000);
  c.finish();
  return build_resnet(name, k);
}

Network vit_from(const core::Reader& c, const std::string& name) {
  VitConfig k;
  k.image = c.integer("image", 224, 8, 16384);
  k.patch = c.integer("patch", 16, 1, 1024);
  k.layers = c.integer("layers", std::nullopt, 1, 1000);
  k.hidden = c.integer("hidden", std::nullopt, 1, 100000);
  k.heads = c.integer("heads", std::nullopt, 1, 1024);
  k.mlp = c.integer("mlp", 4 * k.hidden, 1, 1000000);
  k.classes = c.integer("classes", 1000, 1, 1000000);
  if (k.image % k.patch != 0)
    c.fail("patch", fmt::format("patch {} does not divide the image size {}", k.patch, k.image), "a divisor of image");
  if (k.hidden % k.heads != 0)
    c.fail("heads", fmt::format("heads {} do not divide hidden {}", k.heads, k.hidden), "a divisor of hidden");
  c.finish();
  return build_vit(name, k);
}

Network video_from(const core::Reader& c, const std::string& name) {
  VideoNetConfig k;
  k.cameras = c.integer("cameras", k.cameras, 1, 64);
  k.height = c.integer("height", k.height, 64, 16384);
  k.width = c.integer("width", k.width, 64, 16384);
  k.frames = c.integer("frames", k.frames, 1, 1024);
  k.stem_width = c.integer("stem_width", k.stem_width, 1, 4096);
  k.stage_widths = int_list(c, "stage_widths", k.stage_widths, 5);
  k.stage_depths = int_list(c, "stage_depths", k.stage_depths, 5);
  k.group_width = c.integer("group_width", k.group_width, 1, 4096);
  k.fpn_channels = c.integer("fpn_channels", k.fpn_channels, 1, 4096);
  k.fpn_layers = c.integer("fpn_layers", k.fpn_layers, 0, 16);
  k.bev = c.integer("bev", k.bev, 2, 1024);
  k.bev_channels = c.integer("bev_channels", k.bev_channels, 1, 8192);
  k.fusion_layers = c.integer("fusion_layers", k.fusion_layers, 1, 64);
  k.fusion_heads = c.integer("fusion_heads", k.fusion_heads, 1, 256);
  k.kv_stride = c.integer("kv_stride", k.kv_stride, 8, 64);
  k.temporal_layers = c.integer("temporal_layers", k.temporal_layers, 0, 16);
  k.heads = c.integer("heads", k.heads, 0, 64);
  k.head_channels = c.integer("head_channels", k.head_channels, 1, 4096);
  for (std::size_t s = 0; s < k.stage_widths.size(); ++s)
    if (k.stage_widths[s] % k.group_width != 0 && k.stage_widths[s] > k.group_width)
      c.fail("group_width", fmt::format("group width {} does not divide stage width {}", k.group_width, k.stage_widths[s]),
             "a divisor of every stage width");
  if (k.bev_channels % k.fusion_heads != 0)
    c.fail("fusion_heads", fmt::format("fusion_heads {} do not divide bev_channels {}", k.fusion_heads, k.bev_channels),
           "a divisor of bev_channels");
  // Five stride-2 stages after a stride-2 stem: the image must keep at least one row at stride 64.
  if (k.height < 64 || k.width < 64) c.fail("height", "images must be at least 64x64 (stride 64 at the last stage)");
  const long long kmax = std::min(k.height, k.width);
  if (k.kv_stride > kmax) c.fail("kv_stride", "kv_stride exceeds the image size");
  if ((k.kv_stride & (k.kv_stride - 1)) != 0)
    c.fail("kv_stride", "kv_stride must be a power of two from 8 to 64", "8, 16, 32 or 64");
  c.finish();
  return build_video_net(name, k);
}

// Preset parameters "name:key=value,...": `parameters: {key: {sets: [config.key], help}}`.
void apply_parameters(core::Document& doc, const std::string& preset, const std::vector<std::string>& params) {
  const YAML::Node& root = doc.root;
  std::vector<std::string> names;
  std::vector<std::pair<std::string, std::vector<std::string>>> declared;
  if (root["parameters"].IsDefined() && root["parameters"].IsMap())
    for (const auto& kv : root["parameters"]) {
      // Found by fuzz/fuzz_model_yaml (fuzz/regressions/model_yaml): `sets` of a scalar.
      const YAML::Node& v = kv.second;
      const auto bad = [&](const YAML::Node& at) {
        return InputError(Location{doc.file, at.Mark().line + 1, at.Mark().column + 1, "parameters." + kv.first.Scalar()},
                          "a preset parameter must be a map with a non-empty list of key paths under 'sets'",
                          "name: {sets: [config.key], help: ...}");
      };
      // A misspelt key (`set:`, `hlep:`) or an empty list would leave the parameter
      // silently without effect, as a system's would (hardware::read_params).
      if (v.IsMap())
        for (const auto& e : v) {
          const std::string k = e.first.Scalar();
          if (k != "sets" && k != "help")
            throw InputError(Location{doc.file, e.first.Mark().line + 1, e.first.Mark().column + 1,
                                      "parameters." + kv.first.Scalar() + "." + k},
                             fmt::format("unknown key '{}'", k), "one of: sets, help", core::did_you_mean(k, {"sets", "help"}));
        }
      if (!v.IsMap() || !v["sets"].IsSequence() || v["sets"].size() == 0) throw bad(v);
      names.push_back(kv.first.Scalar());
      std::vector<std::string> paths;
      for (const auto& p : v["sets"]) {
        if (!p.IsScalar()) throw bad(p);
        paths.push_back(p.Scalar());
      }
      declared.emplace_back(kv.first.Scalar(), paths);
    }
  for (const auto& a : params) {
    const std::string origin = fmt::format("{}:{}", preset, a);
    const auto eq = a.find('=');
    if (eq == std::string::npos)
      throw InputError(Location{origin, 0, 0, ""}, fmt::format("model parameter '{}' is not name=value", a),
                       names.empty() ? "no parameters (this model has none)" : "one of: " + core::join(names, ", "));
    const std::string key = core::trim(a.substr(0, eq)), val = core::trim(a.substr(eq + 1));
    auto it = std::find_if(declared.begin(), declared.end(), [&](const auto& d) { return d.first == key; });
    if (it == declared.end())
      throw InputError(Location{origin, 0, 0, key}, fmt::format("model '{}' has no parameter '{}'", preset, key),
                       names.empty() ? "no parameters (this model has none)" : "one of: " + core::join(names, ", "),
                       core::did_you_mean(key, names));
    char* end = nullptr;
    const double d = std::strtod(val.c_str(), &end);
    if (val.empty() || *end != '\0' || d != std::floor(d) || d < 0 || d > 1e9)
      throw InputError(Location{origin, 0, 0, key}, fmt::format("'{}' must be a whole number, got '{}'", key, val),
                       "a whole number");
    for (const auto& path : it->second) core::set_path(doc, path, std::to_string(static_cast<long long>(d)), origin);
  }
}

std::string family_of(const core::Document& doc) {
  const YAML::Node& root = doc.root;
  if (root.IsMap() && root["family"].IsDefined() && root["family"].IsScalar()) return root["family"].Scalar();
  return "";
}

}  // namespace

Network network_from_yaml(const core::Reader& r) {
  const std::string name = r.string("name");
  r.string("family");
  r.ignore("parameters");
  const std::string source = r.string("source", "");
  const std::string builder = r.choice("builder", {"resnet", "vit", "video"});
  const long long batch = r.integer("batch", 0, 0, 1LL << 30);
  const core::Reader c = r.map("config");
  r.finish();
  Network n;
  try {
    if (builder == "resnet")
      n = resnet_from(c, name);
    else if (builder == "vit")
      n = vit_from(c, name);
    else
      n = video_from(c, name);
  } catch (const YAML::Exception& e) {
    throw InputError(c.location(), fmt::format("cannot read the network configuration: {}", e.msg));
  }
  n.source = source;
  if (batch > 0) n.default_gbs = batch;
  return n;
}

bool zoo_is_vision(const std::string& name) {
  const std::string text = zoo_model_text(name);
  if (text.empty()) return false;
  return family_of(core::parse_yaml(text, name)) == "vision";
}

namespace {
// A vision network's file (builder:, config:) whose `family` is not exactly `vision` would be
// read as a transformer and fail on "missing required setting 'layers'" (a probe: `family:
// vison`, `famly: vision`, `family: Vision`): point at the family instead.
void refuse_misnamed_vision(const core::Reader& r) {
  if (!r.has("builder") && !r.has("config")) return;
  const std::string expected = "family: vision beside builder: and config: (a vision network)";
  if (r.has("family")) {
    const YAML::Node& f = r.node()["family"];
    const std::string v = f.IsScalar() ? f.Scalar() : "";
    r.fail("family", fmt::format("a network with 'builder:' must be of family 'vision', not '{}'", v), expected,
           "did you mean 'vision'?");
  }
  for (const auto& k : r.keys())
    if (core::nearest(k, {"family"}) == "family")
      r.fail(k, fmt::format("unknown key '{}' (and a vision network's 'family' is missing)", k), expected,
             "did you mean 'family'?");
  r.fail("builder", "a network with 'builder:' needs 'family: vision'", expected, "add family: vision");
}

// The file a model spec names (its parameters removed: my.yaml:cameras=8), or "" for a zoo
// name; the same tests load_workload_unchecked decides by.
std::string model_file(const std::string& spec) {
  const std::string s = core::trim(spec);
  if (s.ends_with(".onnx") || s.ends_with(".json")) return s;
  std::string path = s;
  for (const char* ext : {".yaml:", ".yml:"})
    if (const auto at = s.find(ext); at != std::string::npos) {
      path = s.substr(0, at + std::string_view(ext).size() - 1);
      break;
    }
  return path.ends_with(".yaml") || path.ends_with(".yml") || path.find('/') != std::string::npos ? path : std::string();
}

Workload load_workload_unchecked(const std::string& spec) {
  const std::string s = core::trim(spec);
  Workload w;
  if (s.empty()) throw InputError({}, "empty model name", "a zoo name (dojosim list models) or a file");
  if (s.ends_with(".onnx")) {
    w.kind = Workload::Kind::network;
    w.network = import_onnx(s);
    return w;
  }
  if (s.ends_with(".json")) {
    w.transformer = load_model(s);
    return w;
  }
  core::Document doc;
  std::string preset = s;
  std::vector<std::string> params;
  // FILE.yaml:key=value,... gives a file's declared parameters, as a preset's (and as a
  // system file's: my-cluster.yaml:nodes=4).
  const std::string path = model_file(s);  // "" for a zoo name
  const bool is_file = !path.empty();
  if (is_file && path.size() < s.size()) {
    preset = path;
    for (const auto& p : core::split(s.substr(path.size() + 1), ','))
      if (!core::trim(p).empty()) params.push_back(core::trim(p));
  }
  if (is_file) {
    doc = core::load_yaml_file(path);
  } else {
    const auto parts = core::split(s, ':');
    preset = core::trim(parts[0]);
    for (std::size_t i = 1; i < parts.size(); ++i)
      for (const auto& p : core::split(parts[i], ','))
        if (!core::trim(p).empty()) params.push_back(core::trim(p));
    const std::string text = zoo_model_text(preset);
    if (text.empty()) {
      const auto names = zoo_model_names();
      throw InputError({}, fmt::format("unknown model '{}'", preset),
                       "a zoo name, a config.json, an ONNX file, or a YAML file; zoo: " + core::join(names, ", "),
                       core::did_you_mean(preset, names));
    }
    doc = core::parse_yaml(text, fmt::format("<model {}>", preset));
  }
  if (family_of(doc) != "vision") {
    if (!params.empty())
      throw InputError(Location{s, 0, 0, ""}, fmt::format("model '{}' takes no parameters", preset),
                       "parameters apply to parameterised vision presets such as tesla-video:cameras=8");
    auto shared = std::make_shared<const core::Document>(std::move(doc));
    const core::Reader r(shared, shared->root, "");
    refuse_misnamed_vision(r);
    w.transformer = model_from_yaml(r);
    return w;
  }
  apply_parameters(doc, preset, params);
  auto shared = std::make_shared<const core::Document>(std::move(doc));
  w.kind = Workload::Kind::network;
  w.network = network_from_yaml(core::Reader(shared, shared->root, ""));
  // Named by its parameters: a preset by its spec, a file by its own name and them.
  if (!params.empty()) w.network.name = is_file ? w.network.name + ":" + core::join(params, ",") : s;
  return w;
}
}  // namespace

Workload load_workload(const std::string& spec) {
  try {
    Workload w = load_workload_unchecked(spec);
    w.file = model_file(spec);
    return w;
  } catch (const YAML::Exception& e) {
    // Safety net: a structural surprise the typed readers did not anticipate is still bad
    // input, located, never an internal error.
    throw InputError(Location{core::trim(spec), e.mark.line + 1, e.mark.column + 1, ""},
                     fmt::format("cannot read model: {}", e.msg), "a model file of docs/model.md");
  }
}

YAML::Node network_to_yaml(const Network& n) {
  YAML::Node y;
  y["name"] = n.name;
  y["family"] = n.family;
  y["task"] = n.task;
  y["sample"] = n.sample;
  if (!n.source.empty()) y["source"] = n.source;
  YAML::Node in;
  in.SetStyle(YAML::EmitterStyle::Flow);
  for (auto v : n.input) in.push_back(v);
  y["input"] = in;
  y["default_global_batch"] = n.default_gbs;
  // Per-kind totals: ops, instances, parameters, forward FLOPs per sample.
  const std::vector<workload::OpKind> kinds{OpKind::conv,    OpKind::linear, OpKind::matmul, OpKind::attention, OpKind::norm,
                                            OpKind::eltwise, OpKind::pool,   OpKind::resize, OpKind::copy,      OpKind::view};
  YAML::Node ops;
  for (auto k : kinds) {
    double cnt = 0, params = 0, flops = 0, saved = 0;
    for (const auto& o : n.ops)
      if (o.kind == k) {
        cnt += 1;
        params += o.params;
        flops += o.flops * o.count;
        saved += o.saved_elems * o.count;
      }
    if (cnt == 0) continue;
    YAML::Node e;
    e["ops"] = static_cast<long long>(cnt);
    e["params"] = fmt::format("{:.6g}", params);
    e["forward_flops"] = fmt::format("{:.6g}", flops);
    e["saved_elements"] = fmt::format("{:.6g}", saved);
    ops[std::string(op_kind_name(k))] = e;
  }
  y["ops"] = ops;
  // Per part of the network (the op-name prefix before the first '.'), in order of appearance.
  if (n.task != "imported") {
    std::vector<std::string> order;
    std::map<std::string, std::array<double, 2>> parts;
    for (const auto& o : n.ops) {
      const std::string part = o.name.substr(0, o.name.find('.'));
      if (!parts.count(part)) order.push_back(part);
      parts[part][0] += o.params;
      parts[part][1] += o.flops * o.count;
    }
    if (order.size() <= 12) {
      YAML::Node pn;
      for (const auto& part : order) {
        YAML::Node e;
        e.SetStyle(YAML::EmitterStyle::Flow);
        e["params"] = fmt::format("{:.4g}", parts[part][0]);
        e["forward_gflops"] = fmt::format("{:.4g}", parts[part][1] / 1e9);
        pn[part] = e;
      }
      y["parts"] = pn;
    }
  }
  YAML::Node d;
  d["ops"] = static_cast<long long>(n.ops.size());
  d["params"] = fmt::format("{:.0f}", n.params());
  d["params_millions"] = fmt::format("{:.3f}", n.params() / 1e6);
  d["forward_flops_per_sample"] = fmt::format("{:.0f}", n.forward_flops());  // exact, as a transformer's
  d["forward_gflops_per_sample"] = fmt::format("{:.3f}", n.forward_flops() / 1e9);
  d["forward_gmacs_per_sample"] = fmt::format("{:.3f}", n.forward_macs() / 1e9);
  d["training_flops_per_sample"] = fmt::format("{:.0f}", n.training_flops());
  d["saved_activations_per_sample_bf16"] = fmt::format("{:.4g} MB", n.saved_elems() * 2.0 / 1e6);
  d["flops_convention"] = "2 FLOPs per multiply-accumulate of conv, linear, matmul and attention; other ops priced by bytes";
  y["derived"] = d;
  for (const auto& note : n.notes) y["notes"].push_back(note);
  return y;
}

YAML::Node workload_to_yaml(const Workload& w) { return w.vision() ? network_to_yaml(w.network) : model_to_yaml(w.transformer); }

}  // namespace dojosim::workload
