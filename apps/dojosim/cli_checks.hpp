// House-style checks of command-line values (STYLE.md practice 7, DESIGN.md 4.1).
//
// CLI11 validators run on the option's text before it is converted, so every value is
// read here, strictly, and a bad one is reported as "option --seq: '1e12' is not a whole
// number / expected: ..." (exit 2 from main) instead of CLI11's "Could not convert" or a
// silent default. The message returned by a validator carries its own "expected:" line;
// main prints it after "error: option NAME: ".
#pragma once

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "dojosim/core/text.hpp"

namespace dojosim::cli::checks {

namespace detail {
inline std::string expected(const std::string& what) { return "\n  expected: " + what; }
}  // namespace detail

// A whole number in [lo, hi]; `what` says what the number is ("a sequence length in tokens").
inline CLI::Validator whole(long long lo, long long hi, const std::string& what) {
  const std::string exp = fmt::format("{}: a whole number from {} to {}", what, lo, hi);
  return CLI::Validator(
      [lo, hi, exp](std::string& v) -> std::string {
        const std::string t = core::trim(v);
        std::size_t i = (!t.empty() && (t[0] == '-' || t[0] == '+')) ? 1 : 0;
        bool digits = i < t.size();
        for (std::size_t k = i; k < t.size(); ++k)
          if (t[k] < '0' || t[k] > '9') digits = false;
        if (!digits) return fmt::format("'{}' is not a whole number{}", v, detail::expected(exp));
        errno = 0;
        const long long n = std::strtoll(t.c_str(), nullptr, 10);
        if (errno == ERANGE || n < lo || n > hi) return fmt::format("{} is out of range{}", t, detail::expected(exp));
        v = t;
        return {};
      },
      exp, "whole");
}

// A finite number in [lo, hi] (or (lo, hi] when `lo_open`).
inline CLI::Validator number(double lo, double hi, const std::string& what, bool lo_open = false) {
  const std::string exp = fmt::format("{}: a number {} {:g} and at most {:g}", what, lo_open ? "above" : "of at least", lo, hi);
  return CLI::Validator(
      [lo, hi, lo_open, exp](std::string& v) -> std::string {
        const std::string t = core::trim(v);
        char* end = nullptr;
        errno = 0;
        const double d = t.empty() ? 0.0 : std::strtod(t.c_str(), &end);
        if (t.empty() || end == nullptr || *end != '\0' || !std::isfinite(d))
          return fmt::format("'{}' is not a number{}", v, detail::expected(exp));
        if ((lo_open ? d <= lo : d < lo) || d > hi) return fmt::format("{} is out of range{}", t, detail::expected(exp));
        v = t;
        return {};
      },
      exp, "number");
}

// One of a fixed list of words (case-sensitive, as documented).
inline CLI::Validator one_of(std::vector<std::string> words) {
  const std::string exp = "one of " + core::join(words, ", ");
  return CLI::Validator(
      [words, exp](std::string& v) -> std::string {
        for (const auto& w : words)
          if (v == w) return {};
        std::string msg = fmt::format("'{}' is not a valid value{}", v, detail::expected(exp));
        const std::string hint = core::did_you_mean(v, words);
        if (!hint.empty()) msg += "\n  hint: " + hint;
        return msg;
      },
      exp, "one_of");
}

// Not empty (a file path, a system spec, ...).
inline CLI::Validator nonempty(const std::string& what) {
  return CLI::Validator(
      [what](std::string& v) -> std::string {
        if (core::trim(v).empty()) return fmt::format("the value is empty{}", detail::expected(what));
        return {};
      },
      what, "nonempty");
}

}  // namespace dojosim::cli::checks
