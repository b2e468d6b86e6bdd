"""Counting what happens (the :class:`Ledger`) and turning it into KPIs.

Two kinds of counts:

- *window* counts: events after the warm-up (orders, deliveries, costs, contacts),
- *cohort* counts: what happened to customers whose lead arrived after the warm-up
  (leads, carts, funnel stages, lead-to-cash times), wherever in the run it happened.

Conservation totals (orders placed/closed, money invoiced/paid/written off) cover the whole
run. Every KPI is defined in ``docs/kpis.md``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.journey.shop import CART_REASONS

if TYPE_CHECKING:
    from sim.model import OmniModel


class Ledger:
    """Counters, observations and money of one run."""

    def __init__(self) -> None:
        self.active = False
        self.window_start = 0.0
        self.n: Counter[str] = Counter()
        self.n_all: Counter[str] = Counter()
        self.money: Counter[str] = Counter()
        self.costs: Counter[str] = Counter()
        self.obs: defaultdict[str, list[float]] = defaultdict(list)
        self.revenue_by_source: Counter[str] = Counter()
        self.revenue_by_segment: Counter[str] = Counter()
        # whole-run totals for conservation checks
        self.invoiced_all = 0.0
        self.paid_all = 0.0
        self.written_off_all = 0.0
        self.ar = 0.0
        self.unbilled = 0.0  # delivered (revenue recognised) but not invoiced yet
        self.orders_open = 0
        self.orders_opened_all = 0
        self.orders_closed_all = 0
        self._ar_sum = 0.0
        self._ar_samples = 0

    def start_window(self, now: float, model: OmniModel) -> None:
        """The warm-up is over: start counting window statistics."""
        self.active = True
        self.window_start = now

    def count(self, key: str, k: int = 1, *, cohort: bool | None = None) -> None:
        """Count ``k`` of ``key``: in the window, or for an in-window cohort if given."""
        if self.active if cohort is None else cohort:
            self.n[key] += k

    def observe(self, key: str, value: float, *, cohort: bool | None = None) -> None:
        """Record one observation (a duration, a score)."""
        if self.active if cohort is None else cohort:
            self.obs[key].append(value)

    def cost(self, bucket: str, amount: float) -> None:
        """Add a cost in the window to a cost bucket."""
        if self.active and amount:
            self.costs[bucket] += amount

    def revenue(self, amount: float, source: str, segment: str) -> None:
        """Recognise revenue (at delivery)."""
        if self.active:
            self.money["revenue"] += amount
            self.revenue_by_source[source] += amount
            self.revenue_by_segment[segment] += amount

    def refund(self, amount: float) -> None:
        """A return reverses revenue."""
        if self.active:
            self.money["refunds"] += amount

    def invoice(self, amount: float, credit: bool) -> None:
        """An invoice (``credit``: payable later, a receivable) or a card capture is issued."""
        self.n_all["invoices"] += 1
        self.invoiced_all += amount
        self.ar += amount
        if self.active:
            self.money["invoiced"] += amount
            if credit:
                self.money["invoiced_credit"] += amount

    def pay(self, amount: float) -> None:
        """Cash received and applied."""
        self.n_all["payments"] += 1
        self.paid_all += amount
        self.ar -= amount
        if self.active:
            self.money["cash"] += amount

    def write_off(self, amount: float) -> None:
        """A receivable is written off as bad debt."""
        self.written_off_all += amount
        self.ar -= amount
        if self.active:
            self.money["written_off"] += amount
            self.costs["bad_debt"] += amount

    def open_order(self) -> None:
        """An order was placed."""
        self.orders_open += 1
        self.orders_opened_all += 1

    def count_all(self, key: str) -> None:
        """Count ``key`` over the whole run, warm-up included (business objects such as
        ``orders_received`` and ``purchase_orders``, recorded in the manifest's ``counts``)."""
        self.n_all[key] += 1

    def close_order(self, how: str) -> None:
        """An order was ``delivered`` or ``cancelled``."""
        self.orders_open -= 1
        self.orders_closed_all += 1
        self.n_all[how] += 1

    def sample_ar(self) -> None:
        """Sample the receivables balance, unbilled deliveries included (for DSO)."""
        if self.active:
            self._ar_sum += self.ar + self.unbilled
            self._ar_samples += 1

    @property
    def mean_ar(self) -> float:
        """Mean receivables balance (billed and unbilled) over the window samples."""
        return self._ar_sum / self._ar_samples if self._ar_samples else 0.0


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def _mean(xs: list[float]) -> float:
    return float(np.mean(xs)) if xs else float("nan")


def _p90(xs: list[float]) -> float:
    return float(np.percentile(xs, 90)) if xs else float("nan")


def costs(model: OmniModel) -> dict[str, float]:
    """Cost of the window by bucket (staff, systems, transactions, logistics, ...)."""
    L = model.ledger
    sc = model.scenario
    t0, t1 = L.window_start, model.env.now
    days = (t1 - t0) / 24.0
    out: dict[str, float] = {k: 0.0 for k in ("staff", "systems", "transactions", "logistics",
                                              "rework", "partners", "coop_funds", "marketing",
                                              "acquisition", "leakage", "bad_debt")}
    out["staff"] = sum(s.staff_cost(t0, t1) for s in model.stations.values())
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


def compute_kpis(model: OmniModel) -> dict[str, Any]:
    """All KPIs of the window as a flat mapping (nested mappings for per-resource values)."""
    L = model.ledger
    n = L.n
    sc = model.scenario
    t0, t1 = L.window_start, model.env.now
    days = max((t1 - t0) / 24.0, 1e-9)
    stats = model.station_stats()
    cost = costs(model)
    total_cost = sum(cost.values())
    revenue = L.money["revenue"] - L.money["refunds"]
    retention = _ratio(n["retained"], n["retention_decisions"])
    cc = stats.get("call_centre")
    aov = _ratio(L.money["revenue"], n["delivered"])
    margin = sc.catalog.gross_margin
    exp_purchases = 1.0 / (1.0 - retention) if retention == retention and retention < 1 else \
        float("nan")
    new_customers = n["new_customers"]
    k: dict[str, Any] = {
        "leads": n["leads"],
        "orders": n["orders"],
        "conversion_rate": _ratio(n["orders_first"], n["leads"]),
        "b2c_session_conversion": _ratio(n["checkouts"], n["visits"]),
        "throughput_orders_per_day": n["delivered"] / days,
        "cart_abandonment_rate": _ratio(n["carts_abandoned"], n["carts"]),
        "call_abandonment_rate": _ratio(cc["abandoned"], cc["arrivals"]) if cc else float("nan"),
        "call_service_level": cc["service_level"] if cc else float("nan"),
        "order_accuracy": _ratio(n["orders_accurate"], n["orders_closed"]),
        "perfect_order_rate": _ratio(n["orders_perfect"], n["orders_closed"]),
        "oversell_rate": _ratio(n["oversells"], n["orders"]),
        "backorder_rate": _ratio(n["backorders"], n["orders"]),
        "late_delivery_rate": _ratio(n["late_deliveries"], n["delivered"]),
        "return_rate": _ratio(n["returns"], n["delivered"]),
        "wrong_item_rate": _ratio(n["wrong_items"], n["delivered"]),
        "dispute_rate": _ratio(n["disputes"], n["orders_paid"]),
        "price_mismatch_rate": _ratio(n["price_mismatches"], n["orders"]),
        "price_mismatch_disputes": n["disputes_price_mismatch"],
        "keying_errors_per_order": _ratio(n["keying_errors"], n["orders"]),
        "wismo_contacts_per_order": _ratio(n["contacts.order_status"], n["delivered"]),
        "lead_to_cash_days_mean": _mean(L.obs["lead_to_cash_days"]),
        "lead_to_cash_days_p90": _p90(L.obs["lead_to_cash_days"]),
        "lead_to_cash_days_mean_b2b": _mean(L.obs["lead_to_cash_days_b2b"]),
        "quote_to_cash_days_mean": _mean(L.obs["quote_to_cash_days"]),
        "quote_turnaround_days_mean": _mean(L.obs["quote_turnaround_days"]),
        "order_to_delivery_days_mean": _mean(L.obs["order_to_delivery_days"]),
        "ship_to_invoice_days_mean": _mean(L.obs["ship_to_invoice_days"]),
        "lead_response_hours_mean": _mean(L.obs["lead_response_hours"]),
        "average_time_to_purchase_days": _mean(L.obs["time_to_purchase_days"]),
        "dso_days": _ratio(L.mean_ar, L.money["invoiced_credit"] / days),
        "revenue": revenue,
        "cash_collected": L.money["cash"],
        "total_cost": total_cost,
        "cost_per_order": _ratio(total_cost, n["orders"]),
        "opex_per_million_revenue": _ratio(total_cost * 1e6, revenue),
        "customer_satisfaction": 100.0 * _mean(L.obs["satisfaction"]),
        "retention_rate": retention,
        "churn_rate": 1.0 - retention,
        "customer_acquisition_cost": _ratio(cost["acquisition"] + cost["marketing"],
                                            new_customers),
        "customer_lifetime_value": aov * margin * exp_purchases,
        "market_penetration": len(model.customers_ever) / sc.market.addressable_customers,
        "referrals": n["referrals"],
        "promotion_response_rate": _ratio(n["promotion_responses"], n["promotions_sent"]),
        "loyalty_signups": n["loyalty_signups"],
        "revenue_by_source": {s: L.revenue_by_source.get(s, 0.0)
                              for s in ("ads", "organic", "trade_show", "referral")},
        "cost_breakdown": cost,
        # activity counts of the window along lead to cash (the funnel figure): carts are B2C
        # baskets, quotes B2B offers; each stage counts what happened in the window
        "funnel": {"leads": n["leads"], "carts_and_quotes": n["carts"] + n["quotes"],
                   "orders": n["orders"], "delivered": n["delivered"],
                   "paid": n["orders_paid"]},
        "cart_abandonment_reasons": {
            reason: _ratio(n[f"cart_reason.{reason}"], n["carts"]) for reason in CART_REASONS},
        "utilisation": {name: s["utilisation"] for name, s in sorted(stats.items())},
    }
    for seg_name, seg in sc.segments.items():
        if seg.kind in ("b2c", "service"):  # the B2B sales funnel only
            continue
        base = f"funnel.{seg_name}"
        leads = n[f"leads.{seg_name}"]
        k[f"funnel_{seg_name}"] = {
            "lead_to_mql": _ratio(n[f"{base}.mql"], leads),
            "mql_to_sql": _ratio(n[f"{base}.sql"], n[f"{base}.mql"]),
            "sql_to_opportunity": _ratio(n[f"{base}.opportunity"], n[f"{base}.sql"]),
            "opportunity_to_won": _ratio(n[f"{base}.won"], n[f"{base}.opportunity"]),
        }
    return {key: _clean(v) for key, v in k.items()}


def _clean(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, float | np.floating):
        x = float(v)
        return round(x, 10) if math.isfinite(x) else None
    if isinstance(v, np.integer):
        return int(v)
    return v
