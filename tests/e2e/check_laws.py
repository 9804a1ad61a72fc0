#!/usr/bin/env python3
"""Value checks of run, search and vision outputs against independent computations and
known laws (issue 16, point 4), instead of output shapes. Each check recomputes a figure
from definitions or from other commands; none copies an output.

Usage: check_laws.py DOJOSIM {run|search|vision}"""
import json, math, subprocess, sys

dojosim, what = sys.argv[1], sys.argv[2]
problems = []


def cli(*args):
    p = subprocess.run([dojosim, *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"dojosim {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return json.loads(p.stdout)


def close(name, got, want, rel):
    if not (math.isfinite(got) and abs(got - want) <= rel * abs(want)):
        problems.append(f"{name}: {got:.6g}, expected {want:.6g} (within {rel:.1%})")


def peak_bf16(system):
    # The device's BF16 peak as `show system` states it ("989 TFLOP/s"), read independently of run.
    v = cli("show", "system", system, "--format", "json")["device"]["peak"]["bf16"]
    text = v["value"] if isinstance(v, dict) else v
    number, unit = text.split()
    scale = {"GFLOP/s": 1e9, "TFLOP/s": 1e12, "PFLOP/s": 1e15, "EFLOP/s": 1e18}[unit]
    return float(number) * scale


def run_laws(system, model, spec, seq=None):
    args = ["run", "--system", system, "--model", model, "--parallel", spec, "--format", "json"]
    if seq: args += ["--seq", str(seq)]
    j = cli(*args)
    s = j["strategy"]
    t = j["step_time_s"]
    tokens = s["gbs"] * s["seq"]
    close("devices = tp*pp*dp*cp", j["devices"], s["tp"] * s["pp"] * s["dp"] * s["cp"], 0)
    close("tokens_per_s = gbs*seq/step_time", j["tokens_per_s"], tokens / t, 1e-9)
    close("tokens_per_s_per_device", j["tokens_per_s_per_device"], tokens / t / j["devices"], 1e-9)
    m = j["memory"]
    close("memory per device = sum of its breakdown", m["per_device_bytes"], sum(m["breakdown"].values()), 1e-9)
    if m["fits"] != (m["per_device_bytes"] <= m["capacity_bytes"]):
        problems.append(f"fits={m['fits']} but {m['per_device_bytes']} vs capacity {m['capacity_bytes']}")
    b = j["breakdown_s"]
    close("exposed_comm = sum of the comm terms", b["exposed_comm"],
          b["tp_comm"] + b["cp_comm"] + b["ep_comm"] + b["pp_comm"] + b["dp_comm"], 1e-9)
    if not (b["compute"] <= t): problems.append(f"compute {b['compute']} exceeds the step {t}")
    return j


if what == "run":
    # Llama 3 70B (80 layers, h=8192, vocab 128256) on 128 H100s, every key given.
    spec = "tp=8,pp=4,dp=4,vp=5,mbs=1,gbs=256,sp=true,zero=1,recompute=selective"
    j = run_laws("dgx-h100:nodes=16", "llama3-70b", spec)
    show = cli("show", "model", "llama3-70b", "--format", "json")
    n = show["derived"]["params_billions"] * 1e9
    tokens = 256 * j["strategy"]["seq"]
    L, h, s, V = 80, 8192, j["strategy"]["seq"], 128256
    # Model FLOPs: 6 per parameter per token for the matmul weights (Kaplan et al. 2020; the
    # input embedding, V h parameters, is a lookup: no FLOPs) plus attention scores and
    # values, between 6 L s h (causal) and 12 L s h per token (fwd + bwd, Narayanan et al. 2021).
    dense = 6 * (n - V * h) * tokens
    lo, hi = dense + 6 * L * s * h * tokens, dense + 12 * L * s * h * tokens
    f = j["model_flops_per_step"]
    if not (0.99 * lo <= f <= 1.01 * hi):
        problems.append(f"model_flops_per_step {f:.4g} outside [6(N-Vh) + 6Lsh, 6(N-Vh) + 12Lsh] x tokens = [{lo:.4g}, {hi:.4g}]")
    # MFU = model FLOP/s over the devices' BF16 peak, the peak read from `show system`.
    peak = peak_bf16("dgx-h100:nodes=16")
    # (the peak as printed has 3-4 significant digits: 0.2%)
    close("mfu = model_flops/step_time/(devices*peak)", j["mfu"], f / j["step_time_s"] / (j["devices"] * peak), 2e-3)
    # BF16 weights: 2 bytes per parameter over tp*pp, the embedding/head stage heavier by at
    # most its 2*V*h/(N/pp) share (V h = 1.05 G of 70.6 G params: <= 6% per stage).
    w = j["memory"]["breakdown"]["weights"]
    base = 2 * n / (8 * 4)
    if not (0.98 * base <= w <= 1.10 * base):
        problems.append(f"weights per device {w:.4g} B, expected 2N/(tp pp) = {base:.4g} B to +10% (embedding stage)")
    # ZeRO-1 over dp=4: Adam's fp32 master, m and v (12 B/param) divided by dp.
    o = j["memory"]["breakdown"]["optimizer"]
    close("optimizer = 12 B/param / (tp pp dp) (ZeRO-1)", o, 12 * n / (8 * 4 * 4), 0.10)
    # The event engine simulates the same schedule: with every transfer alone (its step over
    # 1 + contention) it must agree with the closed form to a few %; contention only slows it.
    ev = cli("run", "--system", "dgx-h100:nodes=16", "--model", "llama3-70b", "--parallel", spec, "--engine", "event",
             "--format", "json")
    if ev["contention"] < 0: problems.append(f"negative contention {ev['contention']}")
    close("event engine step time alone vs analytical", ev["step_time_s"] / (1 + ev["contention"]), j["step_time_s"], 0.05)
elif what == "search":
    top = 4
    r = cli("search", "--system", "dgx-h100:nodes=4", "--model", "llama3-8b", "--top", str(top), "--format", "json")
    ranked = [p["result"] for p in r["ranked"]]
    if len(ranked) != top: problems.append(f"{len(ranked)} plans ranked, asked for {top}")
    times = [p["step_time_s"] for p in ranked]
    if times != sorted(times): problems.append(f"plans not ranked by step time: {times}")
    c = r["counts"]
    if not (c["evaluated"] >= len(ranked) and c["enumerated"] >= c["evaluated"]):
        problems.append(f"counts inconsistent: {c}")
    # Every ranked plan, run on its own with every key given, gives the same step time.
    for p in ranked:
        st = p["strategy"]
        spec = ",".join(f"{k}={str(st[k]).lower()}" for k in ("tp", "pp", "dp", "cp", "vp", "mbs", "gbs", "sp", "zero", "recompute",
                                                               "recompute_layers", "placement"))
        j = run_laws("dgx-h100:nodes=4", "llama3-8b", spec, st["seq"])
        close(f"search plan {spec} vs run", j["step_time_s"], p["step_time_s"], 1e-9)
    # The best plan is at least as fast as a hand-picked plain data-parallel plan.
    dp_only = run_laws("dgx-h100:nodes=4", "llama3-8b", "tp=1,pp=1,dp=32,cp=1,vp=1,mbs=1,gbs=" + str(ranked[0]["strategy"]["gbs"]) +
                       ",sp=false,zero=1,recompute=selective")
    if dp_only["memory"]["fits"] and dp_only["step_time_s"] < times[0] * (1 - 1e-9):
        problems.append(f"a dp-only plan ({dp_only['step_time_s']:.4g} s) beats the best plan ({times[0]:.4g} s)")
elif what == "vision":
    # ResNet-50: 4.089 GMAC forward per image (He et al. 2016; torchvision), 2 FLOP per MAC,
    # training = forward + backward = 3x forward.
    for system in ("dgx-h100", "dojo-tile"):
        j = cli("run", "--system", system, "--model", "resnet50", "--format", "json")
        gbs = j["strategy"]["gbs"]
        close(f"{system}: samples_per_s = gbs/step_time", j["samples_per_s"], gbs / j["step_time_s"], 1e-9)
        close(f"{system}: model FLOPs = 3 x 2 x 4.089 GMAC x gbs", j["model_flops_per_step"], 3 * 2 * 4.089e9 * gbs, 0.01)
        peak = peak_bf16(system)
        close(f"{system}: mfu law", j["mfu"], j["model_flops_per_step"] / j["step_time_s"] / (j["devices"] * peak), 2e-3)
        if not (0 < j["mfu"] < 1): problems.append(f"{system}: mfu {j['mfu']} not in (0, 1)")
    # Data parallelism: doubling the nodes at the same per-device batch cannot lower the
    # throughput, and cannot more than double it.
    a = cli("run", "--system", "dgx-h100:nodes=1", "--model", "resnet50", "--parallel", "dp=8,spatial=1,mbs=128,gbs=1024,zero=1,recompute=none", "--format", "json")
    b = cli("run", "--system", "dgx-h100:nodes=2", "--model", "resnet50", "--parallel", "dp=16,spatial=1,mbs=128,gbs=2048,zero=1,recompute=none", "--format", "json")
    ratio = b["samples_per_s"] / a["samples_per_s"]
    if not (1.0 < ratio <= 2.0 + 1e-9): problems.append(f"2 nodes / 1 node throughput = {ratio:.4g}, expected in (1, 2]")
    # Compute time is per-device work: identical per-device batches give identical compute.
    close("compute time at the same per-device batch", b["breakdown_s"]["compute"], a["breakdown_s"]["compute"], 1e-9)
else:
    raise SystemExit(f"unknown check '{what}'")
for p in problems: print(p)
print(f"{what}: {'FAILED' if problems else 'ok'}")
sys.exit(1 if problems else 0)
