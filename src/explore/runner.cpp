// Running a sweep on local threads: evaluation threads take point ids from a shared
// counter (dynamic load balancing); this thread is the only writer of the store.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "dojosim/explore/store.hpp"
#include "dojosim/explore/sweep.hpp"
#include "writer.hpp"

namespace dojosim::explore {

namespace detail {
std::vector<bool> finished(const Space& space, const Store& store, RunSummary& sum) {
  sum.total = space.size();
  std::vector<bool> done = store.finished(sum.total);
  sum.resumed = static_cast<long long>(std::count(done.begin(), done.end(), true));
  return done;
}
}  // namespace detail

RunSummary run_local(const Space& space, Store& store, const RunOptions& opt) {
  RunSummary sum;
  const std::vector<bool> done = detail::finished(space, store, sum);
  const long long todo = sum.total - sum.resumed;
  int threads = opt.threads > 0 ? opt.threads : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::clamp<long long>(todo, 1, threads));
  sum.threads = threads;
  detail::Writer writer(store, opt, sum);
  writer.start();

  std::atomic<long long> next{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<Point, PointResult>> queue;
  int running = threads;
  auto work = [&]() {
    for (;;) {
      if (stop.load(std::memory_order_relaxed)) break;
      const long long id = next.fetch_add(1);
      if (id >= sum.total) break;
      if (done[static_cast<std::size_t>(id)]) continue;
      Point p = point_at(space, id);
      PointResult r = evaluate_point(p);
      {
        const std::lock_guard<std::mutex> lk(mu);
        queue.emplace_back(std::move(p), std::move(r));
      }
      cv.notify_one();
    }
    {
      const std::lock_guard<std::mutex> lk(mu);
      --running;
    }
    cv.notify_one();
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) pool.emplace_back(work);
  auto join = [&pool]() {
    for (auto& t : pool)
      if (t.joinable()) t.join();
  };
  try {
    std::vector<std::pair<Point, PointResult>> batch;
    for (;;) {
      bool last = false;
      {
        std::unique_lock<std::mutex> lk(mu);
        cv.wait_for(lk, std::chrono::milliseconds(50), [&]() { return !queue.empty() || running == 0; });
        batch.swap(queue);
        last = running == 0;
      }
      for (const auto& [p, r] : batch) writer.add(p, r);
      batch.clear();
      writer.tick();
      if (last) break;
    }
    writer.finish();
  } catch (...) {
    stop = true;
    join();
    throw;
  }
  join();
  return sum;
}

}  // namespace dojosim::explore
