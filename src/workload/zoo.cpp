// Vision zoo builders: ResNet (He et al. 2016, torchvision v1.5), ViT (Dosovitskiy et al.
// 2021) and a multi-camera video network in the spirit of Tesla AI Day 2021/2022
// (docs/vision.md explains every dimension and which ones are our assumptions).
//
// Saved tensors: an op whose output is saved by the op that consumes it (a ReLU before a
// convolution) saves nothing itself, so shared storage is counted once.
#include <fmt/format.h>

#include <cmath>

#include "dojosim/workload/network.hpp"

namespace dojosim::workload {

namespace {
double dbl(long long v) { return static_cast<double>(v); }

struct Map {
  long long c, h, w;
  [[nodiscard]] double elems() const { return dbl(c * h * w); }
};

// conv -> batch norm; returns the output map.
Map conv_bn(NetworkBuilder& b, const std::string& name, double count, Map in, long long c_out, long long k, long long stride,
            long long groups, double conv_saved = -1) {
  Op& cv = b.conv(name + ".conv", count, in.c, in.h, in.w, c_out, k, k, stride, k / 2, k / 2, groups, false);
  if (conv_saved >= 0) cv.saved_elems = conv_saved;
  const Map out{c_out, cv.h_out, cv.w_out};
  b.batch_norm(name + ".bn", count, out.c, out.h, out.w);
  return out;
}

void relu(NetworkBuilder& b, const std::string& name, double count, Map m, bool saved) {
  b.eltwise(name, "Relu", count, m.elems(), 1, saved ? m.elems() : 0.0, m.h);
}
}  // namespace

Network build_resnet(const std::string& name, const ResNetConfig& c) {
  Network net;
  net.name = name;
  net.task = "classification";
  net.sample = "image";
  net.input = {3, c.image, c.image};
  NetworkBuilder b(net);
  Map x{3, c.image, c.image};
  x = conv_bn(b, "stem", 1, x, c.widths.empty() ? 64 : c.widths[0], 7, 2, 1);
  relu(b, "stem.relu", 1, x, false);  // saved by the max pool
  Op& mp = b.pool("stem.maxpool", "MaxPool", 1, x.c, x.h, x.w, 3, 2, 1, true);
  x = Map{x.c, mp.h_out, mp.w_out};
  for (std::size_t s = 0; s < c.depths.size(); ++s) {
    const long long width = c.widths[s], out = width * c.expansion;
    for (long long j = 0; j < c.depths[s]; ++j) {
      const std::string p = fmt::format("layer{}.{}", s + 1, j);
      const long long stride = (j == 0 && s > 0) ? 2 : 1;
      const Map in = x;
      Map y = conv_bn(b, p + ".1", 1, in, width, 1, 1, 1);
      relu(b, p + ".relu1", 1, y, false);
      y = conv_bn(b, p + ".2", 1, y, width, 3, stride, 1);  // torchvision v1.5: stride on the 3x3
      relu(b, p + ".relu2", 1, y, false);
      y = conv_bn(b, p + ".3", 1, y, out, 1, 1, 1);
      if (j == 0) conv_bn(b, p + ".downsample", 1, in, out, 1, stride, 1, 0.0);  // input saved by .1
      b.eltwise(p + ".add", "Add", 1, y.elems(), 2, 0.0, y.h);
      const bool last = s + 1 == c.depths.size() && j + 1 == c.depths[s];
      relu(b, p + ".relu3", 1, y, last);  // else saved by the next block's first conv
      x = y;
    }
  }
  b.global_pool("avgpool", 1, x.c, x.h, x.w);
  b.view("flatten", "Flatten", 1, dbl(x.c));
  Op& fc = b.linear("fc", 1, 1, x.c, c.classes, true);
  fc.splittable = false;
  net.default_gbs = 2048;
  net.notes.push_back("FLOPs count 2 per multiply-accumulate of convolutions and the classifier (docs/model.md#vision-networks)");
  return net;
}

Network build_vit(const std::string& name, const VitConfig& c) {
  Network net;
  net.name = name;
  net.task = "classification";
  net.sample = "image";
  net.input = {3, c.image, c.image};
  NetworkBuilder b(net);
  const long long grid = c.image / c.patch, tokens = grid * grid + 1, h = c.hidden;
  const double th = dbl(tokens * h);
  b.conv("patch_embed", 1, 3, c.image, c.image, h, c.patch, c.patch, c.patch, 0, 0, 1, true);
  b.view("flatten", "Flatten", 1, dbl(grid * grid * h));
  // Class token and learned position embeddings (parameters), added to the patch tokens.
  Op& pos = b.eltwise("pos_embed", "Add", 1, th, 1, 0.0, tokens);
  pos.params = th + dbl(h);
  for (long long l = 0; l < c.layers; ++l) {
    const std::string p = fmt::format("encoder.{}", l);
    b.layer_norm(p + ".ln1", 1, tokens, h);
    b.linear(p + ".qkv", 1, tokens, h, 3 * h, true);
    b.attention(p + ".attn", 1, tokens, tokens, c.heads, h / c.heads);
    b.linear(p + ".proj", 1, tokens, h, h, true);
    b.eltwise(p + ".add1", "Add", 1, th, 2, 0.0, tokens);
    b.layer_norm(p + ".ln2", 1, tokens, h);
    b.linear(p + ".fc1", 1, tokens, h, c.mlp, true);
    b.eltwise(p + ".gelu", "Gelu", 1, dbl(tokens * c.mlp), 1, dbl(tokens * c.mlp), tokens);  // its input; output saved by fc2
    b.linear(p + ".fc2", 1, tokens, c.mlp, h, true);
    b.eltwise(p + ".add2", "Add", 1, th, 2, 0.0, tokens);
  }
  b.layer_norm("ln", 1, tokens, h);
  Op& head = b.linear("head", 1, 1, h, c.classes, true);  // the class token only
  head.splittable = false;
  net.default_gbs = 4096;  // Dosovitskiy et al. 2021, Table 3: batch 4096
  net.notes.push_back("FLOPs count 2 per multiply-accumulate of projections, attention (QK^T, AV) and the classifier");
  return net;
}

Network build_video_net(const std::string& name, const VideoNetConfig& c) {
  Network net;
  net.name = name;
  net.task = "multi-camera video";
  net.sample = "clip";
  net.input = {c.frames, c.cameras, 3, c.height, c.width};
  NetworkBuilder b(net);
  const double per_image = dbl(c.cameras * c.frames);  // backbone and neck instances per clip
  const double per_frame = dbl(c.frames);

  // --- per-camera RegNetY-style backbone (Radosavovic et al. 2020): stem, 5 stages ---
  Map x{3, c.height, c.width};
  x = conv_bn(b, "backbone.stem", per_image, x, c.stem_width, 3, 2, 1);
  relu(b, "backbone.stem.relu", per_image, x, false);
  std::vector<Map> levels;  // stage outputs at strides 4, 8, 16, 32, 64
  for (std::size_t s = 0; s < c.stage_widths.size(); ++s) {
    const long long w = c.stage_widths[s];
    for (long long j = 0; j < c.stage_depths[s]; ++j) {
      const std::string p = fmt::format("backbone.s{}.b{}", s + 1, j);
      const long long stride = j == 0 ? 2 : 1;
      const Map in = x;
      Map y = conv_bn(b, p + ".a", per_image, in, w, 1, 1, 1);
      relu(b, p + ".a.relu", per_image, y, false);
      y = conv_bn(b, p + ".b", per_image, y, w, 3, stride, std::max<long long>(1, w / c.group_width));
      relu(b, p + ".b.relu", per_image, y, false);  // saved by the SE multiply
      // Squeeze-and-excitation (Hu et al. 2018), reduction 1/4 of the block input width.
      const long long se = std::max<long long>(1, in.c / 4);
      b.global_pool(p + ".se.pool", per_image, y.c, y.h, y.w);
      Op& f1 = b.linear(p + ".se.fc1", per_image, 1, w, se, true);
      f1.splittable = false;
      b.eltwise(p + ".se.relu", "Relu", per_image, dbl(se), 1, dbl(se));
      Op& f2 = b.linear(p + ".se.fc2", per_image, 1, se, w, true);
      f2.splittable = false;
      b.eltwise(p + ".se.sigmoid", "Sigmoid", per_image, dbl(w), 1, dbl(w));
      b.eltwise(p + ".se.scale", "Mul", per_image, y.elems(), 2, y.elems(), y.h);
      y = conv_bn(b, p + ".c", per_image, y, w, 1, 1, 1, 0.0);                   // input saved by the SE multiply
      if (j == 0) conv_bn(b, p + ".proj", per_image, in, w, 1, stride, 1, 0.0);  // input saved by .a
      b.eltwise(p + ".add", "Add", per_image, y.elems(), 2, 0.0, y.h);
      relu(b, p + ".relu", per_image, y, false);  // saved by the next conv
      x = y;
    }
    levels.push_back(x);
  }

  // --- BiFPN neck (Tan et al. 2020, EfficientDet) on the stride 8..64 levels ---
  const long long F = c.fpn_channels;
  std::vector<Map> p;
  for (std::size_t l = 1; l < levels.size(); ++l)
    p.push_back(
        conv_bn(b, fmt::format("neck.lateral{}", l), per_image, levels[l], F, 1, 1, 1, l + 1 == levels.size() ? -1 : 0.0));
  // A fusion node: fast normalised weighted sum of the inputs, swish, separable 3x3 conv, BN.
  auto node = [&](const std::string& nm, const Map& m, int inputs) {
    Op& sum = b.eltwise(nm + ".sum", "WeightedSum", per_image, m.elems(), inputs, 0.0, m.h);
    sum.params = inputs;
    b.eltwise(nm + ".swish", "Swish", per_image, m.elems(), 1, m.elems(), m.h);
    b.conv(nm + ".dw", per_image, F, m.h, m.w, F, 3, 3, 1, 1, 1, F, false);
    b.conv(nm + ".pw", per_image, F, m.h, m.w, F, 1, 1, 1, 0, 0, 1, false);
    b.batch_norm(nm + ".bn", per_image, F, m.h, m.w);
  };
  const std::size_t L = p.size();
  for (long long layer = 0; layer < c.fpn_layers; ++layer) {
    std::vector<Map> td = p;
    for (std::size_t l = L - 1; l-- > 0;) {  // top-down
      const std::string nm = fmt::format("neck.bifpn{}.td{}", layer, l);
      b.resize(nm + ".up", per_image, F, td[l + 1].h, td[l + 1].w, p[l].h, p[l].w);
      node(nm, p[l], 2);
    }
    for (std::size_t l = 1; l < L; ++l) {  // bottom-up
      const std::string nm = fmt::format("neck.bifpn{}.bu{}", layer, l);
      b.pool(nm + ".down", "MaxPool", per_image, F, p[l - 1].h, p[l - 1].w, 3, 2, 1, true);
      node(nm, p[l], l + 1 < L ? 3 : 2);
    }
  }

  // --- image-to-BEV transformer: BEV queries attend to all cameras' features ---
  long long level = 0;
  for (long long s = 8; s < c.kv_stride && level + 1 < static_cast<long long>(L); s *= 2) ++level;
  const Map kvm = p[static_cast<std::size_t>(level)];
  const long long cam_tokens = kvm.h * kvm.w, C = c.bev_channels, Q = c.bev * c.bev;
  Op& cam_pos = b.eltwise("fusion.camera_pos", "Add", per_image, kvm.elems(), 1, 0.0, kvm.h);
  cam_pos.params = dbl(c.cameras) * kvm.elems();  // learned per-camera positional encoding
  Op& queries = b.eltwise("fusion.bev_queries", "Add", per_frame, dbl(Q * C), 1, 0.0, Q);
  queries.params = dbl(Q * C);
  for (long long l = 0; l < c.fusion_layers; ++l) {
    const std::string nm = fmt::format("fusion.layer{}", l);
    Op& kv = b.linear(nm + ".kv", per_image, cam_tokens, F, 2 * C, true);
    if (l > 0) kv.saved_elems = 0;  // same camera tokens as layer 0
    b.layer_norm(nm + ".ln_q", per_frame, Q, C);
    b.linear(nm + ".q", per_frame, Q, C, C, true);
    b.attention(nm + ".cross_attn", per_frame, Q, c.cameras * cam_tokens, c.fusion_heads, C / c.fusion_heads);
    b.linear(nm + ".out", per_frame, Q, C, C, true);
    b.eltwise(nm + ".add1", "Add", per_frame, dbl(Q * C), 2, 0.0, Q);
    b.layer_norm(nm + ".ln_mlp", per_frame, Q, C);
    b.linear(nm + ".fc1", per_frame, Q, C, 4 * C, true);
    b.eltwise(nm + ".gelu", "Gelu", per_frame, dbl(Q * 4 * C), 1, dbl(Q * 4 * C), Q);
    b.linear(nm + ".fc2", per_frame, Q, 4 * C, C, true);
    b.eltwise(nm + ".add2", "Add", per_frame, dbl(Q * C), 2, 0.0, Q);
  }
  b.view("fusion.to_grid", "Reshape", per_frame, dbl(Q * C));

  // --- temporal module: a convolutional GRU ("spatial RNN", AI Day 2021) over the frames ---
  const Map g{C, c.bev, c.bev};
  for (long long l = 0; l < c.temporal_layers; ++l) {
    const std::string nm = fmt::format("temporal.gru{}", l);
    const Map g2{2 * C, c.bev, c.bev};
    auto seq = [](Op& o) -> Op& {
      o.sequential = true;
      return o;
    };
    seq(b.copy(nm + ".cat_xh", "Concat", per_frame, g2.elems(), g.h));
    seq(b.conv(nm + ".gates", per_frame, 2 * C, g.h, g.w, 2 * C, 3, 3, 1, 1, 1, 1, true));
    seq(b.eltwise(nm + ".sigmoid", "Sigmoid", per_frame, g2.elems(), 1, g2.elems(), g.h));
    seq(b.eltwise(nm + ".reset", "Mul", per_frame, g.elems(), 2, 2.0 * g.elems(), g.h));
    seq(b.copy(nm + ".cat_xrh", "Concat", per_frame, g2.elems(), g.h));
    seq(b.conv(nm + ".candidate", per_frame, 2 * C, g.h, g.w, C, 3, 3, 1, 1, 1, 1, true));
    seq(b.eltwise(nm + ".tanh", "Tanh", per_frame, g.elems(), 1, g.elems(), g.h));
    seq(b.eltwise(nm + ".update", "GruUpdate", per_frame, g.elems(), 3, 3.0 * g.elems(), g.h));
  }

  // --- task heads on every frame's BEV state (HydraNet-style, several tasks) ---
  for (long long k = 0; k < c.heads; ++k) {
    const std::string nm = fmt::format("head{}", k);
    const Map y = conv_bn(b, nm + ".conv", per_frame, g, C, 3, 1, 1);
    relu(b, nm + ".relu", per_frame, y, false);
    b.conv(nm + ".out", per_frame, C, y.h, y.w, c.head_channels, 1, 1, 1, 0, 0, 1, true);
  }
  net.default_gbs = 512;
  net.notes.push_back(fmt::format("one sample = one clip of {} frames x {} cameras at {}x{} (width x height)", c.frames,
                                  c.cameras, c.width, c.height));
  net.notes.push_back("architecture and every dimension are our assumptions after Tesla AI Day 2021/2022; see docs/vision.md");
  return net;
}

}  // namespace dojosim::workload
