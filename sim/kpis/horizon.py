"""How long a statistics window a KPI needs to mean anything: the ``min_days`` rules of
:mod:`sim.kpis.registry` and the warnings made from them.

A KPI whose value depends on events that take weeks (a payment on 45-day terms, a B2B lead
that takes months to turn into cash) is biased in a shorter window: receivables are
measured before late payers' invoices have aged, and a cohort's mean lead-to-cash counts
only its fastest members (those paid before the horizon). The rules below give the typical
duration from the scenario's own parameters (queueing ignored, as in
:mod:`sim.opening`); :func:`horizon_warnings` lists the KPIs whose window is shorter.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.opening import (
    fulfilment_mean,
    invoicing_mean,
    link_mean_wait,
    open_invoice_mean,
    quote_mean,
)
from sim.scenario import BusinessSegment

if TYPE_CHECKING:
    from sim.scenario import Scenario

DAY = 24.0


def dso_min_days(sc: Scenario) -> float:
    """The longest payment terms plus the mean late delay of their segment (0 without
    credit sales)."""
    days = [(seg.payment.terms + (seg.payment.late_delay.mean
                                  if seg.payment.late_delay is not None else 0.0)) / DAY
            for seg in sc.segments.values()
            if isinstance(seg, BusinessSegment) and seg.payment.terms > 0]
    return max(days, default=0.0)


def _quote_to_cash_hours(sc: Scenario, seg: BusinessSegment) -> float:
    f = seg.funnel
    return (quote_mean(sc, seg) + f.approval_share * f.approval_delay.mean
            + fulfilment_mean(sc, seg) + invoicing_mean(sc, seg) + open_invoice_mean(sc, seg))


def quote_to_cash_min_days(sc: Scenario) -> float:
    """The longest typical quote-to-cash time of a B2B segment: quote, approval,
    fulfilment, invoicing lag and the mean time an invoice stays open."""
    return max((_quote_to_cash_hours(sc, seg) / DAY for seg in sc.segments.values()
                if isinstance(seg, BusinessSegment)), default=0.0)


def lead_to_cash_min_days(sc: Scenario) -> float:
    """The longest typical B2B lead-to-cash time: lead routing, then quote to cash."""
    return max(((link_mean_wait(sc.links["lead_routing"]) + _quote_to_cash_hours(sc, seg))
                / DAY for seg in sc.segments.values() if isinstance(seg, BusinessSegment)),
               default=0.0)


#: why each rule's KPI needs its window, as the warning says it
REASONS: dict[Callable[[Any], float], str] = {
    dso_min_days: "the longest payment terms plus the mean late delay",
    quote_to_cash_min_days: "the typical B2B quote-to-cash time",
    lead_to_cash_min_days: "the typical B2B lead-to-cash time",
}


@dataclass(frozen=True)
class ShortWindow:
    """A KPI whose statistics window is shorter than it needs (days)."""

    key: str
    label: str
    reason: str
    need: float      # the KPI's min_days
    horizon: float   # the run's days
    warmup: float    # its warm-up days

    @property
    def window(self) -> float:
        """Days of the statistics window (horizon less warm-up)."""
        return self.horizon - self.warmup

    @property
    def run_at_least(self) -> int:
        """The days to run instead: warm-up plus the need, rounded up to 10 days."""
        return int(math.ceil((self.warmup + self.need) / 10.0 - 1e-9) * 10)

    def sentence(self) -> str:
        """The warning, e.g. ``"DSO: 30 days less the 14-day warm-up is shorter than the
        longest payment terms plus the mean late delay (52 d); run at least 70 days"``."""
        after = f" less the {self.warmup:g}-day warm-up" if self.warmup > 0 else ""
        return (f"{self.label}: {self.horizon:g} days{after} is shorter than {self.reason} "
                f"({self.need:.0f} d); run at least {self.run_at_least} days")


def short_windows(sc: Scenario) -> list[ShortWindow]:
    """The KPIs whose statistics window (horizon less warm-up) is shorter than their
    ``min_days``, in registry order."""
    from sim.kpis.registry import kpis  # the registry imports the rules above

    horizon, warmup = sc.horizon / DAY, sc.warmup / DAY
    out = []
    for k in kpis():
        if k.min_days is None:
            continue
        need = k.min_days(sc)
        if horizon - warmup < need:
            reason = REASONS.get(k.min_days, "the time it needs to mean anything")
            out.append(ShortWindow(k.key, k.label, reason, need, horizon, warmup))
    return out


def horizon_warnings(sc: Scenario) -> list[str]:
    """One sentence per KPI whose statistics window is too short (:func:`short_windows`)."""
    return [w.sentence() for w in short_windows(sc)]


def worst(found: Iterable[ShortWindow]) -> list[ShortWindow]:
    """One per KPI, the one short of the most days (several scenarios of a comparison),
    in the order first seen."""
    by: dict[str, ShortWindow] = {}
    for w in found:
        if w.key not in by or w.need - w.window > by[w.key].need - by[w.key].window:
            by[w.key] = w
    return list(by.values())
