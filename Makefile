# dojosim front door. `make run` and `make check` do all set-up on a fresh Debian 12 machine.
.PHONY: all bootstrap build release run check asan bench clean format fuzz docs

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
# Then a short, reproducible coverage-guided pass of every fuzz target (clang, ASan + UBSan; docs/fuzzing.md).
check: bootstrap build/ci/build.ninja
	@cmake --build --preset ci -j $(JOBS)
	@ctest --preset ci -j $(JOBS)
	@scripts/fuzz --runs $(FUZZ_CHECK_RUNS) --seed 1 --jobs $(JOBS)

# Every fuzz target, time-boxed (FUZZ_SECONDS each); `make fuzz FUZZ_SECONDS=3600` for long runs.
FUZZ_SECONDS ?= 300
# make check: a fixed number of executions from a fixed seed, so the pass is reproducible.
FUZZ_CHECK_RUNS ?= 3000
fuzz: bootstrap
	@scripts/fuzz --seconds $(FUZZ_SECONDS) --jobs $(JOBS)

asan: bootstrap build/asan/build.ninja
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan -j $(JOBS)

# Google Benchmark targets, from the optimised developer build (the ci preset).
bench: bootstrap build/ci/build.ninja
	@cmake --build --preset ci -j $(JOBS) --target bench_numerics bench_engine
	@for b in build/ci/bench/bench_*; do $$b; done

# Regenerates the figures the docs quote (blocks marked <!-- figures:NAME -->, and the sweep
# tables of docs/sweep.md section 5); e2e.docs_figures and e2e.sweep_doc_tables fail when they
# no longer match the binary.
docs: release
	@scripts/docs_figures.py $(DOJOSIM) --write
	@/usr/bin/python3 scripts/sweep_doc_tables.py $(DOJOSIM) docs/sweep.md --write

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	@rm -rf build
