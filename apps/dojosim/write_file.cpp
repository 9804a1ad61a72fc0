
#include <fmt/format.h>

#include <fstream>

#include "commands.hpp"
#include "dojosim/core/errors.hpp"

namespace dojosim::cli {

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!out || !(out << text) || !out.flush())
    throw core::InputError({path, 0, 0, ""}, fmt::format("cannot write '{}'", path), "a writable file path");
}

}  // namespace dojosim::cli
