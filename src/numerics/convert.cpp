#include "dojosim/numerics/convert.hpp"

#include <fmt/format.h>

#include <cmath>

#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"
#include "kernel.hpp"

namespace dojosim::numerics {

namespace detail {

namespace {
float pow2f(int k) { return std::ldexp(1.0F, k); }
std::uint32_t bits_of(float x) { return std::bit_cast<std::uint32_t>(x); }
}  // namespace

EncodeParams make_params(const Format& f, Overflow overflow) {
  EncodeParams p;
  if (f.id() == FormatId::fp32) {
    p.identity = true;
    return p;
  }
  const int m = f.man_bits();
  const int b = f.bias();
  const auto um = static_cast<std::uint32_t>(m);
  p.shift = static_cast<std::uint32_t>(23 - m);
  p.round_const = (1U << (p.shift - 1)) - 1U;
  p.rebias = static_cast<std::uint32_t>(127 - b) << um;
  p.normal_min = static_cast<std::uint32_t>(128 - b) << 23;
  const int dexp = f.denormal_exponent();
  p.magic = pow2f(dexp - m + 23);
  p.magic_bits = bits_of(p.magic);
  p.denorm_scale = pow2f(m - dexp);
  p.gap_code_hi = 1U << um;
  p.normal_min_value = std::ldexp(1.0, 1 - b);
  if (f.denormal_scale() == DenormalScale::whitepaper) {
    const double d_max = std::ldexp(static_cast<double>((1U << um) - 1U), dexp - m);
    p.gap_lo_value = d_max;
    p.gap_lo = bits_of(static_cast<float>(d_max));
    p.gap_mid = bits_of(static_cast<float>((d_max + p.normal_min_value) / 2));
  } else {
    p.gap_lo_value = p.normal_min_value;
    p.gap_lo = p.normal_min;
    p.gap_mid = p.normal_min;
  }
  const Specials sp = f.info().specials;
  const std::uint32_t e_all = (1U << f.exp_bits()) - 1U;
  bool saturate = true;
  if (!f.info().dojo) {
    if (overflow == Overflow::format_default)
      saturate = sp == Specials::e4m3;
    else
      saturate = overflow == Overflow::saturate;
  }
  p.max_mag = f.max_finite_code();
  std::uint32_t nonsat = p.max_mag;
  if (sp == Specials::ieee) nonsat = e_all << um;                        // Inf
  if (sp == Specials::e4m3) nonsat = (e_all << um) | ((1U << um) - 1U);  // NaN
  p.overflow_code = saturate ? p.max_mag : nonsat;
  p.inf_code = p.overflow_code;
  p.inf_flag = (sp == Specials::ieee && !saturate) ? 0U : flag::overflow;
  if (sp == Specials::ieee)
    p.nan_code = (e_all << um) | (1U << (um - 1));
  else if (sp == Specials::e4m3)
    p.nan_code = (e_all << um) | ((1U << um) - 1U);
  else
    p.nan_code = p.max_mag;
  p.is_signed = f.is_signed();
  p.sign_keep = p.is_signed ? ~0U : 0U;
  p.unsigned_kill = p.is_signed ? 0U : ~0U;
  p.sign_pos = static_cast<std::uint32_t>(f.bits() - 1);
  return p;
}

DecodeParams make_decode_params(const Format& f) {
  DecodeParams p;
  if (f.id() == FormatId::fp32) {
    p.identity = true;
    return p;
  }
  p.man_bits = static_cast<std::uint32_t>(f.man_bits());
  p.exp_mask = (1U << f.exp_bits()) - 1U;
  p.man_mask = (1U << f.man_bits()) - 1U;
  p.sign_mask = f.sign_mask();
  p.bias = f.bias();
  p.specials = f.info().specials;
  p.denorm_step = pow2f(f.denormal_exponent() - f.man_bits());
  return p;
}

}  // namespace detail

Rounding parse_rounding(std::string_view s) {
  const std::string lower = core::to_lower(core::trim(s));
  if (lower == "rne" || lower == "nearest" || lower == "nearest_even") return Rounding::nearest_even;
  if (lower == "stochastic" || lower == "sr") return Rounding::stochastic;
  throw core::InputError({"", 0, 0, "rounding"}, fmt::format("unknown rounding mode '{}'", s), "rne or stochastic",
                         core::did_you_mean(lower, {"rne", "stochastic"}));
}

std::string_view rounding_name(Rounding r) { return r == Rounding::nearest_even ? "rne" : "stochastic"; }

std::string flags_to_string(unsigned flags) {
  std::vector<std::string> parts;
  if ((flags & flag::invalid) != 0) parts.emplace_back("invalid");
  if ((flags & flag::denormal) != 0) parts.emplace_back("denormal");
  if ((flags & flag::overflow) != 0) parts.emplace_back("overflow");
  if ((flags & flag::underflow) != 0) parts.emplace_back("underflow");
  return parts.empty() ? "none" : core::join(parts, ",");
}

std::uint32_t stochastic_bits(std::uint64_t seed, std::uint64_t index) {
  // SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", 2014)
  // on the counter seed + (index + 1) * golden gamma; counter-based, so reproducible.
  std::uint64_t z = seed + (index + 1) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<std::uint32_t>(z >> 32);
}

std::uint32_t from_float(const Format& f, float x, unsigned* flags) { return from_float(f, x, Rounding::nearest_even, 0, flags); }

std::uint32_t from_float(const Format& f, float x, Rounding rounding, std::uint32_t random, unsigned* flags, Overflow overflow) {
  const auto p = detail::make_params(f, overflow);
  std::uint32_t fl = 0;
  const std::uint32_t code = detail::encode_one(x, rounding, random, p, fl, flags != nullptr);
  if (flags != nullptr) *flags |= fl;
  return code;
}

float to_float(const Format& f, std::uint32_t code, unsigned* flags) {
  const auto p = detail::make_decode_params(f);
  std::uint32_t fl = 0;
  const float v = detail::decode_one(code, p, fl);
  if (flags != nullptr) *flags |= fl;
  return v;
}

float bf16_to_float(std::uint16_t b) { return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16); }

std::uint16_t float_to_bf16(float x, unsigned* flags) {
  return static_cast<std::uint16_t>(from_float(Format(FormatId::bf16), x, flags));
}

std::uint32_t from_bf16(const Format& f, std::uint16_t b, Rounding rounding, std::uint32_t random, unsigned* flags) {
  return from_float(f, bf16_to_float(b), rounding, random, flags);
}

std::uint16_t to_bf16(const Format& f, std::uint32_t code, unsigned* flags) {
  return float_to_bf16(to_float(f, code, flags), flags);
}

}  // namespace dojosim::numerics
