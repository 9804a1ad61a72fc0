// Software stacks (contract in parallel/stack.hpp; the model in docs/model.md#stacks).
#include "dojosim/parallel/stack.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "dojosim/core/text.hpp"
#include "stack_presets.hpp"

namespace dojosim::parallel {

using core::Bounds;
using core::Dim;
using core::InputError;
using core::Location;
using core::Reader;

namespace {

// Defaults of every stack key, written once: the reader's defaults and the registry's
// documentation both come from this value.
const Stack kDefaults{};

// The 16- or 32-bit state and communication dtypes a stack names (optimizer state, ZeRO-3
// gradient reduction): bytes per element <-> name.
const char* dtype_name(double bytes) { return bytes == 2.0 ? "bf16" : "fp32"; }
double dtype_bytes(const std::string& name) { return name == "bf16" ? 2.0 : 4.0; }

// The range of each key a stack and its per-device entries share, written once.
constexpr Bounds kKernelOverheadBounds{0.0, 1e-2, true};
constexpr Bounds kAttentionEfficiencyBounds{0.01, 1.0};
constexpr Bounds kOverlapBounds{0.0, 1.0, true};

DeviceTuning read_tuning(const Reader& r) {
  DeviceTuning t;
  if (auto g = r.optional_map("gemm_max")) {
    const auto& names = hardware::precision_names();
    for (std::size_t i = 0; i < names.size(); ++i) t.gemm_max[i] = g->number(names[i], 0.0, Bounds{0.0, 1.0, false});
    g->finish();
  }
  // The ranges of the stack-level keys (read_stack). Left out, a key keeps DeviceTuning's
  // "not set" value (-1, 0, -1); given, it must be in range: a probe found `kernel_overhead:
  // -1 s`, `tp_overlap: -0.5` and `attention_efficiency: 0` accepted and meaning "not set".
  t.kernel_overhead = r.quantity("kernel_overhead", Dim::seconds, t.kernel_overhead, kKernelOverheadBounds);
  t.attention_efficiency = r.number("attention_efficiency", t.attention_efficiency, kAttentionEfficiencyBounds);
  t.tp_overlap = r.number("tp_overlap", t.tp_overlap, kOverlapBounds);
  if (r.has("attention_kernel"))
    t.attention_kernel = r.choice("attention_kernel", {"flash", "unfused"}, "flash") == "flash" ? 1 : 0;
  r.finish();
  return t;
}

Stack read_stack(const std::shared_ptr<const core::Document>& doc) {
  Stack s;
  Reader r(doc, doc->root, "", &s.provenance);
  s.name = r.string("name");
  s.description = r.string("description", "");
  s.assumption = r.boolean("assumption", false);
  r.ignore("sources");  // written by `show stack`: where each figure came from, not a setting
  if (auto a = r.optional_map("attention")) {
    s.flash_attention = a->choice("kernel", {"flash", "unfused"}, kDefaults.flash_attention ? "flash" : "unfused") == "flash";
    s.attention_efficiency = a->number("efficiency", kDefaults.attention_efficiency, kAttentionEfficiencyBounds);
    a->finish();
  }
  s.kernel_overhead = r.quantity("kernel_overhead", Dim::seconds, kDefaults.kernel_overhead, kKernelOverheadBounds);
  if (auto o = r.optional_map("overlap")) {
    s.tp_overlap = o->number("tp", kDefaults.tp_overlap, kOverlapBounds);
    s.dp_overlap = o->boolean("dp", kDefaults.dp_overlap);
    s.pp_overlap = o->number("pp", kDefaults.pp_overlap, Bounds{0.0, 1.0, true});
    s.pp_steady_overlap = o->boolean("pp_steady", kDefaults.pp_steady_overlap);
    s.cp_overlap = o->boolean("cp", kDefaults.cp_overlap);
    o->finish();
  }
  if (auto p = r.optional_map("pipeline")) {
    s.pipeline_interleaved = p->boolean("interleaved", kDefaults.pipeline_interleaved);
    s.pipeline_max_zero = static_cast<int>(p->integer("zero", kDefaults.pipeline_max_zero, 0, 3));
    p->finish();
  }
  if (auto z = r.optional_map("zero3")) {
    s.zero3_prefetch = static_cast<int>(z->integer("prefetch", kDefaults.zero3_prefetch, 0, 64));
    s.zero3_reduce_bytes = dtype_bytes(z->choice("reduce", {"bf16", "fp32"}, dtype_name(kDefaults.zero3_reduce_bytes)));
    z->finish();
  }
  if (auto f = r.optional_map("fp8")) {
    s.fp8_cast_kernels = f->boolean("cast_kernels", kDefaults.fp8_cast_kernels);
    f->finish();
  }
  if (auto e = r.optional_map("elementwise")) {
    s.fused_elementwise = e->boolean("fused", kDefaults.fused_elementwise);
    e->finish();
  }
  if (auto o = r.optional_map("offload")) {
    s.activation_offload = o->boolean("activations", kDefaults.activation_offload);
    o->finish();
  }
  if (auto o = r.optional_map("optimizer")) {
    s.optimizer_master_bytes = dtype_bytes(o->choice("master", {"fp32", "bf16"}, dtype_name(kDefaults.optimizer_master_bytes)));
    s.optimizer_moment_bytes = dtype_bytes(o->choice("moments", {"fp32", "bf16"}, dtype_name(kDefaults.optimizer_moment_bytes)));
    s.distributed_grad_bytes = dtype_bytes(o->choice("grads", {"bf16", "fp32"}, dtype_name(kDefaults.distributed_grad_bytes)));
    o->finish();
  }
  if (auto d = r.optional_map("devices")) {
    for (const auto& key : d->keys()) {
      DeviceTuning t = read_tuning(d->map(key));
      t.where = d->location(key);
      s.devices.emplace(key, t);
    }
    d->finish();
  }
  r.finish();
  return s;
}

// The tuning entry for a device: the longest key that is a prefix of its name ("h100"
// matches "h100-sxm"), or null.
const DeviceTuning* tuning_for(const Stack& s, const std::string& device) {
  const DeviceTuning* best = nullptr;
  std::size_t len = 0;
  for (const auto& [key, t] : s.devices)
    if (device.starts_with(key) && key.size() >= len) {
      best = &t;
      len = key.size();
    }
  return best;
}

// A per-device entry is a name prefix, so a misspelt one ("h1OO", "H100") matches nothing
// and would be silently ignored. When no entry matches the device being bound, an entry
// that starts no preset device's name but is a near miss of this device's name is refused.
// (A name far from it is another device's: a custom system's, or a preset's.)
void check_near_miss(const Stack& s, const std::string& device) {
  if (s.devices.empty()) return;  // allocation-free for the neutral binding (search loops)
  const auto& presets = hardware::preset_device_names();
  std::vector<std::string> prefixes;
  for (std::size_t i = device.find('-'); i != std::string::npos; i = device.find('-', i + 1))
    prefixes.push_back(device.substr(0, i));
  prefixes.push_back(device);
  for (const auto& entry : s.devices) {
    const std::string& key = entry.first;  // a named copy: clang cannot capture a structured binding
    const DeviceTuning& t = entry.second;
    if (std::any_of(presets.begin(), presets.end(), [&](const std::string& n) { return n.starts_with(key); })) continue;
    if (const std::string near = core::nearest(key, prefixes); !near.empty())
      throw InputError(t.where,
                       fmt::format("stack '{}': the entry devices.{} is the start of no device's name, so it applies to no "
                                   "device (this system's is {})",
                                   s.name, key, device),
                       "the start of a device's name (" + core::join(presets, ", ") + ") or of a custom system's device",
                       fmt::format("did you mean '{}'?", near));
  }
}

}  // namespace

Software bind(const Stack& stack, const hardware::Device& device) {
  Software w;
  w.flash_attention = stack.flash_attention;
  w.attention_efficiency = stack.attention_efficiency;
  w.kernel_overhead = stack.kernel_overhead;
  w.tp_overlap = stack.tp_overlap;
  w.dp_overlap = stack.dp_overlap;
  w.pp_overlap = stack.pp_overlap;
  w.pp_steady_overlap = stack.pp_steady_overlap;
  w.cp_overlap = stack.cp_overlap;
  w.zero3_prefetch = stack.zero3_prefetch;
  w.pipeline_interleaved = stack.pipeline_interleaved;
  w.pipeline_max_zero = stack.pipeline_max_zero;
  w.zero3_reduce_bytes = stack.zero3_reduce_bytes;
  w.fp8_cast_kernels = stack.fp8_cast_kernels;
  w.fused_elementwise = stack.fused_elementwise;
  w.activation_offload = stack.activation_offload;
  w.optimizer_state_bytes = stack.optimizer_master_bytes + 2.0 * stack.optimizer_moment_bytes;
  w.distributed_grad_bytes = stack.distributed_grad_bytes;
  w.gemm_max = device.eff.gemm_max;
  const DeviceTuning* tuning = tuning_for(stack, device.name);
  if (tuning == nullptr) check_near_miss(stack, device.name);
  if (const DeviceTuning* t = tuning) {
    w.tuned = true;
    // A precision the entry leaves out keeps the device's ratio to BF16 under the tuned BF16.
    const auto bf = static_cast<std::size_t>(hardware::Precision::bf16);
    const double bf_tuned = t->gemm_max[bf];
    for (std::size_t i = 0; i < w.gemm_max.size(); ++i) {
      if (t->gemm_max[i] > 0)
        w.gemm_max[i] = t->gemm_max[i];
      else if (bf_tuned > 0 && device.eff.gemm_max[bf] > 0)
        w.gemm_max[i] = device.eff.gemm_max[i] * bf_tuned / device.eff.gemm_max[bf];
    }
    if (t->kernel_overhead >= 0) w.kernel_overhead = t->kernel_overhead;
    if (t->attention_efficiency > 0) w.attention_efficiency = t->attention_efficiency;
    if (t->tp_overlap >= 0) w.tp_overlap = t->tp_overlap;
    if (t->attention_kernel >= 0) w.flash_attention = t->attention_kernel == 1;
  }
  return w;
}

Software bind(const Stack& stack, const hardware::System& sys) {
  Software w = bind(stack, sys.device);
  // A GEMM efficiency the user sets on the device (--set device.efficiency.gemm_max.bf16,
  // a sweep's `set`) is what runs: the stack's tuning for the device does not shadow it.
  const auto& names = hardware::precision_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto it = sys.provenance.source.find("device.efficiency.gemm_max." + names[i]);
    if (it != sys.provenance.source.end() && it->second.starts_with("override")) w.gemm_max[i] = sys.device.eff.gemm_max[i];
  }
  return w;
}

Software neutral_software(const hardware::Device& device) { return bind(kDefaults, device); }

std::string uncalibrated_gemm_note(const Stack& stack, const hardware::System& sys, hardware::Precision p) {
  const hardware::Device& d = sys.device;
  if (d.core_rows > 0 && d.core_issue_efficiency > 0) return {};  // GEMMs priced core by core (Dojo D1)
  const auto i = static_cast<std::size_t>(p);
  const DeviceTuning* t = tuning_for(stack, d.name);
  if (t != nullptr && (t->gemm_max[i] > 0 || t->gemm_max[static_cast<std::size_t>(hardware::Precision::bf16)] > 0)) return {};
  const std::string path = fmt::format("device.efficiency.gemm_max.{}", hardware::precision_name(p));
  const std::string source = sys.provenance.stated.contains(path) || sys.provenance.source.contains(path)
                                 ? sys.provenance.origin(path)
                                 : std::string("default");
  if (source == "calibration") return {};
  return fmt::format(
      "{} under {}: GEMM efficiency {:.3g} ({}) is not calibrated by any measured run of this pair "
      "(docs/validation.md#gemm-transfer)",
      d.name, stack.name, d.eff.gemm_max[i], source == "assumption" ? "assumption, derived from GEMM benchmarks" : source);
}

std::vector<std::string> preset_stack_names() {
  std::vector<std::string> names;
  for (const auto& p : detail::stack_presets()) names.emplace_back(p.name);
  return names;
}

std::string preset_stack_text(std::string_view name) {
  for (const auto& p : detail::stack_presets())
    if (p.name == name) return std::string(p.text);
  return {};
}

Stack load_stack(const std::string& spec_text, const std::vector<std::string>& overrides) {
  // NAME:key=value,key=value (the overrides of a spec, as in system specs).
  const std::string spec = core::trim(spec_text);
  std::string name = spec;
  std::vector<std::string> spec_overrides;
  if (const auto colon = spec.find(':'); colon != std::string::npos) {
    name = core::trim(spec.substr(0, colon));
    for (const auto& kv : core::split(spec.substr(colon + 1), ',')) {
      const std::string item = core::trim(kv);
      if (item.empty() || item.find('=') == std::string::npos || item.front() == '=')
        throw InputError(Location{"--stack", 0, 0, "stack"}, fmt::format("bad stack override '{}' in '{}'", item, spec),
                         "NAME:key=value,key=value, e.g. megatron-core:optimizer.moments=bf16 (dojosim show stack NAME)");
      spec_overrides.push_back(item);
    }
  }
  if (name.empty())
    throw InputError(Location{"--stack", 0, 0, "stack"}, "empty stack name", "a stack name (dojosim list stacks) or a YAML file");
  const bool is_file = name.find('/') != std::string::npos || name.ends_with(".yaml") || name.ends_with(".yml");
  core::Document doc;
  if (is_file) {
    doc = core::load_yaml_file(name);
  } else {
    const std::string text = preset_stack_text(name);
    if (text.empty()) {
      const auto names = preset_stack_names();
      throw InputError(Location{"--stack", 0, 0, "stack"}, fmt::format("unknown stack '{}'", name),
                       "a stack name or a path to a YAML file; stacks: " + core::join(names, ", "),
                       core::did_you_mean(name, names));
    }
    doc = core::parse_yaml(text, fmt::format("<stack {}>", name));
  }
  if (!doc.root.IsMap())
    throw InputError(Location{doc.file, 1, 1, ""}, "a stack file must be a YAML map", "name:, attention:, overlap:, ...");
  for (const auto& o : spec_overrides) core::apply_override(doc, o, "--stack " + spec);
  for (const auto& o : overrides) core::apply_override(doc, o, "--set stack." + o);
  auto shared = std::make_shared<const core::Document>(std::move(doc));
  try {
    Stack s = read_stack(shared);
    if (is_file) s.file = name;
    // An attention kernel the user sets applies on every device: it replaces the kernels a
    // stack's version runs on particular devices (deepspeed's FlashAttention on H100).
    // So does every other setting the user sets for the whole stack: a per-device entry
    // (megatron-core's kernel_overhead on A100, its tp_overlap on H100) no longer shadows
    // it, unless the user sets that device's entry too (a probe found `--set
    // stack.kernel_overhead=1ms` on A100 silently without effect).
    std::vector<std::string> keys;
    for (const auto& o : spec_overrides) keys.push_back(core::trim(o.substr(0, o.find('='))));
    for (const auto& o : overrides) keys.push_back(core::trim(o.substr(0, o.find('='))));
    const auto has = [&](const std::string& k) { return std::find(keys.begin(), keys.end(), k) != keys.end(); };
    for (auto& [key, t] : s.devices) {
      const std::string dev = "devices." + key + ".";
      if (has("attention.kernel") && !has(dev + "attention_kernel")) t.attention_kernel = -1;
      if (has("kernel_overhead") && !has(dev + "kernel_overhead")) t.kernel_overhead = -1;
      if (has("attention.efficiency") && !has(dev + "attention_efficiency")) t.attention_efficiency = 0;
      if (has("overlap.tp") && !has(dev + "tp_overlap")) t.tp_overlap = -1;
    }
    // A file that calls itself by a preset's name must be that preset: otherwise every
    // output (and compare's "every system on the same stack") would name software it did
    // not price (a probe's file named fsdp held megatron-core's settings).
    // Identical means the same settings: the preset's text, or what `show stack` prints of
    // it (figures and their sources written apart), read without the overrides.
    const auto same_as_preset = [&] {
      const std::string preset = preset_stack_text(s.name);
      if (core::read_text_file(name) == preset) return true;
      YAML::Node mine = stack_to_yaml(read_stack(std::make_shared<const core::Document>(core::load_yaml_file(name))));
      YAML::Node theirs = stack_to_yaml(read_stack(std::make_shared<const core::Document>(core::parse_yaml(preset, "<stack>"))));
      mine.remove("sources");
      theirs.remove("sources");
      return YAML::Dump(mine) == YAML::Dump(theirs);
    };
    if (is_file && !preset_stack_text(s.name).empty() && !same_as_preset())
      throw InputError(
          Location{shared->file, shared->root["name"].Mark().line + 1, shared->root["name"].Mark().column + 1, "name"},
          fmt::format("stack file named '{}', a preset stack's name, with other settings", s.name),
          "a name of its own for a stack that differs from the preset",
          fmt::format("name: {}-custom (or any name not in: {})", s.name, core::join(preset_stack_names(), ", ")));
    // A changed stack is not the preset: name it by its spec, with the --set overrides too
    // (megatron-core:overlap.tp=0), so every output says which software it priced.
    if (!spec_overrides.empty() || !overrides.empty()) {
      std::vector<std::string> all = spec_overrides;
      all.insert(all.end(), overrides.begin(), overrides.end());
      s.name = name + ":" + core::join(all, ",");
    }
    return s;
  } catch (const YAML::Exception& e) {
    throw InputError(Location{shared->file, e.mark.line + 1, e.mark.column + 1, ""}, fmt::format("cannot read stack: {}", e.msg));
  }
}

const std::string& default_stack_name(const hardware::System& sys) { return sys.stack; }

YAML::Node stack_to_yaml(const Stack& s) {
  YAML::Node n;
  n["name"] = s.name;
  if (!s.description.empty()) n["description"] = s.description;
  if (s.assumption) n["assumption"] = true;
  n["attention"]["kernel"] = s.flash_attention ? "flash" : "unfused";
  n["attention"]["efficiency"] = s.attention_efficiency;
  n["kernel_overhead"] = core::format_quantity(s.kernel_overhead, Dim::seconds);
  n["overlap"]["tp"] = s.tp_overlap;
  n["overlap"]["dp"] = s.dp_overlap;
  n["overlap"]["pp"] = s.pp_overlap;
  n["overlap"]["pp_steady"] = s.pp_steady_overlap;
  n["overlap"]["cp"] = s.cp_overlap;
  n["pipeline"]["interleaved"] = s.pipeline_interleaved;
  n["pipeline"]["zero"] = s.pipeline_max_zero;
  n["zero3"]["prefetch"] = s.zero3_prefetch;
  n["zero3"]["reduce"] = dtype_name(s.zero3_reduce_bytes);
  n["fp8"]["cast_kernels"] = s.fp8_cast_kernels;
  n["elementwise"]["fused"] = s.fused_elementwise;
  n["offload"]["activations"] = s.activation_offload;
  n["optimizer"]["master"] = dtype_name(s.optimizer_master_bytes);
  n["optimizer"]["moments"] = dtype_name(s.optimizer_moment_bytes);
  n["optimizer"]["grads"] = dtype_name(s.distributed_grad_bytes);
  for (const auto& [key, t] : s.devices) {
    YAML::Node d;
    const auto& names = hardware::precision_names();
    for (std::size_t i = 0; i < names.size(); ++i)
      if (t.gemm_max[i] > 0) d["gemm_max"][names[i]] = t.gemm_max[i];
    if (t.kernel_overhead >= 0) d["kernel_overhead"] = core::format_quantity(t.kernel_overhead, Dim::seconds);
    if (t.attention_efficiency > 0) d["attention_efficiency"] = t.attention_efficiency;
    if (t.tp_overlap >= 0) d["tp_overlap"] = t.tp_overlap;
    if (t.attention_kernel >= 0) d["attention_kernel"] = t.attention_kernel == 1 ? "flash" : "unfused";
    n["devices"][key] = d;
  }
  for (const auto& [path, src] : s.provenance.source) n["sources"][path] = src;
  return n;
}

void register_stacks(core::Registry& r) {
  const Stack& d = kDefaults;
  r.add({"stack",
         "file",
         "A software stack (configs/stacks/NAME.yaml, --stack NAME): what the software decides on top of the hardware "
         "(docs/model.md#stacks).",
         {{"name", "string", "", "", "the stack's name"},
          {"assumption", "bool", "", d.assumption ? "true" : "false", "the stack itself is assumed, not documented"},
          {"attention.kernel", "string", "", d.flash_attention ? "flash" : "unfused",
           "flash (fused, causal blocks skipped, no s^2 tensors) or unfused (batched GEMMs + fused softmax)"},
          {"attention.efficiency", "float", "", fmt::format("{}", d.attention_efficiency),
           "fused attention throughput as a fraction of the GEMM maximum"},
          {"kernel_overhead", "time", "s", core::format_quantity(d.kernel_overhead, Dim::seconds),
           "fixed time per kernel (launch, tail)"},
          {"overlap.tp", "float", "", fmt::format("{}", d.tp_overlap),
           "fraction of tensor-parallel communication hidden under GEMMs"},
          {"overlap.dp", "bool", "", d.dp_overlap ? "true" : "false",
           "DP gradient reduce-scatter under backward and parameter gather under forward"},
          {"overlap.pp", "float", "", fmt::format("{}", d.pp_overlap), "fraction of pipeline send/recv hidden under compute"},
          {"overlap.pp_steady", "bool", "", d.pp_steady_overlap ? "true" : "false",
           "interleaved schedules (vp > 1) hide the steady 1F1B phase's send/recv; the fill's and flush's stay exposed"},
          {"overlap.cp", "bool", "", d.cp_overlap ? "true" : "false",
           "ring-attention K/V exchange hidden under the attention compute"},
          {"pipeline.interleaved", "bool", "", d.pipeline_interleaved ? "true" : "false",
           "the pipeline engine runs interleaved (virtual-stage) schedules (vp > 1)"},
          {"pipeline.zero", "int", "", fmt::format("{}", d.pipeline_max_zero),
           "the highest ZeRO stage the stack combines with pipeline parallelism (pp > 1)"},
          {"zero3.prefetch", "int", "", fmt::format("{}", d.zero3_prefetch),
           "ZeRO-3/FSDP: layers whose parameters are gathered ahead (0 = none)"},
          {"zero3.reduce", "string", "", dtype_name(d.zero3_reduce_bytes),
           "ZeRO-3/FSDP: the gradients' dtype in the reduce-scatters, bf16 or fp32 (FSDP reduce_dtype)"},
          {"fp8.cast_kernels", "bool", "", d.fp8_cast_kernels ? "true" : "false",
           "FP8 cast/transpose priced as separate memory-bound kernels"},
          {"elementwise.fused", "bool", "", d.fused_elementwise ? "true" : "false",
           "RMSNorm, RoPE and SwiGLU as fused kernels (Transformer Engine, apex, XLA, torch.compile) or as eager PyTorch "
           "ops in fp32 (docs/model.md#eager-elementwise)"},
          {"offload.activations", "bool", "", d.activation_offload ? "true" : "false",
           "saved activations of offload_layers layers per model chunk wait in the GPU host's memory (Megatron-Core "
           "cpu_offloading); the resolver may choose it"},
          {"optimizer.master", "string", "", dtype_name(d.optimizer_master_bytes),
           "Adam's master copy of the parameters: fp32 or bf16 (apex/NeMo DistributedFusedAdam dtype: bf16)"},
          {"optimizer.moments", "string", "", dtype_name(d.optimizer_moment_bytes),
           "Adam's two moments: fp32 or bf16 (Megatron-Core precision-aware optimizer, NeMo dtype: bf16)"},
          {"optimizer.grads", "string", "", dtype_name(d.distributed_grad_bytes),
           "gradient buffer and data-parallel reduction with the distributed optimizer (zero=1/2): bf16 (NVIDIA "
           "performance recipes, grad_reduce_in_fp32=False) or fp32 (Megatron-LM's --bf16 default)"},
          {"devices.<prefix>.gemm_max.<precision>", "float", "", "device's",
           "(device, stack) calibration: achieved fraction of peak for large GEMMs"},
          {"devices.<prefix>.kernel_overhead", "time", "s", "stack's", "(device, stack) kernel overhead"},
          {"devices.<prefix>.attention_efficiency", "float", "", "stack's", "(device, stack) attention efficiency"},
          {"devices.<prefix>.tp_overlap", "float", "", "stack's", "(device, stack) TP overlap"},
          {"devices.<prefix>.attention_kernel", "string", "", "stack's",
           "(device, stack) attention kernel, flash or unfused: the stack's version on that device"}}});
  for (const auto& name : preset_stack_names()) {
    const Stack s = load_stack(name);
    r.add({"stack-preset", s.name, s.description, {}});
  }
}

}  // namespace dojosim::parallel
