dojosim_unit_test(test_economics SOURCES test_economics.cpp DEPS dojosim::economics)
