# Vision networks and ONNX import (issue 7): run on GPU and Dojo systems, bad inputs.
foreach(sys dgx-a100 dgx-h100 dojo-tile dojo-exapod)
  cli_test(vision_resnet50_${sys} 0 "(?s)resnet50 on ${sys}.*images/s [0-9.e+]+.*MFU +[0-9.]+%.*memory per device.*\\(fits" run --system ${sys} --model resnet50)
  cli_test(vision_video_${sys} 0 "(?s)tesla-video on ${sys}.*clips/s [0-9.e+]+.*MFU +[0-9.]+%.*\\(fits" run --system ${sys} --model tesla-video)
endforeach()
# Values: ResNet-50's 3 x 8.18 GFLOP per image, samples/s, MFU, data-parallel scaling.
add_test(NAME e2e.vision_laws COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_laws.py $<TARGET_FILE:dojosim> vision)
set_tests_properties(e2e.vision_laws PROPERTIES LABELS e2e TIMEOUT 300)
cli_test(vision_run_json 0 "(?s)\"tokens_per_s\".*\"samples_per_s\".*\"sample_unit\": \"images\".*\"spatial\": 2.*\"spatial_comm\": [0-9]*\\.?[0-9]*[1-9]" run --system dgx-h100 --model resnet50 --parallel dp=4,spatial=2,mbs=64,gbs=512,zero=1,recompute=none --format json)
cli_test(vision_spatial_text 0 "(?s)spatial_comm.*halo exchange: .* received per device" run --system dojo-tile --model tesla-video --parallel spatial=5)
cli_test(vision_video_params 0 "(?s)tesla-video:cameras=6,frames=4 on dgx-h100.*clips/s" run --system dgx-h100 --model tesla-video:cameras=6,frames=4)
cli_test(vision_show_video 0 "(?s)sample: clip.*input: \\[8, 8, 3, 960, 1280\\].*params_millions" show model tesla-video)
cli_test(vision_show_resnet50 0 "(?s)params: 25557032.*forward_gmacs_per_sample: 4.089" show model resnet50)
cli_test(vision_list_models 0 "(?s)resnet50 .*vision.*tesla-video .*vision" list models)
cli_test(vision_onnx_tiny 0 "(?s)tiny_cnn on dgx-a100.*images/s" run --system dgx-a100 --model ${DATA}/onnx/tiny_cnn.onnx)
# Bad input: exit 2 with the reason.
cli_test(vision_bad_tp 2 "tp=2 is not available for vision networks" run --system dgx-h100 --model resnet50 --parallel tp=2)
cli_test(vision_bad_tp_full 2 "invalid strategy: tp=2 is not available for vision networks" run --system dgx-h100 --model resnet50 --parallel tp=2,dp=4,spatial=1,mbs=8,gbs=64,zero=0,recompute=none)
cli_test(vision_bad_param 2 "(?s)has no parameter 'camera'.*did you mean 'cameras'" run --system dgx-h100 --model tesla-video:camera=6)
cli_test(vision_bad_seq 2 "--seq does not apply" run --system dgx-h100 --model resnet50 --seq 2048)
cli_test(vision_spatial_transformer 2 "spatial=2 partitions feature maps of vision networks" run --system dgx-h100 --model llama3-8b --parallel spatial=2)
cli_test(vision_onnx_unsupported 2 "(?s)3 ONNX operator types cannot be priced.*LSTM \\(2 nodes: lstm_a, lstm_b\\).*NonMaxSuppression" run --system dgx-h100 --model ${DATA}/onnx/unsupported.onnx)
cli_test(vision_onnx_missing 2 "no_such.onnx: .*cannot open ONNX file" show model ${DATA}/onnx/no_such.onnx)
cli_test(vision_onnx_truncated 2 "truncated.onnx: malformed ONNX file" run --system dgx-h100 --model ${DATA}/onnx/truncated.onnx)
# A real model exported by PyTorch: ResNet-50 forward = 4.1 GMAC = 8.2 GFLOP (skipped without torch).
add_test(NAME e2e.onnx_resnet50 COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_onnx_resnet50.py
         $<TARGET_FILE:dojosim> ${PROJECT_SOURCE_DIR}/tests/data/onnx/export_resnet50.py ${CMAKE_BINARY_DIR}/onnx)
set_tests_properties(e2e.onnx_resnet50 PROPERTIES LABELS e2e TIMEOUT 300 SKIP_RETURN_CODE 77)
