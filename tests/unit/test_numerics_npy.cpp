// The .npy reader: files written byte by byte here (both endiannesses, float16 and
// float32, versions 1.0 and 2.0) so it is tested without Python; rejections; and a fuzz
// test over thousands of mutated headers (no crash, only core::InputError).
#include <gtest/gtest.h>

#include <bit>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "dojosim/core/errors.hpp"
#include "dojosim/numerics/npy.hpp"

using namespace dojosim::numerics;
using dojosim::core::InputError;

namespace {

// A .npy file as numpy.save lays it out: magic, version, header length, a dict padded
// with spaces to a multiple of 64 bytes and ended by '\n', then the raw data.
std::string npy(const std::string& dict, const std::string& data, int major = 1) {
  std::string header = dict;
  const std::size_t pre = major == 1 ? 10 : 12;
  while ((pre + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  const std::size_t n = header.size();
  out += static_cast<char>(n & 0xff);
  out += static_cast<char>((n >> 8) & 0xff);
  if (major != 1) {
    out += static_cast<char>((n >> 16) & 0xff);
    out += static_cast<char>((n >> 24) & 0xff);
  }
  return out + header + data;
}

std::string bytes_of(std::uint32_t v, int n, bool big) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    const int shift = big ? 8 * (n - 1 - i) : 8 * i;
    s += static_cast<char>((v >> shift) & 0xffU);
  }
  return s;
}

std::string f4(const std::vector<float>& xs, bool big) {
  std::string s;
  for (float x : xs) s += bytes_of(std::bit_cast<std::uint32_t>(x), 4, big);
  return s;
}

std::string dict(const std::string& descr, const std::string& shape, const std::string& fortran = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
}

std::string error_of(const std::string& bytes) {
  try {
    parse_npy(bytes, "t.npy");
  } catch (const InputError& e) { return e.what(); }
  return "";
}

}  // namespace

TEST(Npy, ReadsFloat32BothEndiannessesAndVersions) {
  const std::vector<float> xs{1.0F, -2.5F, 3.25e-3F, 65504.0F, 0.0F, -0.0F};
  for (bool big : {false, true}) {
    for (int major : {1, 2, 3}) {
      const auto a = parse_npy(npy(dict(big ? ">f4" : "<f4", "(2, 3)"), f4(xs, big), major), "t.npy");
      EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 3}));
      ASSERT_EQ(a.values.size(), xs.size());
      for (std::size_t i = 0; i < xs.size(); ++i)
        EXPECT_EQ(std::bit_cast<std::uint32_t>(a.values[i]), std::bit_cast<std::uint32_t>(xs[i]));
    }
  }
}

TEST(Npy, ReadsFloat16BothEndiannesses) {
  // 1.0 = 0x3C00, -2.0 = 0xC000, 65504 = 0x7BFF, 2^-24 = 0x0001 (denormal), inf = 0x7C00.
  const std::vector<std::uint32_t> halves{0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00};
  const std::vector<float> want{1.0F, -2.0F, 65504.0F, std::ldexp(1.0F, -24), HUGE_VALF};
  for (bool big : {false, true}) {
    std::string data;
    for (auto h : halves) data += bytes_of(h, 2, big);
    const auto a = parse_npy(npy(dict(big ? ">f2" : "<f2", "(5,)"), data), "t.npy");
    EXPECT_EQ(a.values, want);
    EXPECT_EQ(a.descr, big ? ">f2" : "<f2");
  }
}

TEST(Npy, ScalarsEmptyArraysAndOddButValidHeaders) {
  EXPECT_EQ(parse_npy(npy(dict("<f4", "()"), f4({7.0F}, false))).values, std::vector<float>{7.0F});
  EXPECT_TRUE(parse_npy(npy(dict("<f4", "(0, 5)"), "")).values.empty());
  // Key order, double quotes, no trailing comma, Python 2 'L' suffix.
  const std::string d = "{\"shape\": (2L,), \"fortran_order\": False, \"descr\": \"<f4\"}";
  EXPECT_EQ(parse_npy(npy(d, f4({1.0F, 2.0F}, false))).values.size(), 2U);
}

TEST(Npy, RejectsWhatItCannotRead) {
  const std::string good = f4({1.0F, 2.0F, 3.0F, 4.0F, 5.0F, 6.0F}, false);
  EXPECT_NE(error_of(npy(dict("<f4", "(2, 3)", "True"), good)).find("Fortran"), std::string::npos);
  EXPECT_NE(error_of(npy(dict("<f8", "(3,)"), good)).find("dtype '<f8' is not supported"), std::string::npos);
  EXPECT_NE(error_of(npy(dict("<i4", "(6,)"), good)).find("not supported"), std::string::npos);
  EXPECT_NE(error_of(npy(dict("|u1", "(6,)"), good)).find("not supported"), std::string::npos);
  EXPECT_NE(error_of(npy(dict("<f4", "(2, 4)"), good)).find("truncated data"), std::string::npos);
  EXPECT_NE(error_of(npy(dict("<f4", "(5,)"), good)).find("unexpected bytes"), std::string::npos);
  EXPECT_NE(error_of(npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", good)).find("structured"),
            std::string::npos);
  EXPECT_NE(error_of("GIF89a").find("not a .npy file"), std::string::npos);
  EXPECT_NE(error_of(npy(dict("<f4", "(6,)"), good, 4)).find("version 4.0"), std::string::npos);
  EXPECT_NE(error_of(npy(dict("<f4", "(6,)"), good).substr(0, 40)).find("truncated"), std::string::npos);
  EXPECT_NE(error_of(npy("{'descr': '<f4', 'shape': (6,), }", good)).find("needs the keys"), std::string::npos);
  EXPECT_NE(error_of(npy(dict("<f4", "(99999999999, 99999999999, 99999999999)"), good)).find("truncated"), std::string::npos);
  EXPECT_NE(error_of(npy(dict("<f4", "(6,)") + "x", good)).find("after the dictionary"), std::string::npos);
  EXPECT_THROW(read_npy("/no/such/file.npy"), InputError);
}

TEST(Npy, WriteThenReadRoundTrips) {
  const auto path = (std::filesystem::temp_directory_path() / "dojosim_test_numerics_npy.npy").string();
  const std::vector<std::size_t> shape{3, 2};
  const std::vector<float> xs{1.0F, 2.0F, 3.0F, -4.0F, 5.5F, 1e-30F};
  write_npy(path, shape, xs);
  const auto a = read_npy(path);
  EXPECT_EQ(a.shape, shape);
  EXPECT_EQ(a.values, xs);
  std::remove(path.c_str());
}

TEST(Npy, FuzzedHeadersNeverCrash) {
  std::mt19937_64 rng(4242);
  const std::vector<std::string> seeds{
      npy(dict("<f4", "(2, 3)"), f4({1, 2, 3, 4, 5, 6}, false)),
      npy(dict(">f2", "(3,)"), std::string(6, '\x3c'), 2),
      npy(dict("<f4", "()"), f4({1}, false)),
  };
  static const std::string alphabet = "{}()[]:,'\" 0123456789<>=|fiuTrueFalsLdescrshapefortran_order\n\x93\xff\x00";
  int ok = 0, rejected = 0;
  for (int i = 0; i < 6000; ++i) {
    std::string s = seeds[static_cast<std::size_t>(i) % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      // Mutations focus on the preamble and header (the first ~80 bytes).
      const std::size_t limit = std::min<std::size_t>(s.size(), 80);
      const std::size_t pos = limit == 0 ? 0 : rng() % limit;
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 5) {
        case 0: s.insert(s.begin() + static_cast<long>(pos), c); break;
        case 1:
          if (pos < s.size()) s.erase(pos, 1);
          break;
        case 2:
          if (pos < s.size()) s[pos] = c;
          break;
        case 3:
          if (pos < s.size()) s[pos] = static_cast<char>(rng());
          break;
        default: s.resize(rng() % (s.size() + 1)); break;
      }
    }
    try {
      const auto a = parse_npy(s, "fuzz.npy");
      std::size_t n = 1;
      for (auto d : a.shape) n *= d;
      EXPECT_EQ(a.values.size(), n);
      ++ok;
    } catch (const InputError&) { ++rejected; } catch (const std::exception& e) {
      FAIL() << "unexpected exception " << e.what();
    }
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(rejected, 1000);
}
