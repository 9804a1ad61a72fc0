# Chakra execution traces (issue 14): run --chakra, dojosim replay, bad traces.
add_test(NAME e2e.chakra COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_chakra.py $<TARGET_FILE:dojosim>)
set_tests_properties(e2e.chakra PROPERTIES LABELS e2e TIMEOUT 300)
cli_test(replay_bad_format 2 "--format" replay x --system dgx-a100 --format yaml)
cli_test(replay_needs_system 2 "--system" replay x)
cli_test(replay_bad_ranks 2 "--ranks" replay x --system dgx-a100 --ranks 0)
# A precision the device has no peak for is refused before any trace is read (a probe got
# compute priced at 0 s for fp8 on A100); fp32 is not a training precision.
cli_test(replay_precision_without_peak 2 "a100-sxm4-80gb has no fp8 peak" replay x --system dgx-a100 --precision fp8)
cli_test(replay_precision_not_training 2 "training in fp32 is not modelled" replay x --system dgx-a100 --precision fp32)
