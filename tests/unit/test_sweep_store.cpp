// The SQLite store of a sweep: schema, commits, resume rules and a deterministic export.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "dojosim/core/errors.hpp"
#include "dojosim/explore/store.hpp"
#include "dojosim/explore/sweep.hpp"

using namespace dojosim;
using explore::Store;

namespace {
const char* kSpace = R"(
systems: [dgx-h100:nodes=2]
models: [llama3-8b]
set:
  device.price: [$20000, $30000, $40000, $50000]
)";

struct TempDb {
  std::filesystem::path path;
  explicit TempDb(const std::string& name) {
    path = std::filesystem::temp_directory_path() / ("dojosim_test_" + std::to_string(::getpid()) + "_" + name);
    clean();
  }
  ~TempDb() { clean(); }
  void clean() const {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + s);
  }
  [[nodiscard]] std::string str() const { return path.string(); }
};

std::string csv(const std::string& db) {
  const Store s(db, Store::Mode::read);
  std::ostringstream o;
  s.export_csv(o);
  return o.str();
}
}  // namespace

TEST(SweepStore, WritesTheDocumentedSchema) {
  const TempDb db("schema.sqlite");
  const auto space = explore::parse_space(kSpace, "space.yaml");
  {
    Store s(db.str(), Store::Mode::create);
    s.begin(space, "dojosim test");
    const auto p = explore::point_at(space, 0);
    s.add(p, explore::evaluate_point(p));
    s.commit();
  }
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.str().c_str(), &h), SQLITE_OK);
  auto one = [h](const char* sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(h, sql, -1, &st, nullptr), SQLITE_OK) << sql << ": " << sqlite3_errmsg(h);
    std::string v;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr)
      v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
  };
  EXPECT_EQ(one("PRAGMA user_version"), "1");
  EXPECT_EQ(one("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(one("SELECT version FROM schema_version"), "1");
  EXPECT_EQ(one("SELECT total_points FROM sweep"), "4");
  EXPECT_EQ(one("SELECT space_hash FROM sweep"), space.hash());
  EXPECT_EQ(one("SELECT status FROM points WHERE point_id = 0"), "ok");
  EXPECT_EQ(one("SELECT overrides FROM points WHERE point_id = 0"), "device.price=$20000");
  EXPECT_EQ(one("SELECT json_extract(inputs, '$.set.\"device.price\"') FROM points"), "$20000");
  EXPECT_EQ(one("SELECT json_extract(result, '$.step_time_s') = step_time_s FROM points"), "1");
  for (const char* col : {"system",
                          "model",
                          "overrides",
                          "strategy_input",
                          "objective",
                          "seq",
                          "precision",
                          "inputs",
                          "status",
                          "error",
                          "note",
                          "strategy",
                          "devices",
                          "step_time_s",
                          "tokens_per_s",
                          "mfu",
                          "memory_per_device_bytes",
                          "fits",
                          "energy_j_per_step",
                          "cost_usd_per_step",
                          "result"})
    EXPECT_EQ(one(("SELECT count(*) FROM pragma_table_info('points') WHERE name = '" + std::string(col) + "'").c_str()), "1")
        << col;
  for (const char* idx : {"points_system", "points_model", "points_overrides", "points_status"})
    EXPECT_EQ(one(("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '" + std::string(idx) + "'").c_str()), "1")
        << idx;
  sqlite3_close(h);
}

TEST(SweepStore, OnlyCommittedPointsSurviveAndResumeSkipsThem) {
  const TempDb db("resume.sqlite");
  const auto space = explore::parse_space(kSpace, "space.yaml");
  {
    Store s(db.str(), Store::Mode::create);
    s.begin(space, "dojosim test");
    for (long long id : {2, 0}) {
      const auto p = explore::point_at(space, id);
      s.add(p, explore::evaluate_point(p));
    }
    s.commit();
    EXPECT_EQ(s.pending(), 0);
  }
  {
    Store s(db.str(), Store::Mode::resume);
    s.begin(space, "dojosim test");
    EXPECT_EQ(s.count(), 2);
    EXPECT_EQ(s.finished(4), (std::vector<bool>{true, false, true, false}));
    const auto counts = s.status_counts();
    EXPECT_EQ(counts.front(), (std::pair<std::string, long long>{"ok", 2}));
  }
  // A sweep file cannot be started again, nor resumed with another space.
  EXPECT_THROW(Store(db.str(), Store::Mode::create), core::InputError);
  std::string other = kSpace;
  other.replace(other.find("$50000"), 6, "$60000");
  Store s(db.str(), Store::Mode::resume);
  try {
    s.begin(explore::parse_space(other, "other.yaml"), "dojosim test");
    FAIL() << "resume with another space was accepted";
  } catch (const core::InputError& e) { EXPECT_NE(std::string(e.what()).find("another space"), std::string::npos) << e.what(); }
}

// A space that leaves seq out runs each model at its default (min(max_seq, 2048)): the
// points table and the CSV hold that length, not the 0 that asked for it (found by a
// probe); `inputs` keeps the space's 0. A point the system cannot take still names it.
TEST(SweepStore, StoresTheSequenceLengthRun) {
  const TempDb db("seq.sqlite");
  const std::string gpt2 = std::string(DOJOSIM_TEST_DATA_DIR) + "/hf/gpt2-tiny.json";  // n_positions 1024
  const auto space = explore::parse_space("systems: [dgx-h100:nodes=2]\nmodels: [llama3-8b, " + gpt2 + "]\n", "space.yaml");
  ASSERT_EQ(space.size(), 2);
  {
    Store s(db.str(), Store::Mode::create);
    s.begin(space, "dojosim test");
    for (long long id = 0; id < 2; ++id) {
      const auto p = explore::point_at(space, id);
      EXPECT_EQ(p.seq, 0);
      const auto r = explore::evaluate_point(p);
      EXPECT_EQ(r.status, explore::Status::ok) << r.error;
      EXPECT_EQ(r.seq, id == 0 ? 2048 : 1024);
      EXPECT_EQ(nlohmann::json::parse(r.result_json).at("strategy").at("seq").get<long long>(), r.seq);
      s.add(p, r);
    }
    auto bad = explore::point_at(space, 0);
    bad.id = 1;
    bad.set.emplace_back("device.memory.sram.capacity", "1 GB");  // a GPU has no SRAM key: invalid
    EXPECT_EQ(explore::evaluate_point(bad).status, explore::Status::invalid);
    EXPECT_EQ(explore::evaluate_point(bad).seq, 2048);
    s.commit();
  }
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.str().c_str(), &h), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(h, "SELECT seq, json_extract(inputs, '$.seq') FROM points ORDER BY point_id", -1, &st, nullptr),
            SQLITE_OK);
  std::vector<std::pair<long long, long long>> rows;
  while (sqlite3_step(st) == SQLITE_ROW) rows.emplace_back(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
  sqlite3_finalize(st);
  sqlite3_close(h);
  EXPECT_EQ(rows, (std::vector<std::pair<long long, long long>>{{2048, 0}, {1024, 0}}));
  const std::string text = csv(db.str());
  EXPECT_NE(text.find("\n0,dgx-h100:nodes=2,llama3-8b,best,time,2048,bf16,ok,"), std::string::npos) << text;
  EXPECT_NE(text.find(",best,time,1024,bf16,ok,"), std::string::npos) << text;
}

TEST(SweepStore, ExportIsOrderedByPointIdWhateverTheWriteOrder) {
  const TempDb a("a.sqlite"), b("b.sqlite");
  const auto space = explore::parse_space(kSpace, "space.yaml");
  for (const auto& [db, order] :
       {std::pair{&a, std::vector<long long>{0, 1, 2, 3}}, std::pair{&b, std::vector<long long>{3, 1, 0, 2}}}) {
    Store s(db->str(), Store::Mode::create);
    s.begin(space, "dojosim test");
    for (long long id : order) {
      const auto p = explore::point_at(space, id);
      s.add(p, explore::evaluate_point(p));
      s.commit();
    }
  }
  const std::string ca = csv(a.str());
  EXPECT_EQ(ca, csv(b.str()));
  std::istringstream in(ca);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.rfind("point_id,system,model,device.price,strategy_input,objective,seq,precision,status,strategy,devices,"
                       "step_time_s,tokens_per_s,mfu,memory_per_device_bytes,fits,energy_j_per_step,cost_usd_per_step,note,error",
                       0),
            0U);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(std::getline(in, line));
    EXPECT_EQ(line.substr(0, line.find(',')), std::to_string(i));
    EXPECT_NE(line.find(",ok,"), std::string::npos) << line;
  }
  EXPECT_FALSE(std::getline(in, line));
}

TEST(SweepStore, RejectsFilesThatAreNotSweeps) {
  const TempDb db("other.sqlite");
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.str().c_str(), &h), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(h, "CREATE TABLE t(x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(h);
  EXPECT_THROW(Store(db.str(), Store::Mode::resume), core::InputError);
  EXPECT_THROW(Store(db.str() + ".missing", Store::Mode::read), core::InputError);
}

// Two sweeps that open one new database at once: the second to record itself is told
// another sweep started there (it had been an internal "UNIQUE constraint failed" error).
TEST(SweepStore, TwoSweepsOnOneNewFileAreAnInputError) {
  const TempDb db("twice.sqlite");
  const auto space = explore::parse_space(kSpace, "space.yaml");
  Store first(db.str(), Store::Mode::create);
  Store second(db.str(), Store::Mode::create);  // before the first records its sweep
  first.begin(space, "dojosim test");
  try {
    second.begin(space, "dojosim test");
    ADD_FAILURE() << "a second sweep recorded itself";
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("another dojosim sweep started in this database"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(first.has_sweep());
}

// A sweep's `set` reaches what --set reaches (README): stack keys too, each value a stack
// of its own (a probe found `set: {stack.overlap.tp: [...]}` refused as a system key), and
// a misspelt one is located at its value.
TEST(SweepStore, SetVariesStackKeys) {
  const auto space = explore::parse_space(
      "systems: [dgx-h100:nodes=2]\nmodels: [llama3-8b]\nstrategy: tp=8,pp=1,dp=2,mbs=1,gbs=64\nset:\n  stack.overlap.tp: [0.1, "
      "0.9]\n",
      "space.yaml");
  ASSERT_EQ(space.size(), 2);
  const auto low = explore::evaluate_point(explore::point_at(space, 0));
  const auto high = explore::evaluate_point(explore::point_at(space, 1));
  ASSERT_EQ(low.status, explore::Status::ok) << low.error;
  ASSERT_EQ(high.status, explore::Status::ok) << high.error;
  EXPECT_GT(low.step_time_s, high.step_time_s);  // less TP communication hidden
  EXPECT_EQ(nlohmann::json::parse(low.result_json).at("stack").get<std::string>(), "megatron-core:overlap.tp=0.1");
  EXPECT_THROW(explore::parse_space("systems: [dgx-h100]\nmodels: [llama3-8b]\nset:\n  stack.overlap.tpp: [0.1]\n", "space.yaml"),
               core::InputError);
}

// on_progress may throw to cancel a sweep (Python's bindings do on Ctrl-C): the exception
// comes out of run_local, the threads stop, every point Progress counted stays committed
// and a resumed run evaluates only the rest.
TEST(SweepStore, ProgressThatThrowsCancelsAndKeepsCommittedPoints) {
  const TempDb db("cancel.sqlite");
  const auto space = explore::parse_space(kSpace, "space.yaml");
  struct Cancelled {};
  long long done_when_cancelled = -1;
  explore::RunOptions opt;
  opt.threads = 1;
  opt.commit_interval_s = 0;  // commit (and report) as each point arrives
  opt.on_progress = [&](const explore::Progress& p) {
    if (p.done > 0) {
      done_when_cancelled = p.done;
      throw Cancelled{};
    }
  };
  {
    Store s(db.str(), Store::Mode::create);
    s.begin(space, "dojosim test");
    EXPECT_THROW(explore::run_local(space, s, opt), Cancelled);
  }
  ASSERT_GT(done_when_cancelled, 0);
  ASSERT_LT(done_when_cancelled, 4);
  Store s(db.str(), Store::Mode::resume);
  s.begin(space, "dojosim test");
  EXPECT_EQ(s.count(), done_when_cancelled);
  opt.on_progress = nullptr;
  const auto sum = explore::run_local(space, s, opt);
  EXPECT_EQ(sum.resumed, done_when_cancelled);
  EXPECT_EQ(sum.evaluated, 4 - done_when_cancelled);
  EXPECT_EQ(s.count(), 4);
}
