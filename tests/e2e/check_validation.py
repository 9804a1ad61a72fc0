#!/usr/bin/env python3
"""Runs `dojosim validate` on the calibration CSV and checks the accuracy targets."""
import json, os, subprocess, sys

dojosim, csv = sys.argv[1], sys.argv[2]
if not os.path.exists(csv):
    print(f"skipped: {csv} not found")
    sys.exit(77)
out = subprocess.run([dojosim, "validate", csv, "--format", "json"], capture_output=True, text=True)
if out.returncode != 0:
    print(out.stdout, out.stderr)
    sys.exit(1)
j = json.loads(out.stdout)
bad = [c for c in j["cases"] if "error" in c]
for c in j["cases"]:
    print(f'{c["id"]:<22} {c.get("predicted_step_time_s", float("nan")):>9.3f} {c["measured_step_time_s"]:>9.3f} {c.get("error_pct", float("nan")):+7.2f}%')
print(f'MAPE {j["mape"]:.2f}%  max {j["max_abs_error_pct"]}  failed {len(bad)}')
ok = not bad and j["mape"] <= 5.0 and j["max_abs_error_pct"] <= 12.0
sys.exit(0 if ok else 1)
