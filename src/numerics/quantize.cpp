#include "dojosim/numerics/quantize.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>

#include "dojosim/numerics/batch.hpp"

namespace dojosim::numerics {

namespace {

double max_abs_finite(std::span<const float> data) {
  double amax = 0.0;
  for (const float x : data)
    if (std::isfinite(x)) amax = std::max(amax, static_cast<double>(std::fabs(x)));
  return amax;
}

// Sum of squared RNE quantisation errors over the finite elements (saturating).
double squared_error(const Format& f, std::span<const float> data) {
  constexpr std::size_t kChunk = 4096;
  std::array<float, kChunk> q{};
  ConvertOptions o;
  o.overflow = Overflow::saturate;
  double sum = 0.0;
  for (std::size_t at = 0; at < data.size(); at += kChunk) {
    const std::size_t n = std::min(kChunk, data.size() - at);
    round_trip(f, data.subspan(at, n), std::span(q.data(), n), o);
    for (std::size_t i = 0; i < n; ++i) {
      const float x = data[at + i];
      if (!std::isfinite(x)) continue;
      const double e = static_cast<double>(x) - static_cast<double>(q[i]);
      sum += e * e;
    }
  }
  return sum;
}

}  // namespace

BiasChoice choose_bias(FormatId id, DenormalScale denormal, std::span<const float> data) {
  const auto& inf = info(id);
  if (inf.min_bias == inf.max_bias) {
    const Format f(id, inf.default_bias, denormal);
    return {inf.default_bias, squared_error(f, data), max_abs_finite(data) <= f.max_finite()};
  }
  const double amax = max_abs_finite(data);
  if (amax == 0.0) return {inf.default_bias, 0.0, true};
  // Largest bias whose range covers amax (max finite halves with each bias step).
  int top = -1;
  for (int b = inf.max_bias; b >= inf.min_bias; --b) {
    if (Format(id, b, denormal).max_finite() >= amax) {
      top = b;
      break;
    }
  }
  if (top < 0) return {inf.min_bias, squared_error(Format(id, inf.min_bias, denormal), data), false};
  // Smaller biases coarsen every value; a few steps down suffice to find the optimum
  // (they can only win through rounding luck or fewer underflows at the bottom).
  BiasChoice best{top, std::numeric_limits<double>::infinity(), true};
  for (int b = top; b >= std::max(inf.min_bias, top - 3); --b) {
    const double err = squared_error(Format(id, b, denormal), data);
    if (err < best.squared_error) best = {b, err, true};
  }
  return best;
}

std::vector<int> choose_block_biases(FormatId id, DenormalScale denormal, std::span<const float> data, std::size_t block) {
  std::vector<int> biases;
  if (block == 0) block = data.size() == 0 ? 1 : data.size();
  for (std::size_t at = 0; at < data.size(); at += block)
    biases.push_back(choose_bias(id, denormal, data.subspan(at, std::min(block, data.size() - at))).bias);
  return biases;
}

QuantizeReport quantize(FormatId id, std::span<const float> data, const QuantizeOptions& options, bool keep_dequantized) {
  QuantizeReport r;
  r.count = data.size();
  const std::size_t block = options.block == 0 ? std::max<std::size_t>(data.size(), 1) : options.block;
  std::vector<int> biases;
  if (options.bias) {
    const Format check(id, *options.bias, options.denormal);  // validates the bias
    biases.assign((data.size() + block - 1) / block, check.bias());
  } else {
    biases = choose_block_biases(id, options.denormal, data, block);
  }
  if (biases.empty()) biases.push_back(options.bias.value_or(info(id).default_bias));
  std::map<int, std::size_t> histogram;
  for (const int b : biases) ++histogram[b];
  r.bias = std::max_element(histogram.begin(), histogram.end(), [](const auto& a, const auto& b) {
             return a.second < b.second;
           })->first;
  r.bias_min = *std::min_element(biases.begin(), biases.end());
  r.bias_max = *std::max_element(biases.begin(), biases.end());

  ConvertOptions o;
  o.rounding = options.rounding;
  o.seed = options.seed;
  o.overflow = Overflow::saturate;
  std::vector<float> q(data.size());
  double signal = 0.0, noise = 0.0;
  std::size_t overflows = 0, underflows = 0;
  for (std::size_t k = 0; k < biases.size(); ++k) {
    const std::size_t at = k * block;
    const std::size_t n = std::min(block, data.size() - at);
    const Format f(id, biases[k], options.denormal);
    const auto src = data.subspan(at, n);
    const auto dst = std::span(q).subspan(at, n);
    round_trip(f, src, dst, o, &r.flags, at);
    const double max_finite = f.max_finite();
    for (std::size_t i = 0; i < n; ++i) {
      const double x = src[i];
      if (!std::isfinite(x)) continue;
      ++r.finite_count;
      const double e = std::fabs(x - static_cast<double>(dst[i]));
      signal += x * x;
      noise += e * e;
      r.max_abs_error = std::max(r.max_abs_error, e);
      if (x != 0.0) {
        r.max_rel_error = std::max(r.max_rel_error, e / std::fabs(x));
        if (dst[i] == 0.0F) ++underflows;
      }
      if (std::fabs(x) > max_finite) ++overflows;
    }
  }
  r.sqnr_db = noise == 0.0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(signal / noise);
  if (r.finite_count > 0) {
    r.overflow_fraction = static_cast<double>(overflows) / static_cast<double>(r.finite_count);
    r.underflow_fraction = static_cast<double>(underflows) / static_cast<double>(r.finite_count);
  }
  if (keep_dequantized) r.dequantized = std::move(q);
  return r;
}

}  // namespace dojosim::numerics
