"""Stepping a company through time for the workshop page, and what the page shows of it.

:func:`advance` moves an :class:`~sim.model.OmniModel` forward by some simulated hours and,
at the horizon, finishes it exactly as :meth:`OmniModel.run` does, so a run stepped day by
day ends with the same numbers as ``omnisim run`` (the test compares them). Stopping the
SimPy clock at a step boundary only adds a stop event; it changes no draw and no order of
events.

:class:`Company` is one running model plus the daily history the charts draw;
:class:`Workshop` is the Mesa model the page drives: one company, or two (side-by-side mode:
two phases with the same seed, so the difference between them is the phase, not luck).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import mesa

from sim.kpis.compute import Snapshot, snapshot
from sim.kpis.formulas import Ratio
from sim.kpis.registry import View, get, shown_in
from sim.kpis.spec import Kpi
from sim.model import STAGES, OmniModel, bottleneck
from sim.processmap import NAMES
from sim.scenario import Loaded, load
from sim.workshop import levers as lv
from sim.workshop.flow import FlowSnapshot, flow_snapshot

#: Simulated hours per workshop step: one day, so "orders per day" is one step's orders.
STEP_HOURS = 24.0
#: The workshop counts from day 0 (no warm-up), so the class sees every day it watches.
WORKSHOP_OVERRIDES = ("warmup=0 h",)
#: How many of the busiest resources the queue chart shows.
TOP_QUEUES = 6


def advance(model: OmniModel, hours: float) -> bool:
    """Run ``model`` for ``hours`` more (stopping at its horizon); True while time remains.

    At the horizon the model is finished like :meth:`OmniModel.run` finishes it: a last
    DataCollector sample, the in-flight scan and the ``in_flight`` terminal state.
    """
    end = model.scenario.horizon
    if getattr(model, "horizon", None) is None:
        model.horizon = end
    now = model.env.now
    if now >= end:
        return False
    if not hours > 0:
        raise ValueError(f"hours must be > 0, not {hours!r}")
    until = min(now + hours, end)
    model.env.run(until=until)
    if until >= end:
        model.finish_run()
        return False
    return True


def headline_kpis() -> list[Kpi]:
    """The KPIs the workshop shows (:data:`~sim.kpis.spec.View.WORKSHOP` in the registry)."""
    return shown_in(View.WORKSHOP)


@dataclass
class Day:
    """The end of a simulated day: the cumulative quantities the workshop's KPIs are made of
    (a :class:`~sim.kpis.compute.Snapshot`; the charts difference them)."""

    day: float
    counts: Snapshot

    def kpi(self, key: str) -> float:
        """The registry KPI ``key`` since day 0 (one the workshop shows)."""
        return self.counts.value(get(key))

    def parts(self, key: str) -> tuple[float, float]:
        """Numerator and denominator of the registry ratio ``key`` since day 0."""
        f = get(key).formula
        if not isinstance(f, Ratio):
            raise TypeError(f"KPI {key!r} is not a ratio of two counts")
        return self.counts.read(f.numerator), self.counts.read(f.denominator)

    @property
    def orders(self) -> int:
        """Orders placed since day 0."""
        return int(self.kpi("orders"))

    @property
    def cost(self) -> float:
        """Cost to serve since day 0."""
        return self.kpi("total_cost")

    @property
    def cash(self) -> float:
        """Cash collected since day 0."""
        return self.kpi("cash_collected")


@dataclass
class Company:
    """One running company: its model, its label on the page and its daily history."""

    label: str
    ref: str
    loaded: Loaded
    model: OmniModel
    overrides: tuple[str, ...] = ()
    history: list[Day] = field(default_factory=list)
    running: bool = True

    @classmethod
    def build(cls, ref: str, *, label: str, seed: int, overrides: Sequence[str] = ()
              ) -> Company:
        """Load ``ref`` with the workshop's and the given overrides and build its model."""
        loaded = load(ref, (*WORKSHOP_OVERRIDES, f"seed={int(seed)}", *overrides))
        c = cls(label, ref, loaded, OmniModel(loaded.scenario), tuple(overrides))
        c.history.append(c.day())
        return c

    @property
    def now_days(self) -> float:
        """Simulated days elapsed."""
        return self.model.env.now / 24.0

    @property
    def horizon_days(self) -> float:
        """The run's length in days."""
        return self.model.scenario.horizon / 24.0

    def step(self, hours: float = STEP_HOURS) -> None:
        """Advance one step and record the day."""
        if not self.running:
            return
        self.running = advance(self.model, hours)
        self.history.append(self.day())

    def day(self) -> Day:
        """Cumulative quantities now."""
        return Day(day=self.model.env.now / 24.0,
                   counts=snapshot(self.model, headline_kpis()))

    # -- what the page shows ------------------------------------------------------------------
    def flow(self) -> FlowSnapshot:
        """Where every customer is now (the flow view)."""
        return flow_snapshot(self.model)

    def funnel(self) -> dict[str, int]:
        """Customers at each journey stage now."""
        return {s: int(self.model.stage_counts[s]) for s in STAGES}

    def queues(self) -> dict[str, int]:
        """Work waiting at every station now (queue plus work held while closed)."""
        return {name: len(st.queue) + st.waiting_closed
                for name, st in self.model.stations.items()}

    def totals(self) -> dict[str, float]:
        """Headline numbers since day 0: ``days`` and every KPI the workshop shows, by key."""
        d = self.history[-1]
        return {"days": d.day, **{k.key: d.counts.value(k) for k in headline_kpis()}}

    def bottleneck(self) -> tuple[str, str]:
        """The station that limits flow (busiest while open, :func:`sim.model.bottleneck`),
        and a sentence about it."""
        stats = self.model.station_stats()
        if not stats or self.model.env.now <= 0:
            return "", "Nothing has happened yet: press Step or Run."
        name, util = bottleneck(stats)
        if not name:
            return "", "No resource has had work yet."
        s = stats[name]
        st = self.model.stations[name]
        who = NAMES.get(name, name.replace("_", " "))
        unit = "servers" if st.kind == "system" else "people"
        servers = "" if st.infinite else f" ({st.capacity} {unit})"
        waiting = len(st.queue) + st.waiting_closed
        return name, (
            f"The bottleneck is the {who}{servers}: it is busy {util:.0%} of its open hours, "
            f"work waits there {_hours(s['mean_wait_hours'])} on average and {waiting} "
            f"item(s) are waiting now. No other resource is as busy while open.")


def _hours(h: float) -> str:
    if h < 1.0:
        return f"{h * 60:.0f} min"
    if h < 48.0:
        return f"{h:.1f} h"
    return f"{h / 24:.1f} days"


class Workshop(mesa.Model):
    """The model the workshop page drives: one company, or two side by side.

    Args:
        scenario: the phase shown (a shipped name or a file).
        compare: a second phase run as shipped with the same seed, or None.
        seed: the seed of both companies.
        levers: lever values for the first company (``sim.workshop.levers``); only those
            that differ from the phase's own values become overrides.
        overrides: further ``--set`` assignments for the first company.
        compare_levers: lever values for the second company, as ``levers``.
    """

    def __init__(self, scenario: str = "total-commerce/phase-1-siloed", *,
                 compare: str | None = None, seed: int = 1,
                 levers: Mapping[str, Any] | None = None, overrides: Sequence[str] = (),
                 compare_levers: Mapping[str, Any] | None = None):
        super().__init__(seed=seed)
        first = load(scenario, (*WORKSHOP_OVERRIDES, *overrides))
        extra = list(overrides) + (lv.overrides(first, levers) if levers else [])
        a = Company.build(scenario, label="A", seed=seed, overrides=extra)
        self.companies = [a]
        if compare:
            second = load(compare, WORKSHOP_OVERRIDES)
            moved = lv.overrides(second, compare_levers) if compare_levers else []
            self.companies.append(Company.build(compare, label="B", seed=seed,
                                                overrides=moved))
        self.seed_value = int(seed)
        #: held while stepping; the page holds it while reading, since the play loop steps
        #: in a thread of its own
        self.lock = threading.RLock()
        self._day = 0.0

    def step(self) -> None:
        """One simulated day for every company still running."""
        with self.lock:
            for c in self.companies:
                c.step(STEP_HOURS)
            self.running = any(c.running for c in self.companies)
            self._day = max(c.now_days for c in self.companies)

    @property
    def day(self) -> float:
        """Simulated days completed (read without the lock: never a step half done)."""
        return self._day
