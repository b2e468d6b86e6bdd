"""KPIs of a run, computed from the registry's formulas.

:func:`compute_kpis` evaluates every declared KPI and family on a :class:`Context` of the
model (what ``kpis.json`` holds). :func:`snapshot` records the quantities a few KPIs need at
one moment, so that they can be evaluated later, or over the interval between two moments
(the workshop's daily history).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.kpis import registry
from sim.kpis.formulas import Quantity, is_interval, kpi
from sim.kpis.spec import Family, Kpi
from sim.staffing import policy_of

if TYPE_CHECKING:
    from sim.model import OmniModel


def contact_centres(model: OmniModel) -> list[str]:
    """The stations that are contact centres (channels of role ``contact_centre``, in file
    order); their call counts are pooled."""
    return model.scenario.channels_of("contact_centre")


def labour(model: OmniModel) -> dict[str, dict[str, float]]:
    """Per station with people on a roster (staffed channels, teams, the warehouse), in the
    window: paid staff-hours (headcount x open hours, piecewise over the roster), labour
    cost (their rate x those hours) and the mean headcount on the roster (roster hours / open
    hours). Paid hours include overtime: work after closing at a channel that finishes the
    call or sale in progress (:meth:`~sim.resources.Station.paid_in_window`)."""
    t0, t1 = model.ledger.window_start, model.env.now
    out = {}
    for name, st in model.stations.items():
        if policy_of(model.scenario, name) is None:
            continue
        roster = st.paid_hours(t0, t1)
        hours = roster + st.overtime  # st.paid_in_window(t1), without walking the roster twice
        open_hours = st.open_hours(t0, t1)
        out[name] = {"staff_hours": hours, "labour_cost": st.cost_per_server_hour * hours,
                     "headcount": roster / open_hours if open_hours > 0 else 0.0}
    return out


def costs(model: OmniModel, by_station: dict[str, dict[str, float]] | None = None
          ) -> dict[str, float]:
    """Cost of the window by bucket (staff, systems, transactions, logistics, ...); staff is
    the sum of the stations' labour cost (``by_station``: :func:`labour`, computed if not
    given)."""
    L = model.ledger
    sc = model.scenario
    t0, t1 = L.window_start, model.env.now
    days = (t1 - t0) / 24.0
    out: dict[str, float] = dict.fromkeys(registry.cost_buckets(), 0.0)
    staffed = labour(model) if by_station is None else by_station
    out["staff"] = sum(s["labour_cost"] for s in staffed.values())
    sysc = 0.0
    for spec in sc.systems.values():
        sysc += spec.instances * (spec.cost_per_instance_day
                                  + spec.it_staff_per_instance * sc.costs.it_staff_cost_per_day)
    for ch in sc.channels.values():
        sysc += ch.fixed_cost_per_day
    out["systems"] = sysc * days
    for k, v in L.costs.items():
        out[k] = out.get(k, 0.0) + v
    return out


class Context:
    """What formulas read of one model now: quantities, observations, station statistics,
    costs and (memoised) other KPIs.

    Attributes:
        model, ledger, scenario: The run.
        days: Length of the statistics window in days (at least 1e-9).
    """

    def __init__(self, model: OmniModel) -> None:
        self.model = model
        self.ledger = model.ledger
        self.scenario = model.scenario
        self.days = max((model.env.now - self.ledger.window_start) / 24.0, 1e-9)
        self._values: dict[str, Any] = {}

    @cached_property
    def stats(self) -> dict[str, dict[str, float]]:
        """Window statistics of every station."""
        return self.model.station_stats()

    @cached_property
    def cost(self) -> dict[str, float]:
        """Cost of the window by bucket (:func:`costs`)."""
        return costs(self.model, self.labour)

    @cached_property
    def labour(self) -> dict[str, dict[str, float]]:
        """Staff-hours, labour cost and mean headcount per staffed station (:func:`labour`)."""
        return labour(self.model)

    @cached_property
    def centres(self) -> list[str]:
        """The contact centres (:func:`contact_centres`)."""
        return contact_centres(self.model)

    def read(self, q: Quantity) -> Any:
        """The current value of a quantity."""
        if q.source == "count":
            return self.ledger.n[q.key]
        if q.source == "money":
            return self.ledger.money[q.key]
        if q.source == "calls":  # the counters a station's snapshot reports, summed
            return sum(getattr(self.model.stations[s], q.key) for s in self.centres)
        if q.source == "revenue_by_source":
            return self.ledger.revenue_by_source.get(q.key, 0.0)
        if q.source == "by_segment":
            return self.ledger.by_segment[q.key]
        if q.source == "kpi":
            return self.value(q.key)
        raise ValueError(f"unknown quantity source {q.source!r}")

    def observations(self, key: str) -> list[float]:
        """A ledger observation list (durations, scores)."""
        return self.ledger.obs[key]

    def value(self, key: str) -> Any:
        """The unrounded value of the top-level KPI ``key`` (computed once)."""
        if key not in self._values:
            self._values[key] = registry.get(key).evaluate(self)
        return self._values[key]

    def family(self, fam: Family) -> dict[str, dict[str, Any]]:
        """The mapping(s) of a family: one, or one per instance for a pattern key."""
        if fam.param is None or fam.instances is None:
            return {fam.key: self._members(fam, "")}
        return {fam.key_for(i): self._members(fam, i) for i in fam.instances(self)}

    def _members(self, fam: Family, instance: str) -> dict[str, Any]:
        if fam.values is not None:
            return dict(fam.values(self))
        return {p.key: fam.member(p.key, instance).evaluate(self) for p in fam.parts}


def compute_kpis(model: OmniModel) -> dict[str, Any]:
    """All KPIs of the window as a flat mapping (nested mappings for per-resource values)."""
    ctx = Context(model)
    out: dict[str, Any] = {}
    for entry in registry.KPIS:
        if isinstance(entry, Family):
            out.update(ctx.family(entry))
        elif entry.in_results:
            out[entry.key] = ctx.value(entry.key)
    return {key: _clean(v) for key, v in out.items()}


def _clean(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, float | np.floating):
        x = float(v)
        return round(x, 10) if math.isfinite(x) else None
    if isinstance(v, np.integer):
        return int(v)
    return v


def needs(k: Kpi) -> tuple[Quantity, ...]:
    """The quantities a snapshot must hold to evaluate ``k``: those of its formula, or the
    KPI's own value when its formula reads more than quantities."""
    return k.formula.quantities if is_interval(k.formula) else (kpi(k.key),)


@dataclass(frozen=True)
class Snapshot:
    """Quantities of a run at one moment, enough to evaluate some KPIs later.

    Attributes:
        days: Days of the statistics window at that moment (0 at its start).
        values: The quantities' values.
    """

    days: float
    values: Mapping[Quantity, Any]

    def read(self, q: Quantity) -> Any:
        """A recorded quantity."""
        return self.values[q]

    def value(self, k: Kpi) -> Any:
        """The KPI ``k`` at that moment (unrounded)."""
        formula = k.formula
        return formula(self) if is_interval(formula) else self.read(kpi(k.key))


def snapshot(model: OmniModel, kpis: Iterable[Kpi]) -> Snapshot:
    """The quantities ``kpis`` need (:func:`needs`), read from ``model`` now."""
    ctx = Context(model)
    wanted = dict.fromkeys(q for k in kpis for q in needs(k))
    return Snapshot((model.env.now - model.ledger.window_start) / 24.0,
                    {q: ctx.read(q) for q in wanted})
