# api module: the commands' use-cases and the HTML reports they feed.
dojosim_unit_test(test_api SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_api.cpp DEPS dojosim::api)
# Chakra execution traces: format, replay, and the export of run --chakra.
dojosim_unit_test(test_chakra SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_chakra.cpp DEPS dojosim::api)
