#!/usr/bin/env python3
"""Runs `dojosim validate` on a CSV of measured runs kept in the repository and checks
the accuracy thresholds given: check_validation.py DOJOSIM CSV MAX_MAPE MAX_ABS_ERROR.
Every case must be evaluated (a failed case fails the check) and carry its stack."""
import json, subprocess, sys

dojosim, csv, max_mape, max_err = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
out = subprocess.run([dojosim, "validate", csv, "--format", "json"], capture_output=True, text=True)
if out.returncode not in (0, 3):
    print(out.stdout, out.stderr)
    sys.exit(1)
j = json.loads(out.stdout)
bad = [c for c in j["cases"] if "error" in c]
if out.returncode != (3 if bad else 0):  # DESIGN.md 4.4: 3 exactly when a case failed
    print(f"exit {out.returncode} with {len(bad)} failed cases")
    sys.exit(1)
for c in j["cases"]:
    print(f'{c["id"]:<30} {c.get("stack", "?"):<14} {c.get("predicted_step_time_s", float("nan")):>9.3f} '
          f'{c["measured_step_time_s"]:>9.3f} {c.get("error_pct", float("nan")):+7.2f}%  {c.get("error", "")}')
worst = max(abs(c["error_pct"]) for c in j["cases"] if "error_pct" in c)
print(f'MAPE {j["mape"]:.2f}% (limit {max_mape}%)  max {worst:.2f}% (limit {max_err}%)  failed {len(bad)}')
for key, g in j.get("by_system_stack", {}).items():
    print(f'  {key:<32} {g["cases"]:>3} cases  mean {g["mape"]:.2f}%  max {g["max_abs_error_pct"]:.2f}%')
no_stack = [c["id"] for c in j["cases"] if not c.get("stack")]
ok = not bad and not no_stack and j["mape"] <= max_mape and worst <= max_err
sys.exit(0 if ok else 1)
