"""Formulas of the books: the P&L (gross profit, EBIT), operating cash flow, working capital
and the unit economics of a segment (lifetime value and acquisition cost).

The registry (:mod:`sim.kpis.registry`) declares the KPIs; these are the functions its
entries compute them with. Decisions recorded here:

- operating cash flow is cash collected - refunds paid back - cash operating costs -
  supplier payments, where the cash operating costs are ``total_cost`` less the non-cash
  buckets (:data:`NON_CASH_COSTS`: bad debt, a receivable that never became cash). Price
  concessions booked as costs (``leakage`` on below-margin quotes, loyalty discounts) stay
  in: the model recognises and collects the list value, so subtracting them leaves what the
  customer really paid.
- Working capital uses mean balances over the window (sampled as DSO's receivables are),
  not the balance on the last day, so that a comparison is not decided by one moment.
- A segment's lifetime value is its gross profit per delivered order (revenue less refunds
  and cost of goods, per order) x the expected purchases 1 / (1 - retention), all from the
  segment's own counts; pooling consumers and enterprise accounts under one average order
  value made the pooled figure fall when the mix moved to consumers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from sim.kpis.formulas import safe_ratio

#: costs that are no payment: a written-off receivable was never cash
NON_CASH_COSTS = ("bad_debt",)


def gross_profit(ctx: Any) -> float:
    """Net revenue less its cost of goods."""
    return float(ctx.value("revenue") - ctx.value("cogs"))


def ebit(ctx: Any) -> float:
    """Gross profit less the cost to serve (every cost bucket)."""
    return float(ctx.value("gross_profit") - ctx.value("total_cost"))


def operating_cash_flow(ctx: Any) -> float:
    """Cash in less cash out in the window (see the module docstring)."""
    m = ctx.ledger.money
    cash_costs = ctx.value("total_cost") - sum(ctx.cost[b] for b in NON_CASH_COSTS)
    return float(m["cash"] - m["refunds"] - cash_costs - m["supplier_payments"])


def balance(key: str) -> Callable[[Any], float]:
    """The formula of one sampled balance's window mean (``receivables``, ``unbilled``,
    ``inventory``, ``payables``)."""
    def mean(ctx: Any) -> float:
        return float(ctx.ledger.mean_balance(key))
    return mean


def working_capital(ctx: Any) -> float:
    """Receivables + unbilled deliveries + stock at cost - payables (window means)."""
    L = ctx.ledger
    return float(L.mean_balance("receivables") + L.mean_balance("unbilled")
                 + L.mean_balance("inventory") - L.mean_balance("payables"))


# --------------------------------------------------------------------------- unit economics
def gross_profit_per_order(ctx: Any, segment: str) -> float:
    """The segment's revenue less refunds and cost of goods, per delivered order."""
    by = ctx.ledger.by_segment
    profit = by[f"revenue.{segment}"] - by[f"refunds.{segment}"] - by[f"cogs.{segment}"]
    return safe_ratio(profit, ctx.ledger.n[f"delivered.{segment}"])


def retention(ctx: Any, segment: str) -> float:
    """The segment's customers who buy again / those at a repeat decision."""
    n = ctx.ledger.n
    return safe_ratio(n[f"retained.{segment}"], n[f"retention_decisions.{segment}"])


def expected_purchases(ctx: Any, segment: str) -> float:
    """Purchases over a customer's life, 1 / (1 - retention); NaN without a decision or
    at full retention."""
    r = retention(ctx, segment)
    return 1.0 / (1.0 - r) if r == r and r < 1 else math.nan


def lifetime_value(ctx: Any, segment: str) -> float:
    """Gross profit per order x expected purchases."""
    return gross_profit_per_order(ctx, segment) * expected_purchases(ctx, segment)


def acquisition_cost(ctx: Any, segment: str) -> float:
    """The segment's acquisition and marketing cost / its new customers."""
    by = ctx.ledger.by_segment
    return safe_ratio(by[f"acquisition.{segment}"] + by[f"marketing.{segment}"],
                      ctx.ledger.n[f"new_customers.{segment}"])


def lifetime_value_to_cac(ctx: Any, segment: str) -> float:
    """Lifetime value / acquisition cost."""
    return safe_ratio(lifetime_value(ctx, segment), acquisition_cost(ctx, segment))
