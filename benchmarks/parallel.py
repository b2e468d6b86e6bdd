"""Replications per minute with the serial, process and Dask executors (2 workers).

The same 8 replications of the baseline company (its own 90-day horizon unless ``--days``)
run with each executor in turn, in this one process run; the table gives replications per
minute and the speed-up over serial. Identical outcomes are checked too (same seeds, same numbers).

    .venv/bin/python benchmarks/parallel.py [--days 90] [--replications 8] [--workers 2]
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


def _warm_process(jobs: list, warm: list, workers: int) -> tuple[list, float]:
    """The process executor's mechanism (run_job in a spawned pool), timed after every worker
    has imported omnisim and run a one-day job."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from sim.replicate import run_job

    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        list(pool.map(run_job, warm))
        t0 = time.perf_counter()
        outs = list(pool.map(run_job, jobs))
        return outs, time.perf_counter() - t0


def _warm_dask(jobs: list, warm: list, workers: int) -> tuple[list, float]:
    """``execute(..., "dask", scheduler=...)`` on a LocalCluster whose workers are warm."""
    import dask
    from dask.distributed import Client, LocalCluster

    from sim.replicate import run_job

    with dask.config.set({"distributed.worker.profile.enabled": False}), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                         dashboard_address=None) as cluster, Client(cluster) as client:
        client.gather(client.map(run_job, warm, pure=False))
        t0 = time.perf_counter()
        outs = execute(jobs, "dask", scheduler=cluster.scheduler_address)
        return outs, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=None)
    ap.add_argument("--replications", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scenario", default="baseline")
    a = ap.parse_args()
    jobs = plan([a.scenario], a.replications, 1, (), a.days)
    warm = plan([a.scenario], a.workers, 1000, ("warmup=0 h",), 1.0)
    rows, ref, serial_s = [], None, None
    runs = [("serial", "cold", lambda: _cold("serial")),
            ("process", "cold", lambda: _cold("process")),
            ("dask", "cold", lambda: _cold("dask")),
            ("process", "warm", lambda: _warm_process(jobs, warm, a.workers)),
            ("dask", "warm", lambda: _warm_dask(jobs, warm, a.workers))]

    def _cold(executor: str) -> tuple[list, float]:
        t0 = time.perf_counter()
        outs = execute(jobs, executor, workers=a.workers)
        return outs, time.perf_counter() - t0

    for executor, start, fn in runs:
        outs, wall = fn()
        kpis = [json.dumps(o.kpis, sort_keys=True) for o in outs]
        ref = ref or kpis
        serial_s = serial_s or wall
        rows.append({"executor": executor, "start": start,
                     "workers": 1 if executor == "serial" else a.workers,
                     "wall_s": wall, "replications_per_min": 60 * len(jobs) / wall,
                     "speedup_vs_serial": serial_s / wall, "identical_to_serial": kpis == ref})
    days = "the scenario's horizon" if a.days is None else f"{a.days:g} days"
    print(f"{len(jobs)} replications of {a.scenario}, {days} each; cold: the wall time "
          "includes starting the pool or cluster; warm: workers already started")
    print(table(rows, ["executor", "start", "workers", "wall_s", "replications_per_min",
                       "speedup_vs_serial", "identical_to_serial"]))
    print(f"wrote {write('parallel', rows, vars(a))}")


if __name__ == "__main__":
    main()
