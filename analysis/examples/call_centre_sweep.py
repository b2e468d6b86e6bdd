"""Example for analysts: how many call-centre agents, and how fresh a stock view, does the
baseline company need? Runs a sweep (or reuses it: sweeps resume), loads it into pandas with
one call and plots call abandonment against agents with seaborn.

    .venv/bin/python analysis/examples/call_centre_sweep.py [--days 30] [--out results]

The sweep is the same as

    omnisim sweep baseline --vary channels.call_centre.staff=1:5:1 \\
        --vary "links.stock_sync.interval=1 h,6 h,24 h" -r 5 --days 30
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import seaborn as sns

from analysis import load


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--days", default="30")
    ap.add_argument("--replications", default="5")
    ap.add_argument("--out", default="results")
    args = ap.parse_args()
    cmd = [sys.executable, "-m", "sim.cli", "sweep", args.scenario,
           "--vary", "channels.call_centre.staff=1:5:1",
           "--vary", "links.stock_sync.interval=1 h,6 h,24 h",
           "-r", args.replications, "--days", args.days, "--out", args.out]
    subprocess.run(cmd, check=True)
    folder = max(Path(args.out).glob("sweep-*"), key=lambda p: p.stat().st_mtime)
    res = load(folder)                       # one call: the tidy table as a DataFrame
    df = res.table
    print(df.groupby("channels.call_centre.staff")[
        ["call_abandonment_rate", "call_service_level", "cost_per_order"]].mean())
    grid = sns.relplot(data=df, x="channels.call_centre.staff", y="call_abandonment_rate",
                       hue="links.stock_sync.interval", kind="line", errorbar=("ci", 95),
                       height=4, aspect=1.4)
    grid.set_axis_labels("call-centre agents", "call abandonment")
    out = folder / "figures" / "example_call_abandonment.png"
    out.parent.mkdir(exist_ok=True)
    grid.savefig(out, dpi=120)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
