// api: validate — predicted against measured step times (CSV of DESIGN.md 4.4).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "dojosim/api/api.hpp"
#include "dojosim/core/config.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"

namespace dojosim::api {

namespace {
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') { cur += '"'; ++i; }
      else if (c == '"') quoted = false;
      else cur += c;
    } else if (c == '"') quoted = true;
    else if (c == ',') { out.push_back(cur); cur.clear(); }
    else if (c != '\r') cur += c;
  }
  out.push_back(cur);
  return out;
}

const std::vector<std::string> kColumns{"id", "model", "layers", "hidden", "ffn", "heads", "kv_heads", "seq_len", "vocab",
                                        "gated_mlp", "system", "devices", "tp", "pp", "dp", "cp", "ep", "vp", "mbs", "gbs",
                                        "sp", "zero", "recompute", "precision", "step_time_s", "source"};
// Optional columns: `stack` (DESIGN.md 4.5; empty = --stack, else the system's default).
const std::vector<std::string> kOptionalColumns{"stack"};
}  // namespace

ValidateOutput validate(const std::string& file, const std::string& stack_name) {
  std::istringstream in(core::read_text_file(file));
  std::string line;
  int lineno = 0;
  std::vector<std::string> header;
  Json cases = Json::array();
  double sum_abs = 0, max_abs = 0;
  int counted = 0, failed = 0;
  std::string text;
  struct Group {
    int n = 0;
    double sum = 0, max = 0;
  };
  std::map<std::string, Group> groups;  // by (system, stack): what each calibration covers
  while (std::getline(in, line)) {
    ++lineno;
    if (core::trim(line).empty()) continue;
    auto f = csv_fields(line);
    if (header.empty()) {
      header = f;
      for (auto& h : header) h = core::trim(h);
      for (const auto& c : kColumns)
        if (std::find(header.begin(), header.end(), c) == header.end())
          throw core::InputError({file, lineno, 1, c}, fmt::format("missing column '{}'", c), "the header of DESIGN.md 4.4",
                                 core::did_you_mean(c, header));
      auto known = kColumns;
      known.insert(known.end(), kOptionalColumns.begin(), kOptionalColumns.end());
      for (const auto& h : header)
        if (std::find(known.begin(), known.end(), h) == known.end())
          throw core::InputError({file, lineno, 1, h}, fmt::format("unknown column '{}'", h), "the columns of DESIGN.md 4.4",
                                 core::did_you_mean(h, known));
      continue;
    }
    if (f.size() != header.size())
      throw core::InputError({file, lineno, 1, ""}, fmt::format("{} fields, the header has {}", f.size(), header.size()),
                             "one value per column (quote values that contain commas)");
    auto col = [&](const std::string& name) -> std::string {
      for (std::size_t i = 0; i < header.size(); ++i) if (header[i] == name) return core::trim(f[i]);
      return "";
    };
    auto num = [&](const std::string& name) -> long long {
      const std::string v = col(name);
      char* end = nullptr;
      const double d = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || d != std::floor(d) || d < 0)
        throw core::InputError({file, lineno, 0, name}, fmt::format("'{}' = '{}' is not a whole number", name, v), "a whole number");
      return static_cast<long long>(d);
    };
    Json c;
    c["id"] = col("id");
    const double measured = std::strtod(col("step_time_s").c_str(), nullptr);
    c["measured_step_time_s"] = measured;
    try {
      workload::Transformer m;
      m.name = col("model");
      m.layers = num("layers");
      m.hidden = num("hidden");
      m.ffn = num("ffn");
      m.heads = num("heads");
      m.kv_heads = col("kv_heads").empty() ? m.heads : num("kv_heads");
      m.head_dim = m.heads > 0 ? m.hidden / m.heads : 0;
      m.vocab = num("vocab");
      m.max_seq = num("seq_len");
      m.gated_mlp = core::to_lower(col("gated_mlp")) == "true";
      m.rmsnorm = m.gated_mlp;
      m.bias = !m.gated_mlp;
      m.learned_positions = !m.gated_mlp;
      m.tied_embeddings = !m.gated_mlp;
      m.dropout = !m.gated_mlp;  // GPT-style (Megatron, dropout 0.1) vs Llama-style (no dropout)
      m.validate({file, lineno, 0, ""});
      const auto sys = hardware::load_system(fmt::format("{}:devices={}", col("system"), num("devices")));
      std::string spec;
      for (const char* k : {"tp", "pp", "dp", "cp", "ep", "vp", "mbs", "gbs", "sp", "zero", "recompute"})
        if (!col(k).empty()) spec += fmt::format("{}{}={}", spec.empty() ? "" : ",", k, col(k));
      parallel::Strategy s = parallel::parse_strategy(spec);
      s.precision = hardware::parse_precision(col("precision").empty() ? "bf16" : col("precision"));
      s.seq = m.max_seq;
      const auto stack = stack_for(sys, col("stack").empty() ? stack_name : col("stack"), {});
      engine::Context ctx{&sys, &m, s.seq};
      ctx.use(stack);
      c["stack"] = stack.name;
      engine::Result r;
      const auto& g = s.given;
      if (g.tp && g.pp && g.dp && g.mbs && g.gbs && g.vp && g.sp && g.zero && g.recompute) {
        parallel::check_strategy(s, m, sys);
        r = engine::evaluate(ctx, s);
        if (!r.memory.fits) throw core::Infeasible("does not fit in memory");
      } else {
        r = engine::resolve(ctx, s);
      }
      const double err = (r.step_time / measured - 1.0) * 100.0;
      c["predicted_step_time_s"] = r.step_time;
      c["error_pct"] = err;
      c["strategy"] = report::strategy_json(r.strategy);
      c["mfu"] = r.mfu;
      sum_abs += std::fabs(err);
      max_abs = std::max(max_abs, std::fabs(err));
      ++counted;
      auto& grp = groups[fmt::format("{} / {}", col("system"), stack.name)];
      grp.n += 1;
      grp.sum += std::fabs(err);
      grp.max = std::max(grp.max, std::fabs(err));
      text += fmt::format("{:<22} {:>10.3f} {:>10.3f} {:>+8.1f}%  {:<14} {}\n", col("id"), r.step_time, measured, err, stack.name,
                          r.strategy.spec());
    } catch (const core::Error& e) {
      c["error"] = e.message();
      ++failed;
      max_abs = 1e9;
      text += fmt::format("{:<22} {:>10} {:>10.3f} {:>9}  {}\n", col("id"), "-", measured, "FAILED", e.message());
    }
    cases.push_back(c);
  }
  if (header.empty()) throw core::InputError({file, 1, 1, ""}, "the file is empty", "a CSV with the header of DESIGN.md 4.4");
  const double mape = counted > 0 ? sum_abs / counted : 0.0;
  ValidateOutput out;
  out.json["cases"] = cases;
  out.json["mape"] = mape;
  out.json["max_abs_error_pct"] = failed > 0 ? nullptr : Json(max_abs);
  out.json["failed"] = failed;
  auto& by = out.json["by_system_stack"];
  by = Json::object();
  for (const auto& [key, g] : groups) by[key] = {{"cases", g.n}, {"mape", g.sum / g.n}, {"max_abs_error_pct", g.max}};
  for (const auto& [key, g] : groups) out.groups += fmt::format("  {:<32} {:>3} cases: mean {:.2f}%, max {:.2f}%\n", key, g.n, g.sum / g.n, g.max);
  out.text = std::move(text);
  out.mape = mape;
  out.max_abs = max_abs;
  out.counted = counted;
  out.failed = failed;
  return out;
}

}  // namespace dojosim::api
