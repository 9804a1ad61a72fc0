// Model shapes give the published parameter counts and the closed-form FLOPs.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "dojosim/core/errors.hpp"
#include "dojosim/workload/transformer.hpp"
#include "dojosim/workload/workload.hpp"

#include <unistd.h>

using namespace dojosim;

namespace {
const std::string kHf = std::string(DOJOSIM_TEST_DATA_DIR) + "/hf/";
void expect_within(double got, double published, double rel) {
  EXPECT_NEAR(got / published, 1.0, rel) << "got " << got << " published " << published;
}
}  // namespace

TEST(ParamCount, MatchesPublishedWithinOnePercent) {
  expect_within(workload::load_model("gpt3-175b").params(), 175e9, 0.01);
  expect_within(workload::load_model("llama3-8b").params(), 8.03e9, 0.01);
  expect_within(workload::load_model("llama3-70b").params(), 70.6e9, 0.01);
  expect_within(workload::load_model("llama3.1-405b").params(), 405e9, 0.01);
  expect_within(workload::load_model("mixtral-8x7b").params(), 46.7e9, 0.01);
  expect_within(workload::load_model("mixtral-8x7b").active_params(), 12.9e9, 0.01);
  expect_within(workload::load_model("llama2-7b").params(), 6.74e9, 0.01);
  expect_within(workload::load_model("gpt3-13b").params(), 12.85e9, 0.02);
}

TEST(ParamCount, ExactClosedFormForGpt) {
  // 12 l h^2 + 13 l h + V h + s h + 2 h (LayerNorm with biases, tied head).
  const auto m = workload::load_model("gpt3-175b");
  const double l = 96, h = 12288, V = 50257, s = 2048;
  EXPECT_DOUBLE_EQ(m.params(), 12 * l * h * h + 13 * l * h + V * h + s * h + 2 * h);
}

TEST(Flops, ForwardPerTokenClosedForm) {
  // Dense, MHA, non-gated: 24 l h^2 + 4 l s h (full attention) + 2 V h.
  const auto m = workload::load_model("gpt3-175b");
  const double l = 96, h = 12288, V = 50257, s = 2048;
  EXPECT_DOUBLE_EQ(m.forward_flops_per_token(2048, false), 24 * l * h * h + 4 * l * s * h + 2 * V * h);
  EXPECT_DOUBLE_EQ(m.forward_flops_per_token(2048, true), 24 * l * h * h + 2 * l * s * h + 2 * V * h);
  EXPECT_DOUBLE_EQ(m.training_flops_per_token(2048, false), 3 * (24 * l * h * h + 4 * l * s * h + 2 * V * h));
  // The Megatron formula 96 B s l h^2 (1 + s/6h + V/16lh) is 4x the forward (with recompute).
  // Per token: 96 l h^2 + 16 l s h + 6 V h (the LM head is not recomputed: 4x - 2Vh).
  const double megatron = 96 * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h)) / s;
  EXPECT_NEAR(4 * m.forward_flops_per_token(2048, false) - 2 * V * h, megatron, megatron * 1e-12);
}

TEST(Flops, GqaAndMoe) {
  const auto m = workload::load_model("llama3-8b");
  const double l = 32, h = 4096, f = 14336, kv = 1024, V = 128256;
  const double per_layer = 2 * (2 * h * h + 2 * h * kv) + 2 * 3 * h * f;
  EXPECT_DOUBLE_EQ(m.forward_flops_per_token(1, false), l * (per_layer + 4 * 1 * h) + 2 * V * h);
  const auto x = workload::load_model("mixtral-8x7b");
  EXPECT_LT(x.forward_flops_per_token(4096), 2.0 * x.params());
  EXPECT_GT(x.forward_flops_per_token(4096), 2.0 * x.active_params() * 0.9);
}

TEST(HuggingFace, LoadsEachSupportedModelType) {
  const auto llama = workload::load_model(kHf + "llama3-8b.json");
  EXPECT_NEAR(llama.params(), workload::load_model("llama3-8b").params(), 1.0);
  expect_within(workload::load_model(kHf + "gpt2.json").params(), 124.4e6, 0.01);
  expect_within(workload::load_model(kHf + "mixtral.json").params(), 46.7e9, 0.01);
  expect_within(workload::load_model(kHf + "qwen2-7b.json").params(), 7.62e9, 0.01);
  expect_within(workload::load_model(kHf + "mistral-7b.json").params(), 7.24e9, 0.01);
  expect_within(workload::load_model(kHf + "pythia-1.4b.json").params(), 1.41e9, 0.01);
}

// Llama's attention_bias puts a bias on q, k, v and o_proj (LlamaAttention), mlp_bias one on
// gate, up and down_proj (LlamaMLP). Found by a probe: mlp_bias was ignored and o_proj's
// bias not counted.
TEST(HuggingFace, LlamaBiasesCountedAsHuggingFace) {
  const double base = workload::load_model(kHf + "llama3-8b.json").params();
  const double l = 32, h = 4096, q = 4096, kv = 1024, f = 14336;
  const auto attn = workload::load_model(kHf + "llama3-8b-attention-bias.json");
  EXPECT_DOUBLE_EQ(attn.params() - base, l * (q + 2 * kv + h));
  const auto mlp = workload::load_model(kHf + "llama3-8b-mlp-bias.json");
  EXPECT_DOUBLE_EQ(mlp.params() - base, l * (2 * f + h));
  EXPECT_DOUBLE_EQ(mlp.active_params(), mlp.params());
  // A model file says the same with the same keys (dojosim show model prints them).
  const auto both = workload::load_model(std::string(DOJOSIM_TEST_DATA_DIR) + "/models/llama3-8b-biases.yaml");
  EXPECT_DOUBLE_EQ(both.params() - base, l * (q + 2 * kv + h) + l * (2 * f + h));
  // Qwen2's biases stay on q, k and v only.
  const auto qwen = workload::load_model(kHf + "qwen2-7b.json");
  auto no_bias = qwen;
  no_bias.qkv_bias = false;
  EXPECT_DOUBLE_EQ(qwen.params() - no_bias.params(), static_cast<double>(qwen.layers * (qwen.q_dim() + 2 * qwen.kv_dim())));
}

// Sliding-window attention (docs/model.md): Mistral v0.1's window of 4096 keys cuts the
// attention FLOPs past 4096 tokens to (2sW - W^2)/s^2 of causal; Qwen2's configs carry a
// window they do not use (use_sliding_window false), which is not applied. Found by a
// probe: the key was silently ignored.
TEST(HuggingFace, SlidingWindowAttention) {
  const auto v01 = workload::load_model(kHf + "mistral-7b-v0.1.json");
  const auto v02 = workload::load_model(kHf + "mistral-7b.json");
  EXPECT_EQ(v01.sliding_window, 4096);
  EXPECT_EQ(v02.sliding_window, 0);
  EXPECT_DOUBLE_EQ(v01.forward_flops_per_token(4096), v02.forward_flops_per_token(4096));
  const double s = 32768, w = 4096, q = 4096, l = 32;
  const double full = 4.0 * s * q * 0.5, windowed = full * (2 * s * w - w * w) / (s * s);
  EXPECT_NEAR(v02.forward_flops_per_token(32768) - v01.forward_flops_per_token(32768), l * (full - windowed), 1e-6 * l * full);
  EXPECT_EQ(workload::load_model(kHf + "qwen2-window-unused.json").sliding_window, 0);
  // Qwen2 windows the layers from max_window_layers on: none when that is the layer count
  // (its released configs), half of them at 14 of 28 (a review finding).
  EXPECT_EQ(workload::load_model(kHf + "qwen2-window-all-full.json").sliding_window, 0);
  const auto half = workload::load_model(kHf + "qwen2-window-half.json");
  EXPECT_EQ(half.window_layers, 14);
  // Without max_window_layers, Hugging Face's default of 28: 4 of 32 layers windowed.
  EXPECT_EQ(workload::load_model(kHf + "qwen2-window-default-layers.json").window_layers, 4);
  // A model file's window_layers needs a window, and no more layers than the model has.
  const std::string models = std::string(DOJOSIM_TEST_DATA_DIR) + "/models/";
  EXPECT_THROW(workload::load_model(models + "window_layers_without_window.yaml"), core::InputError);
  EXPECT_THROW(workload::load_model(models + "window_layers_too_many.yaml"), core::InputError);
  const double share = (2 * s * w - w * w) / (s * s);
  EXPECT_DOUBLE_EQ(half.causal_pairs_share(32768), 1.0 - 0.5 * (1.0 - share));
}

TEST(HuggingFace, ErrorsAreLocated) {
  try {
    workload::load_model(kHf + "malformed.json");
    FAIL();
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("malformed.json:2:"), std::string::npos) << e.what();
  }
  try {
    workload::load_model(kHf + "t5.json");
    FAIL();
  } catch (const core::Unsupported& e) {
    EXPECT_NE(std::string(e.what()).find("t5"), std::string::npos);
    EXPECT_EQ(e.exit_code(), 2);
  }
  try {
    workload::load_model("lama3-8b");
    FAIL();
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'llama3-8b'"), std::string::npos) << e.what();
  }
}

namespace {
// The InputError reading `text` as a config.json gives (fails the test when there is none).
core::InputError hf_error(const std::string& text) {
  try {
    (void)workload::model_from_hf_json(text, "config.json");
  } catch (const core::InputError& e) { return e; }
  ADD_FAILURE() << "accepted: " << text;
  return core::InputError({}, "");
}
const std::string kLlama =
    R"({"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336,
 "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256})";
}  // namespace

// Found by a probe: a truncated or empty config.json printed nlohmann's exception text
// ("[json.exception.parse_error.101] parse error at line 1, column 45: ..."). Now the
// project's own message, located, with what was expected and a suggestion.
TEST(HuggingFace, MalformedJsonIsTheProjectsOwnMessage) {
  const auto cut = hf_error(R"({"model_type": "llama", "hidden_size": 4096,)");
  EXPECT_EQ(std::string(cut.what()).find("json.exception"), std::string::npos) << cut.what();
  EXPECT_EQ(cut.location().line, 1);
  EXPECT_EQ(cut.location().column, 45);
  EXPECT_NE(cut.message().find("ends inside an object key (truncated?)"), std::string::npos) << cut.message();
  EXPECT_NE(cut.expected().find("string literal here"), std::string::npos) << cut.expected();
  EXPECT_FALSE(cut.suggestion().empty());
  const auto empty = hf_error("  \n");
  EXPECT_EQ(empty.message(), "the file is empty");
  EXPECT_EQ(empty.location().line, 1);
  const auto bad = hf_error(R"({"model_type": tru})");
  EXPECT_EQ(std::string(bad.what()).find("json.exception"), std::string::npos) << bad.what();
  EXPECT_NE(bad.message().find("invalid literal"), std::string::npos) << bad.message();
  EXPECT_FALSE(bad.suggestion().empty());
}

// Found by a probe: num_hidden_layers: 1000000000000 was accepted from a config.json while
// a model YAML file refuses layers outside 1..100000. Every field the YAML route
// range-checks is checked here with the same range, at the key's line.
TEST(HuggingFace, FieldsHaveTheYamlRanges) {
  auto with = [&](const std::string& key, const std::string& value) {
    std::string t = kLlama;
    const auto at = t.find("\"" + key + "\": ") + key.size() + 4;
    t.replace(at, t.find_first_of(",}", at) - at, value);
    return t;
  };
  const auto layers = hf_error(with("num_hidden_layers", "1000000000000"));
  EXPECT_EQ(layers.location().key_path, "num_hidden_layers");
  EXPECT_EQ(layers.location().line, 2);
  EXPECT_EQ(layers.expected(), "a whole number from 1 to 100000 (as 'layers' in a model YAML file)");
  EXPECT_NO_THROW((void)workload::model_from_hf_json(with("num_hidden_layers", "100000"), "config.json"));
  EXPECT_EQ(hf_error(with("hidden_size", "20000000")).location().key_path, "hidden_size");
  EXPECT_EQ(hf_error(with("vocab_size", "2000000000000")).location().key_path, "vocab_size");
}

// Found by a probe: a misspelt required key said "missing 'num_hidden_layers'" with no
// line and no suggestion; a quoted boolean had no line:column.
TEST(HuggingFace, MissingKeysSuggestTheNearMissAndTypeErrorsAreLocated) {
  std::string typo = kLlama;
  typo.replace(typo.find("num_hidden_layers"), 17, "num_hiden_layers");
  const auto e = hf_error(typo);
  EXPECT_EQ(e.location().key_path, "num_hidden_layers");
  EXPECT_EQ(e.location().line, 2);
  EXPECT_EQ(e.location().column, 2);
  EXPECT_NE(e.suggestion().find("did you mean 'num_hidden_layers'? rename 'num_hiden_layers'"), std::string::npos)
      << e.suggestion();
  std::string tie = kLlama;
  tie.replace(tie.rfind('}'), 1, R"(, "tie_word_embeddings": "false"})");
  const auto b = hf_error(tie);
  EXPECT_EQ(b.location().key_path, "tie_word_embeddings");
  EXPECT_EQ(b.location().line, 2);
  EXPECT_GT(b.location().column, 1);
  EXPECT_EQ(b.suggestion(), "\"tie_word_embeddings\": false");
}

// Found by a probe: GPT-2 (n_positions 1024) showed training_flops_per_token_at_2048 with
// the value at 1024. Each derived key names the sequence its value is at.
TEST(HuggingFace, DerivedFlopsNameTheirSequence) {
  const auto w = workload::load_workload(kHf + "gpt2-tiny.json");
  ASSERT_EQ(w.transformer.max_seq, 1024);
  const auto d = workload::workload_to_yaml(w)["derived"];
  EXPECT_EQ(d["training_flops_per_token_at_2048"].as<std::string>(),
            fmt::format("{:.0f}", w.transformer.training_flops_per_token(2048)));
  EXPECT_EQ(d["training_flops_per_token_at_1024"].as<std::string>(),
            fmt::format("{:.0f}", w.transformer.training_flops_per_token(1024)));
  EXPECT_NE(w.transformer.training_flops_per_token(2048), w.transformer.training_flops_per_token(1024));
  // A zoo model with a longer context has the one key.
  const auto zoo = workload::workload_to_yaml(workload::load_workload("llama3-8b"))["derived"];
  EXPECT_TRUE(zoo["training_flops_per_token_at_2048"]);
  EXPECT_FALSE(zoo["training_flops_per_token_at_8192"]);
}

// Found by a tester's probe: experts_per_token, expert_ffn or shared_experts without
// `experts` (or with experts: 0) were ignored and the model trained as dense. Now an error
// at the key, naming the missing `experts`.
TEST(ModelYaml, ExpertKeysNeedExperts) {
  const std::string path = ::testing::TempDir() + "/moe_without_experts.yaml";
  const std::string dense = "name: m\nlayers: 2\nhidden: 64\nheads: 4\nvocab: 100\nffn: 256\n";
  for (const auto& [extra, want] :
       std::vector<std::pair<std::string, std::string>>{{"experts_per_token: 2\n", "'experts' is missing"},
                                                        {"expert_ffn: 128\n", "'experts' is missing"},
                                                        {"shared_experts: 1\n", "'experts' is missing"},
                                                        {"experts: 0\nexpert_ffn: 128\n", "'experts' is 0"}}) {
    std::ofstream(path) << dense << extra;
    try {
      (void)workload::load_model(path);
      ADD_FAILURE() << extra << ": accepted";
    } catch (const core::InputError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("moe_without_experts.yaml:"), std::string::npos) << m;
      EXPECT_NE(m.find(want), std::string::npos) << m;
      EXPECT_NE(m.find("experts: N"), std::string::npos) << m;
    }
  }
  std::ofstream(path) << dense << "experts: 4\nexperts_per_token: 2\n";
  EXPECT_TRUE(workload::load_model(path).moe());
  std::ofstream(path) << dense;
  EXPECT_FALSE(workload::load_model(path).moe());
}

// Found by a tester's probe: a config.json with a key written twice loaded with the last
// one silently winning (YAML files refuse duplicates). Now an error at the second one; the
// same name in a nested object is not a duplicate.
TEST(HuggingFace, DuplicateKeysAreRefused) {
  try {
    (void)workload::load_model(kHf + "duplicate_key.json");
    FAIL() << "accepted a duplicate key";
  } catch (const core::InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("duplicate_key.json:5:2: key 'num_hidden_layers'"), std::string::npos) << m;
    EXPECT_NE(m.find("duplicate key 'num_hidden_layers'"), std::string::npos) << m;
  }
  EXPECT_EQ(workload::load_model(kHf + "llama3-8b.json").layers, 32);
}

// Found by a tester's probe: a vision network's file with `family: vison`, `famly: vision`
// or `family: Vision` was read as a transformer: "missing required setting 'layers'", no
// word of `family`. Now the error is at the family key (or its misspelling), suggesting it.
TEST(ModelYaml, MisnamedVisionFamilyIsPointedAt) {
  const std::string path = ::testing::TempDir() + "/vision_family.yaml";
  const std::string body = "builder: resnet\nconfig:\n  depths: [3, 4, 6, 3]\n";
  for (const auto& [family, want] :
       std::vector<std::pair<std::string, std::string>>{{"family: vison\n", "vision_family.yaml:2:1: key 'family'"},
                                                        {"family: Vision\n", "vision_family.yaml:2:1: key 'family'"},
                                                        {"famly: vision\n", "vision_family.yaml:2:1: key 'famly'"}}) {
    std::ofstream(path) << "name: r\n" << family << body;
    try {
      (void)workload::load_workload(path);
      ADD_FAILURE() << family << ": accepted";
    } catch (const core::InputError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(want), std::string::npos) << m;
      EXPECT_NE(m.find("family: vision"), std::string::npos) << m;
      EXPECT_EQ(m.find("layers"), std::string::npos) << m;
    }
  }
  std::ofstream(path) << "name: r\nfamily: vision\n" << body;
  EXPECT_TRUE(workload::load_workload(path).vision());
}

// As a system's parameters (BadInput.PresetParameterKeysAreChecked): a vision preset's
// parameter with a misspelt key (`hlep:`) or an empty `sets` was accepted without effect.
TEST(ModelYaml, PresetParameterKeysAreChecked) {
  const std::string path = ::testing::TempDir() + "/vision_params.yaml";
  const std::string body = "name: r\nfamily: vision\nbuilder: resnet\nconfig:\n  image: 224\nparameters:\n  image: ";
  for (const auto& [param, want] :
       std::vector<std::pair<std::string, std::string>>{{"{sets: [config.image], hlep: x}", "did you mean 'help'"},
                                                        {"{set: [config.image]}", "did you mean 'sets'"},
                                                        {"{sets: []}", "non-empty list"}}) {
    std::ofstream(path) << body << param << "\n";
    try {
      (void)workload::load_workload(path);
      ADD_FAILURE() << param << ": accepted";
    } catch (const core::InputError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("vision_params.yaml:7:"), std::string::npos) << m;
      EXPECT_NE(m.find("parameters.image"), std::string::npos) << m;
      EXPECT_NE(m.find(want), std::string::npos) << m;
    }
  }
  std::ofstream(path) << body << "{sets: [config.image], help: pixels}\n";
  EXPECT_TRUE(workload::load_workload(path).vision());
}

// `dojosim show model NAME > m.yaml` reads back as the same transformer: what show derives
// (parameters, FLOPs per token) sits under `derived:`, which the reader skips. A probe found
// every transformer's show output refused ("unknown key 'derived'"). Vision networks are
// shown expanded (their ops), which is not their file format: not read back.
TEST(ModelYaml, ShowReadsBack) {
  const auto path = std::filesystem::temp_directory_path() / ("dojosim_show_model_" + std::to_string(::getpid()) + ".yaml");
  int checked = 0;
  for (const auto& name : workload::zoo_model_names()) {
    if (workload::zoo_is_vision(name)) continue;
    SCOPED_TRACE(name);
    const auto a = workload::load_workload(name);
    std::ofstream(path) << workload::workload_to_yaml(a);
    const auto b = workload::load_workload(path.string());
    EXPECT_FALSE(b.vision());
    EXPECT_EQ(b.name(), a.name());
    EXPECT_DOUBLE_EQ(b.params(), a.params());
    EXPECT_DOUBLE_EQ(b.transformer.forward_flops_per_token(2048), a.transformer.forward_flops_per_token(2048));
    ++checked;
  }
  std::filesystem::remove(path);
  EXPECT_GE(checked, 8);
}

// FILE.yaml:key=value gives a vision file's declared parameters, as a preset's and as a
// system file's (my-cluster.yaml:nodes=4); it read the whole spec as a path ("cannot open
// file"). A transformer file takes none, said so.
TEST(ModelYaml, FilesTakeTheirDeclaredParameters) {
  const auto dir = std::filesystem::temp_directory_path() / ("dojosim_file_params_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "video.yaml") << workload::zoo_model_text("tesla-video");
  const auto base = workload::load_workload((dir / "video.yaml").string());
  const auto four = workload::load_workload((dir / "video.yaml").string() + ":cameras=4");
  EXPECT_TRUE(four.vision());
  EXPECT_EQ(four.name(), base.name() + ":cameras=4");
  EXPECT_DOUBLE_EQ(four.network.forward_flops(), workload::load_workload("tesla-video:cameras=4").network.forward_flops());
  EXPECT_LT(four.network.forward_flops(), base.network.forward_flops());
  std::ofstream(dir / "llama.yaml") << workload::workload_to_yaml(workload::load_workload("llama3-8b"));
  EXPECT_THROW((void)workload::load_workload((dir / "llama.yaml").string() + ":layers=4"), core::InputError);
  std::filesystem::remove_all(dir);
}
