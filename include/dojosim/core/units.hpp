// Quantities with units as distinct types (STYLE.md practice 5).
//
// Contract: every quantity stores its value in the SI base unit of its dimension
// (bytes, seconds, hertz, FLOP, FLOP/s, bytes/s, watts, joules, US dollars). Mixing
// dimensions is a compile error except through the physically meaningful operators
// defined below (bytes / bandwidth = seconds, FLOP / rate = seconds, W * s = J, ...).
// Parsing accepts SI prefixes (k M G T P E, and m u n p for small units) and IEC prefixes
// (Ki Mi Gi Ti Pi Ei) for bytes and byte rates; bits ("b", "bit") are converted to bytes.
#pragma once

#include <string>
#include <string_view>

namespace dojosim::core {

enum class Dim { count, bytes, seconds, hertz, flops, flop_rate, byte_rate, watts, joules, usd };

// Human name of a dimension with an example, for error messages ("a bandwidth, e.g. 900 GB/s").
std::string_view dim_name(Dim d);
std::string_view dim_example(Dim d);

template <Dim D>
struct Quantity {
  double v = 0.0;
  constexpr Quantity() = default;
  constexpr explicit Quantity(double value) : v(value) {}
  [[nodiscard]] constexpr double value() const { return v; }
  constexpr Quantity& operator+=(Quantity o) {
    v += o.v;
    return *this;
  }
  constexpr Quantity& operator-=(Quantity o) {
    v -= o.v;
    return *this;
  }
  friend constexpr Quantity operator+(Quantity a, Quantity b) { return Quantity(a.v + b.v); }
  friend constexpr Quantity operator-(Quantity a, Quantity b) { return Quantity(a.v - b.v); }
  friend constexpr Quantity operator*(Quantity a, double k) { return Quantity(a.v * k); }
  friend constexpr Quantity operator*(double k, Quantity a) { return Quantity(a.v * k); }
  friend constexpr Quantity operator/(Quantity a, double k) { return Quantity(a.v / k); }
  friend constexpr double operator/(Quantity a, Quantity b) { return a.v / b.v; }
  friend constexpr auto operator<=>(Quantity a, Quantity b) = default;
};

using Count = Quantity<Dim::count>;
using Bytes = Quantity<Dim::bytes>;
using Seconds = Quantity<Dim::seconds>;
using Hertz = Quantity<Dim::hertz>;
using Flops = Quantity<Dim::flops>;         // a number of floating-point operations
using FlopRate = Quantity<Dim::flop_rate>;  // FLOP/s
using ByteRate = Quantity<Dim::byte_rate>;  // bytes/s
using Watts = Quantity<Dim::watts>;
using Joules = Quantity<Dim::joules>;
using Usd = Quantity<Dim::usd>;

constexpr Seconds operator/(Bytes b, ByteRate r) { return Seconds(b.v / r.v); }
constexpr Seconds operator/(Flops f, FlopRate r) { return Seconds(f.v / r.v); }
constexpr Bytes operator*(ByteRate r, Seconds s) { return Bytes(r.v * s.v); }
constexpr Flops operator*(FlopRate r, Seconds s) { return Flops(r.v * s.v); }
constexpr Joules operator*(Watts w, Seconds s) { return Joules(w.v * s.v); }
constexpr Watts operator/(Joules j, Seconds s) { return Watts(j.v / s.v); }

// Parses "900 GB/s", "1.25 MiB", "400 Gb/s", "2 GHz", "15 kW", "1.3 us", "362 TFLOP/s",
// "$199,000" into the base unit of `expected`. A bare number is accepted and taken in
// the base unit. Throws ParseError (see errors.hpp) naming what was expected, e.g. when
// "900 GB" (a size) is given where a bandwidth is expected.
double parse_quantity(std::string_view text, Dim expected);

template <Dim D>
Quantity<D> parse(std::string_view text) {
  return Quantity<D>(parse_quantity(text, D));
}

// Prints with an SI prefix and 3-4 significant digits: "1.32 TB", "989 TFLOP/s", "1.3 us".
std::string format_quantity(double value, Dim d);
template <Dim D>
std::string format(Quantity<D> q) {
  return format_quantity(q.v, D);
}
// Bytes with IEC prefixes: "80 GiB".
std::string format_bytes_iec(double bytes);

}  // namespace dojosim::core
