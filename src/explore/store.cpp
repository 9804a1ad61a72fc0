// The SQLite result store of a sweep. Schema and its stability rules: store.hpp and
// docs/sweep.md.
#include "dojosim/explore/store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <ostream>
#include <stdexcept>

#include <unistd.h>

#include "dojosim/core/errors.hpp"

namespace dojosim::explore {

using core::InputError;
using core::Location;

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE schema_version(version INTEGER NOT NULL);
CREATE TABLE sweep(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  space_hash TEXT NOT NULL,
  space_file TEXT NOT NULL,
  space_name TEXT NOT NULL,
  space_json TEXT NOT NULL,
  total_points INTEGER NOT NULL,
  set_keys TEXT NOT NULL,
  dojosim_version TEXT NOT NULL,
  created TEXT NOT NULL);
CREATE TABLE points(
  point_id INTEGER PRIMARY KEY,
  system TEXT NOT NULL,
  model TEXT NOT NULL,
  overrides TEXT NOT NULL,
  strategy_input TEXT NOT NULL,
  objective TEXT NOT NULL,
  seq INTEGER NOT NULL,
  precision TEXT NOT NULL,
  inputs TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ok', 'infeasible', 'invalid', 'error')),
  error TEXT NOT NULL,
  note TEXT NOT NULL,
  strategy TEXT NOT NULL,
  devices INTEGER,
  step_time_s REAL,
  tokens_per_s REAL,
  mfu REAL,
  memory_per_device_bytes REAL,
  fits INTEGER,
  energy_j_per_step REAL,
  cost_usd_per_step REAL,
  result TEXT);
CREATE INDEX points_system ON points(system);
CREATE INDEX points_model ON points(model);
CREATE INDEX points_overrides ON points(overrides);
CREATE INDEX points_status ON points(status);
)sql";

constexpr const char* kInsert =
    "INSERT INTO points(point_id, system, model, overrides, strategy_input, objective, seq, precision, inputs, status,"
    " error, note, strategy, devices, step_time_s, tokens_per_s, mfu, memory_per_device_bytes, fits, energy_j_per_step,"
    " cost_usd_per_step, result) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
    " ?18, ?19, ?20, ?21, ?22)";

[[noreturn]] void sql_fail(sqlite3* db, const std::string& what) {
  throw std::runtime_error(fmt::format("sqlite: {}: {}", what, db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

std::string utc_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string column_text(sqlite3_stmt* st, int i) {
  const unsigned char* t = sqlite3_column_text(st, i);
  return t != nullptr ? std::string(reinterpret_cast<const char*>(t)) : std::string();
}

// One prepared statement, finalized when it leaves scope — on every path, exceptions
// included. `prepare` throws through sql_fail; `try_prepare` reports failure to the caller.
class Statement final {
 public:
  Statement() = default;
  Statement(sqlite3* db, const char* sql, const std::string& what) {
    if (!try_prepare(db, sql)) sql_fail(db, what);
  }
  ~Statement() { sqlite3_finalize(st_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool try_prepare(sqlite3* db, const char* sql) {
    sqlite3_finalize(st_);
    st_ = nullptr;
    return sqlite3_prepare_v2(db, sql, -1, &st_, nullptr) == SQLITE_OK;
  }
  [[nodiscard]] sqlite3_stmt* get() const { return st_; }
  int step() const { return sqlite3_step(st_); }

 private:
  sqlite3_stmt* st_ = nullptr;
};

// The first column of the first row of a one-value query (0 when there is no row).
long long scalar_int64(sqlite3* db, const char* sql, const std::string& what) {
  const Statement st(db, sql, what);
  return st.step() == SQLITE_ROW ? sqlite3_column_int64(st.get(), 0) : 0;
}

}  // namespace

struct Store::Statements {
  Statement insert;
};

void Store::exec(const char* sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    throw std::runtime_error(fmt::format("sqlite: {} ({}): {}", path_, sql, msg));
  }
}

Store::Store(const std::string& path, Mode mode) : path_(path), mode_(mode), st_(std::make_unique<Statements>()) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool exists = fs::exists(path, ec);
  if (mode == Mode::read && !exists)
    throw InputError(Location{path, 0, 0, ""}, "no such sweep database", "the --db file of a sweep that has run");
  if (exists && fs::is_directory(path, ec))
    throw InputError(Location{path, 0, 0, ""}, "is a directory", "a database file name, e.g. results.sqlite");
  // Reading opens read-write when it can (never creating), so that closing cleans up the
  // WAL's -wal/-shm files; a read-only file is read read-only.
  int flags = mode == Mode::read ? SQLITE_OPEN_READWRITE : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (mode == Mode::read && ::access(path.c_str(), W_OK) != 0) flags = SQLITE_OPEN_READONLY;
  if (sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    const std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError(Location{path, 0, 0, ""}, fmt::format("cannot open the database: {}", msg),
                     "a writable path for a new file, or an existing sweep database");
  }
  // The destructor does not run when the constructor throws: close the handle here.
  try {
    init(mode);
  } catch (...) {
    st_.reset();
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw;
  }
}

void Store::init(Mode mode) {
  const std::string& path = path_;
  sqlite3_busy_timeout(db_, 10000);
  // Is this a sweep database? An empty file or a fresh one has no tables (user_version 0).
  int version = -1;
  long long tables = 0;
  {
    Statement st;
    auto not_ours = [&]() {
      throw InputError(Location{path, 0, 0, ""}, fmt::format("not a sweep database: {}", sqlite3_errmsg(db_)),
                       "a SQLite file written by dojosim sweep", "give --db a new file name");
    };
    if (!st.try_prepare(db_, "PRAGMA user_version")) not_ours();
    if (st.step() == SQLITE_ROW) version = sqlite3_column_int(st.get(), 0);
    if (!st.try_prepare(db_, "SELECT count(*) FROM sqlite_master")) not_ours();
    if (st.step() == SQLITE_ROW) tables = sqlite3_column_int64(st.get(), 0);
  }
  const bool fresh = version == 0 && tables == 0;
  if (!fresh && version != kSchemaVersion)
    throw InputError(
        Location{path, 0, 0, ""},
        version == 0 ? "not a dojosim sweep database (it holds other tables)"
                     : fmt::format("sweep database schema version {}, this dojosim reads version {}", version, kSchemaVersion),
        "a database written by this version of dojosim sweep", "give --db a new file name");
  if (mode == Mode::read) {
    if (fresh) throw InputError(Location{path, 0, 0, ""}, "the database holds no sweep", "the --db file of a sweep that has run");
    return;
  }
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=FULL");
  if (fresh) {
    exec("BEGIN IMMEDIATE");
    // Another sweep may have created the schema between the look above and this lock (two
    // sweeps started on one new file had failed with "table schema_version already exists").
    if (scalar_int64(db_, "PRAGMA user_version", "read user_version") != 0) {
      exec("ROLLBACK");
      throw InputError(Location{path, 0, 0, ""}, "another dojosim sweep created this database while this one opened it",
                       "one sweep per database file",
                       "let that sweep finish (then --resume adds nothing), or give --db a new file name");
    }
    exec(kSchema);
    exec(fmt::format("INSERT INTO schema_version(version) VALUES({})", kSchemaVersion).c_str());
    exec(fmt::format("PRAGMA user_version={}", kSchemaVersion).c_str());
    exec("COMMIT");
  } else if (mode == Mode::create && has_sweep()) {
    throw InputError(Location{path, 0, 0, ""}, fmt::format("the database already holds a sweep ({} points stored)", count()),
                     "a new database file", fmt::format("add --resume to continue that sweep, or give --db a new file name"));
  }
  if (!st_->insert.try_prepare(db_, kInsert)) sql_fail(db_, "prepare insert");
}

Store::~Store() {
  if (db_ != nullptr) {
    if (in_txn_) {
      // An exception is unwinding: keep what was finished.
      char* err = nullptr;
      sqlite3_exec(db_, "COMMIT", nullptr, nullptr, &err);
      sqlite3_free(err);
    }
    st_.reset();
    sqlite3_close_v2(db_);
  }
}

bool Store::has_sweep() const { return scalar_int64(db_, "SELECT count(*) FROM sweep", "read sweep") > 0; }

SweepInfo Store::info() const {
  SweepInfo i;
  const Statement stmt(db_,
                       "SELECT space_hash, space_file, space_name, space_json, total_points, set_keys, dojosim_version, "
                       "created FROM sweep WHERE id = 1",
                       "read sweep");
  sqlite3_stmt* st = stmt.get();
  if (stmt.step() == SQLITE_ROW) {
    i.space_hash = column_text(st, 0);
    i.space_file = column_text(st, 1);
    i.space_name = column_text(st, 2);
    i.space_json = column_text(st, 3);
    i.total_points = sqlite3_column_int64(st, 4);
    try {
      i.set_keys = nlohmann::json::parse(column_text(st, 5)).get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception&) { throw std::runtime_error(fmt::format("{}: malformed sweep.set_keys", path_)); }
    i.dojosim_version = column_text(st, 6);
    i.created = column_text(st, 7);
  }
  return i;
}

void Store::begin(const Space& space, const std::string& dojosim_version) {
  const std::string hash = space.hash();
  // Opened to create a sweep, the file held none: one now is another sweep's, started in
  // this file at the same time (two had both written their points into one database).
  if (mode_ == Mode::create && has_sweep())
    throw InputError(Location{path_, 0, 0, ""}, "another dojosim sweep started in this database at the same time",
                     "one sweep per database file",
                     "let that sweep finish (then --resume adds nothing), or give --db a new file name");
  if (has_sweep()) {
    const SweepInfo i = info();
    if (i.space_hash != hash)
      throw InputError(Location{path_, 0, 0, ""},
                       fmt::format("the database holds a sweep of another space (space hash {} from '{}', {} now has {})",
                                   i.space_hash, i.space_file, space.file, hash),
                       "--resume with the same space file the sweep started with",
                       "give --db a new file name to start a sweep of the changed space");
    return;
  }
  const Statement stmt(db_,
                       "INSERT INTO sweep(id, space_hash, space_file, space_name, space_json, total_points, set_keys,"
                       " dojosim_version, created) VALUES(1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                       "prepare sweep");
  sqlite3_stmt* st = stmt.get();
  const std::string canonical = space.canonical().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::string keys = nlohmann::json(space.set_keys()).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::string created = utc_now();
  sqlite3_bind_text(st, 1, hash.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, space.file.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, space.name.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, canonical.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 5, space.size());
  sqlite3_bind_text(st, 6, keys.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 7, dojosim_version.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 8, created.c_str(), -1, SQLITE_TRANSIENT);
  if (const int rc = stmt.step(); rc != SQLITE_DONE) {
    // Two sweeps that opened one new file at once: the second to record itself finds the
    // first's row (it had failed with "UNIQUE constraint failed: sweep.id").
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
      throw InputError(Location{path_, 0, 0, ""}, "another dojosim sweep started in this database at the same time",
                       "one sweep per database file",
                       "let that sweep finish (then --resume adds nothing), or give --db a new file name");
    sql_fail(db_, "write sweep");
  }
}

std::vector<bool> Store::finished(long long total_points) const {
  std::vector<bool> done(static_cast<std::size_t>(total_points), false);
  const Statement st(db_, "SELECT point_id FROM points", "read points");
  int rc = 0;
  while ((rc = st.step()) == SQLITE_ROW) {
    const long long id = sqlite3_column_int64(st.get(), 0);
    if (id >= 0 && id < total_points) done[static_cast<std::size_t>(id)] = true;
  }
  if (rc != SQLITE_DONE) sql_fail(db_, "read points");
  return done;
}

long long Store::count() const { return scalar_int64(db_, "SELECT count(*) FROM points", "count points"); }

std::vector<std::pair<std::string, long long>> Store::status_counts() const {
  std::vector<std::pair<std::string, long long>> out;
  for (Status s : {Status::ok, Status::infeasible, Status::invalid, Status::error}) out.emplace_back(status_name(s), 0);
  const Statement st(db_, "SELECT status, count(*) FROM points GROUP BY status", "count points");
  while (st.step() == SQLITE_ROW) {
    const std::string name = column_text(st.get(), 0);
    for (auto& [k, n] : out)
      if (k == name) n = sqlite3_column_int64(st.get(), 1);
  }
  return out;
}

void Store::add(const Point& p, const PointResult& r) {
  if (!in_txn_) {
    exec("BEGIN IMMEDIATE");
    in_txn_ = true;
  }
  sqlite3_stmt* st = st_->insert.get();
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  const std::string overrides = p.overrides();
  const std::string inputs = p.inputs_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const auto status = std::string(status_name(r.status));
  auto text = [st](int i, const std::string& s) {
    sqlite3_bind_text(st, i, s.c_str(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  };
  sqlite3_bind_int64(st, 1, p.id);
  text(2, p.system);
  text(3, p.model);
  text(4, overrides);
  text(5, p.strategy);
  text(6, p.objective);
  sqlite3_bind_int64(st, 7, r.seq);  // as run (the model's default when the space gives none)
  text(8, p.precision);
  text(9, inputs);
  text(10, status);
  text(11, r.error);
  text(12, r.note);
  text(13, r.strategy);
  if (r.has_metrics) {
    sqlite3_bind_int64(st, 14, r.devices);
    sqlite3_bind_double(st, 15, r.step_time_s);
    sqlite3_bind_double(st, 16, r.tokens_per_s);
    sqlite3_bind_double(st, 17, r.mfu);
    sqlite3_bind_double(st, 18, r.memory_per_device_bytes);
    sqlite3_bind_int(st, 19, r.fits ? 1 : 0);
    sqlite3_bind_double(st, 20, r.energy_j_per_step);
    sqlite3_bind_double(st, 21, r.cost_usd_per_step);
    text(22, r.result_json);
  }  // else: NULLs (cleared bindings)
  if (sqlite3_step(st) != SQLITE_DONE) sql_fail(db_, fmt::format("insert point {}", p.id));
  ++pending_;
}

void Store::commit() {
  if (!in_txn_) return;
  exec("COMMIT");
  in_txn_ = false;
  pending_ = 0;
}

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

std::string csv_real(sqlite3_stmt* st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL) return "";
  return fmt::format("{}", sqlite3_column_double(st, i));  // shortest text that reads back exactly
}

std::string csv_int(sqlite3_stmt* st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL) return "";
  return fmt::format("{}", sqlite3_column_int64(st, i));
}

}  // namespace

void Store::export_csv(std::ostream& out) const {
  const SweepInfo i = info();
  std::string header = "point_id,system,model";
  for (const auto& k : i.set_keys) {
    header += ',';
    header += csv_field(k);
  }
  header +=
      ",strategy_input,objective,seq,precision,status,strategy,devices,step_time_s,tokens_per_s,mfu,"
      "memory_per_device_bytes,fits,energy_j_per_step,cost_usd_per_step,note,error\n";
  out << header;
  const Statement stmt(db_,
                       "SELECT point_id, system, model, inputs, strategy_input, objective, seq, precision, status, strategy,"
                       " devices, step_time_s, tokens_per_s, mfu, memory_per_device_bytes, fits, energy_j_per_step,"
                       " cost_usd_per_step, note, error FROM points ORDER BY point_id",
                       "read points");
  sqlite3_stmt* st = stmt.get();
  int rc = 0;
  std::string line;
  // Appends one cell (avoids `"," + std::string&&`, which trips GCC 12's -Wrestrict).
  auto cell = [&line](const std::string& v) {
    line += ',';
    line += v;
  };
  while ((rc = stmt.step()) == SQLITE_ROW) {
    line = csv_int(st, 0);
    cell(csv_field(column_text(st, 1)));
    cell(csv_field(column_text(st, 2)));
    nlohmann::json inputs;
    try {
      inputs = nlohmann::json::parse(column_text(st, 3));
    } catch (const nlohmann::json::exception&) {
      const std::string id = csv_int(st, 0);
      throw std::runtime_error(fmt::format("{}: malformed inputs of point {}", path_, id));
    }
    const nlohmann::json set = inputs.contains("set") ? inputs["set"] : nlohmann::json::object();
    for (const auto& k : i.set_keys)
      cell(set.contains(k) && set[k].is_string() ? csv_field(set[k].get<std::string>()) : std::string());
    cell(csv_field(column_text(st, 4)));
    cell(csv_field(column_text(st, 5)));
    cell(csv_int(st, 6));
    for (int c = 7; c <= 9; ++c) cell(csv_field(column_text(st, c)));
    cell(csv_int(st, 10));
    for (int c = 11; c <= 14; ++c) cell(csv_real(st, c));
    cell(sqlite3_column_type(st, 15) == SQLITE_NULL ? std::string() : (sqlite3_column_int(st, 15) != 0 ? "true" : "false"));
    cell(csv_real(st, 16));
    cell(csv_real(st, 17));
    cell(csv_field(column_text(st, 18)));
    cell(csv_field(column_text(st, 19)));
    line += '\n';
    out << line;
  }
  if (rc != SQLITE_DONE) sql_fail(db_, "read points");
}

}  // namespace dojosim::explore
