#!/usr/bin/env python3
"""GEMM efficiency (`gemm_max`) of devices no calibration run covers, derived from
component-level GEMM benchmarks (docs/validation.md#gemm-transfer).

A stack's calibrated `gemm_max` on H100 (megatron-core, fit to the DGXC rows of
calibration.csv) is a fraction of what the same GEMM library reaches in a benchmark on
H100. That ratio -- how much of the benchmark's rate training keeps -- is carried to a
device without a calibration run of its own, times that device's benchmark rate:

    gemm_max(device, p) = MAMF(device, p) / peak(device, p)
                          x gemm_max(H100, megatron-core, p) / (MAMF(H100, p) / peak(H100, p))

MAMF: the "maximum achievable matmul FLOPS" best shape of the ml-engineering MAMF table
(torch.mm / torch._scaled_mm over cuBLAS(Lt)), kept with its source in
docs/data/gemm_points.csv. Peaks come from the presets. Every value is an assumption
derived from measurements, not a fit.

Usage: derive_gemm_max.py [--check | --write]
  --check: exit 1 unless the presets hold these values and docs/validation.md quotes this table
  --write: rewrite the table in docs/validation.md (between its figures:gemm-transfer markers)
"""
import csv
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ANCHOR = "H100_SXM"
# Presets whose device efficiency is derived here, with their benchmark row.
TARGETS = [("dgx-a100", "A100_SXM"), ("dgx-a100-40g", "A100_SXM"), ("dgx-b200", "B200_SXM"), ("gb200-nvl72", "GB200")]
PRECISIONS = {"bf16": "bf16", "fp8": "fp8_e4m3"}


def mamf():
    best = {}
    with open(os.path.join(ROOT, "docs", "data", "gemm_points.csv"), encoding="utf-8") as f:
        for r in csv.DictReader(f):
            lib = r["library"]
            if "MAMF best shape" not in lib or "older" in lib:
                continue
            best[(r["gpu"], r["precision"])] = float(r["tflops"]) * 1e12
    return best


def tflops(text):
    m = re.match(r"\s*([0-9.]+)\s*TFLOP/s", str(text))
    if not m:
        raise ValueError(f"not a TFLOP/s figure: {text}")
    return float(m.group(1)) * 1e12


def preset(name):
    with open(os.path.join(ROOT, "configs", "systems", f"{name}.yaml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def value(node):
    return node["value"] if isinstance(node, dict) else node


def derive():
    bench = mamf()
    with open(os.path.join(ROOT, "configs", "stacks", "megatron-core.yaml"), encoding="utf-8") as f:
        mc = yaml.safe_load(f)
    h100 = preset("dgx-h100")["device"]
    out = {}
    for prec, row in PRECISIONS.items():
        calibrated = value(mc["devices"]["h100"]["gemm_max"][prec])
        anchor = bench[(ANCHOR, row)] / tflops(value(h100["peak"][prec]))
        keep = calibrated / anchor
        for name, gpu in TARGETS:
            dev = preset(name)["device"]
            if prec not in dev["peak"] or (gpu, row) not in bench:
                continue
            eff = bench[(gpu, row)] / tflops(value(dev["peak"][prec]))
            out[(name, prec)] = (round(eff * keep, 3), eff, keep)
    return out


DOC = os.path.join(ROOT, "docs", "validation.md")
BEGIN, END = "<!-- figures:gemm-transfer -->", "<!-- /figures:gemm-transfer -->"


def table(derived):
    lines = ["| preset | precision | benchmark / peak | x H100 keep ratio | gemm_max |", "|---|---|---|---|---|"]
    for (name, prec), (g, eff, keep) in sorted(derived.items()):
        lines.append(f"| {name} | {prec} | {eff:.3f} | {keep:.3f} | {g:.3f} |")
    return "\n".join(lines) + "\n"


def main():
    derived = derive()
    text = table(derived)
    print(text, end="")
    doc = open(DOC, encoding="utf-8").read()
    a, b = doc.index(BEGIN) + len(BEGIN) + 1, doc.index(END)
    if "--write" in sys.argv:
        open(DOC, "w", encoding="utf-8").write(doc[:a] + text + doc[b:])
    if "--check" in sys.argv and doc[a:b] != text:
        print("docs/validation.md's gemm-transfer table differs from the derivation (run with --write)")
        sys.exit(1)
    if "--check" in sys.argv:
        bad = []
        for (name, prec), (g, _, _) in derived.items():
            have = value(preset(name)["device"]["efficiency"]["gemm_max"][prec])
            if abs(have - g) > 1e-9:
                bad.append(f"{name} {prec}: preset {have}, derived {g}")
        if bad:
            print("\n".join(bad))
            sys.exit(1)


if __name__ == "__main__":
    main()
