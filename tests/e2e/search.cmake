# dojosim search and compare.
cli_test(search_text 0 "(?s)space: [0-9,]+ plans enumerated, [0-9,]+ pruned.*rank +step time.*\\n +1 .*why: " search --system dgx-a100:nodes=8 --model llama3-8b --top 3)
# Values: ranking order, and every ranked plan reproduced by run with all keys given.
add_test(NAME e2e.search_laws COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_laws.py $<TARGET_FILE:dojosim> search)
set_tests_properties(e2e.search_laws PROPERTIES LABELS e2e TIMEOUT 300)
cli_test(search_json_counts 0 "(?s)\"counts\": \\{\\s*\"enumerated\": [0-9]+,\\s*\"pruned\": [0-9]+.*\"evaluated\": [0-9]+.*\"ranked\": \\[" search --system dgx-h100:nodes=4 --model llama3-8b --format json --top 2)
cli_test(search_gbs_rounded 0 "(?s)note: the best plan trains with a global batch of [0-9]+ sequences, rounded down from the target 1000" search --system dgx-a100:nodes=3 --model llama3-8b --parallel gbs=1000)
cli_test(search_dojo 0 "(?s)search: llama3-70b on dojo-tray.*1 .*zero=" search --system dojo-tray --model llama3-70b --top 2)
cli_test(search_cost 0 "objective cost per token" search --system dgx-a100:nodes=2 --model llama2-7b --objective cost --top 1)
cli_test(search_bad_objective 2 "(?s)option --objective: 'tme' is not a valid value.*did you mean 'time'" search --system dgx-a100 --model llama3-8b --objective tme)
cli_test(search_infeasible 3 "no strategy fits in memory" search --system dgx-a100:nodes=1 --model llama3.1-405b)
cli_test(search_econ_set 0 "objective cost" search --system dgx-a100:nodes=2 --model llama2-7b --objective cost --set economics.electricity_usd_per_kwh=0.2 --top 1)
cli_test(search_econ_typo 2 "did you mean" search --system dgx-a100:nodes=2 --model llama2-7b --set economics.electricity_usd_per_kwhh=0.2)
cli_test(compare_text 0 "(?s)time to train.*energy.*cost.*by throughput \\(resized\\) +25 +8.*by throughput \\(linear\\).*by cost per hour.*by peak BF16 \\(naive\\) +29 +8" compare --system dojo-tile --system dgx-a100:nodes=1 --model llama2-7b --tokens 1e9)
cli_test(compare_json 0 "(?s)^\\[.*\"equivalent_devices\":.*\"time_to_train_s\"" compare --system dojo-tile --system dgx-a100:nodes=1 --model llama2-7b --format json)
cli_test(compare_one_system 2 "at least two systems" compare --system dojo-tile --model llama2-7b)
cli_test(compare_bad_reference 2 "is not one of the --system values" compare --system dojo-tile --system dgx-a100 --model llama2-7b --reference dgx-h100)
cli_test(compare_bad_tokens 2 "out of range" compare --system dojo-tile --system dgx-a100 --model llama2-7b --tokens -5)
# Issue 6: the three-way comparison of a GPT-3 training run.
cli_test(compare_gpt3_run 0 "(?s)dojo-exapod.*dgx-a100:nodes=435.*dgx-h100:nodes=128.*time to train.*energy.*cost" compare --system dojo-exapod --system dgx-a100:nodes=435 --system dgx-h100:nodes=128 --model gpt3-175b --tokens 300e9)
add_test(NAME e2e.compare_hand_worked COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_compare.py $<TARGET_FILE:dojosim>)
set_tests_properties(e2e.compare_hand_worked PROPERTIES LABELS e2e TIMEOUT 120)
# --set reaches economics parameters in run as well (issue 6).
cli_test(run_econ_set 0 "energy .* per step, .* average, \\$[0-9.]+" run --system dgx-a100:nodes=1 --model llama2-7b --set economics.cloud_usd_per_device_hour=2.0)
cli_test(run_econ_typo 2 "did you mean 'electricity_usd_per_kwh'" run --system dgx-a100:nodes=1 --model llama2-7b --set economics.electricity_usd_per_kw=0.1)
# Vision networks in search and compare (issue 7).
cli_test(search_vision 0 "(?s)search: resnet50 on dgx-h100.*objective time per sample.*samples/s.*per-token figures are per sample" search --system dgx-h100 --model resnet50 --top 2)
cli_test(compare_vision 0 "(?s)compare: tesla-video.*dp[0-9]+ spatial[0-9]+.*samples/s.*by throughput \\(resized\\) +[0-9]+ +4096" compare --system dojo-exapod --system dgx-a100:nodes=512 --model tesla-video)
cli_test(compare_vision_seq 2 "--seq does not apply to resnet50" compare --system dojo-tile --system dgx-a100 --model resnet50 --seq 1024)
# Review fixes: a reason when no split matches; spatial plans are not pruned; references
# resize through their preset's size parameter (or say they cannot).
cli_test(run_no_split_reason 2 "no split of the 8 devices matches dp=3" run --system dgx-h100:nodes=1 --model llama3-8b --parallel dp=3)
cli_test(search_vision_spatial_fits 0 "(?s)1 +[0-9.]+ s.*spatial=8" search --system dgx-a100:nodes=1 --set device.memory.hbm.capacity=8GB --model vit-h14 --parallel spatial=8,zero=3 --top 1)
cli_test(compare_reference_without_size 0 "by throughput \\(resized\\) +150 +n/a \\(no size parameter\\)" compare --system dojo-tray --system dgx-h100:nodes=32 --model llama3-8b --reference dojo-tray)
cli_test(run_event_too_many_passes 2 "the limit is" run --system dgx-h100:nodes=2 --model llama3-8b --parallel tp=8,pp=2,dp=1,vp=1,mbs=1,gbs=68719476736,zero=0,recompute=none,sp=true,cp=1 --engine event)
# Fair comparisons (DESIGN.md 4.5): one stack on every system unless --stack says otherwise.
cli_test(compare_same_stack 0 "(?s)software: every system on the megatron-core stack \\(the reference's default\\).*stack +megatron-core +megatron-core" compare --system dojo-tile --system dgx-a100:nodes=1 --model llama2-7b --tokens 1e9)
cli_test(compare_stack_per_system 0 "(?s)the stacks differ between systems.*stack +dojo +megatron-2021" compare --system dojo-tile --system dgx-a100:nodes=1 --model llama2-7b --tokens 1e9 --stack dojo --stack megatron-2021)
cli_test(compare_stack_count 2 "3 --stack values for 2 systems" compare --system dojo-tile --system dgx-a100:nodes=1 --model llama2-7b --stack dojo --stack fsdp --stack dojo)
cli_test(default_scenario_stack 0 "Assumption: both run the same software stack, megatron-core")
cli_test(run_stack_json 0 "\"stack\": \"deepspeed\"" run --system dgx-a100:nodes=2 --model llama3-8b --stack deepspeed --format json)
cli_test(run_stack_typo 2 "did you mean 'fsdp'" run --system dgx-a100:nodes=2 --model llama3-8b --stack fsdb)
cli_test(run_stack_set 2 "overlap" run --system dgx-a100:nodes=2 --model llama3-8b --set stack.overlap.tp=2)
cli_test(list_stacks 0 "(?s)megatron-2021.*megatron-core.*deepspeed.*fsdp.*maxtext.*dojo" list stacks)
cli_test(show_stack 0 "(?s)name: megatron-2021.*kernel: unfused" show stack megatron-2021)
cli_test(run_partial_rack 0 "llama3-70b on gb200-nvl72 \\(512 x" run --system gb200-nvl72:devices=512 --model llama3-70b)
cli_test(run_zero3_comm_bound 0 "ZeRO-3 is communication-bound" run --system dgx-a100:devices=1536 --model gpt3-175b --parallel tp=1,pp=1,dp=1536,mbs=1,gbs=1536,zero=3,recompute=full)
# docs/dojo.md quotes the verdict under each stack: the script's rows must be in it verbatim.
add_test(NAME e2e.docs_stack_verdicts COMMAND sh -c "/usr/bin/python3 ${PROJECT_SOURCE_DIR}/scripts/stack_verdicts.py $<TARGET_FILE:dojosim> > ${CMAKE_CURRENT_BINARY_DIR}/verdicts.md && grep -c '^|' ${CMAKE_CURRENT_BINARY_DIR}/verdicts.md | grep -qx 6 && while IFS= read -r row; do grep -qF \"$row\" ${PROJECT_SOURCE_DIR}/docs/dojo.md || { echo \"docs/dojo.md lacks: $row\"; exit 1; }; done < ${CMAKE_CURRENT_BINARY_DIR}/verdicts.md")
set_tests_properties(e2e.docs_stack_verdicts PROPERTIES LABELS e2e TIMEOUT 300)
add_test(NAME e2e.stack_paths COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_stack_paths.py $<TARGET_FILE:dojosim>
         ${PROJECT_SOURCE_DIR}/tests/data ${CMAKE_CURRENT_SOURCE_DIR}/sweep_spaces ${CMAKE_CURRENT_BINARY_DIR}/stack_work)
set_tests_properties(e2e.stack_paths PROPERTIES LABELS e2e TIMEOUT 300)
