"""Engine efficiency: one three-node queueing network in omnisim, in plain SimPy and in Ciw.

The network is ``sim/scenarios/validation/jackson.yaml``: Poisson calls (40 per hour) at a
call centre (6 agents, exponential 6 min); 30% go on to the order desk (2 clerks, 5 min),
then to billing (1 server, 2.5 min), which sends 20% back to the order desk. The same network is
written directly in SimPy (the floor: nothing but the queueing) and in Ciw, and each runs in
its own fresh process for the same simulated time, the three in turn, ``--repeats`` rounds in
this one run.

Time is compared per customer, two ways: each engine's fastest run, and the ratio within each
round (median, lowest and highest over the rounds). Where valgrind is installed, the CPU
instructions per customer are counted too (callgrind; the difference between a 2-day and a
``--instructions-days`` run, so start-up and imports cancel out): a count that does not depend
on what else the machine is doing, which wall time on a shared machine does by 10-20%.
Peak memory is the whole process's, and omnisim's is measured again over four times the days
(memory flat in the number of customers).

    .venv/bin/python benchmarks/engine.py [--days 200] [--repeats 5] [--no-instructions]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    NO_VALGRIND,
    fastest_of,
    instructions_all,
    rounds,
    spread,
    table,
    timed_child,
    write,
)

SIMPY = r'''
import json, resource, sys, time
import numpy as np
import simpy
hours = float(sys.argv[1])
rng = np.random.default_rng(1)
env = simpy.Environment()
cc, desk, bill = (simpy.Resource(env, c) for c in (6, 2, 1))
done = [0, 0]
def serve(res, mean):
    with res.request() as req:
        yield req
        yield env.timeout(rng.exponential(mean))
    done[1] += 1
def customer():
    yield from serve(cc, 0.1)
    if rng.random() < 0.3:
        while True:
            yield from serve(desk, 5 / 60)
            yield from serve(bill, 2.5 / 60)
            if rng.random() >= 0.2:
                break
    done[0] += 1
def arrivals():
    while True:
        yield env.timeout(rng.exponential(1 / 40))
        env.process(customer())
t0 = time.perf_counter()
env.process(arrivals())
env.run(until=hours)
wall = time.perf_counter() - t0
print(json.dumps({"customers": done[0], "services": done[1], "sim_s": wall,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''

CIW = r'''
import json, resource, sys, time
import ciw
hours = float(sys.argv[1])
N = ciw.create_network(
    arrival_distributions=[ciw.dists.Exponential(40), None, None],
    service_distributions=[ciw.dists.Exponential(10), ciw.dists.Exponential(12),
                           ciw.dists.Exponential(24)],
    routing=[[0.0, 0.3, 0.0], [0.0, 0.0, 1.0], [0.0, 0.2, 0.0]],
    number_of_servers=[6, 2, 1])
ciw.seed(1)
t0 = time.perf_counter()
Q = ciw.Simulation(N)
Q.simulate_until_max_time(hours)
wall = time.perf_counter() - t0
recs = Q.get_all_records()
customers = len({r.id_number for r in recs if r.node == 1})
print(json.dumps({"customers": customers, "services": len(recs), "sim_s": wall,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''

OMNISIM = r'''
import json, resource, sys, time
from sim.runner import prepare, run_replication
days = float(sys.argv[1])
loaded = prepare("validation/jackson", (), seed=1, days=days)
t0 = time.perf_counter()
rep = run_replication(loaded)
wall = time.perf_counter() - t0
st = rep.stations
services = sum(st[n]["served"] + st[n]["abandoned"] for n in ("call_centre", "order_desk",
                                                                 "billing"))
print(json.dumps({"customers": sum(rep.terminal.values()), "services": services,
                  "sim_s": wall,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def count_instructions(engines: list[tuple[str, str, float]], days: float
                       ) -> dict[str, dict[str, float]] | None:
    """Instructions per customer of each engine: a ``days`` run minus a 2-day run (None
    without valgrind). ``engines``: (name, code, argument units per day)."""
    runs = instructions_all([(code, str(per_day * d)) for _, code, per_day in engines
                             for d in (2.0, days)])
    if runs is None:
        return None
    out = {}
    for i, (name, _, _) in enumerate(engines):
        short, long = runs[2 * i], runs[2 * i + 1]
        per = (long["instructions"] - short["instructions"]) / \
            (long["customers"] - short["customers"])
        out[name] = {"instructions_per_customer": per}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=200.0)
    ap.add_argument("--skip-ciw", action="store_true")
    ap.add_argument("--repeats", type=int, default=5,
                    help="rounds; in each, every engine runs once, in turn")
    ap.add_argument("--instructions", action=argparse.BooleanOptionalAction, default=True,
                    help="count instructions per customer with valgrind, if installed")
    ap.add_argument("--instructions-days", type=float, default=12.0,
                    help="the longer of the two runs under valgrind (the other is 2 days)")
    a = ap.parse_args()
    engines = [(name, code, per_day) for name, code, per_day in (
        ("plain simpy", SIMPY, 24.0), ("omnisim", OMNISIM, 1.0), ("ciw", CIW, 24.0))
        if not (name == "ciw" and a.skip_ciw)]
    runs = rounds([(code, str(per_day * a.days)) for _, code, per_day in engines], a.repeats)
    rows = fastest_of(runs)
    names = [name for name, _, _ in engines]
    for name, r in zip(names, rows, strict=True):
        r["engine"] = name
        r["customers_per_s"] = r["customers"] / r["sim_s"]
    # memory flat in the number of customers: the same network over four times the days
    long = timed_child(OMNISIM, str(4 * a.days))
    long["engine"] = "omnisim x4 days"
    long["customers_per_s"] = long["customers"] / long["sim_s"]
    by = {r["engine"]: r for r in rows}
    om = by["omnisim"]

    def per_customer(r: dict[str, float]) -> float:
        return r["sim_s"] / r["customers"]

    at = names.index("omnisim")
    counted = count_instructions(engines, a.instructions_days) if a.instructions else None
    for i, r in enumerate(rows):
        r["time_ratio_omnisim_to_this"] = per_customer(om) / per_customer(r)
        within = spread([per_customer(rnd[at]) / per_customer(rnd[i]) for rnd in runs])
        r["round_ratio_median"] = within["median"]
        r["round_ratio_min"], r["round_ratio_max"] = within["min"], within["max"]
        r["memory_ratio_omnisim_to_this"] = om["peak_mb"] / r["peak_mb"]
        if counted is not None:
            r["instructions_per_customer"] = counted[r["engine"]]["instructions_per_customer"]
            r["instruction_ratio_omnisim_to_this"] = \
                counted["omnisim"]["instructions_per_customer"] / r["instructions_per_customer"]
    rows.append(long)
    print(f"three-node network, {a.days:g} simulated days, {a.repeats} interleaved rounds; "
          "time per customer: fastest run and ratio within each round (median, min, max); "
          "peak memory of the whole process")
    print(table(rows, ["engine", "customers", "services", "sim_s", "customers_per_s", "peak_mb",
                       "time_ratio_omnisim_to_this", "round_ratio_median", "round_ratio_min",
                       "round_ratio_max", "memory_ratio_omnisim_to_this"]))
    if counted is not None:
        print(f"CPU instructions per customer (valgrind, {a.instructions_days:g}-day run minus "
              "a 2-day run):")
        print(table(rows[:-1], ["engine", "instructions_per_customer",
                                "instruction_ratio_omnisim_to_this"]))
    elif a.instructions:
        print(NO_VALGRIND)
    growth = long["peak_mb"] / om["peak_mb"]
    print(f"omnisim peak memory with 4x the customers: x{growth:.2f} "
          f"({om['peak_mb']:.0f} -> {long['peak_mb']:.0f} MB)")
    print(f"wrote {write('engine', rows, {**vars(a), 'memory_growth_4x': growth})}")


if __name__ == "__main__":
    main()
