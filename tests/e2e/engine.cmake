# Values, not shapes: throughput, MFU, model FLOPs, weights and optimizer bytes against their
# definitions and 6N laws, and the event engine against the closed form (check_laws.py).
add_test(NAME e2e.run_laws COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_laws.py $<TARGET_FILE:dojosim> run)
set_tests_properties(e2e.run_laws PROPERTIES LABELS e2e TIMEOUT 300)
cli_test(run_text 0 "(?s)step time.*MFU.*time breakdown.*memory per device" run --system dgx-a100:nodes=8 --model gpt3-175b --parallel tp=8,pp=8,gbs=64)
cli_test(run_chosen 0 "chosen \\(fastest feasible\\)" run --system dgx-h100:nodes=2 --model llama3-8b)
cli_test(run_invalid_tp 2 "invalid strategy: tp=3 does not divide" run --system dgx-h100:nodes=1 --set levels.node.size=15 --model llama3-8b --parallel tp=3,pp=1,dp=5,mbs=1,gbs=15,vp=1,sp=false,zero=0,recompute=none)
cli_test(run_bad_key 2 "did you mean 'pp'" run --system dgx-h100:nodes=2 --model llama3-8b --parallel pq=2)
cli_test(run_does_not_fit 3 "(?s)DOES NOT FIT.*infeasible" run --system dgx-a100:nodes=1 --model gpt3-175b --parallel tp=8,pp=1,dp=1,vp=1,mbs=1,gbs=8,sp=true,zero=0,recompute=full)
cli_test(run_dojo_stream 0 "(?s)memory_stream.*placement: .*DIP.*streamed from DIPs" run --system dojo-exapod --model gpt3-175b)
# State beyond SRAM and DIP HBM lives in the host DRAM behind the DIPs (PCIe).
foreach(sys dojo-tile dojo-tray)
  foreach(model gpt3-175b llama3-70b)
    cli_test(run_${sys}_${model}_host 0 "(?s)memory_stream +[0-9.e-]+ s.*fits with DIP HBM and host DRAM.*placement: weights host.*streamed from host DRAM" run --system ${sys} --model ${model})
  endforeach()
endforeach()
cli_test(run_dojo_placement_json 0 "(?s)\"placement\": \\{.*\"host_bytes_per_device\"" run --system dojo-tray --model llama3-70b --format json)
# Accuracy from the repository (issue 12): the calibration runs (in-sample: every knob is
# fit to them) and the generality runs (out-of-sample: nothing is fit to them), each row
# with its software stack. The limits are the errors reached when they were set, with a
# small margin, so that a regression fails (docs/validation.md states both figures).
add_test(NAME e2e.validate_calibration COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_validation.py $<TARGET_FILE:dojosim> ${PROJECT_SOURCE_DIR}/docs/data/calibration.csv 3 8)
set_tests_properties(e2e.validate_calibration PROPERTIES LABELS e2e TIMEOUT 600)
add_test(NAME e2e.validate_generality COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_validation.py $<TARGET_FILE:dojosim> ${PROJECT_SOURCE_DIR}/docs/data/generality.csv 7 28)
set_tests_properties(e2e.validate_generality PROPERTIES LABELS e2e TIMEOUT 600)
# The event engine and the pipeline trace.
cli_test(run_event_engine 0 "\"engine\": \"event\"" run --system dgx-a100:nodes=8 --model gpt3-175b --parallel tp=8,pp=8,dp=1,vp=3,mbs=1,gbs=64,sp=true,zero=0,recompute=selective --engine event --format json)
cli_test(run_event_vision 0 "\"engine\": \"event\"" run --system dgx-h100 --model resnet50 --engine event --format json)
cli_test(run_trace_vision_analytical 2 "no pipeline schedule" run --system dgx-h100 --model resnet50 --trace ${CMAKE_CURRENT_BINARY_DIR}/vision_trace.json)
add_test(NAME e2e.run_trace_vision COMMAND sh -c "$<TARGET_FILE:dojosim> run --system dojo-tile --model tesla-video:cameras=2,frames=2 --parallel dp=5,spatial=5,mbs=1,gbs=10,zero=1,recompute=none --engine event --trace ${CMAKE_CURRENT_BINARY_DIR}/vision_event.json >/dev/null && /usr/bin/python3 -c \"import json,sys; d=json.load(open(sys.argv[1])); x=[e for e in d['traceEvents'] if e['ph']=='X']; p=[e for e in x if e['cat'] in ('forward','backward')]; assert len(p) == 2*2, len(p); h=[e for e in x if e['name']=='halo exchange']; assert h and all(e['dur'] > 0 for e in h), len(h); print('ok', len(p), len(h))\" ${CMAKE_CURRENT_BINARY_DIR}/vision_event.json")
set_tests_properties(e2e.run_trace_vision PROPERTIES LABELS e2e TIMEOUT 120)
cli_test(run_bad_engine 2 "engine" run --system dgx-h100 --model llama3-8b --engine evnt)
add_test(NAME e2e.run_trace COMMAND sh -c "$<TARGET_FILE:dojosim> run --system dgx-h100:nodes=16 --model llama3-70b --parallel tp=8,pp=4,vp=5,mbs=1,gbs=64,sp=true,zero=1,recompute=selective --trace ${CMAKE_CURRENT_BINARY_DIR}/trace.json >/dev/null && /usr/bin/python3 -c \"import json,sys; d=json.load(open(sys.argv[1])); x=[e for e in d['traceEvents'] if e['ph']=='X' and e['cat'] in ('forward','backward')]; assert len(x) == 2*16*4*5, len(x); assert all(e['dur'] >= 0 for e in x); print('ok', len(x))\" ${CMAKE_CURRENT_BINARY_DIR}/trace.json")
set_tests_properties(e2e.run_trace PROPERTIES LABELS e2e TIMEOUT 120)
# Golden outputs (issue 13): refactors keep run, search, compare and validate byte-identical
# (tests/golden/cases.txt; scripts/golden.py --update in a commit that changes behaviour).
add_test(NAME e2e.golden COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/scripts/golden.py $<TARGET_FILE:dojosim>)
set_tests_properties(e2e.golden PROPERTIES LABELS e2e TIMEOUT 300)
# Issue 14: the whole-step event engine on every preset: step time, busiest links, a trace.
add_test(NAME e2e.event_every_preset COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_event_presets.py $<TARGET_FILE:dojosim>
         gpt3-13b ${DATA}/models/d1-tiny.yaml ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(e2e.event_every_preset PROPERTIES LABELS e2e TIMEOUT 300)
# The topology graph in `show system` (issue 14): ports, rail leaves and their spine uplinks;
# Dojo's tile edges, DIP links and the Z-plane.
cli_test(show_graph_dgx 0 "(?s)graph:.*2080 directed links.*cluster +leaf uplink +32 links x 1600 GB/s" show system dgx-h100:nodes=64)
cli_test(show_graph_exapod 0 "(?s)graph:.*DIP link +800 links x 900 GB/s.*Z-plane +800 links.*tray +edge +1400 links x 1800 GB/s" show system dojo-exapod)
cli_test(run_event_busiest 0 "(?s)busiest links \\(event engine; contention adds [0-9.]+% to the step\\).*node port\\] \\(and [0-9]+ like it\\)" run --system dgx-a100:nodes=4 --model gpt3-13b --parallel tp=8,pp=2,dp=2,mbs=1,gbs=64 --engine event)
# The GEMM efficiency of devices without a calibration run is derived from GEMM benchmarks
# (docs/validation.md#gemm-transfer): the presets and the doc's table must hold it.
add_test(NAME e2e.gemm_transfer COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/scripts/derive_gemm_max.py --check)
set_tests_properties(e2e.gemm_transfer PROPERTIES LABELS e2e TIMEOUT 60)
