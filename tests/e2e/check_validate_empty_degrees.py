#!/usr/bin/env python3
"""An empty cp or ep cell in a validation CSV is chosen as the fastest feasible value
(docs/validation.md#csv), as every other empty strategy cell is: the empty-ep Mixtral row
equals the fastest of the rows that state ep, and the empty-cp row (tp, pp and dp given on
8 devices) the row that states cp=2. Both had been taken as 1 (the ep row then did not fit,
the cp row was an invalid split). usage: check_validate_empty_degrees.py DOJOSIM MOE_CSV CP_CSV"""
import json
import subprocess
import sys


def cases(dojosim, csv):
    out = subprocess.run([dojosim, "validate", csv, "--format", "json"], capture_output=True, text=True)
    assert out.returncode in (0, 3), out.stderr
    return {c["id"]: c for c in json.loads(out.stdout)["cases"]}


def main():
    dojosim, moe_csv, cp_csv = sys.argv[1:4]
    moe = cases(dojosim, moe_csv)
    stated = [c for k, c in moe.items() if k.startswith("MX-ep") and "empty" not in k and "predicted_step_time_s" in c]
    fastest = min(stated, key=lambda c: c["predicted_step_time_s"])
    for k in ("MX-epempty", "MX-epempty-vpempty"):
        assert "predicted_step_time_s" in moe[k], f"{k} failed: {moe[k].get('error')}"
        assert moe[k]["strategy"]["ep"] == fastest["strategy"]["ep"], (k, moe[k]["strategy"]["ep"], fastest["id"])
        assert moe[k]["predicted_step_time_s"] == fastest["predicted_step_time_s"], k
    cp = cases(dojosim, cp_csv)
    for k in ("L8-cpempty", "L8-cpempty-zeroempty"):
        assert "predicted_step_time_s" in cp[k], f"{k} failed: {cp[k].get('error')}"
        assert cp[k]["strategy"]["cp"] == 2, (k, cp[k]["strategy"])
        assert cp[k]["predicted_step_time_s"] == cp["L8-cp2"]["predicted_step_time_s"], k
    print("empty cp and ep cells chosen as the fastest feasible values")


if __name__ == "__main__":
    main()
