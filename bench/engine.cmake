dojosim_bench(bench_engine SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/bench_engine.cpp DEPS dojosim::explore)
dojosim_bench(bench_step SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/bench_step.cpp DEPS dojosim::engine)
