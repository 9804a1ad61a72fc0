# explore module: sweeps (space file, ranges, enumeration, store, fuzz).
dojosim_unit_test(test_sweep
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep_space.cpp ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep_store.cpp
          ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep_fuzz.cpp
  DEPS dojosim::explore SQLite::SQLite3)
