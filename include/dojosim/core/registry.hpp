// The registry of named components (STYLE.md practice 4).
//
// Each module describes its components — topology kinds, collective algorithms,
// efficiency models, preset parameters — with their parameters (type, unit, default,
// help) in a static table next to the code that reads them, and copies that table into
// the Registry from an explicit register_<module>(Registry&) call. `dojosim list` and
// docs/reference.md are generated from the Registry; the config readers validate keys
// against the same tables, so documentation and behaviour cannot drift apart.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dojosim::core {

struct ParamDoc {
  std::string name;
  std::string type;           // "bandwidth", "size", "time", "int", "float", "string", "bool", ...
  std::string unit;           // "B/s", "B", "s", "" ...
  std::string default_value;  // "" = required
  std::string help;
};

struct ComponentDoc {
  std::string kind;  // "topology", "collective", "efficiency", "system-parameter", ...
  std::string name;
  std::string help;
  std::vector<ParamDoc> params;
};

class Registry {
 public:
  // Adds a component; a second component of the same kind and name is a programming
  // error and throws std::logic_error.
  void add(ComponentDoc doc);
  [[nodiscard]] const ComponentDoc* find(std::string_view kind, std::string_view name) const;
  [[nodiscard]] std::vector<const ComponentDoc*> of_kind(std::string_view kind) const;
  [[nodiscard]] std::vector<std::string> kinds() const;
  // Markdown reference of every component, in registration order.
  [[nodiscard]] std::string markdown() const;

 private:
  std::vector<ComponentDoc> items_;
};

}  // namespace dojosim::core
