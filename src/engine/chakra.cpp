// Chakra trace replay (include/dojosim/engine/chakra.hpp; docs/model.md#chakra).
#include "dojosim/engine/chakra.hpp"
#include "dojosim/engine/core_gemm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <queue>
#include <set>
#include <tuple>
#include <unordered_map>

#include "dojosim/collective/collective.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"

namespace dojosim::engine {

namespace {

namespace ck = workload::chakra;
using collective::Op;

struct Event {
  double t;
  long long seq;
  int rank;
  int node;
  bool compute_end;  // a compute stream frees up
  int stream;
  bool operator>(const Event& o) const { return t != o.t ? t > o.t : seq > o.seq; }
};

struct Arrival {
  int rank, node;
  double t;
};

class Replay {
 public:
  Replay(const hardware::System& sys, const std::vector<ck::Trace>& ranks, const ck::CommGroups& groups, const ReplayOptions& opt,
         Timeline* tl)
      : sys_(sys), ranks_(ranks), groups_(groups), opt_(opt), tl_(tl) {}

  ReplayResult run();

 private:
  std::string where(int r) const {
    return r < static_cast<int>(opt_.files.size()) ? opt_.files[static_cast<std::size_t>(r)] : fmt::format("rank {}", r);
  }
  core::Location loc(int r, int i) const {
    const auto& n = ranks_[static_cast<std::size_t>(r)].nodes[static_cast<std::size_t>(i)];
    return {where(r), 0, 0, fmt::format("node[{}] (id {})", i, n.id)};
  }
  // A receive that states its size must receive what its send sent (a receive of another
  // size is a different message: MPI truncates or waits, and the trace is inconsistent).
  void check_sizes(int send_rank, int send_node, int recv_rank, int recv_node) const {
    const auto& s = ranks_[static_cast<std::size_t>(send_rank)].nodes[static_cast<std::size_t>(send_node)];
    const auto& v = ranks_[static_cast<std::size_t>(recv_rank)].nodes[static_cast<std::size_t>(recv_node)];
    if (v.comm_size > 0 && v.comm_size != s.comm_size)
      throw core::InputError(
          loc(recv_rank, recv_node),
          fmt::format("receive of {} bytes from rank {} (tag {}) matches a send of {} bytes ({}, {})", v.comm_size, send_rank,
                      v.comm_tag, s.comm_size, where(send_rank), loc(send_rank, send_node).key_path),
          "comm_size equal on the send and its receive (or left out on the receive)");
  }
  const std::vector<int>& members(int r, int i) {
    const auto& n = ranks_[static_cast<std::size_t>(r)].nodes[static_cast<std::size_t>(i)];
    if (n.pg_name.empty()) return all_;
    auto it = groups_.find(n.pg_name);
    if (it == groups_.end())
      throw core::InputError(loc(r, i),
                             fmt::format("process group '{}' is not in the comm-group file", core::printable(n.pg_name)),
                             "a pg_name listed in <prefix>.comm_groups.json", "give the file with --comm-groups");
    if (std::find(it->second.begin(), it->second.end(), r) == it->second.end())
      throw core::InputError(loc(r, i),
                             fmt::format("rank {} is not a member of process group '{}'", r, core::printable(n.pg_name)),
                             "collectives only on groups the rank belongs to");
    return it->second;
  }
  double price_coll(const ck::Node& n, const std::vector<int>& m);
  double price_p2p(int src, int dst, double bytes);
  double compute_time(const ck::Node& n) const;
  void push(double t, int r, int i, bool cend = false, int stream = 0) { q_.push(Event{t, seq_++, r, i, cend, stream}); }
  void ready(int r, int i, double t);
  void done(int r, int i, double t);
  void try_start(int r, int stream, double t);
  void draw(int r, int track, const ck::Node& n, const char* cat, double t0, double t1) {
    if (tl_ == nullptr || r >= opt_.trace_ranks || t1 <= t0) return;
    tl_->events.push_back({n.name.empty() ? ck::name(n.type) : n.name, cat, r * 2 + track, t0, t1 - t0});
  }

  const hardware::System& sys_;
  const std::vector<ck::Trace>& ranks_;
  const ck::CommGroups& groups_;
  const ReplayOptions& opt_;
  Timeline* tl_;
  std::vector<int> all_;
  std::vector<std::unordered_map<std::uint64_t, int>> index_;
  std::vector<std::vector<std::vector<int>>> children_;
  std::vector<std::vector<int>> indeg_;
  std::vector<std::vector<char>> finished_;
  std::vector<std::array<std::deque<int>, 2>> compq_;
  std::vector<std::array<bool, 2>> busy_;
  std::map<std::pair<int, std::string>, long long> coll_count_;
  std::map<std::pair<std::string, long long>, std::vector<Arrival>> rendezvous_;
  std::map<std::tuple<int, int, int>, std::deque<Arrival>> sent_;     // (src, dst, tag) -> sends and their arrival times
  std::map<std::tuple<int, int, int>, std::deque<Arrival>> waiting_;  // receives posted before their data
  std::map<std::tuple<int, long long, long long, double>, double> coll_cache_;
  std::map<std::pair<long long, double>, double> p2p_cache_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> q_;
  long long seq_ = 0;
  bool uneven_ = false;
  ReplayResult res_;
};

// What a compute node's time comes from (the replay's notes count each).
enum class Priced { recorded, work, nothing };
Priced priced_by(const ck::Node& n) {
  if (n.seconds >= 0 || n.duration_micros > 0) return Priced::recorded;
  if (n.num_ops > 0 || n.tensor_size > 0) return Priced::work;
  return Priced::nothing;
}

// dojosim_seconds, else duration_micros, else its work: num_ops at the device's peak x
// large-GEMM efficiency plus tensor_size (the bytes of its memory-bound work) at its memory
// bandwidth, as the analytical engine adds a layer's GEMMs and element-wise kernels.
double Replay::compute_time(const ck::Node& n) const {
  if (n.seconds >= 0) return n.seconds;
  if (n.duration_micros > 0) return static_cast<double>(n.duration_micros) * 1e-6;
  double t = 0.0;
  if (n.num_ops > 0) {
    const auto p = static_cast<std::size_t>(opt_.precision);
    const double eff =
        has_core_model(sys_.device)
            ? core_mesh_gemm(sys_.device, opt_.precision, 8192, 8192, 8192).efficiency  // a large GEMM on the D1's cores
            : (sys_.device.eff.gemm_max[p] > 0 ? sys_.device.eff.gemm_max[p] : 0.7);
    const double rate = sys_.device.peak[p] * std::max(0.05, eff);
    if (rate > 0) t = static_cast<double>(n.num_ops) / rate;
  }
  if (n.tensor_size > 0 && sys_.device.memory_bandwidth() > 0)
    t += static_cast<double>(n.tensor_size) / sys_.device.memory_bandwidth();
  return t;
}

double Replay::price_coll(const ck::Node& n, const std::vector<int>& m) {
  const auto size = static_cast<long long>(m.size());
  if (size <= 1) return 0.0;
  std::vector<int> s(m);
  std::sort(s.begin(), s.end());
  long long stride = s[1] - s[0];
  for (std::size_t i = 2; i < s.size(); ++i)
    if (s[i] - s[i - 1] != stride) {
      uneven_ = true;
      stride = std::max<long long>(1, std::llround(static_cast<double>(s.back() - s.front()) / static_cast<double>(size - 1)));
      break;
    }
  stride = std::max<long long>(1, std::min(stride, sys_.device_count() / size));
  const double bytes = static_cast<double>(n.comm_size);
  const auto key = std::make_tuple(static_cast<int>(n.comm_type), size, stride, bytes);
  if (auto it = coll_cache_.find(key); it != coll_cache_.end()) return it->second;
  const auto g = collective::place_group(sys_, static_cast<int>(size), stride);
  double t = 0;
  switch (n.comm_type) {
    case ck::Comm::all_reduce: t = collective::all_reduce(g, bytes).time; break;
    case ck::Comm::all_gather:
    case ck::Comm::gather:
    case ck::Comm::broadcast: t = collective::all_gather(g, bytes).time; break;
    case ck::Comm::reduce_scatter:
    case ck::Comm::reduce_scatter_block:
    case ck::Comm::reduce:
    case ck::Comm::scatter: t = collective::reduce_scatter(g, bytes).time; break;
    case ck::Comm::all_to_all: t = collective::all_to_all(g, bytes).time; break;
    case ck::Comm::barrier: t = collective::all_reduce(g, 0.0).time; break;
  }
  coll_cache_.emplace(key, t);
  return t;
}

double Replay::price_p2p(int src, int dst, double bytes) {
  const long long stride = std::max(1, std::abs(dst - src));
  const auto key = std::make_pair(stride, bytes);
  if (auto it = p2p_cache_.find(key); it != p2p_cache_.end()) return it->second;
  const auto g = collective::place_group(sys_, 2, std::min(stride, std::max<long long>(1, sys_.device_count() / 2)));
  const double t = collective::send_recv(g, bytes).time;
  p2p_cache_.emplace(key, t);
  return t;
}

void Replay::try_start(int r, int stream, double t) {
  auto& b = busy_[static_cast<std::size_t>(r)][static_cast<std::size_t>(stream)];
  auto& q = compq_[static_cast<std::size_t>(r)][static_cast<std::size_t>(stream)];
  if (b || q.empty()) return;
  const int i = q.front();
  q.pop_front();
  const auto& n = ranks_[static_cast<std::size_t>(r)].nodes[static_cast<std::size_t>(i)];
  const double d = compute_time(n);
  b = true;
  if (stream == 0) res_.per_rank[static_cast<std::size_t>(r)].compute += d;
  draw(r, 0, n, stream == 0 ? "compute" : "cpu", t, t + d);
  push(t + d, r, i, true, stream);
}

void Replay::ready(int r, int i, double t) {
  const auto& n = ranks_[static_cast<std::size_t>(r)].nodes[static_cast<std::size_t>(i)];
  auto& pr = res_.per_rank[static_cast<std::size_t>(r)];
  switch (n.type) {
    case ck::NodeType::comp: {
      const int stream = n.is_cpu_op ? 1 : 0;
      compq_[static_cast<std::size_t>(r)][static_cast<std::size_t>(stream)].push_back(i);
      try_start(r, stream, t);
      return;
    }
    case ck::NodeType::mem_load:
    case ck::NodeType::mem_store: {
      double d = n.seconds >= 0 ? n.seconds : static_cast<double>(n.duration_micros) * 1e-6;
      if (n.seconds < 0 && n.duration_micros == 0 && sys_.device.memory_bandwidth() > 0)
        d = static_cast<double>(n.tensor_size) / sys_.device.memory_bandwidth();
      draw(r, 1, n, "memory", t, t + d);
      push(t + d, r, i);
      return;
    }
    case ck::NodeType::coll: {
      const auto& m = members(r, i);
      const long long k = coll_count_[{r, n.pg_name}]++;
      auto& arr = rendezvous_[{n.pg_name, k}];
      arr.push_back({r, i, t});
      if (arr.size() < m.size()) return;
      double start = 0;
      std::int64_t bytes = 0;
      for (const auto& a : arr) {
        start = std::max(start, a.t);
        const auto& x = ranks_[static_cast<std::size_t>(a.rank)].nodes[static_cast<std::size_t>(a.node)];
        if (x.comm_type != n.comm_type)
          throw core::InputError(loc(a.rank, a.node),
                                 fmt::format("collective {} of process group '{}' is {} here but {} on rank {}", k,
                                             core::printable(n.pg_name), ck::name(x.comm_type), ck::name(n.comm_type), r),
                                 "the same collective, in the same order, on every member");
        bytes = std::max(bytes, x.comm_size);
      }
      ck::Node priced = n;
      priced.comm_size = bytes;
      const double d = price_coll(priced, m);
      ++res_.collectives;
      for (const auto& a : arr) {
        auto& p = res_.per_rank[static_cast<std::size_t>(a.rank)];
        p.wait += start - a.t;
        p.comm += d;
        res_.comm_bytes += static_cast<double>(bytes);
        draw(a.rank, 1, ranks_[static_cast<std::size_t>(a.rank)].nodes[static_cast<std::size_t>(a.node)], "collective", start,
             start + d);
        push(start + d, a.rank, a.node);
      }
      rendezvous_.erase({n.pg_name, k});
      return;
    }
    case ck::NodeType::send: {
      const int src = r, dst = n.comm_dst;
      if (dst < 0 || dst >= static_cast<int>(ranks_.size()) || dst == r)
        throw core::InputError(loc(r, i), fmt::format("send to rank {}", dst),
                               fmt::format("comm_dst: another rank, 0 to {}", ranks_.size() - 1));
      const double d = price_p2p(src, dst, static_cast<double>(n.comm_size));
      const double arrive = t + d;
      ++res_.messages;
      res_.comm_bytes += static_cast<double>(n.comm_size);
      pr.comm += d;
      draw(r, 1, n, "send", t, arrive);
      push(arrive, r, i);
      const auto key = std::make_tuple(src, dst, n.comm_tag);
      auto w = waiting_.find(key);
      if (w != waiting_.end() && !w->second.empty()) {
        const Arrival a = w->second.front();
        w->second.pop_front();
        check_sizes(r, i, a.rank, a.node);
        push(std::max(a.t, arrive), a.rank, a.node);
      } else {
        sent_[key].push_back({r, i, arrive});
      }
      return;
    }
    case ck::NodeType::recv: {
      const int src = n.comm_src;
      if (src < 0 || src >= static_cast<int>(ranks_.size()) || src == r)
        throw core::InputError(loc(r, i), fmt::format("receive from rank {}", src),
                               fmt::format("comm_src: another rank, 0 to {}", ranks_.size() - 1));
      const auto key = std::make_tuple(src, r, n.comm_tag);
      auto s = sent_.find(key);
      if (s != sent_.end() && !s->second.empty()) {
        const Arrival sent = s->second.front();
        s->second.pop_front();
        check_sizes(sent.rank, sent.node, r, i);
        push(std::max(t, sent.t), r, i);
      } else {
        waiting_[key].push_back({r, i, t});
      }
      return;
    }
    default: push(t, r, i); return;
  }
}

void Replay::done(int r, int i, double t) {
  const auto ru = static_cast<std::size_t>(r);
  finished_[ru][static_cast<std::size_t>(i)] = 1;
  auto& pr = res_.per_rank[ru];
  pr.end = std::max(pr.end, t);
  ++pr.nodes;
  for (int c : children_[ru][static_cast<std::size_t>(i)])
    if (--indeg_[ru][static_cast<std::size_t>(c)] == 0) ready(r, c, t);
}

ReplayResult Replay::run() {
  const int n = static_cast<int>(ranks_.size());
  if (n == 0) throw core::InputError({}, "no ranks in the trace", "at least <prefix>.0.et");
  if (n > sys_.device_count())
    throw core::InputError(
        {where(0), 0, 0, ""}, fmt::format("the trace has {} ranks but {} has {} devices", n, sys_.name, sys_.device_count()),
        "a system with at least as many devices as ranks", fmt::format("--system {}:devices={}", sys_.name, n));
  all_.resize(static_cast<std::size_t>(n));
  for (int r = 0; r < n; ++r) all_[static_cast<std::size_t>(r)] = r;
  res_.ranks = n;
  res_.per_rank.assign(static_cast<std::size_t>(n), {});
  index_.resize(static_cast<std::size_t>(n));
  children_.resize(static_cast<std::size_t>(n));
  indeg_.resize(static_cast<std::size_t>(n));
  finished_.resize(static_cast<std::size_t>(n));
  compq_.resize(static_cast<std::size_t>(n));
  busy_.assign(static_cast<std::size_t>(n), {false, false});
  if (tl_ != nullptr)
    for (int r = 0; r < std::min(n, opt_.trace_ranks); ++r) {
      tl_->tracks.push_back(fmt::format("rank {} compute", r));
      tl_->tracks.push_back(fmt::format("rank {} communication", r));
    }
  for (int r = 0; r < n; ++r) {
    const auto& nodes = ranks_[static_cast<std::size_t>(r)].nodes;
    const auto ru = static_cast<std::size_t>(r);
    for (std::size_t i = 0; i < nodes.size(); ++i) index_[ru].emplace(nodes[i].id, static_cast<int>(i));
    children_[ru].assign(nodes.size(), {});
    indeg_[ru].assign(nodes.size(), 0);
    finished_[ru].assign(nodes.size(), 0);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const std::set<std::uint64_t> deps(nodes[i].data_deps.begin(), nodes[i].data_deps.end());
      for (auto d : deps) {
        auto it = index_[ru].find(d);
        if (it == index_[ru].end())
          throw core::InputError(loc(r, static_cast<int>(i)),
                                 fmt::format("depends on node {}, which is not in this rank's trace", d));
        children_[ru][static_cast<std::size_t>(it->second)].push_back(static_cast<int>(i));
        ++indeg_[ru][i];
      }
    }
    res_.nodes += static_cast<long long>(nodes.size());
  }
  // Compute nodes with nothing to price them by (no duration, num_ops or tensor_size): when
  // no compute node of the trace has any (a trace stripped of durations that never carried
  // num_ops), the replay cannot price compute at all and says which node; else they take 0 s
  // and the notes say how many.
  std::size_t recorded = 0, by_work = 0, unpriced = 0, with_time = 0;
  int first_r = -1, first_i = -1;
  for (int r = 0; r < n; ++r) {
    const auto& nodes = ranks_[static_cast<std::size_t>(r)].nodes;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const auto& node = nodes[i];
      if (node.type != ck::NodeType::comp) continue;
      const Priced p = priced_by(node);
      ++(p == Priced::recorded ? recorded : p == Priced::work ? by_work : unpriced);
      if (p == Priced::work || node.seconds > 0 || node.duration_micros > 0) ++with_time;
      if (p == Priced::nothing && first_r < 0) {
        first_r = r;
        first_i = static_cast<int>(i);
      }
    }
  }
  if (unpriced > 0 && with_time == 0)
    throw core::InputError(loc(first_r, first_i),
                           fmt::format("compute node has no duration_micros, num_ops or tensor_size, nor has any of the "
                                       "trace's {} compute nodes: their time cannot be priced",
                                       unpriced),
                           "COMP_NODEs with duration_micros, or num_ops (FLOPs) and tensor_size (bytes)",
                           "a trace stripped of its durations needs num_ops (dojosim run --chakra writes both)");
  for (int r = 0; r < n; ++r)
    for (std::size_t i = 0; i < indeg_[static_cast<std::size_t>(r)].size(); ++i)
      if (indeg_[static_cast<std::size_t>(r)][i] == 0) ready(r, static_cast<int>(i), 0.0);
  while (!q_.empty()) {
    const Event e = q_.top();
    q_.pop();
    if (e.compute_end) {
      busy_[static_cast<std::size_t>(e.rank)][static_cast<std::size_t>(e.stream)] = false;
      done(e.rank, e.node, e.t);
      try_start(e.rank, e.stream, e.t);
    } else {
      done(e.rank, e.node, e.t);
    }
  }
  // Everything must have run: name what is stuck.
  for (const auto& [key, arr] : rendezvous_) {
    if (arr.empty()) continue;
    std::set<int> in;
    for (const auto& a : arr) in.insert(a.rank);
    std::string missing;
    for (int m : members(arr[0].rank, arr[0].node))
      if (in.count(m) == 0) missing += fmt::format("{}{}", missing.empty() ? "" : ", ", m);
    throw core::InputError(loc(arr[0].rank, arr[0].node),
                           fmt::format("collective {} of process group '{}' never starts: rank(s) {} do not reach it", key.second,
                                       core::printable(key.first), missing),
                           "every member issues the group's collectives in the same order");
  }
  for (const auto& [key, w] : waiting_)
    if (!w.empty())
      throw core::InputError(
          loc(w.front().rank, w.front().node),
          fmt::format("receive from rank {} (tag {}) has no matching send", std::get<0>(key), std::get<2>(key)),
          "a COMM_SEND_NODE on the source rank with comm_dst and comm_tag matching");
  for (int r = 0; r < n; ++r)
    for (std::size_t i = 0; i < finished_[static_cast<std::size_t>(r)].size(); ++i)
      if (!finished_[static_cast<std::size_t>(r)][i])
        throw core::InputError(loc(r, static_cast<int>(i)), "node never runs (a dependency never completes)",
                               "a trace that runs to the end");
  for (int r = 0; r < n; ++r)
    if (res_.per_rank[static_cast<std::size_t>(r)].end > res_.step_time) {
      res_.step_time = res_.per_rank[static_cast<std::size_t>(r)].end;
      res_.critical_rank = r;
    }
  if (tl_ != nullptr) tl_->pipeline = res_.step_time;
  res_.notes.push_back(
      "transfers priced alone by the collective model of the system's levels (no link contention in the replay)");
  std::size_t ctrl = 0;
  for (const auto& t : ranks_)
    for (const auto& node : t.nodes) ctrl += node.ctrl_deps.size();
  if (recorded > 0)
    res_.notes.push_back(
        fmt::format("{} compute nodes keep the durations the trace records (of the system it was traced or exported on); "
                    "communication is priced on this system",
                    recorded));
  if (by_work > 0)
    res_.notes.push_back(
        fmt::format("{} compute nodes without a duration priced from their work: num_ops at this device's peak x large-GEMM "
                    "efficiency plus tensor_size at its memory bandwidth",
                    by_work));
  if (unpriced > 0)
    res_.notes.push_back(
        fmt::format("warning: {} compute nodes carry no duration_micros, num_ops or tensor_size and take 0 s "
                    "(the first: {} {})",
                    unpriced, where(first_r), loc(first_r, first_i).key_path));
  if (ctrl > 0)
    res_.notes.push_back(
        fmt::format("{} control dependencies do not order the replay: nodes wait for their data dependencies only, "
                    "as in ASTRA-sim's Chakra feeder",
                    ctrl));
  if (uneven_)
    res_.notes.push_back(
        "some process groups are not evenly spaced ranks: priced as evenly spaced groups of the same size and span");
  return res_;
}

}  // namespace

ReplayResult replay_chakra(const hardware::System& sys, const std::vector<workload::chakra::Trace>& ranks,
                           const workload::chakra::CommGroups& groups, const ReplayOptions& opt, Timeline* timeline) {
  Replay r(sys, ranks, groups, opt, timeline);
  return r.run();
}

}  // namespace dojosim::engine
