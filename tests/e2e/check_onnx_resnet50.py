#!/usr/bin/env python3
"""Exports torchvision's ResNet-50 (random weights) to ONNX with Debian's python3-torch and
imports it with dojosim: the forward cost of one 224x224 image must be the known 4.1 GMAC =
8.2 GFLOP (2 FLOPs per MAC) within 3%, and its parameters 25.6 M within 0.5%; `run` must
price it on a DGX H100. Exit 77 (skipped) when torch, torchvision or onnx are missing.
Usage: check_onnx_resnet50.py DOJOSIM EXPORT_SCRIPT WORK_DIR"""
import json
import os
import subprocess
import sys

dojosim, export, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
onnx_path = os.path.join(work, "resnet50.onnx")
rc = subprocess.run([sys.executable, export, onnx_path]).returncode
if rc == 77:
    sys.exit(77)
if rc != 0:
    sys.exit(f"export failed with exit code {rc}")

show = subprocess.run([dojosim, "show", "model", onnx_path, "--format", "json"], capture_output=True, text=True)
if show.returncode != 0:
    sys.exit(f"dojosim show failed ({show.returncode}): {show.stderr}")
d = json.loads(show.stdout)["derived"]
flops, params = float(d["forward_flops_per_sample"]), float(d["params"])
print(f"imported ResNet-50: {flops / 1e9:.3f} GFLOP ({flops / 2e9:.3f} GMAC) per image, {params / 1e6:.3f} M parameters")
errors = []
if abs(flops / 8.2e9 - 1) > 0.03:
    errors.append(f"forward FLOPs {flops:.4g}, expected 8.2e9 within 3%")
if abs(params / 25.557e6 - 1) > 0.005:
    errors.append(f"parameters {params:.6g}, expected 25.557e6 within 0.5%")

run = subprocess.run([dojosim, "run", "--system", "dgx-h100", "--model", onnx_path, "--format", "json"],
                     capture_output=True, text=True)
if run.returncode != 0:
    errors.append(f"dojosim run failed ({run.returncode}): {run.stderr}")
else:
    r = json.loads(run.stdout)
    if not (0 < r["mfu"] < 1 and r["samples_per_s"] > 0):
        errors.append(f"implausible run result: mfu {r['mfu']}, samples/s {r['samples_per_s']}")
    print(f"run on dgx-h100: {r['samples_per_s']:.4g} images/s, MFU {100 * r['mfu']:.1f}%")
if errors:
    sys.exit("; ".join(errors))
