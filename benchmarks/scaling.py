"""Scaling: time and peak memory of the baseline company at 1x, 2x, 4x and 8x demand and at
90, 180 and 365 days, with the fitted exponents (time ~ demand^a, time ~ days^b).

Demand is scaled by multiplying every segment's ``leads_per_day`` and customer base; staffing
is scaled by the same factor, so the company grows rather than drowns (queues would otherwise
grow without bound and time would measure the backlog, not the engine). Each point runs in its
own fresh process, without the event log; the points run in turn, ``--repeats`` rounds in this
one run, and each point keeps its fastest run (on a shared machine single runs of the same
point differ by 10-20%, enough to move an exponent by 0.1).

Where valgrind is installed, the CPU instructions of the run at 1x and 4x demand are counted
too (callgrind, over ``--instructions-days``; start-up and scenario loading, counted in a run
that stops before simulating, are subtracted). Instructions per journey that stay the same
while time per journey grows mean the extra time is the processor's caches and memory (a
larger set of waiting customers and events), not more work per journey. For comparison, the
same growth is measured in plain SimPy (``REFERENCE``: k times the arrivals, each customer
waiting about 20 days between three services, so k times as many wait at once).

    .venv/bin/python benchmarks/scaling.py [--demand-days 30] [--repeats 3] [--no-instructions]
        [--reference-days 15]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import NO_VALGRIND, fastest, instructions_all, table, write  # noqa: E402

RUN = r'''
import json, resource, sys, time
from sim.runner import prepare, run_replication
from sim.scenario import load
days, k = float(sys.argv[1]), float(sys.argv[2])
base = load("baseline").scenario
sets = []
for name, seg in base.segments.items():
    sets.append(f"segments.{name}.leads_per_day={seg.leads_per_day * k:g}")
    sets.append(f"segments.{name}.existing_customers={int(round(seg.existing_customers * k))}")
for name, ch in base.channels.items():
    if ch.staffed:
        sets.append(f"channels.{name}.staff={max(1, int(round(ch.staff * k)))}")
for name, team in base.teams.items():
    sets.append(f"teams.{name}.staff={max(1, int(round(team.staff * k)))}")
sets.append(f"warehouse.pickers={max(1, int(round(base.warehouse.pickers * k)))}")
sets.append(f"catalog.planned_units_per_day={base.catalog.planned_units_per_day * k:g}")
loaded = prepare("baseline", sets, seed=1, days=days)
if sys.argv[3:] == ["prepare-only"]:  # start-up, for the instruction counts
    print(json.dumps({"journeys": 0}))
    sys.exit(0)
t0 = time.perf_counter()
rep = run_replication(loaded)
wall = time.perf_counter() - t0
print(json.dumps({"journeys": sum(rep.terminal.values()), "sim_s": wall,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''

#: The same question asked of plain SimPy: customers arrive k times as often, each is served
#: three times at a desk with k times the servers and waits about 20 days between services, as
#: dormant customers do between purchases; so k times as many customers wait at once, as in
#: the baseline at k times the demand. The desk is at most 60% busy (once every customer makes
#: three visits: 60k arrivals per hour x 3 x 0.1 h over 30k servers), so no queue builds up.
REFERENCE = r'''
import json, resource, sys, time
import numpy as np
import simpy
days, k = float(sys.argv[1]), float(sys.argv[2])
rng = np.random.default_rng(1)
env = simpy.Environment()
desk = simpy.Resource(env, int(30 * k))
def customer():
    for _ in range(3):
        with desk.request() as req:
            yield req
            yield env.timeout(rng.exponential(0.1))
        yield env.timeout(rng.exponential(24 * 20))
def arrivals():
    while True:
        yield env.timeout(rng.exponential(1 / (60 * k)))
        arrived[0] += 1
        env.process(customer())
arrived = [0]
env.process(arrivals())
t0 = time.perf_counter()
env.run(until=days * 24)
wall = time.perf_counter() - t0
print(json.dumps({"journeys": arrived[0], "sim_s": wall,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def exponent(xs: list[float], ys: list[float]) -> float:
    """Slope of log(y) on log(x): 1 means linear."""
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def count_instructions(days: float) -> list[dict[str, float]] | None:
    """Instructions of the run (start-up subtracted) and per journey at 1x and 4x demand
    over ``days`` (None without valgrind)."""
    runs = instructions_all([(RUN, str(days), "1", "prepare-only"),
                             (RUN, str(days), "4", "prepare-only"),
                             (RUN, str(days), "1"), (RUN, str(days), "4")])
    if runs is None:
        return None
    out = []
    for k, start, run in ((1, runs[0], runs[2]), (4, runs[1], runs[3])):
        work = run["instructions"] - start["instructions"]
        out.append({"demand_x": k, "days": days, "journeys": run["journeys"],
                    "instructions": work, "instructions_per_journey": work / run["journeys"]})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demand-days", type=float, default=30.0)
    ap.add_argument("--repeats", type=int, default=3,
                    help="runs of every point (interleaved); the fastest is kept")
    ap.add_argument("--instructions", action=argparse.BooleanOptionalAction, default=True,
                    help="count instructions at 1x and 4x demand with valgrind, if installed")
    ap.add_argument("--instructions-days", type=float, default=20.0,
                    help="days of the runs under valgrind (more than the 14-day warm-up)")
    ap.add_argument("--reference-days", type=float, default=15.0,
                    help="days of the plain-SimPy reference runs (0: no reference)")
    a = ap.parse_args()
    points = [("demand", k, a.demand_days) for k in (1, 2, 4, 8)] + \
        [("horizon", 1, d) for d in (90, 180, 365)]
    if a.reference_days > 0:
        points += [("plain simpy", k, a.reference_days) for k in (1, 2, 4, 8)]
    runs = fastest([(REFERENCE if axis == "plain simpy" else RUN, str(d), str(k))
                    for axis, k, d in points], a.repeats)
    rows = [{"axis": axis, "demand_x": k, "days": d, **r}
            for (axis, k, d), r in zip(points, runs, strict=True)]
    dem = [r for r in rows if r["axis"] == "demand"]
    hor = [r for r in rows if r["axis"] == "horizon"]
    ref = [r for r in rows if r["axis"] == "plain simpy"]
    exps = {"time_vs_demand": exponent([r["demand_x"] for r in dem], [r["sim_s"] for r in dem]),
            "time_vs_days": exponent([r["days"] for r in hor], [r["sim_s"] for r in hor]),
            "memory_vs_days": exponent([r["days"] for r in hor], [r["peak_mb"] for r in hor])}
    if ref:
        exps["plain_simpy_time_vs_demand"] = exponent([r["demand_x"] for r in ref],
                                                      [r["sim_s"] for r in ref])
    counted = count_instructions(a.instructions_days) if a.instructions else None
    if counted is not None:
        exps["instructions_vs_demand"] = exponent([c["demand_x"] for c in counted],
                                                  [c["instructions"] for c in counted])
    for r in rows:
        r["us_per_journey"] = 1e6 * r["sim_s"] / r["journeys"]
    print(table(rows, ["axis", "demand_x", "days", "journeys", "sim_s", "us_per_journey",
                       "peak_mb"]))
    if counted is not None:
        print(f"CPU instructions of the run (valgrind, {a.instructions_days:g} days, start-up "
              "subtracted):")
        print(table(counted, ["demand_x", "journeys", "instructions",
                              "instructions_per_journey"]))
    elif a.instructions:
        print(NO_VALGRIND)
    for k, v in exps.items():
        print(f"exponent {k}: {v:.2f}" + ("" if math.isfinite(v) else " (undefined)"))
    extra = {"exponents": exps, "instructions": counted, **vars(a)}
    print(f"wrote {write('scaling', rows, extra)}")


if __name__ == "__main__":
    main()
