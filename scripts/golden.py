#!/usr/bin/env python3
"""Golden outputs (issue 13): runs each case of tests/golden/cases.txt and compares its
stdout byte for byte with tests/golden/NAME.json; --update rewrites them. Run from the
repository root. usage: golden.py DOJOSIM [--update]"""
import os, shlex, subprocess, sys

exe = sys.argv[1]
update = "--update" in sys.argv[2:]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
gold = os.path.join(root, "tests", "golden")
fails = 0
for line in open(os.path.join(gold, "cases.txt")):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    name, *args = shlex.split(line)
    out = subprocess.run([exe] + args, capture_output=True, cwd=root)
    path = os.path.join(gold, name + ".json")
    if update:
        open(path, "wb").write(out.stdout)
        continue
    want = open(path, "rb").read() if os.path.exists(path) else b""
    if out.stdout != want:
        fails += 1
        print(f"golden {name}: output differs from tests/golden/{name}.json (exit {out.returncode})")
print("updated" if update else f"{fails} of the golden cases differ")
sys.exit(1 if fails else 0)
