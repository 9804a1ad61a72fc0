// Transformer model descriptions: shape, parameter count and per-token FLOPs.
//
// Contract: a Transformer is a plain value; `validate()` has been called on every
// instance a loader returns (heads divide hidden, kv_heads divide heads, ...). FLOP
// counts use 2 FLOPs per multiply-accumulate.
#pragma once

#include <string>
#include <vector>

#include "dojosim/core/config.hpp"
#include "dojosim/workload/saved.hpp"

namespace dojosim::workload {

struct Transformer {
  std::string name;
  std::string family;  // "gpt", "llama", "mixtral", ... (informational)
  long long layers = 0;
  long long hidden = 0;
  long long ffn = 0;  // dense MLP inner width
  long long heads = 0;
  long long kv_heads = 0;  // < heads: grouped-query attention
  long long head_dim = 0;  // default hidden / heads
  long long vocab = 0;
  long long max_seq = 2048;
  bool gated_mlp = false;  // SwiGLU: 3 matrices instead of 2
  bool tied_embeddings = false;
  bool learned_positions = false;  // GPT-2/3 learned absolute position embeddings
  bool bias = false;               // biases on every projection (GPT-2/3, NeoX): attention_bias and mlp_bias together
  bool rmsnorm = false;            // RMSNorm (scale only) instead of LayerNorm (scale+bias)
  bool qkv_bias = false;           // Qwen2: bias on Q, K, V only
  bool attention_bias = false;     // Llama's attention_bias: biases on Q, K, V and the output projection
  bool mlp_bias = false;           // Llama's mlp_bias: biases on the MLP projections (gate, up and down)
  bool dropout = false;            // trained with dropout (GPT-2/3, Megatron default): masks kept for backward
  long long sliding_window = 0;    // each query attends to at most this many keys (Mistral v0.1); 0: all before it
  long long window_layers = 0;     // layers with the window (0: all; Qwen2: layers - max_window_layers)
  // Mixture of experts (experts == 0: dense).
  long long experts = 0;
  long long experts_per_token = 0;
  long long expert_ffn = 0;
  long long shared_experts = 0;
  std::string source;  // where the shape came from

  [[nodiscard]] bool moe() const { return experts > 0; }
  [[nodiscard]] long long q_dim() const { return heads * head_dim; }
  [[nodiscard]] long long kv_dim() const { return kv_heads * head_dim; }

  // Parameters, exactly, from the shape. Biases are counted as Hugging Face's modules hold
  // them: q_dim + 2 kv_dim on Q, K, V, hidden on the output projection, and per MLP (or
  // expert) ffn on each input projection (two when gated) and hidden on the down projection.
  [[nodiscard]] double attention_params_per_layer() const;
  [[nodiscard]] double mlp_params_per_layer() const;         // all experts
  [[nodiscard]] double active_mlp_params_per_layer() const;  // per token
  [[nodiscard]] double norm_params_per_layer() const;
  [[nodiscard]] double embedding_params() const;  // token (+ position) embeddings
  [[nodiscard]] double head_params() const;       // LM head (0 when tied) + final norm
  [[nodiscard]] double params() const;
  [[nodiscard]] double active_params() const;

  // Query-key pairs a causal sequence of `seq` tokens computes, as a share of seq^2 / 2,
  // averaged over the layers: 1 without a sliding window (or with seq <= window), else
  // (2 seq W - W^2) / seq^2 on the windowed layers (W^2 / 2 pairs in the first W tokens, W
  // per token after) and 1 on the others.
  [[nodiscard]] double causal_pairs_share(long long seq) const;
  // Forward FLOPs per token at sequence length `seq`. Attention scores and context cost
  // 4 * seq * q_dim per layer for full attention; causal masking halves that.
  [[nodiscard]] double forward_flops_per_token(long long seq, bool causal = true) const;
  // Model FLOPs per token for training (forward + backward = 3x forward), no recompute.
  [[nodiscard]] double training_flops_per_token(long long seq, bool causal = true) const {
    return 3.0 * forward_flops_per_token(seq, causal);
  }

  // What one layer keeps for its backward pass, per token (Korthikanti et al. 2022, Table 2,
  // generalised to GQA, gated MLPs, MoE and models without dropout; docs/model.md#memory):
  // the two norm inputs, the QKV and MLP inputs, the dropout masks (sequence-split), Q, K,
  // V, the output-projection input, the MLP's up (and gate) outputs and the down
  // projection's input (tensor-split), and the attention scores (per key).
  [[nodiscard]] SavedList saved_per_layer() const;

  // Throws InputError naming `where` if the shape is inconsistent.
  void validate(const core::Location& where) const;
};

// Loads a model: a zoo name ("llama3-70b"), a Hugging Face config.json, or a YAML file.
Transformer load_model(const std::string& spec);
Transformer model_from_yaml(const core::Reader& r);
Transformer model_from_hf_json(const std::string& text, const std::string& file);
std::vector<std::string> zoo_model_names();
std::string zoo_model_text(const std::string& name);  // "" if unknown

// Resolved description with derived totals (for `dojosim show model`).
YAML::Node model_to_yaml(const Transformer& t);

}  // namespace dojosim::workload
