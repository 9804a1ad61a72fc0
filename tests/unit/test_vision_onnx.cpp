// ONNX import: a committed tiny CNN against closed forms, the unsupported-operator report,
// and fuzz-ish robustness (truncated, bit-flipped and random files fail cleanly, never crash).
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "dojosim/core/errors.hpp"
#include "dojosim/workload/workload.hpp"

using namespace dojosim;

namespace {
const std::string kDir = std::string(DOJOSIM_TEST_DATA_DIR) + "/onnx/";
std::string bytes_of(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
const workload::Op& op(const workload::Network& n, const std::string& name) {
  for (const auto& o : n.ops)
    if (o.name == name) return o;
  throw std::runtime_error("no op " + name);
}
// Any outcome but a typed user error or a valid network is a bug.
void import_cleanly(const std::string& bytes) {
  try {
    const auto n = workload::import_onnx_bytes(bytes, "fuzz.onnx");
    EXPECT_GE(n.forward_flops(), 0.0);
  } catch (const core::Error& e) { EXPECT_EQ(e.exit_code(), 2) << e.what(); }
}
}  // namespace

TEST(OnnxImport, TinyCnnMatchesClosedForms) {
  const auto n = workload::import_onnx(kDir + "tiny_cnn.onnx");
  ASSERT_EQ(n.ops.size(), 10u);  // every node priced, none skipped
  EXPECT_EQ(n.input, (std::vector<long long>{3, 32, 32}));
  const auto& c1 = op(n, "conv1");
  EXPECT_EQ(c1.h_out, 32);
  EXPECT_DOUBLE_EQ(c1.flops, 2.0 * 32 * 32 * 8 * 27);
  const auto& p1 = op(n, "pool1");
  EXPECT_EQ(p1.h_out, 16);
  const auto& c2 = op(n, "conv2");
  EXPECT_EQ(c2.h_out, 8);
  EXPECT_EQ(c2.w_out, 8);
  EXPECT_DOUBLE_EQ(c2.flops, 2.0 * 8 * 8 * 16 * 72);
  EXPECT_DOUBLE_EQ(op(n, "fc").flops, 2.0 * 16 * 10);
  EXPECT_DOUBLE_EQ(n.forward_flops(), 2.0 * (32 * 32 * 8 * 27 + 8 * 8 * 16 * 72 + 16 * 10));
  // Parameters: conv weights and bias, BN scale and shift (running statistics excluded), FC.
  EXPECT_DOUBLE_EQ(n.params(), 8 * 27 + 8 + 8 + 8 + 16 * 72 + 160 + 10);
  EXPECT_EQ(op(n, "bn1").kind, workload::OpKind::norm);
  EXPECT_EQ(op(n, "flatten").kind, workload::OpKind::view);
  // The same through the single loader.
  EXPECT_TRUE(workload::load_workload(kDir + "tiny_cnn.onnx").vision());
}

TEST(OnnxImport, UnsupportedOperatorsAreAllListed) {
  try {
    workload::import_onnx(kDir + "unsupported.onnx");
    FAIL() << "expected Unsupported";
  } catch (const core::Unsupported& e) {
    const std::string m = e.what();
    for (const char* s : {"3 ONNX operator types", "LSTM (2 nodes: lstm_a, lstm_b)", "NonMaxSuppression (1 node: nms)",
                          "com.example::FancyOp", "unsupported.onnx"})
      EXPECT_NE(m.find(s), std::string::npos) << s << " not in: " << m;
    EXPECT_EQ(e.exit_code(), 2);
  }
}

TEST(OnnxImport, MissingEmptyAndGarbageFilesAreInputErrors) {
  EXPECT_THROW(workload::import_onnx(kDir + "no_such.onnx"), core::InputError);
  EXPECT_THROW(workload::import_onnx_bytes("", "empty.onnx"), core::InputError);
  try {
    workload::import_onnx_bytes(std::string(100, '\xff'), "garbage.onnx");
    FAIL() << "expected InputError";
  } catch (const core::InputError& e) { EXPECT_NE(std::string(e.what()).find("garbage.onnx"), std::string::npos) << e.what(); }
}

TEST(OnnxImport, TruncatedFilesFailCleanly) {
  const std::string full = bytes_of(kDir + "tiny_cnn.onnx");
  ASSERT_GT(full.size(), 1000u);
  int errors = 0;
  for (std::size_t len = 0; len < full.size(); len += 7) {
    try {
      workload::import_onnx_bytes(full.substr(0, len), "cut.onnx");
    } catch (const core::Error& e) {
      EXPECT_EQ(e.exit_code(), 2);
      ++errors;
    }
  }
  EXPECT_GT(errors, 0);  // cutting the file must be noticed at least sometimes
}

TEST(OnnxImport, FlippedAndRandomBytesNeverCrash) {
  const std::string full = bytes_of(kDir + "tiny_cnn.onnx");
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 3000; ++i) {
    std::string b = full;
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < flips; ++f) b[rng() % b.size()] = static_cast<char>(rng() & 0xff);
    import_cleanly(b);
  }
  for (int i = 0; i < 500; ++i) {
    std::string b(rng() % 512, '\0');
    for (auto& c : b) c = static_cast<char>(rng() & 0xff);
    import_cleanly(b);
  }
}
