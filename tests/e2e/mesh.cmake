# Dojo mesh collectives, placement and the link-utilisation picture (issue 4).
set(HF ${PROJECT_SOURCE_DIR}/tests/data/hf)
function(svg_test name links)
  add_test(NAME e2e.${name} COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_svg.py $<TARGET_FILE:dojosim> ${links} -- ${ARGN})
  set_tests_properties(e2e.${name} PROPERTIES LABELS e2e TIMEOUT 120)
endfunction()

# A tile: 5x5 D1, 2 x (5x4 + 4x5) = 80 directed links. A tray (tray and larger systems):
# 6 tiles x 80 + 2 x (2x2 + 1x3) = 14 tile-to-tile edges = 494.
svg_test(svg_tile_step 80 --system dojo-tile --model ${HF}/gpt2.json)
svg_test(svg_exapod_step 494 --system dojo-exapod --model gpt3-175b)
svg_test(svg_exapod_tp 494 --system dojo-exapod --model gpt3-175b --svg-collective tp)
set(PLAN tp=4,pp=6,dp=125,vp=8,mbs=1,gbs=1500,sp=true,zero=3,recompute=full)
svg_test(svg_exapod_dp 494 --system dojo-exapod --model gpt3-175b --parallel ${PLAN},placement=dp-tp-pp-cp --svg-collective dp)
cli_test(svg_bad_collective 2 "(?s)option --svg-collective: 'tq' is not a valid value.*did you mean 'tp'" run --system dojo-tile --model ${HF}/gpt2.json --svg ${CMAKE_CURRENT_BINARY_DIR}/bad.svg --svg-collective tq)
cli_test(svg_idle_collective 2 "tp group of this plan has one member" run --system dojo-tile --model ${HF}/gpt2.json --parallel tp=1 --svg ${CMAKE_CURRENT_BINARY_DIR}/idle.svg --svg-collective tp)
cli_test(svg_collective_without_svg 2 "needs --svg" run --system dojo-tile --model ${HF}/gpt2.json --svg-collective tp)
cli_test(svg_gpu_unsupported 2 "draws 2D-mesh fabrics" run --system dgx-h100:nodes=2 --model llama3-8b --svg ${CMAKE_CURRENT_BINARY_DIR}/gpu.svg)

# The report says, per group, the path, algorithm and (on the mesh) the sub-rectangle.
cli_test(run_dojo_communication 0 "(?s)communication.*tp  all-gather.*tile mesh [a-z-]+ 2x2 d1s, 1 hop/step.*pp  send-recv.*tile mesh direct.*dp  reduce-scatter.*tray mesh snake-ring 2x3 tiles"
         run --system dojo-exapod --model gpt3-175b --parallel ${PLAN})
cli_test(run_dojo_communication_json 0 "\"communication\": \\{\\n +\"tp\": \\{(.|\\n)*\"path\": \"mesh\"(.|\\n)*\"shape\": \"2x2\""
         run --system dojo-exapod --model gpt3-175b --parallel ${PLAN} --format json)
cli_test(run_gpu_communication 0 "dp +reduce-scatter.*node switch" run --system dgx-h100:nodes=2 --model llama3-8b --parallel tp=1,pp=1,dp=16,vp=1,mbs=1,gbs=64,sp=false,zero=1,recompute=full)
# Placement order: DP innermost puts the DP group on the tile and TP across tiles.
cli_test(run_placement_order 0 "(?s)placement=dp-tp-pp-cp.*tp  all-gather.*cabinet mesh.*dp  reduce-scatter.*tile mesh [a-z-]+ 5x5 d1s"
         run --system dojo-exapod --model gpt3-175b --parallel ${PLAN},placement=dp-tp-pp-cp)
cli_test(run_placement_bad 2 "placement: 'tq' is not a group kind.*\\n.*\\n.*did you mean 'tp'" run --system dojo-tile --model ${HF}/gpt2.json --parallel placement=dp-tq-pp-cp)
# The picture says what it does not draw: the DIP memory streams, and with the event engine
# the simulated step's busiest links (streams included). A probe read its 6% busiest link
# beside the event engine's 55%.
add_test(NAME e2e.svg_notes_streams
         COMMAND /bin/sh -c "$<TARGET_FILE:dojosim> run --system dojo-tray --model llama3-8b --parallel gbs=150 --seq 1024 --engine event --svg svg_notes_streams.svg >/dev/null && grep -q 'Not drawn: memory streamed per d1 and step, [0-9.]* GB from DIP HBM' svg_notes_streams.svg && grep -q 'Busiest links of the step the event engine simulated' svg_notes_streams.svg && grep -q '% DIP 0 HBM' svg_notes_streams.svg"
         WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(e2e.svg_notes_streams PROPERTIES LABELS e2e TIMEOUT 120)
