"""KPI formulas that read more than counted quantities: station statistics, costs, other
KPIs or the market (the registry, :mod:`sim.kpis.registry`, declares the KPIs that use them).

Each takes the :class:`~sim.kpis.compute.Context` of a run.
"""

from __future__ import annotations

import math
from typing import Any

from sim.kpis.formulas import calls, safe_ratio


def call_service_level(ctx: Any) -> float:
    """Calls answered within the target / calls offered, pooled over the contact centres;
    0 when a contact centre had no calls (as a station reports it), NaN without one."""
    if not ctx.centres:
        return math.nan
    arrivals = ctx.read(calls("arrivals"))
    return ctx.read(calls("answered_in_target")) / arrivals if arrivals else 0.0


def net_revenue(ctx: Any) -> float:
    return ctx.ledger.money["revenue"] - ctx.ledger.money["refunds"]


def total_cost(ctx: Any) -> float:
    return sum(ctx.cost.values())  # the buckets in their order (float sums depend on it)


def dso(ctx: Any) -> float:
    return safe_ratio(ctx.ledger.mean_ar, ctx.ledger.money["invoiced_credit"] / ctx.days)


def churn(ctx: Any) -> float:
    return 1.0 - ctx.value("retention_rate")


def pooled_acquisition_cost(ctx: Any) -> float:
    return safe_ratio(ctx.cost["acquisition"] + ctx.cost["marketing"],
                      ctx.ledger.n["new_customers"])


def penetration(ctx: Any) -> float:
    return len(ctx.model.customers_ever) / ctx.scenario.market.addressable_customers


def utilisation_by_station(ctx: Any) -> dict[str, float]:
    return {name: s["utilisation"] for name, s in sorted(ctx.stats.items())}
