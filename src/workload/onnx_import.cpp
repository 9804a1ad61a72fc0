// ONNX import: reads a ModelProto with the protobuf classes of Debian's libonnx-dev,
// infers every tensor's shape for the supported operators (our own inference, so each
// rule is visible and tested), and maps every node to a priced op.
//
// Contract: no node is skipped. Operators we cannot price are collected first and reported
// together in one core::Unsupported (exit 2) naming each type and its nodes; a file that
// is not a valid ModelProto, or a graph whose shapes cannot be inferred, is a
// core::InputError naming the file. The first dimension of the first graph input is the
// batch; costs are per sample (divided by it). Parameters are the floating-point
// initializers (batch-norm running statistics excluded), counted once each.
#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"
#include "dojosim/workload/network.hpp"

namespace dojosim::workload {

using core::InputError;
using core::Location;
using Shape = std::vector<long long>;

namespace {

constexpr double kMaxElems = 1e15;  // beyond any real tensor: a corrupt file
constexpr long long kMaxDim = 1LL << 40;

using core::printable;

double elems(const Shape& s) {
  double e = 1;
  for (auto d : s) e *= static_cast<double>(d);
  return e;
}

const std::set<std::string> kUnary{"Relu",  "Sigmoid", "Tanh",       "Erf",      "Sqrt",      "Exp",         "Log",
                                   "Neg",   "Abs",     "Reciprocal", "Clip",     "LeakyRelu", "HardSigmoid", "HardSwish",
                                   "Gelu",  "Elu",     "Selu",       "Softplus", "Cast",      "Floor",       "Ceil",
                                   "Round", "Not",     "Sign",       "Sin",      "Cos",       "Mish",        "Softsign"};
const std::set<std::string> kBinary{
    "Add", "Sub", "Mul",   "Div",   "Pow", "Max", "Min", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
    "And", "Or",  "Where", "PRelu", "Mod", "Sum", "Mean"};
const std::set<std::string> kViews{"Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Shape", "ConstantOfShape", "Size"};
const std::set<std::string> kOther{"Conv",
                                   "Gemm",
                                   "MatMul",
                                   "Softmax",
                                   "LogSoftmax",
                                   "BatchNormalization",
                                   "LayerNormalization",
                                   "InstanceNormalization",
                                   "ReduceMean",
                                   "ReduceSum",
                                   "ReduceMax",
                                   "ReduceMin",
                                   "ReduceL2",
                                   "MaxPool",
                                   "AveragePool",
                                   "GlobalAveragePool",
                                   "GlobalMaxPool",
                                   "Transpose",
                                   "Concat",
                                   "Split",
                                   "Slice",
                                   "Gather",
                                   "Constant",
                                   "Dropout",
                                   "Resize",
                                   "Upsample",
                                   "Expand",
                                   "Tile",
                                   "Pad"};

bool supported(const std::string& t) { return kUnary.count(t) || kBinary.count(t) || kViews.count(t) || kOther.count(t); }

class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string file) : model_(model), g_(model.graph()), file_(std::move(file)) {}

  Network run() {
    check_supported();
    for (const auto& t : g_.initializer()) read_initializer(t);
    read_inputs();
    NetworkBuilder b(net_);
    b_ = &b;
    for (int i = 0; i < g_.node_size(); ++i) {
      const auto& n = g_.node(i);
      const std::size_t before = net_.ops.size();
      node(n, i);
      // Parameters: floating-point initializers this node reads, each counted once.
      double p = 0;
      for (int k = 0; k < n.input_size(); ++k) {
        const std::string& in = n.input(k);
        auto it = float_init_.find(in);
        if (it == float_init_.end() || counted_.count(in) || bn_stats_.count(in)) continue;
        counted_.insert(in);
        p += it->second;
      }
      if (net_.ops.size() > before) {
        net_.ops[before].params = p;
        dedupe_saved(n, net_.ops[before]);
      } else if (p > 0)
        b.view(name_of(n, i), n.op_type(), 1, 0).params = p;
    }
    net_.name = std::filesystem::path(file_).stem().string();
    net_.family = "vision";
    net_.task = "imported";
    net_.source = fmt::format("{} (ONNX IR {}, opset {}, producer {} {})", file_, model_.ir_version(), opset(),
                              printable(model_.producer_name()), printable(model_.producer_version()));
    net_.notes.push_back(fmt::format("imported from ONNX: {} nodes; batch dimension {} of input '{}' divided out", g_.node_size(),
                                     batch_, printable(input_name_)));
    net_.notes.push_back("FLOPs count 2 per multiply-accumulate of Conv, Gemm and MatMul; other nodes are priced by bytes");
    return net_;
  }

 private:
  [[noreturn]] void fail(const std::string& what, const std::string& expected = "") const {
    throw InputError(Location{file_, 0, 0, ""}, what, expected);
  }
  std::string name_of(const onnx::NodeProto& n, int i) const {
    return n.name().empty() ? fmt::format("{}_{}", n.op_type(), i) : n.name();
  }
  long long opset() const {
    for (const auto& o : model_.opset_import())
      if (o.domain().empty() || o.domain() == "ai.onnx") return o.version();
    return 0;
  }

  // Tensors autograd keeps for the backward pass, by name, so a tensor saved by two nodes
  // (a ReLU's output and the next Conv's input) is counted once.
  void dedupe_saved(const onnx::NodeProto& n, Op& o) {
    const std::string& t = n.op_type();
    if (o.kind == OpKind::view || t == "Dropout") return;
    std::vector<std::string> keep;
    auto act_in = [&](int k) {
      if (has_in(n, k) && is_activation(n.input(k))) keep.push_back(n.input(k));
    };
    if (t == "Conv" || t == "Gemm" || t == "BatchNormalization" || t == "LayerNormalization" || t == "InstanceNormalization") {
      act_in(0);
      if (t == "Gemm") act_in(1);
    } else if (t == "MatMul" || t == "Mul" || t == "Div" || t == "Pow" || t == "Max" || t == "Min" || t == "Where" ||
               t == "PRelu") {
      for (int k = 0; k < n.input_size(); ++k) act_in(k);
    } else if (t == "Relu" || t == "Sigmoid" || t == "Tanh" || t == "Softmax" || t == "LogSoftmax") {
      if (n.output_size() > 0) keep.push_back(n.output(0));
    } else if (t == "MaxPool") {
      act_in(0);
      if (n.output_size() > 0) keep.push_back(n.output(0));
    } else if (kUnary.count(t) && t != "Cast" && t != "Neg") {
      act_in(0);
    }
    double e = 0;
    for (const auto& name : keep) {
      if (!saved_.insert(name).second) continue;
      auto it = shapes_.find(name);
      if (it != shapes_.end()) e += ps(elems(it->second));
    }
    o.saved_elems = e;
  }

  void check_supported() const {
    std::map<std::string, std::vector<std::string>> bad;
    for (int i = 0; i < g_.node_size(); ++i) {
      const auto& n = g_.node(i);
      const bool std_domain = n.domain().empty() || n.domain() == "ai.onnx";
      if (!std_domain || !supported(n.op_type()))
        bad[std_domain ? n.op_type() : n.domain() + "::" + n.op_type()].push_back(name_of(n, i));
    }
    if (bad.empty()) return;
    std::string list;
    for (const auto& [type, nodes] : bad) {
      std::vector<std::string> shown;
      for (std::size_t k = 0; k < nodes.size() && k < 5; ++k) shown.push_back(printable(nodes[k]));
      if (nodes.size() > 5) shown.push_back(fmt::format("and {} more", nodes.size() - 5));
      list += fmt::format("\n  {} ({} node{}: {})", printable(type), nodes.size(), nodes.size() == 1 ? "" : "s",
                          core::join(shown, ", "));
    }
    throw core::Unsupported(
        Location{file_, 0, 0, ""},
        fmt::format("{} ONNX operator type{} cannot be priced:{}", bad.size(), bad.size() == 1 ? "" : "s", list),
        "dojosim prices convolution, GEMM/MatMul, normalisation, pooling, element-wise, resize and "
        "data-movement operators (docs/vision.md#onnx); rewrite or remove the listed nodes");
  }

  Shape checked(const Shape& s, const std::string& what) const {
    double e = 1;
    for (auto d : s) {
      if (d < 0 || d > kMaxDim)
        fail(fmt::format("implausible dimension {} in the shape of {}", d, printable(what)), "dimensions from 0 to 2^40");
      e *= static_cast<double>(d);
    }
    if (e > kMaxElems) fail(fmt::format("implausible tensor size ({:.3g} elements) for {}", e, printable(what)));
    return s;
  }

  void read_initializer(const onnx::TensorProto& t) {
    Shape s(t.dims().begin(), t.dims().end());
    shapes_[t.name()] = checked(s, t.name());
    inits_.insert(t.name());
    const int dt = t.data_type();
    if (dt == onnx::TensorProto_DataType_FLOAT || dt == onnx::TensorProto_DataType_FLOAT16 ||
        dt == onnx::TensorProto_DataType_BFLOAT16 || dt == onnx::TensorProto_DataType_DOUBLE)
      float_init_[t.name()] = elems(s);
    if (elems(s) <= 64) {
      std::vector<double> v;
      if (tensor_values(t, v)) consts_[t.name()] = v;
    }
  }

  // Values of a small integer or floating tensor; false when not decodable.
  static bool tensor_values(const onnx::TensorProto& t, std::vector<double>& v) {
    const double n = elems(Shape(t.dims().begin(), t.dims().end()));
    v.clear();
    switch (t.data_type()) {
      case onnx::TensorProto_DataType_INT64:
        if (t.int64_data_size() > 0) {
          for (auto x : t.int64_data()) v.push_back(static_cast<double>(x));
        } else if (t.raw_data().size() == static_cast<std::size_t>(n) * 8) {
          for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
            std::int64_t x;
            std::memcpy(&x, t.raw_data().data() + 8 * i, 8);
            v.push_back(static_cast<double>(x));
          }
        }
        break;
      case onnx::TensorProto_DataType_INT32:
        if (t.int32_data_size() > 0) {
          for (auto x : t.int32_data()) v.push_back(x);
        } else if (t.raw_data().size() == static_cast<std::size_t>(n) * 4) {
          for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
            std::int32_t x;
            std::memcpy(&x, t.raw_data().data() + 4 * i, 4);
            v.push_back(x);
          }
        }
        break;
      case onnx::TensorProto_DataType_FLOAT:
        if (t.float_data_size() > 0) {
          for (auto x : t.float_data()) v.push_back(x);
        } else if (t.raw_data().size() == static_cast<std::size_t>(n) * 4) {
          for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
            float x;
            std::memcpy(&x, t.raw_data().data() + 4 * i, 4);
            v.push_back(x);
          }
        }
        break;
      default: return false;
    }
    return static_cast<double>(v.size()) == n;
  }

  void read_inputs() {
    for (const auto& vi : g_.input()) {
      if (inits_.count(vi.name())) continue;
      if (!vi.type().has_tensor_type() || !vi.type().tensor_type().has_shape())
        fail(fmt::format("graph input '{}' has no tensor shape", printable(vi.name())),
             "inputs with fixed shapes (export with example inputs)");
      Shape s;
      const auto& dims = vi.type().tensor_type().shape().dim();
      for (int d = 0; d < dims.size(); ++d) {
        if (dims[d].has_dim_value())
          s.push_back(dims[d].dim_value());
        else if (d == 0)
          s.push_back(1);  // symbolic batch: one sample
        else
          fail(fmt::format("dimension {} of graph input '{}' is symbolic ('{}')", d, printable(vi.name()),
                           printable(dims[d].dim_param())),
               "fixed input sizes (export without dynamic axes other than the batch)");
      }
      shapes_[vi.name()] = checked(s, vi.name());
      if (input_name_.empty()) {
        input_name_ = vi.name();
        batch_ = s.empty() ? 1 : std::max<long long>(1, s[0]);
        net_.input.assign(s.begin() + (s.empty() ? 0 : 1), s.end());
        net_.sample = s.size() == 4 ? "image" : "sample";
      }
    }
    if (input_name_.empty()) fail("the graph has no input tensor", "a model with at least one graph input");
  }

  const Shape& in(const onnx::NodeProto& n, int k) const {
    if (k >= n.input_size() || n.input(k).empty())
      fail(fmt::format("node '{}' ({}) lacks input {}", printable(n.name()), printable(n.op_type()), k));
    auto it = shapes_.find(n.input(k));
    if (it == shapes_.end())
      fail(fmt::format("node '{}' ({}) reads '{}', which no earlier node produces", printable(n.name()), printable(n.op_type()),
                       printable(n.input(k))),
           "a topologically sorted ONNX graph");
    return it->second;
  }
  bool has_in(const onnx::NodeProto& n, int k) const { return k < n.input_size() && !n.input(k).empty(); }
  const std::vector<double>* cval(const onnx::NodeProto& n, int k) const {
    if (!has_in(n, k)) return nullptr;
    auto it = consts_.find(n.input(k));
    return it == consts_.end() ? nullptr : &it->second;
  }
  bool is_activation(const std::string& name) const { return !inits_.count(name) && !consts_.count(name); }
  void out(const onnx::NodeProto& n, int k, const Shape& s) {
    if (k < n.output_size() && !n.output(k).empty()) shapes_[n.output(k)] = checked(s, n.output(k));
  }
  const onnx::AttributeProto* attr(const onnx::NodeProto& n, const char* name) const {
    for (const auto& a : n.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  long long iattr(const onnx::NodeProto& n, const char* name, long long dflt) const {
    const auto* a = attr(n, name);
    return a ? a->i() : dflt;
  }
  Shape iattrs(const onnx::NodeProto& n, const char* name, Shape dflt) const {
    const auto* a = attr(n, name);
    return a ? Shape(a->ints().begin(), a->ints().end()) : dflt;
  }
  long long axis_of(long long axis, std::size_t rank, const onnx::NodeProto& n) const {
    const long long r = static_cast<long long>(rank);
    if (axis < -r || axis >= std::max<long long>(r, 1))
      fail(fmt::format("axis {} out of range for rank {} in node '{}'", axis, rank, printable(n.name())));
    return axis < 0 ? axis + r : axis;
  }
  Shape broadcast(const onnx::NodeProto& n) const {
    Shape o;
    for (int k = 0; k < n.input_size(); ++k) {
      if (n.input(k).empty()) continue;
      const Shape& s = in(n, k);
      if (s.size() > o.size()) o.insert(o.begin(), s.size() - o.size(), 1);
      for (std::size_t i = 0; i < s.size(); ++i) {
        long long& d = o[o.size() - s.size() + i];
        const long long e = s[i];
        if (d == 1)
          d = e;
        else if (e != 1 && e != d)
          fail(fmt::format("node '{}' ({}): shapes cannot be broadcast", printable(n.name()), printable(n.op_type())));
      }
    }
    return o;
  }
  double ps(double e) const { return e / static_cast<double>(batch_); }  // per sample
  static long long rows_of(const Shape& s) { return s.size() == 4 ? s[2] : (s.size() == 3 ? s[1] : 0); }

  void node(const onnx::NodeProto& n, int i) {
    const std::string& t = n.op_type();
    const std::string nm = name_of(n, i);
    for (const auto& a : n.attribute())
      if (a.type() == onnx::AttributeProto_AttributeType_GRAPH || a.type() == onnx::AttributeProto_AttributeType_GRAPHS)
        throw core::Unsupported(Location{file_, 0, 0, ""},
                                fmt::format("node '{}' ({}) holds a subgraph", printable(nm), printable(t)));
    if (t == "Constant") return constant(n);
    if (t == "Conv") return conv(n, nm);
    if (t == "Gemm") return gemm(n, nm);
    if (t == "MatMul") return matmul(n, nm);
    if (kUnary.count(t) || kBinary.count(t)) return eltwise(n, nm);
    if (t == "Softmax" || t == "LogSoftmax") {
      const Shape s = in(n, 0);
      out(n, 0, s);
      b_->eltwise(nm, t, 1, ps(elems(s)), 1, ps(elems(s)), rows_of(s));
      return;
    }
    if (t == "Dropout") {
      const Shape s = in(n, 0);
      out(n, 0, s);
      out(n, 1, s);
      b_->eltwise(nm, t, 1, ps(elems(s)), 1, ps(elems(s)) / 2, rows_of(s));  // a one-byte mask per element
      return;
    }
    if (t == "BatchNormalization") return batch_norm(n, nm);
    if (t == "LayerNormalization" || t == "InstanceNormalization") return layer_norm(n, nm);
    if (t.rfind("Reduce", 0) == 0) return reduce(n, nm);
    if (t == "MaxPool" || t == "AveragePool") return pool(n, nm);
    if (t == "GlobalAveragePool" || t == "GlobalMaxPool") {
      const Shape s = in(n, 0);
      if (s.size() != 4) fail(fmt::format("{} '{}' expects a 4-D input", t, printable(nm)));
      out(n, 0, {s[0], s[1], 1, 1});
      b_->global_pool(nm, 1, s[1], s[2], s[3]).type = t;
      return;
    }
    if (t == "Transpose") return transpose(n, nm);
    if (t == "Concat") return concat(n, nm);
    if (t == "Split") return split(n, nm);
    if (t == "Slice") return slice(n, nm);
    if (t == "Gather") return gather(n, nm);
    if (t == "Resize" || t == "Upsample") return resize(n, nm);
    if (t == "Expand" || t == "Tile" || t == "Pad") return expand(n, nm);
    return view(n, nm);
  }

  void constant(const onnx::NodeProto& n) {
    Shape s;
    std::vector<double> v;
    bool known = false;
    if (const auto* a = attr(n, "value")) {
      s.assign(a->t().dims().begin(), a->t().dims().end());
      known = elems(s) <= 64 && tensor_values(a->t(), v);
    } else if (const auto* ai = attr(n, "value_int")) {
      v = {static_cast<double>(ai->i())};
      known = true;
    } else if (const auto* ais = attr(n, "value_ints")) {
      for (auto x : ais->ints()) v.push_back(static_cast<double>(x));
      s = {static_cast<long long>(v.size())};
      known = true;
    } else if (const auto* af = attr(n, "value_float")) {
      v = {af->f()};
      known = true;
    } else if (const auto* afs = attr(n, "value_floats")) {
      for (auto x : afs->floats()) v.push_back(x);
      s = {static_cast<long long>(v.size())};
      known = true;
    } else {
      fail(fmt::format("Constant node '{}' has no supported value attribute", printable(n.name())),
           "value, value_int(s) or value_float(s)");
    }
    out(n, 0, s);
    if (known && n.output_size() > 0) consts_[n.output(0)] = v;
  }

  void conv(const onnx::NodeProto& n, const std::string& nm) {
    const Shape x = in(n, 0), w = in(n, 1);
    if (x.size() != 4 || w.size() != 4)
      throw core::Unsupported(
          Location{file_, 0, 0, ""},
          fmt::format("Conv node '{}' has a {}-D input: only 2-D convolutions are modelled", printable(nm), x.size()),
          "1-D and 3-D convolutions are not priced yet");
    const long long g = iattr(n, "group", 1);
    const Shape st = iattrs(n, "strides", {1, 1}), dil = iattrs(n, "dilations", {1, 1});
    Shape pads = iattrs(n, "pads", {0, 0, 0, 0});
    if (g < 1 || x[1] % g != 0 || w[0] % g != 0 || w[1] * g != x[1] || st.size() != 2 || dil.size() != 2 || pads.size() != 4 ||
        st[0] < 1 || st[1] < 1 || dil[0] < 1 || dil[1] < 1 || w[2] < 1 || w[3] < 1)
      fail(fmt::format("Conv node '{}': inconsistent weights, groups, strides, dilations or pads", printable(nm)));
    const long long keh = dil[0] * (w[2] - 1) + 1, kew = dil[1] * (w[3] - 1) + 1;
    const std::string ap = attr(n, "auto_pad") ? attr(n, "auto_pad")->s() : "NOTSET";
    if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
      for (int d = 0; d < 2; ++d) {
        const long long o = (x[2 + d] + st[d] - 1) / st[d];
        const long long total = std::max<long long>(0, (o - 1) * st[d] + (d == 0 ? keh : kew) - x[2 + d]);
        pads[d] = ap == "SAME_UPPER" ? total / 2 : total - total / 2;
        pads[2 + d] = total - pads[d];
      }
    } else if (ap == "VALID") {
      pads = {0, 0, 0, 0};
    }
    const long long ho = (x[2] + pads[0] + pads[2] - keh) / st[0] + 1, wo = (x[3] + pads[1] + pads[3] - kew) / st[1] + 1;
    if (ho < 1 || wo < 1) fail(fmt::format("Conv node '{}': the kernel is larger than the padded input", printable(nm)));
    Op& o = b_->conv(nm, 1, x[1], x[2], x[3], w[0], w[2], w[3], st[0], pads[0], pads[1], g, has_in(n, 2), dil[0]);
    o.type = "Conv";
    // Asymmetric padding: the output size from the actual pads.
    o.h_out = ho;
    o.w_out = wo;
    o.m = static_cast<double>(ho * wo);
    o.flops = 2.0 * o.m * o.n * o.k * o.batch;
    o.out_elems = static_cast<double>(w[0] * ho * wo);
    o.rows = ho;
    o.splittable = ho > 1;
    out(n, 0, {x[0], w[0], ho, wo});
  }

  void gemm(const onnx::NodeProto& n, const std::string& nm) {
    const Shape a = in(n, 0), bb = in(n, 1);
    if (a.size() != 2 || bb.size() != 2) fail(fmt::format("Gemm node '{}' expects 2-D inputs", printable(nm)));
    const bool ta = iattr(n, "transA", 0) != 0, tb = iattr(n, "transB", 0) != 0;
    const long long M = ta ? a[1] : a[0], K = ta ? a[0] : a[1], K2 = tb ? bb[1] : bb[0], N = tb ? bb[0] : bb[1];
    if (K != K2) fail(fmt::format("Gemm node '{}': inner dimensions {} and {} differ", printable(nm), K, K2));
    out(n, 0, {M, N});
    if (!is_activation(n.input(1))) {
      Op& o = b_->linear(nm, 1, 1, K, N, has_in(n, 2));
      o.m = ps(static_cast<double>(M));
      o.flops = 2.0 * o.m * o.n * o.k;
      o.in_elems = o.m * static_cast<double>(K);
      o.out_elems = o.m * static_cast<double>(N);
      o.saved_elems = o.in_elems;
      o.splittable = false;  // rows are samples after flattening
      o.type = "Gemm";
    } else {
      b_->matmul(nm, 1, 1, ps(static_cast<double>(M)), static_cast<double>(K), static_cast<double>(N)).type = "Gemm";
    }
  }

  void matmul(const onnx::NodeProto& n, const std::string& nm) {
    Shape a = in(n, 0), bb = in(n, 1);
    if (a.empty() || bb.empty()) fail(fmt::format("MatMul node '{}' has a scalar input", printable(nm)));
    const bool a1 = a.size() == 1, b1 = bb.size() == 1;
    if (a1) a.insert(a.begin(), 1);
    if (b1) bb.push_back(1);
    const long long M = a[a.size() - 2], K = a.back(), K2 = bb[bb.size() - 2], N = bb.back();
    if (K != K2) fail(fmt::format("MatMul node '{}': inner dimensions {} and {} differ", printable(nm), K, K2));
    Shape ba(a.begin(), a.end() - 2), bbb(bb.begin(), bb.end() - 2), batch;
    const std::size_t r = std::max(ba.size(), bbb.size());
    ba.insert(ba.begin(), r - ba.size(), 1);
    bbb.insert(bbb.begin(), r - bbb.size(), 1);
    for (std::size_t i = 0; i < r; ++i) {
      if (ba[i] != bbb[i] && ba[i] != 1 && bbb[i] != 1)
        fail(fmt::format("MatMul node '{}': batch dimensions differ", printable(nm)));
      batch.push_back(std::max(ba[i], bbb[i]));
    }
    Shape o = batch;
    if (!a1) o.push_back(M);
    if (!b1) o.push_back(N);
    out(n, 0, o);
    if (!is_activation(n.input(1)) && bbb == Shape(r, 1)) {
      // Activations times a weight matrix: a token-wise linear layer.
      const double tokens = ps(elems(batch) * static_cast<double>(M));
      Op& op = b_->linear(nm, 1, 1, K, N, false);
      op.m = tokens;
      op.flops = 2.0 * tokens * static_cast<double>(K) * static_cast<double>(N);
      op.in_elems = tokens * static_cast<double>(K);
      op.out_elems = tokens * static_cast<double>(N);
      op.saved_elems = op.in_elems;
      op.rows = a.size() == 3 ? a[1] : 0;
      op.splittable = op.rows > 1;
      op.type = "MatMul";
    } else {
      Op& op = b_->matmul(nm, 1, ps(elems(batch)), static_cast<double>(M), static_cast<double>(K), static_cast<double>(N));
      op.rows = M;
    }
  }

  // Element-wise operators; on constant shape tensors they are free bookkeeping.
  void eltwise(const onnx::NodeProto& n, const std::string& nm) {
    const std::string& t = n.op_type();
    const Shape s = kUnary.count(t) ? in(n, 0) : broadcast(n);
    out(n, 0, s);
    int act = 0;
    bool all_const = true;
    for (int k = 0; k < n.input_size(); ++k) {
      if (n.input(k).empty()) continue;
      if (!consts_.count(n.input(k))) all_const = false;
      if (is_activation(n.input(k))) ++act;
    }
    if (all_const) {
      fold(n, s);
      b_->view(nm, t, 1, 0);
      return;
    }
    const double e = ps(elems(s));
    const bool keeps_inputs =
        t == "Mul" || t == "Div" || t == "Pow" || t == "Max" || t == "Min" || t == "Where" || t == "PRelu" || kUnary.count(t);
    const double saved = t == "Cast" || t == "Neg" ? 0.0 : (keeps_inputs ? e * std::max(1, act) : 0.0);
    b_->eltwise(nm, t, 1, e, std::max(1, act), saved, rows_of(s));
  }

  // Constant folding of the shape arithmetic torch.onnx emits (Add/Sub/Mul/Div/Cast...).
  void fold(const onnx::NodeProto& n, const Shape& s) {
    if (n.output_size() == 0 || elems(s) > 64) return;
    const std::string& t = n.op_type();
    const auto* x = cval(n, 0);
    if (!x) return;
    if (t == "Cast" || t == "Identity") {
      consts_[n.output(0)] = *x;
      return;
    }
    const auto* y = cval(n, 1);
    if (!y || kUnary.count(t)) return;
    const auto* z = cval(n, 2);
    if (t == "Where" && !z) return;
    const std::size_t len = static_cast<std::size_t>(elems(s));
    auto at = [](const std::vector<double>& a, std::size_t i) {
      return a.empty() ? 0.0 : a[a.size() == 1 ? 0 : std::min(i, a.size() - 1)];
    };
    std::vector<double> v(len);
    for (std::size_t i = 0; i < len; ++i) {
      const double p = at(*x, i), q = at(*y, i);
      if (t == "Add")
        v[i] = p + q;
      else if (t == "Sub")
        v[i] = p - q;
      else if (t == "Mul")
        v[i] = p * q;
      else if (t == "Div")
        v[i] = q != 0 ? std::trunc(p / q) : 0;
      else if (t == "Equal")
        v[i] = p == q ? 1 : 0;
      else if (t == "Less")
        v[i] = p < q ? 1 : 0;
      else if (t == "Greater")
        v[i] = p > q ? 1 : 0;
      else if (t == "Where")
        v[i] = p != 0 ? q : at(*z, i);
      else
        return;
    }
    consts_[n.output(0)] = v;
  }

  void batch_norm(const onnx::NodeProto& n, const std::string& nm) {
    const Shape x = in(n, 0);
    if (x.size() < 2) fail(fmt::format("BatchNormalization '{}' expects at least 2-D input", printable(nm)));
    out(n, 0, x);
    out(n, 1, {x[1]});
    out(n, 2, {x[1]});
    for (int k = 3; k < 5 && k < n.input_size(); ++k) bn_stats_.insert(n.input(k));
    const long long h = x.size() >= 3 ? x[2] : 1;
    const long long w = x.size() >= 4 ? static_cast<long long>(elems(Shape(x.begin() + 3, x.end()))) : 1;
    b_->batch_norm(nm, 1, x[1], h, w);
  }

  void layer_norm(const onnx::NodeProto& n, const std::string& nm) {
    const Shape x = in(n, 0);
    out(n, 0, x);
    long long axis = n.op_type() == "InstanceNormalization" ? 2 : axis_of(iattr(n, "axis", -1), x.size(), n);
    axis = std::min<long long>(axis, static_cast<long long>(x.size()));
    Shape stat(x.begin(), x.begin() + axis);
    stat.resize(x.size(), 1);
    out(n, 1, stat);
    out(n, 2, stat);
    const double tokens = ps(elems(Shape(x.begin(), x.begin() + axis))), width = elems(Shape(x.begin() + axis, x.end()));
    Op& o = b_->layer_norm(nm, 1, 1, 1, false);
    const double e = tokens * width;
    o.in_elems = o.out_elems = e;
    o.fwd_elems = 2.0 * e;
    o.bwd_elems = 4.0 * e;
    o.saved_elems = e;
    o.rows = rows_of(x);
    o.splittable = o.rows > 1 && axis >= 2;
    o.type = n.op_type();
  }

  void reduce(const onnx::NodeProto& n, const std::string& nm) {
    const Shape x = in(n, 0);
    Shape axes = iattrs(n, "axes", {});
    if (axes.empty() && has_in(n, 1)) {
      const auto* v = cval(n, 1);
      if (!v) fail(fmt::format("{} '{}': its axes are computed at run time", n.op_type(), printable(nm)), "constant axes");
      for (double a : *v) axes.push_back(static_cast<long long>(a));
    }
    const bool keep = iattr(n, "keepdims", 1) != 0;
    std::set<long long> ax;
    for (auto a : axes) ax.insert(axis_of(a, x.size(), n));
    if (axes.empty() && iattr(n, "noop_with_empty_axes", 0) == 0)
      for (std::size_t i = 0; i < x.size(); ++i) ax.insert(static_cast<long long>(i));
    Shape o;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (ax.count(static_cast<long long>(i))) {
        if (keep) o.push_back(1);
      } else
        o.push_back(x[i]);
    }
    out(n, 0, o);
    Op& op = b_->copy(nm, n.op_type(), 1, ps(elems(x)), 0);
    op.out_elems = ps(elems(o));
    op.fwd_elems = op.in_elems + op.out_elems;
    op.bwd_elems = op.in_elems + op.out_elems;
    op.kind = OpKind::eltwise;
  }

  void pool(const onnx::NodeProto& n, const std::string& nm) {
    const Shape x = in(n, 0);
    if (x.size() != 4)
      throw core::Unsupported(Location{file_, 0, 0, ""},
                              fmt::format("{} '{}': only 2-D pooling is modelled", n.op_type(), printable(nm)));
    const Shape k = iattrs(n, "kernel_shape", {}), st = iattrs(n, "strides", {1, 1});
    Shape pads = iattrs(n, "pads", {0, 0, 0, 0});
    const bool ceil_mode = iattr(n, "ceil_mode", 0) != 0;
    if (k.size() != 2 || st.size() != 2 || pads.size() != 4 || k[0] < 1 || k[1] < 1 || st[0] < 1 || st[1] < 1)
      fail(fmt::format("{} '{}': kernel_shape, strides or pads are not 2-D", n.op_type(), printable(nm)));
    const std::string ap = attr(n, "auto_pad") ? attr(n, "auto_pad")->s() : "NOTSET";
    if (ap == "SAME_UPPER" || ap == "SAME_LOWER")
      for (int d = 0; d < 2; ++d) {
        const long long o = (x[2 + d] + st[d] - 1) / st[d];
        const long long total = std::max<long long>(0, (o - 1) * st[d] + k[d] - x[2 + d]);
        pads[d] = ap == "SAME_UPPER" ? total / 2 : total - total / 2;
        pads[2 + d] = total - pads[d];
      }
    auto dim = [&](int d) {
      const double v = static_cast<double>(x[2 + d] + pads[d] + pads[2 + d] - k[d]) / static_cast<double>(st[d]);
      return static_cast<long long>(ceil_mode ? std::ceil(v) : std::floor(v)) + 1;
    };
    const long long ho = dim(0), wo = dim(1);
    if (ho < 1 || wo < 1) fail(fmt::format("{} '{}': the window is larger than the padded input", n.op_type(), printable(nm)));
    Op& o = b_->pool(nm, n.op_type(), 1, x[1], x[2], x[3], k[0], st[0], pads[0], n.op_type() == "MaxPool");
    o.kw = k[1];
    o.h_out = ho;
    o.w_out = wo;
    o.out_elems = static_cast<double>(x[1] * ho * wo);
    o.saved_elems = n.op_type() == "MaxPool" ? o.in_elems + o.out_elems : 0.0;
    o.fwd_elems = o.in_elems + o.out_elems;
    o.bwd_elems = o.in_elems + o.out_elems + o.saved_elems;
    o.rows = ho;
    o.splittable = ho > 1;
    out(n, 0, {x[0], x[1], ho, wo});
    if (n.output_size() > 1) out(n, 1, {x[0], x[1], ho, wo});
  }

  void transpose(const onnx::NodeProto& n, const std::string& nm) {
    const Shape x = in(n, 0);
    Shape perm = iattrs(n, "perm", {});
    if (perm.empty())
      for (std::size_t i = x.size(); i-- > 0;) perm.push_back(static_cast<long long>(i));
    if (perm.size() != x.size()) fail(fmt::format("Transpose '{}': perm does not match the rank", printable(nm)));
    Shape o;
    for (auto p : perm) o.push_back(x[static_cast<std::size_t>(axis_of(p, x.size(), n))]);
    out(n, 0, o);
    b_->copy(nm, "Transpose", 1, ps(elems(x)), rows_of(o));
  }

  void concat(const onnx::NodeProto& n, const std::string& nm) {
    const Shape first = in(n, 0);
    const long long axis = axis_of(iattr(n, "axis", 0), first.size(), n);
    Shape o = first;
    o[static_cast<std::size_t>(axis)] = 0;
    std::vector<double> folded;
    bool all_const = true;
    for (int k = 0; k < n.input_size(); ++k) {
      const Shape& s = in(n, k);
      if (s.size() != first.size()) fail(fmt::format("Concat '{}': inputs of different rank", printable(nm)));
      o[static_cast<std::size_t>(axis)] += s[static_cast<std::size_t>(axis)];
      const auto* v = cval(n, k);
      if (v)
        folded.insert(folded.end(), v->begin(), v->end());
      else
        all_const = false;
    }
    out(n, 0, o);
    if (all_const && first.size() <= 1 && n.output_size() > 0) {
      consts_[n.output(0)] = folded;
      b_->view(nm, "Concat", 1, 0);
      return;
    }
    b_->copy(nm, "Concat", 1, ps(elems(o)), rows_of(o));
  }

  void split(const onnx::NodeProto& n, const std::string& nm) {
    const Shape x = in(n, 0);
    const long long axis = axis_of(iattr(n, "axis", 0), x.size(), n);
    Shape parts = iattrs(n, "split", {});
    if (parts.empty() && has_in(n, 1)) {
      const auto* v = cval(n, 1);
      if (!v) fail(fmt::format("Split '{}': its sizes are computed at run time", printable(nm)), "constant split sizes");
      for (double d : *v) parts.push_back(static_cast<long long>(d));
    }
    const long long dim = x[static_cast<std::size_t>(axis)];
    if (parts.empty()) {
      const long long k = std::max(1, n.output_size());
      for (long long i = 0; i < k; ++i) parts.push_back((dim + k - 1) / k - (i == k - 1 ? (dim + k - 1) / k * k - dim : 0));
    }
    long long sum = 0;
    for (int k = 0; k < n.output_size() && k < static_cast<int>(parts.size()); ++k) {
      Shape o = x;
      o[static_cast<std::size_t>(axis)] = parts[static_cast<std::size_t>(k)];
      sum += parts[static_cast<std::size_t>(k)];
      out(n, k, o);
    }
    if (sum != dim) fail(fmt::format("Split '{}': parts add up to {}, not {}", printable(nm), sum, dim));
    b_->copy(nm, "Split", 1, ps(elems(x)), rows_of(x));
  }

  void slice(const onnx::NodeProto& n, const std::string& nm) {
    const Shape x = in(n, 0);
    std::vector<double> starts, ends, axes, steps;
    auto get = [&](int k, const char* a, std::vector<double>& v) {
      if (has_in(n, k)) {
        const auto* c = cval(n, k);
        if (!c)
          fail(fmt::format("Slice '{}': its bounds are computed at run time", printable(nm)),
               "constant bounds (export with fixed sizes)");
        v = *c;
      } else if (attr(n, a)) {
        for (auto i : attr(n, a)->ints()) v.push_back(static_cast<double>(i));
      }
    };
    get(1, "starts", starts);
    get(2, "ends", ends);
    get(3, "axes", axes);
    get(4, "steps", steps);
    if (starts.size() != ends.size()) fail(fmt::format("Slice '{}': starts and ends differ in length", printable(nm)));
    Shape o = x;
    std::vector<long long> lo(x.size(), 0), step(x.size(), 1);
    for (std::size_t i = 0; i < starts.size(); ++i) {
      const long long ax = axis_of(axes.size() > i ? static_cast<long long>(axes[i]) : static_cast<long long>(i), x.size(), n);
      const double d = static_cast<double>(x[static_cast<std::size_t>(ax)]);
      const double st = steps.size() > i ? steps[i] : 1;
      if (st == 0) fail(fmt::format("Slice '{}': step 0", printable(nm)));
      auto clampi = [&](double v, double lo_, double hi_) {
        v = v < 0 ? v + d : v;
        return std::clamp(v, lo_, hi_);
      };
      double len;
      if (st > 0) {
        const double s0 = clampi(starts[i], 0, d), e0 = clampi(ends[i], 0, d);
        len = std::max(0.0, std::ceil((e0 - s0) / st));
        lo[static_cast<std::size_t>(ax)] = static_cast<long long>(s0);
      } else {
        const double s0 = clampi(starts[i], -1, d - 1), e0 = clampi(ends[i], -1, d - 1);
        len = std::max(0.0, std::ceil((e0 - s0) / st));
      }
      step[static_cast<std::size_t>(ax)] = static_cast<long long>(st);
      o[static_cast<std::size_t>(ax)] = static_cast<long long>(len);
    }
    out(n, 0, o);
    const auto* v = cval(n, 0);
    if (v && x.size() == 1 && n.output_size() > 0 && step[0] > 0) {
      std::vector<double> r;
      for (long long i = 0; i < o[0]; ++i) {
        const auto idx = static_cast<std::size_t>(lo[0] + i * step[0]);
        if (idx < v->size()) r.push_back((*v)[idx]);
      }
      consts_[n.output(0)] = r;
      b_->view(nm, "Slice", 1, 0);
      return;
    }
    b_->copy(nm, "Slice", 1, ps(elems(o)), rows_of(o));
  }

  void gather(const onnx::NodeProto& n, const std::string& nm) {
    const Shape x = in(n, 0), idx = in(n, 1);
    const long long axis = axis_of(iattr(n, "axis", 0), x.size(), n);
    Shape o(x.begin(), x.begin() + axis);
    o.insert(o.end(), idx.begin(), idx.end());
    o.insert(o.end(), x.begin() + axis + 1, x.end());
    out(n, 0, o);
    const auto* v = cval(n, 0);
    const auto* iv = cval(n, 1);
    if (v && iv && x.size() == 1 && n.output_size() > 0) {
      std::vector<double> r;
      for (double i : *iv) {
        long long k = static_cast<long long>(i);
        if (k < 0) k += x[0];
        if (k < 0 || k >= static_cast<long long>(v->size())) fail(fmt::format("Gather '{}': index out of range", printable(nm)));
        r.push_back((*v)[static_cast<std::size_t>(k)]);
      }
      consts_[n.output(0)] = r;
      b_->view(nm, "Gather", 1, 0);
      return;
    }
    if (!is_activation(n.input(0)) || !is_activation(n.input(1))) {
      if (consts_.count(n.input(0)) || elems(o) <= 64) {
        b_->view(nm, "Gather", 1, 0);
        return;
      }
    }
    b_->copy(nm, "Gather", 1, ps(elems(o)), rows_of(o));
  }

  void resize(const onnx::NodeProto& n, const std::string& nm) {
    const Shape x = in(n, 0);
    Shape o = x;
    const std::vector<double>* sizes = n.op_type() == "Resize" ? cval(n, 3) : nullptr;
    const std::vector<double>* scales = n.op_type() == "Resize" ? cval(n, 2) : cval(n, 1);
    if (sizes && sizes->size() == x.size()) {
      for (std::size_t i = 0; i < x.size(); ++i) o[i] = static_cast<long long>((*sizes)[i]);
    } else if (scales && scales->size() == x.size()) {
      for (std::size_t i = 0; i < x.size(); ++i)
        o[i] = static_cast<long long>(std::floor(static_cast<double>(x[i]) * (*scales)[i]));
    } else {
      fail(fmt::format("{} '{}': its scales or sizes are computed at run time", n.op_type(), printable(nm)),
           "constant scales or sizes");
    }
    out(n, 0, o);
    if (x.size() == 4)
      b_->resize(nm, 1, x[1], x[2], x[3], o[2], o[3]);
    else
      b_->copy(nm, n.op_type(), 1, ps(elems(o)), rows_of(o)).kind = OpKind::resize;
  }

  void expand(const onnx::NodeProto& n, const std::string& nm) {
    const Shape x = in(n, 0);
    const std::string& t = n.op_type();
    Shape o = x;
    const auto* v = cval(n, 1);
    if (t != "Pad" && !v) fail(fmt::format("{} '{}': its target is computed at run time", t, printable(nm)), "a constant shape");
    if (t == "Expand") {
      Shape target;
      for (double d : *v) target.push_back(static_cast<long long>(d));
      const std::size_t r = std::max(o.size(), target.size());
      o.insert(o.begin(), r - o.size(), 1);
      target.insert(target.begin(), r - target.size(), 1);
      for (std::size_t i = 0; i < r; ++i) o[i] = std::max(o[i], target[i]);
    } else if (t == "Tile") {
      if (v->size() != x.size()) fail(fmt::format("Tile '{}': repeats do not match the rank", printable(nm)));
      for (std::size_t i = 0; i < x.size(); ++i) o[i] = x[i] * static_cast<long long>((*v)[i]);
    } else {  // Pad
      Shape pads = iattrs(n, "pads", {});
      if (pads.empty() && v)
        for (double d : *v) pads.push_back(static_cast<long long>(d));
      if (pads.size() != 2 * x.size())
        fail(fmt::format("Pad '{}': pads must hold 2 x rank values", printable(nm)), "constant pads");
      for (std::size_t i = 0; i < x.size(); ++i) o[i] = x[i] + pads[i] + pads[i + x.size()];
    }
    out(n, 0, o);
    b_->copy(nm, t, 1, ps(elems(o)), rows_of(o));
  }

  // Reshape, Flatten, Squeeze, Unsqueeze, Identity, Shape, ConstantOfShape, Size: no data moved.
  void view(const onnx::NodeProto& n, const std::string& nm) {
    const std::string& t = n.op_type();
    Shape o;
    const Shape x = t == "ConstantOfShape" ? Shape{} : in(n, 0);
    const auto* xv = t == "ConstantOfShape" ? nullptr : cval(n, 0);
    std::vector<double> folded;
    bool fold_ok = false;
    if (t == "Flatten") {
      const long long axis = axis_of(iattr(n, "axis", 1), x.size() + 1, n);
      o = {static_cast<long long>(elems(Shape(x.begin(), x.begin() + axis))),
           static_cast<long long>(elems(Shape(x.begin() + axis, x.end())))};
    } else if (t == "Reshape") {
      const auto* v = cval(n, 1);
      if (!v)
        fail(fmt::format("Reshape '{}': its target shape is computed at run time", printable(nm)),
             "a constant target shape (torch.onnx.export with do_constant_folding=True and fixed input sizes)");
      const bool allowzero = iattr(n, "allowzero", 0) != 0;
      long long infer = -1;
      double known = 1;
      for (std::size_t i = 0; i < v->size(); ++i) {
        long long d = static_cast<long long>((*v)[i]);
        if (d == 0 && !allowzero) {
          if (i >= x.size()) fail(fmt::format("Reshape '{}': 0 copies a dimension the input lacks", printable(nm)));
          d = x[i];
        }
        if (d == -1) {
          if (infer >= 0) fail(fmt::format("Reshape '{}': more than one -1", printable(nm)));
          infer = static_cast<long long>(i);
          o.push_back(1);
          continue;
        }
        if (d < 0) fail(fmt::format("Reshape '{}': negative dimension {}", printable(nm), d));
        known *= static_cast<double>(d);
        o.push_back(d);
      }
      if (infer >= 0) o[static_cast<std::size_t>(infer)] = known > 0 ? static_cast<long long>(elems(x) / known) : 0;
      if (elems(o) != elems(x))
        fail(fmt::format("Reshape '{}': {} elements cannot become {}", printable(nm), elems(x), elems(o)));
      if (xv) {
        folded = *xv;
        fold_ok = true;
      }
    } else if (t == "Squeeze" || t == "Unsqueeze") {
      Shape axes = iattrs(n, "axes", {});
      if (axes.empty() && has_in(n, 1)) {
        const auto* v = cval(n, 1);
        if (!v) fail(fmt::format("{} '{}': its axes are computed at run time", t, printable(nm)), "constant axes");
        for (double a : *v) axes.push_back(static_cast<long long>(a));
      }
      if (t == "Squeeze") {
        std::set<long long> ax;
        for (auto a : axes) ax.insert(axis_of(a, x.size(), n));
        for (std::size_t i = 0; i < x.size(); ++i)
          if (!(ax.empty() ? x[i] == 1 : ax.count(static_cast<long long>(i)) > 0)) o.push_back(x[i]);
      } else {
        const std::size_t r = x.size() + axes.size();
        std::set<long long> ax;
        for (auto a : axes) ax.insert(axis_of(a, r, n));
        std::size_t j = 0;
        for (std::size_t i = 0; i < r; ++i) o.push_back(ax.count(static_cast<long long>(i)) ? 1 : (j < x.size() ? x[j++] : 1));
      }
      if (xv) {
        folded = *xv;
        fold_ok = true;
      }
    } else if (t == "Identity") {
      o = x;
      if (xv) {
        folded = *xv;
        fold_ok = true;
      }
    } else if (t == "Shape") {
      const long long r = static_cast<long long>(x.size());
      long long s0 = iattr(n, "start", 0), e0 = iattr(n, "end", r);
      s0 = std::clamp(s0 < 0 ? s0 + r : s0, 0LL, r);
      e0 = std::clamp(e0 < 0 ? e0 + r : e0, 0LL, r);
      for (long long i = s0; i < e0; ++i) folded.push_back(static_cast<double>(x[static_cast<std::size_t>(i)]));
      o = {static_cast<long long>(folded.size())};
      fold_ok = true;
    } else if (t == "Size") {
      folded = {elems(x)};
      fold_ok = true;
    } else {  // ConstantOfShape
      const auto* v = cval(n, 0);
      if (!v) fail(fmt::format("ConstantOfShape '{}': its shape is computed at run time", printable(nm)), "a constant shape");
      for (double d : *v) o.push_back(static_cast<long long>(d));
      double value = 0;
      if (const auto* a = attr(n, "value")) {
        std::vector<double> tv;
        if (tensor_values(a->t(), tv) && !tv.empty()) value = tv[0];
      }
      if (elems(o) <= 64) {
        folded.assign(static_cast<std::size_t>(elems(o)), value);
        fold_ok = true;
      }
    }
    out(n, 0, o);
    if (fold_ok && n.output_size() > 0) consts_[n.output(0)] = folded;
    b_->view(nm, t, 1, ps(elems(o)));
  }

  const onnx::ModelProto& model_;
  const onnx::GraphProto& g_;
  std::string file_;
  Network net_;
  NetworkBuilder* b_ = nullptr;
  std::unordered_map<std::string, Shape> shapes_;
  std::unordered_map<std::string, std::vector<double>> consts_;
  std::unordered_map<std::string, double> float_init_;
  std::unordered_set<std::string> inits_, counted_, bn_stats_, saved_;
  std::string input_name_;
  long long batch_ = 1;
};

}  // namespace

Network import_onnx_bytes(const std::string& bytes, const std::string& file) {
  onnx::ModelProto model;
  if (bytes.empty())
    throw InputError(Location{file, 0, 0, ""}, "empty ONNX file", "an ONNX model (.onnx), e.g. from torch.onnx.export");
  if (!model.ParseFromString(bytes))
    throw InputError(Location{file, 0, 0, ""}, "malformed ONNX file: not a valid ModelProto (truncated or not ONNX)",
                     "an ONNX model (.onnx), e.g. from torch.onnx.export");
  if (!model.has_graph() || model.graph().node_size() == 0)
    throw InputError(Location{file, 0, 0, ""}, "ONNX file holds no graph nodes (truncated or not ONNX)",
                     "an ONNX model (.onnx) with a graph");
  return Importer(model, file).run();
}

Network import_onnx(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError(Location{path, 0, 0, ""}, "cannot open ONNX file", "an existing, readable .onnx file");
  std::ostringstream ss;
  ss << f.rdbuf();
  return import_onnx_bytes(ss.str(), path);
}

}  // namespace dojosim::workload
