dojosim_bench(bench_engine SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/bench_engine.cpp DEPS dojosim::explore)
