// The SQLite result store of a sweep (schema: docs/sweep.md, "Database schema").
//
// Schema version 1 (PRAGMA user_version = 1, also in table schema_version):
//   sweep(id = 1, space_hash, space_file, space_name, space_json, total_points, set_keys,
//         dojosim_version, created)
//   points(point_id PRIMARY KEY, system, model, overrides, strategy_input, objective,
//          seq, precision, inputs, status, error, note, strategy, devices, step_time_s,
//          tokens_per_s, mfu, memory_per_device_bytes, fits, energy_j_per_step,
//          cost_usd_per_step, result)
// Columns may be added in later versions, never renamed or removed.
//
// Contracts:
// - One Store per database file and process; not thread-safe (one writer thread).
// - add() writes inside a transaction that commit() ends: a point is durable once
//   commit() returns, and a killed process loses only points added after the last
//   commit (WAL journal, synchronous=FULL).
// - Point rows hold no timestamps: two runs of the same space give equal rows whatever
//   the threads, ranks or interruptions (export_csv compares them byte for byte).
// - Errors about the file (not a sweep database, another space, an existing sweep
//   without --resume) are core::InputError (exit 2); SQLite failures are
//   std::runtime_error (exit 1).
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dojosim/explore/sweep.hpp"

struct sqlite3;

namespace dojosim::explore {

inline constexpr int kSchemaVersion = 1;

struct SweepInfo {
  std::string space_hash, space_file, space_name, space_json;
  long long total_points = 0;
  std::vector<std::string> set_keys;
  std::string dojosim_version, created;
};

class Store {
 public:
  enum class Mode { create, resume, read };
  // create: the file must not hold a sweep yet (exit 2 otherwise, suggesting --resume or
  // another file); resume: creates it if absent; read: must exist and hold a sweep.
  Store(const std::string& path, Mode mode);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Records the sweep (create, or resume of an empty file) or checks that the stored
  // sweep is the same space (resume: a different space hash is an InputError).
  void begin(const Space& space, const std::string& dojosim_version);
  [[nodiscard]] SweepInfo info() const;
  [[nodiscard]] bool has_sweep() const;

  // Ids of the points already stored, as a bitmap of total_points entries.
  [[nodiscard]] std::vector<bool> finished(long long total_points) const;
  [[nodiscard]] long long count() const;
  // Stored points per status ("ok", "infeasible", "invalid", "error"), in that order.
  [[nodiscard]] std::vector<std::pair<std::string, long long>> status_counts() const;

  void add(const Point& p, const PointResult& r);  // opens a transaction if none is open
  void commit();                                   // no-op when nothing is pending
  [[nodiscard]] long long pending() const { return pending_; }

  // Deterministic CSV of every point, ordered by point_id (columns: docs/sweep.md).
  void export_csv(std::ostream& out) const;

  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  void init(Mode mode);  // everything after opening the file (the constructor closes it on failure)
  void exec(const char* sql) const;
  std::string path_;
  Mode mode_;
  sqlite3* db_ = nullptr;
  struct Statements;
  std::unique_ptr<Statements> st_;
  long long pending_ = 0;
  bool in_txn_ = false;
};

}  // namespace dojosim::explore
