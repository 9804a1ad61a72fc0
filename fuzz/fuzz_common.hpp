// Shared helpers of the libFuzzer targets (docs/fuzzing.md).
//
// Contract under test (STYLE.md practice 7): for any input a parser either returns or
// throws a dojosim::core::Error. Any other exception escapes LLVMFuzzerTestOneInput and
// libFuzzer reports it as a crash, as it does for ASan/UBSan findings, leaks and hangs.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "dojosim/core/errors.hpp"

namespace dojosim::fuzz {

inline std::string bytes(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// A scratch file of this process holding `text`, for the parsers whose entry is a path.
inline std::string scratch_file(const std::string& text, const std::string& ext) {
  const std::string path = "/tmp/dojosim-fuzz-" + std::to_string(::getpid()) + ext;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return path;
}

template <class F>
int expect_typed_errors(F&& f) {
  try {
    f();
  } catch (const core::Error&) {
    // a typed, located user error: the expected outcome for bad input
  }
  return 0;
}

}  // namespace dojosim::fuzz
