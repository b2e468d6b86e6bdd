"""Journey cost: microseconds per lead-to-cash journey of the baseline company, SimPy events
per second, and a profile of where the time goes.

A journey is one customer from lead (or start, for the customer base) to a terminal state:
converted and paid, lost at a named step, churned, or in flight at the horizon. Time is
measured in fresh processes without the event log (as replications run), the fastest of
``--repeats`` runs; events are counted
in a second run with a counting wrapper around ``simpy.Environment.step``. Two profiles
list the functions with the most own time: a statistical one (``pyinstrument``, sampling
every millisecond, so the code runs at nearly full speed and cheap, often-called functions
are not inflated; installed by ``make bench``) and a deterministic one (``cProfile``, exact
call counts). Each runs in its own fresh process.

    .venv/bin/python benchmarks/journey.py [--days 90] [--top 15] [--against REF]

With ``--against REF`` the same timing also runs on the files of git commit ``REF`` (for
example the commit before a change that may cost time), the two in interleaved rounds, and
the table adds that commit's microseconds per journey and the ratio now / then. A journey is
the same unit in both (one customer to its terminal state), so the ratio compares the cost of
the work, not the amount of it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import checkout, fastest, timed_child, write  # noqa: E402

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
elif mode == "sample":
    from pyinstrument import Profiler
    prof = Profiler(interval=0.001)
    prof.start()
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
elif mode == "sample":
    prof.stop()
    text = prof.output_text(flat=True, flat_time="self", time="percent_of_total",
                            processor_options={"filter_threshold": 0})
    # pyinstrument's flat view also prints one "[self]" line that pools the leftover own time
    # of frames it folded away, under one arbitrary file name: not a function, left out
    rows = [ln for ln in text.splitlines() if "%" in ln and "[self]" not in ln]
    out["profile"] = "\n".join(rows[:int(sys.argv[3])])
out["sim_file"] = sys.modules["sim"].__file__
print(json.dumps(out))
'''


def against(ref: str, days: str, repeats: int) -> tuple[dict[str, Any], dict[str, object]]:
    """The timed run now and, for the table, microseconds per journey at commit ``ref``
    (interleaved with it) and the ratio now / then."""
    with tempfile.TemporaryDirectory() as tmp:
        commit = checkout(ref, Path(tmp))
        now, then = fastest([(RUN, days, "time"), (RUN, days, "time")], repeats,
                            cwds=[None, Path(tmp)])
        if not then["sim_file"].startswith(tmp):
            raise RuntimeError(f"the run of {ref} imported {then['sim_file']}, not its own sim")
    us_now = 1e6 * now["sim_s"] / now["journeys"]
    us_then = 1e6 * then["sim_s"] / then["journeys"]
    return now, {"against": commit[:12], "journeys_then": then["journeys"],
                 "us_per_journey_then": us_then, "ratio_now_to_then": us_now / us_then}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=90.0)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--repeats", type=int, default=3, help="timed runs; the fastest is kept")
    ap.add_argument("--against", metavar="REF", help="also time git commit REF (interleaved) "
                    "and report the ratio of microseconds per journey")
    a = ap.parse_args()
    days = str(a.days)
    if a.against:  # the table's own timing is the interleaved one
        timed, then = against(a.against, days, a.repeats)
    else:
        timed, then = fastest([(RUN, days, "time")], a.repeats)[0], {}
    counted = timed_child(RUN, days, "count")
    prof = timed_child(RUN, days, "profile", str(a.top))
    try:
        sampled = timed_child(RUN, days, "sample", str(a.top))["profile"]
    except RuntimeError as err:  # pyinstrument missing: `make bench` installs it
        sampled = f"(no statistical profile: {str(err).strip().splitlines()[-1]})"
    us = 1e6 * timed["sim_s"] / timed["journeys"]
    row = {"days": a.days, "journeys": timed["journeys"], "sim_s": timed["sim_s"],
           "us_per_journey": us, "journeys_per_s": timed["journeys"] / timed["sim_s"],
           "events": counted["events"], "events_per_s": counted["events"] / timed["sim_s"],
           "peak_mb": timed["peak_mb"], **then}
    print(f"baseline company, {a.days:g} days, one core, no event log")
    for k, v in row.items():
        if isinstance(v, float):
            print(f"  {k:19s} {v:,.3f}" if abs(v) < 10 else f"  {k:19s} {v:,.1f}")
        else:
            print(f"  {k:19s} {v:,}" if isinstance(v, int) else f"  {k:19s} {v}")
    print("\nstatistical profile (pyinstrument, share of samples in each function's own code):")
    print(sampled)
    print("\ndeterministic profile (cProfile, own time, top functions):")
    lines = prof["profile"].splitlines()
    start = next((i for i, ln in enumerate(lines) if "tottime" in ln), 0)
    print("\n".join(lines[start:start + a.top + 1]))
    print(f"wrote {write('journey', [row], {'profile': prof['profile'], 'sampled': sampled})}")


if __name__ == "__main__":
    main()
