"""Checks every run makes on itself: conservation laws and Little's law.

- customers: every customer created ends in exactly one terminal state,
- orders: placed = delivered + cancelled + open at the horizon (open counted by scanning the
  customers still in flight, independently of the ledger's counters),
- money: invoiced = paid + outstanding + written off, with outstanding also summed over the
  customers' own receivables,
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
    """Conservation of customers, orders and money over the whole run."""
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
    }


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
