# 2D-mesh collectives, placement and the Z-plane (issue 4).
dojosim_unit_test(test_mesh SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_mesh.cpp ${CMAKE_CURRENT_SOURCE_DIR}/alloc_counter.cpp DEPS dojosim::collective)
# Topology graph and flow-level contention (issue 14).
dojosim_unit_test(test_flows SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_flows.cpp DEPS dojosim::collective)
