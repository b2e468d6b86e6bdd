"""Stock of the catalogue: the truth in the ERP/WMS, the stale views channels see, replenishment.

- ``stock[sku]`` is the truth; it goes negative when orders were accepted without stock
  (an oversell): those lines wait as backorders, first come first served.
- Channels see a *view* refreshed by the ``stock_sync`` link: a batch link shows the stock as
  of the last sync run, real-time shows the truth. Stale views let customers order what is
  gone (oversells) or see as gone what is back in stock.
- Every ``review_interval`` the planner orders up to ``forecast x (lead time + review +
  safety cover)``. The forecast is computed, not typed: exponential smoothing
  (``catalog.forecast_smoothing``) of the demand the planning system can see. It sees sales
  through the ``stock_sync`` feed (a batch link shows the sales up to its last run), and with
  several product masters (``data_masters.product``) only the lines recorded in its own master
  (one in ``product``), scaled up by the number of masters: fewer masters and a fresher feed
  give a better forecast (CALIBRATION I5, phase table). Its error is measured against the
  sales that follow (``forecast_abs_error`` / ``forecast_demand`` over ``FORECAST_DAYS``).
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

#: horizon over which the forecast is compared with the sales that follow (days)
FORECAST_DAYS = 7


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
        self.planned_daily = daily
        #: the planner's forecast of daily demand per SKU (starts at the plan)
        self.forecast = daily.astype(float).copy()
        #: units sold since t=0 (truth) and the part the planning system sees (scaled)
        self.sold_total = np.zeros(n, dtype=float)
        self.seen_live = np.zeros(n, dtype=float)
        self.seen = np.zeros(n, dtype=float)
        self.seen_at = 0.0
        self._masters = model.scenario.data_masters.product
        self._master = model.streams.get("inventory.product_master")
        self._forecasts: deque[tuple[float, np.ndarray, np.ndarray]] = deque()
        self.waiters: list[deque[simpy.Event]] = [deque() for _ in range(n)]
        self.view = self.stock.copy()
        self.sync = model.links["stock_sync"]
        self._pick = model.streams.get("inventory.sku")
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
        self.sold_total[sku] += 1
        k = self._masters
        if k == 1:
            self.seen_live[sku] += 1
        elif self._master.random() * k < 1.0:  # recorded in the planner's own master
            self.seen_live[sku] += k
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

    def seen_sales(self) -> tuple[np.ndarray, float]:
        """Sales the planning system sees now (cumulative, scaled for its master's share) and
        the time they are as of: the last ``stock_sync`` run (now if real-time)."""
        if self.sync.mode == "realtime":
            return self.seen_live, self.env.now
        return self.seen, self.seen_at

    def update_forecast(self, seen: np.ndarray, at: float, since: tuple[np.ndarray, float]
                        ) -> None:
        """Exponential smoothing of the daily demand seen between ``since`` and ``at``."""
        days = (at - since[1]) / 24.0
        if days <= 0:
            return
        alpha = 1.0 - (1.0 - self.model.scenario.catalog.forecast_smoothing) ** days
        rate = (seen - since[0]) / days
        self.forecast = alpha * rate + (1.0 - alpha) * self.forecast

    def _score_forecasts(self) -> None:
        """Compare each forecast made ``FORECAST_DAYS`` ago with the sales since (ledger counts
        ``forecast_abs_error`` and ``forecast_demand``, in units)."""
        now = self.env.now
        q = self._forecasts
        q.append((now, self.forecast.copy(), self.sold_total.copy()))
        horizon = FORECAST_DAYS * 24.0
        while q and now - q[0][0] >= horizon - 1e-9:
            t, fc, sold = q.popleft()
            actual = self.sold_total - sold
            err = np.abs(fc * (now - t) / 24.0 - actual).sum()
            self.ledger.count("forecast_abs_error", int(round(err)))
            self.ledger.count("forecast_demand", int(round(actual.sum())))

    def _planner(self) -> Generator[simpy.Event, Any, None]:
        cat = self.model.scenario.catalog
        dist = cat.replenishment_lead_time
        cover_days = cat.order_up_to_cover / 24.0
        last = (np.zeros_like(self.seen), 0.0)
        while True:
            seen, at = self.seen_sales()
            if at > last[1]:
                self.update_forecast(seen, at, last)
                last = (seen.copy(), at)
            self._score_forecasts()
            target = np.ceil(self.forecast * cover_days).astype(np.int64)
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
            self.seen = self.seen_live.copy()
            self.seen_at = env.now
