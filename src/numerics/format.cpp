#include "dojosim/numerics/format.hpp"

#include <fmt/format.h>

#include <bit>
#include <cmath>

#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"

namespace dojosim::numerics {

namespace {
// Facts from hardware_facts.md §4a (Dojo) and the OCP 8-bit Floating Point Specification
// (OFP8) rev 1.0 (E4M3, E5M2).
const std::vector<FormatInfo> kFormats{
    {FormatId::cfloat8_1_4_3, "cfloat8_1_4_3", 8, 1, 4, 3, 7, 0, 63, Specials::none, true,
     "Dojo CFloat8 1/4/3, configurable bias, no Inf/NaN, saturating"},
    {FormatId::cfloat8_1_5_2, "cfloat8_1_5_2", 8, 1, 5, 2, 15, 0, 63, Specials::none, true,
     "Dojo CFloat8 1/5/2, configurable bias, no Inf/NaN, saturating"},
    {FormatId::shp, "shp", 16, 1, 5, 10, 15, 0, 63, Specials::none, true,
     "Dojo signed half precision (CFloat16) 1/5/10, configurable bias, clamps"},
    {FormatId::uhp, "uhp", 16, 0, 6, 10, 31, 31, 31, Specials::none, true,
     "Dojo unsigned half precision (CFloat16) 0/6/10, bias 31"},
    {FormatId::bf16, "bf16", 16, 1, 8, 7, 127, 127, 127, Specials::ieee, false, "bfloat16"},
    {FormatId::fp16, "fp16", 16, 1, 5, 10, 15, 15, 15, Specials::ieee, false, "IEEE 754 binary16"},
    {FormatId::fp8_e4m3, "fp8_e4m3", 8, 1, 4, 3, 7, 7, 7, Specials::e4m3, false,
     "OCP FP8 E4M3: no Inf, NaN = S.1111.111, max 448"},
    {FormatId::fp8_e5m2, "fp8_e5m2", 8, 1, 5, 2, 15, 15, 15, Specials::ieee, false, "OCP FP8 E5M2 (IEEE-like)"},
    {FormatId::fp32, "fp32", 32, 1, 8, 23, 127, 127, 127, Specials::ieee, false, "IEEE 754 binary32"},
};
}  // namespace

const std::vector<FormatInfo>& format_infos() { return kFormats; }

const FormatInfo& info(FormatId id) {
  for (const auto& f : kFormats)
    if (f.id == id) return f;
  return kFormats.front();  // unreachable: every FormatId is in the table
}

std::vector<std::string> format_names() {
  std::vector<std::string> names;
  for (const auto& f : kFormats) names.emplace_back(f.name);
  return names;
}

FormatId parse_format(std::string_view name) {
  const std::string lower = core::to_lower(core::trim(name));
  for (const auto& f : kFormats)
    if (f.name == lower) return f.id;
  const auto names = format_names();
  throw core::InputError({"", 0, 0, "format"}, fmt::format("unknown number format '{}'", name),
                         "one of: " + core::join(names, ", "), core::did_you_mean(lower, names));
}

DenormalScale parse_denormal_scale(std::string_view name) {
  const std::string lower = core::to_lower(core::trim(name));
  if (lower == "ieee") return DenormalScale::ieee;
  if (lower == "whitepaper" || lower == "paper") return DenormalScale::whitepaper;
  throw core::InputError({"", 0, 0, "denormal"}, fmt::format("unknown denormal scale '{}'", name),
                         "ieee (0.m x 2^(1-bias)) or whitepaper (0.m x 2^-bias)",
                         core::did_you_mean(lower, {"ieee", "whitepaper"}));
}

std::string_view denormal_scale_name(DenormalScale d) { return d == DenormalScale::ieee ? "ieee" : "whitepaper"; }

double bytes_per_element(FormatId id) { return info(id).bits / 8.0; }

Format::Format(FormatId id) : id_(id), bias_(numerics::info(id).default_bias), denormal_(DenormalScale::ieee) {}

Format::Format(FormatId id, int bias, DenormalScale denormal) : id_(id), bias_(bias), denormal_(denormal) {
  const auto& i = numerics::info(id);
  if (bias < i.min_bias || bias > i.max_bias) {
    const std::string range = i.min_bias == i.max_bias ? fmt::format("{} (fixed)", i.min_bias)
                                                       : fmt::format("an integer in {}..{}", i.min_bias, i.max_bias);
    throw core::InputError({"", 0, 0, "bias"}, fmt::format("bias {} is out of range for {}", bias, i.name), range);
  }
  if (denormal == DenormalScale::whitepaper && !i.dojo)
    throw core::InputError({"", 0, 0, "denormal"},
                           fmt::format("the whitepaper denormal scale applies to Dojo formats only, not {}", i.name),
                           "--denormal ieee");
}

int Format::denormal_exponent() const { return denormal_ == DenormalScale::ieee ? 1 - bias_ : -bias_; }

std::uint32_t Format::sign_mask() const { return is_signed() ? std::uint32_t{1} << (bits() - 1) : 0U; }

std::uint32_t Format::max_finite_code() const {
  const std::uint32_t all = static_cast<std::uint32_t>((std::uint64_t{1} << (bits() - info().sign_bits)) - 1);
  switch (info().specials) {
    case Specials::none: return all;
    case Specials::e4m3: return all - 1;                                 // S.1111.110
    case Specials::ieee: return all - (std::uint32_t{1} << man_bits());  // largest exponent below all-ones, m all ones
  }
  return all;
}

double Format::max_finite() const { return decode(*this, max_finite_code()); }
double Format::min_normal() const { return std::ldexp(1.0, 1 - bias_); }
double Format::min_denormal() const { return std::ldexp(1.0, denormal_exponent() - man_bits()); }

std::string_view class_name(CodeClass c) {
  switch (c) {
    case CodeClass::zero: return "zero";
    case CodeClass::denormal: return "denormal";
    case CodeClass::normal: return "normal";
    case CodeClass::inf: return "inf";
    case CodeClass::nan: return "nan";
  }
  return "normal";
}

CodeClass classify(const Format& f, std::uint32_t code) {
  const int m_bits = f.man_bits();
  const std::uint32_t e_all = (std::uint32_t{1} << f.exp_bits()) - 1;
  const std::uint32_t e = (code >> m_bits) & e_all;
  const std::uint32_t m = code & ((std::uint32_t{1} << m_bits) - 1);
  switch (f.info().specials) {
    case Specials::ieee:
      if (e == e_all) return m == 0 ? CodeClass::inf : CodeClass::nan;
      break;
    case Specials::e4m3:
      if (e == e_all && m == (std::uint32_t{1} << m_bits) - 1) return CodeClass::nan;
      break;
    case Specials::none: break;
  }
  if (e == 0) return m == 0 ? CodeClass::zero : CodeClass::denormal;
  return CodeClass::normal;
}

double decode(const Format& f, std::uint32_t code) {
  const int m_bits = f.man_bits();
  const bool neg = (code & f.sign_mask()) != 0;
  const std::uint32_t e = (code >> m_bits) & ((std::uint32_t{1} << f.exp_bits()) - 1);
  const std::uint32_t m = code & ((std::uint32_t{1} << m_bits) - 1);
  double v = 0.0;
  switch (classify(f, code)) {
    case CodeClass::nan: return std::nan("");
    case CodeClass::inf: v = HUGE_VAL; break;
    case CodeClass::zero: v = 0.0; break;
    case CodeClass::denormal: v = std::ldexp(static_cast<double>(m), f.denormal_exponent() - m_bits); break;
    case CodeClass::normal:
      v = std::ldexp(static_cast<double>(m | (std::uint32_t{1} << m_bits)), static_cast<int>(e) - f.bias() - m_bits);
      break;
  }
  return neg ? -v : v;
}

std::string code_bits(const Format& f, std::uint32_t code) {
  std::string s;
  for (int i = f.bits() - 1; i >= 0; --i) {
    if (f.is_signed() && i == f.bits() - 2) s += '.';
    if (i == f.man_bits() - 1) s += '.';
    s += ((code >> i) & 1U) != 0 ? '1' : '0';
  }
  return s;
}

}  // namespace dojosim::numerics
