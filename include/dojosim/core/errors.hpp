// The typed user errors of dojosim (STYLE.md practice 7).
//
// Contract: library code throws only these for problems with user input or with what a
// user asked for; `main` maps them to exit codes (InputError, Unsupported -> 2,
// Infeasible -> 3, anything else -> 1). Expected outcomes (a plan that does not fit) are
// values, not exceptions; Infeasible is for commands whose whole purpose cannot be met.
#pragma once

#include <stdexcept>
#include <string>

namespace dojosim::core {

// Where in the input a problem is. Every field is optional; line and column are 1-based
// (0 = unknown).
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
  std::string key_path;                   // e.g. "levels.node.link_bandwidth"
  [[nodiscard]] std::string str() const;  // "file:line:column: key 'a.b'"
};

class Error : public std::runtime_error {
 public:
  Error(std::string kind, Location loc, std::string message, std::string expected = {}, std::string suggestion = {});
  [[nodiscard]] const Location& location() const { return loc_; }
  [[nodiscard]] const std::string& message() const { return message_; }
  [[nodiscard]] const std::string& expected() const { return expected_; }
  [[nodiscard]] const std::string& suggestion() const { return suggestion_; }
  [[nodiscard]] virtual int exit_code() const = 0;

 private:
  Location loc_;
  std::string message_, expected_, suggestion_;
};

// Bad input: malformed file, unknown key, wrong unit, impossible value, typo. Exit 2.
class InputError final : public Error {
 public:
  InputError(Location loc, std::string message, std::string expected = {}, std::string suggestion = {})
      : Error("error", std::move(loc), std::move(message), std::move(expected), std::move(suggestion)) {}
  [[nodiscard]] int exit_code() const override { return 2; }
};

// Valid input asking for something dojosim does not model. Exit 2.
class Unsupported final : public Error {
 public:
  Unsupported(Location loc, std::string message, std::string suggestion = {})
      : Error("unsupported", std::move(loc), std::move(message), {}, std::move(suggestion)) {}
  [[nodiscard]] int exit_code() const override { return 2; }
};

// Valid input that cannot run (e.g. does not fit in memory). Exit 3.
class Infeasible final : public Error {
 public:
  Infeasible(std::string message, std::string detail = {}) : Error("infeasible", {}, std::move(message), {}, std::move(detail)) {}
  [[nodiscard]] int exit_code() const override { return 3; }
};

}  // namespace dojosim::core
