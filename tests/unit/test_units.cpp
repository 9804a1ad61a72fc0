// Quantities parse from text with units and print back.
#include <gtest/gtest.h>

#include "dojosim/core/errors.hpp"
#include "dojosim/core/units.hpp"

using namespace dojosim::core;

TEST(Units, ParsesSiAndIecBytes) {
  EXPECT_DOUBLE_EQ(parse_quantity("80 GB", Dim::bytes), 80e9);
  EXPECT_DOUBLE_EQ(parse_quantity("1.25 MiB", Dim::bytes), 1.25 * 1048576);
  EXPECT_DOUBLE_EQ(parse_quantity("32GiB", Dim::bytes), 32.0 * 1073741824.0);
  EXPECT_DOUBLE_EQ(parse_quantity("8 Gb", Dim::bytes), 1e9);  // bits -> bytes
  // A dimensioned quantity needs its unit (a probe found "81559" read as bytes and "989" as
  // FLOP/s); zero is zero in any unit, and counts and dollars are bare numbers.
  EXPECT_THROW((void)parse_quantity("4096", Dim::bytes), dojosim::core::InputError);
  EXPECT_THROW((void)parse_quantity("989", Dim::flop_rate), dojosim::core::InputError);
  EXPECT_THROW((void)parse_quantity("5", Dim::seconds), dojosim::core::InputError);
  EXPECT_DOUBLE_EQ(parse_quantity("0", Dim::seconds), 0);
  EXPECT_DOUBLE_EQ(parse_quantity("0.9", Dim::count), 0.9);
  EXPECT_DOUBLE_EQ(parse_quantity("15000", Dim::usd), 15000);
}

TEST(Units, ParsesRatesTimesPowerMoney) {
  EXPECT_DOUBLE_EQ(parse_quantity("900 GB/s", Dim::byte_rate), 900e9);
  EXPECT_DOUBLE_EQ(parse_quantity("400 Gb/s", Dim::byte_rate), 50e9);
  EXPECT_DOUBLE_EQ(parse_quantity("400 Gbps", Dim::byte_rate), 50e9);
  EXPECT_DOUBLE_EQ(parse_quantity("362 TFLOP/s", Dim::flop_rate), 362e12);
  EXPECT_DOUBLE_EQ(parse_quantity("1.1 EFLOPS", Dim::flop_rate), 1.1e18);
  EXPECT_DOUBLE_EQ(parse_quantity("2 GHz", Dim::hertz), 2e9);
  EXPECT_DOUBLE_EQ(parse_quantity("15 kW", Dim::watts), 15e3);
  EXPECT_NEAR(parse_quantity("1.3 us", Dim::seconds), 1.3e-6, 1e-18);
  EXPECT_NEAR(parse_quantity("2 ms", Dim::seconds), 2e-3, 1e-15);
  EXPECT_DOUBLE_EQ(parse_quantity("2 h", Dim::seconds), 7200);
  EXPECT_DOUBLE_EQ(parse_quantity("1 kWh", Dim::joules), 3.6e6);
  EXPECT_DOUBLE_EQ(parse_quantity("$199,000", Dim::usd), 199000);
  EXPECT_DOUBLE_EQ(parse_quantity("$3.1M", Dim::usd), 3.1e6);
  EXPECT_DOUBLE_EQ(parse_quantity("2.5 MUSD", Dim::usd), 2.5e6);
  EXPECT_DOUBLE_EQ(parse_quantity("1e3 B/s", Dim::byte_rate), 1000);
}

TEST(Units, WrongDimensionIsAnErrorThatSaysWhatWasExpected) {
  try {
    parse_quantity("900 GB", Dim::byte_rate);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("a bandwidth"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("size"), std::string::npos) << e.what();
    EXPECT_EQ(e.exit_code(), 2);
  }
  EXPECT_THROW(parse_quantity("fast", Dim::byte_rate), InputError);
  EXPECT_THROW(parse_quantity("12 parsecs", Dim::seconds), InputError);
  EXPECT_THROW(parse_quantity("", Dim::seconds), InputError);
  EXPECT_THROW(parse_quantity("1e999 B", Dim::bytes), InputError);
  EXPECT_THROW(parse_quantity("5 KiW", Dim::watts), InputError);  // IEC prefixes only for bytes
}

TEST(Units, PrintsWithPrefixesAndRoundTrips) {
  EXPECT_EQ(format_quantity(1.32e12, Dim::bytes), "1.32 TB");
  EXPECT_EQ(format_quantity(989e12, Dim::flop_rate), "989 TFLOP/s");
  EXPECT_EQ(format_quantity(1.3e-6, Dim::seconds), "1.3 us");
  EXPECT_EQ(format_quantity(15000, Dim::watts), "15 kW");
  EXPECT_EQ(format_bytes_iec(80.0 * 1073741824.0), "80 GiB");
  for (double v : {1.0, 3.5e3, 7.25e9, 4.4e14, 1.086e18}) {
    for (Dim d : {Dim::bytes, Dim::byte_rate, Dim::flop_rate, Dim::watts}) {
      const double back = parse_quantity(format_quantity(v, d), d);
      EXPECT_NEAR(back, v, v * 1e-3) << format_quantity(v, d);
    }
  }
}

TEST(Units, TypedArithmetic) {
  const Bytes b(1e9);
  const ByteRate r(1e11);
  EXPECT_DOUBLE_EQ((b / r).value(), 0.01);
  const Flops f(362e12);
  EXPECT_DOUBLE_EQ((f / FlopRate(362e12)).value(), 1.0);
  EXPECT_DOUBLE_EQ((Watts(400) * Seconds(10)).value(), 4000.0);
  static_assert(!std::is_convertible_v<Bytes, Seconds>);
}
