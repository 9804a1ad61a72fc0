// How many devices of a reference system give a target throughput, solved by resizing the
// reference (its outermost level) rather than extrapolating its per-device throughput:
// strong scaling, batch limits and fabric effects at the answer's size are all included.
//
// Contract: `throughput_at(k)` is the reference's throughput with k instances of its
// outermost level (0 when it cannot run at that size); the bisection assumes it
// non-decreasing in k, and it is called at most a few dozen times (memoised). Real curves
// are jagged (a size whose devices do not factor well into the batch runs slower than a
// smaller one), so a crossing found by bisection alone can lie far beyond the first one.
// The solver therefore first walks one instance at a time from `start` (the linear
// estimate), up to 24 instances, and reports the first crossing it meets; only past that
// does it double and bisect. `known` (e.g. the reference's own size) bounds the answer
// from above whenever it reaches the target. The answer
// interpolates linearly between the two bracketing sizes, so it is a device count, not a
// multiple of the instance size.
#pragma once

#include <functional>

namespace dojosim::explore {

struct Equivalence {
  bool solved = false;
  double devices = 0;           // reference devices matching the target (interpolated)
  long long low = 0, high = 0;  // bracketing instance counts: t(low) < target <= t(high)
  // The bracket in devices: low and high instances, or, when one instance is already more
  // than enough and the reference can be resized by devices, the device counts around it.
  long long low_devices = 0, high_devices = 0;
  double best_throughput = 0;  // when unsolved: the most the reference reached ...
  long long best_devices = 0;  // ... and at how many devices
  int probes = 0;              // evaluations of throughput_at
};

Equivalence solve_equivalence(const std::function<double(long long)>& throughput_at, long long devices_per_instance,
                              double target, long long start, long long max_instances, long long known = 0);

}  // namespace dojosim::explore
