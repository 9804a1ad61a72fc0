// How the engine records what it priced in a Result (internal to the engine module): a
// group and its collectives, each with the cost it was priced at, for every workload
// (transformers in analytical.cpp, vision networks in vision.cpp). Reports read these;
// they never re-price.
#pragma once

#include <algorithm>
#include <cstddef>

#include "dojosim/engine/engine.hpp"

namespace dojosim::engine::detail {

// Records a group and its collectives in `out` (a member of the Result) in place, copying
// only the hops in use: Groups and Costs hold eight hops each (about 1.2 kB and 0.3 kB),
// and building a GroupComm and then assigning it copied each twice per evaluation.
template <class T>
void copy_hops(T& dst, const T& src) {
  const auto used = static_cast<std::size_t>(src.hops);
  for (std::size_t i = used; i < static_cast<std::size_t>(dst.hops); ++i) dst.hop[i] = {};
  std::copy_n(src.hop.begin(), used, dst.hop.begin());
  dst.hops = src.hops;
}
inline void set_traffic(GroupComm::Traffic& t, collective::Op op, double bytes, const collective::Cost& c) {
  t.op = op;
  t.bytes = bytes;
  t.calls = 0;
  t.cost.time = c.time;
  t.cost.algo = c.algo;
  t.cost.path = c.path;
  copy_hops(t.cost, c);
}
inline void record(GroupComm& out, const collective::Group& g, collective::Op op, double bytes, const collective::Cost& c) {
  out.group.size = g.size;
  copy_hops(out.group, g);
  set_traffic(out.traffic[0], op, bytes, c);
  if (out.traffic[1].op != collective::Op::none) out.traffic[1] = {};  // the caller sets a second collective
}

}  // namespace dojosim::engine::detail
