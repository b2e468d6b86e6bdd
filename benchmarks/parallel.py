"""Replications per minute with the serial, process and Dask executors (2 workers).

The same 8 replications of the baseline company (``--days``, default 30) run with each
executor in turn, in this one process run; the table gives replications per minute and the
speed-up over serial. Identical outcomes are checked too (same seeds, same numbers).

    .venv/bin/python benchmarks/parallel.py [--days 30] [--replications 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import table, write  # noqa: E402

from sim.executors import execute  # noqa: E402
from sim.replicate import plan  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("--replications", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scenario", default="baseline")
    a = ap.parse_args()
    jobs = plan([a.scenario], a.replications, 1, (), a.days)
    rows, ref, serial_s = [], None, None
    for executor in ("serial", "process", "dask"):
        t0 = time.perf_counter()
        outs = execute(jobs, executor, workers=a.workers)
        wall = time.perf_counter() - t0
        kpis = [json.dumps(o.kpis, sort_keys=True) for o in outs]
        ref = ref or kpis
        serial_s = serial_s or wall
        rows.append({"executor": executor, "workers": 1 if executor == "serial" else a.workers,
                     "wall_s": wall, "replications_per_min": 60 * len(jobs) / wall,
                     "speedup_vs_serial": serial_s / wall, "identical_to_serial": kpis == ref})
    print(f"{len(jobs)} replications of {a.scenario}, {a.days:g} days each "
          "(wall time includes pool / cluster start-up)")
    print(table(rows, ["executor", "workers", "wall_s", "replications_per_min",
                       "speedup_vs_serial", "identical_to_serial"]))
    print(f"wrote {write('parallel', rows, vars(a))}")


if __name__ == "__main__":
    main()
