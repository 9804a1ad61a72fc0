#include "dojosim/workload/transformer.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <initializer_list>
#include <map>
#include <set>
#include <regex>

#include "dojosim/core/text.hpp"
#include "presets.hpp"

namespace dojosim::workload {

using core::Bounds;
using core::InputError;
using core::Location;

double Transformer::attention_params_per_layer() const {
  const double h = static_cast<double>(hidden);
  double p = h * static_cast<double>(q_dim()) * 2.0 + h * static_cast<double>(kv_dim()) * 2.0;
  if (bias || attention_bias || qkv_bias) p += static_cast<double>(q_dim() + 2 * kv_dim());
  if (bias || attention_bias) p += h;  // the output projection's (Qwen2 has none)
  return p;
}

namespace {
// The biases of one MLP of inner width `inner`: one per output of each projection (gate
// and up: inner each, down: hidden), as LlamaMLP's nn.Linear(bias=mlp_bias) holds them.
double mlp_biases(const Transformer& t, long long inner) {
  if (!t.bias && !t.mlp_bias) return 0.0;
  return (t.gated_mlp ? 2.0 : 1.0) * static_cast<double>(inner) + static_cast<double>(t.hidden);
}
}  // namespace

double Transformer::mlp_params_per_layer() const {
  const double h = static_cast<double>(hidden);
  const double mats = gated_mlp ? 3.0 : 2.0;
  if (!moe()) return mats * h * static_cast<double>(ffn) + mlp_biases(*this, ffn);
  const double e = static_cast<double>(expert_ffn);
  double p = h * static_cast<double>(experts);  // router
  p += static_cast<double>(experts + shared_experts) * (mats * h * e + mlp_biases(*this, expert_ffn));
  return p;
}

double Transformer::active_mlp_params_per_layer() const {
  if (!moe()) return mlp_params_per_layer();
  const double h = static_cast<double>(hidden);
  const double mats = gated_mlp ? 3.0 : 2.0;
  const double e = static_cast<double>(expert_ffn);
  double p = h * static_cast<double>(experts);
  p += static_cast<double>(experts_per_token + shared_experts) * (mats * h * e + mlp_biases(*this, expert_ffn));
  return p;
}

double Transformer::norm_params_per_layer() const { return 2.0 * static_cast<double>(hidden) * (rmsnorm ? 1.0 : 2.0); }

double Transformer::embedding_params() const {
  double p = static_cast<double>(vocab) * static_cast<double>(hidden);
  if (learned_positions) p += static_cast<double>(max_seq) * static_cast<double>(hidden);
  return p;
}

double Transformer::head_params() const {
  const double final_norm = static_cast<double>(hidden) * (rmsnorm ? 1.0 : 2.0);
  return (tied_embeddings ? 0.0 : static_cast<double>(vocab) * static_cast<double>(hidden)) + final_norm;
}

double Transformer::params() const {
  return static_cast<double>(layers) * (attention_params_per_layer() + mlp_params_per_layer() + norm_params_per_layer()) +
         embedding_params() + head_params();
}

double Transformer::active_params() const {
  return static_cast<double>(layers) * (attention_params_per_layer() + active_mlp_params_per_layer() + norm_params_per_layer()) +
         embedding_params() + head_params();
}

double Transformer::causal_pairs_share(long long seq) const {
  if (sliding_window <= 0 || seq <= sliding_window) return 1.0;
  const double s = static_cast<double>(seq), w = static_cast<double>(sliding_window);
  const double windowed =
      window_layers > 0 ? static_cast<double>(std::min(window_layers, layers)) / static_cast<double>(layers) : 1.0;
  return 1.0 - windowed * (1.0 - (2.0 * s * w - w * w) / (s * s));
}

double Transformer::forward_flops_per_token(long long seq, bool causal) const {
  const double h = static_cast<double>(hidden);
  // Projections: 2 FLOPs per weight per token (biases and norms are not GEMM work).
  const double proj = 2.0 * h * static_cast<double>(q_dim()) * 2.0 + 2.0 * h * static_cast<double>(kv_dim()) * 2.0;
  const double mats = gated_mlp ? 3.0 : 2.0;
  const double width = moe() ? static_cast<double>(experts_per_token + shared_experts) * static_cast<double>(expert_ffn)
                             : static_cast<double>(ffn);
  double mlp = 2.0 * mats * h * width;
  if (moe()) mlp += 2.0 * h * static_cast<double>(experts);  // router
  const double attn =
      4.0 * static_cast<double>(seq) * static_cast<double>(q_dim()) * (causal ? 0.5 * causal_pairs_share(seq) : 1.0);
  const double logits = 2.0 * h * static_cast<double>(vocab);
  return static_cast<double>(layers) * (proj + mlp + attn) + logits;
}

SavedList Transformer::saved_per_layer() const {
  using Split = Saved::Split;
  const double h = static_cast<double>(hidden), q = static_cast<double>(q_dim()), kv = static_cast<double>(kv_dim());
  // MLP width per token: the routed experts' (and shared experts') for MoE.
  const double f = moe() ? static_cast<double>(expert_ffn) * static_cast<double>(experts_per_token + shared_experts)
                         : static_cast<double>(ffn);
  SavedList l;
  l.add({.elems = h, .split = Split::sequence});                          // input norm's input
  l.add({.elems = h, .split = Split::sequence, .gemm_input = true});      // QKV projection's input
  l.add({.elems = q + 2.0 * kv, .split = Split::tensor});                 // Q, K, V
  l.add({.elems = q, .split = Split::tensor, .gemm_input = true});        // output projection's input
  l.add({.elems = h, .split = Split::sequence});                          // MLP norm's input
  l.add({.elems = h, .split = Split::sequence, .gemm_input = true});      // MLP input (up / gate projections)
  l.add({.elems = (gated_mlp ? 2.0 : 1.0) * f, .split = Split::tensor});  // up (and gate) outputs: the activation's input
  l.add({.elems = f, .split = Split::tensor, .gemm_input = true});        // activation output: the down projection's input
  if (dropout) {
    l.add({.elems = h, .split = Split::sequence, .mask = true});  // after attention
    l.add({.elems = h, .split = Split::sequence, .mask = true});  // after the MLP
  }
  // Softmax output, and with dropout its 1-byte mask and its output: 2.5 elements a score.
  l.add({.elems = static_cast<double>(heads) * (dropout ? 2.5 : 1.0), .split = Split::tensor, .scores = true});
  return l;
}

void Transformer::validate(const Location& where) const {
  auto bad = [&](const std::string& key, const std::string& msg, const std::string& expected) {
    Location l = where;
    l.key_path = key;
    throw InputError(l, msg, expected);
  };
  if (layers < 1) bad("layers", "a model needs at least one layer", "layers >= 1");
  if (hidden < 1) bad("hidden", "hidden size must be positive", "hidden >= 1");
  if (heads < 1) bad("heads", "heads must be positive", "heads >= 1");
  if (kv_heads < 1 || kv_heads > heads || heads % kv_heads != 0)
    bad("kv_heads", fmt::format("kv_heads = {} must divide heads = {}", kv_heads, heads), "a divisor of heads");
  if (head_dim < 1) bad("head_dim", "head_dim must be positive", "head_dim >= 1");
  if (vocab < 1) bad("vocab", "vocabulary size must be positive", "vocab >= 1");
  if (!moe() && ffn < 1) bad("ffn", "ffn must be positive for a dense model", "ffn >= 1");
  if (moe()) {
    if (experts_per_token < 1 || experts_per_token > experts)
      bad("experts_per_token",
          fmt::format("experts_per_token = {} must be between 1 and experts = {}", experts_per_token, experts),
          "1 <= experts_per_token <= experts");
    if (expert_ffn < 1) bad("expert_ffn", "expert_ffn must be positive", "expert_ffn >= 1");
  }
  if (max_seq < 1) bad("max_seq", "max_seq must be positive", "max_seq >= 1");
}

Transformer model_from_yaml(const core::Reader& r) {
  Transformer t;
  t.name = r.string("name");
  t.family = r.string("family", "custom");
  t.source = r.string("source", "");
  r.ignore("derived");  // written by `show model` (parameters, FLOPs per token), recomputed on reading
  const long long big = 1LL << 40;
  t.layers = r.integer("layers", std::nullopt, 1, 100000);
  t.hidden = r.integer("hidden", std::nullopt, 1, 10000000);
  t.heads = r.integer("heads", std::nullopt, 1, 1000000);
  t.kv_heads = r.integer("kv_heads", t.heads, 1, 1000000);
  t.head_dim = r.integer("head_dim", t.hidden / t.heads, 1, 1000000);
  if (!r.has("head_dim") && t.hidden % t.heads != 0)
    r.fail("heads", fmt::format("heads = {} does not divide hidden = {}", t.heads, t.hidden),
           "a divisor of hidden, or an explicit head_dim");
  t.vocab = r.integer("vocab", std::nullopt, 1, big);
  t.max_seq = r.integer("max_seq", 2048, 1, big);
  t.gated_mlp = r.boolean("gated_mlp", false);
  t.tied_embeddings = r.boolean("tied_embeddings", false);
  t.learned_positions = r.boolean("learned_positions", false);
  t.bias = r.boolean("bias", false);
  t.rmsnorm = r.boolean("rmsnorm", false);
  t.qkv_bias = r.boolean("qkv_bias", false);
  t.attention_bias = r.boolean("attention_bias", false);
  t.mlp_bias = r.boolean("mlp_bias", false);
  t.sliding_window = r.integer("sliding_window", 0, 0, big);
  t.window_layers = r.integer("window_layers", 0, 0, big);
  if (r.has("window_layers") && t.sliding_window == 0)
    r.fail("window_layers", "window_layers without a sliding_window", "sliding_window: W (keys per query) beside it");
  if (t.window_layers > t.layers)
    r.fail("window_layers", fmt::format("window_layers = {} is more than the {} layers", t.window_layers, t.layers),
           "at most layers (0 or left out: every layer)");
  t.dropout = r.boolean("dropout", t.family == "gpt");
  t.experts = r.integer("experts", 0, 0, 1000000);
  t.experts_per_token = r.integer("experts_per_token", t.experts > 0 ? 1 : 0, 0, 1000000);
  t.expert_ffn = r.integer("expert_ffn", t.experts > 0 ? r.integer("ffn", 0, 0, big) : 0, 0, big);
  t.shared_experts = r.integer("shared_experts", 0, 0, 1000000);
  t.ffn = r.integer("ffn", t.experts > 0 ? 0 : std::optional<long long>{}, 0, big);
  // Without experts the model is dense and these keys would be silently ignored (a probe
  // found a model with expert_ffn and no experts trained as dense).
  if (t.experts == 0)
    for (const char* k : {"experts_per_token", "expert_ffn", "shared_experts"})
      if (r.has(k))
        r.fail(k,
               fmt::format("'{}' is a mixture-of-experts setting, but 'experts' is {}", k,
                           r.has("experts") ? "0 (a dense model)" : "missing"),
               "experts: N (routed experts per layer, at least 1) beside it",
               fmt::format("add 'experts' for a mixture-of-experts model, or remove '{}' for a dense one", k));
  r.finish();
  try {
    t.validate(r.location());
  } catch (const InputError& e) {
    // A check across keys (kv_heads against heads, experts_per_token against experts) is
    // located at the key it names, on its line, when the file writes that key.
    const std::string key = e.location().key_path;
    if (!key.empty() && r.has(key)) r.fail(key, e.message(), e.expected());
    throw;
  }
  return t;
}

namespace {

// Byte offset -> line:column for JSON errors.
Location json_location(const std::string& text, std::size_t offset, const std::string& file, const std::string& key) {
  int line = 1, col = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return Location{file, line, col, key};
}

// Where the `occurrence`-th (1-based) key "key" of the text is written: the key followed by
// a colon. Keys are met in the order they are written, so the parser's count of a key
// finds its text; a key written with escapes is not found (the file alone is named).
Location json_key_location(const std::string& text, const std::string& key, int occurrence, const std::string& file) {
  const std::string quoted = "\"" + key + "\"";
  int seen = 0;
  for (std::size_t pos = text.find(quoted); pos != std::string::npos; pos = text.find(quoted, pos + 1)) {
    std::size_t after = pos + quoted.size();
    while (after < text.size() && (text[after] == ' ' || text[after] == '\t' || text[after] == '\n' || text[after] == '\r'))
      ++after;
    if (after < text.size() && text[after] == ':' && ++seen == occurrence) return json_location(text, pos, file, key);
  }
  return Location{file, 0, 0, key};
}

// A JSON parse error in the project's words (nlohmann's own text names its exception
// class and repeats the location): what was wrong, what was expected there, a suggestion.
InputError json_parse_error(const std::string& text, const nlohmann::json::parse_error& e, const std::string& file) {
  const Location where = json_location(text, e.byte > 0 ? e.byte - 1 : 0, file, "");
  const std::string expected_file = "a Hugging Face config.json: one JSON object, {\"model_type\": ..., ...}";
  if (core::trim(text).empty())
    return InputError(Location{file, 1, 1, ""}, "the file is empty", expected_file,
                      "copy config.json from the model's Hugging Face repository");
  // "... column 45: syntax error while parsing object key - unexpected end of input; expected string literal"
  std::string detail = e.what();
  if (const auto colon = detail.find(": "); colon != std::string::npos) detail = detail.substr(colon + 2);
  std::string context;
  if (const std::string lead = "syntax error while parsing "; detail.starts_with(lead)) {
    const auto dash = detail.find(" - ");
    context = detail.substr(lead.size(), dash == std::string::npos ? std::string::npos : dash - lead.size());
    detail = dash == std::string::npos ? std::string() : detail.substr(dash + 3);
  }
  std::string there;
  if (const auto exp = detail.find("; expected "); exp != std::string::npos) {
    there = detail.substr(exp + 11);
    detail = detail.substr(0, exp);
  }
  const auto a = [](const std::string& noun) {
    return (std::string("aeiou").find(noun[0]) != std::string::npos ? "an " : "a ") + noun;
  };
  const std::string expected = there.empty() ? expected_file : fmt::format("{} here ({})", there, expected_file);
  if (detail.starts_with("unexpected end of input"))
    return InputError(where,
                      fmt::format("malformed JSON: the file ends inside {} (truncated?)", a(context.empty() ? "value" : context)),
                      expected, "check that the file is complete (every { and [ closed); download it again if it was cut short");
  return InputError(where, fmt::format("malformed JSON{}: {}", context.empty() ? "" : " in " + a(context), detail), expected,
                    "JSON quotes keys and strings with \", allows no trailing commas or comments, and writes true, false, null");
}

}  // namespace

Transformer model_from_hf_json(const std::string& text, const std::string& file) {
  nlohmann::json j;
  // nlohmann keeps the last of two equal keys silently (a probe found num_hidden_layers
  // written twice, the second winning); YAML files already refuse duplicates.
  std::vector<std::set<std::string>> open_objects;
  std::map<std::string, int> key_count;
  std::string duplicate;
  int duplicate_occurrence = 0;
  const auto watch_keys = [&](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (event == E::object_start) {
      open_objects.emplace_back();
    } else if (event == E::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == E::key && parsed.is_string() && !open_objects.empty()) {
      const std::string k = parsed.get<std::string>();
      const int n = ++key_count[k];
      if (!open_objects.back().insert(k).second && duplicate.empty()) {
        duplicate = k;
        duplicate_occurrence = n;
      }
    }
    return true;
  };
  try {
    j = nlohmann::json::parse(text, watch_keys);
  } catch (const nlohmann::json::parse_error& e) {
    throw json_parse_error(text, e, file);
  } catch (const nlohmann::json::exception& e) {
    // Found by fuzz/fuzz_hf_config: a number beyond double range ("143e32768") is
    // out_of_range.406, not a parse_error (fuzz/regressions/hf_config).
    std::string what = e.what();
    if (what.starts_with("[json.exception.") && what.find("] ") != std::string::npos) what = what.substr(what.find("] ") + 2);
    throw InputError(Location{file, 0, 0, ""}, fmt::format("malformed JSON: {}", what), "a Hugging Face config.json",
                     "numbers within the range of a double");
  }
  if (!j.is_object()) throw InputError(Location{file, 1, 1, ""}, "config.json must be a JSON object", "{\"model_type\": ...}");
  if (!duplicate.empty())
    throw InputError(json_key_location(text, duplicate, duplicate_occurrence, file), fmt::format("duplicate key '{}'", duplicate),
                     "each key at most once per JSON object", fmt::format("keep one '{}' and delete the other", duplicate));
  const Location where{file, 0, 0, ""};
  // Where a key of the file is written (its first occurrence as a key), or the file alone.
  auto at = [&](const std::string& key) {
    const std::size_t pos = text.find("\"" + key + "\"");
    return pos == std::string::npos ? Location{file, 0, 0, key} : json_location(text, pos, file, key);
  };
  // A required key the file lacks: located at a near-miss key it writes (num_hiden_layers),
  // with the suggestion to rename it.
  auto missing = [&](const char* key, const std::string& expected) {
    std::vector<std::string> written;
    for (const auto& item : j.items()) written.push_back(item.key());
    const std::string near = core::nearest(key, written);
    if (near.empty())
      return InputError(Location{file, 0, 0, key}, fmt::format("missing '{}'", key), expected,
                        fmt::format("add \"{}\": ... to the file", key));
    Location l = at(near);
    l.key_path = key;
    return InputError(l, fmt::format("missing '{}' (the file writes '{}')", key, near), expected,
                      fmt::format("did you mean '{}'? rename '{}' to '{}'", key, near, key));
  };
  // The config key each field came from (for messages in the file's own names).
  std::map<std::string, std::string> from;
  auto get_int = [&](const char* key, std::optional<long long> dflt) -> long long {
    if (!j.contains(key) || j[key].is_null()) {
      if (dflt) return *dflt;
      throw missing(key, "an integer field of the Hugging Face config");
    }
    if (!j[key].is_number_integer() || j[key].get<long long>() < 0)
      throw InputError(at(key), fmt::format("'{}' must be a non-negative integer", key), "an integer");
    return j[key].get<long long>();
  };
  // The ranges the YAML route reads the same fields with (model_from_yaml), so neither route
  // takes what the other refuses (a probe's num_hidden_layers: 1e12 was accepted here).
  const long long big = 1LL << 40;
  const std::map<std::string, std::pair<long long, long long>> ranges{
      {"layers", {1, 100000}},      {"hidden", {1, 10000000}},   {"heads", {1, 1000000}},   {"kv_heads", {1, 1000000}},
      {"head_dim", {1, 1000000}},   {"vocab", {1, big}},         {"max_seq", {1, big}},     {"ffn", {0, big}},
      {"sliding_window", {0, big}}, {"window_layers", {0, big}}, {"experts", {0, 1000000}}, {"experts_per_token", {0, 1000000}},
      {"expert_ffn", {0, big}}};
  auto field = [&](const char* field_name, const char* key, std::optional<long long> dflt) {
    from[field_name] = key;
    const long long v = get_int(key, dflt);
    const auto range = ranges.find(field_name);
    // The range is checked on values the file writes; a default is in range by design, and a
    // zero the file writes for a positive field keeps its own message (validate, below).
    if (range != ranges.end() && j.contains(key) && !j[key].is_null() && v > 0 &&
        (v < range->second.first || v > range->second.second))
      throw InputError(at(key), fmt::format("'{}' = {} is out of range", key, v),
                       fmt::format("a whole number from {} to {} (as '{}' in a model YAML file)", range->second.first,
                                   range->second.second, field_name));
    return v;
  };
  // A dropout probability: any of `keys` present and > 0.
  auto any_dropout = [&](std::initializer_list<const char*> keys, double dflt) -> bool {
    for (const char* k : keys)
      if (j.contains(k) && j[k].is_number()) return j[k].get<double>() > 0;
    return dflt > 0;
  };
  auto get_bool = [&](const char* key, bool dflt) -> bool {
    if (!j.contains(key) || j[key].is_null()) return dflt;
    if (!j[key].is_boolean())
      throw InputError(at(key), fmt::format("'{}' must be true or false", key), "a boolean: true or false, without quotes",
                       j[key].is_string() ? fmt::format("\"{}\": {}", key, j[key].get<std::string>()) : std::string());
    return j[key].get<bool>();
  };
  if (!j.contains("model_type")) throw missing("model_type", "a Hugging Face config.json with model_type");
  if (!j["model_type"].is_string())
    throw InputError(at("model_type"), "'model_type' must be a string", "a Hugging Face model_type, e.g. \"llama\"");
  const std::string type = j["model_type"].get<std::string>();
  const std::vector<std::string> supported{"llama", "mistral", "qwen2", "gpt2", "gpt_neox", "mixtral"};
  Transformer t;
  t.family = type;
  t.source = file;
  t.name = j.contains("_name_or_path") && j["_name_or_path"].is_string() && !j["_name_or_path"].get<std::string>().empty()
               ? j["_name_or_path"].get<std::string>()
               : type;
  t.dropout = type == "gpt2" ? any_dropout({"resid_pdrop", "attn_pdrop"}, 0.1)
                             : any_dropout({"hidden_dropout", "attention_dropout", "hidden_dropout_prob"}, 0.0);
  if (type == "gpt2") {
    t.hidden = field("hidden", "n_embd", std::nullopt);
    t.layers = field("layers", "n_layer", std::nullopt);
    t.heads = field("heads", "n_head", std::nullopt);
    t.kv_heads = t.heads;
    t.ffn = field("ffn", "n_inner", 4 * t.hidden);
    t.vocab = field("vocab", "vocab_size", std::nullopt);
    t.max_seq = field("max_seq", "n_positions", 1024);
    t.tied_embeddings = get_bool("tie_word_embeddings", true);
    t.learned_positions = true;
    t.bias = true;
  } else if (type == "llama" || type == "mistral" || type == "qwen2" || type == "mixtral" || type == "gpt_neox") {
    t.hidden = field("hidden", "hidden_size", std::nullopt);
    t.layers = field("layers", "num_hidden_layers", std::nullopt);
    t.heads = field("heads", "num_attention_heads", std::nullopt);
    t.kv_heads = field("kv_heads", "num_key_value_heads", t.heads);
    t.ffn = field("ffn", "intermediate_size", std::nullopt);
    t.vocab = field("vocab", "vocab_size", std::nullopt);
    t.max_seq = field("max_seq", "max_position_embeddings", 2048);
    t.tied_embeddings = get_bool("tie_word_embeddings", type == "gpt_neox" ? false : false);
    if (type == "gpt_neox") {
      t.bias = true;
      t.gated_mlp = false;
    } else {
      t.gated_mlp = true;
      t.rmsnorm = true;
    }
    if (type == "qwen2") t.qkv_bias = true;
    // Llama's attention_bias (q, k, v and o_proj) and mlp_bias (gate, up and down_proj):
    // LlamaAttention and LlamaMLP build every nn.Linear with them.
    if (type == "llama") {
      t.attention_bias = get_bool("attention_bias", false);
      t.mlp_bias = get_bool("mlp_bias", false);
    }
    // Sliding-window attention: Mistral and Mixtral when sliding_window is set; Qwen2 only
    // with use_sliding_window (its configs carry a window they do not use).
    if ((type == "mistral" || type == "mixtral" || (type == "qwen2" && get_bool("use_sliding_window", false))) &&
        j.contains("sliding_window") && !j["sliding_window"].is_null()) {
      t.sliding_window = field("sliding_window", "sliding_window", 0);
      // Qwen2 windows only the layers from max_window_layers on (its released configs set
      // it to the layer count: no layer windowed).
      // (Hugging Face's Qwen2Config defaults max_window_layers to 28.)
      if (type == "qwen2") {
        const long long full = std::min(t.layers, field("window_layers", "max_window_layers", 28));
        if (full >= t.layers)
          t.sliding_window = 0;
        else
          t.window_layers = t.layers - full;
      }
    }
    if (type == "mixtral") {
      t.experts = field("experts", "num_local_experts", std::nullopt);
      t.experts_per_token = field("experts_per_token", "num_experts_per_tok", 2);
      t.expert_ffn = t.ffn;
      from["expert_ffn"] = "intermediate_size";
    }
  } else {
    throw core::Unsupported(Location{file, 0, 0, "model_type"}, fmt::format("model_type '{}' is not supported", type),
                            "supported: " + core::join(supported, ", ") +
                                "; or describe the model in a YAML file like configs/models/llama2-7b.yaml (`dojosim show model "
                                "llama2-7b` prints every key)");
  }
  if (t.heads == 0) throw InputError(at(from["heads"]), fmt::format("'{}' must be positive", from["heads"]), "an integer >= 1");
  t.head_dim = field("head_dim", "head_dim", t.hidden / t.heads);
  if (!j.contains("head_dim") && t.hidden % t.heads != 0)
    throw InputError(at(from["heads"]), fmt::format("'{}' does not divide '{}'", from["heads"], from["hidden"]),
                     "a divisor of the hidden size, or an explicit head_dim");
  try {
    t.validate(where);
  } catch (const InputError& e) {
    // Name the file's own key, where it is written (or would be: a default), not the field.
    const auto it = from.find(e.location().key_path);
    if (it == from.end()) throw;
    auto own = [&](std::string text_in) {
      for (const auto& [f, key] : from) text_in = std::regex_replace(text_in, std::regex("\\b" + f + "\\b"), key);
      return text_in;
    };
    throw InputError(at(it->second), own(e.message()), own(e.expected()), e.suggestion());
  }
  return t;
}

std::vector<std::string> zoo_model_names() {
  std::vector<std::string> n;
  for (const auto& p : detail::model_presets()) n.emplace_back(p.name);
  return n;
}

std::string zoo_model_text(const std::string& name) {
  for (const auto& p : detail::model_presets())
    if (p.name == name) return std::string(p.text);
  return {};
}

Transformer load_model(const std::string& spec) {
  const std::string s = core::trim(spec);
  if (s.empty()) throw InputError({}, "empty model name", "a zoo name (dojosim list models) or a file");
  if (s.ends_with(".json")) return model_from_hf_json(core::read_text_file(s), s);
  if (s.ends_with(".onnx"))
    throw core::Unsupported(Location{s, 0, 0, ""}, "an ONNX file holds a vision network, not a transformer shape",
                            "load it with workload::load_workload (dojosim run/show accept it)");
  core::Document doc;
  if (s.ends_with(".yaml") || s.ends_with(".yml") || s.find('/') != std::string::npos) {
    doc = core::load_yaml_file(s);
  } else {
    const std::string text = zoo_model_text(s);
    if (text.empty()) {
      const auto names = zoo_model_names();
      throw InputError({}, fmt::format("unknown model '{}'", s),
                       "a zoo name, a config.json, or a YAML file; zoo: " + core::join(names, ", "),
                       core::did_you_mean(s, names));
    }
    doc = core::parse_yaml(text, fmt::format("<model {}>", s));
  }
  if (doc.root.IsMap() && doc.root["family"].IsDefined() && doc.root["family"].IsScalar() &&
      doc.root["family"].Scalar() == "vision")
    throw core::Unsupported(Location{doc.file, 0, 0, "family"}, fmt::format("'{}' is a vision network, not a transformer", s),
                            "load it with workload::load_workload (dojosim run/show accept it)");
  auto shared = std::make_shared<const core::Document>(std::move(doc));
  return model_from_yaml(core::Reader(shared, shared->root, ""));
}

YAML::Node model_to_yaml(const Transformer& t) {
  YAML::Node n;
  n["name"] = t.name;
  n["family"] = t.family;
  if (!t.source.empty()) n["source"] = t.source;
  n["layers"] = t.layers;
  n["hidden"] = t.hidden;
  if (t.ffn > 0) n["ffn"] = t.ffn;
  n["heads"] = t.heads;
  n["kv_heads"] = t.kv_heads;
  n["head_dim"] = t.head_dim;
  n["vocab"] = t.vocab;
  n["max_seq"] = t.max_seq;
  n["gated_mlp"] = t.gated_mlp;
  n["tied_embeddings"] = t.tied_embeddings;
  n["learned_positions"] = t.learned_positions;
  n["dropout"] = t.dropout;
  n["bias"] = t.bias;
  n["rmsnorm"] = t.rmsnorm;
  if (t.qkv_bias) n["qkv_bias"] = true;
  if (t.attention_bias) n["attention_bias"] = true;
  if (t.mlp_bias) n["mlp_bias"] = true;
  if (t.sliding_window > 0) n["sliding_window"] = t.sliding_window;
  if (t.sliding_window > 0 && t.window_layers > 0) n["window_layers"] = t.window_layers;
  if (t.moe()) {
    n["experts"] = t.experts;
    n["experts_per_token"] = t.experts_per_token;
    n["expert_ffn"] = t.expert_ffn;
    n["shared_experts"] = t.shared_experts;
  }
  YAML::Node d;
  d["params"] = fmt::format("{:.0f}", t.params());
  d["params_billions"] = fmt::format("{:.3f}", t.params() / 1e9);
  if (t.moe()) d["active_params_billions"] = fmt::format("{:.3f}", t.active_params() / 1e9);
  d["forward_flops_per_token_at_max_seq"] = fmt::format("{:.0f}", t.forward_flops_per_token(t.max_seq));
  // Each key names the sequence its value is at: 2048 always (a probe found GPT-2's value
  // at 1024 under this name), and the default sequence of `run` too where the model's
  // context is shorter (min(max_seq, 2048)).
  d["training_flops_per_token_at_2048"] = fmt::format("{:.0f}", t.training_flops_per_token(2048));
  if (t.max_seq < 2048)
    d[fmt::format("training_flops_per_token_at_{}", t.max_seq)] = fmt::format("{:.0f}", t.training_flops_per_token(t.max_seq));
  n["derived"] = d;
  return n;
}

}  // namespace dojosim::workload
