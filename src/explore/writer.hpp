// Internal to the explore module: the single writer of a running sweep (local threads or
// MPI rank 0). It stores results, commits on a timer or a row count, counts statuses and
// reports progress after each commit — so every point Progress counts is committed.
#pragma once

#include <chrono>

#include "dojosim/explore/store.hpp"
#include "dojosim/explore/sweep.hpp"

namespace dojosim::explore::detail {

class Writer {
 public:
  Writer(Store& store, const RunOptions& opt, RunSummary& sum)
      : store_(store), opt_(opt), sum_(sum), start_(Clock::now()), last_commit_(start_) {}

  void start() { report(); }
  void add(const Point& p, const PointResult& r) {
    store_.add(p, r);
    ++sum_.evaluated;
    switch (r.status) {
      case Status::ok: ++sum_.ok; break;
      case Status::infeasible: ++sum_.infeasible; break;
      case Status::invalid: ++sum_.invalid; break;
      case Status::error: ++sum_.error; break;
    }
  }
  // Commits when the interval has passed or enough rows wait.
  void tick() {
    const auto now = Clock::now();
    if (store_.pending() == 0) return;
    if (store_.pending() >= opt_.commit_points ||
        std::chrono::duration<double>(now - last_commit_).count() >= opt_.commit_interval_s)
      commit();
  }
  void finish() {
    commit();
    sum_.wall_s = elapsed();
    report();
  }

 private:
  using Clock = std::chrono::steady_clock;
  [[nodiscard]] double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  void commit() {
    store_.commit();
    committed_ = sum_.evaluated;
    last_commit_ = Clock::now();
    report();
  }
  void report() const {
    if (!opt_.on_progress) return;
    Progress p;
    p.done = sum_.resumed + committed_;
    p.total = sum_.total;
    p.resumed = sum_.resumed;
    p.elapsed_s = elapsed();
    opt_.on_progress(p);
  }

  Store& store_;
  const RunOptions& opt_;
  RunSummary& sum_;
  Clock::time_point start_, last_commit_;
  long long committed_ = 0;
};

// Which points of `space` are already in `store` (a bitmap over ids); sets sum.total
// and sum.resumed.
std::vector<bool> finished(const Space& space, const Store& store, RunSummary& sum);

}  // namespace dojosim::explore::detail
