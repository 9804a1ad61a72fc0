#include "dojosim/numerics/batch.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "kernel.hpp"

// Multi-versioning: the loops below are compiled for AVX-512, AVX2 and baseline x86-64 and
// the best is chosen at load time (GCC/Clang ifunc). Elsewhere they are plain loops. Clang (the fuzz build) takes no clones of templates.
#if defined(__x86_64__) && defined(__has_attribute) && !defined(__SANITIZE_ADDRESS__) && !defined(__clang__)
#if __has_attribute(target_clones)
#define DOJOSIM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef DOJOSIM_CLONES
#define DOJOSIM_CLONES
#endif

namespace dojosim::numerics {

namespace {

template <typename Code, bool kFlags>
DOJOSIM_CLONES std::uint32_t encode_rne_loop(const float* in, Code* out, std::size_t n, const detail::EncodeParams& params) {
  const detail::EncodeParams p = params;  // a local copy: stores through `out` cannot alias it
  std::uint32_t fl = 0;
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<Code>(detail::encode_rne<kFlags>(in[i], p, fl));
  return fl;
}

template <typename Code, bool kFlags>
std::uint32_t encode_sr_loop(const float* in, Code* out, std::size_t n, const detail::EncodeParams& params, std::uint64_t seed,
                             std::uint64_t first) {
  const detail::EncodeParams p = params;
  std::uint32_t fl = 0;
  if (p.identity) {
    for (std::size_t i = 0; i < n; ++i)
      out[i] = static_cast<Code>(detail::encode_one(in[i], Rounding::stochastic, 0, p, fl, kFlags));
    return fl;
  }
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<Code>(detail::encode_stochastic<kFlags>(in[i], stochastic_bits(seed, first + i), p, fl));
  return fl;
}

template <typename Code>
void encode_any(const Format& f, std::span<const float> in, std::span<Code> out, const ConvertOptions& o, unsigned* flags,
                std::uint64_t first) {
  if (in.size() != out.size()) throw std::invalid_argument("numerics::encode: spans of different sizes");
  if (f.bits() > static_cast<int>(8 * sizeof(Code)))
    throw std::invalid_argument("numerics::encode: output element too narrow for the format");
  const auto p = detail::make_params(f, o.overflow);
  std::uint32_t fl = 0;
  if (o.rounding == Rounding::stochastic) {
    fl = flags != nullptr ? encode_sr_loop<Code, true>(in.data(), out.data(), in.size(), p, o.seed, first)
                          : encode_sr_loop<Code, false>(in.data(), out.data(), in.size(), p, o.seed, first);
  } else {
    fl = flags != nullptr ? encode_rne_loop<Code, true>(in.data(), out.data(), in.size(), p)
                          : encode_rne_loop<Code, false>(in.data(), out.data(), in.size(), p);
  }
  if (flags != nullptr) *flags |= fl;
}

DOJOSIM_CLONES void lookup_loop(const std::uint8_t* in, float* out, std::size_t n, const float* table) {
  for (std::size_t i = 0; i < n; ++i) out[i] = table[in[i]];
}

}  // namespace

void encode(const Format& f, std::span<const float> in, std::span<std::uint8_t> out, const ConvertOptions& options,
            unsigned* flags, std::uint64_t first_index) {
  encode_any(f, in, out, options, flags, first_index);
}

void encode(const Format& f, std::span<const float> in, std::span<std::uint16_t> out, const ConvertOptions& options,
            unsigned* flags, std::uint64_t first_index) {
  encode_any(f, in, out, options, flags, first_index);
}

void decode(const Format& f, std::span<const std::uint8_t> in, std::span<float> out, unsigned* flags) {
  if (in.size() != out.size()) throw std::invalid_argument("numerics::decode: spans of different sizes");
  if (f.bits() > 8) throw std::invalid_argument("numerics::decode: format wider than 8 bits");
  const auto p = detail::make_decode_params(f);
  std::array<float, 256> table{};
  std::array<std::uint8_t, 256> table_flags{};
  for (std::uint32_t c = 0; c < 256; ++c) {
    std::uint32_t fl = 0;
    table[c] = detail::decode_one(c, p, fl);
    table_flags[c] = static_cast<std::uint8_t>(fl);
  }
  lookup_loop(in.data(), out.data(), in.size(), table.data());
  if (flags != nullptr) {
    std::uint32_t fl = 0;
    for (const std::uint8_t c : in) fl |= table_flags[c];
    *flags |= fl;
  }
}

void decode(const Format& f, std::span<const std::uint16_t> in, std::span<float> out, unsigned* flags) {
  if (in.size() != out.size()) throw std::invalid_argument("numerics::decode: spans of different sizes");
  if (f.bits() > 16) throw std::invalid_argument("numerics::decode: format wider than 16 bits");
  const auto p = detail::make_decode_params(f);
  std::uint32_t fl = 0;
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = detail::decode_one(in[i], p, fl);
  if (flags != nullptr) *flags |= fl;
}

void round_trip(const Format& f, std::span<const float> in, std::span<float> out, const ConvertOptions& options, unsigned* flags,
                std::uint64_t first_index) {
  if (in.size() != out.size()) throw std::invalid_argument("numerics::round_trip: spans of different sizes");
  if (f.bits() == 32) {
    std::uint32_t fl = 0;
    const auto p = detail::make_params(f, options.overflow);
    for (std::size_t i = 0; i < in.size(); ++i) {
      detail::encode_one(in[i], Rounding::nearest_even, 0, p, fl, flags != nullptr);
      out[i] = in[i];
    }
    if (flags != nullptr) *flags |= fl;
    return;
  }
  constexpr std::size_t kChunk = 4096;
  std::array<std::uint16_t, kChunk> wide{};
  std::array<std::uint8_t, kChunk> narrow{};
  for (std::size_t at = 0; at < in.size(); at += kChunk) {
    const std::size_t n = std::min(kChunk, in.size() - at);
    const auto src = in.subspan(at, n);
    const auto dst = out.subspan(at, n);
    if (f.bits() <= 8) {
      encode(f, src, std::span(narrow.data(), n), options, flags, first_index + at);
      decode(f, std::span<const std::uint8_t>(narrow.data(), n), dst, nullptr);
    } else {
      encode(f, src, std::span(wide.data(), n), options, flags, first_index + at);
      decode(f, std::span<const std::uint16_t>(wide.data(), n), dst, nullptr);
    }
  }
}

}  // namespace dojosim::numerics
