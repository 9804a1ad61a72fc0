// api: run and search, the shared pieces (sets, seq, stack), show and list.
#include <fmt/format.h>

#include <algorithm>

#include "dojosim/api/api.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/core/registry.hpp"
#include "dojosim/core/text.hpp"
#include "dojosim/economics/params.hpp"
#include "dojosim/economics/yield.hpp"
#include "dojosim/explore/pricing.hpp"
#include "dojosim/numerics/format.hpp"
#include "dojosim/report/tree.hpp"

namespace dojosim::api {

SplitSets split_sets(const std::vector<std::string>& sets) {
  SplitSets out;
  for (const auto& s : sets) {
    if (s.starts_with("stack."))
      out.stack.push_back(s.substr(6));
    else
      (economics::is_economics_key(s) ? out.economics : out.system).push_back(s);
  }
  return out;
}

// Economics keys that cannot act on this command are refused rather than silently without
// effect (found by probes; economics::reject_without_effect): every command that prices
// engine results checks its --set the same way.
void reject_without_effect(const SplitSets& split, const std::vector<const hardware::System*>& systems, bool programme) {
  economics::KeyUse use;
  use.programme = programme;
  std::vector<std::string> names;
  for (const auto* sys : systems) {
    names.push_back(sys->name);
    use.tile_system = use.tile_system || economics::tile_level(*sys) >= 0;
  }
  use.systems = core::join(names, ", ");
  for (const auto& s : split.economics) economics::reject_without_effect(s, use, {"--set", 0, 0, ""});
}

parallel::Stack stack_for(const hardware::System& sys, const std::string& name, const std::vector<std::string>& overrides) {
  if (!name.empty() || !overrides.empty())
    return parallel::load_stack(name.empty() ? parallel::default_stack_name(sys) : name, overrides);
  try {
    return parallel::load_stack(parallel::default_stack_name(sys));
  } catch (const core::InputError& e) {
    // The system file named it: say so, at its `stack:` line.
    throw core::InputError(sys.stack_where, fmt::format("the system's stack: {}", e.message()), e.expected(), e.suggestion());
  }
}

engine::Context model_context(const hardware::System& sys, const workload::Workload& w, parallel::Strategy& partial,
                              long long seq, const parallel::Stack& stack) {
  engine::Context ctx = engine::workload_context(sys, w, seq, "--seq");
  partial.seq = ctx.seq;
  ctx.use(stack);
  // A precision the device cannot compute in is the --precision option's fault, not a
  // strategy's (every completion would fail for it).
  hardware::require_peak(sys, partial.precision, {"--precision", 0, 0, "precision"});
  return ctx;
}

report::Economics economics_for(const hardware::System& sys, const engine::Result& r, const economics::EconomicsParams& p) {
  return explore::Pricer(sys, p).summary(r);
}

Inputs inputs_of(const ModelArgs& a, const workload::Workload& w, const parallel::Stack& stack, const hardware::System& sys) {
  Inputs in;
  in.system = core::trim(a.system);
  in.model = core::trim(a.model);
  in.model_file = w.file;
  in.stack = a.stack.empty() ? parallel::default_stack_name(sys) : core::trim(a.stack);
  in.stack_file = stack.file;
  in.parallel = a.parallel;
  in.precision = a.precision;
  in.seq = a.seq;
  in.sets = a.sets;
  return in;
}

Json Inputs::json() const {
  const auto or_null = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
  Json j;
  j["system"] = system;
  j["model"] = model;
  j["model_file"] = or_null(model_file);
  j["stack"] = stack;
  j["stack_file"] = or_null(stack_file);
  j["parallel"] = parallel;
  j["precision"] = precision;
  j["seq"] = seq > 0 ? Json(seq) : Json(nullptr);
  j["sets"] = sets;
  return j;
}

Json with_inputs(const Json& result, const std::string& model_name, const Inputs& inputs) {
  Json j;
  for (const auto& [key, value] : result.items()) {
    j[key] = value;
    if (key == "system") {
      j["model"] = model_name;
      j["inputs"] = inputs.json();
    }
  }
  return j;
}

RunOutput run(const RunArgs& a) {
  if (a.engine != "analytical" && a.engine != "event")
    throw core::InputError({"--engine", 0, 0, "engine"}, fmt::format("unknown engine '{}'", a.engine), "analytical | event",
                           core::did_you_mean(a.engine, {"analytical", "event"}));
  const auto split = split_sets(a.sets);
  RunOutput out{hardware::load_system(a.system, split.system), {}, {}, false, {}, {}, false, {}, {}, {}};
  reject_without_effect(split, {&out.sys}, false);
  const auto econ_params = economics::parse_params(split.economics, {}, "--set");
  const auto w = workload::load_workload(a.model);
  out.model_name = w.name();
  out.vision = w.vision();
  const auto& sys = out.sys;
  out.stack = stack_for(sys, a.stack, split.stack);
  out.inputs = inputs_of(a, w, out.stack, sys);
  parallel::Strategy partial = parallel::parse_strategy(a.parallel);
  partial.precision = hardware::parse_training_precision(a.precision);
  const engine::Context ctx = model_context(sys, w, partial, a.seq, out.stack);
  out.result = engine::plan_or_resolve(ctx, partial);
  if (!w.vision() && ctx.seq > w.transformer.max_seq)
    out.result.notes.push_back(
        w.transformer.learned_positions
            ? fmt::format("seq {} is past the {} positions {} was trained with (learned position embeddings): "
                          "priced as if its position table were extended",
                          ctx.seq, w.transformer.max_seq, w.name())
            : fmt::format("seq {} is past the {} tokens of context {} was trained with (max_seq): priced as given "
                          "(a long-context stage extends rotary positions; what it does to quality is not modelled)",
                          ctx.seq, w.transformer.max_seq, w.name()));
  if (const std::string gemm = parallel::uncalibrated_gemm_note(out.stack, sys, out.result.strategy.precision); !gemm.empty())
    out.result.notes.push_back(gemm);
  const engine::Result analytical = out.result;  // what both engines start from
  if (a.engine == "event") {
    // The whole step on the topology graph: compute, every collective and stream, contention
    // (transformers and vision networks).
    const hardware::Graph graph(sys);
    const engine::Plan plan = engine::make_plan(ctx, out.result.strategy);
    out.result = engine::simulate_step(ctx, plan, analytical, graph, a.timeline ? &out.timeline : nullptr);
    out.has_timeline = a.timeline;
  } else if (a.timeline && !w.vision()) {
    // The analytical engine's pipeline schedule, pass by pass (transformers: a vision
    // network has no pipeline; its timeline comes from --engine event).
    const auto& st = out.result.strategy;
    const long long micro = st.dp * st.mbs > 0 ? st.gbs / (st.dp * st.mbs) : 0;
    if (!(a.timeline_optional && 2 * st.pp * st.vp * micro > kReportMaxPasses)) {
      engine::simulate_pipeline(ctx, out.result, &out.timeline);
      out.has_timeline = true;
    }
  }
  if (!a.chakra.empty()) {
    if (w.vision())
      throw core::Unsupported(
          {"--chakra", 0, 0, "chakra"},
          "Chakra export writes the whole-step program of a transformer plan; vision networks are not exported",
          "a transformer model, or run without --chakra");
    if (!analytical.memory.fits)
      throw core::Infeasible(
          fmt::format("the plan {} does not fit in device memory; no trace is written for it", analytical.strategy.spec()));
    const hardware::Graph graph(sys);
    const engine::Plan plan = engine::make_plan(ctx, out.result.strategy);
    out.chakra = engine::export_chakra(ctx, plan, analytical, graph, a.chakra);
  }
  out.econ = economics_for(sys, out.result, econ_params);
  return out;
}

SearchOutput search(const SearchArgs& a) {
  if (a.top < 1 || a.top > 1000)
    throw core::InputError({"--top", 0, 0, "top"}, fmt::format("--top {} is out of range", a.top), "1 to 1000");
  if (a.threads < 0 || a.threads > 1024)
    throw core::InputError({"--threads", 0, 0, "threads"}, fmt::format("--threads {} is out of range", a.threads), "0 to 1024");
  const auto split = split_sets(a.sets);
  SearchOutput out{hardware::load_system(a.system, split.system), {}, {}, false, explore::Objective::time, {}, {}};
  reject_without_effect(split, {&out.sys}, false);
  const auto w = workload::load_workload(a.model);
  out.model_name = w.name();
  out.vision = w.vision();
  explore::SearchOptions opt;
  opt.objective = explore::parse_objective(a.objective);
  out.objective = opt.objective;
  opt.top = a.top;
  opt.threads = a.threads;
  opt.econ = economics::parse_params(split.economics, {}, "--set");
  parallel::Strategy partial = parallel::parse_strategy(a.parallel);
  if (a.precision == "any")
    opt.space.precisions = true;
  else
    partial.precision = hardware::parse_training_precision(a.precision);
  out.stack = stack_for(out.sys, a.stack, split.stack);
  out.inputs = inputs_of(a, w, out.stack, out.sys);
  const engine::Context ctx = model_context(out.sys, w, partial, a.seq, out.stack);
  out.report = explore::search(ctx, partial, opt);
  return out;
}

Json SearchOutput::json() const {
  const auto& c = report.counts;
  const auto& best = report.ranked.front().result;
  Json j;
  j["system"] = sys.name;
  j["model"] = model_name;
  j["inputs"] = inputs.json();
  j["objective"] = std::string(explore::objective_name(objective));
  j["target_gbs"] = report.target_gbs;
  j["gbs_rounded"] = best.strategy.gbs != report.target_gbs;
  j["counts"] = {{"enumerated", c.enumerated}, {"pruned", c.invalid + c.pruned_memory},
                 {"invalid", c.invalid},       {"pruned_memory", c.pruned_memory},
                 {"evaluated", c.evaluated},   {"feasible", c.feasible}};
  j["reason"] = report.reason;
  auto& ranked = j["ranked"];
  ranked = Json::array();
  int rank = 1;
  for (const auto& r : report.ranked) {
    Json e;
    e["rank"] = rank++;
    e["objective_per_token"] = r.objective;
    e["result"] = report::result_json(r.result, sys, r.econ);
    ranked.push_back(std::move(e));
  }
  return j;
}

YAML::Node show_tree(const std::string& kind, const std::string& name, const std::vector<std::string>& sets) {
  if (kind == "system") {
    // An economics or stack key is no key of the system file: blame --set, not the preset
    // (a probe got "<preset dgx-h100>: key 'economics': unknown key 'economics'").
    const auto split = split_sets(sets);
    if (!split.economics.empty())
      throw core::InputError({"--set", 0, 0, core::trim(split.economics.front().substr(0, split.economics.front().find('=')))},
                             "show system takes no economics keys: economics parameters price a result",
                             "system keys (KEY=VALUE, e.g. levels.node.bandwidth=500GB/s)",
                             "give economics.KEY=VALUE to run, search, compare or build-vs-buy (docs/economics.md)");
    if (!split.stack.empty())
      throw core::InputError({"--set", 0, 0, "stack." + core::trim(split.stack.front().substr(0, split.stack.front().find('=')))},
                             "show system takes no stack keys", "system keys (KEY=VALUE, e.g. levels.node.bandwidth=500GB/s)",
                             "show the stack with its overrides: dojosim show stack NAME --set KEY=VALUE");
    const auto sys = hardware::load_system(name, sets);
    (void)stack_for(sys, "", {});  // the file's `stack:` is checked as `run` checks it
    return hardware::system_to_yaml(sys);
  }
  if (kind == "model") {
    if (!sets.empty()) throw core::InputError({"", 0, 0, "--set"}, "--set applies to systems only", "no --set with show model");
    return workload::workload_to_yaml(workload::load_workload(name));
  }
  if (kind == "stack") return parallel::stack_to_yaml(parallel::load_stack(name, sets));
  throw core::InputError({"", 0, 0, "show"}, fmt::format("cannot show '{}'", kind), "system, model or stack",
                         core::did_you_mean(kind, {"system", "model", "stack"}));
}

Json show(const std::string& kind, const std::string& name, const std::vector<std::string>& sets) {
  return report::yaml_to_json(show_tree(kind, name, sets));
}

core::Registry registry() {
  core::Registry r;
  hardware::register_hardware(r);
  parallel::register_stacks(r);
  economics::register_economics(r);
  return r;
}

Json list(const std::string& what) {
  const std::vector<std::string> kinds{"systems", "models", "stacks", "formats", "components"};
  Json out = Json::array();
  if (what == "systems") {
    for (const auto& n : hardware::preset_system_names()) {
      const auto s = hardware::load_system(n);
      out.push_back({{"name", n}, {"devices", s.device_count()}, {"device", s.device.name}, {"description", s.description}});
    }
  } else if (what == "models") {
    for (const auto& n : workload::zoo_model_names()) {
      const auto w = workload::load_workload(n);
      Json e{{"name", n}, {"params", w.params()}, {"kind", w.vision() ? "vision" : "transformer"}};
      if (w.vision()) {
        e["forward_flops_per_sample"] = w.network.forward_flops();
        e["sample"] = w.network.sample;
        e["source"] = w.network.source;
      } else {
        e["source"] = w.transformer.source;
      }
      out.push_back(std::move(e));
    }
  } else if (what == "stacks") {
    for (const auto& n : parallel::preset_stack_names()) {
      const auto st = parallel::load_stack(n);
      out.push_back({{"name", n}, {"description", st.description}});
    }
  } else if (what == "formats") {
    for (const auto& i : numerics::format_infos())
      out.push_back({{"name", i.name},
                     {"bits", i.bits},
                     {"sign_bits", i.sign_bits},
                     {"exp_bits", i.exp_bits},
                     {"man_bits", i.man_bits},
                     {"min_bias", i.min_bias},
                     {"max_bias", i.max_bias},
                     {"default_bias", i.default_bias},
                     {"max_finite", numerics::Format(i.id).max_finite()}});
  } else if (what == "components") {
    const auto reg = registry();
    for (const auto& k : reg.kinds())
      for (const auto* c : reg.of_kind(k)) out.push_back({{"kind", k}, {"name", c->name}, {"help", c->help}});
  } else {
    throw core::InputError({"", 0, 0, "list"}, fmt::format("cannot list '{}'", what), "one of: " + core::join(kinds, ", "),
                           core::did_you_mean(what, kinds));
  }
  return out;
}

}  // namespace dojosim::api
