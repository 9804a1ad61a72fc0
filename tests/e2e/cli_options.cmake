# Every command-line option validated in house style (DESIGN.md 4.1, issue 16): a bad value
# exits 2 with "error: option NAME: ..." and what was expected; never a silent default and
# never the argument library's raw wording ("Could not convert").
set(RUN run --system dgx-h100:nodes=2 --model llama3-8b)
set(SEARCH search --system dgx-h100:nodes=2 --model llama3-8b)
set(COMPARE compare --system dgx-h100:nodes=2 --system dojo-tray --model llama3-8b)
cli_test(opt_run_seq_negative 2 "error: option --seq: -1 is out of range\\n  expected: a sequence length in tokens: a whole number from 1 to 16777216" ${RUN} --seq -1)
cli_test(opt_run_seq_zero 2 "error: option --seq: 0 is out of range" ${RUN} --seq 0)
cli_test(opt_run_seq_huge 2 "error: option --seq: '1e12' is not a whole number" ${RUN} --seq 1e12)
cli_test(opt_run_seq_word 2 "error: option --seq: 'long' is not a whole number" ${RUN} --seq long)
cli_test(opt_run_seq_overflow 2 "error: option --seq: 99999999999999999999 is out of range" ${RUN} --seq 99999999999999999999)
cli_test(opt_run_format 2 "(?s)error: option --format: 'xml' is not a valid value.*expected: one of text, json" ${RUN} --format xml)
cli_test(opt_run_engine 2 "(?s)error: option --engine: 'evnt' is not a valid value.*did you mean 'event'" ${RUN} --engine evnt)
cli_test(opt_run_svg_collective 2 "error: option --svg-collective: 'xp' is not a valid value" ${RUN} --svg x.svg --svg-collective xp)
cli_test(opt_run_precision 2 "(?s)error: --precision: key 'precision': unknown precision 'fp7'.*expected: bf16, fp16, fp8 or cfp8" ${RUN} --precision fp7)
cli_test(opt_run_parallel 2 "error: --parallel: key 'tp': tp=abc is not a whole number" ${RUN} --parallel tp=abc)
cli_test(opt_run_trace_empty 2 "error: option --trace: the value is missing" ${RUN} --trace "")
cli_test(opt_run_unknown 2 "error: The following arguments? (was|were) not expected: .*--sq" ${RUN} --sq 8)
cli_test(opt_run_missing 2 "error: option --model is required" run --system dgx-h100)
cli_test(opt_search_top_zero 2 "error: option --top: 0 is out of range\\n  expected: the number of plans to print: a whole number from 1 to 1000" ${SEARCH} --top 0)
cli_test(opt_search_top_word 2 "error: option --top: 'all' is not a whole number" ${SEARCH} --top all)
cli_test(opt_search_threads 2 "error: option --threads: -1 is out of range" ${SEARCH} --threads -1)
cli_test(opt_search_objective 2 "(?s)error: option --objective: 'tme' is not a valid value.*expected: one of time, cost, energy.*did you mean 'time'" ${SEARCH} --objective tme)
cli_test(opt_search_seq 2 "error: option --seq: 0 is out of range" ${SEARCH} --seq 0)
cli_test(opt_compare_tokens_negative 2 "error: option --tokens: -5 is out of range\\n  expected: tokens of the training run" ${COMPARE} --tokens -5)
cli_test(opt_compare_tokens_zero 2 "error: option --tokens: 0 is out of range" ${COMPARE} --tokens 0)
cli_test(opt_compare_tokens_nan 2 "error: option --tokens: 'nan' is not a number" ${COMPARE} --tokens nan)
cli_test(opt_compare_tokens_huge 2 "error: option --tokens: 1e30 is out of range" ${COMPARE} --tokens 1e30)
cli_test(opt_compare_seq 2 "error: option --seq: 'x' is not a whole number" ${COMPARE} --seq x)
cli_test(opt_sweep_threads 2 "error: option --threads: -2 is out of range" sweep ${PROJECT_SOURCE_DIR}/configs/sweeps/sram-per-d1.yaml --db x.sqlite --threads -2)
cli_test(opt_sweep_export 2 "error: option --export: 'xml' is not a valid value" sweep --export xml --db x.sqlite)
cli_test(opt_sweep_db_empty 2 "error: option --db: the value is missing" sweep ${PROJECT_SOURCE_DIR}/configs/sweeps/sram-per-d1.yaml --db "")
cli_test(opt_validate_format 2 "error: option --format: 'csv' is not a valid value" validate ${DATA}/validation/one_ok.csv --format csv)
cli_test(opt_show_kind 2 "(?s)error: argument kind: 'sytem' is not a valid value.*did you mean 'system'" show sytem dgx-h100)
cli_test(opt_show_format 2 "error: option --format: 'toml' is not a valid value" show system dgx-h100 --format toml)
cli_test(opt_list_format 2 "error: option --format: 'html' is not a valid value" list components --format html)
cli_test(opt_numerics_block 2 "error: option --block: 0 is out of range" numerics quantize bf16 ${DATA}/numerics/float64.npy --block 0)
cli_test(opt_numerics_format 2 "error: option --format: 'yaml' is not a valid value" numerics table bf16 --format yaml)
cli_test(opt_yield_format 2 "error: option --format: 'xml' is not a valid value" yield --format xml)

# Exit codes that tell the truth (DESIGN.md 4.4): validate.
cli_test(validate_bad_time 2 "error: [^\\n]*bad_time.csv:2:104: key 'step_time_s': measured step time 'fast' is not a positive number" validate ${DATA}/validation/bad_time.csv)
cli_test(validate_bad_number 2 "error: [^\\n]*bad_number.csv:2:21: key 'layers': '2x4' is not a whole number" validate ${DATA}/validation/bad_number.csv)
cli_test(validate_bad_recompute 2 "error: [^\\n]*bad_recompute.csv:2:94: key 'recompute'" validate ${DATA}/validation/bad_recompute.csv)
cli_test(validate_failed_case 3 "(?s)unknown-system +- +3.530 +FAILED.*max [0-9]+\\.[0-9]+%; 1 failed.*1 of 2 cases could not be evaluated" validate ${DATA}/validation/one_failed.csv)
add_test(NAME e2e.validate_failed_case_stats COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_validate_stats.py $<TARGET_FILE:dojosim> ${DATA}/validation)
set_tests_properties(e2e.validate_failed_case_stats PROPERTIES LABELS e2e TIMEOUT 120)
# Found by fuzz/fuzz_validation_csv: invalid UTF-8 in a field made the JSON writer throw
# (internal error, exit 1); the case is now reported (U+FFFD in its id), exit 0.
cli_test(validate_invalid_utf8_json 0 "(?s)\"id\": \"S[^\"]{1,40}T1-01\".*\"failed\": 0" validate ${PROJECT_SOURCE_DIR}/fuzz/regressions/validation_csv/invalid_utf8_id.csv --format json)
# Options read as text and checked by their parsers: still exit 2 with the key and what was expected.
cli_test(opt_yield_tile_yield 2 "(?s)tile_yield': cannot read 'abc' as a plain number.*expected: a number" yield --tile-yield abc)
cli_test(opt_yield_mfu 2 "(?s)mfu': value '2' is out of range.*expected: a number in \\[0, 1\\]" yield --mfu 2)
cli_test(opt_yield_spares 2 "(?s)spare_dies': value '-1' is out of range" yield --spares -1)
cli_test(opt_numerics_bias 2 "(?s)key 'bias': 'x' is not an integer.*expected: an integer" numerics table bf16 --bias x)
cli_test(opt_numerics_seed 2 "(?s)key 'seed': 'x' is not a seed.*expected: a non-negative integer" numerics quantize bf16 ${DATA}/numerics/float64.npy --seed x)
cli_test(opt_run_stack 2 "(?s)--stack: key 'stack': unknown stack 'megatrn'.*expected: a stack name" ${RUN} --stack megatrn)
cli_test(opt_sweep_out 2 "(?s)key '--out': --out goes with --export" sweep ${PROJECT_SOURCE_DIR}/configs/sweeps/sram-per-d1.yaml --db x.sqlite --out y)
# The default scenario takes the stack both machines run on (README: every command takes --stack).
cli_test(default_scenario_stack_given 0 "Assumption: both run the same software stack, megatron-2021" --stack megatron-2021)
cli_test(default_scenario_stack_unknown 2 "unknown stack 'nosuch'" --stack nosuch)
cli_test(default_scenario_stack_before_command 2 "applies to the default scenario only" --stack dojo run --system dgx-h100 --model llama3-8b)
cli_test(validate_failed_case_suggests 3 "typo-system +- +[0-9.]+ +FAILED +unknown system 'dgx-a1000' \\(did you mean 'dgx-a100'\\?\\) \\[[^]]*typo_system.csv:2\\]" validate ${DATA}/validation/typo_system.csv)
# Long case ids and stack specs widen their columns instead of running into the next one.
add_test(NAME e2e.validate_long_names_apart COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_validate_columns.py $<TARGET_FILE:dojosim> ${DATA}/validation/long_names.csv)
set_tests_properties(e2e.validate_long_names_apart PROPERTIES LABELS e2e TIMEOUT 120)
# A reference sized by devices= that leaves a node partly used is resized by its nodes
# parameter alone (devices=100 was kept beside nodes=k: every resized cluster had 100 GPUs).
cli_test(compare_resized_partial_reference 0 "by throughput \\(resized\\) +128 +100" compare --system dgx-h100:nodes=16 --system dgx-h100:devices=100 --reference dgx-h100:devices=100 --model llama3-8b)
# Input the plan cannot honour is said, not silently bent.
cli_test(run_weights_sram_too_big 3 "no strategy fits with weights=sram on 150 x d1: .* of weights per device, more than the 198 MB of SRAM that holds model state" run --system dojo-tray --model llama3-8b --parallel weights=sram)
cli_test(run_seq_past_learned_positions 0 "seq 8192 is past the 2048 positions gpt3-175b was trained with" run --system dgx-h100:nodes=8 --model gpt3-175b --seq 8192 --parallel tp=8,pp=8,dp=1,mbs=1,gbs=64,zero=1,recompute=full,sp=true,vp=1)
# A user's system file takes its own declared parameters; a directory is not a file.
cli_test(run_file_with_parameters 0 "llama3-8b on dgx-h100 \\(16 x h100-sxm\\)" run --system ${PROJECT_SOURCE_DIR}/configs/systems/dgx-h100.yaml:nodes=2 --model llama3-8b)
cli_test(run_system_directory 2 "is a directory, not a file" run --system ${PROJECT_SOURCE_DIR}/configs/systems --model llama3-8b)
# A range that admits zero says so (overlap.tp=0 is valid).
cli_test(stack_range_from_zero 2 "expected: a plain number from 0 to 1" show stack megatron-core:overlap.tp=2)
# A missing column names a misspelt one among the unknown columns, never a known column, and
# the hint renames it to the expected name (it said "did you mean 'ids'?", the wrong way round).
cli_test(validate_missing_column_misspelt 2 "missing column 'id'; the header has 'ids' instead\\n.*\\n  hint: rename column 'ids' to 'id'$" validate ${DATA}/validation/misspelt_id.csv)
cli_test(validate_missing_column_no_hint 2 "missing column 'id'\\n  expected: the columns of docs/validation\\.md#csv$" validate ${DATA}/validation/no_id.csv)
cli_test(run_partial_plan_does_not_fit 3 "no completion of the given keys fits in memory on 16 x h100-sxm: the closest \\(tp=8,pp=1,dp=2,cp=1,ep=1,vp=1,mbs=1,gbs=512,sp=true,zero=1,recompute=full\\) needs 91.4 GB per device" run --system dgx-h100:nodes=2 --model llama3-70b --seq 4096 --parallel tp=8,pp=1,dp=2,mbs=1,gbs=512,sp=true,zero=1,recompute=full)
cli_test(search_no_zero2_without_replicas 0 "^(?![\\s\\S]*zero=2)" search --system dgx-h100:nodes=1 --model llama3-8b --parallel tp=8,pp=1 --top 20)
# Activation offload (docs/model.md#offload): the resolver offloads layers where the plan
# does not fit otherwise; given, it is checked against the machine and the stack.
cli_test(run_offload_chosen 0 "(?s)chosen \\(fastest feasible\\):[^\\n]*offload_layers=[0-9]+.*fits with activations offloaded to host memory.*offloaded to host memory: [0-9.]+ GB of activations per GPU \\(of 240 GB\\)" run --system gb200-nvl72:devices=64 --model llama3-70b --seq 8192 --precision fp8 --parallel tp=1,pp=1,dp=64,mbs=2,gbs=256,zero=3)
cli_test(run_offload_stack_refuses 2 "the stack does not offload activations" run --system dgx-h100 --model llama3-8b --stack deepspeed --parallel tp=8,pp=1,dp=1,mbs=1,gbs=8,zero=1,recompute=none,offload_layers=4)
cli_test(run_offload_no_host 2 "no `host` memory tier" run --system tpu-v5p --model llama3-8b --parallel tp=8,pp=1,dp=8,mbs=1,gbs=8,zero=1,recompute=none,offload_layers=4)
cli_test(run_offload_json 0 "(?s)\"offload_layers\": 42.*\"offload\": \\{[^}]*\"host_capacity_per_device\": 240000000000" run --system gb200-nvl72:devices=64 --model llama3-70b --seq 8192 --precision fp8 --parallel tp=1,pp=1,dp=64,mbs=2,gbs=256,zero=3,recompute=none,offload_layers=42 --format json)
# A system slower than one instance of the reference (8 A100s against a node of 8 H100s) is
# worth fewer reference devices than that instance: the reference is resized by devices
# below it (the last node partly used), not reported at the instance's 8.
cli_test(compare_below_one_instance 0 "by throughput \\(resized\\) +8 +[1-7]\\n" compare --system dgx-h100 --system dgx-a100 --model llama3-8b)
cli_test(compare_below_one_instance_json 0 "(?s)\"devices\": 150,.*\"equivalent_devices\": 1[0-4][0-9]\\.[0-9]+,.*\"equivalent_devices_bracket\": \\[\\s*1[0-4][0-9],\\s*1[0-4][0-9]\\s*\\]" compare --system dojo-tray --system dojo-exapod --model llama3-8b --format json)
# A (device, stack) pair whose GEMM efficiency no measured run calibrates says so.
cli_test(run_uncalibrated_gemm_note 0 "a100-sxm4-80gb under megatron-core: GEMM efficiency 0.73 \\(assumption, derived from GEMM benchmarks\\) is not calibrated" run --system dgx-a100 --model llama3-8b --parallel tp=8,pp=1,dp=1,mbs=1,gbs=8,zero=1,recompute=none)
cli_test(run_calibrated_no_gemm_note 0 "(?s)\\A(?!.*not calibrated).*step time" run --system dgx-a100 --model llama3-8b --stack megatron-2021 --parallel tp=8,pp=1,dp=1,mbs=1,gbs=8,zero=1,recompute=none)
# Training precisions: fp32/tf32/fp64 are not sized (exit 2, not priced as bf16); a precision
# the device lacks is the --precision option's error; no strategy without given keys blames
# the system, not --parallel. Found by an independent probe.
cli_test(run_fp32_not_modelled 2 "--precision: key 'precision': training in fp32 is not modelled" run --system dgx-h100 --model llama3-8b --precision fp32)
cli_test(run_precision_without_peak 2 "(?s)--precision: key 'precision': a100-sxm4-80gb has no fp8 peak.*expected: a precision the device computes in: bf16, fp16" run --system dgx-a100 --model llama3-8b --precision fp8)
cli_test(run_no_strategy_blames_system 2 "(?s)--system: no valid strategy for this model on this system: dp\\*mbs exceeds the global batch.*--parallel gbs=N" run --system dgx-h100:nodes=100000 --model llama3-8b)
# compare and the default scenario name partial recompute and offload in their tables and
# print each plan whole, to rerun (found by an independent probe: "full" hid 5 of 96 layers).
cli_test(compare_plans_in_full 0 "(?s)gbs / zero / recompute +[0-9]+ / [0-3] / [a-z]+(, offload [0-9]+ layers/chunk| \\([0-9]+ layers/chunk\\))?.*plans:\\n  dgx-h100:nodes=128 +tp=[0-9]+,pp=[0-9]+,dp=[0-9]+,cp=1,ep=1,vp=[0-9]+,mbs=[0-9]+,gbs=2048,sp=(true|false),zero=[0-3],recompute=" compare --system dgx-h100:nodes=128 --system dgx-a100:nodes=64 --model gpt3-175b)
cli_test(default_scenario_plans 0 "(?s)plans:\\n  dojo-exapod +tp=[0-9]+,pp=[0-9]+,dp=[0-9]+.*\\n  dgx-a100:nodes=435 +tp=")
cli_test(build_vs_buy_negative_seq 2 "--seq: -1 is out of range" build-vs-buy --model gpt3-175b --fleet 2 --seq -1)
# Checks across model keys are located at the key's own line (was 1:1).
cli_test(model_cross_key_error_line 2 "bad_kv_heads.yaml:9:1: key 'kv_heads': kv_heads = 3 must divide heads = 8" show model ${DATA}/models/bad_kv_heads.yaml)
# A sequence past the model's trained context is noted (found by an independent probe).
cli_test(run_seq_past_context_noted 0 "seq 32768 is past the 4096 tokens of context llama2-7b was trained with" run --system dgx-h100 --model llama2-7b --seq 32768)
cli_test(show_model_json_exact 0 "\"params\": 8030261248," show model llama3-8b --format json)
# One device: ZeRO-3 shards nothing, so the hint does not suggest it (found by an independent probe).
cli_test(one_device_hint_without_zero3 3 "hint: try more devices or a smaller model" run --system dgx-h100:devices=1 --model llama3-8b)
# validate reads the CSVs a reviewer writes (found by an independent probe): a byte-order
# mark, a trailing row of empty cells and an upper-case header are read; a missing global
# batch, a duplicated column, two values in one cell are located errors; a plan the stack
# cannot run fails as it does in `run`; a fixed-size preset takes its own device count;
# MoE rows are priced as the zoo's MoE model is; typos in names list the names.
cli_test(validate_bom 0 "SC21-T1-01 +[0-9.]+ +3\\.530" validate ${DATA}/validation/bom.csv)
cli_test(validate_trailing_empty_row 0 "over 1 evaluated cases; max [0-9.]+%; 0 failed" validate ${DATA}/validation/trailing_empty_row.csv)
cli_test(validate_upper_header 0 "over 1 evaluated cases" validate ${DATA}/validation/upper_header.csv)
cli_test(validate_no_gbs 2 "no_gbs.csv:2:82: key 'gbs': the global batch is empty" validate ${DATA}/validation/no_gbs.csv)
cli_test(validate_duplicate_column 2 "duplicate_column.csv:1:[0-9]+: key 'tp': column 'tp' appears twice" validate ${DATA}/validation/duplicate_column.csv)
cli_test(validate_two_values 2 "two_values.csv:2:94: key 'recompute': 'selective,full' is not one value" validate ${DATA}/validation/two_values.csv)
cli_test(validate_stack_cannot_run 3 "(?s)FAILED +the stack cannot run this plan: .*no interleaved schedule.*no case evaluated; 1 failed" validate ${DATA}/validation/stack_cannot_run.csv)
cli_test(validate_fixed_preset 0 "t +[0-9.]+ +10\\.000 .* dojo +tp=1" validate ${DATA}/validation/dojo_tile.csv)
cli_test(validate_fixed_preset_count 3 "FAILED +dojo-tile has 25 devices, the row 30" validate ${DATA}/validation/dojo_tile_wrong_count.csv)
cli_test(validate_unknown_stack_lists 3 "FAILED +unknown stack 'nemo' \\(.*stacks: megatron-2021, megatron-core, deepspeed, fsdp, maxtext, dojo\\)" validate ${DATA}/validation/unknown_stack.csv)
cli_test(validate_bad_stack_option 2 "unknown stack 'megatron_core'.*\\n.*\\n  hint: did you mean 'megatron-core'" validate ${DATA}/validation/one_ok.csv --stack megatron_core)
add_test(NAME e2e.validate_moe_row_matches_run COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_validate_moe.py $<TARGET_FILE:dojosim> ${DATA}/validation/moe.csv)
set_tests_properties(e2e.validate_moe_row_matches_run PROPERTIES LABELS e2e TIMEOUT 120)
# compare sizes the reference through sizes that cannot run (577 nodes, prime, against the
# batch: no valid strategy) without aborting: such sizes are never matched (probe finding).
cli_test(compare_sizes_past_sizes_that_cannot_run 0 "by throughput \\(resized\\) +2048 +none \\(max" compare --system dgx-h100:nodes=256 --system gb200-nvl72:racks=28 --model llama3.1-405b --seq 8192 --tokens 15e12)
# compare says when a plan could not keep the batch asked for, and names the system an
# input error is about (probe findings).
cli_test(compare_notes_rounded_batch 0 "note: gb200-nvl72:racks=7 trains with a global batch of 1008 sequences, rounded down from the target 1024" compare --system dgx-h100:nodes=16 --system gb200-nvl72:racks=7 --model llama3-70b --parallel gbs=1024)
cli_test(compare_error_names_system 2 "--system gb200-nvl72:racks=2: override of a key that does not exist" compare --system dgx-h100:nodes=16 --system gb200-nvl72:racks=2 --model llama3-8b --set levels.node.bandwidth=300GB/s)
# FP8 MFU says what it is measured against (it can pass 100%; probe finding).
cli_test(run_fp8_mfu_basis 0 "MFU +[0-9.]+% +HFU [0-9.]+% +\\(against the BF16 peak" run --system dgx-h100:nodes=2 --model llama3-8b --precision fp8)
cli_test(validate_heads_not_dividing 2 "heads_not_dividing.csv:2:[0-9]+: key 'heads': hidden 4100 is not a multiple of heads 32" validate ${DATA}/validation/heads_not_dividing.csv)
cli_test(precision_unknown_lists_training_ones 2 "unknown precision 'bf61'\\n  expected: bf16, fp16, fp8 or cfp8\\n  hint: did you mean 'bf16'" run --system dgx-h100 --model llama3-8b --precision bf61)
# CR-only line ends and a quoted field over two lines are read; an error after it names
# the record's own first line (probe findings).
cli_test(validate_cr_only 0 "over 1 evaluated cases" validate ${DATA}/validation/cr_only.csv)
cli_test(validate_multiline_source 0 "over 1 evaluated cases" validate ${DATA}/validation/multiline_source.csv)
cli_test(validate_multiline_then_bad 2 "multiline_then_bad.csv:4:[0-9]+: key 'sp'" validate ${DATA}/validation/multiline_then_bad.csv)
# Review findings: a sized system whose count is not the row's, an experts column without
# top_k and a quote never closed are located errors; a precision typo suggests a training
# precision; an attention kernel set by the user wins over a stack's per-device kernel.
cli_test(validate_sized_system 3 "FAILED +[^\\n]*dgx-h100:nodes=2 has 16 devices, the row 8" validate ${DATA}/validation/sized_system.csv)
cli_test(validate_experts_without_top_k 2 "experts_without_top_k.csv:2:[0-9]+: key 'experts': an experts column without a top_k column" validate ${DATA}/validation/experts_without_top_k.csv)
cli_test(validate_unclosed_quote 2 "unclosed_quote.csv:2:1: a quoted field opened on this line is never closed" validate ${DATA}/validation/unclosed_quote.csv)
cli_test(precision_typo_suggests_training 2 "unknown precision 'fp33'\\n  expected: bf16, fp16, fp8 or cfp8\\n  hint: did you mean 'fp(8|16)'" run --system dgx-h100 --model llama3-8b --precision fp33)
cli_test(validate_top_k_without_experts 2 "key 'top_k': a top_k column without an experts column" validate ${DATA}/validation/top_k_without_experts.csv)
cli_test(validate_top_k_alone 2 "key 'experts': experts '' with top_k '2' is not a mixture of experts" validate ${DATA}/validation/top_k_alone.csv)
# Found by a new user's probe: a user's system file with a size parameter is resized like a
# preset (compare said "n/a (no size parameter)", sensitivity "()"); sensitivity on a Dojo
# system without ExaPOD links skips those rows instead of failing on a key never written;
# a table key the user sets is that row's base, not "set twice".
cli_test(compare_resizes_custom_system 0 "by throughput \\(resized\\) +128 +[0-9]+\\n" compare --system ${DATA}/systems/custom-sized.yaml:nodes=16 --system dgx-h100:nodes=16 --model llama3-8b)
cli_test(sensitivity_custom_reference 0 "sensitivity: dojo-tray in .*custom-sized.yaml:nodes=4 devices" sensitivity --system dojo-tray --model llama3-8b --reference ${DATA}/systems/custom-sized.yaml:nodes=4)
cli_test(sensitivity_cabinet_skips_exapod_rows 0 "not applicable to dojo-cabinet \\(it has no such level\\): cabinet-to-cabinet bandwidth; cabinet hop latency" sensitivity --system dojo-cabinet)
cli_test(sensitivity_user_set_is_the_base 0 "D1 price +\\$1500 +\\$5000 +\\$6000" sensitivity --system dojo-cabinet --set device.price=$5000)
# economics.mfu is yield's MFU when no engine result is at hand: in run it had no effect (probe).
cli_test(run_rejects_yield_only_mfu 2 "'economics.mfu' has no effect here: the engine prices the plan's own MFU" run --system dgx-h100 --model llama3-8b --set economics.mfu=0.9)
# A row's stack file, named relative to the CSV, is found beside it, and its fault is
# reported at its own file and line as well as the row's.
cli_test(validate_row_file_fault_located 3 "FAILED +unknown key 'atention' at [^ ]*bad-stack.yaml:6:1: .*\\[[^]]*bad_stack_beside.csv:2\\]" validate ${DATA}/validation/bad_stack_beside.csv)
# Blank model and precision cells are errors: an empty kv_heads was taken as multi-head
# attention and an empty precision as bf16, silently (probe).
cli_test(validate_blank_kv_heads 2 "blank_kv_heads.csv:2:49: key 'kv_heads': '' is not a whole number" validate ${DATA}/validation/blank_kv_heads.csv)
cli_test(validate_blank_precision 2 "blank_precision.csv:2:[0-9]+: key 'precision': unknown precision ''" validate ${DATA}/validation/blank_precision.csv)
# Economics keys that cannot act on a run are refused, not silently without effect (probe):
# a tile's yield on GPUs, build-vs-buy's programme keys anywhere; a tile key on Dojo acts.
cli_test(run_rejects_tile_key_on_gpus 2 "'economics.tile_yield' has no effect on dgx-h100: it prices a wafer-scale tile's yield" run --system dgx-h100 --model llama3-8b --set economics.tile_yield=0.5)
cli_test(search_rejects_programme_key 2 "'economics.nre_scale' has no effect here: it is a key of the custom-machine programme" search --system dgx-h100 --model llama3-8b --set economics.nre_scale=2)
cli_test(run_tile_key_on_dojo 0 "energy +[0-9.]+ kJ per step" run --system dojo-tile --model gpt3-13b --set economics.tile_yield=0.5)
# An economics value error names the key as written (it said '--set pue' for economics.pue).
cli_test(run_economics_value_error_names_key 2 "key '--set economics.pue': cannot read 'x'" run --system dgx-h100 --model llama3-8b --set economics.pue=x)
# Every command that prices engine results refuses the economics keys run refuses (probe:
# compare, sensitivity, build-vs-buy and sweep silently ignored them).
cli_test(compare_rejects_tile_key_on_gpus 2 "'economics.tile_yield' has no effect on dgx-h100, dgx-a100" compare --system dgx-h100 --system dgx-a100 --model llama3-8b --set economics.tile_yield=0.05)
cli_test(compare_tile_key_acts_on_dojo 0 "reference: dgx-a100" compare --system dojo-tile --system dgx-a100 --model llama3-8b --set economics.tile_yield=0.5)
cli_test(compare_rejects_programme_key 2 "'economics.nre_scale' has no effect here" compare --system dojo-tile --system dgx-a100 --model llama3-8b --set economics.nre_scale=2)
cli_test(sensitivity_rejects_yield_mfu 2 "'economics.mfu' has no effect here" sensitivity --set economics.mfu=0.9)
cli_test(build_vs_buy_rejects_yield_mfu 2 "'economics.mfu' has no effect here" build-vs-buy --model gpt3-175b --fleet 1 --set economics.mfu=0.9)
cli_test(build_vs_buy_rejects_tile_key_on_gpu_custom 2 "'economics.tile_yield' has no effect on dgx-h100" build-vs-buy --custom dgx-h100:nodes=16 --model llama3-8b --fleet 1 --set economics.tile_yield=0.5)
# search's text and build-vs-buy name the stack they ran on (probe: only search's JSON did).
cli_test(search_text_names_stack 0 "stack: fsdp \\(software: dojosim show stack fsdp\\)" search --system dgx-h100:nodes=2 --model llama3-8b --stack fsdp --top 1)
cli_test(build_vs_buy_names_stack 0 "software: every machine on the megatron-2021 stack" build-vs-buy --model gpt3-175b --fleet 1 --stack megatron-2021)
cli_test(build_vs_buy_json_names_stack 0 "\"stack\": \"fsdp\"" build-vs-buy --model gpt3-175b --fleet 1 --stack fsdp --format json)
# validate locates and bounds as the CLI's options do (probe): the model's max_seq is the
# seq_len column; 0 devices and sequences beyond 2^24 are input errors (they were failed
# cases, exit 3); a field after a quoted line break is located on its own line; with no
# case evaluated the statistics are null.
cli_test(validate_seq_zero_at_its_column 2 "seq_zero.csv:2:51: key 'seq_len'" validate ${DATA}/validation/seq_zero.csv)
cli_test(validate_seq_too_long 2 "seq_too_long.csv:2:51: key 'seq_len': a sequence of 20000000 tokens" validate ${DATA}/validation/seq_too_long.csv)
cli_test(validate_zero_devices 2 "zero_devices.csv:2:77: key 'devices': 0 devices" validate ${DATA}/validation/zero_devices.csv)
cli_test(validate_multiline_field_location 2 "multiline_bad_time.csv:3:95: key 'step_time_s'" validate ${DATA}/validation/multiline_bad_time.csv)
cli_test(validate_no_case_null_stats 3 "\"mape\": null" validate ${DATA}/validation/all_failed.csv --format json)
# A vision network's default batch grown to one sample per replica is said in search's
# header (probe: the best plan's 4096 under "target global batch 512").
cli_test(search_vision_grown_batch_said 0 "target global batch 512 \\(the network's default, grown to one sample per replica: the best plan's is 4096\\)" search --system dgx-a100:nodes=512 --model tesla-video --top 1)
# Empty cp and ep cells in a validation CSV are chosen, as every empty strategy cell is.
add_test(NAME e2e.validate_empty_cp_ep_chosen COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_validate_empty_degrees.py
         $<TARGET_FILE:dojosim> ${DATA}/validation/moe_ep_empty.csv ${DATA}/validation/cp_empty.csv)
set_tests_properties(e2e.validate_empty_cp_ep_chosen PROPERTIES LABELS e2e TIMEOUT 120)
# tp, pp and dp given: the devices left over are the CP degree, at any sequence length.
cli_test(run_given_degrees_imply_cp 0 "strategy +tp=1,pp=1,dp=4,cp=2" run --system dgx-h100 --model llama3-8b --seq 8192 --parallel tp=1,pp=1,dp=4,gbs=128)
# JSON reports the overlaps that were priced: a stack with DP overlap off prices none,
# whatever the plan's overlap_dp (probe: "overlap_dp": true beside an exposed dp_comm).
cli_test(run_json_overlap_dp_is_the_stacks 0 "\"overlap_dp\": false," run --system dgx-h100:nodes=2 --model llama3-8b --parallel tp=8,pp=1,dp=2,mbs=1,gbs=64,zero=1 --stack ${DATA}/stacks/no-dp-overlap.yaml --format json)
cli_test(run_json_overlap_dp_on 0 "\"overlap_dp\": true," run --system dgx-h100:nodes=2 --model llama3-8b --parallel tp=8,pp=1,dp=2,mbs=1,gbs=64,zero=1 --format json)
cli_test(run_json_overlap_zero3_is_the_stacks 0 "\"overlap_zero3\": false," run --system dgx-h100:nodes=2 --model llama3-8b --parallel tp=1,pp=1,dp=16,mbs=1,gbs=64,zero=3 --stack fsdp:zero3.prefetch=0 --format json)
# A stack read from a file is named by its path in the text report (probe: the literal
# placeholder "dojosim show stack FILE, with the file given to --stack").
cli_test(run_text_names_the_stack_file 0 "stack +my-nodp \\(software: dojosim show stack [^\\n]*tests/data/stacks/no-dp-overlap.yaml\\)" run --system dgx-h100:nodes=2 --model llama3-8b --stack ${DATA}/stacks/no-dp-overlap.yaml)
# --set economics.KEY on show system is --set's fault, not the preset's (probe: "<preset
# dgx-h100>: key 'economics': unknown key 'economics'").
cli_test(show_system_refuses_economics_keys 2 "(?s)error: --set: key 'economics.electricity_usd_per_kwh': show system takes no economics keys.*run, search, compare or build-vs-buy" show system dgx-h100 --set economics.electricity_usd_per_kwh=0.1)
cli_test(show_system_refuses_stack_keys 2 "error: --set: key 'stack.overlap.tp': show system takes no stack keys" show system dgx-h100 --set stack.overlap.tp=0.1)
cli_test(run_set_economics_typo_suggests 2 "(?s)unknown economics parameter 'electricity_pric'.*did you mean 'electricity_usd_per_kwh'" run --system dgx-h100 --model llama3-8b --set economics.electricity_pric=0.1)
# An unknown long option names the nearest option of its command (probe: "--paralel tp=2"
# said only "not expected"; "compare --systems X" only "option --system is required").
cli_test(opt_run_unknown_suggests 2 "(?s)not expected: .*--paralel.*hint: --paralel is not an option of dojosim run: did you mean '--parallel'\\?" run --system dgx-h100 --model llama3-8b --paralel tp=2)
cli_test(opt_compare_unknown_suggests 2 "(?s)option --system is required.*hint: --systems is not an option of dojosim compare: did you mean '--system'\\?" compare --systems dgx-h100 --model llama3-8b)
# gated_mlp picks the model's family: an empty cell is an input error (it had been read as
# false, a GPT-style model, with exit 0).
cli_test(validate_gated_mlp_empty 2 "gated_empty.csv:2:[0-9]+: key 'gated_mlp': gated_mlp is empty" validate ${DATA}/validation/gated_empty.csv)
# A failed row blames its own cells, not command-line options validate does not have
# (probe: "unknown stack 'megatron2021' (--stack)" for the CSV's stack cell).
cli_test(validate_failure_names_the_cell 3 "unknown stack 'megatron2021' \\(the row's stack cell\\) \\(did you mean 'megatron-2021'\\?\\)" validate ${DATA}/validation/misspelt_stack_cell.csv)
# Counts are decimal digits (probe: devices=0x180 was read as 384 with exit 0).
cli_test(validate_hex_count 2 "hex_devices.csv:2:[0-9]+: key 'devices': '0x180' is not a whole number" validate ${DATA}/validation/hex_devices.csv)
# Rows of a (device, stack) pair no measured run calibrates are marked, in the case's notes
# and its group's line (probe: B200 rows looked as trustworthy as calibrated ones).
cli_test(validate_marks_uncalibrated_pairs 0 "dgx-b200 / megatron-core +1 cases: mean [0-9.]+%, max [0-9.]+% \\(GEMM efficiency not calibrated for this pair\\)" validate ${DATA}/validation/b200_uncalibrated.csv)
cli_test(validate_notes_uncalibrated_json 0 "\"notes\": \\[[^]]*b200-sxm under megatron-core: GEMM efficiency [0-9.]+ \\(assumption, derived from GEMM benchmarks\\) is not calibrated" validate ${DATA}/validation/b200_uncalibrated.csv --format json)
