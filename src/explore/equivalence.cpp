#include "dojosim/explore/equivalence.hpp"

#include <algorithm>
#include <map>

namespace dojosim::explore {

namespace {

// Instances probed one at a time from the start before bisecting.
constexpr int kLocalScan = 24;

// The answer from the bracket t(lo) < target <= t(hi) (lo = 0: none below).
template <class T>
Equivalence finish(Equivalence& e, T& t, long long devices_per_instance, double target, long long lo, long long hi) {
  e.solved = true;
  e.low = lo;
  e.high = hi;
  e.low_devices = lo * devices_per_instance;
  e.high_devices = hi * devices_per_instance;
  const double t_hi = t(hi);
  const double t_lo = lo > 0 ? t(lo) : 0.0;
  // A size that could not run (throughput 0) is not interpolated from: the answer is then hi.
  const double frac = t_lo > 0 && t_hi > t_lo ? (target - t_lo) / (t_hi - t_lo) : 1.0;
  e.devices = static_cast<double>(devices_per_instance) *
              (static_cast<double>(lo) + std::clamp(frac, 0.0, 1.0) * static_cast<double>(hi - lo));
  return e;
}

}  // namespace

Equivalence solve_equivalence(const std::function<double(long long)>& throughput_at, long long devices_per_instance,
                              double target, long long start, long long max_instances, long long known) {
  Equivalence e;
  std::map<long long, double> memo;
  auto t = [&](long long k) {
    auto it = memo.find(k);
    if (it != memo.end()) return it->second;
    ++e.probes;
    const double v = throughput_at(k);
    memo.emplace(k, v);
    if (v > e.best_throughput) {
      e.best_throughput = v;
      e.best_devices = k * devices_per_instance;
    }
    return v;
  };
  if (!(target > 0) || max_instances < 1) return e;
  long long k = std::clamp<long long>(start, 1, max_instances);
  // Bracket: hi with t(hi) >= target, lo < hi with t(lo) < target (lo = 0 means none).
  long long hi = k, lo = 0;
  // A known size below the estimate that reaches the target: start there instead.
  if (known >= 1 && known < k && t(known) >= target) k = known;
  // First, one instance at a time from the start (the linear estimate): a jagged curve
  // (sizes that factor badly into the batch run slower than smaller ones) sends a
  // bisection to a crossing far from the first one, while the first crossing is usually
  // within a few instances of the estimate.
  if (t(k) >= target) {
    long long s = k;
    for (int i = 0; i < kLocalScan && s > 1 && t(s - 1) >= target; ++i) --s;
    if (s == 1 || t(s - 1) < target) return finish(e, t, devices_per_instance, target, s > 1 ? s - 1 : 0, s);
    k = s;  // still passing after the scan: bisect further down from here
  } else {
    for (long long s = k + 1; s <= std::min(max_instances, k + kLocalScan); ++s)
      if (t(s) >= target) return finish(e, t, devices_per_instance, target, s - 1, s);
    k = std::min(max_instances, k + kLocalScan);
  }
  hi = k;
  if (t(k) >= target) {
    while (hi > 1) {
      const long long down = std::max<long long>(1, hi / 2);
      if (t(down) >= target)
        hi = down;
      else {
        lo = down;
        break;
      }
    }
  } else {
    lo = k;
    hi = 0;
    for (long long up = std::min(max_instances, k * 2);; up = std::min(max_instances, up * 2)) {
      if (t(up) >= target) {
        hi = up;
        break;
      }
      lo = up;
      if (up == max_instances) break;
    }
  }
  // A known size that reaches the target bounds the answer: bracket below it instead.
  if (known >= 1 && known <= max_instances && (hi == 0 || known < hi) && t(known) >= target) {
    hi = known;
    lo = 0;
    for (const auto& [size, v] : memo)
      if (size < hi && v < target) lo = std::max(lo, size);
  }
  if (hi == 0) return e;  // not reachable: best_throughput says how close
  while (hi - lo > 1) {
    const long long mid = lo + (hi - lo) / 2;
    if (t(mid) >= target)
      hi = mid;
    else
      lo = mid;
  }
  return finish(e, t, devices_per_instance, target, lo, hi);
}

}  // namespace dojosim::explore
