"""Replications of several scenarios with common random numbers, run in parallel.

Replication ``r`` of every scenario uses the seed ``base_seed + r``. Because every source of
randomness has its own named stream (:mod:`sim.streams`), two scenarios run with the same
seed see the same arrivals, the same customers' decisions and the same service times
everywhere except where their mechanisms differ, so their paired difference has a small
variance (and is exactly zero for identical scenarios).

A job is pure data (scenario reference, overrides, seed), so it runs the same in this process
or in a worker process, and the numbers do not depend on which worker ran it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.runner import prepare, run_replication
from sim.workers import run_all


@dataclass(frozen=True)
class Job:
    """One replication of one scenario."""

    ref: str
    scenario_index: int
    replication: int
    seed: int
    overrides: tuple[str, ...] = ()
    days: float | None = None


@dataclass
class Outcome:
    """What a job returns: flat KPIs, and per station the hours waited for a busy server
    (not for the opening) and the utilisation while open."""

    job: Job
    scenario: str
    kpis: dict[str, float]
    waits: dict[str, float]
    utilisation: dict[str, float]
    wall_seconds: float
    checks_ok: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def flatten(kpis: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Nested KPI mappings as ``a.b`` keys; None becomes NaN."""
    out: dict[str, float] = {}
    for key, value in kpis.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        elif value is None:
            out[name] = math.nan
        elif isinstance(value, int | float):
            out[name] = float(value)
    return out


def run_job(job: Job) -> Outcome:
    """Run one replication (no event log: replications keep only their summaries)."""
    loaded = prepare(job.ref, job.overrides, seed=job.seed, days=job.days)
    rep = run_replication(loaded)
    cons = rep.checks["conservation"]
    ok = all(v["ok"] for v in cons.values()) and rep.checks["little"]["ok"]
    return Outcome(
        job=job, scenario=loaded.scenario.name, kpis=flatten(rep.kpis),
        waits={n: s["wait_busy_hours"] for n, s in rep.stations.items()},
        utilisation={n: s["utilisation"] for n, s in rep.stations.items()},
        wall_seconds=rep.wall_seconds, checks_ok=ok,
    )


def plan(refs: Sequence[str], replications: int, base_seed: int,
         overrides: Sequence[str] = (), days: float | None = None) -> list[Job]:
    """Every scenario x replication, with common seeds across scenarios."""
    return [Job(ref, i, r, base_seed + r, tuple(overrides), days)
            for r in range(replications) for i, ref in enumerate(refs)]


def run_jobs(jobs: Iterable[Job], workers: int = 1,
             done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Run jobs serially (``workers=1``) or in a process pool; results in job order."""
    return run_all(run_job, list(jobs), workers,
                   None if done is None else lambda _, out: done(out))


def tidy_rows(outcomes: Sequence[Outcome]) -> list[dict[str, Any]]:
    """One row per scenario x replication x KPI (the tidy table behind every statistic)."""
    rows = []
    for o in outcomes:
        for kpi, value in o.kpis.items():
            rows.append({"scenario": o.scenario, "scenario_index": o.job.scenario_index,
                         "replication": o.job.replication, "seed": o.job.seed,
                         "kpi": kpi, "value": value})
    return rows


def bottlenecks(outcomes: Sequence[Outcome]) -> dict[int, tuple[str, float, float]]:
    """Per scenario index: the station that limits flow (the highest mean utilisation while
    open over the replications, as :func:`sim.model.bottleneck`; on a tie the most hours
    waited for a busy server), its mean hours waited for a busy server and its mean
    utilisation."""
    by: dict[int, list[Outcome]] = {}
    for o in outcomes:
        by.setdefault(o.job.scenario_index, []).append(o)
    out = {}
    for idx, group in by.items():
        names = group[0].utilisation.keys()
        mean_util = {n: sum(g.utilisation[n] for g in group) / len(group) for n in names}
        mean_wait = {n: sum(g.waits[n] for g in group) / len(group) for n in names}
        name = max(sorted(mean_util), key=lambda n: (mean_util[n], mean_wait[n]))
        out[idx] = (name, mean_wait[name], mean_util[name])
    return out
