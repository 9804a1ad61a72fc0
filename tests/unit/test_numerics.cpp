// Number formats: every code of every 8-bit format decodes to the value its definition
// gives (expected values computed here from the definitions, independently of the code
// under test), round trips, monotonic order, OCP FP8 limits, 16-bit formats, flags.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "dojosim/core/errors.hpp"
#include "dojosim/numerics/batch.hpp"
#include "dojosim/numerics/convert.hpp"
#include "dojosim/numerics/format.hpp"

using namespace dojosim::numerics;

namespace {

// 2^k by repeated multiplication (exact in double over the range used here).
double pow2(int k) {
  double v = 1.0;
  for (int i = 0; i < k; ++i) v *= 2.0;
  for (int i = 0; i > k; --i) v *= 0.5;
  return v;
}

// The definition of a format, written out here rather than read from the library.
struct Def {
  FormatId id;
  int sign_bits, exp_bits, man_bits;
  enum Kind { dojo, ieee, e4m3 } kind;
};
const Def kCf143{FormatId::cfloat8_1_4_3, 1, 4, 3, Def::dojo};
const Def kCf152{FormatId::cfloat8_1_5_2, 1, 5, 2, Def::dojo};
const Def kE4m3{FormatId::fp8_e4m3, 1, 4, 3, Def::e4m3};
const Def kE5m2{FormatId::fp8_e5m2, 1, 5, 2, Def::ieee};
const Def kShp{FormatId::shp, 1, 5, 10, Def::dojo};
const Def kUhp{FormatId::uhp, 0, 6, 10, Def::dojo};
const Def kFp16{FormatId::fp16, 1, 5, 10, Def::ieee};
const Def kBf16{FormatId::bf16, 1, 8, 7, Def::ieee};

// Value of `code` by the definition: normal (−1)^s·(1 + m/2^M)·2^(E−bias); denormal
// (−1)^s·(m/2^M)·2^(1−bias) (IEEE) or ·2^(−bias) (whitepaper); specials as the format says.
double expected_value(const Def& d, int bias, bool whitepaper, std::uint32_t code) {
  const std::uint32_t m = code & ((1U << d.man_bits) - 1U);
  const std::uint32_t e = (code >> d.man_bits) & ((1U << d.exp_bits) - 1U);
  const bool neg = d.sign_bits == 1 && ((code >> (d.exp_bits + d.man_bits)) & 1U) != 0;
  const std::uint32_t e_all = (1U << d.exp_bits) - 1U, m_all = (1U << d.man_bits) - 1U;
  double v = 0;
  if (d.kind == Def::ieee && e == e_all) {
    if (m != 0) return std::numeric_limits<double>::quiet_NaN();
    v = std::numeric_limits<double>::infinity();
  } else if (d.kind == Def::e4m3 && e == e_all && m == m_all) {
    return std::numeric_limits<double>::quiet_NaN();
  } else if (e == 0) {
    v = static_cast<double>(m) / pow2(d.man_bits) * pow2(whitepaper ? -bias : 1 - bias);
  } else {
    v = (1.0 + static_cast<double>(m) / pow2(d.man_bits)) * pow2(static_cast<int>(e) - bias);
  }
  return neg ? -v : v;
}

const std::vector<int> kBiases{0, 7, 15, 31, 63};

struct Config {
  Def def;
  int bias;
  bool whitepaper;
};
std::vector<Config> eight_bit_configs() {
  std::vector<Config> c;
  for (const Def& d : {kCf143, kCf152})
    for (int b : kBiases)
      for (bool wp : {false, true}) c.push_back({d, b, wp});
  c.push_back({kE4m3, 7, false});
  c.push_back({kE5m2, 15, false});
  return c;
}
Format make(const Config& c) { return Format(c.def.id, c.bias, c.whitepaper ? DenormalScale::whitepaper : DenormalScale::ieee); }

}  // namespace

TEST(NumericsFormat, EveryEightBitCodeDecodesToItsDefinedValue) {
  for (const auto& c : eight_bit_configs()) {
    const Format f = make(c);
    for (std::uint32_t code = 0; code < 256; ++code) {
      const double want = expected_value(c.def, c.bias, c.whitepaper, code);
      const double got_d = decode(f, code);
      const double got_f = to_float(f, code);
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(got_d) && std::isnan(got_f)) << f.name() << " bias " << c.bias << " code " << code;
        EXPECT_EQ(classify(f, code), CodeClass::nan);
      } else {
        EXPECT_EQ(got_d, want) << f.name() << " bias " << c.bias << " wp " << c.whitepaper << " code " << code;
        EXPECT_EQ(static_cast<double>(got_f), want) << f.name() << " bias " << c.bias << " code " << code;
        EXPECT_EQ(std::signbit(got_f), code >= 128) << f.name() << " code " << code;
      }
    }
  }
}

TEST(NumericsFormat, BatchDecodeMatchesDefinition) {
  std::vector<std::uint8_t> codes(256);
  for (std::uint32_t i = 0; i < 256; ++i) codes[i] = static_cast<std::uint8_t>(i);
  std::vector<float> out(256);
  for (const auto& c : eight_bit_configs()) {
    const Format f = make(c);
    decode(f, std::span<const std::uint8_t>(codes), std::span(out));
    for (std::uint32_t code = 0; code < 256; ++code) {
      const double want = expected_value(c.def, c.bias, c.whitepaper, code);
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(out[code]));
      } else {
        EXPECT_EQ(static_cast<double>(out[code]), want) << f.name() << " code " << code;
      }
    }
  }
}

TEST(NumericsFormat, EncodeOfDecodeIsIdentityForEveryFiniteCode) {
  for (const auto& c : eight_bit_configs()) {
    const Format f = make(c);
    for (std::uint32_t code = 0; code < 256; ++code) {
      const float v = to_float(f, code);
      if (!std::isfinite(v)) continue;
      EXPECT_EQ(from_float(f, v), code) << f.name() << " bias " << c.bias << " wp " << c.whitepaper << " code " << code;
      EXPECT_EQ(from_bf16(f, float_to_bf16(v)), code) << "via bf16: " << f.name() << " code " << code;
      EXPECT_EQ(bf16_to_float(to_bf16(f, code)), v) << "to bf16 is exact for 8-bit formats";
    }
  }
}

TEST(NumericsFormat, DecodeIsStrictlyMonotonicOverOrderedCodes) {
  for (const auto& c : eight_bit_configs()) {
    const Format f = make(c);
    std::vector<std::uint32_t> order;
    for (std::uint32_t mag = 127; mag >= 1; --mag) order.push_back(0x80U | mag);  // most negative first
    for (std::uint32_t mag = 0; mag <= 127; ++mag) order.push_back(mag);
    double prev = -std::numeric_limits<double>::infinity();
    bool first = true;
    for (const std::uint32_t code : order) {
      const double v = decode(f, code);
      if (std::isnan(v)) continue;
      if (!first) { EXPECT_LT(prev, v) << f.name() << " bias " << c.bias << " wp " << c.whitepaper << " code " << code; }
      prev = v;
      first = false;
    }
  }
}

TEST(NumericsFormat, DojoLimitsMatchTheWhitepaperTable) {
  // hardware_facts.md §4b, derived limits (min denormal column uses the paper's rule).
  const auto wp = DenormalScale::whitepaper;
  EXPECT_EQ(Format(FormatId::cfloat8_1_4_3, 0).max_finite(), 61440.0);
  EXPECT_EQ(Format(FormatId::cfloat8_1_4_3, 0).min_normal(), 2.0);
  EXPECT_EQ(Format(FormatId::cfloat8_1_4_3, 0, wp).min_denormal(), 0.125);
  EXPECT_EQ(Format(FormatId::cfloat8_1_4_3, 7).max_finite(), 480.0);
  EXPECT_EQ(Format(FormatId::cfloat8_1_4_3, 7).min_normal(), pow2(-6));
  EXPECT_EQ(Format(FormatId::cfloat8_1_4_3, 7, wp).min_denormal(), pow2(-10));
  EXPECT_EQ(Format(FormatId::cfloat8_1_4_3, 7).min_denormal(), pow2(-9));  // IEEE-style default
  EXPECT_EQ(Format(FormatId::cfloat8_1_4_3, 63).max_finite(), 1.875 * pow2(-48));
  EXPECT_EQ(Format(FormatId::cfloat8_1_4_3, 63).min_normal(), pow2(-62));
  EXPECT_EQ(Format(FormatId::cfloat8_1_4_3, 63, wp).min_denormal(), pow2(-66));
  EXPECT_EQ(Format(FormatId::cfloat8_1_5_2, 15).max_finite(), 114688.0);
  EXPECT_EQ(Format(FormatId::cfloat8_1_5_2, 15).min_normal(), pow2(-14));
  EXPECT_EQ(Format(FormatId::cfloat8_1_5_2, 15, wp).min_denormal(), pow2(-17));
  EXPECT_EQ(Format(FormatId::cfloat8_1_5_2, 31).max_finite(), 1.75);
  EXPECT_EQ(Format(FormatId::cfloat8_1_5_2, 31).min_normal(), pow2(-30));
  EXPECT_EQ(Format(FormatId::cfloat8_1_5_2, 31, wp).min_denormal(), pow2(-33));
  EXPECT_EQ(Format(FormatId::shp, 15).max_finite(), 131008.0);
  EXPECT_EQ(Format(FormatId::shp, 15, wp).min_denormal(), pow2(-25));
}

TEST(NumericsFormat, OcpFp8LimitsMatchTheSpecification) {
  // OCP 8-bit Floating Point Specification (OFP8) rev 1.0, table 1.
  const Format e4m3(FormatId::fp8_e4m3), e5m2(FormatId::fp8_e5m2);
  EXPECT_EQ(e4m3.max_finite(), 448.0);
  EXPECT_EQ(e4m3.min_normal(), pow2(-6));
  EXPECT_EQ(e4m3.min_denormal(), pow2(-9));
  EXPECT_EQ(e5m2.max_finite(), 57344.0);
  EXPECT_EQ(e5m2.min_normal(), pow2(-14));
  EXPECT_EQ(e5m2.min_denormal(), pow2(-16));
  EXPECT_TRUE(std::isnan(decode(e4m3, 0x7F)));
  EXPECT_TRUE(std::isnan(decode(e4m3, 0xFF)));
  EXPECT_EQ(decode(e4m3, 0x7E), 448.0);
  EXPECT_EQ(decode(e4m3, 0x78), 256.0);  // S.1111.000 is an ordinary number: no Inf
  EXPECT_EQ(classify(e5m2, 0x7C), CodeClass::inf);
  EXPECT_EQ(classify(e5m2, 0xFC), CodeClass::inf);
  for (std::uint32_t c : {0x7DU, 0x7EU, 0x7FU}) EXPECT_EQ(classify(e5m2, c), CodeClass::nan);
  EXPECT_EQ(decode(e5m2, 0x7B), 57344.0);
}

TEST(NumericsFormat, SixteenBitFormatsDecodeToTheirDefinitions) {
  for (const auto& [d, bias] :
       std::vector<std::pair<Def, int>>{{kShp, 0}, {kShp, 15}, {kShp, 63}, {kUhp, 31}, {kFp16, 15}, {kBf16, 127}}) {
    const Format f(d.id, bias);
    for (std::uint32_t code = 0; code < 65536; code += (code % 2 == 0 ? 1U : 37U)) {
      const double want = expected_value(d, bias, false, code);
      const float got = to_float(f, code);
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(got));
        continue;
      }
      ASSERT_EQ(static_cast<double>(got), want) << f.name() << " code " << code;
      ASSERT_EQ(from_float(f, got), code) << f.name() << " code " << code;
    }
  }
  EXPECT_EQ(Format(FormatId::fp16).max_finite(), 65504.0);
  EXPECT_EQ(Format(FormatId::uhp).max_finite(), (2.0 - pow2(-10)) * pow2(32));
  EXPECT_EQ(from_float(Format(FormatId::uhp), -1.0F), 0U);  // no sign: negatives clamp to 0
  EXPECT_EQ(Format(FormatId::bf16).max_finite(), (2.0 - pow2(-7)) * pow2(127));
}

TEST(NumericsFormat, NamesBiasRangesAndSizes) {
  EXPECT_EQ(parse_format("CFloat8_1_4_3"), FormatId::cfloat8_1_4_3);
  EXPECT_EQ(parse_format("FP8_E5M2"), FormatId::fp8_e5m2);
  try {
    parse_format("cfloat8_143");
    FAIL();
  } catch (const dojosim::core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'cfloat8_1_4_3'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Format(FormatId::cfloat8_1_4_3, 64), dojosim::core::InputError);
  EXPECT_THROW(Format(FormatId::cfloat8_1_4_3, -1), dojosim::core::InputError);
  EXPECT_THROW(Format(FormatId::fp8_e4m3, 8), dojosim::core::InputError);
  EXPECT_THROW(Format(FormatId::fp16, 15, DenormalScale::whitepaper), dojosim::core::InputError);
  EXPECT_EQ(bytes_per_element(FormatId::cfloat8_1_4_3), 1.0);
  EXPECT_EQ(bytes_per_element(FormatId::fp8_e5m2), 1.0);
  EXPECT_EQ(bytes_per_element(FormatId::shp), 2.0);
  EXPECT_EQ(bytes_per_element(FormatId::bf16), 2.0);
  EXPECT_EQ(bytes_per_element(FormatId::fp32), 4.0);
  EXPECT_EQ(format_names().size(), 9U);
  EXPECT_EQ(code_bits(Format(FormatId::cfloat8_1_4_3), 0xB5), "1.0110.101");
  EXPECT_EQ(code_bits(Format(FormatId::uhp), 0x8001), "100000.0000000001");
}

TEST(NumericsFlags, RaisedAsTheWhitepaperSays) {
  const Format f(FormatId::cfloat8_1_4_3, 7);
  unsigned fl = 0;
  EXPECT_EQ(from_float(f, std::numeric_limits<float>::quiet_NaN(), &fl), 0x7FU);  // clamps to max
  EXPECT_EQ(fl, flag::invalid);
  fl = 0;
  EXPECT_EQ(from_float(f, 1e6F, &fl), 0x7FU);
  EXPECT_EQ(fl, flag::overflow);
  fl = 0;
  EXPECT_EQ(from_float(f, -std::numeric_limits<float>::infinity(), &fl), 0xFFU);
  EXPECT_EQ(fl, flag::overflow);
  fl = 0;
  EXPECT_EQ(from_float(f, 1e-4F, &fl), 0U);
  EXPECT_EQ(fl, flag::underflow);
  fl = 0;
  from_float(f, static_cast<float>(pow2(-8)), &fl);  // exact denormal: tiny but exact
  EXPECT_EQ(fl, 0U);
  fl = 0;
  from_float(f, std::numeric_limits<float>::denorm_min(), &fl);
  EXPECT_EQ(fl, flag::denormal | flag::underflow);
  fl = 0;
  to_float(f, 0x03, &fl);
  EXPECT_EQ(fl, flag::denormal);
  fl = 0;
  EXPECT_EQ(from_float(Format(FormatId::uhp), -2.0F, &fl), 0U);
  EXPECT_EQ(fl, flag::invalid);
  // E5M2 is IEEE-like: overflow gives Inf, Inf is exact; E4M3 saturates by default.
  fl = 0;
  EXPECT_EQ(from_float(Format(FormatId::fp8_e5m2), 1e9F, &fl), 0x7CU);
  EXPECT_EQ(fl, flag::overflow);
  fl = 0;
  EXPECT_EQ(from_float(Format(FormatId::fp8_e5m2), std::numeric_limits<float>::infinity(), &fl), 0x7CU);
  EXPECT_EQ(fl, 0U);
  EXPECT_EQ(from_float(Format(FormatId::fp8_e4m3), 1e9F), 0x7EU);
  EXPECT_EQ(from_float(Format(FormatId::fp8_e4m3), 1e9F, Rounding::nearest_even, 0, nullptr, Overflow::infinity), 0x7FU);
  EXPECT_EQ(from_float(Format(FormatId::fp8_e5m2), 1e9F, Rounding::nearest_even, 0, nullptr, Overflow::saturate), 0x7BU);
  EXPECT_TRUE(std::isnan(to_float(Format(FormatId::fp8_e5m2), from_float(Format(FormatId::fp8_e5m2), std::nanf("")))));
  EXPECT_EQ(flags_to_string(flag::invalid | flag::underflow), "invalid,underflow");
}
