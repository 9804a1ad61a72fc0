#!/usr/bin/env python3
"""Issue 14: `run --engine event` on every system preset gives a step time, the busiest
links and a trace that opens in Perfetto (Chrome trace-event JSON: complete events on
named tracks, link-utilisation counters). usage: check_event_presets.py DOJOSIM MODEL TINY_MODEL OUTDIR"""
import json, os, subprocess, sys

exe, model, tiny, out = sys.argv[1:5]
systems = [l.split()[0] for l in subprocess.run([exe, "list", "systems"], capture_output=True, text=True, check=True).stdout.splitlines() if l.strip()]
assert len(systems) >= 10, systems
for s in systems:
    # One D1's 440 MB SRAM holds only a tiny model with short sequences.
    extra = ["--model", tiny, "--seq", "256"] if s == "dojo-d1" else ["--model", model]
    trace = os.path.join(out, f"event-{s}.json")
    p = subprocess.run([exe, "run", "--system", s, "--engine", "event", "--trace", trace, "--format", "json"] + extra,
                       capture_output=True, text=True)
    assert p.returncode == 0, (s, p.returncode, p.stderr)
    r = json.loads(p.stdout)
    assert r["engine"] == "event" and r["step_time_s"] > 0, (s, r["engine"], r["step_time_s"])
    t = json.load(open(trace))
    ev = t["traceEvents"]
    passes = [e for e in ev if e["ph"] == "X" and e["cat"] in ("forward", "backward")]
    assert passes and all(e["dur"] >= 0 and e["ts"] >= 0 for e in passes), s
    names = {e["tid"]: e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
    assert all(e["tid"] in names for e in ev if e["ph"] == "X"), s
    if r["devices"] > 1:
        links = r["busiest_links"]
        assert links and 0 < links[0]["utilisation"] <= 1 + 1e-9, (s, links[:1])
        assert all(a["utilisation"] >= b["utilisation"] for a, b in zip(links, links[1:])), s
        counters = [e for e in ev if e["ph"] == "C"]
        assert counters and all(0 <= e["args"]["utilisation"] <= 1 + 1e-6 for e in counters), s
        # The step time is the end of the last pass or transfer on the compute tracks.
        end = max(e["ts"] + e["dur"] for e in passes) / 1e6
        assert end <= r["step_time_s"] * (1 + 1e-6), (s, end, r["step_time_s"])
    print(f"{s}: {r['step_time_s']:.4g} s, {len(passes)} passes, busiest {r.get('busiest_links', [{}])[0].get('utilisation', 0):.3f}")
print("ok")
