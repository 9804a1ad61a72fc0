#include "dojosim/core/errors.hpp"

#include <fmt/format.h>

namespace dojosim::core {

std::string Location::str() const {
  std::string s;
  if (!file.empty()) {
    s = file;
    if (line > 0) {
      s += fmt::format(":{}", line);
      if (column > 0) s += fmt::format(":{}", column);
    }
  }
  if (!key_path.empty()) {
    if (!s.empty()) s += ": ";
    s += fmt::format("key '{}'", key_path);
  }
  return s;
}

namespace {
std::string compose(const std::string& kind, const Location& loc, const std::string& message, const std::string& expected,
                    const std::string& suggestion) {
  std::string s = kind + ": ";
  const std::string where = loc.str();
  if (!where.empty()) s += where + ": ";
  s += message;
  if (!expected.empty()) s += "\n  expected: " + expected;
  if (!suggestion.empty()) s += "\n  hint: " + suggestion;
  return s;
}
}  // namespace

Error::Error(std::string kind, Location loc, std::string message, std::string expected, std::string suggestion)
    : std::runtime_error(compose(kind, loc, message, expected, suggestion)),
      loc_(std::move(loc)),
      message_(std::move(message)),
      expected_(std::move(expected)),
      suggestion_(std::move(suggestion)) {}

}  // namespace dojosim::core
