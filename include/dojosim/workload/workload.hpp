// One entry point to load any model: a transformer (zoo name, Hugging Face config.json,
// YAML) or a vision network (zoo name with optional parameters such as
// "tesla-video:cameras=6,frames=16", YAML with `family: vision`, or an ONNX file).
//
// Contract: exactly one of `transformer` / `network` is meaningful, as `kind` says.
// Bad names, parameters and files are core::InputError (exit 2) with a suggestion.
#pragma once

#include <string>
#include <vector>

#include "dojosim/workload/network.hpp"
#include "dojosim/workload/transformer.hpp"

namespace dojosim::workload {

struct Workload {
  enum class Kind { transformer, network };
  Kind kind = Kind::transformer;
  Transformer transformer;
  Network network;
  std::string file;  // the file it was read from (config.json, ONNX, YAML); "" for a zoo model

  [[nodiscard]] bool vision() const { return kind == Kind::network; }
  [[nodiscard]] const std::string& name() const { return vision() ? network.name : transformer.name; }
  [[nodiscard]] double params() const { return vision() ? network.params() : transformer.params(); }
};

Workload load_workload(const std::string& name_or_path);
// Zoo entries that are vision networks (subset of zoo_model_names()).
bool zoo_is_vision(const std::string& name);
// Resolved description of either kind (for `dojosim show model`).
YAML::Node workload_to_yaml(const Workload& w);

}  // namespace dojosim::workload
