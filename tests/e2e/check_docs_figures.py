#!/usr/bin/env python3
"""Every figure docs/economics.md quotes from `dojosim build-vs-buy` (or `compare`) comes
from the command written next to it: each ```text block that starts with `$ dojosim ...`
is run, and each quoted line (other than `...`) must be a line of its real output.

usage: check_docs_figures.py DOJOSIM DOC.md"""
import re, shlex, subprocess, sys

exe, doc = sys.argv[1], sys.argv[2]
text = open(doc, encoding="utf-8").read()
blocks = re.findall(r"```text\n(\$ dojosim .*?)```", text, re.S)
if not blocks:
    print("no quoted command blocks in", doc)
    sys.exit(1)
fails = 0
for b in blocks:
    lines = b.rstrip("\n").split("\n")
    cmd = lines.pop(0)[2:]
    while cmd.endswith("\\"):
        cmd = cmd[:-1] + " " + lines.pop(0).strip()
    args = shlex.split(cmd)[1:]
    out = subprocess.run([exe] + args, capture_output=True, text=True)
    if out.returncode != 0:
        print("FAIL (exit", out.returncode, ")", cmd, out.stderr)
        fails += 1
        continue
    real = {l.rstrip() for l in out.stdout.split("\n")}
    for q in lines:
        if q.strip() in ("", "..."):
            continue
        if q.rstrip() not in real:
            print(f"FAIL {cmd}\n  quoted: {q.rstrip()}\n  not in its output")
            fails += 1
print(f"{len(blocks)} command blocks checked, {fails} failures")
sys.exit(1 if fails else 0)
