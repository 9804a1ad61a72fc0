#!/usr/bin/python3
"""The worked example of docs/dojo.md#compare, done by hand from `run` results.

Runs `dojosim compare` on a Dojo tile and one DGX A100, then re-derives every derived
figure from the two systems' `run --format json` outputs (with the strategies compare
chose) and the presets' peaks: tokens/s, A100-equivalents by throughput, by cost per hour
and by peak, time to train, energy and cost of the run. Exit 1 on any mismatch.
"""
import json
import subprocess
import sys

exe = sys.argv[1]
TOKENS = 1e9
systems = ["dojo-tile", "dgx-a100:nodes=1"]


def run(args):
    out = subprocess.run([exe] + args, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


cmp = run(["compare", "--system", systems[0], "--system", systems[1], "--model", "llama2-7b", "--tokens", str(TOKENS),
           "--format", "json"])
assert [c["system"] for c in cmp] == systems, cmp
by = {c["system"]: c for c in cmp}
runs = {}
for name in systems:
    s = by[name]["strategy"]
    spec = ",".join(f"{k}={str(s[k]).lower()}" for k in ["tp", "pp", "dp", "cp", "ep", "vp", "mbs", "gbs", "sp", "zero", "recompute",
                                                          "recompute_layers"])
    # Each system on the stack compare ran it on (every system on the reference's default).
    assert by[name]["stack"] == by[systems[1]]["stack"], (name, by[name]["stack"])
    runs[name] = run(["run", "--system", name, "--model", "llama2-7b", "--parallel", spec, "--stack", by[name]["stack"],
                      "--format", "json"])

fails = []


def close(what, got, want, rel=1e-9):
    if abs(got - want) > rel * max(abs(want), 1e-300):
        fails.append(f"{what}: compare says {got}, by hand {want}")


seq = 2048
ref = runs["dgx-a100:nodes=1"]
ref_tokens_per_s_per_gpu = ref["strategy"]["gbs"] * seq / ref["step_time_s"] / 8
ref_usd_per_s_per_gpu = ref["cost_usd_per_step"] / ref["step_time_s"] / 8
for name in systems:
    r, c = runs[name], by[name]
    close(f"{name} step time", c["step_time_s"], r["step_time_s"])
    tps = r["strategy"]["gbs"] * seq / r["step_time_s"]
    close(f"{name} tokens/s", c["tokens_per_s"], tps)
    steps = TOKENS / (r["strategy"]["gbs"] * seq)
    close(f"{name} time to train", c["time_to_train_s"], steps * r["step_time_s"])
    close(f"{name} energy", c["energy_j"], steps * r["energy_j_per_step"])
    close(f"{name} cost", c["cost_usd"], steps * r["cost_usd_per_step"])
    close(f"{name} A100-equivalents by throughput (linear)", c["equivalent_devices_linear"], tps / ref_tokens_per_s_per_gpu)
    close(f"{name} A100-equivalents by cost", c["equivalent_devices_by_cost"],
          r["cost_usd_per_step"] / r["step_time_s"] / ref_usd_per_s_per_gpu)
# Peak alone: 25 D1 x 362 TFLOP/s over one A100's 312 TFLOP/s.
close("tile A100-equivalents by peak", by["dojo-tile"]["equivalent_devices_by_peak"], 25 * 362 / 312)
close("A100 node equivalents by peak", by["dgx-a100:nodes=1"]["equivalent_devices_by_peak"], 8.0)
# Resized: the A100 cluster at the two bracketing sizes, each with its best plan (search),
# and linear interpolation between them.
tile = by["dojo-tile"]
lo, hi = tile["equivalent_devices_bracket"]


def search_tps(devices):
    out = run(["search", "--system", f"dgx-a100:nodes={devices // 8}", "--model", "llama2-7b", "--top", "1", "--format", "json"])
    return out["ranked"][0]["result"]["tokens_per_s"]


t_lo, t_hi = search_tps(lo), search_tps(hi)
target = tile["tokens_per_s"]
if not (t_lo < target <= t_hi):
    fails.append(f"bracket [{lo}, {hi}] does not bracket {target}: {t_lo}, {t_hi}")
close("tile A100-equivalents by throughput (resized)", tile["equivalent_devices"], lo + (hi - lo) * (target - t_lo) / (t_hi - t_lo))
if fails:
    print("\n".join(fails))
    sys.exit(1)
print("compare reproduces the hand-worked example:",
      f"tile = {tile['equivalent_devices']:.1f} A100 resized, {tile['equivalent_devices_linear']:.1f} linear, {25 * 362 / 312:.2f} by peak")
