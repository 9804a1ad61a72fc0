// The use-cases behind the commands, as library calls: the CLI (apps/dojosim) and the
// Python module (python/) call these same functions, so both print and return the same
// JSON (DESIGN.md 4.3, 4.6).
//
// Each takes the command's arguments as a plain struct (the CLI's option names, without
// dashes), does all the work, and returns an output struct holding what the engine
// produced plus `json()`, the command's `--format json` document. Text rendering stays in
// the CLI; HTML rendering is report/html.hpp, fed from these outputs.
//
// Contract: errors are the typed core::Error family (InputError, Unsupported, Infeasible)
// with their locations; no function prints, exits or touches global state, so they may run
// on any thread (the Python module calls them with the GIL released).
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>
#include <yaml-cpp/yaml.h>

#include "dojosim/core/registry.hpp"
#include "dojosim/engine/engine.hpp"
#include "dojosim/engine/chakra.hpp"
#include "dojosim/engine/event.hpp"
#include "dojosim/economics/cost.hpp"
#include "dojosim/economics/yield.hpp"
#include "dojosim/explore/build_vs_buy.hpp"
#include "dojosim/explore/equivalence.hpp"
#include "dojosim/explore/pricing.hpp"
#include "dojosim/explore/search.hpp"
#include "dojosim/explore/sensitivity.hpp"
#include "dojosim/explore/sweep.hpp"
#include "dojosim/hardware/system.hpp"
#include "dojosim/parallel/stack.hpp"
#include "dojosim/report/result.hpp"
#include "dojosim/workload/workload.hpp"

namespace dojosim::api {

using Json = nlohmann::ordered_json;

// The arguments every model-on-a-system command shares (`--system`, `--model`, ...).
struct ModelArgs {
  std::string system, model;
  std::string parallel;  // "tp=8,pp=2,..." (missing keys are chosen)
  long long seq = 0;     // 0 = min(model max, 2048)
  std::string precision = "bf16";
  std::vector<std::string> sets;  // KEY=VALUE, or economics.KEY=VALUE
  std::string stack;              // software stack (--stack; default: the system's)
};

// `--set` assignments split into system keys, economics parameters ("economics.KEY=V")
// and software-stack keys ("stack.KEY=V", the prefix removed).
struct SplitSets {
  std::vector<std::string> system, economics, stack;
};
SplitSets split_sets(const std::vector<std::string>& sets);
// Refuses (exit 2) the economics keys of `split` that cannot act on a command pricing engine
// results on `systems` (economics::reject_without_effect); `programme`: build-vs-buy.
void reject_without_effect(const SplitSets& split, const std::vector<const hardware::System*>& systems, bool programme);

// The stack a command runs on a system: `name` (--stack) or else the system's default.
parallel::Stack stack_for(const hardware::System& sys, const std::string& name, const std::vector<std::string>& overrides);

// The engine context for a loaded model (engine::workload_context with the stack bound):
// sets partial.seq for transformers (default min(max_seq, 2048); `seq` out of range is an
// InputError) and rejects `seq` for vision. The plan `run` prints is then
// engine::plan_or_resolve (the one resolver, shared with sweeps).
// `stack` is kept by the caller for the context's lifetime.
engine::Context model_context(const hardware::System& sys, const workload::Workload& w, parallel::Strategy& partial,
                              long long seq, const parallel::Stack& stack);

// Energy and cost per step of a result.
report::Economics economics_for(const hardware::System& sys, const engine::Result& r, const economics::EconomicsParams& p = {});

// What a result was computed from, as the command was given it (the `inputs` key of the
// JSON, docs/report.md): enough to run it again. `system` and `model` are the specs given
// (preset with parameters, or file); `stack` the one given, or the system's default.
struct Inputs {
  std::string system, model, model_file, stack, stack_file, parallel, precision;
  long long seq = 0;              // 0: not given (the default applied)
  std::vector<std::string> sets;  // every --set, as given
  [[nodiscard]] Json json() const;
};
Inputs inputs_of(const ModelArgs& a, const workload::Workload& w, const parallel::Stack& stack, const hardware::System& sys);
// `result` (report::result_json) with the model's name after `system` and the inputs after it.
Json with_inputs(const Json& result, const std::string& model_name, const Inputs& inputs);

// ---- run -------------------------------------------------------------------------------
struct RunArgs : ModelArgs {
  std::string engine = "analytical";  // analytical | event
  bool timeline = false;              // simulate the schedule and keep its timeline (--trace, --html)
  // For a report only: no timeline (rather than an error or a long simulation) for vision
  // networks and for schedules of more than kReportMaxPasses passes.
  bool timeline_optional = false;
  // Chakra export (--chakra PREFIX): the whole step of every rank as `<prefix>.<rank>.et`
  // plus `<prefix>.comm_groups.json` (transformers; docs/model.md#chakra).
  std::string chakra;
};
inline constexpr long long kReportMaxPasses = 200'000;
struct RunOutput {
  hardware::System sys;
  parallel::Stack stack;
  std::string model_name;
  bool vision = false;
  engine::Result result;
  report::Economics econ;
  bool has_timeline = false;
  engine::Timeline timeline;         // the event engine's schedule, when has_timeline
  engine::ChakraExportStats chakra;  // what --chakra wrote (ranks = 0: nothing)
  Inputs inputs;
  [[nodiscard]] Json json() const { return with_inputs(report::result_json(result, sys, econ), model_name, inputs); }
};
RunOutput run(const RunArgs& a);

// ---- replay ----------------------------------------------------------------------------
// A Chakra execution trace (one .et file per rank: dojosim's own export, or a PyTorch run
// converted by Chakra) priced on a system (engine/chakra.hpp).
struct ReplayArgs {
  std::string prefix;  // <prefix>.0.et, <prefix>.1.et, ...
  std::string system;
  std::vector<std::string> sets;   // system keys (KEY=VALUE)
  std::string comm_groups;         // default: <prefix>.comm_groups.json when it exists
  std::string precision = "bf16";  // for compute nodes priced by num_ops
  int ranks = 0;                   // 0: up to the first missing rank file
  bool timeline = false;           // keep the replayed timeline (--trace)
};
struct ReplayOutput {
  hardware::System sys;
  std::vector<std::string> files;
  std::string comm_groups;  // the file read ("" = none)
  engine::ReplayResult result;
  bool has_timeline = false;
  engine::Timeline timeline;
  [[nodiscard]] Json json() const;
};
ReplayOutput replay(const ReplayArgs& a);

// ---- search ----------------------------------------------------------------------------
struct SearchArgs : ModelArgs {
  std::string objective = "time";  // time | cost | energy
  int top = 5;                     // 1 to 1000
  int threads = 0;                 // 0 = all cores
};
struct SearchOutput {
  hardware::System sys;
  parallel::Stack stack;
  std::string model_name;
  bool vision = false;
  explore::Objective objective = explore::Objective::time;
  explore::SearchReport report;
  Inputs inputs;
  [[nodiscard]] Json json() const;
};
SearchOutput search(const SearchArgs& a);

// ---- compare ---------------------------------------------------------------------------
struct CompareArgs {
  std::vector<std::string> systems;  // two or more
  std::string model, parallel, precision = "bf16", reference;
  std::vector<std::string> stacks;  // one for every system, or one per system (default: the reference's default)
  long long seq = 0;
  double tokens = 0;  // 0 = 20 per parameter (vision: 90 ImageNet epochs)
  std::vector<std::string> sets;
};
struct CompareEntry {
  std::string spec;
  hardware::System sys;
  parallel::Stack stack;
  explore::Ranked best;
  economics::StepEconomics econ;
  economics::Cost run;
  double steps = 0;
  explore::Equivalence solved;  // reference devices matching this system's throughput
  double equiv_linear = 0, equiv_cost = 0, equiv_peak = 0;
  std::string solved_why;    // when no size matched and none could run: why (the last size's error)
  long long target_gbs = 0;  // the batch asked for (given or default); the plan's may be rounded to its replicas
  Inputs inputs;
};
struct CompareOutput {
  std::string model_name;
  double model_params = 0;
  bool vision = false;
  double run_tokens = 0;
  std::size_t ref = 0;  // index of the reference in entries
  bool ref_resizable = false;
  long long ref_per_instance = 1;
  bool same_stack = true;    // every system on one stack
  bool stack_named = false;  // --stack given
  std::vector<CompareEntry> entries;
  [[nodiscard]] Json json() const;
};
CompareOutput compare(const CompareArgs& a);

// How many devices of a reference system (`spec` with `sets`) match a throughput: the
// reference is resized along its outermost level and, at each size, runs its best plan
// (dojosim search, time objective) for the same partial strategy and target batch.
class ReferenceSizer final {
 public:
  ReferenceSizer(std::string spec, std::vector<std::string> sets, const workload::Workload& w, const parallel::Strategy& partial,
                 long long seq, parallel::Stack stack);
  // `tput_per_device`: the reference's throughput per device at its given size (start guess).
  explore::Equivalence solve(double target, double tput_per_device);
  [[nodiscard]] long long per_instance() const { return per_instance_; }
  // False when the reference has no preset parameter that sets its outermost level.
  [[nodiscard]] bool resizable() const { return !size_param_.empty(); }
  // Why the last size that could not run did not (empty when every size ran).
  [[nodiscard]] const std::string& why() const { return why_; }

 private:
  // The reference's best throughput with one more size parameter ("nodes=4", "devices=3").
  double best_tokens_per_s(const std::string& size);
  double throughput(long long instances);
  // Below one instance: the reference with only `devices` of it used (its `devices`
  // parameter), 0 when that cannot run.
  double throughput_devices(long long devices);
  std::string spec_;
  std::vector<std::string> sets_;
  const workload::Workload* w_;
  parallel::Strategy partial_;
  long long seq_;
  parallel::Stack stack_;
  std::string base_, size_param_;
  std::vector<std::string> params_;  // the spec's other preset parameters
  long long per_instance_ = 1;
  long long own_instances_ = 0;  // the reference's own size in instances (0: a partial one)
  std::map<long long, double> memo_, memo_devices_;
  bool by_devices_ = false;  // the preset also sizes its outermost level by `devices`
  std::string why_;
};

// ---- sensitivity -----------------------------------------------------------------------
// How sure is "one ExaPOD in A100-equivalents": the verdict of the default scenario
// (the Dojo system against a DGX A100 cluster of equal peak BF16, both on the reference's
// default stack, each with its best plan) under every Dojo assumption of
// explore::dojo_assumptions() at its low and high value (explore/sensitivity.hpp).
// Metrics: [0] A100-equivalents by throughput (the reference resized, as `compare`);
// [1] A100s that cost as much per hour; [2] their ratio, throughput per dollar relative
// to the A100 cluster (> 1: Dojo gives more per dollar).
struct SensitivityArgs {
  std::string system = "dojo-exapod", model = "gpt3-175b";
  std::string reference;  // default: dgx-a100 with nodes for equal peak BF16
  std::string stack;      // default: the reference's default stack, on both
  std::string precision = "bf16";
  long long seq = 0;
  std::vector<std::string> sets;  // applied to the Dojo system (and economics.KEY) in every variant
};
struct SensitivityOutput {
  std::string system, reference, model, stack;
  explore::Sensitivity s;
  std::vector<std::string> metrics;         // names of the metrics, in order
  std::vector<std::string> not_applicable;  // assumptions of levels the system lacks (a cabinet's ExaPOD links)
  [[nodiscard]] Json json() const;
};
SensitivityOutput sensitivity(const SensitivityArgs& a);

// ---- the default scenario (`dojosim` with no command) -----------------------------------
// The question Dojo was judged on: one ExaPOD against the DGX A100 cluster of equal peak
// BF16, GPT-3 175B, both on the reference's default stack, each with its fastest feasible
// plan; how many A100s the ExaPOD is worth three ways; and how sure (api::sensitivity).
struct DefaultScenarioOutput {
  hardware::System dojo, gpu;
  std::string gpu_spec;  // dgx-a100:nodes=N
  parallel::Stack stack;
  engine::Result dojo_result, gpu_result;
  report::Economics dojo_econ, gpu_econ;
  bool resized = false;                 // the A100 cluster could be resized to match
  double a100_equivalents = 0;          // by throughput, the cluster resized with its best plan at each size
  double a100_equivalents_linear = 0;   // per-A100 throughput extrapolated at equal peak
  double a100_equivalents_by_peak = 0;  // peak BF16 alone
  SensitivityOutput sensitivity;
  [[nodiscard]] Json json() const;
};
// `stack`: a stack spec both machines run on (default: the A100 cluster's default stack).
DefaultScenarioOutput default_scenario(const std::string& stack = "");

// ---- yield -----------------------------------------------------------------------------
// Die and tile yield, cost per good tile, capital and $ per delivered PFLOP-day of a system
// (economics/yield.hpp, cost.hpp), and the same at tile yields from 100% down to 20%.
// The flags are shorthands for `econ` keys and win over them.
struct YieldArgs {
  std::string system = "dojo-exapod";
  std::vector<std::string> sets, econ;
  std::string tile_yield, defect_density, model, alpha, spares, mfu, wafer_cost;
  bool no_kgd = false;
  std::string precision = "bf16";
};
struct YieldEvaluation {
  economics::YieldAnalysis y;
  economics::CapitalCost capital;
  economics::SteadyState steady;
};
struct YieldSweepRow {
  double tile_yield = 0, per_good_tile_usd = 0, capital_usd = 0, usd_per_pflop_day = 0;
};
struct YieldOutput {
  hardware::System system;
  economics::EconomicsParams params;
  hardware::Precision precision = hardware::Precision::bf16;
  YieldEvaluation at;                // at the given (or modelled) tile yield
  std::vector<YieldSweepRow> sweep;  // systems with training tiles only
};
YieldOutput yield_report(const YieldArgs& a);

// ---- build or buy ----------------------------------------------------------------------
// A custom machine's programme against buying or renting the GPUs of its year
// (explore/build_vs_buy.hpp), every machine on one stack. The compute need is given once:
// a fleet of custom units, or tokens (language models) or samples (vision) a year.
struct BuildVsBuyArgs {
  std::string custom = "dojo-exapod", model, parallel, precision = "bf16", stack = "megatron-core";
  std::vector<std::string> sets, gpus;  // gpus: SYSTEM@YEAR, replacing the roadmap
  long long seq = 0;
  double fleet = 0, tokens_per_year = 0, samples_per_year = 0;
};
explore::BuildVsBuyReport build_vs_buy(const BuildVsBuyArgs& a);

// ---- validate --------------------------------------------------------------------------
struct ValidateOutput {
  Json json;           // cases, mape, max_abs_error_pct, failed
  std::string text;    // the CLI's table: a header and a row per case, columns as wide as their widest cell
  std::string groups;  // the CLI's lines per (system, stack)
  double mape = 0, max_abs = 0;
  int counted = 0, failed = 0;
};
// `stack`: the stack of rows whose `stack` column is empty (default: each system's).
ValidateOutput validate(const std::string& csv_path, const std::string& stack = {});

// ---- show, list ------------------------------------------------------------------------
// Every module's registered components (register_<module>(), one place, no static init).
core::Registry registry();
// The resolved description of a system, model or stack (`kind`) as YAML.
YAML::Node show_tree(const std::string& kind, const std::string& name, const std::vector<std::string>& sets = {});
Json show(const std::string& kind, const std::string& name, const std::vector<std::string>& sets = {});
// systems | models | stacks | formats | components, as a list of objects.
Json list(const std::string& what);

// ---- sweep -----------------------------------------------------------------------------
struct SweepArgs {
  std::string space, db;
  std::string stack;  // replaces the space's `stack:` (default: each system's)
  bool resume = false;
  int threads = 0;
  std::function<void(const explore::Progress&)> on_progress;
};
struct SweepOutput {
  explore::RunSummary summary;
  long long stored = 0;
  std::vector<std::pair<std::string, long long>> by_status;
  [[nodiscard]] Json json() const;
};
// Evaluates a design space into SQLite (MPI when launched by mpirun and built with it).
SweepOutput sweep(const SweepArgs& a, const std::string& version);
// The sweep database as CSV text (docs/sweep.md), and as a list of row objects typed as
// the database's columns (docs/python.md): integers, doubles, `fits` a boolean, text as
// strings ("" for no note or error), null for a metric the point lacks; a set key's value
// is a number when written as a bare one, else its text.
std::string sweep_csv(const std::string& db);
Json sweep_rows(const std::string& db);
// What the sweep report plots: {"name", "db", "rows": sweep_rows, "params": [{"key", "unit",
// "values"}]}: for each swept key (and seq when it varies) whose values all read as one
// kind of quantity, each row's value in that quantity's base unit (null where absent).
Json sweep_report(const std::string& db);

}  // namespace dojosim::api
