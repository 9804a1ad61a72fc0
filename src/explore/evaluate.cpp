// One point of a sweep -> its result row. The only place a sweep touches the engine:
// swap the strategy choice here (e.g. for the cost/energy search) and every runner
// follows.
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>

#include "dojosim/core/errors.hpp"
#include "dojosim/core/units.hpp"
#include "dojosim/economics/cost.hpp"
#include "dojosim/economics/params.hpp"
#include "dojosim/economics/power.hpp"
#include "dojosim/engine/engine.hpp"
#include "dojosim/parallel/stack.hpp"
#include "dojosim/explore/search.hpp"
#include "dojosim/explore/sweep.hpp"
#include "dojosim/workload/workload.hpp"
#include "dojosim/report/result.hpp"

namespace dojosim::explore {

std::string_view status_name(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::infeasible: return "infeasible";
    case Status::invalid: return "invalid";
    case Status::error: return "error";
  }
  return "error";
}

nlohmann::ordered_json PointResult::to_json() const {
  nlohmann::ordered_json j;
  j["id"] = id;
  j["status"] = std::string(status_name(status));
  j["error"] = error;
  j["note"] = note;
  j["strategy"] = strategy;
  j["seq"] = seq;
  j["devices"] = devices;
  j["has_metrics"] = has_metrics;
  j["step_time_s"] = step_time_s;
  j["tokens_per_s"] = tokens_per_s;
  j["mfu"] = mfu;
  j["memory_per_device_bytes"] = memory_per_device_bytes;
  j["fits"] = fits;
  j["energy_j_per_step"] = energy_j_per_step;
  j["cost_usd_per_step"] = cost_usd_per_step;
  j["result"] = result_json;
  return j;
}

PointResult PointResult::from_json(const nlohmann::json& j) {
  try {
    PointResult r;
    r.id = j.at("id").get<long long>();
    const auto st = j.at("status").get<std::string>();
    bool known = false;
    for (Status s : {Status::ok, Status::infeasible, Status::invalid, Status::error})
      if (status_name(s) == st) {
        r.status = s;
        known = true;
      }
    if (!known) throw std::runtime_error(fmt::format("unknown status '{}' in a result message", st));
    r.error = j.at("error").get<std::string>();
    r.note = j.at("note").get<std::string>();
    r.strategy = j.at("strategy").get<std::string>();
    r.seq = j.at("seq").get<long long>();
    r.devices = j.at("devices").get<long long>();
    r.has_metrics = j.at("has_metrics").get<bool>();
    r.step_time_s = j.at("step_time_s").get<double>();
    r.tokens_per_s = j.at("tokens_per_s").get<double>();
    r.mfu = j.at("mfu").get<double>();
    r.memory_per_device_bytes = j.at("memory_per_device_bytes").get<double>();
    r.fits = j.at("fits").get<bool>();
    r.energy_j_per_step = j.at("energy_j_per_step").get<double>();
    r.cost_usd_per_step = j.at("cost_usd_per_step").get<double>();
    r.result_json = j.at("result").get<std::string>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(fmt::format("malformed result message: {}", e.what()));
  }
}

namespace {

// Loaded systems and models, per thread: consecutive points usually share them.
struct Cache {
  struct Entry {
    std::string key;
    hardware::System sys;
  };
  std::deque<Entry> systems;
  std::map<std::string, workload::Workload> models;
  std::map<std::string, parallel::Stack> stacks;  // node-stable: contexts keep pointers into it

  const hardware::System& system(const std::string& spec, const std::vector<std::string>& overrides) {
    std::string key = spec;
    for (const auto& o : overrides) key += "\n" + o;
    for (const auto& e : systems)
      if (e.key == key) return e.sys;
    if (systems.size() >= 16) systems.pop_front();
    systems.push_back(Entry{key, hardware::load_system(spec, overrides)});
    return systems.back().sys;
  }
  const parallel::Stack& stack(const std::string& name, const std::vector<std::string>& overrides) {
    std::string key = name;
    for (const auto& o : overrides) key += "\n" + o;
    auto it = stacks.find(key);
    if (it == stacks.end()) it = stacks.emplace(key, parallel::load_stack(name, overrides)).first;
    return it->second;
  }
  const workload::Workload& model(const std::string& spec) {
    auto it = models.find(spec);
    if (it == models.end()) it = models.emplace(spec, workload::load_workload(spec)).first;
    return it->second;
  }
};

thread_local Cache tl_cache;

// The strategy of a point: a given SPEC completed like `dojosim run` does; "best" is
// `run`'s fastest feasible plan for the time objective, and the cost- or energy-optimal
// plan of `dojosim search` for those objectives.
engine::Result choose(const engine::Context& ctx, const Point& p, const economics::EconomicsParams& params) {
  const bool best = p.strategy == "best";
  parallel::Strategy s = best ? parallel::parse_strategy("") : parallel::parse_strategy(p.strategy);
  s.precision = hardware::parse_training_precision(p.precision);
  hardware::require_peak(*ctx.sys, s.precision, {"", 0, 0, "precision"});  // before any strategy's problem, as run says it
  s.seq = ctx.seq;
  if (best && p.objective != "time") {
    SearchOptions opt;
    opt.objective = parse_objective(p.objective);
    opt.top = 1;
    opt.threads = 1;  // sweeps parallelise over points
    opt.econ = params;
    return search(ctx, s, opt).ranked.front().result;
  }
  return engine::plan_or_resolve(ctx, s);  // fastest feasible for the keys left out
}

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

}  // namespace

PointResult evaluate_point(const Point& p) {
  PointResult out;
  out.id = p.id;
  out.seq = p.seq;
  try {
    // The model first: its default sequence length is stored even when the system cannot
    // take the point.
    const auto& w = tl_cache.model(p.model);
    if (p.seq == 0) out.seq = engine::default_seq(w);
    // `set` keys as --set reaches them: economics, the stack (stack.KEY), else the system.
    std::vector<std::string> sys_overrides, econ_overrides, stack_overrides;
    for (const auto& [k, v] : p.set) {
      const std::string a = k + "=" + v;
      if (k.starts_with("stack."))
        stack_overrides.push_back(a.substr(6));
      else
        (economics::is_economics_key(a) ? econ_overrides : sys_overrides).push_back(a);
    }
    const auto& sys = tl_cache.system(p.system, sys_overrides);
    const auto params = economics::parse_params(econ_overrides, {}, "set");
    engine::Context ctx = engine::workload_context(sys, w, p.seq, "seq");
    ctx.use(tl_cache.stack(p.stack.empty() ? parallel::default_stack_name(sys) : p.stack, stack_overrides));
    engine::Result r = choose(ctx, p, params);
    // As `dojosim run` says it (sweep rows hold run's JSON).
    if (ctx.stack != nullptr)
      if (const std::string gemm = parallel::uncalibrated_gemm_note(*ctx.stack, sys, r.strategy.precision); !gemm.empty())
        r.notes.push_back(gemm);
    const auto econ = Pricer(sys, params).summary(r);
    out.strategy = r.strategy.spec() + r.strategy.options();
    out.devices = r.devices;
    out.has_metrics = true;
    out.step_time_s = r.step_time;
    out.tokens_per_s = r.tokens_per_s();
    out.mfu = r.mfu;
    out.memory_per_device_bytes = r.memory.per_device();
    out.fits = r.memory.fits;
    out.energy_j_per_step = econ.energy_j_per_step;
    out.cost_usd_per_step = econ.cost_usd_per_step;
    out.result_json = report::result_json(r, sys, econ).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (r.memory.fits) {
      out.status = Status::ok;
    } else {
      out.status = Status::infeasible;
      out.error = fmt::format("does not fit in device memory: {} per device, capacity {}",
                              core::format_quantity(r.memory.per_device(), core::Dim::bytes),
                              core::format_quantity(r.memory.capacity, core::Dim::bytes));
    }
    if (p.strategy == "best" && p.objective != "time")
      out.note = fmt::format("objective {}: the strategy is the {}-optimal plan of dojosim search", p.objective, p.objective);
  } catch (const core::Infeasible& e) {
    out.status = Status::infeasible;
    out.error = one_line(e.what());
  } catch (const core::Error& e) {  // InputError, Unsupported: this combination is not valid
    out.status = Status::invalid;
    out.error = one_line(e.what());
  } catch (const std::exception& e) {
    out.status = Status::error;
    out.error = one_line(fmt::format("internal error: {}", e.what()));
  }
  if (!out.has_metrics) out.result_json.clear();
  return out;
}

}  // namespace dojosim::explore
