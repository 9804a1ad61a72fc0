#!/usr/bin/env python3
"""validate's table keeps its columns aligned when ids and stack specs are long.

Usage: check_validate_columns.py DOJOSIM CSV
Every row's strategy starts under the header's `strategy`, every error ends under `error`,
and the per-(system, stack) lines put their case counts in one column.
"""
import subprocess
import sys

out = subprocess.run([sys.argv[1], "validate", sys.argv[2]], capture_output=True, text=True, check=True).stdout
lines = out.splitlines()
header = lines[0]
rows = [l for l in lines[1:] if "tp=" in l]
groups = [l for l in lines if l.startswith("  ") and " cases: " in l]
assert len(rows) >= 2 and len(groups) >= 2, out
col_strategy = header.index("strategy")
col_error_end = header.index("error") + len("error")
for r in rows:
    assert r.index("tp=") == col_strategy, f"strategy column moved:\n{header}\n{r}"
    assert r[col_error_end - 1] == "%" and r[col_error_end] == " ", f"error column moved:\n{header}\n{r}"
    stack_cell = r[header.index("stack"):col_strategy]
    assert stack_cell.endswith(" "), f"stack runs into strategy:\n{r}"
ends = {g.index(" cases: ") for g in groups}
assert len(ends) == 1, "per-stack lines not aligned:\n" + "\n".join(groups)
print("ok:", len(rows), "rows,", len(groups), "groups aligned")
