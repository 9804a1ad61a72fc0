// Design-space sweeps: a SPACE.yaml file names systems, models, system keys to vary
// (anything `--set` reaches), strategies and sampling; every point of the space is
// evaluated and stored (store.hpp). Format and examples: docs/sweep.md.
//
//   Space        parse_space / load_space: the typed, located reading of SPACE.yaml
//   Point        point_at(space, id): the inputs of point `id` (deterministic, no state)
//   PointResult  evaluate_point(point): one engine evaluation, never throws
//   run_sweep    evaluates every unfinished point on local threads or, when launched by
//                mpirun, on MPI ranks (rank 0 writes the store), and commits as it goes
//
// Contracts:
// - Enumeration is a pure function of the Space: point ids run 0..size()-1 in a fixed
//   order (cartesian: mixed radix with the last axis fastest; random: point i is drawn
//   from its own generator seeded by (seed, i)), so any process, thread or rank computes
//   the same point for the same id.
// - evaluate_point is pure and thread-safe (it caches loaded systems and models per
//   thread): the same Point gives the same bytes in every process. A point that does not
//   fit is status `infeasible`, bad inputs (e.g. a key the system lacks) `invalid`; both
//   keep their message. It never throws.
// - run_sweep's results do not depend on the number of threads or ranks.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dojosim/core/errors.hpp"
#include "dojosim/core/units.hpp"

namespace dojosim::explore {

// A numeric range of one swept key: `steps` values from `from` to `to` (both included),
// evenly spaced (linear) or evenly spaced in log (log). Values are in the base unit of
// `dim` (bytes, B/s, s, W, USD, ...; Dim::count for bare numbers).
struct Range {
  double from = 0, to = 0;
  long long steps = 0;  // 0: not given (allowed only with random sampling)
  bool log = false;
  bool round = false;  // round every value to a whole number (duplicates dropped)
  core::Dim dim = core::Dim::count;
};

// The values of a range in order. Endpoints are exact; interior values are
// ((n-1-i)*from + i*to)/(n-1) (linear) or exp of the same mean of the logs (log); a
// value within 1e-12 (relative) of a whole number is snapped to it (log steps of powers of
// two give exact powers of two).
std::vector<double> expand_range(const Range& r);
// A value as override text that parses back to exactly the same double: shortest
// round-trip digits in the base unit ("440000000 B", "2e+12 B/s", "$3000", "16").
std::string format_value(double v, core::Dim d);

// One swept key: `values` (texts as passed to --set) for lists and for ranges under
// cartesian sampling; under random sampling a range is drawn from directly.
struct Axis {
  std::string key;  // "device.memory.sram.capacity", or "economics.KEY" for an economics assumption
  std::vector<std::string> values;
  std::optional<Range> range;
};

enum class Sampling { cartesian, random };

struct Space {
  std::string file;  // as given; messages only
  std::string name, description;
  std::vector<std::string> systems;  // preset[:param=v,...] or YAML path
  std::vector<std::string> models;
  std::vector<Axis> set;                // in file order
  std::vector<std::string> strategies;  // "best" or a SPEC ("tp=8,pp=4,...")
  std::vector<long long> seqs;          // 0 = the model's default (min(max_seq, 2048))
  std::vector<std::string> precisions;
  std::string stack;               // software stack of every point ("" = each system's default; --stack)
  std::string objective = "time";  // time | cost | energy (for "best")
  Sampling sampling = Sampling::cartesian;
  long long samples = 0;  // random: number of points
  std::uint64_t seed = 1;

  // Number of points (cartesian: product of axis sizes; random: samples).
  [[nodiscard]] long long size() const;
  // Everything that determines the points, as JSON (comments and layout of the file do
  // not matter). hash() is FNV-1a 64 of its text, 16 hex digits.
  [[nodiscard]] nlohmann::ordered_json canonical() const;
  [[nodiscard]] std::string hash() const;
  [[nodiscard]] std::vector<std::string> set_keys() const;
};

// Largest space accepted (a larger one is an InputError suggesting random sampling).
inline constexpr long long kMaxPoints = 100'000'000;
inline constexpr long long kMaxSteps = 1'000'000;

// Reads SPACE.yaml text. Unknown keys, wrong shapes, unknown systems/models/precisions,
// malformed strategies, set keys no system has and values no system accepts are
// InputErrors naming file:line:column, the key, what was expected and a suggestion.
Space parse_space(const std::string& text, const std::string& file);
Space load_space(const std::string& path);

struct Point {
  long long id = 0;
  std::string system, model;
  std::vector<std::pair<std::string, std::string>> set;  // key -> value text, in axis order
  std::string strategy = "best";
  std::string objective = "time";
  long long seq = 0;
  std::string precision = "bf16";
  std::string stack;  // "" = the system's default stack

  // "key=value;key=value" in axis order ("" when nothing is set).
  [[nodiscard]] std::string overrides() const;
  // {"system", "model", "set": {key: value}, "strategy", "objective", "seq", "precision"}
  [[nodiscard]] nlohmann::ordered_json inputs_json() const;
  // The message a worker receives: "id" and the inputs, with "set" as [[key, value]...].
  [[nodiscard]] nlohmann::ordered_json to_json() const;
  static Point from_json(const nlohmann::json& j);  // throws std::runtime_error on a malformed message
};

// The point with this id (0 <= id < space.size()).
Point point_at(const Space& space, long long id);

enum class Status { ok, infeasible, invalid, error };
std::string_view status_name(Status s);  // "ok", "infeasible", "invalid", "error"

struct PointResult {
  long long id = 0;
  Status status = Status::error;
  std::string error;     // why a point is not ok ("" when ok)
  std::string note;      // e.g. how "best" was chosen for a cost/energy objective
  std::string strategy;  // resolved SPEC ("" when none was reached)
  long long seq = 0;     // the sequence length run: the point's, or its model's default (0: a vision network)
  long long devices = 0;
  bool has_metrics = false;  // false: the metric fields below are NULL in the store
  double step_time_s = 0, tokens_per_s = 0, mfu = 0, memory_per_device_bytes = 0;
  bool fits = false;
  double energy_j_per_step = 0, cost_usd_per_step = 0;
  std::string result_json;  // report::result_json text ("" without metrics)

  [[nodiscard]] nlohmann::ordered_json to_json() const;
  static PointResult from_json(const nlohmann::json& j);  // throws std::runtime_error
};

// Evaluates one point: loads the system (preset + overrides), the model, and either
// evaluates the given strategy (missing keys chosen like `dojosim run`) or, for "best",
// the fastest feasible one (engine::resolve). Objectives cost and energy currently use
// the fastest feasible strategy too and say so in `note`. Never throws.
PointResult evaluate_point(const Point& p);

// Progress of a running sweep, reported after each commit.
struct Progress {
  long long done = 0;  // committed points, including those found on --resume
  long long total = 0;
  long long resumed = 0;  // already in the store when this run started
  double elapsed_s = 0;   // this run
};

struct RunOptions {
  int threads = 0;  // local evaluation threads (per rank under MPI); 0 = hardware concurrency (1 per rank under MPI)
  double commit_interval_s = 0.25;  // commit at least this often while points finish
  long long commit_points = 2000;   // ... and at least every this many points
  // Called on the writer (rank 0) only, after each commit. It may throw to cancel the sweep
  // (Python's bindings do on Ctrl-C): the threads stop and the exception is rethrown; every
  // point counted in Progress::done stays committed, so --resume goes on from there.
  std::function<void(const Progress&)> on_progress;
};

struct RunSummary {
  bool writer = true;  // false on MPI worker ranks (the fields below are then empty)
  long long total = 0, resumed = 0, evaluated = 0;
  long long ok = 0, infeasible = 0, invalid = 0, error = 0;  // of the points evaluated in this run
  double wall_s = 0;
  int ranks = 1, threads = 1;
};

class Store;

// Evaluates every point of `space` not yet in `store` on local threads and writes each
// result to the store, committing every commit_interval_s / commit_points: a point
// counted in Progress::done is committed. Store errors stop the threads and are rethrown.
RunSummary run_local(const Space& space, Store& store, const RunOptions& opt);

// ---- Distributed sweeps (Open MPI) ----------------------------------------------------
// True when this dojosim was built with MPI (CMake found it at configure time).
bool mpi_built();
// The world size announced by the launcher's environment (OMPI_COMM_WORLD_SIZE,
// PMIX_SIZE / PMI_SIZE), or 0 when not launched by mpirun. MPI itself is never touched.
int mpi_launch_size();

// What rank 0 needs before the first point: the space and the opened store. Called on
// rank 0 only; an exception it throws stops every rank (workers get told, then rethrown).
struct SweepJob {
  const Space* space = nullptr;
  Store* store = nullptr;
};

// Runs a sweep: under mpirun with more than one rank (and an MPI build), rank 0 calls
// `setup`, hands out small chunks of points to the other ranks on request (dynamic load
// balancing) and is the only writer; workers evaluate with opt.threads threads each. In
// any other case it is setup() then run_local(). MPI is initialised only when the
// environment says mpirun launched us, and finalised before returning.
RunSummary run_sweep(const std::function<SweepJob()>& setup, const RunOptions& opt);

}  // namespace dojosim::explore
