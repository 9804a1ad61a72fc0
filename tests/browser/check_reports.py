#!/usr/bin/env python3
"""Opens every kind of HTML report in headless Chromium (Debian's `chromium`) and fails on
any console message, any script error listed in the page, or any figure the page did not
draw; saves a screenshot of each.

usage: check_reports.py DOJOSIM SOURCE_DIR OUT_DIR [KIND ...]

Kinds: run (GPU, with the event engine's schedule), run-dojo (the mesh picture), search,
compare, sweep, build-vs-buy, sensitivity. The network is cut off (every host name resolves to nothing), so a report
that reached for anything outside its own file would log an error. Screenshots land in
OUT_DIR/<kind>.png (docs/img holds the ones docs/report.md shows).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

DOJOSIM, SOURCE, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
ONLY = sys.argv[4:]

# kind -> (commands writing REPORT, the figures it must draw, screenshot height in px)
SMALL_SPACE = os.path.join(SOURCE, "tests", "e2e", "sweep_spaces", "small.yaml")
KINDS = {
    "run": ([["run", "--system", "dgx-h100:nodes=16", "--model", "llama3-70b", "--parallel",
              "tp=8,pp=4,vp=2,mbs=1,gbs=32,sp=true,zero=1,recompute=selective", "--html", "REPORT"]],
            ["summary", "breakdown", "memory", "timeline", "links"], 2150),
    "run-dojo": ([["run", "--system", "dojo-tray", "--model", "llama3-8b", "--html", "REPORT"]],
                 ["summary", "breakdown", "memory", "timeline", "links"], 2900),
    "search": ([["search", "--system", "dgx-h100:nodes=16", "--model", "llama3-70b", "--top", "20", "--html", "REPORT"]],
               ["scatter", "plans"], 1500),
    "compare": ([["compare", "--system", "dojo-exapod", "--system", "dgx-h100:nodes=64", "--system", "tpu-v5p",
                  "--model", "llama3-70b", "--html", "REPORT"]],
                ["time", "energy", "cost", "equivalent", "table"], 1900),
    "build-vs-buy": ([["build-vs-buy", "--model", "tesla-video", "--fleet", "3.7", "--html", "REPORT"]],
                     ["options", "delay", "sensitivity"], 1400),
    "sensitivity": ([["sensitivity", "--html", "REPORT"]], ["tornado", "per-dollar", "sources"], 2600),
    "sweep": ([["sweep", SMALL_SPACE, "--db", "DB", "--threads", "2"],
               ["sweep", "--export", "csv", "--db", "DB", "--out", "CSV", "--html", "REPORT"]],
              ["param-0", "mfu", "status"], 1500),
}

failures = []


def fail(kind, msg):
    failures.append(f"{kind}: {msg}")
    print(f"FAIL {kind}: {msg}", file=sys.stderr)


def chromium():
    exe = shutil.which("chromium")
    if not exe:
        print("chromium not found: scripts/bootstrap installs Debian's chromium", file=sys.stderr)
        sys.exit(1)
    return exe


def browser(exe, profile, *args):
    cmd = [exe, "--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
           f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
           *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def check(kind, exe, work):
    commands, figures, height = KINDS[kind]
    report = os.path.join(work, f"{kind}.html")
    subst = {"REPORT": report, "DB": os.path.join(work, f"{kind}.sqlite"), "CSV": os.path.join(work, f"{kind}.csv")}
    for c in commands:
        args = [subst.get(a, a) for a in c]
        p = subprocess.run([DOJOSIM, *args], capture_output=True, text=True)
        if p.returncode != 0:
            fail(kind, f"dojosim {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
            return
    html = open(report, encoding="utf-8").read()
    if re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html):
        fail(kind, "the report links to something outside its own file")
    url = "file://" + report
    with tempfile.TemporaryDirectory() as profile:
        p = browser(exe, profile, "--dump-dom", url)
    if p.returncode != 0:
        fail(kind, f"chromium exited {p.returncode}: {p.stderr[-2000:]}")
        return
    console = [l for l in p.stderr.splitlines() if "CONSOLE" in l]
    for line in console:
        fail(kind, f"console: {line}")
    dom = p.stdout
    errors = re.search(r'<div id="errors">(.*?)</div>', dom, re.S)
    if errors is None:
        fail(kind, "no #errors element in the rendered page")
    elif errors.group(1).strip():
        fail(kind, f"page errors: {errors.group(1).strip()[:500]}")
    sections = dict(re.findall(r'<section class="figure" data-figure="([^"]+)" data-rendered="([a-z]+)"', dom))
    for name in figures:
        if name not in sections:
            fail(kind, f"figure '{name}' missing from the page")
        elif sections[name] != "true":
            fail(kind, f"figure '{name}' was not drawn")
    for name, state in sections.items():
        if state != "true":
            fail(kind, f"figure '{name}' was not drawn")
    canvases = len(re.findall(r"<canvas", dom))
    expected = sum(1 for f in figures if f not in ("summary", "plans", "table", "sensitivity", "sources")) - (1 if kind == "run-dojo" else 0)
    if canvases < expected:
        fail(kind, f"{canvases} charts in the page, expected at least {expected}")
    if kind == "run-dojo" and len(re.findall(r'class="link[ "]', dom)) < 10:
        fail(kind, "the Dojo mesh picture has no links")
    shot = os.path.join(OUT, f"{kind}.png")
    with tempfile.TemporaryDirectory() as profile:
        p = browser(exe, profile, f"--screenshot={shot}", f"--window-size=1100,{height}", url)
    if p.returncode != 0 or not os.path.exists(shot):
        fail(kind, f"no screenshot: {p.stderr[-2000:]}")
        return
    with open(shot, "rb") as f:
        if f.read(8) != b"\x89PNG\r\n\x1a\n":
            fail(kind, "the screenshot is not a PNG")
    if os.path.getsize(shot) < 20000:
        fail(kind, f"the screenshot is nearly empty ({os.path.getsize(shot)} bytes)")
    print(f"ok {kind}: {len(sections)} figures drawn, {canvases} charts, screenshot {shot}")


def main():
    exe = chromium()
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        for kind in ONLY or KINDS:
            check(kind, exe, work)
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        sys.exit(1)


main()
