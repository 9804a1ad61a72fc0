// Typed, located reading of YAML/JSON configuration (systems, models, sweeps).
//
// A Document owns a parsed YAML tree and the file it came from. A Reader walks one map
// of it: every get marks the key as used, and finish() rejects any key that was not
// read, suggesting the nearest expected key. Every error names file:line:column and the
// key path. Figures may be written as a scalar ("900 GB/s") or as a map
// {value: 900 GB/s, source: N2, note: ...}; the source is recorded in a Provenance sink
// so `dojosim show` can print where every number came from.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dojosim/core/errors.hpp"
#include "dojosim/core/units.hpp"

namespace dojosim::core {

struct Document {
  std::string file;  // as given by the user ("<preset dgx-h100>" for embedded presets)
  YAML::Node root;
  // Key paths an override set (or created), with where the override came from: readers
  // locate their errors there, not in the file.
  std::map<std::string, std::string> overridden;
};

// Parses YAML (or JSON, which YAML 1.2 accepts) text. Malformed input throws InputError
// with the line and column of the problem.
Document parse_yaml(std::string text, std::string file);
// Reads a file; a missing or unreadable file is an InputError naming it.
Document load_yaml_file(const std::string& path);
std::string read_text_file(const std::string& path);

// Where each figure came from, keyed by dotted key path.
struct Provenance {
  std::map<std::string, std::string> source;  // "device.peak.bf16" -> "N2"
  std::map<std::string, std::string> note;
  std::set<std::string> stated;  // keys the file (or an override) gives, with or without a source
  // Where a key's value came from: its source, "stated (no source given)", or "default (not stated)".
  [[nodiscard]] std::string origin(const std::string& path) const;
};

// Applies one "a.b.c=value" override to the document. A figure written as {value, source}
// keeps its shape and gets source "override". A key the file leaves out (its default
// applies) is created: the typed reader then checks it like any key of the file, so a typo
// is still an InputError with a suggestion, located at `origin` ("--set", "dgx-h100:nodes",
// "--stack megatron-core:overlap.tp=0.3"). Setting a key twice in one document is an error.
void apply_override(Document& doc, const std::string& assignment, const std::string& origin);
// Sets one key path; with `create` false every key on the path must exist (a typo is an
// InputError with a suggestion): preset parameters name paths of their own file.
void set_path(Document& doc, const std::string& key_path, const std::string& value, const std::string& origin,
              bool create = false);

struct Bounds {
  double min = 0.0;         // inclusive
  double max = 1e30;        // inclusive
  bool allow_zero = false;  // when min == 0: whether exactly 0 is allowed
};

class Reader {
 public:
  Reader(std::shared_ptr<const Document> doc, YAML::Node node, std::string path, Provenance* provenance = nullptr);

  // Whether the map writes `key`, with a value or empty (`key:` alone, YAML's null: the
  // typed getters refuse it, "the value is empty"; optional_map reads it as no settings).
  [[nodiscard]] bool has(const std::string& key) const;
  // Whether the map writes `key` with a value (not empty).
  [[nodiscard]] bool has_value(const std::string& key) const;
  [[nodiscard]] std::vector<std::string> keys() const;
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] Location location(const std::string& key = {}) const;
  [[nodiscard]] const YAML::Node& node() const { return node_; }

  // A required sub-map.
  [[nodiscard]] Reader map(const std::string& key) const;
  [[nodiscard]] std::optional<Reader> optional_map(const std::string& key) const;

  // Quantities with units; `dflt` is used when the key is absent (nullopt = required).
  double quantity(const std::string& key, Dim dim, std::optional<double> dflt = std::nullopt, Bounds b = {}) const;
  long long integer(const std::string& key, std::optional<long long> dflt = std::nullopt, long long min = 0,
                    long long max = (1LL << 53)) const;
  double number(const std::string& key, std::optional<double> dflt = std::nullopt, Bounds b = {}) const;
  std::string string(const std::string& key, std::optional<std::string> dflt = std::nullopt) const;
  // One of `choices` (case-insensitive); a typo gets a suggestion.
  std::string choice(const std::string& key, const std::vector<std::string>& choices,
                     std::optional<std::string> dflt = std::nullopt) const;
  bool boolean(const std::string& key, std::optional<bool> dflt = std::nullopt) const;

  // Marks keys as known without reading them (e.g. documentation-only keys).
  void ignore(const std::string& key) const;
  // Throws InputError for the first key never read, with the nearest expected key.
  void finish(const std::vector<std::string>& expected_extra = {}) const;

  [[noreturn]] void fail(const std::string& key, const std::string& message, const std::string& expected = {},
                         const std::string& hint = {}) const;

 private:
  [[nodiscard]] YAML::Node value_node(const std::string& key) const;  // unwraps {value, source}
  [[nodiscard]] std::string scalar(const std::string& key, const std::string& expected) const;
  void record(const std::string& key) const;

  std::shared_ptr<const Document> doc_;
  YAML::Node node_;
  std::string path_;
  Provenance* provenance_;
  mutable std::set<std::string> used_;
  mutable std::vector<std::string> asked_;
};

}  // namespace dojosim::core
