#include "dojosim/numerics/npy.hpp"

#include <fmt/format.h>

#include <bit>
#include <cctype>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "dojosim/core/errors.hpp"
#include "dojosim/numerics/convert.hpp"

namespace dojosim::numerics {

namespace {

[[noreturn]] void fail(const std::string& name, const std::string& message, const std::string& expected = {}) {
  throw core::InputError({name, 0, 0, ""}, message, expected);
}

constexpr std::string_view kExpected =
    "a NumPy .npy file (version 1.0, 2.0 or 3.0) of float32 or float16, little- or big-endian, C order";

// A cursor over the header's Python dict literal, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& name) : s_(text), name_(name) {}

  void skip_ws() {
    while (at_ < s_.size() && (s_[at_] == ' ' || s_[at_] == '\t' || s_[at_] == '\n' || s_[at_] == '\r')) ++at_;
  }
  bool peek(char c) {
    skip_ws();
    return at_ < s_.size() && s_[at_] == c;
  }
  void expect(char c, std::string_view what) {
    if (!peek(c)) bad(fmt::format("expected '{}' {}", c, what));
    ++at_;
  }
  bool done() {
    skip_ws();
    return at_ >= s_.size();
  }
  std::string string_literal() {
    skip_ws();
    if (at_ >= s_.size() || (s_[at_] != '\'' && s_[at_] != '"')) bad("expected a quoted string");
    const char q = s_[at_++];
    std::string out;
    while (at_ < s_.size() && s_[at_] != q) {
      if (s_[at_] == '\\') bad("escape sequences are not expected in a .npy header");
      out += s_[at_++];
    }
    if (at_ >= s_.size()) bad("unterminated string");
    ++at_;
    return out;
  }
  bool boolean() {
    skip_ws();
    if (s_.substr(at_, 4) == "True") {
      at_ += 4;
      return true;
    }
    if (s_.substr(at_, 5) == "False") {
      at_ += 5;
      return false;
    }
    bad("expected True or False");
  }
  std::vector<std::size_t> tuple() {
    expect('(', "to open the shape tuple");
    std::vector<std::size_t> dims;
    while (!peek(')')) {
      skip_ws();
      std::size_t v = 0;
      std::size_t digits = 0;
      while (at_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[at_])) != 0) {
        const auto d = static_cast<std::size_t>(s_[at_] - '0');
        if (v > (std::numeric_limits<std::size_t>::max() - d) / 10) bad("shape dimension too large");
        v = v * 10 + d;
        ++at_;
        ++digits;
      }
      if (digits == 0) bad("expected a non-negative integer in the shape");
      if (at_ < s_.size() && s_[at_] == 'L') ++at_;  // Python 2 long suffix
      dims.push_back(v);
      if (dims.size() > 64) bad("too many dimensions");
      if (peek(',')) {
        ++at_;
      } else if (!peek(')')) {
        bad("expected ',' or ')' in the shape");
      }
    }
    ++at_;
    return dims;
  }
  char current() {
    skip_ws();
    return at_ < s_.size() ? s_[at_] : '\0';
  }
  [[noreturn]] void bad(const std::string& what) const {
    fail(name_, fmt::format("malformed .npy header at offset {}: {}", at_, what), std::string(kExpected));
  }

 private:
  std::string_view s_;
  const std::string& name_;
  std::size_t at_ = 0;
};

std::uint32_t read_le(std::string_view b, std::size_t at, int n) {
  std::uint32_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<std::size_t>(i)]);
  return v;
}

}  // namespace

NpyArray parse_npy(std::string_view bytes, const std::string& name) {
  static constexpr char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 10 || bytes.substr(0, 6) != std::string_view(kMagic, 6))
    fail(name, "not a .npy file (missing the \\x93NUMPY magic)", std::string(kExpected));
  const auto major = static_cast<unsigned char>(bytes[6]);
  const auto minor = static_cast<unsigned char>(bytes[7]);
  std::size_t header_at = 0;
  std::size_t header_len = 0;
  if (major == 1) {
    header_at = 10;
    header_len = read_le(bytes, 8, 2);
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail(name, "truncated .npy header", std::string(kExpected));
    header_at = 12;
    header_len = read_le(bytes, 8, 4);
  } else {
    fail(name, fmt::format("unsupported .npy format version {}.{}", major, minor), std::string(kExpected));
  }
  if (minor != 0) fail(name, fmt::format("unsupported .npy format version {}.{}", major, minor), std::string(kExpected));
  if (header_len > bytes.size() - header_at)
    fail(name,
         fmt::format("truncated .npy header: it declares {} bytes, the file has {} after the preamble", header_len,
                     bytes.size() - header_at),
         std::string(kExpected));
  HeaderParser h(bytes.substr(header_at, header_len), name);

  std::optional<std::string> descr;
  std::optional<bool> fortran;
  std::optional<std::vector<std::size_t>> shape;
  h.expect('{', "to open the header dictionary");
  while (!h.peek('}')) {
    const std::string key = h.string_literal();
    h.expect(':', "after a key");
    if (key == "descr") {
      if (descr) h.bad("duplicate key 'descr'");
      if (h.current() == '[') fail(name, "structured dtypes are not supported", std::string(kExpected));
      descr = h.string_literal();
    } else if (key == "fortran_order") {
      if (fortran) h.bad("duplicate key 'fortran_order'");
      fortran = h.boolean();
    } else if (key == "shape") {
      if (shape) h.bad("duplicate key 'shape'");
      shape = h.tuple();
    } else {
      h.bad(fmt::format("unexpected key '{}'", key));
    }
    if (h.peek(','))
      h.expect(',', "");
    else if (!h.peek('}'))
      h.bad("expected ',' or '}'");
  }
  h.expect('}', "to close the header dictionary");
  if (!h.done()) h.bad("unexpected text after the dictionary");
  if (!descr || !fortran || !shape) h.bad("the header needs the keys 'descr', 'fortran_order' and 'shape'");

  if (*fortran)
    fail(name, "Fortran-ordered arrays are not supported",
         "a C-ordered array (save np.ascontiguousarray(a)); " + std::string(kExpected));
  const std::string& d = *descr;
  const bool ok_order = d.size() == 3 && (d[0] == '<' || d[0] == '>' || d[0] == '=');
  const bool f4 = ok_order && d.substr(1) == "f4";
  const bool f2 = ok_order && d.substr(1) == "f2";
  if (!f4 && !f2) fail(name, fmt::format("dtype '{}' is not supported", d), "float32 or float16 ('<f4', '>f4', '<f2', '>f2')");
  const bool big = d[0] == '>' || (d[0] == '=' && std::endian::native == std::endian::big);
  const std::size_t item = f4 ? 4 : 2;

  std::size_t count = 1;
  const std::size_t data_at = header_at + header_len;
  const std::size_t available = bytes.size() - data_at;
  for (const std::size_t dim : *shape) {
    if (dim != 0 && count > available / dim) {
      // Product too large for the data (also guards against overflow); zero dims win.
      bool has_zero = false;
      for (const std::size_t x : *shape) has_zero = has_zero || x == 0;
      if (!has_zero) fail(name, fmt::format("truncated data: the shape needs more than the {} bytes present", available));
      count = 0;
      break;
    }
    count *= dim;
  }
  if (count * item != available) {
    if (count * item > available)
      fail(name, fmt::format("truncated data: the shape needs {} bytes, the file has {}", count * item, available));
    fail(name, fmt::format("{} unexpected bytes after the data", available - count * item));
  }

  NpyArray out;
  out.descr = d;
  out.shape = *shape;
  out.values.resize(count);
  const Format half(FormatId::fp16);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t at = data_at + i * item;
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < item; ++k) {
      const auto byte = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + k]));
      v |= big ? byte << (8 * (item - 1 - k)) : byte << (8 * k);
    }
    out.values[i] = f4 ? std::bit_cast<float>(v) : to_float(half, v);
  }
  return out;
}

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open the file", std::string(kExpected));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) fail(path, "cannot read the file");
  return parse_npy(ss.str(), path);
}

void write_npy(const std::string& path, std::span<const std::size_t> shape, std::span<const float> values) {
  std::string dims;
  for (const std::size_t d : shape) dims += fmt::format("{}, ", d);
  if (shape.size() > 1) dims.resize(dims.size() - 2);
  if (shape.size() == 1) dims.resize(dims.size() - 1);
  std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}), }}", dims);
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>((header.size() >> 8) & 0xff);
  bytes += header;
  for (const float x : values) {
    const auto v = std::bit_cast<std::uint32_t>(x);
    for (int k = 0; k < 4; ++k) bytes += static_cast<char>((v >> (8 * k)) & 0xffU);
  }
  std::ofstream out(path, std::ios::binary);
  if (!out) throw core::InputError({path, 0, 0, ""}, "cannot open the file for writing");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw core::InputError({path, 0, 0, ""}, "cannot write the file");
}

}  // namespace dojosim::numerics
