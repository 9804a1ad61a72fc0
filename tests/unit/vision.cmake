# Vision networks and ONNX import (issue 7).
dojosim_unit_test(test_vision SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_vision.cpp DEPS dojosim::engine dojosim::workload)
dojosim_unit_test(test_vision_onnx SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_vision_onnx.cpp DEPS dojosim::workload)
