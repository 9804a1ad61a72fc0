dojosim_unit_test(test_engine SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_collective.cpp ${CMAKE_CURRENT_SOURCE_DIR}/test_engine.cpp DEPS dojosim::engine)
dojosim_unit_test(test_event SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_event.cpp DEPS dojosim::engine)
dojosim_unit_test(test_plan SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_plan.cpp ${CMAKE_CURRENT_SOURCE_DIR}/alloc_counter.cpp DEPS dojosim::engine)
dojosim_unit_test(test_step SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_step.cpp DEPS dojosim::engine)
