// Flow-level contention on the topology graph: collectives decomposed into rounds of
// concurrent flows, and max-min fair rates for everything in flight (progressive filling,
// Bertsekas & Gallager, "Data Networks", 1992, section 6.5.2).
//
// A flow crossing links l1..ln at rate r occupies r of each; when flows share a link, each
// gets an equal share of what is left after flows bottlenecked elsewhere take theirs. A
// Phase is one round pattern of a collective (a ring step, a halving-doubling exchange, an
// all-to-all), repeated `rounds` times; all concurrent instances of the collective (every
// TP group of a pipeline stage, every DP ring) are in it. Symmetry: a FlowClass is one
// position of the pattern in every instance, with the number of its flows on each link
// (`load`) — identical ranks are priced once, while their traffic is still counted on the
// links. A round lasts until its slowest class is done: latency + bytes / (rate x bus
// efficiency). On an uncontended graph a ring reduce-scatter over k members takes
// (k-1) (a + S/k / (B eff)), the closed form of collective.hpp.
//
// Contract: decomposition allocates (done once per plan and collective); solve() reuses
// its scratch arrays and does not allocate once warm. docs/model.md#flows.
#pragma once

#include <utility>
#include <vector>

#include "dojosim/collective/collective.hpp"
#include "dojosim/hardware/topology.hpp"

namespace dojosim::collective::flow {

struct FlowClass {
  std::vector<std::pair<int, float>> load;  // (link id, flows of this class on it), sorted by link
  double latency = 0;                       // route latency of its longest flow
};

struct Phase {
  std::vector<FlowClass> classes;
  double bytes = 0;       // per flow per round
  double rounds = 1;      // identical rounds
  double latency = 0;     // per round
  double efficiency = 1;  // achieved fraction of the allocated rate for this message size
  const char* what = "";  // "tp all-reduce ring", for traces
  [[nodiscard]] double work() const { return rounds * bytes / efficiency; }  // bytes moved at the allocated rate
  [[nodiscard]] double fixed() const { return rounds * latency; }
  [[nodiscard]] bool empty() const { return bytes <= 0 || classes.empty(); }
};

// Max-min fair rates. rate[i] is the rate of one flow of active[i]'s slowest class, B/s
// (infinite for a phase with no link to cross).
class Solver {
 public:
  explicit Solver(const hardware::Graph& g);
  void solve(const std::vector<const Phase*>& active, std::vector<double>& rate);

 private:
  const hardware::Graph* g_;
  std::vector<double> cap_, cnt_;
  std::vector<char> mark_;
  std::vector<int> touched_;
  struct Ref {
    const FlowClass* c;
    std::size_t phase;
  };
  std::vector<Ref> open_, next_;
};

// The members of every concurrent instance of a group: instance b's member i is device
// bases[b] + i * stride.
struct Instances {
  std::vector<long long> bases;
  long long stride = 1;
  int size = 1;
};

// The phases of `op` on `bytes` per member over the group `g` (its hops: fan-in, the
// algorithm and path the closed form chose for this message, bus efficiency), run by all
// `inst` at once. Hops run one after another (reduce-scatter inside out, all-gather
// outside in), as collective.hpp prices them.
std::vector<Phase> decompose(const hardware::Graph& graph, const Group& g, Op op, double bytes, const Instances& inst);
// Pipeline send: in every instance member `from` sends `bytes` to member `to`.
Phase point_to_point(const hardware::Graph& graph, const Group& g, double bytes, const Instances& inst, int from, int to);
// Dojo memory streaming: every device in `devices` receives `bytes` from its nearest DIP's HBM.
Phase dip_stream(const hardware::Graph& graph, double bytes, const std::vector<long long>& devices, double latency);

// Time of phases run one after another on an otherwise idle graph (for tests and the
// analytical comparison).
double uncontended_time(const hardware::Graph& graph, const std::vector<Phase>& phases);

}  // namespace dojosim::collective::flow
