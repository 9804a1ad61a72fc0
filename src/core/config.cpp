#include "dojosim/core/config.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dojosim/core/text.hpp"

namespace dojosim::core {

namespace {

Location mark_location(const std::string& file, const YAML::Mark& m, std::string key_path) {
  Location loc;
  loc.file = file;
  if (m.line >= 0) {
    loc.line = m.line + 1;
    loc.column = m.column + 1;
  }
  loc.key_path = std::move(key_path);
  return loc;
}

std::string join_path(const std::string& base, const std::string& key) { return base.empty() ? key : base + "." + key; }

// The most nodes a document may hold with every alias expanded, and how deep. yaml-cpp
// shares an aliased node instead of copying it, so a few hundred bytes of nested anchors
// ("billion laughs": ten levels of nine aliases each, 9^10 nodes) load at once but every
// walk of the tree (this one, the typed readers, `show`) visits them all and hangs, and an
// alias inside its own anchor (`a: &a [*a]`) makes the tree cyclic: a walk overflows the
// stack. The largest file of configs/ and tests/data holds a few thousand nodes.
constexpr std::size_t kMaxNodes = 1000000;
constexpr int kMaxDepth = 200;

struct Walk {
  const std::string& file;
  std::size_t nodes = 0;
  Location top;  // the top-level key being walked: where a limit's error points
};

// Counts a node of the walk; beyond the limits, an InputError at the node.
void count_node(Walk& w, const YAML::Node& n, int depth) {
  if (++w.nodes > kMaxNodes)
    throw InputError(w.top.file.empty() ? mark_location(w.file, n.Mark(), "") : w.top,
                     fmt::format("the document expands to more than {} values (YAML aliases nested in aliases?)", kMaxNodes),
                     fmt::format("at most {} values with every alias (*name) expanded", kMaxNodes),
                     "write the values out, or use fewer nested aliases");
  if (depth > kMaxDepth)
    throw InputError(w.top.file.empty() ? mark_location(w.file, n.Mark(), "") : w.top,
                     fmt::format("the document nests more than {} levels deep (an alias inside its own anchor?)", kMaxDepth),
                     fmt::format("at most {} levels of maps and lists", kMaxDepth),
                     "an alias (*name) must not refer to the anchor (&name) that contains it");
}

// yaml-cpp accepts duplicate keys silently; they are almost always a mistake. The walk also
// bounds the document's expanded size and depth (kMaxNodes, kMaxDepth).
void reject_duplicates(const YAML::Node& n, Walk& w, const std::string& path, int depth) {
  count_node(w, n, depth);
  const std::string& file = w.file;
  if (n.IsMap()) {
    std::set<std::string> seen;
    for (const auto& kv : n) {
      const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : std::string("<complex key>");
      if (!kv.first.IsScalar()) throw InputError(mark_location(file, kv.first.Mark(), path), "map keys must be plain names");
      if (!seen.insert(k).second)
        throw InputError(mark_location(file, kv.first.Mark(), join_path(path, k)), fmt::format("duplicate key '{}'", k),
                         "each key at most once per map");
      if (depth == 0) w.top = mark_location(file, kv.first.Mark(), k);
      reject_duplicates(kv.second, w, join_path(path, k), depth + 1);
    }
  } else if (n.IsSequence()) {
    std::size_t i = 0;
    for (const auto& e : n) reject_duplicates(e, w, fmt::format("{}[{}]", path, i++), depth + 1);
  }
}

}  // namespace

Document parse_yaml(std::string text, std::string file) {
  Document d;
  d.file = std::move(file);
  bool content = false;  // a line other than blanks, comments and document markers
  int first_content_line = 0;
  try {
    d.root = YAML::Load(text);
    // One document per file: what follows a second `---` (or a `---` after content) would
    // otherwise be silently ignored. Found by scanning lines: YAML::LoadAll loops forever on
    // some malformed input (the fuzzer's 9 bytes).
    int line_no = 0;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const bool marker = line.rfind("---", 0) == 0 && (line.size() == 3 || line[3] == ' ' || line[3] == '\t');
      if (marker && content)
        throw InputError(Location{d.file, line_no, 1, ""}, "a second YAML document (after ---); only one is read",
                         "one document per file", "remove the --- line and merge the settings, or split the file");
      const std::string t = trim(line);
      if (!marker && !t.empty() && t[0] != '#' && t != "..." && !content) {
        content = true;
        first_content_line = line_no;
      }
    }
  } catch (const YAML::ParserException& e) {
    throw InputError(mark_location(d.file, e.mark, ""), fmt::format("malformed YAML/JSON: {}", e.msg), "valid YAML (or JSON)");
  } catch (const YAML::Exception& e) {
    throw InputError(mark_location(d.file, e.mark, ""), fmt::format("cannot parse: {}", e.msg));
  }
  if ((!d.root.IsDefined() || d.root.IsNull()) && content)
    // Text that YAML reads as nothing (e.g. a line starting with ',' or a lone '~'): not empty.
    throw InputError(Location{d.file, first_content_line, 1, ""}, "this reads as no YAML value at all",
                     "a YAML map of settings (key: value, one per line)", "check the line for a stray leading character");
  if (!d.root.IsDefined() || d.root.IsNull())
    throw InputError(Location{d.file, 0, 0, ""}, "the file is empty", "a YAML map of settings");
  Walk walk{d.file, 0, {}};
  reject_duplicates(d.root, walk, "", 0);
  return d;
}

std::string read_text_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(Location{path, 0, 0, ""}, "is a directory, not a file", "the path of a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(Location{path, 0, 0, ""}, "cannot open file (missing or unreadable)", "an existing, readable file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Document load_yaml_file(const std::string& path) { return parse_yaml(read_text_file(path), path); }

void set_path(Document& doc, const std::string& key_path, const std::string& value, const std::string& origin, bool create) {
  // Two settings of one key (nodes=2,nodes=4; nodes= and devices= both sizing the cluster;
  // overlap.tp given twice) would leave the last one silently winning.
  if (const auto it = doc.overridden.find(key_path); it != doc.overridden.end())
    throw InputError(Location{origin, 0, 0, key_path},
                     it->second == origin ? fmt::format("'{}' is set twice", key_path)
                                          : fmt::format("'{}' is set twice: by {} and by {}", key_path, it->second, origin),
                     "each setting once",
                     key_path.ends_with("size") ? "size a system by one parameter: nodes=, racks= or devices=" : "");
  const auto parts = split(key_path, '.');
  YAML::Node cur = doc.root;
  std::string walked;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& k = parts[i];
    const YAML::Node& ccur = cur;
    if (k.empty())
      throw InputError(Location{origin, 0, 0, key_path}, "empty key in override path",
                       "a dotted key path such as levels.node.link_bandwidth");
    if (!ccur.IsMap())
      throw InputError(Location{origin, 0, 0, key_path}, fmt::format("'{}' is not a map, so it has no key '{}'", walked, k));
    if (!ccur[k].IsDefined() && create && (i + 1 == parts.size() || i == 0)) {
      // Left out of the file (its default applies): create it, a setting or a top-level
      // section (a named entry such as a level is not invented); the typed reader judges it.
      if (i + 1 == parts.size())
        cur[k] = value;
      else
        cur[k] = YAML::Node(YAML::NodeType::Map);
      if (i + 1 == parts.size()) {
        doc.overridden[key_path] = origin;
        return;
      }
      walked = join_path(walked, k);
      cur.reset(cur[k]);
      continue;
    }
    if (!ccur[k].IsDefined()) {
      std::vector<std::string> names;
      for (const auto& kv : ccur) names.push_back(kv.first.Scalar());
      throw InputError(
          Location{origin, 0, 0, key_path},
          fmt::format("override of a key that does not exist: no '{}' in '{}'", k, walked.empty() ? "<top level>" : walked),
          fmt::format("one of: {}", join(names, ", ")), did_you_mean(k, names));
    }
    walked = join_path(walked, k);
    if (i + 1 == parts.size()) {
      YAML::Node target = cur[k];
      if (target.IsMap() && target["value"].IsDefined()) {
        target["value"] = value;
        target["source"] = fmt::format("override ({})", origin);
      } else if (target.IsMap() || target.IsSequence()) {
        throw InputError(Location{origin, 0, 0, key_path}, fmt::format("'{}' is a section, not a single value", walked),
                         "a path to a single setting");
      } else {
        cur[k] = value;
      }
      doc.overridden[key_path] = origin;
      return;
    }
    cur.reset(cur[k]);
  }
}

void apply_override(Document& doc, const std::string& assignment, const std::string& origin) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError(Location{origin, 0, 0, ""}, fmt::format("override '{}' is not key=value", assignment),
                     "KEY=VALUE, e.g. levels.node.bandwidth=450GB/s");
  set_path(doc, trim(assignment.substr(0, eq)), trim(assignment.substr(eq + 1)), origin, true);
}

Reader::Reader(std::shared_ptr<const Document> doc, YAML::Node node, std::string path, Provenance* provenance)
    : doc_(std::move(doc)), node_(std::move(node)), path_(std::move(path)), provenance_(provenance) {
  if (!node_.IsMap())
    throw InputError(mark_location(doc_->file, node_.Mark(), path_), node_.IsNull()
                                                                         ? "expected a map of settings, found nothing"
                                                                         : "expected a map of settings (key: value lines)");
}

bool Reader::has(const std::string& key) const {
  const YAML::Node& n = node_;
  return n[key].IsDefined();
}

bool Reader::has_value(const std::string& key) const {
  const YAML::Node& n = node_;
  return n[key].IsDefined() && !n[key].IsNull();
}

std::vector<std::string> Reader::keys() const {
  std::vector<std::string> r;
  for (const auto& kv : node_) r.push_back(kv.first.Scalar());
  return r;
}

Location Reader::location(const std::string& key) const {
  // A value an override set is located where the override came from.
  if (const auto it = doc_->overridden.find(key.empty() ? path_ : join_path(path_, key)); it != doc_->overridden.end())
    return Location{it->second, 0, 0, it->first};
  const YAML::Node& n = node_;
  if (!key.empty() && n[key].IsDefined()) {
    // Point at the key itself: find it among the map's entries.
    for (const auto& kv : n)
      if (kv.first.Scalar() == key) return mark_location(doc_->file, kv.first.Mark(), join_path(path_, key));
  }
  return mark_location(doc_->file, node_.Mark(), key.empty() ? path_ : join_path(path_, key));
}

void Reader::fail(const std::string& key, const std::string& message, const std::string& expected,
                  const std::string& hint) const {
  throw InputError(location(key), message, expected, hint);
}

[[noreturn]] static void missing_key(const Reader& r, const std::string& key, const std::string& expected) {
  // A required key is absent: if a present key looks like a typo of it, say so.
  for (const auto& k : r.keys()) {
    if (k != key && nearest(k, {key}) == key)
      r.fail(k, fmt::format("unknown key '{}' (and required '{}' is missing)", k, key), expected,
             fmt::format("did you mean '{}'?", key));
  }
  r.fail(key, fmt::format("missing required setting '{}'", key), expected);
}

void Reader::record(const std::string& key) const {
  used_.insert(key);
  asked_.push_back(key);
}

void Reader::ignore(const std::string& key) const { record(key); }

Reader Reader::map(const std::string& key) const {
  record(key);
  if (!has(key)) missing_key(*this, key, "a map of settings");
  const YAML::Node& n = node_;
  if (!n[key].IsMap()) fail(key, fmt::format("'{}' must be a map of settings", key));
  return Reader(doc_, n[key], join_path(path_, key), provenance_);
}

std::optional<Reader> Reader::optional_map(const std::string& key) const {
  record(key);
  if (!has_value(key)) return std::nullopt;  // `overlap:` with nothing under it: no settings
  const YAML::Node& n = node_;
  if (!n[key].IsMap()) fail(key, fmt::format("'{}' must be a map of settings", key));
  return Reader(doc_, n[key], join_path(path_, key), provenance_);
}

YAML::Node Reader::value_node(const std::string& key) const {
  const YAML::Node& n = node_;
  YAML::Node v = n[key];
  if (v.IsMap()) {
    // A figure with provenance: {value: ..., source: ..., note: ...}
    const YAML::Node& cv = v;
    for (const auto& kv : cv) {
      const std::string k = kv.first.Scalar();
      if (k != "value" && k != "source" && k != "note")
        throw InputError(mark_location(doc_->file, kv.first.Mark(), join_path(join_path(path_, key), k)),
                         fmt::format("unknown key '{}' in a figure", k), "value, source or note",
                         did_you_mean(k, {"value", "source", "note"}));
    }
    if (!cv["value"].IsDefined()) fail(key, "a figure written as a map needs a 'value'", "{value: 900 GB/s, source: N2}");
    if (provenance_ != nullptr) {
      const std::string full = join_path(path_, key);
      provenance_->stated.insert(full);
      if (cv["source"].IsDefined()) provenance_->source[full] = cv["source"].Scalar();
      if (cv["note"].IsDefined()) provenance_->note[full] = cv["note"].Scalar();
    }
    return cv["value"];
  }
  if (provenance_ != nullptr && v.IsDefined()) {
    // A plain value is stated all the same (a probe found a file's `pue: 1.3` shown as
    // "default (not stated)"); one an override set says so.
    const std::string full = join_path(path_, key);
    provenance_->stated.insert(full);
    if (const auto it = doc_->overridden.find(full); it != doc_->overridden.end() && !provenance_->source.contains(full))
      provenance_->source[full] = fmt::format("override ({})", it->second);
  }
  return v;
}

std::string Provenance::origin(const std::string& path) const {
  if (const auto it = source.find(path); it != source.end()) return it->second;
  return stated.contains(path) ? "stated (no source given)" : "default (not stated)";
}

std::string Reader::scalar(const std::string& key, const std::string& expected) const {
  const YAML::Node v = value_node(key);
  // `price:` with nothing after it is YAML's null: the same mistake as `price: ""`, never
  // the default (a probe found empty values silently read as the default or 0).
  if (v.IsNull())
    fail(key, fmt::format("'{}' has no value: the value is empty", key), expected,
         fmt::format("write a value after '{}:', or leave the key out for its default", key));
  if (!v.IsScalar()) fail(key, fmt::format("'{}' must be a single value, not a list or map", key));
  return v.Scalar();
}

double Reader::quantity(const std::string& key, Dim dim, std::optional<double> dflt, Bounds b) const {
  record(key);
  if (!has(key)) {
    if (dflt) return *dflt;
    missing_key(*this, key, fmt::format("{} (e.g. {})", dim_name(dim), dim_example(dim)));
  }
  const std::string text = scalar(key, fmt::format("{} (e.g. {})", dim_name(dim), dim_example(dim)));
  double v = 0;
  try {
    v = parse_quantity(text, dim);
  } catch (const InputError& e) { throw InputError(location(key), e.message(), e.expected(), e.suggestion()); }
  const bool zero_ok = b.allow_zero && v == 0.0;
  if (!zero_ok && (v < b.min || v > b.max || (b.min == 0.0 && v <= 0.0)))
    fail(key, fmt::format("'{}' = {} is out of range", key, text),
         b.min == 0.0 && b.allow_zero && b.max < 1e29 ? fmt::format("{} from 0 to {}", dim_name(dim), format_quantity(b.max, dim))
         : b.min == 0.0
             ? fmt::format("{} {}{}", dim_name(dim), b.allow_zero ? "from 0" : "greater than zero",
                           b.max < 1e29 ? fmt::format(" and at most {}", format_quantity(b.max, dim)) : "")
             : fmt::format("{} between {} and {}", dim_name(dim), format_quantity(b.min, dim), format_quantity(b.max, dim)));
  return v;
}

double Reader::number(const std::string& key, std::optional<double> dflt, Bounds b) const {
  return quantity(key, Dim::count, dflt, b);
}

long long Reader::integer(const std::string& key, std::optional<long long> dflt, long long min, long long max) const {
  record(key);
  if (!has(key)) {
    if (dflt) return *dflt;
    missing_key(*this, key, "a whole number");
  }
  const std::string text = trim(scalar(key, "a whole number"));
  errno = 0;
  char* end = nullptr;
  const double d = std::strtod(text.c_str(), &end);
  if (text.empty() || end == nullptr || *end != '\0' || errno == ERANGE || !std::isfinite(d) || d != std::floor(d) ||
      std::fabs(d) > 9.0e15)
    fail(key, fmt::format("'{}' = '{}' is not a whole number", key, text), "a whole number, e.g. 8");
  const auto v = static_cast<long long>(d);
  if (v < min || v > max)
    fail(key, fmt::format("'{}' = {} is out of range", key, v), fmt::format("a whole number from {} to {}", min, max));
  return v;
}

std::string Reader::string(const std::string& key, std::optional<std::string> dflt) const {
  record(key);
  if (!has(key)) {
    if (dflt) return *dflt;
    missing_key(*this, key, "a text value");
  }
  return scalar(key, "a text value");
}

std::string Reader::choice(const std::string& key, const std::vector<std::string>& choices,
                           std::optional<std::string> dflt) const {
  record(key);
  if (!has(key) && !dflt) missing_key(*this, key, fmt::format("one of: {}", join(choices, ", ")));
  const std::string v = to_lower(has(key) ? scalar(key, fmt::format("one of: {}", join(choices, ", "))) : *dflt);
  for (const auto& c : choices)
    if (c == v) return c;
  fail(key, fmt::format("'{}' is not a valid value for '{}'", v, key), fmt::format("one of: {}", join(choices, ", ")),
       did_you_mean(v, choices));
}

bool Reader::boolean(const std::string& key, std::optional<bool> dflt) const {
  record(key);
  if (!has(key)) {
    if (dflt) return *dflt;
    missing_key(*this, key, "true or false");
  }
  const std::string v = to_lower(trim(scalar(key, "true or false")));
  if (v == "true") return true;
  if (v == "false") return false;
  fail(key, fmt::format("'{}' = '{}' is not true or false", key, v), "true or false");
}

void Reader::finish(const std::vector<std::string>& expected_extra) const {
  std::vector<std::string> expected = asked_;
  expected.insert(expected.end(), expected_extra.begin(), expected_extra.end());
  for (const auto& kv : node_) {
    const std::string k = kv.first.Scalar();
    if (used_.count(k) != 0) continue;
    bool extra = false;
    for (const auto& e : expected_extra) extra = extra || e == k;
    if (extra) continue;
    std::vector<std::string> uniq;
    for (const auto& e : expected) {
      bool seen = false;
      for (const auto& u : uniq) seen = seen || u == e;
      if (!seen) uniq.push_back(e);
    }
    throw InputError(location(k), fmt::format("unknown key '{}'", k), fmt::format("one of: {}", join(uniq, ", ")),
                     did_you_mean(k, uniq));
  }
}

}  // namespace dojosim::core
