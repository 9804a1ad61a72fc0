// Conversions between FP32/BF16 and every format, with round-to-nearest-even or seeded,
// reproducible stochastic rounding, and the whitepaper's exception flags (p9).
//
// Contracts:
// - Round to nearest, ties to even, as if the format's exponent range were unbounded;
//   a result beyond the largest finite value overflows (see Overflow).
// - Stochastic rounding of x between neighbours lo < x < hi (spacing q) rounds up iff
//   r < frac·2^32, where frac = (x − lo)/q and r is a uniform 32-bit draw, so
//   P(up) = frac to within 2^−32 and E[result] = x. For element i of a batch under seed s,
//   r = stochastic_bits(s, i): results depend only on (seed, index), never on chunking or
//   threads.
// - Overflow: Dojo formats always saturate to ±max finite (no Inf exists); OCP E4M3
//   saturates by default (Overflow::infinity gives its NaN code instead); E5M2, FP16 and
//   BF16 give ±Inf by default (Overflow::saturate clamps). NaN input gives NaN where the
//   format has one, otherwise ±max finite (whitepaper: clamp), and raises Invalid.
// - Flags (sticky, OR-ed into *flags when flags != nullptr):
//     invalid   NaN input; a negative non-zero input to an unsigned format (gives 0)
//     denormal  the operand is a denormal of its own format (FP32 input when encoding,
//               the code when decoding)
//     overflow  a finite result would exceed max finite; ±Inf into a format without Inf
//               or under Overflow::saturate
//     underflow the exact value is below the smallest normal and the result is inexact
// - Decoding is exact (every value of every format fits FP32).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dojosim/numerics/format.hpp"

namespace dojosim::numerics {

enum class Rounding : std::uint8_t { nearest_even, stochastic };
Rounding parse_rounding(std::string_view s);  // "rne" | "nearest" | "stochastic" | "sr"
std::string_view rounding_name(Rounding r);

enum class Overflow : std::uint8_t { format_default, saturate, infinity };

namespace flag {
inline constexpr unsigned invalid = 1U;
inline constexpr unsigned denormal = 2U;
inline constexpr unsigned overflow = 4U;
inline constexpr unsigned underflow = 8U;
}  // namespace flag
// "invalid,overflow" or "none".
std::string flags_to_string(unsigned flags);

struct ConvertOptions {
  Rounding rounding = Rounding::nearest_even;
  std::uint64_t seed = 0;  // stochastic rounding only
  Overflow overflow = Overflow::format_default;
};

// The uniform 32-bit draw used for element `index` under `seed` (counter-based, SplitMix64).
std::uint32_t stochastic_bits(std::uint64_t seed, std::uint64_t index);

// FP32 -> format. `random` is used only by stochastic rounding.
std::uint32_t from_float(const Format& f, float x, unsigned* flags = nullptr);
std::uint32_t from_float(const Format& f, float x, Rounding rounding, std::uint32_t random, unsigned* flags = nullptr,
                         Overflow overflow = Overflow::format_default);
// format -> FP32 (exact).
float to_float(const Format& f, std::uint32_t code, unsigned* flags = nullptr);

// BF16 helpers. BF16 -> format rounds once (BF16 widens to FP32 exactly);
// format -> BF16 rounds to nearest even (exact for the 8-bit formats).
float bf16_to_float(std::uint16_t b);
std::uint16_t float_to_bf16(float x, unsigned* flags = nullptr);
std::uint32_t from_bf16(const Format& f, std::uint16_t b, Rounding rounding = Rounding::nearest_even, std::uint32_t random = 0,
                        unsigned* flags = nullptr);
std::uint16_t to_bf16(const Format& f, std::uint32_t code, unsigned* flags = nullptr);

}  // namespace dojosim::numerics
