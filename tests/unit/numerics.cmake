dojosim_unit_test(test_numerics
  SOURCES test_numerics.cpp test_numerics_rounding.cpp test_numerics_npy.cpp
  DEPS dojosim::numerics)
