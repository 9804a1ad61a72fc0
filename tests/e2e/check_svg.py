#!/usr/bin/env python3
"""Runs `dojosim run ... --svg FILE` twice and checks the picture: the same bytes both
times, well-formed XML, the expected number of directed-link elements, a title, a legend
with units, and utilisation values between 0 and 100% on every link.

usage: check_svg.py DOJOSIM LINKS -- RUN-ARGS..."""
import os, re, subprocess, sys, tempfile
import xml.etree.ElementTree as ET

dojosim, links = sys.argv[1], int(sys.argv[2])
args = sys.argv[sys.argv.index("--") + 1:]
with tempfile.TemporaryDirectory() as d:
    paths = [os.path.join(d, f"{i}.svg") for i in range(2)]
    for p in paths:
        out = subprocess.run([dojosim, "run", *args, "--svg", p], capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stdout, out.stderr)
            sys.exit(1)
    a, b = (open(p, "rb").read() for p in paths)
    if a != b:
        print("not deterministic: two runs gave different SVG bytes")
        sys.exit(1)
    root = ET.parse(paths[0]).getroot()
ns = "{http://www.w3.org/2000/svg}"
if root.tag != ns + "svg":
    print("root element is", root.tag)
    sys.exit(1)
drawn = [e for e in root.iter() if "link" in e.get("class", "").split()]
text = " ".join((e.text or "") for e in root.iter(ns + "text"))
problems = []
if len(drawn) != links:
    problems.append(f"{len(drawn)} link elements, expected {links}")
for e in drawn:
    if e.get("stroke", "") == "" or e.find(ns + "title") is None:
        problems.append("a link without colour or tooltip")
        break
    m = re.search(r"([0-9.]+)% of", e.find(ns + "title").text)
    if not m or not 0.0 <= float(m.group(1)) <= 100.0:
        problems.append("utilisation outside 0..100%: " + e.find(ns + "title").text)
        break
busy = [e for e in drawn if e.get("stroke") != "#c8c8c8"]
if not busy:
    problems.append("every link idle: nothing was drawn")
for needle in ("Link utilisation", "0%", "100%", "per direction", "strategy "):
    if needle not in text:
        problems.append(f"missing text {needle!r}")
for p in problems:
    print(p)
print(f"{len(drawn)} links, {len(busy)} busy, {len(a)} bytes")
sys.exit(1 if problems else 0)
