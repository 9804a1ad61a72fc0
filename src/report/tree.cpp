#include "dojosim/report/tree.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

namespace dojosim::report {

nlohmann::ordered_json yaml_to_json(const YAML::Node& n) {
  using J = nlohmann::ordered_json;
  if (n.IsMap()) {
    J o = J::object();
    for (const auto& kv : n) o[kv.first.Scalar()] = yaml_to_json(kv.second);
    return o;
  }
  if (n.IsSequence()) {
    J a = J::array();
    for (const auto& e : n) a.push_back(yaml_to_json(e));
    return a;
  }
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s == "true") return true;
    if (s == "false") return false;
    if (!s.empty()) {
      char* end = nullptr;
      const long long i = std::strtoll(s.c_str(), &end, 10);
      if (*end == '\0') return i;
      const double d = std::strtod(s.c_str(), &end);
      if (*end == '\0') return d;
    }
    return s;
  }
  return nullptr;
}

namespace {
// yaml-cpp stores a double as 17 significant digits (0.3 -> 0.29999999999999999): write such
// scalars in their shortest form that reads back the same (0.3). Other scalars are kept.
YAML::Node shortest_numbers(const YAML::Node& n) {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s.size() >= 17) {
      char* end = nullptr;
      const double d = std::strtod(s.c_str(), &end);
      if (*end == '\0' && std::isfinite(d)) return YAML::Node(fmt::format("{}", d));
    }
    return n;
  }
  if (n.IsMap()) {
    YAML::Node m(YAML::NodeType::Map);
    for (const auto& kv : n) m[kv.first] = shortest_numbers(kv.second);
    m.SetStyle(n.Style());
    return m;
  }
  if (n.IsSequence()) {
    YAML::Node q(YAML::NodeType::Sequence);
    for (const auto& e : n) q.push_back(shortest_numbers(e));
    q.SetStyle(n.Style());
    return q;
  }
  return n;
}
}  // namespace

std::string yaml_text(const YAML::Node& n) {
  YAML::Emitter out;
  out << shortest_numbers(n);
  return std::string(out.c_str()) + "\n";
}

}  // namespace dojosim::report
