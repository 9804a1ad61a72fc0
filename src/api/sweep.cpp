// api: sweep — a design space evaluated into SQLite, and the stored results read back.
#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>

#include "dojosim/api/api.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/core/units.hpp"
#include "dojosim/explore/store.hpp"

namespace dojosim::api {

SweepOutput sweep(const SweepArgs& a, const std::string& version) {
  if (a.space.empty())
    throw core::InputError({"", 0, 0, "SPACE"}, "no space file given",
                           "dojosim sweep SPACE.yaml --db RESULTS.sqlite (or --export csv --db RESULTS.sqlite)");
  if (a.db.empty()) throw core::InputError({"", 0, 0, "--db"}, "no database given", "--db RESULTS.sqlite");
  if (a.threads < 0)
    throw core::InputError({"", 0, 0, "--threads"}, fmt::format("--threads {} is negative", a.threads),
                           "a number of threads (0 = all cores)");
  std::optional<explore::Space> space;
  std::optional<explore::Store> store;
  explore::RunOptions opt;
  opt.threads = a.threads;
  opt.on_progress = a.on_progress;
  SweepOutput out;
  out.summary = explore::run_sweep(
      [&]() {
        space.emplace(explore::load_space(a.space));
        if (!a.stack.empty()) {  // --stack replaces the file's `stack:`
          (void)parallel::load_stack(a.stack);
          space->stack = a.stack;
        }
        store.emplace(a.db, a.resume ? explore::Store::Mode::resume : explore::Store::Mode::create);
        store->begin(*space, "dojosim " + version);
        return explore::SweepJob{&*space, &*store};
      },
      opt);
  if (!out.summary.writer) return out;  // an MPI worker rank: rank 0 reports
  out.stored = store->count();
  out.by_status = store->status_counts();
  return out;
}

Json SweepOutput::json() const {
  const auto& s = summary;
  Json by = Json::object();
  for (const auto& [k, n] : by_status) by[k] = n;
  return Json{{"total", s.total},           {"stored", stored},     {"by_status", by},
              {"evaluated", s.evaluated},   {"resumed", s.resumed}, {"ok", s.ok},
              {"infeasible", s.infeasible}, {"invalid", s.invalid}, {"error", s.error},
              {"wall_s", s.wall_s},         {"ranks", s.ranks},     {"threads", s.threads}};
}

std::string sweep_csv(const std::string& db) {
  const explore::Store store(db, explore::Store::Mode::read);
  std::ostringstream out;
  store.export_csv(out);
  return out.str();
}

namespace {
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}
}  // namespace

namespace {
// How a CSV column reads back (docs/python.md, sweep_results): the fixed columns by their
// SQL type, the set keys' values as numbers when they are bare numbers.
enum class Column { integer, real, boolean, text, set_value };

Column column_kind(const std::string& name) {
  static const std::map<std::string, Column, std::less<>> fixed{{"point_id", Column::integer},
                                                                {"system", Column::text},
                                                                {"model", Column::text},
                                                                {"strategy_input", Column::text},
                                                                {"objective", Column::text},
                                                                {"seq", Column::integer},
                                                                {"precision", Column::text},
                                                                {"status", Column::text},
                                                                {"strategy", Column::text},
                                                                {"devices", Column::integer},
                                                                {"step_time_s", Column::real},
                                                                {"tokens_per_s", Column::real},
                                                                {"mfu", Column::real},
                                                                {"memory_per_device_bytes", Column::real},
                                                                {"fits", Column::boolean},
                                                                {"energy_j_per_step", Column::real},
                                                                {"cost_usd_per_step", Column::real},
                                                                {"note", Column::text},
                                                                {"error", Column::text}};
  const auto it = fixed.find(name);
  return it == fixed.end() ? Column::set_value : it->second;
}

// A whole number written as one ("400", "-3"): an integer; any other full number
// ("0.05", "1e-4"): a double; nothing else is a number.
std::optional<Json> number(const std::string& v) {
  if (v.empty()) return std::nullopt;
  const char* b = v.c_str();
  char* end = nullptr;
  const bool digits = v.find_first_not_of("-0123456789") == std::string::npos;
  if (digits) {
    errno = 0;
    const long long n = std::strtoll(b, &end, 10);
    if (*end == '\0' && errno == 0) return Json(n);
  }
  const double d = std::strtod(b, &end);
  if (*end == '\0' && std::isfinite(d)) return Json(d);
  return std::nullopt;
}

Json cell(const std::string& name, const std::string& v) {
  switch (column_kind(name)) {
    case Column::text: return v;  // "" for no note or error, as stored
    case Column::boolean:
      if (v.empty()) return nullptr;
      return v == "true";
    case Column::integer:
    case Column::real: {
      if (v.empty()) return nullptr;  // a metric the point has not (invalid, error)
      auto n = number(v);
      if (!n) {
        char* end = nullptr;
        if (!std::isfinite(std::strtod(v.c_str(), &end)) && *end == '\0') return nullptr;  // inf, nan: as JSON prints them
        throw std::runtime_error(fmt::format("sweep export: column '{}' holds '{}', not a number", name, v));
      }
      if (column_kind(name) == Column::real && n->is_number_integer()) return static_cast<double>(n->get<long long>());
      return *n;
    }
    case Column::set_value: {
      if (v.empty()) return nullptr;  // the point has no value for this key
      auto n = number(v);
      return n ? *n : Json(v);
    }
  }
  return v;
}
}  // namespace

Json sweep_rows(const std::string& db) {
  std::istringstream in(sweep_csv(db));
  std::string line;
  std::vector<std::string> header;
  Json rows = Json::array();
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto f = csv_fields(line);
    if (header.empty()) {
      header = f;
      continue;
    }
    Json row = Json::object();
    for (std::size_t i = 0; i < header.size() && i < f.size(); ++i) row[header[i]] = cell(header[i], f[i]);
    rows.push_back(std::move(row));
  }
  return rows;
}

namespace {
const char* unit_symbol(core::Dim d) {
  switch (d) {
    case core::Dim::count: return "";
    case core::Dim::bytes: return "B";
    case core::Dim::seconds: return "s";
    case core::Dim::hertz: return "Hz";
    case core::Dim::flops: return "FLOP";
    case core::Dim::flop_rate: return "FLOP/s";
    case core::Dim::byte_rate: return "B/s";
    case core::Dim::watts: return "W";
    case core::Dim::joules: return "J";
    case core::Dim::usd: return "USD";
  }
  return "";
}

// The column's values as numbers of the first dimension that reads every one of them.
std::optional<std::pair<core::Dim, Json>> numeric_column(const Json& rows, const std::string& key) {
  using core::Dim;
  for (const Dim d : {Dim::count, Dim::bytes, Dim::byte_rate, Dim::seconds, Dim::flop_rate, Dim::flops, Dim::watts, Dim::joules,
                      Dim::usd, Dim::hertz}) {
    Json values = Json::array();
    bool all = true;
    for (const auto& r : rows) {
      const auto it = r.find(key);
      if (it == r.end() || it->is_null()) {
        values.push_back(nullptr);
      } else if (it->is_number()) {
        if (d != Dim::count) {
          all = false;
          break;
        }
        values.push_back(*it);
      } else {
        try {
          values.push_back(core::parse_quantity(it->get<std::string>(), d));
        } catch (const core::Error&) {
          all = false;
          break;
        }
      }
    }
    if (all) return std::make_pair(d, std::move(values));
  }
  return std::nullopt;
}
}  // namespace

Json sweep_report(const std::string& db) {
  const explore::Store store(db, explore::Store::Mode::read);
  const auto info = store.info();
  Json rows = sweep_rows(db);
  Json params = Json::array();
  auto keys = info.set_keys;
  keys.push_back("seq");
  for (const auto& k : keys) {
    auto col = numeric_column(rows, k);
    if (!col) continue;
    const auto& v = col->second;
    bool varies = false;
    for (const auto& x : v)
      if (!x.is_null() && x != v.front()) varies = true;
    if (!varies) continue;
    params.push_back({{"key", k}, {"unit", k == "seq" ? "tokens" : unit_symbol(col->first)}, {"values", v}});
  }
  return Json{{"name", info.space_name.empty() ? info.space_file : info.space_name},
              {"db", db},
              {"rows", std::move(rows)},
              {"params", std::move(params)}};
}

}  // namespace dojosim::api
