// dojosim compare: one model on several systems, each with its best plan: step time,
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
#include <iostream>
#include <map>
#include <utility>

#include "cli_checks.hpp"
#include "commands.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"
#include "dojosim/core/units.hpp"
#include "dojosim/explore/equivalence.hpp"
#include "dojosim/explore/search.hpp"
#include "dojosim/report/result.hpp"
#include "dojosim/workload/workload.hpp"

namespace dojosim::cli {

namespace {
std::string usd(double v) {
  if (v >= 1e6) return fmt::format("${:.4g} M", v / 1e6);
  if (v >= 1e3) return fmt::format("${:.4g} k", v / 1e3);
  return fmt::format("${:.4g}", v);
}
std::string energy(double j) {
  if (j >= 3.6e9) return fmt::format("{:.4g} MWh", j / 3.6e9);
  return fmt::format("{:.4g} kWh", j / 3.6e6);
}
std::string duration(double s) {
  if (s >= 86400) return fmt::format("{:.4g} days", s / 86400);
  if (s >= 3600) return fmt::format("{:.4g} h", s / 3600);
  return fmt::format("{:.4g} s", s);
}
struct Entry {
  std::string spec;
  hardware::System sys;
  parallel::Stack stack;
  explore::Ranked best;
  economics::StepEconomics econ;
  economics::Cost run;
  double steps = 0;
  explore::Equivalence solved;  // reference devices matching this system's throughput
};
}  // namespace

ReferenceSizer::ReferenceSizer(std::string spec, std::vector<std::string> sets, const workload::Workload& w,
                               const parallel::Strategy& partial, long long seq, parallel::Stack stack)
    : spec_(std::move(spec)), sets_(std::move(sets)), w_(&w), partial_(partial), seq_(seq), stack_(std::move(stack)) {
  const auto sys = hardware::load_system(spec_, sets_);
  if (sys.levels.size() < 2) return;
  per_instance_ = sys.devices_per(static_cast<int>(sys.levels.size()) - 2);
  // Resize through the preset's own size parameter (it also scales what goes with the
  // size, e.g. dojo-exapod's DIPs); systems without one are not resized.
  const auto parts = core::split(spec_, ':');
  base_ = core::trim(parts[0]);
  size_param_ = hardware::preset_size_parameter(base_, sys.levels.back().name);
  if (size_param_.empty()) return;
  for (std::size_t i = 1; i < parts.size(); ++i)
    for (const auto& a : core::split(parts[i], ',')) {
      const std::string t = core::trim(a);
      if (!t.empty() && core::trim(t.substr(0, t.find('='))) != size_param_) params_.push_back(t);
    }
}

double ReferenceSizer::throughput(long long instances) {
  auto it = memo_.find(instances);
  if (it != memo_.end()) return it->second;
  double v = 0;
  try {
    auto params = params_;
    params.push_back(fmt::format("{}={}", size_param_, instances));
    const auto sys = hardware::load_system(base_ + ":" + core::join(params, ","), sets_);
    parallel::Strategy p = partial_;
    const engine::Context ctx = model_context(sys, *w_, p, seq_, stack_);
    explore::SearchOptions opt;
    opt.top = 1;
    v = explore::search(ctx, p, opt).ranked.front().result.tokens_per_s();
  } catch (const core::Infeasible& e) {
    v = 0;  // cannot run at this size (does not fit): never used to interpolate
    why_ = fmt::format("{} x {}: {}", instances, size_param_, e.message());
  } catch (const core::InputError& e) {
    // Past the size parameter's own range: this size does not exist, so it cannot match.
    // Any other input error is the user's (a --set key, a --parallel value): never a number.
    if (e.location().key_path != size_param_)
      throw core::InputError(e.location(), fmt::format("sizing the reference {} to {}={}: {}", base_, size_param_, instances, e.message()),
                             e.expected(), e.suggestion());
    v = 0;
    why_ = fmt::format("{}={}: {}", size_param_, instances, e.message());
  }
  memo_.emplace(instances, v);
  return v;
}

explore::Equivalence ReferenceSizer::solve(double target, double tput_per_device) {
  if (size_param_.empty() || !(tput_per_device > 0)) return {};
  const double start = std::ceil(target / tput_per_device / static_cast<double>(per_instance_));
  const long long k0 = std::max<long long>(1, static_cast<long long>(start));
  const long long cap = std::max<long long>(1, std::min<long long>(k0 * 64, 1000000 / per_instance_));
  return explore::solve_equivalence([this](long long k) { return throughput(k); }, per_instance_, target, k0, cap);
}

void add_compare(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("compare", "One model on several systems: speed, a training run's time, energy and cost, "
                                            "and devices-equivalent");
  static std::vector<std::string> systems, sets, stack_names;
  static std::string model, spec, format = "text", precision = "bf16", reference;
  static long long seq = 0;
  static double tokens = 0;
  cmd->add_option("--system", systems, "two or more systems (preset, SYS:param=value, or YAML)")->required();
  cmd->add_option("--model", model, "zoo name (tesla-video:cameras=8,...), config.json, ONNX or YAML file")->required();
  cmd->add_option("--parallel", spec, "keys held fixed on every system; gbs is the target global batch (default: the model's)");
  cmd->add_option("--tokens", tokens, "tokens (vision: samples) of the training run (default: 20 per parameter; vision: 90 ImageNet epochs)")
      ->check(checks::number(0, 1e18, "tokens of the training run, e.g. 300e9", true));
  cmd->add_option("--reference", reference, "system whose devices the others are counted in (default: the first non-Dojo system)");
  cmd->add_option("--seq", seq, "sequence length (default: min(model max, 2048))")->check(checks::whole(1, 1LL << 24, "a sequence length in tokens"));
  cmd->add_option("--precision", precision, "bf16 | fp16 | fp8 | cfp8");
  cmd->add_option("--stack", stack_names, "software stack of every system (one name), or one per --system in order "
                                          "(default: the reference system's default stack on every system)");
  cmd->add_option("--set", sets, "override a key of every system (KEY=VALUE) or an economics parameter (economics.KEY=VALUE)");
  cmd->add_option("--format", format, "text | json")->check(checks::one_of({"text", "json"}));
  cmd->callback([&action]() {
    action = []() -> int {
      if (systems.size() < 2)
        throw core::InputError({"--system", 0, 0, "system"}, "compare needs at least two systems", "--system A --system B");
      const auto split = split_sets(sets);
      const auto w = workload::load_workload(model);
      const auto econ_params = economics::parse_params(split.economics, {}, "--set");
      if (tokens < 0 || !std::isfinite(tokens) || tokens > 1e18)
        throw core::InputError({"--tokens", 0, 0, "tokens"}, fmt::format("{} tokens is out of range", tokens), "e.g. 300e9");
      // Default run: 20 tokens per parameter (Hoffmann et al. 2022); vision: 90 epochs of
      // ImageNet-1k (1.28M images; Goyal et al. 2017) per the sample unit.
      const double run_tokens = tokens > 0 ? tokens : w.vision() ? 90.0 * 1281167 : 20.0 * w.params();
      parallel::Strategy partial = parallel::parse_strategy(spec);
      partial.precision = hardware::parse_precision(precision);
      std::vector<Entry> entries;
      for (const auto& s : systems) entries.push_back(Entry{s, hardware::load_system(s, split.system), {}, {}, {}, {}, 0, {}});
      // The reference: named, else the first non-Dojo system, else the last one.
      std::size_t ref = entries.size() - 1;
      if (!reference.empty()) {
        bool found = false;
        for (std::size_t i = 0; i < entries.size(); ++i)
          if (entries[i].spec == reference) { ref = i; found = true; break; }
        if (!found)
          throw core::InputError({"--reference", 0, 0, "reference"}, fmt::format("'{}' is not one of the --system values", reference),
                                 "one of the systems exactly as given to --system");
      } else {
        for (std::size_t i = 0; i < entries.size(); ++i)
          if (!entries[i].sys.is_dojo()) { ref = i; break; }
      }
      // Fair by default: every system on the same stack (the reference's default) unless
      // --stack names one per system (DESIGN.md 3, 4.5).
      if (stack_names.size() > 1 && stack_names.size() != entries.size())
        throw core::InputError({"--stack", 0, 0, "stack"},
                               fmt::format("{} --stack values for {} systems", stack_names.size(), entries.size()),
                               "one stack for every system, or one per --system in the same order");
      for (std::size_t i = 0; i < entries.size(); ++i) {
        const std::string name = stack_names.empty() ? parallel::default_stack_name(entries[ref].sys)
                                 : stack_names.size() == 1 ? stack_names[0] : stack_names[i];
        entries[i].stack = stack_for(entries[i].sys, name, split.stack);
      }
      const bool same_stack = std::all_of(entries.begin(), entries.end(), [&](const Entry& e) { return e.stack.name == entries[0].stack.name; });
      for (auto& e : entries) {
        const engine::Context ctx = model_context(e.sys, w, partial, seq, e.stack);
        explore::SearchOptions opt;
        opt.top = 1;
        opt.econ = econ_params;
        e.best = explore::search(ctx, partial, opt).ranked.front();
        e.econ = explore::Pricer(e.sys, econ_params).price(e.best.result);
        e.steps = run_tokens / e.best.result.tokens_per_step;
        e.run = economics::training_run(e.econ, e.steps);
      }
      const auto& R = entries[ref];
      const double ref_n = static_cast<double>(R.best.result.devices);
      const double ref_tput = R.best.result.tokens_per_s() / ref_n;
      const double ref_rate = R.econ.rate.total_usd_per_s / ref_n;
      const double ref_peak = R.sys.device.peak_for(hardware::Precision::bf16);
      auto equiv = [&](const Entry& e) { return e.best.result.tokens_per_s() / ref_tput; };
      // Solved: resize the reference (its outermost level) until it matches each system's
      // throughput with its own best plan for the same target batch.
      const auto& levels = R.sys.levels;
      ReferenceSizer sizer(R.spec, split.system, w, partial, seq, R.stack);
      for (auto& e : entries)
        if (&e != &R) e.solved = sizer.solve(e.best.result.tokens_per_s(), ref_tput);
      auto solved_text = [&](const Entry& e) -> std::string {
        if (&e == &R) return fmt::format("{}", R.best.result.devices);
        if (e.solved.solved) return fmt::format("{:.0f}", e.solved.devices);
        if (!sizer.resizable()) return std::string("n/a (no size parameter)");
        if (!(e.solved.best_throughput > 0)) return fmt::format("none ({})", sizer.why());
        return fmt::format("none (max {:.3g}/s at {})", e.solved.best_throughput, e.solved.best_devices);
      };
      auto equiv_cost = [&](const Entry& e) { return ref_rate > 0 ? e.econ.rate.total_usd_per_s / ref_rate : 0.0; };
      auto equiv_peak = [&](const Entry& e) { return e.sys.peak(hardware::Precision::bf16) / ref_peak; };
      if (format == "json") {
        auto list = nlohmann::ordered_json::array();
        for (const auto& e : entries) {
          report::Economics ec{true, e.econ.energy_j_per_step(), e.econ.power_w(), e.econ.cost_usd_per_step()};
          auto j = report::result_json(e.best.result, e.sys, ec);
          j["system"] = e.spec;
          j["model"] = w.name();
          j["tokens"] = run_tokens;
          j["steps"] = e.steps;
          j["time_to_train_s"] = e.run.duration_s;
          j["energy_j"] = e.run.energy_j;
          j["cost_usd"] = e.run.total_usd;
          j["usd_per_pflop_day"] = e.run.usd_per_pflop_day;
          j["reference"] = R.spec;
          if (&e == &R) j["equivalent_devices"] = static_cast<double>(R.best.result.devices);
          else if (e.solved.solved) j["equivalent_devices"] = e.solved.devices;
          else {
            j["equivalent_devices"] = nullptr;  // the reference cannot reach this throughput at this batch
            if (sizer.resizable() && !(e.solved.best_throughput > 0)) j["equivalent_devices_why"] = sizer.why();
          }
          j["equivalent_devices_linear"] = equiv(e);
          if (&e != &R && e.solved.solved)
            j["equivalent_devices_bracket"] = {e.solved.low * sizer.per_instance(), e.solved.high * sizer.per_instance()};
          j["equivalent_devices_by_cost"] = equiv_cost(e);
          j["equivalent_devices_by_peak"] = equiv_peak(e);
          list.push_back(std::move(j));
        }
        std::cout << list.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return 0;
      }
      fmt::print("compare: {} ({:.4g} B parameters), a training run of {:.4g} {}; reference: {}\n", w.name(), w.params() / 1e9,
                 run_tokens, w.vision() ? "samples" : "tokens", R.spec);
      if (same_stack)
        fmt::print("software: every system on the {} stack{} (--stack NAME for another, or one per system)\n\n", entries[0].stack.name,
                   stack_names.empty() ? " (the reference's default)" : "");
      else fmt::print("software: the stacks differ between systems (as asked with --stack): the comparison mixes software\n\n");
      std::string line = fmt::format("{:<28}", "");
      for (const auto& e : entries) line += fmt::format(" {:>24}", e.spec);
      fmt::print("{}\n", line);
      auto row = [&](const char* name, auto&& cell) {
        std::string l = fmt::format("{:<28}", name);
        for (const auto& e : entries) l += fmt::format(" {:>24}", cell(e));
        fmt::print("{}\n", l);
      };
      using core::Dim;
      using core::format_quantity;
      row("devices", [](const Entry& e) { return fmt::format("{} x {}", e.best.result.devices, e.sys.device.name); });
      row("stack", [](const Entry& e) { return e.stack.name; });
      row("peak BF16", [](const Entry& e) { return format_quantity(e.sys.peak(hardware::Precision::bf16), Dim::flop_rate); });
      row("strategy", [&](const Entry& e) {
        const auto& s = e.best.result.strategy;
        if (w.vision()) return fmt::format("dp{} spatial{} mbs{}", s.dp, s.spatial, s.mbs);
        return fmt::format("tp{} pp{} dp{} cp{} vp{} mbs{}", s.tp, s.pp, s.dp, s.cp, s.vp, s.mbs);
      });
      row("gbs / zero / recompute", [](const Entry& e) {
        const auto& s = e.best.result.strategy;
        return fmt::format("{} / {} / {}", s.gbs, s.zero, parallel::recompute_name(s.recompute));
      });
      row("step time", [](const Entry& e) { return fmt::format("{:.4g} s", e.best.result.step_time); });
      row(w.vision() ? "samples/s" : "tokens/s", [](const Entry& e) { return fmt::format("{:.4g}", e.best.result.tokens_per_s()); });
      row("MFU", [](const Entry& e) { return fmt::format("{:.1f}%", 100 * e.best.result.mfu); });
      row("memory per device", [](const Entry& e) { return format_quantity(e.best.result.memory.per_device(), Dim::bytes); });
      row("power", [](const Entry& e) { return format_quantity(e.econ.power_w(), Dim::watts); });
      row("time to train", [](const Entry& e) { return duration(e.run.duration_s); });
      row("energy", [](const Entry& e) { return energy(e.run.energy_j); });
      row("cost", [](const Entry& e) { return usd(e.run.total_usd); });
      row("$ per PFLOP-day", [](const Entry& e) { return fmt::format("${:.4g}", e.run.usd_per_pflop_day); });
      const std::string dev = R.sys.device.name;
      fmt::print("worth, in {} devices:\n", dev);
      row("  by throughput (resized)", [&](const Entry& e) { return solved_text(e); });
      row("  by throughput (linear)", [&](const Entry& e) { return fmt::format("{:.0f}", equiv(e)); });
      row("  by cost per hour", [&](const Entry& e) { return fmt::format("{:.0f}", equiv_cost(e)); });
      row("  by peak BF16 (naive)", [&](const Entry& e) { return fmt::format("{:.0f}", equiv_peak(e)); });
      fmt::print("\nworth: how many {} devices give the same throughput — resized: {} grown or shrunk (its {} level) with its "
                 "best plan at each size for the same target batch; linear: at the per-device throughput of {} as given — "
                 "or cost the same per hour; the naive figure divides peak BF16 alone.\n",
                 dev, R.spec, levels.empty() ? std::string("outermost") : levels.back().name, R.spec);
      return 0;
    };
  });
}

}  // namespace dojosim::cli
