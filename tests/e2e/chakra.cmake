# Chakra execution traces (issue 14): run --chakra, dojosim replay, bad traces.
add_test(NAME e2e.chakra COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_chakra.py $<TARGET_FILE:dojosim>)
set_tests_properties(e2e.chakra PROPERTIES LABELS e2e TIMEOUT 300)
cli_test(replay_bad_format 2 "--format" replay x --system dgx-a100 --format yaml)
cli_test(replay_needs_system 2 "--system" replay x)
cli_test(replay_bad_ranks 2 "--ranks" replay x --system dgx-a100 --ranks 0)
