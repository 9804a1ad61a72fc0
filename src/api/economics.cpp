// api: yield (a system's die and tile yield, capital and $ per PFLOP-day, and the same over
// tile yields) and build-vs-buy (a custom programme against the GPUs of its year). The
// modelling is in economics/ and explore/build_vs_buy; this file turns command arguments
// into requests and checks them.
#include <fmt/format.h>

#include "dojosim/api/api.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/economics/params.hpp"

namespace dojosim::api {

namespace {

YieldEvaluation evaluate_yield(const hardware::System& s, const economics::EconomicsParams& p, hardware::Precision prec) {
  YieldEvaluation e;
  e.y = economics::analyse_yield(s, p);
  e.capital = economics::capital_cost(s, e.y);
  e.steady = economics::steady_state(s, e.capital, p.mfu, prec, p);
  return e;
}

}  // namespace

YieldOutput yield_report(const YieldArgs& a) {
  std::vector<std::string> assignments = a.econ;
  auto add = [&](const std::string& key, const std::string& v) {
    if (!v.empty()) assignments.push_back(key + "=" + v);
  };
  add("tile_yield", a.tile_yield);
  add("defect_density_per_cm2", a.defect_density);
  add("yield_model", a.model);
  add("negbin_alpha", a.alpha);
  add("spare_dies", a.spares);
  add("mfu", a.mfu);
  add("wafer_cost_usd", a.wafer_cost);
  if (a.no_kgd) assignments.emplace_back("known_good_die=false");
  YieldOutput out;
  out.params = economics::parse_params(assignments);
  out.precision = hardware::parse_training_precision(a.precision);
  out.system = hardware::load_system(a.system, a.sets);
  if (out.params.tile_yield && out.system.tiles() == 0)
    throw core::Unsupported({"", 0, 0, "--tile-yield"}, fmt::format("system '{}' has no training tiles", out.system.name),
                            "tile yield applies to Dojo systems with a tile level, e.g. dojo-exapod");
  out.at = evaluate_yield(out.system, out.params, out.precision);
  if (out.at.y.has_tile) {
    for (double ty : {1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2}) {
      economics::EconomicsParams q = out.params;
      q.tile_yield = ty;
      const auto f = evaluate_yield(out.system, q, out.precision);
      out.sweep.push_back({ty, f.y.tile.per_good_tile_usd, f.capital.total_usd, f.steady.usd_per_pflop_day});
    }
  }
  return out;
}

explore::BuildVsBuyReport build_vs_buy(const BuildVsBuyArgs& a) {
  // Parsed in the command's order (sets, model, parameters, strategy, stack, roadmap), then
  // the compute need is checked: the first bad input is the one reported.
  const auto split = split_sets(a.sets);
  const auto w = workload::load_workload(a.model);
  explore::BuildVsBuyRequest req;
  req.custom = a.custom;
  req.system_sets = split.system;
  req.workload = &w;
  {
    // Programme keys act here; the yield and die-cost keys on a custom machine with tiles.
    const auto custom = hardware::load_system(a.custom, split.system);
    reject_without_effect(split, {&custom}, true);
  }
  req.params = economics::parse_params(split.economics, {}, "--set");
  req.partial = parallel::parse_strategy(a.parallel);
  req.partial.precision = hardware::parse_training_precision(a.precision);
  const auto stack = parallel::load_stack(a.stack, split.stack);  // one stack for every machine: a fair comparison
  req.stack = stack.name;
  const long long seq = a.seq;
  req.context = [&w, &stack, seq](const hardware::System& s, parallel::Strategy& p) {
    return model_context(s, w, p, seq, stack);
  };
  if (!a.gpus.empty()) {
    req.roadmap.clear();
    for (const auto& g : a.gpus) req.roadmap.push_back(economics::parse_roadmap_entry(g, "--gpu"));
  }
  for (const auto& [name, v] :
       {std::pair{"--fleet", a.fleet}, {"--tokens-per-year", a.tokens_per_year}, {"--samples-per-year", a.samples_per_year}})
    if (v < 0 || !std::isfinite(v) || v > 1e21)
      throw core::InputError({"", 0, 0, name}, fmt::format("{} {} is out of range", name, v), "a positive number",
                             "e.g. --fleet 3.7 or --tokens-per-year 1e12");
  if (a.tokens_per_year > 0 && w.vision())
    throw core::InputError({"", 0, 0, "--tokens-per-year"}, fmt::format("{} is a vision network: it counts samples", w.name()),
                           "--samples-per-year", "--samples-per-year N");
  if (a.samples_per_year > 0 && !w.vision())
    throw core::InputError({"", 0, 0, "--samples-per-year"}, fmt::format("{} is a language model: it counts tokens", w.name()),
                           "--tokens-per-year", "--tokens-per-year N");
  const int given = (a.fleet > 0) + (a.tokens_per_year > 0) + (a.samples_per_year > 0);
  if (given == 0)
    throw core::InputError(
        {"", 0, 0, "--fleet"}, "no compute need: --fleet, --tokens-per-year or --samples-per-year must be positive",
        "one of --fleet, --tokens-per-year, --samples-per-year", "e.g. --fleet 3.7 (custom units) or --tokens-per-year 1e12");
  if (given != 1)
    throw core::InputError({"", 0, 0, "--fleet"}, "give the compute need exactly once",
                           "one of --fleet, --tokens-per-year, --samples-per-year",
                           "e.g. --fleet 3.7 (custom units) or --tokens-per-year 1e12");
  req.fleet_units = a.fleet;
  req.work_per_year = a.tokens_per_year + a.samples_per_year;
  return explore::build_vs_buy(req);
}

}  // namespace dojosim::api
