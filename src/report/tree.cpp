#include "dojosim/report/tree.hpp"

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

std::string yaml_text(const YAML::Node& n) {
  YAML::Emitter out;
  out << n;
  return std::string(out.c_str()) + "\n";
}

}  // namespace dojosim::report
