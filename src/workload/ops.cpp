// Closed-form costs of the vision ops (docs/model.md#vision-networks). One instance each;
// FLOPs count 2 per multiply-accumulate of GEMM-like work only.
#include <algorithm>

#include "dojosim/workload/network.hpp"

namespace dojosim::workload {

std::string_view op_kind_name(OpKind k) {
  switch (k) {
    case OpKind::conv: return "conv";
    case OpKind::linear: return "linear";
    case OpKind::matmul: return "matmul";
    case OpKind::attention: return "attention";
    case OpKind::norm: return "norm";
    case OpKind::eltwise: return "eltwise";
    case OpKind::pool: return "pool";
    case OpKind::resize: return "resize";
    case OpKind::copy: return "copy";
    case OpKind::view: return "view";
  }
  return "eltwise";
}

namespace {
double dbl(long long v) { return static_cast<double>(v); }
// Input rows a strip of output rows needs beyond its own input strip, above and below:
// output rows [r0, r1) read input rows [r0*s - p, (r1-1)*s - p + k_eff).
struct Halo {
  long long total, side;
};
Halo halo_for(long long k_eff, long long stride, long long pad) {
  const long long above = std::max<long long>(0, pad);
  const long long below = std::max<long long>(0, k_eff - stride - pad);
  return {above + below, std::max(above, below)};
}
}  // namespace

Op& NetworkBuilder::push(Op op) {
  net_.ops.push_back(std::move(op));
  return net_.ops.back();
}

Op& NetworkBuilder::conv(const std::string& name, double count, long long c_in, long long h, long long w, long long c_out,
                         long long kh, long long kw, long long stride, long long pad_h, long long pad_w, long long groups,
                         bool bias, long long dilation) {
  Op o;
  o.name = name;
  o.type = groups == 1 ? "Conv" : (groups == c_in && groups == c_out ? "DepthwiseConv" : "GroupConv");
  o.kind = OpKind::conv;
  o.count = count;
  o.c_in = c_in;
  o.h_in = h;
  o.w_in = w;
  o.c_out = c_out;
  o.kh = kh;
  o.kw = kw;
  o.stride = stride;
  o.groups = groups;
  const long long kh_eff = dilation * (kh - 1) + 1, kw_eff = dilation * (kw - 1) + 1;
  o.h_out = (h + 2 * pad_h - kh_eff) / stride + 1;
  o.w_out = (w + 2 * pad_w - kw_eff) / stride + 1;
  // Implicit GEMM (Chetlur et al. 2014): M = Ho*Wo per image, N = Cout/g, K = Cin/g*kh*kw, g groups.
  o.m = dbl(o.h_out * o.w_out);
  o.n = dbl(c_out / groups);
  o.k = dbl(c_in / groups * kh * kw);
  o.batch = dbl(groups);
  o.params = dbl(c_out) * dbl(c_in / groups) * dbl(kh * kw) + (bias ? dbl(c_out) : 0.0);
  o.flops = 2.0 * o.m * o.n * o.k * o.batch;
  o.in_elems = dbl(c_in * h * w);
  o.out_elems = dbl(c_out * o.h_out * o.w_out);
  o.saved_elems = o.in_elems;  // the weight gradient needs the input
  o.splittable = o.h_out > 1;
  o.rows = o.h_out;
  const Halo hl = halo_for(kh_eff, stride, pad_h);
  o.halo_rows = hl.total;
  o.halo_side_rows = hl.side;
  o.halo_elems_per_row = dbl(c_in * w);
  return push(std::move(o));
}

Op& NetworkBuilder::linear(const std::string& name, double count, long long tokens, long long d_in, long long d_out, bool bias) {
  Op o;
  o.name = name;
  o.type = "Linear";
  o.kind = OpKind::linear;
  o.count = count;
  o.m = dbl(tokens);
  o.n = dbl(d_out);
  o.k = dbl(d_in);
  o.params = dbl(d_in) * dbl(d_out) + (bias ? dbl(d_out) : 0.0);
  o.flops = 2.0 * o.m * o.n * o.k;
  o.in_elems = dbl(tokens * d_in);
  o.out_elems = dbl(tokens * d_out);
  o.saved_elems = o.in_elems;
  o.splittable = tokens > 1;
  o.rows = tokens;
  return push(std::move(o));
}

Op& NetworkBuilder::matmul(const std::string& name, double count, double batch, double m, double k, double n) {
  Op o;
  o.name = name;
  o.type = "MatMul";
  o.kind = OpKind::matmul;
  o.count = count;
  o.m = m;
  o.n = n;
  o.k = k;
  o.batch = batch;
  o.flops = 2.0 * batch * m * n * k;
  o.in_elems = batch * (m * k + k * n);
  o.out_elems = batch * m * n;
  o.saved_elems = o.in_elems;  // both operands for the two gradients
  o.splittable = m > 1;
  o.rows = static_cast<long long>(m);
  o.gather_elems = batch * k * n;
  return push(std::move(o));
}

Op& NetworkBuilder::attention(const std::string& name, double count, long long q_len, long long kv_len, long long heads,
                              long long head_dim) {
  Op o;
  o.name = name;
  o.type = "Attention";
  o.kind = OpKind::attention;
  o.count = count;
  o.q_len = dbl(q_len);
  o.kv_len = dbl(kv_len);
  o.heads = dbl(heads);
  o.head_dim = dbl(head_dim);
  // Q K^T and softmax(.) V: 2 * (2 q kv d) per head, no causal mask (vision).
  o.flops = 4.0 * o.q_len * o.kv_len * o.heads * o.head_dim;
  o.in_elems = (o.q_len + 2.0 * o.kv_len) * o.heads * o.head_dim;
  o.out_elems = o.q_len * o.heads * o.head_dim;
  // FlashAttention keeps Q, K, V and the fp32 log-sum-exp per query and head (2 elements
  // of 16 bits); O is kept by the output projection that follows.
  o.saved_elems = o.in_elems + 2.0 * o.q_len * o.heads;
  o.splittable = q_len > 1;
  o.rows = q_len;
  o.gather_elems = 2.0 * o.kv_len * o.heads * o.head_dim;
  return push(std::move(o));
}

Op& NetworkBuilder::batch_norm(const std::string& name, double count, long long c, long long h, long long w) {
  Op o;
  o.name = name;
  o.type = "BatchNorm";
  o.kind = OpKind::norm;
  o.count = count;
  o.c_in = o.c_out = c;
  o.h_in = o.h_out = h;
  o.w_in = o.w_out = w;
  const double e = dbl(c * h * w);
  o.params = 2.0 * dbl(c);  // scale and shift (running statistics are buffers)
  o.in_elems = o.out_elems = e;
  // Training-mode batch norm: read x for the statistics, read x and write y; backward
  // reads x and dy for the two reductions, then x and dy again and writes dx.
  o.fwd_elems = 3.0 * e;
  o.bwd_elems = 5.0 * e;
  o.saved_elems = e;
  o.splittable = h > 1;
  o.rows = h;
  o.stats_elems = 2.0 * dbl(c);  // per-channel sum and sum of squares, reduced over a split
  return push(std::move(o));
}

Op& NetworkBuilder::layer_norm(const std::string& name, double count, long long tokens, long long width, bool bias) {
  Op o;
  o.name = name;
  o.type = "LayerNorm";
  o.kind = OpKind::norm;
  o.count = count;
  const double e = dbl(tokens * width);
  o.params = dbl(width) * (bias ? 2.0 : 1.0);
  o.in_elems = o.out_elems = e;
  o.fwd_elems = 2.0 * e;  // one-pass statistics in registers: read x, write y
  o.bwd_elems = 4.0 * e;  // read x and dy (reductions), write dx, read dy again
  o.saved_elems = e;
  o.splittable = tokens > 1;
  o.rows = tokens;
  return push(std::move(o));
}

Op& NetworkBuilder::eltwise(const std::string& name, const std::string& type, double count, double elems, int inputs,
                            double saved, long long rows) {
  Op o;
  o.name = name;
  o.type = type;
  o.kind = OpKind::eltwise;
  o.count = count;
  o.in_elems = elems * inputs;
  o.out_elems = elems;
  o.fwd_elems = elems * (inputs + 1.0);          // read each input, write the output
  o.bwd_elems = elems * (1.0 + inputs) + saved;  // read dy, write each dx, read what was saved
  o.saved_elems = saved;
  o.splittable = rows > 1;
  o.rows = rows;
  return push(std::move(o));
}

Op& NetworkBuilder::pool(const std::string& name, const std::string& type, double count, long long c, long long h, long long w,
                         long long k, long long stride, long long pad, bool max) {
  Op o;
  o.name = name;
  o.type = type;
  o.kind = OpKind::pool;
  o.count = count;
  o.c_in = o.c_out = c;
  o.h_in = h;
  o.w_in = w;
  o.kh = o.kw = k;
  o.stride = stride;
  o.h_out = (h + 2 * pad - k) / stride + 1;
  o.w_out = (w + 2 * pad - k) / stride + 1;
  o.in_elems = dbl(c * h * w);
  o.out_elems = dbl(c * o.h_out * o.w_out);
  // Max pooling backward (cuDNN) reads x, y and dy; average pooling only dy.
  o.saved_elems = max ? o.in_elems + o.out_elems : 0.0;
  o.fwd_elems = o.in_elems + o.out_elems;
  o.bwd_elems = o.out_elems + o.in_elems + o.saved_elems;
  o.splittable = o.h_out > 1;
  o.rows = o.h_out;
  const Halo hl = halo_for(k, stride, pad);
  o.halo_rows = hl.total;
  o.halo_side_rows = hl.side;
  o.halo_elems_per_row = dbl(c * w);
  return push(std::move(o));
}

Op& NetworkBuilder::global_pool(const std::string& name, double count, long long c, long long h, long long w) {
  Op o;
  o.name = name;
  o.type = "GlobalAveragePool";
  o.kind = OpKind::pool;
  o.count = count;
  o.c_in = o.c_out = c;
  o.h_in = h;
  o.w_in = w;
  o.h_out = o.w_out = 1;
  o.in_elems = dbl(c * h * w);
  o.out_elems = dbl(c);
  o.fwd_elems = o.in_elems + o.out_elems;
  o.bwd_elems = o.in_elems + o.out_elems;
  o.splittable = h > 1;
  o.rows = h;
  o.reduce_elems = dbl(c);  // partial sums of a split map are all-reduced
  return push(std::move(o));
}

Op& NetworkBuilder::resize(const std::string& name, double count, long long c, long long h, long long w, long long h_out,
                           long long w_out) {
  Op o;
  o.name = name;
  o.type = "Resize";
  o.kind = OpKind::resize;
  o.count = count;
  o.c_in = o.c_out = c;
  o.h_in = h;
  o.w_in = w;
  o.h_out = h_out;
  o.w_out = w_out;
  o.in_elems = dbl(c * h * w);
  o.out_elems = dbl(c * h_out * w_out);
  o.fwd_elems = o.in_elems + o.out_elems;
  o.bwd_elems = o.in_elems + o.out_elems;
  // Nearest-neighbour resampling by whole factors: a strip maps onto a strip, no halo.
  o.splittable = h_out > 1;
  o.rows = h_out;
  return push(std::move(o));
}

Op& NetworkBuilder::copy(const std::string& name, const std::string& type, double count, double elems, long long rows) {
  Op o;
  o.name = name;
  o.type = type;
  o.kind = OpKind::copy;
  o.count = count;
  o.in_elems = o.out_elems = elems;
  o.fwd_elems = 2.0 * elems;
  o.bwd_elems = 2.0 * elems;
  o.splittable = rows > 1;
  o.rows = rows;
  return push(std::move(o));
}

Op& NetworkBuilder::view(const std::string& name, const std::string& type, double count, double elems) {
  Op o;
  o.name = name;
  o.type = type;
  o.kind = OpKind::view;
  o.count = count;
  o.in_elems = o.out_elems = elems;
  return push(std::move(o));
}

}  // namespace dojosim::workload
