// Rounding: ties to even, nearest against a brute-force search over every value,
// saturation, stochastic rounding (unbiased, reproducible), batch == scalar, bias choice.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "dojosim/numerics/batch.hpp"
#include "dojosim/numerics/convert.hpp"
#include "dojosim/numerics/format.hpp"
#include "dojosim/numerics/quantize.hpp"

using namespace dojosim::numerics;

namespace {

struct Value {
  double v;
  std::uint32_t code;
};

// Every non-negative finite value of the format with its code, ascending (from the
// definition via decode, which test_numerics.cpp checks code by code).
std::vector<Value> positive_values(const Format& f) {
  std::vector<Value> vs;
  const std::uint32_t limit =
      f.is_signed() ? static_cast<std::uint32_t>(f.code_count() / 2) : static_cast<std::uint32_t>(f.code_count());
  for (std::uint32_t c = 0; c < limit; ++c) {
    const double v = decode(f, c);
    if (std::isfinite(v)) vs.push_back({v, c});
  }
  std::sort(vs.begin(), vs.end(), [](const Value& a, const Value& b) { return a.v < b.v; });
  return vs;
}

// Brute-force round to nearest, ties to the even code; beyond max: saturate, or Inf for
// IEEE-like formats once past max + half an ulp.
std::uint32_t nearest_code(const Format& f, const std::vector<Value>& vs, float x) {
  const double ax = std::fabs(static_cast<double>(x));
  const std::uint32_t sign = std::signbit(x) ? f.sign_mask() : 0U;
  const Value& top = vs.back();
  std::uint32_t mag = 0;
  if (ax >= top.v) {
    const double half_ulp = (top.v - vs[vs.size() - 2].v) / 2;
    const bool ieee = f.info().specials == Specials::ieee;
    mag = (ieee && ax >= top.v + half_ulp) ? ((1U << f.exp_bits()) - 1U) << f.man_bits() : top.code;
  } else {
    const auto it = std::upper_bound(vs.begin(), vs.end(), ax, [](double a, const Value& b) { return a < b.v; });
    const Value& hi = *it;
    const Value& lo = *(it - 1);
    const double dl = ax - lo.v, dh = hi.v - ax;
    mag = dl < dh ? lo.code : dh < dl ? hi.code : ((lo.code & 1U) == 0 ? lo.code : hi.code);
  }
  if (!f.is_signed() && std::signbit(x)) return 0;
  return mag | sign;
}

std::vector<Format> eight_bit_formats() {
  std::vector<Format> fs;
  for (FormatId id : {FormatId::cfloat8_1_4_3, FormatId::cfloat8_1_5_2})
    for (int b : {0, 7, 15, 31, 63})
      for (DenormalScale d : {DenormalScale::ieee, DenormalScale::whitepaper}) fs.emplace_back(id, b, d);
  fs.emplace_back(FormatId::fp8_e4m3);
  fs.emplace_back(FormatId::fp8_e5m2);
  return fs;
}

// A random float whose magnitude spans the format's range and a little beyond.
float random_in_range(const Format& f, std::mt19937_64& rng) {
  const int lo = f.denormal_exponent() - f.man_bits() - 3;
  const int hi = static_cast<int>(std::ilogb(f.max_finite())) + 2;
  std::uniform_int_distribution<int> e(lo, hi);
  std::uniform_real_distribution<float> m(1.0F, 2.0F);
  const float x = std::ldexp(m(rng), e(rng));
  return (rng() & 1U) != 0 ? -x : x;
}

}  // namespace

TEST(NumericsRounding, TiesGoToEvenAndNeighboursOfTiesToTheNearest) {
  for (const Format& f : eight_bit_formats()) {
    const auto vs = positive_values(f);
    for (std::size_t i = 0; i + 1 < vs.size(); ++i) {
      const double mid = (vs[i].v + vs[i + 1].v) / 2;
      const auto fmid = static_cast<float>(mid);
      ASSERT_EQ(static_cast<double>(fmid), mid);
      const std::uint32_t even = (vs[i].code & 1U) == 0 ? vs[i].code : vs[i + 1].code;
      EXPECT_EQ(from_float(f, fmid), even) << f.name() << " bias " << f.bias() << " mid " << mid;
      EXPECT_EQ(from_float(f, -fmid), even | 0x80U) << f.name() << " bias " << f.bias();
      EXPECT_EQ(from_float(f, std::nextafter(fmid, 0.0F)), vs[i].code) << f.name() << " bias " << f.bias() << " below " << mid;
      EXPECT_EQ(from_float(f, std::nextafter(fmid, HUGE_VALF)), vs[i + 1].code) << f.name() << " above " << mid;
    }
  }
  // A plain example: in CFloat8_1_4_3 bias 7, 1.0625 lies halfway between 1 (m=000) and
  // 1.125 (m=001) and goes to 1; 1.1875 between 1.125 and 1.25 (m=010) goes to 1.25.
  const Format f(FormatId::cfloat8_1_4_3, 7);
  EXPECT_EQ(to_float(f, from_float(f, 1.0625F)), 1.0F);
  EXPECT_EQ(to_float(f, from_float(f, 1.1875F)), 1.25F);
}

TEST(NumericsRounding, NearestMatchesBruteForceForRandomInputs) {
  std::mt19937_64 rng(2021);
  for (const Format& f : eight_bit_formats()) {
    const auto vs = positive_values(f);
    for (int i = 0; i < 4000; ++i) {
      const float x = random_in_range(f, rng);
      ASSERT_EQ(from_float(f, x), nearest_code(f, vs, x)) << f.name() << " bias " << f.bias() << " x " << x;
    }
  }
  for (const Format& f : {Format(FormatId::shp, 0), Format(FormatId::shp, 40, DenormalScale::whitepaper), Format(FormatId::uhp),
                          Format(FormatId::fp16), Format(FormatId::bf16)}) {
    const auto vs = positive_values(f);
    for (int i = 0; i < 4000; ++i) {
      const float x = random_in_range(f, rng);
      ASSERT_EQ(from_float(f, x), nearest_code(f, vs, x)) << f.name() << " bias " << f.bias() << " x " << x;
    }
  }
}

TEST(NumericsRounding, OverflowSaturates) {
  for (const Format& f : eight_bit_formats()) {
    if (f.id() == FormatId::fp8_e5m2) continue;
    const auto top = static_cast<float>(f.max_finite());
    for (float x : {top, top * 1.01F, top * 1e3F, std::numeric_limits<float>::max(), HUGE_VALF}) {
      EXPECT_EQ(from_float(f, x), f.max_finite_code()) << f.name() << " bias " << f.bias() << " x " << x;
      EXPECT_EQ(from_float(f, -x), f.max_finite_code() | 0x80U);
    }
  }
  // SHP clamps too (whitepaper p8).
  const Format shp(FormatId::shp, 15);
  EXPECT_EQ(to_float(shp, from_float(shp, 1e30F)), 131008.0F);
}

TEST(NumericsRounding, BatchEqualsScalarForEveryFormat) {
  std::mt19937_64 rng(7);
  std::vector<float> xs;
  for (int i = 0; i < 20000; ++i) xs.push_back(std::bit_cast<float>(static_cast<std::uint32_t>(rng())));
  for (float s : {0.0F, -0.0F, HUGE_VALF, -HUGE_VALF, std::nanf(""), 1e-45F, 480.0F, 500.0F}) xs.push_back(s);
  std::vector<Format> fs = eight_bit_formats();
  for (FormatId id : {FormatId::shp, FormatId::uhp, FormatId::fp16, FormatId::bf16}) fs.emplace_back(id);
  for (const Format& f : fs) {
    for (Rounding r : {Rounding::nearest_even, Rounding::stochastic}) {
      std::vector<std::uint16_t> out(xs.size());
      ConvertOptions o;
      o.rounding = r;
      o.seed = 99;
      unsigned batch_flags = 0, scalar_flags = 0;
      encode(f, xs, std::span(out), o, &batch_flags);
      for (std::size_t i = 0; i < xs.size(); ++i)
        ASSERT_EQ(out[i], from_float(f, xs[i], r, stochastic_bits(99, i), &scalar_flags))
            << f.name() << " " << rounding_name(r) << " x " << xs[i];
      EXPECT_EQ(batch_flags, scalar_flags);
      if (f.bits() == 8) {
        std::vector<std::uint8_t> narrow(xs.size());
        encode(f, xs, std::span(narrow), o);
        for (std::size_t i = 0; i < xs.size(); ++i) ASSERT_EQ(narrow[i], out[i]);
      }
    }
  }
}

TEST(NumericsRounding, StochasticIsUnbiasedAndReproducible) {
  constexpr std::size_t kN = 1000000;
  struct Case {
    Format f;
    float x;
  };
  const Case cases[] = {
      {Format(FormatId::cfloat8_1_4_3, 7), 1.3F},                               // normal: between 1.25 and 1.375
      {Format(FormatId::cfloat8_1_4_3, 7), -0.0051F},                           // denormal
      {Format(FormatId::cfloat8_1_4_3, 7, DenormalScale::whitepaper), 0.011F},  // whitepaper gap
      {Format(FormatId::cfloat8_1_5_2, 31), 3e-10F},                            // bias 31, denormal
      {Format(FormatId::fp8_e5m2), 1000.0F},
  };
  for (const auto& c : cases) {
    const std::vector<float> in(kN, c.x);
    std::vector<std::uint8_t> codes(kN), again(kN), other(kN);
    ConvertOptions o;
    o.rounding = Rounding::stochastic;
    o.seed = 12345;
    encode(c.f, in, std::span(codes), o);
    encode(c.f, in, std::span(again), o);
    EXPECT_EQ(codes, again) << "same seed, same result";
    o.seed = 54321;
    encode(c.f, in, std::span(other), o);
    EXPECT_NE(codes, other) << "another seed, another draw";
    // Chunked conversion with first_index gives the same bits.
    o.seed = 12345;
    std::vector<std::uint8_t> chunked(kN);
    const std::size_t half = kN / 3;
    encode(c.f, std::span(in).first(half), std::span(chunked).first(half), o);
    encode(c.f, std::span(in).subspan(half), std::span(chunked).subspan(half), o, nullptr, half);
    EXPECT_EQ(codes, chunked);

    std::vector<float> out(kN);
    decode(c.f, std::span<const std::uint8_t>(codes), std::span(out));
    const double lo = *std::min_element(out.begin(), out.end());
    const double hi = *std::max_element(out.begin(), out.end());
    double sum = 0;
    for (float v : out) sum += v;
    const double mean = sum / kN;
    const double p = (static_cast<double>(c.x) - lo) / (hi - lo);
    ASSERT_GT(p, 0.0);
    ASSERT_LT(p, 1.0);
    // Each draw is lo or hi with P(hi) = p: the mean's standard deviation is
    // (hi - lo)·sqrt(p(1-p)/N); allow 5 of them (false failure rate ~6e-7).
    const double sigma = (hi - lo) * std::sqrt(p * (1 - p) / kN);
    EXPECT_NEAR(mean, static_cast<double>(c.x), 5 * sigma) << c.f.name() << " x " << c.x;
  }
}

TEST(NumericsRounding, Bf16ConversionsRoundOnce) {
  EXPECT_EQ(float_to_bf16(1.0F), 0x3F80U);
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F808000U)), 0x3F80U);  // tie -> even
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F818000U)), 0x3F82U);  // tie -> even (up)
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F808001U)), 0x3F81U);
  EXPECT_EQ(bf16_to_float(0xC000U), -2.0F);
  const Format f(FormatId::cfloat8_1_5_2, 15);
  EXPECT_EQ(to_float(f, from_bf16(f, float_to_bf16(3.0F))), 3.0F);
}

TEST(NumericsBias, ChosenBiasAvoidsOverflowAndMinimisesError) {
  std::mt19937_64 rng(5);
  for (FormatId id : {FormatId::cfloat8_1_4_3, FormatId::cfloat8_1_5_2}) {
    for (double scale : {1e-6, 0.01, 1.0, 300.0}) {
      std::normal_distribution<float> nd(0.0F, static_cast<float>(scale));
      std::vector<float> xs(2000);
      for (auto& x : xs) x = nd(rng);
      const auto choice = choose_bias(id, DenormalScale::ieee, xs);
      double amax = 0;
      for (float x : xs) amax = std::max(amax, static_cast<double>(std::fabs(x)));
      const Format chosen(id, choice.bias);
      EXPECT_TRUE(choice.overflow_free);
      EXPECT_GE(chosen.max_finite(), amax);
      // No other overflow-free bias has a smaller error (exhaustive over all 64 biases).
      for (int b = 0; b <= 63; ++b) {
        const Format f(id, b);
        if (f.max_finite() < amax) continue;
        std::vector<float> q(xs.size());
        round_trip(f, xs, std::span(q));
        double err = 0;
        for (std::size_t i = 0; i < xs.size(); ++i) err += std::pow(static_cast<double>(xs[i]) - q[i], 2);
        EXPECT_GE(err, choice.squared_error) << "bias " << b << " beats " << choice.bias << " at scale " << scale;
      }
    }
  }
}

TEST(NumericsBias, PerBlockBiasesFollowTheScale) {
  std::vector<float> xs;
  for (int i = 0; i < 64; ++i) xs.push_back(0.001F * static_cast<float>(i % 7 + 1));
  for (int i = 0; i < 64; ++i) xs.push_back(100.0F * static_cast<float>(i % 5 + 1));
  const auto biases = choose_block_biases(FormatId::cfloat8_1_4_3, DenormalScale::ieee, xs, 64);
  ASSERT_EQ(biases.size(), 2U);
  EXPECT_GT(biases[0], biases[1] + 10);
  EXPECT_EQ(choose_bias(FormatId::fp8_e4m3, DenormalScale::ieee, xs).bias, 7);
  QuantizeOptions o;
  o.block = 64;
  const auto per_block = quantize(FormatId::cfloat8_1_4_3, xs, o);
  o.block = 0;
  const auto per_tensor = quantize(FormatId::cfloat8_1_4_3, xs, o);
  EXPECT_GT(per_block.sqnr_db, per_tensor.sqnr_db);
  EXPECT_EQ(per_block.bias_min, biases[1]);
  EXPECT_EQ(per_block.bias_max, biases[0]);
}

TEST(NumericsQuantize, ReportsErrorsOverflowAndUnderflow) {
  const std::vector<float> exact{0.0F, 1.0F, -2.5F, 480.0F};
  QuantizeOptions o;
  o.bias = 7;
  auto r = quantize(FormatId::cfloat8_1_4_3, exact, o);
  EXPECT_TRUE(std::isinf(r.sqnr_db));
  EXPECT_EQ(r.max_abs_error, 0.0);
  const std::vector<float> xs{1000.0F, 1e-5F, 1.0F, 1.0625F, std::nanf("")};
  r = quantize(FormatId::cfloat8_1_4_3, xs, o, true);
  EXPECT_EQ(r.count, 5U);
  EXPECT_EQ(r.finite_count, 4U);
  EXPECT_DOUBLE_EQ(r.overflow_fraction, 0.25);
  EXPECT_DOUBLE_EQ(r.underflow_fraction, 0.25);
  EXPECT_DOUBLE_EQ(r.max_abs_error, 520.0);
  EXPECT_DOUBLE_EQ(r.max_rel_error, 1.0);  // 1e-5 -> 0
  EXPECT_EQ(r.dequantized[0], 480.0F);
  EXPECT_EQ(r.dequantized[3], 1.0F);
  EXPECT_NE(r.flags & flag::overflow, 0U);
  EXPECT_NE(r.flags & flag::invalid, 0U);
  o.bias.reset();
  r = quantize(FormatId::cfloat8_1_4_3, xs, o);
  EXPECT_EQ(r.overflow_fraction, 0.0);
  EXPECT_EQ(r.bias, 5);  // 1000 needs max finite >= 1000: 1920 at bias 5
}
