#!/usr/bin/env python3
"""dojosim build-vs-buy, end to end:

1. with zero NRE and one year, the custom machine's and a GPU's $ per delivered PFLOP-day
   equal `compare`'s for the same systems and model (LLM and video);
2. the custom programme's $/PFLOP-day and its break-even fleet never fall as the NRE grows;
   the break-even never grows and the best GPU's cost never falls as GPU prices grow;
3. the JSON's derived figures follow the formulas of docs/economics.md section 7 (break-even
   fleet, programme cost) from the command's own unit figures;
4. the SVG chart is well-formed and the same bytes twice, and text and JSON are the same
   bytes twice.

usage: check_build_vs_buy.py DOJOSIM"""
import json, os, subprocess, sys, tempfile
import xml.etree.ElementTree as ET

exe = sys.argv[1]
fails = []


def run(args, fmt_json=True):
    cmd = [exe] + args + (["--format", "json"] if fmt_json else [])
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        print(" ".join(cmd), out.stdout, out.stderr)
        sys.exit(1)
    return json.loads(out.stdout) if fmt_json else out.stdout


def close(what, got, want, rel=1e-9):
    if abs(got - want) > rel * max(abs(want), 1e-300):
        fails.append(f"{what}: got {got}, want {want}")


ONE_YEAR = ["--set", "economics.nre_scale=0", "--set", "economics.program_life_years=1", "--set", "economics.ready_year=2023",
            "--set", "economics.ramp_years=0", "--set", "economics.amortisation_years=1"]
# 1. Zero NRE, a single year: compare's figures.
for model in ["gpt3-175b", "tesla-video"]:
    cmp = run(["compare", "--system", "dojo-exapod", "--system", "dgx-h100:nodes=128", "--model", model,
               "--set", "economics.amortisation_years=1"])
    by = {c["system"]: c for c in cmp}
    b = run(["build-vs-buy", "--model", model, "--fleet", "1", "--gpu", "dgx-h100:nodes=128@2023"] + ONE_YEAR)
    close(f"{model}: custom programme vs compare", b["custom_program"]["usd_per_pflop_day"], by["dojo-exapod"]["usd_per_pflop_day"])
    close(f"{model}: custom unit vs compare", b["custom_unit"]["usd_per_pflop_day"], by["dojo-exapod"]["usd_per_pflop_day"])
    buy = [g for g in b["gpus"] if g["kind"] == "buy"][0]
    close(f"{model}: H100 buy vs compare", buy["usd_per_pflop_day"], by["dgx-h100:nodes=128"]["usd_per_pflop_day"])
    # Cost over the year = compare's cost per second x one year of seconds.
    per_s = by["dojo-exapod"]["cost_usd"] / by["dojo-exapod"]["time_to_train_s"]
    close(f"{model}: cost of the year", b["custom_program"]["cost_over_life_usd"], per_s * 365.25 * 86400)

# 2. Monotonic in NRE and in GPU price (seed case: gpt3-175b, 3.7 ExaPODs).
base = ["build-vs-buy", "--model", "gpt3-175b", "--fleet", "3.7"]
last = None
for k in ["0.25", "0.5", "1", "2", "4"]:
    r = run(base + ["--set", f"economics.nre_scale={k}"])
    cur = (r["custom_program"]["usd_per_pflop_day"], r["break_even_units"] if r["break_even_units"] is not None else float("inf"))
    if last and (cur[0] < last[0] or cur[1] < last[1]):
        fails.append(f"NRE x{k}: cost/break-even fell: {last} -> {cur}")
    last = cur
last = None
for k in ["0.5", "1", "2", "4"]:
    r = run(base + ["--set", f"economics.gpu_price_scale={k}"])
    be = r["break_even_units"] if r["break_even_units"] is not None else float("inf")
    cur = (r["best_gpu_usd_per_pflop_day"], be)
    if last and (cur[0] < last[0] or cur[1] > last[1]):
        fails.append(f"GPU price x{k}: best GPU cost fell or break-even grew: {last} -> {cur}")
    last = cur

# 3. Derived figures from the command's own unit figures.
r = run(base)
u = r["custom_unit"]
used = r["fleet"]["used_s_per_unit"]
nre = r["nre"]["total_with_delay_usd"]
g = r["best_gpu_usd_per_pflop_day"]
if r["break_even_units"] is not None:
    close("break-even", r["break_even_units"], nre * 8.64e19 / (u["delivered_flops_per_unit"] * used * (g - u["usd_per_pflop_day"])))
close("programme $/PFLOP-day", r["custom_program"]["usd_per_pflop_day"],
      u["usd_per_pflop_day"] + nre * 8.64e19 / (3.7 * u["delivered_flops_per_unit"] * used))
close("NRE sum", r["nre"]["total_usd"], sum(r["nre"][k] for k in ["chip_design_usd", "masks_usd", "packaging_usd",
                                                                    "system_design_usd", "software_usd"]))

# 4. Deterministic output and a well-formed chart.
with tempfile.TemporaryDirectory() as d:
    outs = []
    for i in range(2):
        p = os.path.join(d, f"{i}.svg")
        outs.append((run(base + ["--svg", p], fmt_json=False), open(p, "rb").read() if os.path.exists(p) else b""))
    if outs[0] != outs[1]:
        fails.append("text or SVG differ between two runs")
    root = ET.fromstring(outs[0][1])
    bars = [e for e in root.iter() if e.get("class") == "bar"]
    if len(bars) < 4:
        fails.append(f"SVG has {len(bars)} bars")
if json.dumps(run(base)) != json.dumps(run(base)):
    fails.append("JSON differs between two runs")

for f in fails:
    print("FAIL", f)
sys.exit(1 if fails else 0)
