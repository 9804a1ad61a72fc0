// api: validate — predicted against measured step times (CSV columns: docs/validation.md#csv).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include "dojosim/api/api.hpp"
#include "dojosim/core/config.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"

namespace dojosim::api {

namespace {

// A system or stack cell naming a YAML file by a relative path ("my-stack.yaml",
// "sys.yaml:nodes=4") is found beside the CSV when it is not beside the working directory,
// as a user who keeps them together expects.
std::string beside(const std::string& csv, const std::string& cell) {
  std::size_t end = std::string::npos;
  for (const char* ext : {".yaml", ".yml"})
    if (const auto at = cell.find(ext); at != std::string::npos) end = at + std::string(ext).size();
  if (end == std::string::npos) return cell;
  const std::filesystem::path path = cell.substr(0, end);
  if (path.is_absolute() || std::filesystem::exists(path)) return cell;
  const std::filesystem::path there = std::filesystem::path(csv).parent_path() / path;
  return std::filesystem::exists(there) ? there.string() + cell.substr(end) : cell;
}
// The fields of one CSV line and the 1-based column where each starts (for file:line:column).
struct Fields {
  std::vector<std::string> values;
  std::vector<int> columns;  // where each field starts: its column on its line,
  std::vector<int> lines;    // and its line, counted from the record's first (quoted fields may hold line breaks)
};
Fields csv_fields(const std::string& line) {
  Fields out;
  std::string cur;
  bool quoted = false;
  int nl = 0;               // line breaks so far
  std::size_t line_at = 0;  // index where the current line starts
  out.columns.push_back(1);
  out.lines.push_back(0);
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\n') {
      ++nl;
      line_at = i + 1;
    }
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"')
        quoted = false;
      else
        cur += c;
    } else if (c == '"')
      quoted = true;
    else if (c == ',') {
      out.values.push_back(cur);
      cur.clear();
      out.columns.push_back(static_cast<int>(i - line_at) + 2);
      out.lines.push_back(nl);
    } else if (c != '\r')
      cur += c;
  }
  out.values.push_back(cur);
  return out;
}

const std::vector<std::string> kColumns{"id",      "model",     "layers",    "hidden",      "ffn",     "heads", "kv_heads",
                                        "seq_len", "vocab",     "gated_mlp", "system",      "devices", "tp",    "pp",
                                        "dp",      "cp",        "ep",        "vp",          "mbs",     "gbs",   "sp",
                                        "zero",    "recompute", "precision", "step_time_s", "source"};
// Optional columns (docs/validation.md#csv): `stack` (DESIGN.md 4.5; empty = --stack, else
// the system's default), partial recompute and activation offload (strategy keys), and a
// mixture of experts' routing (`experts` per MoE layer, `top_k` experts per token; `ffn`
// is then each expert's width).
const std::vector<std::string> kOptionalColumns{"stack", "recompute_layers", "offload_layers", "experts", "top_k"};
// Strategy columns, in the order they are written into a strategy spec.
const std::vector<std::string> kStrategyColumns{
    "tp", "pp", "dp", "cp", "ep", "vp", "mbs", "gbs", "sp", "zero", "recompute", "recompute_layers", "offload_layers"};
const std::string kColumnsDoc = "the columns of docs/validation.md#csv";
}  // namespace

ValidateOutput validate(const std::string& file, const std::string& stack_name) {
  // A misspelt --stack is an error before any row (rows that name their own stack would
  // otherwise never read it).
  if (!stack_name.empty()) (void)parallel::load_stack(stack_name);
  // Line ends: CRLF, LF, or a lone CR (classic Mac spreadsheets) all end a line.
  const std::string raw = core::read_text_file(file);
  std::string text;
  text.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i)
    if (raw[i] != '\r')
      text += raw[i];
    else if (i + 1 == raw.size() || raw[i + 1] != '\n')
      text += '\n';
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  int open_quote = 0;  // the line of a quoted field the file never closes
  std::vector<std::string> header;
  Json cases = Json::array();
  double sum_abs = 0, max_abs = 0;
  int counted = 0, failed = 0;
  // One printed row per case; the table is laid out once every row is known, so long ids
  // and stack specs keep their columns apart.
  struct Row {
    std::string id, predicted, measured, error, stack, strategy;
  };
  std::vector<Row> rows;
  struct Group {
    int n = 0;
    double sum = 0, max = 0;
    bool uncalibrated = false;  // a case's (device, stack, precision) GEMM efficiency no measured run calibrates
  };
  std::map<std::string, Group> groups;  // by (system, stack): what each calibration covers
  std::map<std::string, int> seen_ids;  // case id -> its line
  while (std::getline(in, line)) {
    ++lineno;
    const int first_line = lineno;
    // A quoted field may hold line breaks: read on until its quotes close.
    for (std::string more; std::count(line.begin(), line.end(), '"') % 2 == 1 && std::getline(in, more); ++lineno)
      line += "\n" + more;
    if (std::count(line.begin(), line.end(), '"') % 2 == 1) {
      open_quote = first_line;  // the file ended inside a quoted field
      break;
    }
    // A UTF-8 byte-order mark (spreadsheets' "CSV UTF-8") is not part of the first column's name.
    if (first_line == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
    if (core::trim(line).empty()) continue;
    const Fields fl = csv_fields(line);
    const auto& f = fl.values;
    // A row of empty cells (a spreadsheet's trailing ",,,,") is a blank line.
    if (!header.empty() && std::all_of(f.begin(), f.end(), [](const std::string& v) { return core::trim(v).empty(); })) continue;
    if (header.empty()) {
      header = f;
      for (auto& h : header) h = core::to_lower(core::trim(h));
      if (header.size() == 1 && (line.find(';') != std::string::npos || line.find('\t') != std::string::npos))
        throw core::InputError({file, first_line, 1, ""}, "the header has one column",
                               "comma-separated values (" + kColumnsDoc + ")", "save the file with commas as separators");
      auto known = kColumns;
      known.insert(known.end(), kOptionalColumns.begin(), kOptionalColumns.end());
      // A missing column's likely misspelling is among the columns that are not known ones:
      // the file has that one, and the hint renames it to the expected name (not "did you
      // mean" the misspelling back).
      std::vector<std::string> strangers;
      for (const auto& h : header)
        if (std::find(known.begin(), known.end(), h) == known.end()) strangers.push_back(h);
      for (const auto& c : kColumns) {
        if (std::find(header.begin(), header.end(), c) != header.end()) continue;
        const std::string near = core::nearest(c, strangers);
        if (near.empty()) throw core::InputError({file, first_line, 1, c}, fmt::format("missing column '{}'", c), kColumnsDoc);
        const auto at = static_cast<std::size_t>(std::find(header.begin(), header.end(), near) - header.begin());
        throw core::InputError({file, first_line, fl.columns[at], c},
                               fmt::format("missing column '{}'; the header has '{}' instead", c, near), kColumnsDoc,
                               fmt::format("rename column '{}' to '{}'", near, c));
      }
      for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i].empty())
          throw core::InputError({file, first_line, fl.columns[i], ""}, fmt::format("column {} has no name", i + 1), kColumnsDoc,
                                 "remove the trailing comma of the header");
        if (std::find(known.begin(), known.end(), header[i]) == known.end())
          throw core::InputError({file, first_line, fl.columns[i], header[i]}, fmt::format("unknown column '{}'", header[i]),
                                 kColumnsDoc, core::did_you_mean(header[i], known));
        if (std::find(header.begin(), header.begin() + static_cast<std::ptrdiff_t>(i), header[i]) !=
            header.begin() + static_cast<std::ptrdiff_t>(i))
          throw core::InputError({file, first_line, fl.columns[i], header[i]},
                                 fmt::format("column '{}' appears twice", header[i]), "each column once");
      }
      continue;
    }
    if (f.size() != header.size())
      throw core::InputError({file, first_line, 1, ""}, fmt::format("{} fields, the header has {}", f.size(), header.size()),
                             "one value per column (quote values that contain commas)");
    auto index = [&](const std::string& name) -> std::size_t {
      for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == name) return i;
      return 0;
    };
    auto col = [&](const std::string& name) -> std::string {
      for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == name) return core::trim(f[i]);
      return "";  // an optional column left out
    };
    auto where = [&](const std::string& name) -> core::Location {
      return {file, first_line + fl.lines[index(name)], fl.columns[index(name)], name};
    };
    // A malformed field is a bad CSV (exit 2, located); a well-formed case that cannot be
    // evaluated (unknown system, does not fit) is a failed case (exit 3).
    auto num = [&](const std::string& name) -> long long {
      const std::string v = col(name);
      // Decimal digits only: strtod also read 0x180 as 384, 7.678e1 as 76.78 and 1536.0.
      if (v.empty() || v.size() > 15 || v.find_first_not_of("0123456789") != std::string::npos)
        throw core::InputError(where(name), fmt::format("'{}' is not a whole number", v),
                               "a whole number from 0 to 1e15 in decimal digits, e.g. 1536");
      return std::stoll(v);
    };
    Json c;
    if (col("id").empty()) throw core::InputError(where("id"), "a case without an id", "a name for each measured run");
    if (const auto [it, fresh] = seen_ids.emplace(col("id"), first_line); !fresh)
      throw core::InputError(where("id"), fmt::format("case id '{}' appears twice (first on line {})", col("id"), it->second),
                             "one id per measured run");
    c["id"] = col("id");
    const std::string measured_text = col("step_time_s");
    char* measured_end = nullptr;
    const double measured = std::strtod(measured_text.c_str(), &measured_end);
    if (measured_text.empty() || *measured_end != '\0' || !std::isfinite(measured) || !(measured >= 1e-6) ||
        measured_text.find_first_of("xX") != std::string::npos)  // strtod reads hexadecimal floats too
      throw core::InputError(where("step_time_s"), fmt::format("measured step time '{}' is not a positive number", measured_text),
                             "the measured step time in seconds (at least 1e-6), e.g. 12.7");
    c["measured_step_time_s"] = measured;
    workload::Transformer m;
    m.name = col("model");
    m.layers = num("layers");
    m.hidden = num("hidden");
    m.ffn = num("ffn");
    m.heads = num("heads");
    m.kv_heads = num("kv_heads");  // required: a blank is no statement of MHA (heads for multi-head attention)
    m.head_dim = m.heads > 0 ? m.hidden / m.heads : 0;
    m.vocab = num("vocab");
    m.max_seq = num("seq_len");
    const long long devices = num("devices");
    // As --seq and --system bound them (a probe found 0 devices and a 2e7-token sequence
    // reported as failed cases, exit 3, where the CLI's options exit 2).
    if (devices < 1) throw core::InputError(where("devices"), "0 devices", "the devices of the measured run, at least 1");
    if (m.max_seq > (1LL << 24))
      throw core::InputError(where("seq_len"), fmt::format("a sequence of {} tokens is beyond 2^24", m.max_seq),
                             "a sequence length from 1 to 16777216, as --seq takes");
    const std::string gated = core::to_lower(col("gated_mlp"));
    // It decides the model's family, not only its MLP: a model cell that must be filled (an
    // empty one had been read as false, a GPT-style model).
    if (gated != "true" && gated != "false")
      throw core::InputError(where("gated_mlp"),
                             gated.empty() ? std::string("gated_mlp is empty")
                                           : fmt::format("gated_mlp '{}' is not true or false", col("gated_mlp")),
                             "true (Llama-style: SwiGLU, RMSNorm, no biases, untied embeddings, rotary positions, no "
                             "dropout) or false (GPT-style: GELU MLP, LayerNorm, biases, tied embeddings, learned "
                             "positions, dropout)",
                             "for a model that is neither, write a model file and run it with `dojosim run --model`");
    m.gated_mlp = gated == "true";
    m.rmsnorm = m.gated_mlp;
    m.bias = !m.gated_mlp;
    m.learned_positions = !m.gated_mlp;
    m.tied_embeddings = !m.gated_mlp;
    m.dropout = !m.gated_mlp;  // GPT-style (Megatron, dropout 0.1) vs Llama-style (no dropout)
    if (!col("experts").empty() && std::find(header.begin(), header.end(), "top_k") == header.end())
      throw core::InputError(where("experts"), "an experts column without a top_k column",
                             "a top_k column beside experts: the experts each token is routed to");
    if (!col("top_k").empty() && std::find(header.begin(), header.end(), "experts") == header.end())
      throw core::InputError(where("top_k"), "a top_k column without an experts column",
                             "an experts column beside top_k: the experts of each MoE layer");
    if (col("experts").empty() != col("top_k").empty())
      throw core::InputError(
          where(col("experts").empty() ? "experts" : "top_k"),
          fmt::format("experts '{}' with top_k '{}' is not a mixture of experts", col("experts"), col("top_k")),
          "both given for a mixture of experts, both empty for a dense model");
    if (!col("experts").empty() || !col("top_k").empty()) {
      // A mixture of experts: every layer's MLP is `experts` experts of width ffn, each token
      // routed to top_k of them (Mixtral-style; docs/validation.md#csv).
      m.experts = num("experts");
      m.experts_per_token = col("top_k").empty() ? 0 : num("top_k");
      if (m.experts < 2 || m.experts_per_token < 1 || m.experts_per_token > m.experts)
        throw core::InputError(
            where(col("top_k").empty() ? "top_k" : "experts"),
            fmt::format("experts '{}' with top_k '{}' is not a mixture of experts", col("experts"), col("top_k")),
            "experts >= 2 and 1 <= top_k <= experts (both empty for a dense model)");
      m.expert_ffn = m.ffn;
    }
    // The measured time is per step of the stated global batch: without it, no comparison.
    if (col("gbs").empty())
      throw core::InputError(where("gbs"), "the global batch is empty", "the run's global batch in sequences",
                             "the step time measured is that of one global batch; give it");
    std::string spec;
    for (const auto& k : kStrategyColumns) {
      const std::string v = col(k);
      if (v.empty()) continue;
      if (v.find_first_of(",=") != std::string::npos)
        throw core::InputError(where(k), fmt::format("'{}' is not one value", v), fmt::format("one value for {}", k));
      if (v == "-" || core::to_lower(v) == "n/a" || core::to_lower(v) == "na")
        throw core::InputError(where(k), fmt::format("'{}' is not a value of {}", v, k), "a value, or an empty cell",
                               "leave the cell empty when the source does not state it: the fastest feasible value is chosen");
      spec += fmt::format("{}{}={}", spec.empty() ? "" : ",", k, v);
    }
    // Malformed strategy or precision fields are located at their column (exit 2).
    auto relocate = [&](const core::InputError& e, const std::string& column) {
      // The model's key as the CSV names its column (max_seq is the seq_len column).
      std::string key = e.location().key_path;
      for (const auto& [model_key, column_name] :
           {std::pair<std::string, std::string>{"max_seq", "seq_len"}, {"experts_per_token", "top_k"}})
        if (key == model_key) key = column_name;
      const bool known = std::find(header.begin(), header.end(), key) != header.end();
      return core::InputError(where(known ? key : column), e.message(), e.expected(), e.suggestion());
    };
    parallel::Strategy s;
    try {
      s = parallel::parse_strategy(spec);
    } catch (const core::InputError& e) { throw relocate(e, "tp"); }
    try {
      s.precision = hardware::parse_training_precision(col("precision"));
    } catch (const core::InputError& e) { throw relocate(e, "precision"); }
    // The CSV has no head_dim column: the head width is hidden / heads, exactly.
    if (m.heads > 0 && m.hidden % m.heads != 0)
      throw core::InputError(where("heads"), fmt::format("hidden {} is not a multiple of heads {}", m.hidden, m.heads),
                             "heads dividing hidden (the head width is hidden / heads)",
                             "for a model whose heads are not hidden / heads wide, write a model file (docs/model.md)");
    try {
      m.validate({file, first_line, 0, ""});
    } catch (const core::InputError& e) { throw relocate(e, "layers"); }
    try {
      // A preset of fixed size (a Dojo tile, tray, cabinet) takes no device count: the
      // row's count must be its own.
      const std::string system_file = beside(file, col("system"));
      hardware::System sys = hardware::load_system(system_file);
      // A system given with its own size (dgx-h100:nodes=2) must have the row's devices.
      if (sys.device_count() != devices && col("system").find(':') != std::string::npos)
        throw core::InputError(where("system"),
                               fmt::format("{} has {} devices, the row {}", col("system"), sys.device_count(), devices),
                               "the preset's name alone (its size comes from devices), or a size that matches");
      if (sys.device_count() != devices) {
        try {
          sys = hardware::load_system(fmt::format("{}:devices={}", system_file, devices));
        } catch (const core::InputError& e) {
          if (e.message().find("no parameter 'devices'") == std::string::npos) throw;
          throw core::InputError(e.location(),
                                 fmt::format("{} has {} devices, the row {}", col("system"), sys.device_count(), devices),
                                 fmt::format("devices = {} for {}", sys.device_count(), col("system")),
                                 "a larger preset (dojo-exapod:devices=N) for other counts");
        }
      }
      s.seq = m.max_seq;
      const auto stack = stack_for(sys, col("stack").empty() ? stack_name : beside(file, col("stack")), {});
      engine::Context ctx{&sys, &m, s.seq};
      ctx.use(stack);
      c["stack"] = stack.name;
      engine::Result r;
      const auto& g = s.given;
      // Every degree stated: the plan itself. An empty cell, cp and ep included, is chosen as
      // the fastest feasible value (docs/validation.md#csv); cp and ep had been taken as 1.
      if (g.tp && g.pp && g.dp && g.cp && g.ep && g.mbs && g.gbs && g.vp && g.sp && g.zero && g.recompute) {
        parallel::check_strategy(s, m, sys);
        // The plan as the stack can run it: a plan its software cannot run (DeepSpeed's
        // pipeline without interleaving) is a failed case here, as it is an error in `run`.
        if (const std::string why = engine::stack_problem(ctx, s); !why.empty())
          throw core::Infeasible(fmt::format("the stack cannot run this plan: {}", why));
        r = engine::evaluate(ctx, s);
        if (!r.memory.fits)
          throw core::Infeasible(fmt::format("does not fit in memory: {:.1f} GB per device, {:.1f} GB available",
                                             r.memory.per_device() / 1e9, r.memory.capacity / 1e9));
      } else {
        r = engine::resolve(ctx, s);
      }
      const double err = (r.step_time / measured - 1.0) * 100.0;
      if (!std::isfinite(err)) throw std::runtime_error(fmt::format("predicted step time {} is not finite", r.step_time));
      c["predicted_step_time_s"] = r.step_time;
      c["error_pct"] = err;
      c["strategy"] = report::strategy_json(r);
      c["mfu"] = r.mfu;
      // What `run` notes too: the keys chosen, how sure the pricing is, and whether the
      // pair's GEMM efficiency is calibrated (a probe found uncalibrated rows unmarked).
      const std::string gemm = parallel::uncalibrated_gemm_note(stack, sys, r.strategy.precision);
      Json notes = Json::array();
      for (const auto& n : r.notes) notes.push_back(n);
      for (auto& n : engine::pricing_notes(r, sys)) notes.push_back(std::move(n));
      if (!gemm.empty()) notes.push_back(gemm);
      c["notes"] = std::move(notes);
      sum_abs += std::fabs(err);
      max_abs = std::max(max_abs, std::fabs(err));
      ++counted;
      auto& grp = groups[fmt::format("{} / {}", col("system"), stack.name)];
      grp.n += 1;
      grp.sum += std::fabs(err);
      grp.max = std::max(grp.max, std::fabs(err));
      grp.uncalibrated = grp.uncalibrated || !gemm.empty();
      rows.push_back({col("id"), fmt::format("{:.3f}", r.step_time), fmt::format("{:.3f}", measured),
                      fmt::format("{:+.1f}%", err), stack.name, r.strategy.spec()});
    } catch (const core::Error& e) {
      // The suggestion travels with the failure ("unknown system 'dgx-a1000' (did you mean 'dgx-a100'?)").
      const std::string& hint = e.suggestion().empty() ? e.expected() : e.suggestion();
      // Located at its row (a probe found a misspelt system reported without where it was),
      // and where a file the row names (a system or stack YAML) has the fault, there too.
      const core::Location& at = e.location();
      // A fault the engine blames on a command-line option is, here, the row's own cells.
      const std::string inner = at.file.empty() || at.file == file ? ""
                                : at.file == "--parallel"          ? " (the row's strategy cells)"
                                : at.file == "--stack"             ? " (the row's stack cell)"
                                : at.line > 0                      ? fmt::format(" at {}", at.str())
                                                                   : fmt::format(" ({})", at.file);
      const std::string why =
          fmt::format("{}{}{} [{}:{}]", e.message(), inner, hint.empty() ? "" : fmt::format(" ({})", hint), file, first_line);
      c["error"] = why;
      c["line"] = first_line;
      ++failed;
      rows.push_back({col("id"), "-", fmt::format("{:.3f}", measured), "FAILED", why, ""});
    }
    cases.push_back(c);
  }
  if (open_quote > 0)
    throw core::InputError({file, open_quote, 1, ""}, "a quoted field opened on this line is never closed",
                           "a closing \" for every opening one", "check the quotes of this row");
  if (header.empty())
    throw core::InputError({file, 1, 1, ""}, "the file is empty", "a CSV with the header of docs/validation.md#csv");
  if (cases.empty())
    throw core::InputError({file, lineno, 1, ""}, "no cases: the file has a header and no rows", "one row per measured run");
  const double mape = counted > 0 ? sum_abs / counted : 0.0;
  ValidateOutput out;
  out.json["cases"] = cases;
  // Over the evaluated cases; none evaluated: no statistic (null), as the text says.
  out.json["mape"] = counted > 0 ? Json(mape) : Json(nullptr);
  out.json["max_abs_error_pct"] = counted > 0 ? Json(max_abs) : Json(nullptr);
  out.json["evaluated"] = counted;
  out.json["failed"] = failed;
  auto& by = out.json["by_system_stack"];
  by = Json::object();
  for (const auto& [key, g] : groups) by[key] = {{"cases", g.n}, {"mape", g.sum / g.n}, {"max_abs_error_pct", g.max}};
  std::size_t id_w = 22, stack_w = 14, key_w = 32;
  for (const auto& row : rows) {
    id_w = std::max(id_w, row.id.size());
    if (!row.strategy.empty()) stack_w = std::max(stack_w, row.stack.size());
  }
  for (const auto& [key, g] : groups) key_w = std::max(key_w, key.size());
  out.text = fmt::format("{:<{}} {:>10} {:>10} {:>9}  {:<{}} {}\n", "case", id_w, "predicted", "measured", "error", "stack",
                         stack_w, "strategy");
  for (const auto& row : rows) {
    // A failed case prints its reason where the stack and strategy would be.
    const std::string tail = row.strategy.empty() ? row.stack : fmt::format("{:<{}} {}", row.stack, stack_w, row.strategy);
    out.text += fmt::format("{:<{}} {:>10} {:>10} {:>9}  {}\n", row.id, id_w, row.predicted, row.measured, row.error, tail);
  }
  for (const auto& [key, g] : groups)
    out.groups += fmt::format("  {:<{}} {:>3} cases: mean {:.2f}%, max {:.2f}%{}\n", key, key_w, g.n, g.sum / g.n, g.max,
                              g.uncalibrated ? " (GEMM efficiency not calibrated for this pair)" : "");
  out.mape = mape;
  out.max_abs = max_abs;
  out.counted = counted;
  out.failed = failed;
  return out;
}

}  // namespace dojosim::api
