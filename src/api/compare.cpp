// api: compare — one model on several systems, each with its best plan: step time,
// throughput, MFU, a training run's time, energy and cost, and how many devices of the
// reference system each one is worth (by throughput, by cost, and by peak alone).
//
// Definitions (docs/dojo.md#compare):
//   time_to_train = tokens / tokens_per_s;  energy, cost = per-step figures x steps
//   equivalent_devices          = devices N of the reference, resized (its outermost level)
//                                 with its best plan at each size, with tokens_per_s = that of S
//                                 (explore/equivalence.hpp); null when no size reaches it
//   equivalent_devices_linear   = tokens_per_s(S) / (tokens_per_s(ref) / devices(ref))
//   equivalent_devices_by_cost  = cost_per_s(S)   / (cost_per_s(ref)   / devices(ref))
//   equivalent_devices_by_peak  = peak_bf16(S)    /  peak_bf16(one ref device)
// The linear figure takes the reference's per-device throughput at the size given.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "dojosim/api/api.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"
#include "dojosim/economics/params.hpp"

namespace dojosim::api {

namespace {
// An input error raised at a resized reference that says the size itself cannot run: past
// the size parameter's range, keys of --parallel no strategy completes at this size (dp *
// mbs past the batch; they ran at the reference's own size, priced before sizing), or no
// valid strategy at all on this many devices (a prime node count against the batch). Any
// other input error is the user's (a --set key).
bool cannot_run_at_size(const core::InputError& e, const std::string& size_key) {
  const auto& at = e.location();
  return at.key_path == size_key || at.file == "--parallel" || (at.file == "--system" && at.key_path.empty());
}
}  // namespace

ReferenceSizer::ReferenceSizer(std::string spec, std::vector<std::string> sets, const workload::Workload& w,
                               const parallel::Strategy& partial, long long seq, parallel::Stack stack)
    : spec_(std::move(spec)), sets_(std::move(sets)), w_(&w), partial_(partial), seq_(seq), stack_(std::move(stack)) {
  const auto sys = hardware::load_system(spec_, sets_);
  if (sys.levels.size() < 2) return;
  per_instance_ = sys.devices_per(static_cast<int>(sys.levels.size()) - 2);
  if (sys.device_count() % per_instance_ == 0) own_instances_ = sys.device_count() / per_instance_;
  // Resize through the preset's own size parameter (it also scales what goes with the
  // size, e.g. dojo-exapod's DIPs); systems without one are not resized.
  const auto parts = core::split(spec_, ':');
  base_ = core::trim(parts[0]);
  size_param_ = hardware::preset_size_parameter(base_, sys.levels.back().name);
  if (size_param_.empty()) return;
  // Parameters that size the same level another way (devices=100 beside racks=) are
  // dropped with it: the resized system is the size parameter's alone.
  const auto sizing = hardware::preset_level_parameters(base_, sys.levels.back().name);
  by_devices_ = std::find(sizing.begin(), sizing.end(), "devices") != sizing.end();
  for (std::size_t i = 1; i < parts.size(); ++i)
    for (const auto& a : core::split(parts[i], ',')) {
      const std::string t = core::trim(a);
      const std::string key = core::trim(t.substr(0, t.find('=')));
      if (!t.empty() && key != size_param_ && std::find(sizing.begin(), sizing.end(), key) == sizing.end()) params_.push_back(t);
    }
}

double ReferenceSizer::best_tokens_per_s(const std::string& size) {
  auto params = params_;
  params.push_back(size);
  const auto sys = hardware::load_system(base_ + ":" + core::join(params, ","), sets_);
  parallel::Strategy p = partial_;
  const engine::Context ctx = model_context(sys, *w_, p, seq_, stack_);
  explore::SearchOptions opt;
  opt.top = 1;
  return explore::search(ctx, p, opt).ranked.front().result.tokens_per_s();
}

double ReferenceSizer::throughput(long long instances) {
  auto it = memo_.find(instances);
  if (it != memo_.end()) return it->second;
  double v = 0;
  try {
    v = best_tokens_per_s(fmt::format("{}={}", size_param_, instances));
  } catch (const core::Infeasible& e) {
    v = 0;  // cannot run at this size (does not fit): never used to interpolate
    why_ = fmt::format("{} x {}: {}", instances, size_param_, e.message());
  } catch (const core::InputError& e) {
    // This size does not exist or cannot run (cannot_run_at_size): never a number to match.
    if (!cannot_run_at_size(e, size_param_))
      throw core::InputError(e.location(),
                             fmt::format("sizing the reference {} to {}={}: {}", base_, size_param_, instances, e.message()),
                             e.expected(), e.suggestion());
    v = 0;
    why_ = fmt::format("{}={}: {}", size_param_, instances, e.message());
  }
  memo_.emplace(instances, v);
  return v;
}

double ReferenceSizer::throughput_devices(long long devices) {
  auto it = memo_devices_.find(devices);
  if (it != memo_devices_.end()) return it->second;
  double v = 0;
  try {
    v = best_tokens_per_s(fmt::format("devices={}", devices));
  } catch (const core::Infeasible&) {
    v = 0;  // cannot run with so few devices: never interpolated from
  } catch (const core::InputError& e) {
    if (!cannot_run_at_size(e, "devices")) throw;
    v = 0;
  }
  memo_devices_.emplace(devices, v);
  return v;
}

explore::Equivalence ReferenceSizer::solve(double target, double tput_per_device) {
  if (size_param_.empty() || !(tput_per_device > 0)) return {};
  const double start = std::ceil(target / tput_per_device / static_cast<double>(per_instance_));
  const long long k0 = std::max<long long>(1, static_cast<long long>(start));
  const long long cap = std::max<long long>(1, std::min<long long>(k0 * 64, 1000000 / per_instance_));
  // The reference's own size, where it reaches the target, bounds the answer (a jagged curve
  // must not put the equivalent beyond a size already known to be enough).
  explore::Equivalence e =
      explore::solve_equivalence([this](long long k) { return throughput(k); }, per_instance_, target, k0, cap, own_instances_);
  // One instance is already more than enough: resize below it by devices where the preset
  // allows (the last node or rack partly used), the first device count that reaches the
  // target, interpolated from the one below when that one runs.
  if (e.solved && e.low == 0 && e.high == 1 && per_instance_ > 1 && by_devices_) {
    long long lo = 0, hi = per_instance_;
    while (hi - lo > 1) {
      const long long mid = lo + (hi - lo) / 2;
      ++e.probes;
      if (throughput_devices(mid) >= target)
        hi = mid;
      else
        lo = mid;
    }
    const double t_hi = hi == per_instance_ ? throughput(1) : throughput_devices(hi);
    const double t_lo = lo > 0 ? throughput_devices(lo) : 0.0;
    const double frac = t_lo > 0 && t_hi > t_lo ? std::clamp((target - t_lo) / (t_hi - t_lo), 0.0, 1.0) : 1.0;
    e.devices = static_cast<double>(lo) + frac * static_cast<double>(hi - lo);
    e.low_devices = lo;
    e.high_devices = hi;
  }
  return e;
}

CompareOutput compare(const CompareArgs& a) {
  if (a.systems.size() < 2)
    throw core::InputError({"--system", 0, 0, "system"}, "compare needs at least two systems", "--system A --system B");
  const auto split = split_sets(a.sets);
  const auto w = workload::load_workload(a.model);
  const auto econ_params = economics::parse_params(split.economics, {}, "--set");
  if (a.tokens < 0 || !std::isfinite(a.tokens) || a.tokens > 1e18)
    throw core::InputError({"--tokens", 0, 0, "tokens"}, fmt::format("{} tokens is out of range", a.tokens), "e.g. 300e9");
  CompareOutput out;
  out.model_name = w.name();
  out.model_params = w.params();
  out.vision = w.vision();
  // Default run: 20 tokens per parameter (Hoffmann et al. 2022); vision: 90 epochs of
  // ImageNet-1k (1.28M images; Goyal et al. 2017) per the sample unit.
  out.run_tokens = a.tokens > 0 ? a.tokens : w.vision() ? 90.0 * 1281167 : 20.0 * w.params();
  parallel::Strategy partial = parallel::parse_strategy(a.parallel);
  partial.precision = hardware::parse_training_precision(a.precision);
  auto& entries = out.entries;
  // An input error about one system names it (a --set key one of them lacks).
  auto about = [](const std::string& spec, auto&& step) {
    try {
      return step();
    } catch (const core::InputError& e) {
      throw core::InputError(e.location(), fmt::format("--system {}: {}", spec, e.message()), e.expected(), e.suggestion());
    }
  };
  for (const auto& s : a.systems)
    entries.push_back(CompareEntry{
        s, about(s, [&] { return hardware::load_system(s, split.system); }), {}, {}, {}, {}, 0, {}, 0, 0, 0, {}, 0, {}});
  {
    std::vector<const hardware::System*> systems;
    for (const auto& e : entries) systems.push_back(&e.sys);
    reject_without_effect(split, systems, false);
  }
  // The reference: named, else the first non-Dojo system, else the last one.
  out.ref = entries.size() - 1;
  if (!a.reference.empty()) {
    bool found = false;
    for (std::size_t i = 0; i < entries.size(); ++i)
      if (entries[i].spec == a.reference) {
        out.ref = i;
        found = true;
        break;
      }
    if (!found)
      throw core::InputError({"--reference", 0, 0, "reference"},
                             fmt::format("'{}' is not one of the --system values", a.reference),
                             "one of the systems exactly as given to --system");
  } else {
    for (std::size_t i = 0; i < entries.size(); ++i)
      if (!entries[i].sys.is_dojo()) {
        out.ref = i;
        break;
      }
  }
  // Fair by default: every system on the same stack (the reference's default) unless
  // --stack names one per system (DESIGN.md 3, 4.5).
  const auto& names = a.stacks;
  if (names.size() > 1 && names.size() != entries.size())
    throw core::InputError({"--stack", 0, 0, "stack"},
                           fmt::format("{} --stack values for {} systems", names.size(), entries.size()),
                           "one stack for every system, or one per --system in the same order");
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string name = names.empty()       ? parallel::default_stack_name(entries[out.ref].sys)
                             : names.size() == 1 ? names[0]
                                                 : names[i];
    entries[i].stack = about(entries[i].spec, [&] { return stack_for(entries[i].sys, name, split.stack); });
    ModelArgs given;
    given.system = entries[i].spec;
    given.model = a.model;
    given.parallel = a.parallel;
    given.precision = a.precision;
    given.seq = a.seq;
    given.sets = a.sets;
    given.stack = name;
    entries[i].inputs = inputs_of(given, w, entries[i].stack, entries[i].sys);
  }
  out.stack_named = !names.empty();
  out.same_stack =
      std::all_of(entries.begin(), entries.end(), [&](const CompareEntry& e) { return e.stack.name == entries[0].stack.name; });
  for (auto& e : entries) {
    const engine::Context ctx = about(e.spec, [&] { return model_context(e.sys, w, partial, a.seq, e.stack); });
    explore::SearchOptions opt;
    opt.top = 1;
    opt.econ = econ_params;
    const auto found = about(e.spec, [&] { return explore::search(ctx, partial, opt); });
    e.best = found.ranked.front();
    e.target_gbs = found.target_gbs;
    e.econ = explore::Pricer(e.sys, econ_params).price(e.best.result);
    e.steps = out.run_tokens / e.best.result.tokens_per_step;
    e.run = economics::training_run(e.econ, e.steps);
  }
  const auto& R = entries[out.ref];
  const double ref_n = static_cast<double>(R.best.result.devices);
  const double ref_tput = R.best.result.tokens_per_s() / ref_n;
  const double ref_rate = R.econ.rate.total_usd_per_s / ref_n;
  const double ref_peak = R.sys.device.peak_for(hardware::Precision::bf16);
  // Solved: resize the reference (its outermost level) until it matches each system's
  // throughput with its own best plan for the same target batch.
  ReferenceSizer sizer(R.spec, split.system, w, partial, a.seq, R.stack);
  out.ref_resizable = sizer.resizable();
  out.ref_per_instance = sizer.per_instance();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto& e = entries[i];
    if (i != out.ref) {
      e.solved = sizer.solve(e.best.result.tokens_per_s(), ref_tput);
      if (!e.solved.solved && !(e.solved.best_throughput > 0)) e.solved_why = sizer.why();
    }
    e.equiv_linear = e.best.result.tokens_per_s() / ref_tput;
    e.equiv_cost = ref_rate > 0 ? e.econ.rate.total_usd_per_s / ref_rate : 0.0;
    e.equiv_peak = e.sys.peak(hardware::Precision::bf16) / ref_peak;
  }
  return out;
}

Json CompareOutput::json() const {
  auto list = Json::array();
  const auto& R = entries[ref];
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    report::Economics ec{true, e.econ.energy_j_per_step(), e.econ.power_w(), e.econ.cost_usd_per_step()};
    auto j = with_inputs(report::result_json(e.best.result, e.sys, ec), model_name, e.inputs);
    j["system"] = e.spec;
    j["tokens"] = run_tokens;
    j["steps"] = e.steps;
    j["time_to_train_s"] = e.run.duration_s;
    j["energy_j"] = e.run.energy_j;
    j["cost_usd"] = e.run.total_usd;
    j["usd_per_pflop_day"] = e.run.usd_per_pflop_day;
    j["reference"] = R.spec;
    if (i == ref)
      j["equivalent_devices"] = static_cast<double>(R.best.result.devices);
    else if (e.solved.solved)
      j["equivalent_devices"] = e.solved.devices;
    else {
      j["equivalent_devices"] = nullptr;  // the reference cannot reach this throughput at this batch
      if (ref_resizable && !e.solved_why.empty()) j["equivalent_devices_why"] = e.solved_why;
    }
    j["equivalent_devices_linear"] = e.equiv_linear;
    if (i != ref && e.solved.solved) j["equivalent_devices_bracket"] = {e.solved.low_devices, e.solved.high_devices};
    j["equivalent_devices_by_cost"] = e.equiv_cost;
    j["equivalent_devices_by_peak"] = e.equiv_peak;
    list.push_back(std::move(j));
  }
  return list;
}

}  // namespace dojosim::api
