dojosim_unit_test(test_search SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_search.cpp DEPS dojosim::explore)
dojosim_unit_test(test_stack SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_stack.cpp DEPS dojosim::explore)
