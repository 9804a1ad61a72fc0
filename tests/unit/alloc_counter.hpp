// Counts heap allocations in a test binary (tests/unit/alloc_counter.cpp replaces the
// global operator new), to check the promises of allocation-free hot paths.
#pragma once

namespace dojosim::test_support {
// Allocations through operator new since the program started.
long allocations();
}  // namespace dojosim::test_support
