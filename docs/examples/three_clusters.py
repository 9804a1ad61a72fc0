"""docs/python.md, as a script: search Llama 3 70B on three clusters, put the ranked plans
in one DataFrame, and plot step time against cost per step (tests/python runs this file).

usage: PYTHONPATH=build/release/python /usr/bin/python3 docs/examples/three_clusters.py [PLOT.png]
"""
import sys

import pandas as pd

import dojosim

clusters = ["dgx-h100:nodes=16", "dojo-cabinet", "tpu-v5p:cubes=2"]

frames = []
for system in clusters:
    result = dojosim.search(system=system, model="llama3-70b", parallel={"gbs": 1024}, top=10, objective="cost")
    df = dojosim.to_dataframe(result)
    df["cluster"] = system
    frames.append(df)
plans = pd.concat(frames, ignore_index=True)
plans["usd_per_mtok"] = plans["objective_per_token"] * 1e6  # the cost objective: USD per token

best = plans[plans["rank"] == 1]
print(best[["cluster", "devices", "step_time_s", "usd_per_mtok", "mfu", "strategy.tp", "strategy.pp", "strategy.dp",
            "strategy.gbs"]].to_string(index=False))

if len(sys.argv) > 1:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    okabe_ito = ["#0072B2", "#E69F00", "#009E73"]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=100)
    for colour, (cluster, df) in zip(okabe_ito, plans.groupby("cluster", sort=False)):
        ax.scatter(df["step_time_s"], df["usd_per_mtok"], label=cluster, color=colour)
    ax.set_xlabel("step time (s)")
    ax.set_ylabel("cost (USD per million tokens)")
    ax.set_title("Llama 3 70B, global batch 1024: top 10 plans by cost on each cluster")
    ax.legend()
    fig.tight_layout()
    fig.savefig(sys.argv[1])
