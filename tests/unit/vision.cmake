# Vision networks and ONNX import (issue 7).
dojosim_unit_test(test_vision SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_vision.cpp DEPS dojosim::engine dojosim::workload)
dojosim_unit_test(test_vision_onnx SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_vision_onnx.cpp DEPS dojosim::workload)
# Crash reproducers of the libFuzzer targets (fuzz/regressions), replayed in the ci build.
dojosim_unit_test(test_fuzz_regressions SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_fuzz_regressions.cpp DEPS dojosim::workload)
target_compile_definitions(test_fuzz_regressions PRIVATE DOJOSIM_FUZZ_DIR="${PROJECT_SOURCE_DIR}/fuzz")
