"""The size of the customer base a scenario keeps by itself: its steady state.

A run starts with ``existing_customers`` per segment, the company's customer base. If that base
is not the size the scenario's own flow keeps (new customers arriving balance those who leave),
the base grows or drains for years and every KPI that repeat customers feed (throughput,
revenue, receivables, DSO) depends on how long one simulates. This module measures the size the
flow keeps, so that a scenario can start there (``omnisim scenarios steady``).

Method (Little's law on the base as a queue): a customer *joins* the base with its first order
(the customers of the opening base are members from the start) and *leaves* it when its
relationship ends (churned, no further need, cancelled, written off). Over a long run, after
``skip`` days that let the lead pipeline fill, we measure per segment

- the joining rate ``lambda`` (first orders per day), and
- the leaving rate per member ``mu`` (departures / member-days, the base sampled daily),

and the steady-state base is ``lambda / mu``: the size at which as many leave as join. The
estimate does not need the run's base to have reached that size already (it relaxes slowly:
business accounts stay for years), only the two rates, which depend little on the base's size.
Each replication gives one estimate; the result is their mean with a Student-t interval.

The same daily samples record every member's satisfaction (which scales its retention and only
falls): their deciles, pooled over the replications, are the ``opening_satisfaction`` a run
starts its existing customers with (:mod:`sim.opening`), so that the opening base leaves at the
steady rate from the first day instead of starting fully satisfied.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from sim.scenario import ServiceSegment

if TYPE_CHECKING:
    from sim.model import OmniModel
    from sim.scenario import Loaded

#: days at the start of a measuring run left out (the lead pipeline fills, A)
SKIP_DAYS = 120.0


@dataclass(frozen=True)
class SegmentBase:
    """The measured steady state of one segment's customer base.

    Attributes:
        segment: The segment's name.
        declared: ``existing_customers`` in the scenario.
        steady: The steady-state size (mean of the replications' ``lambda / mu``).
        low, high: Its 95% interval over replications (NaN with one replication).
        joins_per_day: Customers joining the base per day (first orders).
        stay_days: Mean time a member stays in the base, in days (``1 / mu``).
        satisfaction: The deciles (5th, 15th ... 95th percentiles) of the members'
            satisfaction, sampled daily and pooled over the replications (empty without a
            sample).
    """

    segment: str
    declared: int
    steady: float
    low: float
    high: float
    joins_per_day: float
    stay_days: float
    satisfaction: tuple[float, ...] = ()


class BaseMeter:
    """Counts joins, leaves and member-days of every segment's base in one model from
    ``skip`` hours on (a SimPy process sampling the base every ``step`` hours)."""

    def __init__(self, model: OmniModel, skip: float, step: float = 24.0) -> None:
        self.model = model
        self.step = step
        self.start_joins: dict[str, int] = {}
        self.start_leaves: dict[str, int] = {}
        self.member_days: dict[str, float] = dict.fromkeys(model.scenario.segments, 0.0)
        #: per segment, the satisfaction of every member at every sample
        self.satisfaction: dict[str, list[float]] = {seg: [] for seg in model.scenario.segments}
        self.days = 0.0
        model.env.process(self._sample(skip))

    def _sample(self, skip: float) -> Generator[simpy.Event, Any, None]:
        env = self.model.env
        yield env.timeout(skip)
        self.start_joins = dict(self.model.base_joins)
        self.start_leaves = dict(self.model.base_leaves)
        while True:
            for seg, n in self.model.base.items():
                self.member_days[seg] += n * self.step / 24.0
            for agent in self.model.agents:
                if getattr(agent, "in_base", False):
                    self.satisfaction[agent.segment].append(agent.satisfaction)
            self.days += self.step / 24.0
            yield env.timeout(self.step)

    def rates(self) -> dict[str, tuple[float, float]]:
        """Per segment ``(joins per day, leaves per member-day)`` since ``skip``."""
        out = {}
        for seg in self.member_days:
            joins = self.model.base_joins[seg] - self.start_joins.get(seg, 0)
            leaves = self.model.base_leaves[seg] - self.start_leaves.get(seg, 0)
            lam = joins / self.days if self.days else math.nan
            mu = leaves / self.member_days[seg] if self.member_days[seg] else math.nan
            out[seg] = (lam, mu)
        return out


def measure(loaded: Loaded, days: float, seed: int, skip: float = SKIP_DAYS
            ) -> dict[str, tuple[float, float, list[float]]]:
    """One run of ``days`` days with ``seed``: per buyer segment ``(lambda, mu)`` and the
    members' satisfaction samples."""
    from sim.model import OmniModel

    if days <= skip:
        raise ValueError(f"a measuring run needs more than {skip:g} days, got {days:g}")
    model = OmniModel(loaded.scenario, seed=seed)
    meter = BaseMeter(model, skip * 24.0)
    model.run(days=days)
    return {seg: (lam, mu, meter.satisfaction[seg]) for seg, (lam, mu) in meter.rates().items()
            if not isinstance(loaded.scenario.segments[seg], ServiceSegment)}


#: the probabilities at which the members' satisfaction is read: the deciles' midpoints, ten
#: equally likely values
DECILES = tuple((k + 0.5) / 10.0 for k in range(10))


def deciles(samples: list[float]) -> tuple[float, ...]:
    """The 5th, 15th ... 95th percentiles of ``samples``, rounded to 3 decimals (empty for
    no sample)."""
    if not samples:
        return ()
    return tuple(round(float(q), 3) for q in np.quantile(np.asarray(samples), DECILES))


def steady_base(loaded: Loaded, *, replications: int = 2, days: float = 730.0,
                progress: Callable[[int], None] | None = None) -> list[SegmentBase]:
    """The steady-state base of every buyer segment, from ``replications`` runs of ``days``
    days (seeds ``seed``, ``seed + 1`` ...); ``progress(r)`` after each run."""
    from sim.validation.suite import t_quantile

    sc = loaded.scenario
    runs = []
    for r in range(replications):
        runs.append(measure(loaded, days, sc.seed + r))
        if progress is not None:
            progress(r + 1)
    out = []
    for seg, spec in sc.segments.items():
        if isinstance(spec, ServiceSegment):
            continue
        est = [lam / mu if mu > 0 else math.nan for lam, mu, _ in (run[seg] for run in runs)]
        n = len(est)
        mean = sum(est) / n
        if n > 1:
            sd = math.sqrt(sum((x - mean) ** 2 for x in est) / (n - 1))
            half = t_quantile(0.975, n - 1) * sd / math.sqrt(n)
        else:
            half = math.nan
        lam = sum(run[seg][0] for run in runs) / n
        mu = sum(run[seg][1] for run in runs) / n
        pooled = [x for run in runs for x in run[seg][2]]
        out.append(SegmentBase(seg, spec.existing_customers, mean, mean - half, mean + half,
                               lam, 1.0 / mu if mu > 0 else math.nan, deciles(pooled)))
    return out


def base_record(model: OmniModel) -> dict[str, dict[str, float]]:
    """Per buyer segment, the customer base at the start (``existing_customers``) and at the
    end of the run, the customers who joined (first orders) and left meanwhile, and the change
    per year (``(end / start - 1) x 365 / days``; NaN for an empty opening base)."""
    sc = model.scenario
    days = model.env.now / 24.0
    out: dict[str, dict[str, float]] = {}
    for seg, spec in sc.segments.items():
        if isinstance(spec, ServiceSegment):
            continue
        start = spec.existing_customers
        end = model.base[seg]
        per_year = (end / start - 1.0) * 365.0 / days if start and days else math.nan
        out[seg] = {"start": start, "end": end, "joined": model.base_joins[seg] - start,
                    "left": model.base_leaves[seg], "change_per_year": per_year}
    return out


#: a base changing faster than this per year is not in steady state (A)
DRIFT_PER_YEAR = 0.10


def base_warnings(record: dict[str, dict[str, float]]) -> list[str]:
    """One sentence per segment whose base drifts: it changes by more than
    :data:`DRIFT_PER_YEAR` a year and by more than twice the noise of its joins and leaves
    (``2 sqrt(joined + left)``, as if they were Poisson counts)."""
    out = []
    for seg, r in record.items():
        change = r["end"] - r["start"]
        noise = 2.0 * math.sqrt(max(r["joined"] + r["left"], 1.0))
        if abs(r["change_per_year"]) > DRIFT_PER_YEAR and abs(change) > noise:
            out.append(f"the {seg} customer base went from {r['start']:,.0f} to "
                       f"{r['end']:,.0f} ({r['change_per_year']:+.0%} a year): it is not in "
                       "steady state, so KPIs fed by repeat customers depend on the horizon; "
                       f"'omnisim scenarios steady' measures the size to start from")
    return out
