"""Journey cost: microseconds per lead-to-cash journey of the baseline company, SimPy events
per second, and a profile of where the time goes.

A journey is one customer from lead (or start, for the customer base) to a terminal state:
converted and paid, lost at a named step, churned, or in flight at the horizon. Time is
measured in a fresh process without the event log (as replications run); events are counted
in a second run with a counting wrapper around ``simpy.Environment.step``; the profile
(``cProfile``, a third run) lists the functions with the most own time.

    .venv/bin/python benchmarks/journey.py [--days 90] [--top 15]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import timed_child, write  # noqa: E402

RUN = r'''
import json, resource, sys, time
from sim.runner import prepare, run_replication
days, mode = float(sys.argv[1]), sys.argv[2]
events = [0]
if mode == "count":
    import simpy.core
    step = simpy.core.Environment.step
    def counting(self):
        events[0] += 1
        return step(self)
    simpy.core.Environment.step = counting
loaded = prepare("baseline", (), seed=1, days=days)
if mode == "profile":
    import cProfile, io, pstats
    prof = cProfile.Profile()
    prof.enable()
t0 = time.perf_counter()
rep = run_replication(loaded)
wall = time.perf_counter() - t0
out = {"journeys": sum(rep.terminal.values()), "sim_s": wall, "events": events[0],
       "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
if mode == "profile":
    prof.disable()
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(int(sys.argv[3]))
    out["profile"] = s.getvalue()
print(json.dumps(out))
'''


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=90.0)
    ap.add_argument("--top", type=int, default=15)
    a = ap.parse_args()
    days = str(a.days)
    timed = timed_child(RUN, days, "time")
    counted = timed_child(RUN, days, "count")
    prof = timed_child(RUN, days, "profile", str(a.top))
    us = 1e6 * timed["sim_s"] / timed["journeys"]
    row = {"days": a.days, "journeys": timed["journeys"], "sim_s": timed["sim_s"],
           "us_per_journey": us, "journeys_per_s": timed["journeys"] / timed["sim_s"],
           "events": counted["events"], "events_per_s": counted["events"] / timed["sim_s"],
           "peak_mb": timed["peak_mb"]}
    print(f"baseline company, {a.days:g} days, one core, no event log")
    for k, v in row.items():
        print(f"  {k:16s} {v:,.1f}" if isinstance(v, float) else f"  {k:16s} {v:,}")
    print("\nprofile (own time, top functions):")
    lines = prof["profile"].splitlines()
    start = next((i for i, ln in enumerate(lines) if "tottime" in ln), 0)
    print("\n".join(lines[start:start + a.top + 1]))
    print(f"wrote {write('journey', [row], {'profile': prof['profile']})}")


if __name__ == "__main__":
    main()
