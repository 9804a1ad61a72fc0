// Vision networks (CNNs, ViTs, multi-camera video nets): a list of priced ops with their
// shapes, parameters, FLOPs and activation sizes, per sample.
//
// Contract: a Network is a plain value built by the zoo builders (`build_resnet`,
// `build_vit`, `build_video_net`), by `network_from_yaml`, or by `import_onnx`; every op
// carries closed-form costs for ONE instance, and `count` instances run per sample with
// shared weights (e.g. the backbone runs once per camera and frame of a clip). Costs:
//  - `flops` counts 2 FLOPs per multiply-accumulate of conv, linear, matmul and attention
//    work only (the convention of Megatron-LM and of the "4.1 GMAC = 8.2 GFLOP" ResNet-50
//    figure); element-wise, norm, pooling and copy ops are priced by the bytes they move
//    (`fwd_elems`, `bwd_elems`), not FLOPs. docs/model.md#vision-networks.
//  - `saved_elems` are the elements kept from forward to backward (the autograd view),
//    in the activation dtype.
// Engines read a Network; they never modify it. Spatial partitioning (feature maps split
// along H over `spatial` devices) is described by `rows`, `halo_rows` and `halo_elems_per_row`.
#pragma once

#include <string>
#include <vector>

#include "dojosim/core/config.hpp"
#include "dojosim/workload/saved.hpp"

namespace dojosim::workload {

enum class OpKind {
  conv,       // 2D convolution as an implicit GEMM (groups > 1: grouped; groups == channels: depthwise)
  linear,     // token-wise GEMM with weights ([tokens, in] x [in, out])
  matmul,     // activation x activation batched GEMM (no weights)
  attention,  // fused attention core: softmax(Q K^T) V over q_len queries and kv_len keys
  norm,       // batch norm, layer norm, group norm (memory-bound)
  eltwise,    // activations, residual adds, scaling, softmax (memory-bound)
  pool,       // max / average / global pooling (memory-bound)
  resize,     // upsampling / downsampling by interpolation (memory-bound)
  copy,       // concat, transpose, slice, gather (memory-bound)
  view,       // reshape, flatten, squeeze: no data movement
};
std::string_view op_kind_name(OpKind k);

struct Op {
  std::string name;
  std::string type;  // operator type as written by its source ("Conv", "BatchNorm", "Relu", ...)
  OpKind kind = OpKind::eltwise;
  double count = 1;  // instances per sample sharing these weights
  // Feature-map geometry of one instance (0 when the op does not act on a feature map).
  long long c_in = 0, h_in = 0, w_in = 0, c_out = 0, h_out = 0, w_out = 0;
  long long kh = 1, kw = 1, stride = 1, groups = 1;
  // GEMM view of one instance, per group: M rows, N columns, K reduction; `batch`
  // independent GEMMs (matmul heads, conv groups).
  double m = 0, n = 0, k = 0, batch = 1;
  // Attention core: queries, keys, heads, head width.
  double q_len = 0, kv_len = 0, heads = 0, head_dim = 0;
  double params = 0;                    // trainable parameters (shared by the `count` instances)
  double flops = 0;                     // forward FLOPs of one instance (2 per MAC; 0 for memory-bound ops)
  double in_elems = 0, out_elems = 0;   // activation elements in / out of one instance
  double fwd_elems = 0, bwd_elems = 0;  // elements read + written by forward / backward (memory-bound ops)
  double saved_elems = 0;               // elements kept for the backward pass
  // Spatial partitioning: the op can be split over `rows` (feature-map rows or tokens);
  // a split needs `halo_rows` rows of `halo_elems_per_row` elements from each neighbour.
  bool splittable = false;
  long long rows = 0;
  long long halo_rows = 0;       // rows received from both neighbours together
  long long halo_side_rows = 0;  // rows from the busier side (both sides travel at once)
  double halo_elems_per_row = 0;
  // Under a split, keys/values (attention) or the right operand (matmul) are needed
  // whole on every device: elements all-gathered per instance.
  double gather_elems = 0;
  double stats_elems = 0;   // batch norm: fp32 statistics all-reduced over a split, per kernel
  double reduce_elems = 0;  // global pooling: fp32 partial sums all-reduced over a split, per instance
  // The `count` instances depend on one another (a recurrence over frames): one kernel
  // each, instead of one kernel batching all of them.
  bool sequential = false;
};

// What an op keeps for its backward pass, per instance: its saved elements (split with its
// rows) and, for attention, the scores (per query and key) an unfused kernel keeps.
SavedList op_saved(const Op& o);

struct Network {
  std::string name;
  std::string family = "vision";
  std::string task;              // "classification", "multi-camera video", "imported"
  std::string sample = "image";  // unit of one sample: "image" or "clip"
  std::string source;
  std::vector<long long> input;  // per-sample input shape, e.g. {3, 224, 224}
  std::vector<Op> ops;
  long long default_gbs = 1024;    // global batch (samples) when none is given
  std::vector<std::string> notes;  // assumptions and derived facts, for `show`

  [[nodiscard]] double params() const;
  [[nodiscard]] double forward_flops() const;  // per sample, 2 per MAC
  [[nodiscard]] double forward_macs() const { return forward_flops() / 2.0; }
  [[nodiscard]] double training_flops() const { return 3.0 * forward_flops(); }
  [[nodiscard]] double saved_elems() const;  // activation elements kept per sample
};

// Builds ops with closed-form costs, tracking nothing but what it is told (ops.cpp).
// Every method appends one op and returns a reference to it.
class NetworkBuilder {
 public:
  explicit NetworkBuilder(Network& net) : net_(net) {}
  // Convolution of a C_in x H x W map: padding `pad` on each side, output channels c_out.
  Op& conv(const std::string& name, double count, long long c_in, long long h, long long w, long long c_out, long long kh,
           long long kw, long long stride, long long pad_h, long long pad_w, long long groups, bool bias, long long dilation = 1);
  // Token-wise linear layer: `tokens` rows of width d_in to d_out (splittable over tokens when > 1).
  Op& linear(const std::string& name, double count, long long tokens, long long d_in, long long d_out, bool bias);
  // Activation x activation: `batch` GEMMs [m, k] x [k, n]; `right_gathered` elements needed whole under a split.
  Op& matmul(const std::string& name, double count, double batch, double m, double k, double n);
  Op& attention(const std::string& name, double count, long long q_len, long long kv_len, long long heads, long long head_dim);
  // Norms: batch norm over a C x H x W map, layer norm over `tokens` x `width`.
  Op& batch_norm(const std::string& name, double count, long long c, long long h, long long w);
  Op& layer_norm(const std::string& name, double count, long long tokens, long long width, bool bias = true);
  // Element-wise op over `elems` outputs with `inputs` activation inputs; `saved` elements kept.
  Op& eltwise(const std::string& name, const std::string& type, double count, double elems, int inputs, double saved,
              long long rows = 0);
  Op& pool(const std::string& name, const std::string& type, double count, long long c, long long h, long long w, long long k,
           long long stride, long long pad, bool max);
  Op& global_pool(const std::string& name, double count, long long c, long long h, long long w);
  Op& resize(const std::string& name, double count, long long c, long long h, long long w, long long h_out, long long w_out);
  Op& copy(const std::string& name, const std::string& type, double count, double elems, long long rows = 0);
  Op& view(const std::string& name, const std::string& type, double count, double elems);

 private:
  Op& push(Op op);
  Network& net_;
};

// Zoo builders (zoo.cpp). Shapes follow the cited papers; see docs/vision.md.
struct ResNetConfig {
  std::vector<long long> depths{3, 4, 6, 3};
  std::vector<long long> widths{64, 128, 256, 512};  // bottleneck widths per stage
  long long expansion = 4, image = 224, classes = 1000;
};
Network build_resnet(const std::string& name, const ResNetConfig& c);

struct VitConfig {
  long long image = 224, patch = 16, layers = 24, hidden = 1024, heads = 16, mlp = 4096, classes = 1000;
};
Network build_vit(const std::string& name, const VitConfig& c);

// Multi-camera video network in the spirit of Tesla AI Day 2021/2022 (docs/vision.md).
struct VideoNetConfig {
  long long cameras = 8, height = 960, width = 1280, frames = 8;
  std::vector<long long> stage_widths{32, 64, 128, 256, 512};  // RegNet stages at strides 4..64
  std::vector<long long> stage_depths{1, 2, 4, 6, 2};
  long long group_width = 16;  // RegNet group width of the 3x3 convs
  long long stem_width = 32;
  long long fpn_channels = 128, fpn_layers = 3;  // BiFPN
  long long bev = 100;                           // BEV grid is bev x bev cells
  long long bev_channels = 256, fusion_layers = 2, fusion_heads = 8;
  long long kv_stride = 32;       // camera features attended by the BEV queries (stride 32 of the image)
  long long temporal_layers = 1;  // spatial RNN (conv-GRU) layers over the frames
  long long heads = 3, head_channels = 64;
};
Network build_video_net(const std::string& name, const VideoNetConfig& c);

// A network described in YAML: {name, family: vision, builder: resnet|vit|video, config: {...}}.
Network network_from_yaml(const core::Reader& r);
// Imports an ONNX model (onnx_import.cpp): every node mapped to a priced op; unsupported
// operators are listed in one core::Unsupported; malformed files are core::InputError.
Network import_onnx(const std::string& path);
Network import_onnx_bytes(const std::string& bytes, const std::string& file);

// Resolved description with derived totals (for `dojosim show model`).
YAML::Node network_to_yaml(const Network& n);

}  // namespace dojosim::workload
