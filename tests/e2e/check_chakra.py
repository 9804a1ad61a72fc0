#!/usr/bin/env python3
"""`dojosim run --chakra` then `dojosim replay` (issue 14): one file per rank and a comm-group
file that names every rank; the same bytes on a second export; the replay's step time
within 3% of the run's (text and JSON agree), a Perfetto trace of the replay; a smaller
export to the same prefix leaves no stale rank files; and bad traces, groups and systems
exit 2 naming the file.

usage: check_chakra.py DOJOSIM"""
import json, os, subprocess, sys, tempfile

dojosim = sys.argv[1]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run(*args, code=0):
    p = subprocess.run([dojosim, *args], capture_output=True, text=True)
    if p.returncode != code:
        fail(f"{' '.join(args)}: exit {p.returncode}, expected {code}\n{p.stdout}\n{p.stderr}")
    return p


d = tempfile.mkdtemp(prefix="dojosim-chakra-")
pre = os.path.join(d, "step")
sysspec = "dgx-a100:nodes=2"
plan = ["--model", "llama3-8b", "--parallel", "tp=2,pp=2,dp=4,mbs=1,gbs=16"]
p = run("run", "--system", sysspec, *plan, "--chakra", pre, "--format", "json")
step = json.loads(p.stdout)["step_time_s"]
if "wrote 16 Chakra traces" not in p.stderr: fail(f"no summary of the export on stderr: {p.stderr}")
files = sorted(f for f in os.listdir(d) if f.endswith(".et"))
if len(files) != 16: fail(f"{len(files)} rank files, expected 16")
groups = json.load(open(pre + ".comm_groups.json"))
members = sorted(r for g in groups.values() for r in g)
if set(members) != set(range(16)): fail(f"the groups do not cover every rank: {groups}")
first = open(pre + ".5.et", "rb").read()
if b"num_ops" not in first: fail("compute nodes carry no num_ops (FLOPs)")
run("run", "--system", sysspec, *plan, "--chakra", pre)
if open(pre + ".5.et", "rb").read() != first: fail("a second export wrote different bytes")

tr = os.path.join(d, "replay.json")
rj = json.loads(run("replay", pre, "--system", sysspec, "--format", "json", "--trace", tr).stdout)
if rj["ranks"] != 16: fail(f"replay read {rj['ranks']} ranks")
if abs(rj["step_time_s"] / step - 1) > 0.03: fail(f"replay {rj['step_time_s']} s vs run {step} s: more than 3% apart")
if rj["collectives"] <= 0 or rj["messages"] <= 0: fail("the replay priced no collectives or messages")
events = json.load(open(tr))
if len(events.get("traceEvents", [])) < 100: fail("the replay trace holds almost no events")
text = run("replay", pre, "--system", sysspec).stdout
if f"{rj['step_time_s']:.6g} s" not in text: fail(f"text and JSON step times differ:\n{text}")

# A smaller plan exported to the same prefix: the replay reads its 8 ranks, not 16.
run("run", "--system", "dgx-a100", *plan[:2], "--parallel", "tp=2,pp=2,dp=2,mbs=1,gbs=8", "--chakra", pre)
if sorted(f for f in os.listdir(d) if f.endswith(".et")) != sorted(f"step.{r}.et" for r in range(8)):
    fail(f"stale rank files left: {sorted(os.listdir(d))}")
if json.loads(run("replay", pre, "--system", "dgx-a100", "--format", "json").stdout)["ranks"] != 8: fail("replay after re-export")

# Bad input: exit 2, naming what is wrong.
e = run("replay", pre, "--system", "dgx-a100:devices=4", code=2).stderr
if "8 ranks" not in e or "devices=8" not in e: fail(f"too small a system: {e}")
with open(pre + ".3.et", "r+b") as f:
    f.truncate(os.path.getsize(pre + ".3.et") - 5)
e = run("replay", pre, "--system", "dgx-a100", code=2).stderr
if "step.3.et" not in e: fail(f"a truncated file is not named: {e}")
run("run", "--system", "dgx-a100", *plan[:2], "--parallel", "tp=2,pp=2,dp=2,mbs=1,gbs=8", "--chakra", pre)
bad = os.path.join(d, "bad_groups.json")
open(bad, "w").write('{"1": [0, 1]}')
e = run("replay", pre, "--system", "dgx-a100", "--comm-groups", bad, code=2).stderr
if "not in the comm-group file" not in e and "not a member" not in e: fail(f"groups that miss a pg: {e}")
e = run("replay", os.path.join(d, "nothing"), "--system", "dgx-a100", code=2).stderr
if "no Chakra trace" not in e: fail(f"missing prefix: {e}")
e = run("run", "--system", "dgx-a100", "--model", "resnet50", "--chakra", pre, code=2).stderr
if "vision" not in e: fail(f"vision export: {e}")
print("chakra: pass")
