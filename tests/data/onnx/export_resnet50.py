#!/usr/bin/env python3
"""Exports torchvision's ResNet-50 (random weights) to ONNX at 1x3x224x224, in training mode
so batch norms stay in the graph. Usage: export_resnet50.py OUT.onnx
Exit 77 (CTest: skipped) when torch, torchvision or onnx are not installed for this python."""
import sys

try:
    import torch
    import torchvision
    import onnx  # noqa: F401  (torch.onnx needs it to check the model)
except Exception as e:  # pragma: no cover - depends on the machine
    print(f"skipping: {e}")
    sys.exit(77)

torch.manual_seed(0)
model = torchvision.models.resnet50(weights=None)
model.train()
x = torch.randn(1, 3, 224, 224)
torch.onnx.export(model, x, sys.argv[1], opset_version=13, training=torch.onnx.TrainingMode.TRAINING,
                  do_constant_folding=False, input_names=["image"], output_names=["logits"])
print(f"wrote {sys.argv[1]}")
