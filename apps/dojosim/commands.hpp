// The CLI: one file per subcommand (cmd_<name>.cpp), each registering itself on the
// CLI11 app and returning the action to run after parsing. No modelling logic lives here.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace dojosim::cli {

using Action = std::function<int()>;

// Each adds its subcommand to `app` and stores the action to run into `action` when the
// subcommand is selected.
void add_list(CLI::App& app, Action& action);
void add_show(CLI::App& app, Action& action);
void add_run(CLI::App& app, Action& action);
void add_validate(CLI::App& app, Action& action);
void add_numerics(CLI::App& app, Action& action);    // cmd_numerics.cpp
void add_economics(CLI::App& app, Action& action);   // cmd_economics.cpp
void add_search(CLI::App& app, Action& action);      // cmd_search.cpp
void add_compare(CLI::App& app, Action& action);     // cmd_compare.cpp
void add_sweep(CLI::App& app, Action& action);       // cmd_sweep.cpp

// Shared option helpers.
struct SystemArgs {
  std::string system;
  std::vector<std::string> set;
};

// `--set` assignments split into system keys, economics parameters ("economics.KEY=V")
// and software-stack keys ("stack.KEY=V", the prefix removed).
struct SplitSets {
  std::vector<std::string> system, economics, stack;
};
SplitSets split_sets(const std::vector<std::string>& sets);

}  // namespace dojosim::cli

#include "dojosim/engine/engine.hpp"
#include "dojosim/workload/workload.hpp"

namespace dojosim::cli {
// The engine context for a loaded model: sets partial.seq for transformers (default
// min(max_seq, 2048); --seq out of range is an InputError) and rejects --seq for vision.
// `stack` is kept by the caller for the context's lifetime.
engine::Context model_context(const hardware::System& sys, const workload::Workload& w, parallel::Strategy& partial, long long seq,
                              const parallel::Stack& stack);
// The stack a command runs on a system: `name` (--stack) or else the system's default.
parallel::Stack stack_for(const hardware::System& sys, const std::string& name, const std::vector<std::string>& overrides);

}  // namespace dojosim::cli

#include <map>

#include "dojosim/explore/equivalence.hpp"

namespace dojosim::cli {
// How many devices of a reference system (`spec` with `sets`) match a throughput: the
// reference is resized along its outermost level and, at each size, runs its best plan
// (dojosim search, time objective) for the same partial strategy and target batch.
class ReferenceSizer final {
 public:
  ReferenceSizer(std::string spec, std::vector<std::string> sets, const workload::Workload& w,
                 const parallel::Strategy& partial, long long seq, parallel::Stack stack);
  // `tput_per_device`: the reference's throughput per device at its given size (start guess).
  explore::Equivalence solve(double target, double tput_per_device);
  [[nodiscard]] long long per_instance() const { return per_instance_; }
  // False when the reference has no preset parameter that sets its outermost level.
  [[nodiscard]] bool resizable() const { return !size_param_.empty(); }
  // Why the last size that could not run did not (empty when every size ran).
  [[nodiscard]] const std::string& why() const { return why_; }

 private:
  double throughput(long long instances);
  std::string spec_;
  std::vector<std::string> sets_;
  const workload::Workload* w_;
  parallel::Strategy partial_;
  long long seq_;
  parallel::Stack stack_;
  std::string base_, size_param_;
  std::vector<std::string> params_;  // the spec's other preset parameters
  long long per_instance_ = 1;
  std::map<long long, double> memo_;
  std::string why_;
};

}  // namespace dojosim::cli
