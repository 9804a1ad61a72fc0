// What a workload keeps from the forward pass for the backward pass: one representation
// for transformers and vision networks, read by the one activation-memory model
// (engine::saved_bytes, docs/model.md#memory).
//
// A transformer layer and a vision op each describe their kept tensors as a short list of
// Saved entries: elements per row (a token of a transformer, one instance of an op), how a
// parallel split shares them out, and how they are stored. Engines turn a list into bytes
// per device for a strategy; they never re-derive what is kept.
//
// Contract: plain values, built without allocation (the search loop reads them per plan).
#pragma once

#include <array>
#include <cstdint>

namespace dojosim::workload {

struct Saved {
  // How a split shares the tensor out: `rows` over the devices a vision op's rows are
  // split across (spatial partitioning) or a transformer's tokens (context parallelism);
  // `tensor` also over tensor parallelism (attention heads, MLP columns); `sequence` also
  // over tensor parallelism, but only with sequence parallelism (norms, residual-stream
  // tensors, dropout masks: replicated across TP ranks otherwise).
  enum class Split : std::uint8_t { rows, tensor, sequence };
  double elems = 0;  // elements per row, in the activation dtype
  Split split = Split::rows;
  bool gemm_input = false;  // the input of a GEMM: kept in 8 bits by FP8 recipes that keep them so
  bool mask = false;        // a 1-byte dropout mask (half an activation element)
  // Attention scores (softmax output, with dropout its mask and output): per row and per
  // key, so `elems` is multiplied by the keys each query sees; kept only without fused
  // attention, and dropped by selective recompute.
  bool scores = false;
};

struct SavedList {
  static constexpr int kMax = 12;
  std::array<Saved, kMax> t{};
  int n = 0;
  void add(const Saved& s) { t[static_cast<std::size_t>(n++)] = s; }
  [[nodiscard]] const Saved* begin() const { return t.data(); }
  [[nodiscard]] const Saved* end() const { return t.data() + n; }
};

}  // namespace dojosim::workload
