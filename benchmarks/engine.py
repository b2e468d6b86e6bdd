"""Engine efficiency: one three-node queueing network in omnisim, in plain SimPy and in Ciw.

The network is ``scenarios/validation/jackson.yaml``: Poisson calls (40 per hour) at a call
centre (6 agents, exponential 6 min); 30% go on to the order desk (2 clerks, 5 min), then to
billing (1 server, 2.5 min), which sends 20% back to the order desk. The same network is
written directly in SimPy (the floor: nothing but the queueing) and in Ciw, and each runs in
its own fresh process for the same simulated time, the three in turn, ``--repeats`` times in
this one run, keeping each engine's fastest run. The table gives customers per second, peak
memory, and omnisim's ratios to the others.

    .venv/bin/python benchmarks/engine.py [--days 200]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fastest, table, timed_child, write  # noqa: E402

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=200.0)
    ap.add_argument("--skip-ciw", action="store_true")
    ap.add_argument("--repeats", type=int, default=3,
                    help="runs of every engine (interleaved); the fastest is kept")
    a = ap.parse_args()
    hours = str(a.days * 24)
    engines = [(name, code, arg) for name, code, arg in (
        ("plain simpy", SIMPY, hours), ("omnisim", OMNISIM, str(a.days)), ("ciw", CIW, hours))
        if not (name == "ciw" and a.skip_ciw)]
    rows = fastest([(code, arg) for _, code, arg in engines], a.repeats)
    for (name, _, _), r in zip(engines, rows, strict=True):
        r["engine"] = name
        r["customers_per_s"] = r["customers"] / r["sim_s"]
    # memory flat in the number of customers: the same network over four times the days
    long = timed_child(OMNISIM, str(4 * a.days))
    long["engine"] = "omnisim x4 days"
    long["customers_per_s"] = long["customers"] / long["sim_s"]
    by = {r["engine"]: r for r in rows}
    om = by["omnisim"]
    for r in rows:
        r["time_ratio_omnisim_to_this"] = (om["sim_s"] / om["customers"]) / \
            (r["sim_s"] / r["customers"])
        r["memory_ratio_omnisim_to_this"] = om["peak_mb"] / r["peak_mb"]
    rows.append(long)
    print(f"three-node network, {a.days:g} simulated days; time per customer (fastest of "
          f"{a.repeats} interleaved runs) and peak memory (whole process) in one run")
    print(table(rows, ["engine", "customers", "services", "sim_s", "customers_per_s", "peak_mb",
                       "time_ratio_omnisim_to_this", "memory_ratio_omnisim_to_this"]))
    growth = long["peak_mb"] / om["peak_mb"]
    print(f"omnisim peak memory with 4x the customers: x{growth:.2f} "
          f"({om['peak_mb']:.0f} -> {long['peak_mb']:.0f} MB)")
    print(f"wrote {write('engine', rows, {**vars(a), 'memory_growth_4x': growth})}")


if __name__ == "__main__":
    main()
