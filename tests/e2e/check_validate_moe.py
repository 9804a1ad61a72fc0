#!/usr/bin/python3
"""A mixture-of-experts row of a validation CSV (columns experts, top_k) is priced as the
zoo's MoE model with the same plan: same parameters, same step time. Without those columns
the row would be a dense model and some 40% faster."""
import json
import subprocess
import sys

dojosim, csv_file = sys.argv[1], sys.argv[2]
v = json.loads(subprocess.run([dojosim, "validate", csv_file, "--format", "json"], check=True, capture_output=True,
                              text=True).stdout)
case = v["cases"][0]
spec = ",".join(f"{k}={case['strategy'][k]}" for k in ("tp", "pp", "dp", "cp", "ep", "vp", "mbs", "gbs", "sp", "zero",
                                                       "recompute"))
spec = spec.replace("True", "true").replace("False", "false")
r = json.loads(subprocess.run([dojosim, "run", "--system", "dgx-h100:devices=64", "--model", "mixtral-8x7b", "--seq", "4096",
                               "--parallel", spec, "--format", "json"], check=True, capture_output=True, text=True).stdout)
a, b = case["predicted_step_time_s"], r["step_time_s"]
assert abs(a - b) <= 1e-9 * b, (a, b, spec)
dense = json.loads(subprocess.run([dojosim, "validate", csv_file.replace("moe.csv", "moe_as_dense.csv"), "--format", "json"],
                                  check=True, capture_output=True, text=True).stdout)["cases"][0]["predicted_step_time_s"]
assert dense < 0.8 * a, (dense, a)
print(f"MoE row {a:.4f} s == run {b:.4f} s; as a dense model {dense:.4f} s")
