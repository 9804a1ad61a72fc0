#!/usr/bin/env python3
"""Writes the small ONNX test models committed next to this script (deterministic).

tiny_cnn.onnx:    Conv(3->8, 3x3, pad 1) BatchNorm Relu MaxPool(2) Conv(8->16, 3x3, stride 2,
                  pad 1) Relu GlobalAveragePool Flatten Gemm(16->10) Softmax on a 1x3x32x32 input.
                  Closed forms checked by tests/unit/test_vision_onnx.cpp.
unsupported.onnx: a graph with operators dojosim does not price (NonMaxSuppression, two
                  LSTMs and a custom-domain op), to check the error lists every one.
Needs python3-onnx (Debian). Usage: make_tiny.py [OUT_DIR]
"""
import sys
import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

out = sys.argv[1] if len(sys.argv) > 1 else "."
rng = np.random.default_rng(7)


def init(name, shape):
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)


nodes = [
    helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("BatchNormalization", ["c1", "g1", "be1", "m1", "v1"], ["n1"], name="bn1"),
    helper.make_node("Relu", ["n1"], ["r1"], name="relu1"),
    helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
    helper.make_node("Conv", ["p1", "w2"], ["c2"], name="conv2", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
    helper.make_node("GlobalAveragePool", ["r2"], ["g"], name="gap"),
    helper.make_node("Flatten", ["g"], ["f"], name="flatten", axis=1),
    helper.make_node("Gemm", ["f", "wf", "bf"], ["logits"], name="fc", transB=1),
    helper.make_node("Softmax", ["logits"], ["y"], name="softmax", axis=1),
]
inits = [init("w1", (8, 3, 3, 3)), init("b1", (8,)), init("g1", (8,)), init("be1", (8,)), init("m1", (8,)),
         init("v1", (8,)), init("w2", (16, 8, 3, 3)), init("wf", (10, 16)), init("bf", (10,))]
graph = helper.make_graph(nodes, "tiny_cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
model = helper.make_model(graph, producer_name="dojosim tests/data/onnx/make_tiny.py", opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
save(model, f"{out}/tiny_cnn.onnx")

nodes = [
    helper.make_node("Relu", ["x"], ["a"], name="relu"),
    helper.make_node("LSTM", ["a", "W", "R"], ["h1"], name="lstm_a", hidden_size=4),
    helper.make_node("LSTM", ["a", "W", "R"], ["h2"], name="lstm_b", hidden_size=4),
    helper.make_node("NonMaxSuppression", ["boxes", "scores"], ["sel"], name="nms"),
    helper.make_node("FancyOp", ["a"], ["z"], name="fancy", domain="com.example"),
]
graph = helper.make_graph(nodes, "unsupported", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 1, 4]),
                                                 helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, 4, 4]),
                                                 helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 1, 4])],
                          [helper.make_tensor_value_info("z", TensorProto.FLOAT, [2, 1, 4])],
                          [init("W", (1, 16, 4)), init("R", (1, 16, 4))])
model = helper.make_model(graph, producer_name="dojosim tests/data/onnx/make_tiny.py",
                          opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.example", 1)])
model.ir_version = 8
save(model, f"{out}/unsupported.onnx")

# truncated.onnx: the first 3000 bytes of tiny_cnn.onnx (a cut download).
with open(f"{out}/tiny_cnn.onnx", "rb") as f:
    head = f.read(3000)
with open(f"{out}/truncated.onnx", "wb") as f:
    f.write(head)
