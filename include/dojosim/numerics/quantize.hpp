// Bias selection and quantisation studies: "what happens to this tensor stored in this
// format with this bias?"
//
// Bias selection (whitepaper p4: different biases per tensor kind, few per step): for a
// tensor (or each block of it) the chosen bias is, among the biases whose max finite value
// covers max|x| (no overflow), the one with the least squared error of round-to-nearest
// quantisation; ties go to the larger bias. If no bias covers max|x|, the smallest bias
// (widest range). Non-finite elements are ignored. Formats with a fixed bias return it.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "dojosim/numerics/convert.hpp"

namespace dojosim::numerics {

struct BiasChoice {
  int bias = 0;
  double squared_error = 0.0;  // sum over the finite elements, at that bias
  bool overflow_free = true;   // max|x| <= max finite at that bias
};
BiasChoice choose_bias(FormatId id, DenormalScale denormal, std::span<const float> data);
// One bias per block of `block` consecutive elements (the last block may be shorter).
std::vector<int> choose_block_biases(FormatId id, DenormalScale denormal, std::span<const float> data, std::size_t block);

struct QuantizeOptions {
  std::optional<int> bias;  // nullopt: choose_bias (per block when block > 0)
  std::size_t block = 0;    // elements per block for automatic per-block bias; 0 = per tensor
  DenormalScale denormal = DenormalScale::ieee;
  Rounding rounding = Rounding::nearest_even;
  std::uint64_t seed = 0;
};

// Overflow: finite elements with |x| > max finite (they saturate). Underflow: non-zero
// finite elements that become zero. Errors and SQNR are over finite elements; quantisation
// saturates (Overflow::saturate) so that one outlier does not make the SQNR meaningless.
struct QuantizeReport {
  std::size_t count = 0;
  std::size_t finite_count = 0;
  int bias = 0;  // per-tensor bias (the most common one when per block)
  int bias_min = 0, bias_max = 0;
  double sqnr_db = 0.0;  // +inf when the error is zero
  double max_abs_error = 0.0;
  double max_rel_error = 0.0;  // over non-zero elements
  double overflow_fraction = 0.0;
  double underflow_fraction = 0.0;
  unsigned flags = 0;
  std::vector<float> dequantized;  // filled when asked for
};
QuantizeReport quantize(FormatId id, std::span<const float> data, const QuantizeOptions& options, bool keep_dequantized = false);

}  // namespace dojosim::numerics
