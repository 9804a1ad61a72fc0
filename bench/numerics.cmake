dojosim_bench(bench_numerics SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/bench_numerics.cpp DEPS dojosim::numerics)
