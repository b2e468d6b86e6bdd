"""Checks every run makes on itself: conservation laws and Little's law.

- customers: every customer created ends in exactly one terminal state,
- orders: placed = delivered + cancelled + open at the horizon (open counted by scanning the
  customers still in flight, independently of the ledger's counters),
- money: invoiced = paid + outstanding + written off, with outstanding also summed over the
  customers' own receivables,
- cost of goods: the COGS booked equals (1 - gross margin) x net revenue (revenue less
  refunds), recomputed from the revenue and refund totals, over the whole run and, in the
  window, from the amounts by segment,
- stock: opening units + units received + units returned = units on hand - backordered lines
  waiting + units issued to orders (net of cancellations), where the waiting lines are counted
  in the inventory's waiting lists and must equal the negative stock positions,
- inventory value: the ledger's flows at cost (opening value + purchases - issues + returns)
  equal (units on hand - backordered lines) x unit cost; stock on hand at cost is reported,
- payables: purchases = supplier payments + payables, with the payables also summed by the
  inventory's own record of unpaid supplier receipts,
- Little's law ``L = lambda W`` for every station over the statistics window, in its
  finite-horizon (sample-path) form: ``L`` is the time-average number in the system from the
  area under the queue-length path; ``lambda`` counts the customers present in the window
  (arrivals plus those already there at its start) per hour and ``W`` their mean time spent
  in the system within the window. The two sides are measured independently (one by
  integrating the path at every change, the other per customer), so a disagreement beyond
  rounding means the monitoring has lost or double-counted someone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.model import OmniModel

#: relative tolerance of Little's law (floating-point rounding only, see the module docstring).
LITTLE_RTOL = 1e-6


def scan_in_flight(model: OmniModel) -> dict[str, float]:
    """Open orders and receivables held by the customers still in the model."""
    open_orders = 0
    receivable = 0.0
    for agent in model.agents:
        open_orders += getattr(agent, "open_orders", 0)
        receivable += getattr(agent, "receivable", 0.0)
    return {"open_orders": open_orders, "receivables": receivable}


def conservation(model: OmniModel, scanned: dict[str, float]) -> dict[str, Any]:
    """Conservation of customers, orders and money over the whole run, and the books
    (:func:`books`)."""
    L = model.ledger
    created = model.created
    ended = sum(model.terminal.values())
    placed = L.orders_opened_all
    delivered = L.n_all["delivered"]
    cancelled = L.n_all["cancelled"]
    money_rhs = L.paid_all + L.ar + L.written_off_all
    tol = 1e-6 * max(1.0, L.invoiced_all)
    return {
        "customers": {"created": created, "terminal": ended, "ok": created == ended},
        "orders": {
            "placed": placed, "delivered": delivered, "cancelled": cancelled,
            "open": scanned["open_orders"],
            "ok": placed == delivered + cancelled + scanned["open_orders"],
        },
        "money": {
            "invoiced": round(L.invoiced_all, 2), "paid": round(L.paid_all, 2),
            "outstanding": round(L.ar, 2), "written_off": round(L.written_off_all, 2),
            "ok": abs(L.invoiced_all - money_rhs) <= tol
            and abs(L.ar - scanned["receivables"]) <= tol,
        },
        **books(model),
    }


def books(model: OmniModel) -> dict[str, Any]:
    """The P&L's cost of goods, the stock in units and at cost, and supplier payables."""
    L = model.ledger
    inv = model.inventory
    keep = 1.0 - model.scenario.catalog.gross_margin
    net_all = L.revenue_all - L.refunds_all
    by = L.by_segment
    segments = model.scenario.segments
    net_window = sum(by[f"revenue.{s}"] - by[f"refunds.{s}"] for s in segments)
    cogs_by_segment = sum(by[f"cogs.{s}"] for s in segments)
    tol = 1e-6 * max(1.0, L.revenue_all)
    cogs_ok = (abs(L.cogs_all - keep * net_all) <= tol
               and abs(L.money["cogs"] - keep * net_window) <= tol
               and abs(L.money["cogs"] - cogs_by_segment) <= tol)
    on_hand, waiting = inv.on_hand, inv.waiting_lines
    negative = int(-inv.stock[inv.stock < 0].sum())
    inflow = inv.opening_units + inv.units_received + inv.units_returned
    uc = inv.unit_cost
    vtol = 1e-6 * max(1.0, L.inventory_opening + L.purchases_all)
    ledger_value = L.inventory_value
    return {
        "cogs": {"cogs": round(L.cogs_all, 2), "net_revenue": round(net_all, 2),
                 "gross_margin": model.scenario.catalog.gross_margin, "ok": cogs_ok},
        "stock": {
            "opening": inv.opening_units, "received": inv.units_received,
            "returned": inv.units_returned, "on_hand": on_hand, "backordered": waiting,
            "issued": inv.units_issued,
            "ok": inflow == on_hand - waiting + inv.units_issued and waiting == negative,
        },
        "inventory_value": {
            "opening": round(L.inventory_opening, 2), "purchases": round(L.purchases_all, 2),
            "issues": round(L.issues_all, 2), "returns": round(L.returns_all, 2),
            "on_hand": round(inv.value, 2), "backordered": round(waiting * uc, 2),
            "ok": abs(ledger_value - (on_hand - waiting) * uc) <= vtol,
        },
        "payables": {
            "purchases": round(L.purchases_all, 2), "paid": round(L.supplier_paid_all, 2),
            "outstanding": round(L.payables, 2),
            "ok": abs(L.purchases_all - L.supplier_paid_all - L.payables) <= vtol
            and abs(L.payables - inv.unpaid_purchases) <= vtol,
        },
    }


def failed(checks: dict[str, Any]) -> list[str]:
    """The names of the failed checks in a run's ``checks`` record (``conservation.money``,
    ``little``), empty when every check holds."""
    out = [f"conservation.{name}" for name, c in checks.get("conservation", {}).items()
           if not c.get("ok", False)]
    if not checks.get("little", {}).get("ok", False):
        out.append("little")
    return out


def little(model: OmniModel) -> dict[str, Any]:
    """Little's law per station: mean number in system vs throughput x mean sojourn."""
    out: dict[str, Any] = {}
    ok = True
    for name, s in model.station_stats().items():
        lam_w = s["little_lambda"] * s["little_W"]
        L_ = s["mean_in_system"]
        rel = abs(L_ - lam_w) / max(L_, lam_w, 1e-12)
        good = rel <= LITTLE_RTOL or abs(L_ - lam_w) < 1e-9
        ok &= good
        out[name] = {"L": round(L_, 6), "lambda_W": round(lam_w, 6), "rel_error": round(rel, 6),
                     "ok": good}
    return {"ok": ok, "rtol": LITTLE_RTOL, "stations": out}
