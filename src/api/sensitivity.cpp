// api: sensitivity — how far each Dojo assumption moves "one ExaPOD in A100-equivalents"
// (contract in api.hpp; method in explore/sensitivity.hpp; docs/dojo.md leads with it).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dojosim/api/api.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"
#include "dojosim/economics/params.hpp"

namespace dojosim::api {

SensitivityOutput sensitivity(const SensitivityArgs& a) {
  SensitivityOutput out;
  const auto w = workload::load_workload(a.model);
  const auto base_split = split_sets(a.sets);
  const auto dojo = hardware::load_system(a.system, base_split.system);
  if (!dojo.is_dojo())
    throw core::InputError({"--system", 0, 0, "system"}, fmt::format("'{}' is not a Dojo system", a.system),
                           "a Dojo preset or YAML (dojo-exapod, dojo-cabinet, ...): the assumptions table is Dojo's");
  std::string ref_spec = a.reference;
  if (ref_spec.empty()) {
    const auto one = hardware::load_system("dgx-a100");
    const long long nodes =
        std::max<long long>(1, std::llround(dojo.peak(hardware::Precision::bf16) / one.peak(hardware::Precision::bf16)));
    ref_spec = fmt::format("dgx-a100:nodes={}", nodes);
  }
  const auto ref = hardware::load_system(ref_spec);
  reject_without_effect(base_split, {&dojo, &ref}, false);
  // Same software on both: the reference's default stack unless named (DESIGN.md 3).
  const auto stack = stack_for(ref, a.stack.empty() ? parallel::default_stack_name(ref) : a.stack, base_split.stack);
  parallel::Strategy partial = parallel::parse_strategy("");
  partial.precision = hardware::parse_training_precision(a.precision);
  // The reference once: its best plan, throughput and cost rate per device.
  const auto ref_econ_params = economics::parse_params({}, {}, "--set");
  parallel::Strategy rp = partial;
  const engine::Context rctx = model_context(ref, w, rp, a.seq, stack);
  explore::SearchOptions ropt;
  ropt.top = 1;
  const auto rbest = explore::search(rctx, rp, ropt).ranked.front();
  const double ref_n = static_cast<double>(rbest.result.devices);
  const double ref_tput = rbest.result.tokens_per_s() / ref_n;
  const double ref_rate = explore::Pricer(ref, ref_econ_params).price(rbest.result).rate.total_usd_per_s / ref_n;
  ReferenceSizer sizer(ref_spec, {}, w, partial, a.seq, stack);  // memoised across variants

  // The assumptions this system has: a smaller Dojo (a cabinet, a tray) has no
  // cabinet-to-cabinet level, so that row does not apply (a probe found `sensitivity
  // --system dojo-cabinet` failing on a key the user never wrote). A key the user sets
  // (--set device.price=$5000) is that row's base: its variants replace it.
  const auto key_of = [](const std::string& kv) { return core::trim(kv.substr(0, kv.find('='))); };
  std::vector<explore::Assumption> table;
  for (auto row : explore::dojo_assumptions()) {
    if (!economics::is_economics_key(row.key + "=")) {
      try {
        (void)hardware::load_system(a.system, {row.key + "=" + (row.base.empty() ? row.low : row.base)});
      } catch (const core::InputError& e) {
        if (e.message().find("does not exist") != std::string::npos) {
          out.not_applicable.push_back(row.label);
          continue;
        }
        throw;
      }
    }
    for (const auto& kv : a.sets)
      if (key_of(kv) == row.key) row.base = core::trim(kv.substr(kv.find('=') + 1));
    table.push_back(std::move(row));
  }
  auto evaluate = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> sets;
    for (const auto& kv : a.sets)
      if (std::none_of(extra.begin(), extra.end(), [&](const std::string& e) { return key_of(e) == key_of(kv); }))
        sets.push_back(kv);
    sets.insert(sets.end(), extra.begin(), extra.end());
    const auto split = split_sets(sets);
    const auto sys = hardware::load_system(a.system, split.system);
    const auto econ = economics::parse_params(split.economics, {}, "--set");
    parallel::Strategy p = partial;
    const engine::Context ctx = model_context(sys, w, p, a.seq, stack);
    explore::SearchOptions opt;
    opt.top = 1;
    opt.econ = econ;
    const engine::Result result = explore::search(ctx, p, opt).ranked.front().result;  // each variant its best plan
    const double rate = explore::Pricer(sys, econ).price(result).rate.total_usd_per_s;
    const auto solved = sizer.solve(result.tokens_per_s(), ref_tput);
    if (!solved.solved)
      throw core::Infeasible(fmt::format(
          "with {}: no size of {} matches the Dojo system's throughput{}",
          extra.empty() ? std::string("the preset") : core::join(extra, ", "), ref_spec,
          sizer.why().empty() ? std::string(" (it has no size parameter of its outer level)") : " (" + sizer.why() + ")"));
    const double by_cost = rate / ref_rate;
    return std::vector<double>{solved.devices, by_cost, solved.devices / by_cost};
  };
  out.s = explore::one_at_a_time(table, evaluate);
  out.system = a.system;
  out.reference = ref_spec;
  out.model = w.name();
  out.stack = stack.name;
  out.metrics = {"a100_equivalents", "a100_equivalents_by_cost", "throughput_per_dollar_vs_a100"};
  return out;
}

Json SensitivityOutput::json() const {
  Json j;
  j["question"] = fmt::format("{} in {} devices by throughput ({}), same stack ({}) on both", system, reference, model, stack);
  j["system"] = system;
  j["reference"] = reference;
  j["model"] = model;
  j["stack"] = stack;
  j["metrics"] = metrics;
  auto metric_obj = [&](const std::vector<double>& v) {
    Json o;
    for (std::size_t m = 0; m < metrics.size() && m < v.size(); ++m) o[metrics[m]] = v[m];
    return o;
  };
  j["base"] = metric_obj(s.base);
  if (!not_applicable.empty()) j["not_applicable"] = not_applicable;  // assumptions of levels this system lacks
  j["table_matches_preset"] = s.base_from_table == s.base;
  auto rows = Json::array();
  for (std::size_t i : s.ranked(0)) {
    const auto& r = s.rows[i];
    Json o;
    o["assumption"] = r.a.label;
    o["key"] = r.a.key;
    o["low"] = r.a.low;
    o["base"] = r.a.base.empty() ? Json("model") : Json(r.a.base);
    o["high"] = r.a.high;
    o["source"] = r.a.source;
    o["at_low"] = metric_obj(r.low);
    o["at_high"] = metric_obj(r.high);
    o["swing"] = std::abs(r.high[0] - r.low[0]);
    rows.push_back(std::move(o));
  }
  j["assumptions"] = rows;
  Json range;
  for (std::size_t m = 0; m < metrics.size() && m < s.corners.size(); ++m) {
    const auto& c = s.corners[m];
    range[metrics[m]] = {
        {"low", c.low}, {"base", s.base[m]}, {"high", c.high}, {"low_sets", c.low_sets}, {"high_sets", c.high_sets}};
  }
  j["range"] = range;
  j["most_sensitive"] = s.rows.empty() ? Json(nullptr) : Json(s.rows[s.ranked(0).front()].a.label);
  return j;
}

}  // namespace dojosim::api
