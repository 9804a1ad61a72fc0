#include "dojosim/core/units.hpp"

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <string>

#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"

namespace dojosim::core {

std::string_view dim_name(Dim d) {
  switch (d) {
    case Dim::count: return "a plain number";
    case Dim::bytes: return "a size in bytes";
    case Dim::seconds: return "a time";
    case Dim::hertz: return "a frequency";
    case Dim::flops: return "a number of floating-point operations";
    case Dim::flop_rate: return "a compute rate";
    case Dim::byte_rate: return "a bandwidth";
    case Dim::watts: return "a power";
    case Dim::joules: return "an energy";
    case Dim::usd: return "a price in US dollars";
  }
  return "a quantity";
}

std::string_view dim_example(Dim d) {
  switch (d) {
    case Dim::count: return "8";
    case Dim::bytes: return "80 GB, 1.25 MiB";
    case Dim::seconds: return "1.3 us, 2 ms";
    case Dim::hertz: return "2 GHz";
    case Dim::flops: return "3.1 TFLOP";
    case Dim::flop_rate: return "362 TFLOP/s";
    case Dim::byte_rate: return "900 GB/s, 400 Gb/s";
    case Dim::watts: return "400 W, 15 kW";
    case Dim::joules: return "3.6 MJ, 1 kWh";
    case Dim::usd: return "$15000, 2.5 MUSD";
  }
  return "";
}

namespace {

struct BaseUnit {
  std::string_view text;
  Dim dim;
  double scale;  // multiplier to the base unit of dim
  bool prefixable;
};

// Longest first so that "B/s" wins over "s" and "FLOP/s" over "FLOP".
constexpr std::array kBases{
    BaseUnit{"FLOP/s", Dim::flop_rate, 1, true},
    BaseUnit{"FLOPS", Dim::flop_rate, 1, true},
    BaseUnit{"flop/s", Dim::flop_rate, 1, true},
    BaseUnit{"FLOPs", Dim::flops, 1, true},
    BaseUnit{"FLOP", Dim::flops, 1, true},
    BaseUnit{"flop", Dim::flops, 1, true},
    BaseUnit{"bytes/s", Dim::byte_rate, 1, true},
    BaseUnit{"bits/s", Dim::byte_rate, 0.125, true},
    BaseUnit{"bit/s", Dim::byte_rate, 0.125, true},
    BaseUnit{"B/s", Dim::byte_rate, 1, true},
    BaseUnit{"b/s", Dim::byte_rate, 0.125, true},
    BaseUnit{"Bps", Dim::byte_rate, 1, true},
    BaseUnit{"bps", Dim::byte_rate, 0.125, true},
    BaseUnit{"bytes", Dim::bytes, 1, true},
    BaseUnit{"byte", Dim::bytes, 1, true},
    BaseUnit{"bits", Dim::bytes, 0.125, true},
    BaseUnit{"bit", Dim::bytes, 0.125, true},
    BaseUnit{"USD", Dim::usd, 1, true},
    BaseUnit{"usd", Dim::usd, 1, true},
    BaseUnit{"Wh", Dim::joules, 3600, true},
    BaseUnit{"Hz", Dim::hertz, 1, true},
    BaseUnit{"hours", Dim::seconds, 3600, false},
    BaseUnit{"hour", Dim::seconds, 3600, false},
    BaseUnit{"days", Dim::seconds, 86400, false},
    BaseUnit{"day", Dim::seconds, 86400, false},
    BaseUnit{"min", Dim::seconds, 60, false},
    BaseUnit{"sec", Dim::seconds, 1, true},
    BaseUnit{"h", Dim::seconds, 3600, false},
    BaseUnit{"B", Dim::bytes, 1, true},
    BaseUnit{"b", Dim::bytes, 0.125, true},
    BaseUnit{"s", Dim::seconds, 1, true},
    BaseUnit{"W", Dim::watts, 1, true},
    BaseUnit{"J", Dim::joules, 1, true},
};

bool prefix_scale(std::string_view p, Dim dim, double& out) {
  if (p.empty()) {
    out = 1;
    return true;
  }
  const bool binary_ok = dim == Dim::bytes || dim == Dim::byte_rate;
  struct P {
    std::string_view t;
    double s;
    bool binary;
  };
  static constexpr std::array kPrefixes{P{"Ki", 1024.0, true},
                                        P{"Mi", 1048576.0, true},
                                        P{"Gi", 1073741824.0, true},
                                        P{"Ti", 1099511627776.0, true},
                                        P{"Pi", 1125899906842624.0, true},
                                        P{"Ei", 1152921504606846976.0, true},
                                        P{"k", 1e3, false},
                                        P{"K", 1e3, false},
                                        P{"M", 1e6, false},
                                        P{"G", 1e9, false},
                                        P{"T", 1e12, false},
                                        P{"P", 1e15, false},
                                        P{"E", 1e18, false},
                                        P{"m", 1e-3, false},
                                        P{"u", 1e-6, false},
                                        P{"\xC2\xB5", 1e-6, false},
                                        P{"n", 1e-9, false},
                                        P{"p", 1e-12, false}};
  for (const auto& e : kPrefixes) {
    if (e.t == p) {
      if (e.binary && !binary_ok) return false;
      out = e.s;
      return true;
    }
  }
  return false;
}

[[noreturn]] void fail(std::string_view text, Dim expected, const std::string& why) {
  throw InputError({}, fmt::format("cannot read '{}' as {}: {}", text, dim_name(expected), why),
                   fmt::format("{} (e.g. {})", dim_name(expected), dim_example(expected)));
}

}  // namespace

namespace {
// The unit a bare number of `d` most likely meant, for the suggestion.
std::string_view unit_example(Dim d) {
  switch (d) {
    case Dim::bytes: return "GB";
    case Dim::seconds: return "us";
    case Dim::hertz: return "GHz";
    case Dim::flops: return "TFLOP";
    case Dim::flop_rate: return "TFLOP/s";
    case Dim::byte_rate: return "GB/s";
    case Dim::watts: return "W";
    case Dim::joules: return "J";
    default: return "";
  }
}
}  // namespace

double parse_quantity(std::string_view text, Dim expected) {
  std::string s = trim(text);
  if (s.empty()) fail(text, expected, "the value is empty");
  bool dollar = false;
  if (s[0] == '$') {
    dollar = true;
    s = trim(std::string_view(s).substr(1));
  }
  // Number: digits with optional thousands separators, sign, decimal point, exponent.
  std::string num;
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) num += s[i++];
  bool digits = false;
  while (i < s.size()) {
    const char c = s[i];
    if ((c >= '0' && c <= '9') || c == '.') {
      num += c;
      digits = digits || (c != '.');
      ++i;
    } else if (c == ',' && digits && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '9') {
      ++i;  // thousands separator
    } else if ((c == 'e' || c == 'E') && digits && i + 1 < s.size() &&
               ((s[i + 1] >= '0' && s[i + 1] <= '9') ||
                ((s[i + 1] == '-' || s[i + 1] == '+') && i + 2 < s.size() && s[i + 2] >= '0' && s[i + 2] <= '9'))) {
      num += c;
      num += s[i + 1];
      i += 2;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') num += s[i++];
      break;
    } else {
      break;
    }
  }
  if (!digits) fail(text, expected, "it does not start with a number");
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(num.c_str(), &end);
  if (end == nullptr || *end != '\0' || errno == ERANGE || !std::isfinite(value))
    fail(text, expected, "the number is malformed or out of range");
  std::string unit = trim(std::string_view(s).substr(i));
  if (dollar) {
    if (expected != Dim::usd) fail(text, expected, "a dollar amount is not " + std::string(dim_name(expected)));
    double k = 1;
    if (!unit.empty() && !prefix_scale(unit, Dim::usd, k))
      fail(text, expected, fmt::format("unknown suffix '{}' after a dollar amount", unit));
    return value * k;
  }
  if (unit.empty()) {
    // A bare number is a count or a dollar amount; a dimensioned quantity needs its unit
    // (a probe found a peak of "989" read as 989 FLOP/s and "81559" as bytes). Zero is zero
    // in any unit.
    if (expected != Dim::count && expected != Dim::usd && value != 0.0)
      fail(text, expected, fmt::format("a number without a unit (write e.g. '{} {}')", num, unit_example(expected)));
    return value;
  }
  for (const auto& b : kBases) {
    if (unit.size() < b.text.size()) continue;
    if (std::string_view(unit).substr(unit.size() - b.text.size()) != b.text) continue;
    const std::string_view pre = std::string_view(unit).substr(0, unit.size() - b.text.size());
    double k = 1;
    if (!pre.empty() && (!b.prefixable || !prefix_scale(pre, b.dim, k))) continue;
    if (b.dim != expected) { fail(text, expected, fmt::format("'{}' is {}, not {}", unit, dim_name(b.dim), dim_name(expected))); }
    return value * k * b.scale;
  }
  fail(text, expected, fmt::format("unknown unit '{}'", unit));
}

std::string format_quantity(double value, Dim d) {
  std::string_view unit;
  switch (d) {
    case Dim::count: return fmt::format("{:.4g}", value);
    case Dim::bytes: unit = "B"; break;
    case Dim::seconds: unit = "s"; break;
    case Dim::hertz: unit = "Hz"; break;
    case Dim::flops: unit = "FLOP"; break;
    case Dim::flop_rate: unit = "FLOP/s"; break;
    case Dim::byte_rate: unit = "B/s"; break;
    case Dim::watts: unit = "W"; break;
    case Dim::joules: unit = "J"; break;
    case Dim::usd: {
      const double a = std::fabs(value);
      if (a >= 1e9) return fmt::format("${:.4g}B", value / 1e9);
      if (a >= 1e6) return fmt::format("${:.4g}M", value / 1e6);
      if (a >= 1e4) return fmt::format("${:.4g}k", value / 1e3);
      return fmt::format("${:.4g}", value);
    }
  }
  struct P {
    double s;
    std::string_view t;
  };
  static constexpr std::array kUp{P{1e18, "E"}, P{1e15, "P"}, P{1e12, "T"}, P{1e9, "G"}, P{1e6, "M"}, P{1e3, "k"}};
  static constexpr std::array kDown{P{1e-3, "m"}, P{1e-6, "u"}, P{1e-9, "n"}, P{1e-12, "p"}};
  const double a = std::fabs(value);
  if (a == 0.0) return fmt::format("0 {}", unit);
  if (a >= 1.0) {
    for (const auto& p : kUp)
      if (a >= p.s * 0.99995) return fmt::format("{:.4g} {}{}", value / p.s, p.t, unit);
    return fmt::format("{:.4g} {}", value, unit);
  }
  if (d == Dim::seconds || d == Dim::watts || d == Dim::joules) {
    for (const auto& p : kDown)
      if (a >= p.s * 0.99995) return fmt::format("{:.4g} {}{}", value / p.s, p.t, unit);
  }
  return fmt::format("{:.4g} {}", value, unit);
}

std::string format_bytes_iec(double bytes) {
  struct P {
    double s;
    std::string_view t;
  };
  static constexpr std::array kIec{P{1152921504606846976.0, "EiB"}, P{1125899906842624.0, "PiB"}, P{1099511627776.0, "TiB"},
                                   P{1073741824.0, "GiB"},          P{1048576.0, "MiB"},          P{1024.0, "KiB"}};
  for (const auto& p : kIec)
    if (std::fabs(bytes) >= p.s) return fmt::format("{:.4g} {}", bytes / p.s, p.t);
  return fmt::format("{:.4g} B", bytes);
}

}  // namespace dojosim::core
