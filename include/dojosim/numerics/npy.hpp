// NumPy .npy files (format versions 1.0, 2.0 and 3.0), as numpy.save writes them.
//
// Contract: parse_npy accepts float32 and float16 arrays, little- or big-endian (or '='
// native, '|' is not a float code), C order, any shape (including () and zero-size), and
// rejects everything else — Fortran order, other dtypes, structured dtypes, a malformed or
// truncated header, a data section shorter or longer than the shape says — with
// core::InputError naming the file and the reason. It never reads out of bounds.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dojosim::numerics {

struct NpyArray {
  std::string descr;               // as in the file, e.g. "<f4", ">f2"
  std::vector<std::size_t> shape;  // empty for a 0-d array
  std::vector<float> values;       // C order, converted to FP32 (exact for float16)
};

NpyArray parse_npy(std::string_view bytes, const std::string& name = "<memory>");
NpyArray read_npy(const std::string& path);  // throws core::InputError if unreadable
// Writes a little-endian float32, C-order, version 1.0 file.
void write_npy(const std::string& path, std::span<const std::size_t> shape, std::span<const float> values);

}  // namespace dojosim::numerics
