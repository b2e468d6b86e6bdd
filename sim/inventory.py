"""Stock of the catalogue: the truth in the ERP/WMS, the stale views channels see, replenishment.

- ``stock[sku]`` is the truth; it goes negative when orders were accepted without stock
  (an oversell): those lines wait as backorders, first come first served.
- Channels see a *view* refreshed by the ``stock_sync`` link: a batch link shows the stock as
  of the last sync run, real-time shows the truth. Stale views let customers order what is
  gone (oversells) or see as gone what is back in stock.
- Every ``review_interval`` the planner orders up to ``forecast x (lead time + review +
  safety cover)``. The forecast is the demand observed over the last four weeks times a
  lognormal error of relative size ``forecast_error`` (CALIBRATION I5 sets it per phase).
- Stock is valued at the standard cost ``catalog.unit_cost`` per unit: the opening stock,
  supplier receipts (purchases, paid after ``catalog.supplier_terms``), units issued to orders
  and units returned go to the ledger at that cost. The unit counts here are kept apart from
  the ledger's money so that the run's checks can reconcile the two (:mod:`sim.checks`):
  opening + received + returned = on hand - backordered lines waiting + issued.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from sim.opening import opening_stock

if TYPE_CHECKING:
    from sim.model import OmniModel

HISTORY_DAYS = 28


class Inventory:
    """Catalogue stock with channel views, backorders and periodic replenishment."""

    def __init__(self, model: OmniModel):
        cat = model.scenario.catalog
        self.model = model
        self.env: simpy.Environment = model.env
        n = cat.skus
        ranks = np.arange(1, n + 1, dtype=float)
        weights = ranks ** (-cat.popularity_skew)
        self.popularity = weights / weights.sum()
        self.cum = np.cumsum(self.popularity).tolist()
        self.cum[-1] = 1.0
        daily = cat.planned_units_per_day * self.popularity
        self.on_order = np.zeros(n, dtype=np.int64)
        pipeline: list[tuple[int, int, float]] = []
        if model.scenario.opening.state == "steady":
            self.stock, pipeline = opening_stock(cat, daily, model.streams)
        else:
            self.stock = np.maximum(np.round(daily * cat.stock_cover / 24.0), 1).astype(np.int64)
        self.sold_days: deque[np.ndarray] = deque(maxlen=HISTORY_DAYS)
        self.today = np.zeros(n, dtype=np.int64)
        self.planned_daily = daily
        self.waiters: list[deque[simpy.Event]] = [deque() for _ in range(n)]
        self.view = self.stock.copy()
        self.sync = model.links["stock_sync"]
        self._pick = model.streams.get("inventory.sku")
        self._fc = model.streams.get("inventory.forecast")
        self._lead = model.streams.get("inventory.lead_time")
        self.replenishments = 0
        #: units received from suppliers (purchases)
        self.units_received = 0
        #: units customers returned to stock
        self.units_returned = 0
        #: units issued to orders, net of those given back when an order is cancelled
        self.units_issued = 0
        self.backordered_lines = 0
        self.cancelled_backorders = 0
        self.opening_units = int(self.stock.sum())
        self.unit_cost = cat.unit_cost
        self.ledger = model.ledger
        self.supplier_terms = cat.supplier_terms
        #: supplier invoices not yet paid (sum at cost), kept apart from the ledger's payables
        self.unpaid_purchases = 0.0
        self.ledger.open_inventory(self.opening_units * self.unit_cost)
        env = self.env
        for sku, qty, left in pipeline:  # replenishments on their way at t=0
            self.on_order[sku] += qty
            env.process(self._deliver(sku, qty, left))
        env.process(self._day_closer())  # close the day before a same-instant review
        env.process(self._planner())
        if self.sync.mode != "realtime":
            env.process(self._view_sync())

    # -- what customers and orders do -------------------------------------------------------
    def pick_sku(self) -> int:
        """A SKU drawn by popularity (Zipf with the catalogue's skew)."""
        return self._pick.choice(self.cum)

    def visible(self, sku: int) -> bool:
        """Whether a channel shows the SKU as in stock."""
        if self.sync.mode == "realtime":
            return self.stock[sku] > 0
        return self.view[sku] > 0

    def available(self, sku: int) -> bool:
        """Whether the truth has the SKU in stock (a real-time availability check)."""
        return self.stock[sku] > 0

    def reserve(self, sku: int) -> simpy.Event | None:
        """Take one unit. Returns None if it was on hand, else an event that fires when
        replenishment covers this backordered line."""
        self.today[sku] += 1
        self.stock[sku] -= 1
        self.units_issued += 1
        self.ledger.stock_issue(self.unit_cost)
        if self.stock[sku] >= 0:
            return None
        self.backordered_lines += 1
        ev = self.env.event()
        self.waiters[sku].append(ev)
        return ev

    def cancel_backorder(self, sku: int, ev: simpy.Event) -> None:
        """A customer gave up waiting: the line is released."""
        try:
            self.waiters[sku].remove(ev)
        except ValueError:
            return
        self.stock[sku] += 1
        self.cancelled_backorders += 1
        self.units_issued -= 1
        self.ledger.stock_issue(-self.unit_cost)

    def release(self, sku: int) -> None:
        """A customer's returned unit goes back on the shelf."""
        self.units_returned += 1
        self.ledger.stock_return(self.unit_cost)
        self._receive(sku, 1)

    def unreserve(self, sku: int) -> None:
        """A unit taken for an order that was cancelled goes back on the shelf (the issue
        is reversed)."""
        self.units_issued -= 1
        self.ledger.stock_issue(-self.unit_cost)
        self._receive(sku, 1)

    @property
    def on_hand(self) -> int:
        """Units on the shelves now (SKUs with backorders count 0)."""
        return int(np.maximum(self.stock, 0).sum())

    @property
    def waiting_lines(self) -> int:
        """Backordered lines waiting for stock, counted in the waiting lists."""
        return sum(len(q) for q in self.waiters)

    @property
    def value(self) -> float:
        """Stock on hand at cost."""
        return self.on_hand * self.unit_cost

    # -- processes --------------------------------------------------------------------------
    def _receive(self, sku: int, qty: int) -> None:
        self.stock[sku] += qty
        q = self.waiters[sku]
        while q and qty > 0:
            q.popleft().succeed()
            qty -= 1

    def _deliver(self, sku: int, qty: int, lead: float) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(lead)
        self.on_order[sku] -= qty
        self.units_received += qty
        self._receive(sku, qty)
        cost = qty * self.unit_cost
        later = self.supplier_terms > 0
        self.ledger.purchase(cost, payable=later)
        if later and cost:
            self.unpaid_purchases += cost
            self.env.process(self._pay_supplier(cost))

    def _pay_supplier(self, amount: float) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(self.supplier_terms)
        self.unpaid_purchases -= amount
        self.ledger.pay_supplier(amount)

    def _day_closer(self) -> Generator[simpy.Event, Any, None]:
        while True:
            yield self.env.timeout(24.0)
            self.sold_days.append(self.today)
            self.today = np.zeros_like(self.today)

    def _planner(self) -> Generator[simpy.Event, Any, None]:
        cat = self.model.scenario.catalog
        dist = cat.replenishment_lead_time
        cover_days = cat.order_up_to_cover / 24.0
        sigma = cat.forecast_error
        while True:
            if self.sold_days:
                observed = np.mean(self.sold_days, axis=0)
                days = len(self.sold_days)
                w = days / HISTORY_DAYS
                base = w * observed + (1 - w) * self.planned_daily
            else:
                base = self.planned_daily
            err = np.exp(sigma * self._fc.normal() - sigma * sigma / 2) if sigma > 0 else 1.0
            target = np.ceil(base * err * cover_days).astype(np.int64)
            position = self.stock + self.on_order
            need = np.maximum(target - position, 0)
            lead = dist.sample(self._lead)
            for sku in np.flatnonzero(need).tolist():
                qty = int(need[sku])
                self.on_order[sku] += qty
                self.replenishments += 1
                self.env.process(self._deliver(sku, qty, lead))
            yield self.env.timeout(cat.review_interval)

    def _view_sync(self) -> Generator[simpy.Event, Any, None]:
        env = self.env
        while True:
            yield env.timeout(max(self.sync.next_sync(env.now + 1e-9) - env.now, 1e-9))
            self.view = self.stock.copy()
