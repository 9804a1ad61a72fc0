#!/usr/bin/env python3
"""The default scenario's question under each software stack: one Dojo ExaPOD against the
equal-peak DGX A100 cluster (435 nodes) on GPT-3 175B, both machines on the same stack.
Prints the markdown rows quoted in docs/dojo.md (checked by e2e.docs_stack_verdicts).
Usage: scripts/stack_verdicts.py [path/to/dojosim]"""
import json, subprocess, sys

dojosim = sys.argv[1] if len(sys.argv) > 1 else "build/release/apps/dojosim/dojosim"
for st in ["megatron-2021", "megatron-core", "deepspeed", "fsdp", "maxtext", "dojo"]:
    out = subprocess.run([dojosim, "compare", "--system", "dojo-exapod", "--system", "dgx-a100:nodes=435", "--model",
                          "gpt3-175b", "--stack", st, "--format", "json"], capture_output=True, text=True, check=True)
    d = {e["system"]: e for e in json.loads(out.stdout)}
    x, a = d["dojo-exapod"], d["dgx-a100:nodes=435"]
    ratio = x["tokens_per_s"] / a["tokens_per_s"]
    eq = "n/a" if x["equivalent_devices"] is None else f'{x["equivalent_devices"]:.0f}'
    verdict = "ExaPOD faster" if ratio > 1 else "A100 cluster faster"
    print(f'| {st} | {x["tokens_per_s"] / 1e3:.1f}k | {a["tokens_per_s"] / 1e3:.1f}k | {ratio:.3f} | {eq} | {verdict} |')
