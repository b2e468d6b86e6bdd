"""Replications per minute with the serial, process and Dask executors (2 workers).

The same 8 replications of the baseline company (its own 90-day horizon unless ``--days``)
run with each executor, three ways, each measurement in a fresh process:

- ``command``: the whole ``omnisim sweep`` command a user types (one point, ``-r 8``), from
  start to exit; speed-up over the same command with ``--executor serial``.
- ``cold``: ``sim.executors.execute(jobs, executor)`` called from Python (as a notebook
  would), starting and closing the pool or cluster; speed-up over ``execute(jobs, "serial")``.
- ``warm``: the same on workers that are already running (a long sweep's steady state).

The machine's speed drifts while this runs (on a shared machine, by 10-20% within minutes),
so everything runs in ``--rounds`` rounds, each round every configuration in turn; a
speed-up is taken within one round (against that round's serial run of the same kind) and
the table gives its median over rounds with the lowest and highest. Identical outcomes are
checked too (same seeds, same numbers, in every run).

    .venv/bin/python benchmarks/parallel.py [--days 90] [--replications 8] [--workers 2]
                                            [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, spread, table, write  # noqa: E402

#: one execute() measurement in a fresh process: argv = executor, start, days|"", R, workers
API = r'''
import json, sys, time
from sim.executors import execute
from sim.replicate import plan
executor, start, days, reps, workers = sys.argv[1:6]
days = float(days) if days else None
jobs = plan([sys.argv[6]], int(reps), 1, (), days)
warm = plan([sys.argv[6]], int(workers), 1000, ("warmup=0 h",), 1.0)
if start == "cold":
    t0 = time.perf_counter()
    outs = execute(jobs, executor, workers=int(workers))
    wall = time.perf_counter() - t0
elif executor == "process":  # the process executor's pool, timed after a one-day job each
    from concurrent.futures import ProcessPoolExecutor
    from sim.replicate import run_job
    from sim.workers import context
    with ProcessPoolExecutor(int(workers), mp_context=context()) as pool:
        list(pool.map(run_job, warm))
        t0 = time.perf_counter()
        outs = list(pool.map(run_job, jobs))
        wall = time.perf_counter() - t0
else:  # execute(..., "dask", scheduler=...) on omnisim's LocalCluster, workers warm
    from dask.distributed import Client
    from sim.executors import local_cluster
    from sim.replicate import run_job
    with local_cluster(int(workers)) as cluster, Client(cluster) as client:
        client.gather(client.map(run_job, warm, pure=False))
        t0 = time.perf_counter()
        outs = execute(jobs, "dask", scheduler=cluster.scheduler_address)
        wall = time.perf_counter() - t0
# an Outcome as a row of the sweep table (sim/sweep.py load_rows): KPIs and waits
rows = [{**o.kpis, **{f"wait_hours.{n}": w for n, w in o.waits.items()}} for o in outs]
print(json.dumps({"wall": wall, "kpis": rows}))
'''


def _api(executor: str, start: str, a: argparse.Namespace) -> tuple[list[dict], float]:
    days = "" if a.days is None else str(a.days)
    proc = subprocess.run([sys.executable, "-c", API, executor, start, days,
                           str(a.replications), str(a.workers), a.scenario],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["kpis"], out["wall"]


def _command(executor: str, a: argparse.Namespace) -> tuple[list[dict], float]:
    """``omnisim sweep`` as a user runs it (one point: the scenario as it is); the KPIs of
    each replication are read back from the sweep's table."""
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(Path(sys.executable).with_name("omnisim")), "sweep", a.scenario,
               "--vary", a.vary, "-r", str(a.replications), "--executor", executor,
               "--workers", str(a.workers), "--no-progress", "--out", tmp]
        if a.days is not None:
            cmd += ["--days", str(a.days)]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        (folder,) = Path(tmp).glob("sweep-*")
        table_ = pd.read_parquet(folder / "results.parquet").sort_values("replication")
    kpi_cols = table_.columns[table_.columns.get_loc("checks_ok") + 1:]
    return [dict(zip(kpi_cols, r, strict=True))
            for r in table_[kpi_cols].itertuples(index=False)], wall


def _same(a: list[dict], b: list[dict]) -> bool:
    """The same KPI values, replication by replication (NaN equal to NaN)."""
    def norm(kpis: dict) -> str:
        return json.dumps({k: float(v) for k, v in kpis.items()}, sort_keys=True)
    return [norm(k) for k in a] == [norm(k) for k in b]


#: (executor, start) in the order each round runs them; the serial run of each kind first
RUNS = [("serial", "command"), ("process", "command"), ("dask", "command"),
        ("serial", "cold"), ("process", "cold"), ("dask", "cold"),
        ("process", "warm"), ("dask", "warm")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=None)
    ap.add_argument("--replications", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--vary", default="channels.call_centre.staff=3",
                    help="the one-point --vary of the command rows: the scenario's own value, "
                         "so every row runs the same replications")
    a = ap.parse_args()
    walls: dict[tuple[str, str], list[float]] = {r: [] for r in RUNS}
    speedups: dict[tuple[str, str], list[float]] = {r: [] for r in RUNS}
    identical = {r: True for r in RUNS}
    ref: list[dict] = []
    for rnd in range(a.rounds):
        serial: dict[str, float] = {}
        for executor, start in RUNS:
            kpis, wall = (_command(executor, a) if start == "command"
                          else _api(executor, start, a))
            ref = ref or kpis
            identical[executor, start] &= _same(kpis, ref)
            kind = "command" if start == "command" else "api"
            base = serial.setdefault(kind, wall)
            walls[executor, start].append(wall)
            speedups[executor, start].append(base / wall)
            print(f"round {rnd + 1}/{a.rounds}: {executor:7s} {start:7s} {wall:6.1f} s",
                  file=sys.stderr, flush=True)
    rows = []
    for executor, start in RUNS:
        s = spread(speedups[executor, start])
        wall = statistics.median(walls[executor, start])
        rows.append({"executor": executor, "start": start,
                     "workers": 1 if executor == "serial" else a.workers,
                     "wall_s_median": wall, "replications_per_min": 60 * a.replications / wall,
                     "speedup_median": s["median"], "speedup_min": s["min"],
                     "speedup_max": s["max"], "identical_to_serial": identical[executor, start],
                     "walls_s": walls[executor, start]})
    days = "the scenario's horizon" if a.days is None else f"{a.days:g} days"
    print(f"{a.replications} replications of {a.scenario}, {days} each, {a.rounds} rounds. "
          "command: the whole 'omnisim sweep' process; cold: execute() including starting "
          "the pool or cluster; warm: workers already started. Speed-up: against the same "
          "round's serial run of the same kind (median, min, max over rounds).")
    print(table(rows, ["executor", "start", "workers", "wall_s_median", "replications_per_min",
                       "speedup_median", "speedup_min", "speedup_max", "identical_to_serial"]))
    print(f"wrote {write('parallel', rows, vars(a))}")


if __name__ == "__main__":
    main()
