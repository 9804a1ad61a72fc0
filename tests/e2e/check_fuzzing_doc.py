#!/usr/bin/env python3
"""docs/fuzzing.md names every fuzz target as it is built: the targets of fuzz/CMakeLists.txt,
scripts/fuzz's list and the two tables of the doc (Targets: the entry it calls, in
backticks, and what input it reads; Runs: the executions of its last long run) name the same
targets, each once, and each Runs row's count is a whole number (with thousands separators).

usage: check_fuzzing_doc.py SOURCE_DIR"""
import re, sys

root = sys.argv[1]
cmake = open(f"{root}/fuzz/CMakeLists.txt", encoding="utf-8").read()
built = set(re.findall(r"dojosim_fuzz_target\((\w+)", cmake))
for group in re.findall(r"foreach\(t ([^)]*)\)", cmake):
    built |= set(group.split())
built.discard("${t}")
script = open(f"{root}/scripts/fuzz", encoding="utf-8").read()
listed = set(re.search(r"^all=\(([^)]*)\)", script, re.M).group(1).split())
doc = open(f"{root}/docs/fuzzing.md", encoding="utf-8").read()


def table(after, before):
    body = doc[doc.index(after) : doc.index(before)]
    rows = [r.split("|")[1:-1] for r in body.split("\n") if r.startswith("| `")]
    return [[c.strip() for c in r] for r in rows]


fails = []
targets = table("## Targets", "## Findings")
runs = table("<!-- runs -->", "<!-- /runs -->")
for name, rows in (("Targets", targets), ("Runs", runs)):
    names = [r[0].strip("`") for r in rows]
    if sorted(names) != sorted(set(names)):
        fails.append(f"{name} table names a target twice: {names}")
    if set(names) != built:
        fails.append(f"{name} table names {sorted(set(names))}, fuzz/CMakeLists.txt builds {sorted(built)}")
if listed != built:
    fails.append(f"scripts/fuzz lists {sorted(listed)}, fuzz/CMakeLists.txt builds {sorted(built)}")
for r in targets:
    if len(r) != 3 or not r[1].startswith("`"):
        fails.append(f"Targets row {r[0]}: expected | target | `entry` | input |, got {r}")
for r in runs:
    if not re.fullmatch(r"\d{1,3}(,\d{3})*", r[1]):
        fails.append(f"Runs row {r[0]}: executions '{r[1]}' is not a whole number")
for f in fails:
    print("FAIL", f)
print(f"{len(built)} fuzz targets, {len(targets)} Targets rows, {len(runs)} Runs rows, {len(fails)} failures")
sys.exit(1 if fails else 0)
