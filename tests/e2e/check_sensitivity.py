#!/usr/bin/env python3
"""`dojosim sensitivity` twice (JSON, then text with --svg): the same answer both times, the
rows ranked by swing, the range bracketing every one-at-a-time answer and the base, the
GEMM-efficiency row moving the verdict in the direction throughput says, and a well-formed
tornado chart with one bar per moving endpoint.

usage: check_sensitivity.py DOJOSIM"""
import json, os, re, subprocess, sys, tempfile
import xml.etree.ElementTree as ET

dojosim = sys.argv[1]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


p = subprocess.run([dojosim, "sensitivity", "--format", "json"], capture_output=True, text=True)
if p.returncode != 0: fail(p.stderr)
j = json.loads(p.stdout)
m = "a100_equivalents"
base = j["base"][m]
rows = j["assumptions"]
if not j["table_matches_preset"]: fail("the assumptions table's base values differ from the preset")
swings = [r["swing"] for r in rows]
if swings != sorted(swings, reverse=True): fail(f"rows not ranked by swing: {swings}")
if j["most_sensitive"] != rows[0]["assumption"]: fail("most_sensitive is not the first row")
lo, hi = j["range"][m]["low"], j["range"][m]["high"]
for r in rows:
    for v in (r["at_low"][m], r["at_high"][m]):
        if not lo - 1e-6 <= v <= hi + 1e-6: fail(f"{r['key']}: {v} outside the range {lo}..{hi}")
if not lo < base < hi: fail(f"range {lo}..{hi} does not bracket the base {base}")
gemm = next(r for r in rows if r["key"] == "device.core_mesh.issue_efficiency")
if not gemm["at_low"][m] < base < gemm["at_high"][m]: fail("GEMM efficiency does not move the verdict with throughput")
for r in rows:
    if "assumption" not in r["source"] and not re.search(r"\bT[0-9]+", r["source"]): fail(f"{r['key']}: no source key")

with tempfile.TemporaryDirectory() as d:
    svg = os.path.join(d, "t.svg")
    t = subprocess.run([dojosim, "sensitivity", "--svg", svg], capture_output=True, text=True)
    if t.returncode != 0: fail(t.stderr)
    if f"{base:.0f} A100-equivalents" not in t.stdout: fail("text and JSON disagree on the base:\n" + t.stdout)
    if f"{lo:.0f} .. {hi:.0f} A100-equivalents" not in t.stdout: fail("text does not state the range:\n" + t.stdout)
    root = ET.parse(svg).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    bars = [e for e in root.iter(ns + "rect") if e.get("class") == "bar"]
    moving = sum((r["at_low"][m] != base) + (r["at_high"][m] != base) for r in rows)
    if len(bars) != moving: fail(f"{len(bars)} bars for {moving} moving endpoints")
    texts = " ".join(e.text or "" for e in root.iter(ns + "text"))
    if rows[0]["assumption"] not in texts or "range the public facts allow" not in texts: fail("tornado lacks labels")
print(f"ok: {base:.0f} A100-equivalents, range {lo:.0f}..{hi:.0f}, most sensitive: {j['most_sensitive']}")
