dojosim_unit_test(test_economics SOURCES test_economics.cpp test_program.cpp DEPS dojosim::economics)
