// How sure is a verdict: one-at-a-time sensitivity of a number (e.g. "one ExaPOD in
// A100-equivalents") to every assumption behind it, and the range the assumptions allow
// together.
//
// The assumptions are ONE table (dojo_assumptions(), in sensitivity.cpp): each row names a
// `--set` key and three values — low, base (what the preset holds), high — and where they
// come from. Change the table to change the analysis; nothing else lists them.
//
// Method (docs/model.md#sensitivity): the verdict at the preset (base); for each row, the
// verdict with the row's key at its low and at its high value, all else at base; the
// swing |v(high) - v(low)| ranks the rows (a tornado chart). The range, per metric: every
// row at the value that lowered the metric (pessimistic corner), and every row at the
// value that raised it (optimistic corner), evaluated together (interactions included); the
// range reported is the widest of the corners and every one-at-a-time answer (effects are
// not additive, and one assumption alone can reach further than all of them together).
//
// Contract: `evaluate` gets the extra `--set` assignments of one variant and returns the
// verdict's metrics (the same count M for every call); it is called 2 x rows + 2 + 2 M
// times, in table order, so the result is deterministic when `evaluate` is.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace dojosim::explore {

struct Assumption {
  std::string label;            // what it is, for people ("GEMM efficiency of the D1")
  std::string key;              // the --set key (system key, or economics.KEY)
  std::string low, base, high;  // values as --set takes them; base "" = the model's own (not set)
  std::string source;           // source keys (../shared/specs/hardware_facts.md) or "assumption", and why
};

// The Dojo assumptions behind "ExaPOD in A100-equivalents" (sources in sensitivity.cpp).
const std::vector<Assumption>& dojo_assumptions();

struct Swing {
  Assumption a;
  std::vector<double> low, high;  // metrics with the key at low / high
};

struct Sensitivity {
  std::vector<double> base;             // metrics at the preset
  std::vector<double> base_from_table;  // metrics with every row at its table base (== base when the table matches the preset)
  std::vector<Swing> rows;              // table order
  // Per metric: the corners where every row sits at the value that lowered (raised) it.
  struct Corner {
    double low = 0, high = 0;  // the metric at its pessimistic and optimistic corner
    std::vector<std::string> low_sets, high_sets;
  };
  std::vector<Corner> corners;
  // Rows ordered by the swing of metric m, largest first (ties: table order).
  [[nodiscard]] std::vector<std::size_t> ranked(std::size_t m = 0) const;
};

using Evaluate = std::function<std::vector<double>(const std::vector<std::string>& sets)>;
Sensitivity one_at_a_time(const std::vector<Assumption>& table, const Evaluate& evaluate);

}  // namespace dojosim::explore
