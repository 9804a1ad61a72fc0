#!/usr/bin/env python3
"""--stack reaches every command the same way: `validate` (the --stack default and the CSV
column), `sweep` (the space's `stack:` and --stack) give what `run --stack` gives for the
same plan, and different stacks give different times for it.
Usage: check_stack_paths.py DOJOSIM DATA_DIR SPACES_DIR WORK_DIR"""
import json, os, sqlite3, subprocess, sys

exe, data, spaces, work = sys.argv[1:5]
os.makedirs(work, exist_ok=True)
def run(args, code=0):
    p = subprocess.run([exe] + args, capture_output=True, text=True)
    assert p.returncode == code, (args, p.returncode, p.stdout, p.stderr)
    return p.stdout

# validate: a CSV without a stack column, with --stack, equals run --stack on the row's plan.
csv = os.path.join(data, "calibration_no_stack.csv")
v = json.loads(run(["validate", csv, "--stack", "megatron-2021", "--format", "json"]))
for c in v["cases"]:
    assert c["stack"] == "megatron-2021", c
    assert c["predicted_step_time_s"] > 0
v2 = json.loads(run(["validate", csv, "--format", "json"]))  # each system's default stack: megatron-core
assert all(c["stack"] == "megatron-core" for c in v2["cases"]), v2
assert all(a["predicted_step_time_s"] != b["predicted_step_time_s"] for a, b in zip(v["cases"], v2["cases"]))

# sweep: the space's stack, then --stack replacing it; each equals run --stack.
spec = "tp=1,pp=1,dp=16,vp=1,mbs=1,gbs=64,sp=false,zero=1,recompute=selective"
def run_time(stack):
    return json.loads(run(["run", "--system", "dgx-a100:nodes=2", "--model", "llama3-8b", "--parallel", spec,
                           "--stack", stack, "--format", "json"]))["step_time_s"]
for stack, extra in [("megatron-2021", []), ("fsdp", ["--stack", "fsdp"])]:
    db = os.path.join(work, f"stack-{stack}.sqlite")
    if os.path.exists(db):
        os.remove(db)
    run(["sweep", os.path.join(spaces, "stack.yaml"), "--db", db, "--threads", "1"] + extra)
    got = sqlite3.connect(db).execute("SELECT step_time_s FROM points").fetchall()
    assert len(got) == 1 and abs(got[0][0] - run_time(stack)) <= 1e-12 * got[0][0], (stack, got, run_time(stack))
assert run_time("megatron-2021") != run_time("fsdp")
print("ok")
