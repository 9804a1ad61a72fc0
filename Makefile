# dojosim front door. `make run` and `make check` do all set-up on a fresh Debian 12 machine.
.PHONY: all bootstrap build release run check asan bench clean format

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DOJOSIM := build/release/apps/dojosim/dojosim

all: release

bootstrap:
	@scripts/bootstrap

build/%/build.ninja: CMakeLists.txt CMakePresets.json
	@cmake --preset $* >/dev/null

release: bootstrap build/release/build.ninja
	@cmake --build --preset release -j $(JOBS)

build: release

# Runs the default scenario (dojosim with no arguments).
run: release
	@$(DOJOSIM)

# Builds with warnings as errors and runs every test (unit, golden scenarios in tests/golden, CLI end to end).
check: bootstrap build/ci/build.ninja
	@cmake --build --preset ci -j $(JOBS)
	@ctest --preset ci -j $(JOBS)

asan: bootstrap build/asan/build.ninja
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan -j $(JOBS)

# Google Benchmark targets, from the optimised developer build (the ci preset).
bench: bootstrap build/ci/build.ninja
	@cmake --build --preset ci -j $(JOBS) --target bench_numerics bench_engine
	@for b in build/ci/bench/bench_*; do $$b; done

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	@rm -rf build
