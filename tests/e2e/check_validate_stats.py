#!/usr/bin/env python3
"""validate's exit code and statistics (DESIGN.md 4.4): a failed case exits 3 and stays in
the list with its error; mape and max_abs_error_pct are numbers over the evaluated cases,
recomputed here from the cases' own error_pct; a file of good cases only exits 0 with the
same statistics for the same case."""
import json, math, subprocess, sys

dojosim, data = sys.argv[1], sys.argv[2]

def validate(name):
    p = subprocess.run([dojosim, "validate", f"{data}/{name}", "--format", "json"], capture_output=True, text=True)
    return p.returncode, json.loads(p.stdout), p.stderr

problems = []
rc, j, err = validate("one_failed.csv")
if rc != 3: problems.append(f"one_failed.csv: exit {rc}, expected 3 ({err.strip()})")
ok = [c for c in j["cases"] if "error" not in c]
bad = [c for c in j["cases"] if "error" in c]
if len(ok) != 1 or len(bad) != 1: problems.append(f"expected 1 evaluated and 1 failed case, got {len(ok)} and {len(bad)}")
if bad and "dgx-a999" not in bad[0]["error"]: problems.append(f"the failed case's error does not name the system: {bad[0]['error']}")
for key in ("mape", "max_abs_error_pct"):
    v = j.get(key)
    if not isinstance(v, (int, float)) or not math.isfinite(v): problems.append(f"{key} = {v!r} is not a finite number")
if ok:
    e = ok[0]
    recomputed = (e["predicted_step_time_s"] / e["measured_step_time_s"] - 1) * 100
    if abs(recomputed - e["error_pct"]) > 1e-9 * max(1, abs(recomputed)): problems.append(f"error_pct {e['error_pct']} != {recomputed}")
    if abs(j["mape"] - abs(e["error_pct"])) > 1e-9: problems.append(f"mape {j['mape']} != |error_pct| {abs(e['error_pct'])}")
    if abs(j["max_abs_error_pct"] - abs(e["error_pct"])) > 1e-9: problems.append(f"max {j['max_abs_error_pct']} != |error_pct|")
if j.get("failed") != 1 or j.get("evaluated") != 1: problems.append(f"failed/evaluated = {j.get('failed')}/{j.get('evaluated')}, expected 1/1")
rc2, j2, err2 = validate("one_ok.csv")
if rc2 != 0: problems.append(f"one_ok.csv: exit {rc2}, expected 0 ({err2.strip()})")
if ok and j2["cases"][0]["error_pct"] != ok[0]["error_pct"]: problems.append("the same case gives a different error alone")
for p in problems: print(p)
sys.exit(1 if problems else 0)
