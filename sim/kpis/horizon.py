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

from typing import TYPE_CHECKING

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


def horizon_warnings(sc: Scenario) -> list[str]:
    """One sentence per KPI whose statistics window (horizon less warm-up) is shorter than
    its ``min_days``, in registry order."""
    from sim.kpis.registry import kpis  # the registry imports the rules above

    window = (sc.horizon - sc.warmup) / DAY
    out = []
    for k in kpis():
        if k.min_days is None:
            continue
        need = k.min_days(sc)
        if window < need:
            out.append(f"{k.label} ({k.key}) needs a statistics window of at least "
                       f"{need:.0f} days; this run has {window:g} (raise --days)")
    return out
