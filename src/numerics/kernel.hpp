// Private: the FP32 -> format conversion kernels shared by the scalar and batch paths, so
// that both give bit-identical results.
//
// RNE kernel (branch-free, vectorisable; after F. Giesen's float_to_half_fast3_rtne):
//   normal range  (|x| >= min normal): add the rounding bias to the FP32 bits and shift
//                 (a mantissa carry moves into the exponent by itself), then re-bias;
//   denormal range: the FPU's own round-to-nearest-even does the work: |x| + 2^k, with k
//                 chosen so that the ulp of 2^k is the format's denormal step, leaves the
//                 rounded denormal code in the low mantissa bits (a carry gives min normal);
//   whitepaper gap [max denormal, min normal): nearest of the two (tie -> min normal, even).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

#include "dojosim/numerics/convert.hpp"

namespace dojosim::numerics::detail {

struct EncodeParams {
  std::uint32_t shift = 0;          // 23 - man_bits
  std::uint32_t round_const = 0;    // 2^(shift-1) - 1
  std::uint32_t rebias = 0;         // (127 - bias) << man_bits
  std::uint32_t normal_min = 0;     // FP32 bits of the smallest normal
  std::uint32_t gap_lo = 0;         // FP32 bits of the largest denormal (whitepaper), else normal_min
  std::uint32_t gap_mid = 0;        // FP32 bits of the midpoint of the gap
  std::uint32_t gap_code_hi = 0;    // code of min normal
  std::uint32_t max_mag = 0;        // largest finite magnitude code
  std::uint32_t overflow_code = 0;  // magnitude code of an overflowed finite value
  std::uint32_t inf_code = 0;       // magnitude code for +-Inf input
  std::uint32_t nan_code = 0;       // magnitude code for NaN input
  std::uint32_t sign_pos = 0;       // bit position of the code's sign
  bool is_signed = true;
  std::uint32_t sign_keep = 0;      // all ones for signed formats, else 0
  std::uint32_t unsigned_kill = 0;  // all ones for unsigned formats, else 0
  std::uint32_t inf_flag = 0;       // flag::overflow unless the format stores Inf exactly
  bool identity = false;            // FP32 -> FP32
  float magic = 0.0F;               // 2^k for the denormal path
  std::uint32_t magic_bits = 0;
  float denorm_scale = 0.0F;  // 1 / denormal step (stochastic path)
  double gap_lo_value = 0.0;  // largest denormal and min normal (stochastic, whitepaper gap)
  double normal_min_value = 0.0;
};

EncodeParams make_params(const Format& f, Overflow overflow);

inline std::uint32_t mask_of(bool c) { return 0U - static_cast<std::uint32_t>(c); }
// c ? a : b without control flow, so that loops of it vectorise.
inline std::uint32_t sel(std::uint32_t mask, std::uint32_t a, std::uint32_t b) { return (a & mask) | (b & ~mask); }

// Round to nearest even. kFlags: OR the exception flags into `flags`.
template <bool kFlags>
inline std::uint32_t encode_rne(float x, const EncodeParams& p, std::uint32_t& flags) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(x);
  const std::uint32_t a = u & 0x7fffffffU;
  const std::uint32_t neg = u >> 31;
  const auto ai = static_cast<std::int32_t>(a);
  // Normal path.
  const std::uint32_t rn = ((a + p.round_const + ((a >> p.shift) & 1U)) >> p.shift) - p.rebias;
  // Denormal path.
  const float fa = std::bit_cast<float>(a);
  const float sum = fa + p.magic;
  const std::uint32_t dn = std::bit_cast<std::uint32_t>(sum) - p.magic_bits;
  // Whitepaper gap: min normal (even) from the midpoint up, else the largest denormal.
  const std::uint32_t gp = p.gap_code_hi - static_cast<std::uint32_t>(ai < static_cast<std::int32_t>(p.gap_mid));
  const std::uint32_t m_tiny = mask_of(ai < static_cast<std::int32_t>(p.normal_min));
  const std::uint32_t m_over = mask_of(static_cast<std::int32_t>(rn) > static_cast<std::int32_t>(p.max_mag));
  const std::uint32_t m_special = mask_of(ai >= 0x7f800000);
  const std::uint32_t m_nan = mask_of(ai > 0x7f800000);
  std::uint32_t mag = sel(mask_of(ai < static_cast<std::int32_t>(p.gap_lo)), dn, gp);
  mag = sel(m_tiny, mag, sel(m_over, p.overflow_code, rn));
  mag = sel(m_special, sel(m_nan, p.nan_code, p.inf_code), mag);
  // Signed: the sign moves to the code's top bit. Unsigned: negatives (not NaN) become 0.
  const std::uint32_t m_neg = 0U - neg;
  const std::uint32_t code = (mag & ~(m_neg & p.unsigned_kill & ~m_nan)) | ((neg << p.sign_pos) & p.sign_keep);
  if constexpr (kFlags) {
    const std::uint32_t m_zero = mask_of(a == 0);
    const std::uint32_t m_exact_tiny =
        sel(mask_of(ai < static_cast<std::int32_t>(p.gap_lo)), mask_of(sum - p.magic == fa), mask_of(a == p.gap_lo));
    std::uint32_t fl = m_nan & flag::invalid;
    fl |= m_neg & p.unsigned_kill & ~m_zero & ~m_nan & flag::invalid;
    fl |= ~m_zero & mask_of(a < 0x00800000U) & flag::denormal;
    fl |= ~m_tiny & ~m_special & m_over & flag::overflow;
    fl |= mask_of(a == 0x7f800000U) & p.inf_flag;
    fl |= m_tiny & ~m_zero & ~m_exact_tiny & flag::underflow;
    flags |= fl;
  }
  return code;
}

// Stochastic rounding (scalar; see convert.hpp for the definition).
template <bool kFlags>
inline std::uint32_t encode_stochastic(float x, std::uint32_t r, const EncodeParams& p, std::uint32_t& flags) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(x);
  const std::uint32_t a = u & 0x7fffffffU;
  const bool tiny = a < p.normal_min;
  if (a == 0 || a >= 0x7f800000U) return encode_rne<kFlags>(x, p, flags);
  std::uint32_t mag = 0;
  bool over = false;
  bool exact = true;
  if (!tiny) {
    const std::uint32_t low = a & ((1U << p.shift) - 1U);
    const std::uint32_t up = (static_cast<std::uint64_t>(r) < (static_cast<std::uint64_t>(low) << (32 - p.shift))) ? 1U : 0U;
    const std::uint32_t rn = (a >> p.shift) + up - p.rebias;
    over = rn > p.max_mag;
    mag = over ? p.overflow_code : rn;
  } else {
    const double ax = static_cast<double>(std::bit_cast<float>(a));
    double frac = 0.0;
    std::uint32_t lo = 0;
    if (a < p.gap_lo) {
      const double k = ax * static_cast<double>(p.denorm_scale);  // exact: power-of-two scaling
      const double fl = std::floor(k);
      frac = k - fl;
      lo = static_cast<std::uint32_t>(fl);
    } else {
      frac = (ax - p.gap_lo_value) / (p.normal_min_value - p.gap_lo_value);
      lo = p.gap_code_hi - 1U;
    }
    exact = frac == 0.0;
    mag = lo + ((static_cast<double>(r) < frac * 4294967296.0) ? 1U : 0U);
  }
  const std::uint32_t neg = u >> 31;
  std::uint32_t code = p.is_signed ? (mag | (neg << p.sign_pos)) : (neg != 0 ? 0U : mag);
  if constexpr (kFlags) {
    if (!p.is_signed && neg != 0) flags |= flag::invalid;
    if (a < 0x00800000U) flags |= flag::denormal;
    if (over) flags |= flag::overflow;
    if (tiny && !exact) flags |= flag::underflow;
  }
  return code;
}

inline std::uint32_t encode_one(float x, Rounding rounding, std::uint32_t r, const EncodeParams& p, std::uint32_t& flags,
                                bool want_flags) {
  if (p.identity) {
    const std::uint32_t u = std::bit_cast<std::uint32_t>(x);
    const std::uint32_t a = u & 0x7fffffffU;
    if (want_flags && a != 0 && a < 0x00800000U) flags |= flag::denormal;
    return u;
  }
  if (rounding == Rounding::stochastic)
    return want_flags ? encode_stochastic<true>(x, r, p, flags) : encode_stochastic<false>(x, r, p, flags);
  return want_flags ? encode_rne<true>(x, p, flags) : encode_rne<false>(x, p, flags);
}

// Exact FP32 value of a code, built from bits (the format's values all fit FP32).
struct DecodeParams {
  std::uint32_t man_bits = 0, exp_mask = 0, man_mask = 0, sign_mask = 0;
  std::int32_t bias = 0;
  Specials specials = Specials::none;
  float denorm_step = 0.0F;  // value of the denormal code 1
  bool identity = false;
};
DecodeParams make_decode_params(const Format& f);

inline float decode_one(std::uint32_t code, const DecodeParams& p, std::uint32_t& flags) {
  if (p.identity) {
    const std::uint32_t a = code & 0x7fffffffU;
    if (a != 0 && a < 0x00800000U) flags |= flag::denormal;
    return std::bit_cast<float>(code);
  }
  const std::uint32_t e = (code >> p.man_bits) & p.exp_mask;
  const std::uint32_t m = code & p.man_mask;
  const std::uint32_t s = (code & p.sign_mask) != 0 ? 0x80000000U : 0U;
  std::uint32_t bits = 0;
  if (p.specials == Specials::ieee && e == p.exp_mask) {
    bits = m == 0 ? 0x7f800000U : (0x7fc00000U | (m << (23 - p.man_bits)));
  } else if (p.specials == Specials::e4m3 && e == p.exp_mask && m == p.man_mask) {
    bits = 0x7fc00000U;
  } else if (e == 0) {
    if (m != 0) flags |= flag::denormal;
    bits = std::bit_cast<std::uint32_t>(static_cast<float>(m) * p.denorm_step);
  } else {
    bits = (static_cast<std::uint32_t>(static_cast<std::int32_t>(e) - p.bias + 127) << 23) | (m << (23 - p.man_bits));
  }
  return std::bit_cast<float>(bits | s);
}

}  // namespace dojosim::numerics::detail
