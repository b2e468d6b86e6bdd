"""Tests for sim.inventory.Inventory in SimPy's test style: processes append ``(time, what)``
to a log and the test asserts the exact log. Simulated time is in hours.

The inventory is built against a tiny model stand-in (``env``, ``streams``, ``stations``,
``links``, ``scenario``) so that nothing but the inventory's own processes run. The scenario
is the shipped baseline with a small, exact catalogue:

- 2 SKUs with equal popularity (skew 0) and a plan of 2 units a day: 1 per SKU per day;
- 2 days of stock cover: 2 units of each SKU on hand at the start;
- lead time exactly 1 day, review every day, no safety cover, one product master and a
  smoothing weight of 0.5 per day: the first review (at t=0) sees no sales yet and targets
  ceil(1 x (24 + 24 + 0) / 24) = 2 = the stock, so orders nothing.
"""

from collections.abc import Generator
from functools import cache
from typing import Any

import numpy as np
import pytest
import simpy

from sim.inventory import FORECAST_DAYS, Inventory
from sim.kpis import Ledger
from sim.links import Link
from sim.scenario import Scenario, load
from sim.streams import Streams

Log = list[tuple[Any, ...]]

SMALL = (
    "opening={state: empty}",  # these tests follow the planner from a known start (stock_cover)
    "catalog.skus=2",
    "catalog.popularity_skew=0",
    "catalog.planned_units_per_day=2",
    "catalog.stock_cover=2 d",
    "catalog.safety_cover=0 d",
    "catalog.review_interval=1 d",
    "catalog.replenishment_lead_time={dist: constant, value: 1 d}",
    "catalog.forecast_smoothing=0.5",
    "data_masters.product=1",
)
BATCH_4H = "links.stock_sync={mode: batch, interval: 4 h}"
REALTIME = "links.stock_sync={mode: realtime}"


@cache
def scenario(overrides: tuple[str, ...]) -> Scenario:
    return load("baseline", overrides).scenario


class StubModel:
    """What ``Link`` and ``Inventory`` read from ``OmniModel``."""

    def __init__(self, sc: Scenario, seed: int = 1) -> None:
        self.scenario = sc
        self.env = simpy.Environment()
        self.streams = Streams(seed)
        self.stations: dict[str, Any] = {}
        self.links = {"stock_sync": Link(self, "stock_sync", sc.links["stock_sync"])}
        self.ledger = Ledger()


def build(*overrides: str, seed: int = 1) -> tuple[simpy.Environment, Inventory]:
    model = StubModel(scenario((*SMALL, *overrides)), seed)
    return model.env, Inventory(model)  # type: ignore[arg-type]


@pytest.fixture
def log() -> Log:
    return []


def at(env: simpy.Environment, t: float) -> simpy.Event:
    """A timeout that ends at absolute time ``t``."""
    return env.timeout(t - env.now)


# --------------------------------------------------------------------------- start state
def test_initial_stock_view_and_popularity() -> None:
    env, inv = build(BATCH_4H)
    assert inv.popularity.tolist() == [0.5, 0.5]
    assert inv.planned_daily.tolist() == [1.0, 1.0]
    assert inv.stock.tolist() == [2, 2]
    assert inv.view.tolist() == [2, 2]
    assert inv.on_order.tolist() == [0, 0]
    env.run(until=1.0)
    assert inv.on_order.tolist() == [0, 0]       # first review: target 2 == stock
    assert inv.replenishments == 0


def test_pick_sku_follows_the_named_stream() -> None:
    _, inv = build(BATCH_4H, seed=5)
    twin = Streams(5).get("inventory.sku")
    picks = [inv.pick_sku() for _ in range(200)]
    assert picks == [0 if twin.random() < 0.5 else 1 for _ in range(200)]
    assert set(picks) == {0, 1}


# --------------------------------------------------------------------------- views
def shopper(env: simpy.Environment, inv: Inventory, log: Log
            ) -> Generator[simpy.Event, Any, None]:
    """Sell SKU 0 down to nothing, then a return puts one unit back; log what is seen."""

    def look(what: str) -> None:
        log.append((env.now, what, inv.visible(0), inv.available(0), bool(inv.visible(1))))

    yield at(env, 1.0)
    assert inv.reserve(0) is None
    look("sold 1")
    yield at(env, 2.0)
    assert inv.reserve(0) is None
    look("sold 2")
    yield at(env, 3.0)
    look("before sync")
    yield at(env, 5.0)
    look("after sync")
    yield at(env, 6.0)
    inv.release(0)
    look("returned")
    yield at(env, 8.5)
    look("after sync")


def test_batch_view_is_stale_until_the_next_sync(log: Log) -> None:
    env, inv = build(BATCH_4H)
    env.process(shopper(env, inv, log))
    env.run(until=10.0)
    #             time  what           visible  available  other SKU visible
    assert log == [(1.0, "sold 1", True, True, True),
                   (2.0, "sold 2", True, False, True),      # oversell possible
                   (3.0, "before sync", True, False, True),
                   (5.0, "after sync", False, False, True),  # the 04:00 run showed 0
                   (6.0, "returned", False, True, True),     # back, but shown as gone
                   (8.5, "after sync", True, True, True)]
    assert inv.stock.tolist() == [1, 2]
    assert inv.view.tolist() == [1, 2]


def test_batch_view_refreshes_at_each_sync_time() -> None:
    env, inv = build("links.stock_sync={mode: batch, interval: 15 min, offset: 5 min}")
    seen: list[tuple[float, int]] = []

    def sell() -> Generator[simpy.Event, Any, None]:
        for t in (0.1, 0.2, 0.3, 0.4):
            yield at(env, t)
            inv.reserve(1)
            seen.append((t, int(inv.view[1])))

    env.process(sell())
    env.run(until=0.5)
    # syncs at 5, 20 and 35 min (0.0833, 0.3333, 0.5833 h); the 20-min run copies the
    # truth after the sale at 0.3 (-1: one line backordered)
    assert seen == [(0.1, 2), (0.2, 2), (0.3, 2), (0.4, -1)]


def test_realtime_view_is_the_truth(log: Log) -> None:
    env, inv = build(REALTIME)
    env.process(shopper(env, inv, log))
    env.run(until=10.0)
    assert log == [(1.0, "sold 1", True, True, True),
                   (2.0, "sold 2", False, False, True),
                   (3.0, "before sync", False, False, True),
                   (5.0, "after sync", False, False, True),
                   (6.0, "returned", True, True, True),
                   (8.5, "after sync", True, True, True)]
    assert all(vis == avail for _, _, vis, avail, _ in log)


# --------------------------------------------------------------------------- backorders
def test_backorders_fifo_with_a_cancellation(log: Log) -> None:
    env, inv = build(REALTIME)

    def buyer(name: str, t: float, patience: float) -> Generator[simpy.Event, Any, None]:
        yield at(env, t)
        ev = inv.reserve(0)
        if ev is None:
            log.append((env.now, name, "on hand"))
            return
        got = yield ev | env.timeout(patience)
        if ev in got:
            log.append((env.now, name, "filled"))
        else:
            inv.cancel_backorder(0, ev)
            log.append((env.now, name, "gave up"))

    def returns() -> Generator[simpy.Event, Any, None]:
        for t in (4.0, 5.0, 6.0):
            yield at(env, t)
            inv.release(0)
            log.append((env.now, "return", int(inv.stock[0])))

    for name, t, patience in (("A", 1.0, 10.0), ("B", 1.0, 10.0), ("C", 2.0, 10.0),
                              ("D", 2.0, 1.0), ("E", 2.0, 10.0)):
        env.process(buyer(name, t, patience))
    env.process(returns())
    env.run(until=20.0)
    assert log == [
        (1.0, "A", "on hand"),
        (1.0, "B", "on hand"),
        (3.0, "D", "gave up"),       # D's line is released: stock -3 -> -2
        (4.0, "return", -1),
        (4.0, "C", "filled"),        # first in line
        (5.0, "return", 0),
        (5.0, "E", "filled"),        # D was skipped
        (6.0, "return", 1),
    ]
    assert inv.backordered_lines == 3
    assert inv.cancelled_backorders == 1
    assert inv.units_returned == 3 and inv.units_received == 0  # returns are no purchases
    assert inv.stock.tolist() == [1, 2]
    assert [len(q) for q in inv.waiters] == [0, 0]


def test_cancel_after_fill_is_a_no_op() -> None:
    env, inv = build(REALTIME)
    inv.stock[0] = 0
    ev = inv.reserve(0)
    assert ev is not None and inv.stock[0] == -1
    inv.release(0)
    assert ev.triggered and inv.stock[0] == 0
    inv.cancel_backorder(0, ev)
    assert inv.stock[0] == 0
    assert inv.cancelled_backorders == 0


def test_replenishment_fills_backorders_in_order(log: Log) -> None:
    env, inv = build(REALTIME)

    def buyer(name: str, t: float) -> Generator[simpy.Event, Any, None]:
        yield at(env, t)
        ev = inv.reserve(0)
        if ev is not None:
            yield ev
        log.append((env.now, name))

    for name, t in (("x", 1.0), ("y", 1.0), ("A", 2.0), ("B", 3.0)):
        env.process(buyer(name, t))
    env.run(until=24.5)
    assert log == [(1.0, "x"), (1.0, "y")]
    ordered = int(inv.on_order[0])
    assert ordered >= 2                          # the t=24 review covers the backlog
    assert inv.on_order[1] == 0
    env.run(until=60.0)
    assert log == [(1.0, "x"), (1.0, "y"), (48.0, "A"), (48.0, "B")]   # lead time 1 d
    assert inv.stock[0] == 2 - 4 + ordered      # (a later review's order lands at 72)
    assert [len(q) for q in inv.waiters] == [0, 0]


# --------------------------------------------------------------------------- planner
def test_first_review_orders_up_to_forecast_times_cover() -> None:
    """Plan 48/day over 2 SKUs = 24 per SKU per day; 1 day of stock on hand (24 units).
    Target = ceil(24 x (7 d lead mean + 1 d review + 3 d safety) / 24 h) = 264."""
    env, inv = build(REALTIME,
                     "catalog.planned_units_per_day=48",
                     "catalog.stock_cover=1 d",
                     "catalog.safety_cover=3 d",
                     "catalog.replenishment_lead_time={dist: gamma, mean: 7 d, cv: 0.4}")
    assert inv.stock.tolist() == [24, 24]
    env.run(until=1.0)
    assert inv.on_order.tolist() == [264 - 24, 264 - 24]
    assert inv.replenishments == 2


def test_first_order_arrives_after_the_lead_time() -> None:
    env, inv = build(REALTIME,
                     "catalog.planned_units_per_day=48",
                     "catalog.stock_cover=1 d",
                     "catalog.safety_cover=3 d",
                     "catalog.replenishment_lead_time={dist: constant, value: 7 d}")
    env.run(until=7 * 24.0 - 1e-6)
    assert inv.stock.tolist() == [24, 24]
    assert inv.on_order.tolist() == [240, 240]
    env.run(until=7 * 24.0 + 1e-6)
    assert inv.stock.tolist() == [264, 264]
    assert inv.on_order.tolist() == [0, 0]
    assert inv.units_received == 480
    assert inv.replenishments == 2       # nothing sold, so no later review orders more


def sell_at(env: simpy.Environment, inv: Inventory, sales: list[tuple[float, int]]
            ) -> Generator[simpy.Event, Any, None]:
    for t, sku in sales:
        yield at(env, t)
        inv.reserve(sku)


def test_review_smooths_the_demand_seen() -> None:
    """Day 0 sells 2 units of SKU 0 and none of SKU 1 (a real-time feed). The review at t=24
    smooths that day in: forecast = 0.5 x [2, 0] + 0.5 x plan [1, 1] = [1.5, 0.5]; target =
    ceil(forecast x 2 days) = [3, 1]; position = [0, 2]; so it orders [3, 0]."""
    env, inv = build(REALTIME)
    env.process(sell_at(env, inv, [(1.0, 0), (2.0, 0)]))
    env.run(until=24.5)
    assert inv.forecast.tolist() == [1.5, 0.5]
    assert inv.on_order.tolist() == [3, 0]


def test_batch_feed_hides_the_sales_since_the_last_sync() -> None:
    """Stock sync every 10 h (runs at 0, 10, 20, 30 ...): the review at t=24 sees the sale at
    t=1 but not the one at t=22, over the 20 h up to the last run."""
    env, inv = build("links.stock_sync={mode: batch, interval: 10 h}")
    env.process(sell_at(env, inv, [(1.0, 0), (22.0, 1)]))
    env.run(until=24.5)
    days = 20.0 / 24.0
    alpha = 1.0 - 0.5 ** days
    expect = alpha * np.array([1.0, 0.0]) / days + (1.0 - alpha) * np.array([1.0, 1.0])
    assert inv.forecast == pytest.approx(expect)


def test_several_product_masters_show_the_planner_a_scaled_share() -> None:
    """With 3 product masters the planner's master records a line with probability 1/3 and
    counts it 3 times (its business unit scaled up to the whole)."""
    env, inv = build(REALTIME, "data_masters.product=3", seed=4)
    twin = Streams(4).get("inventory.product_master")
    for _ in range(300):
        inv.reserve(0)
    expect = 3 * sum(1 for _ in range(300) if twin.random() * 3 < 1.0)
    assert inv.seen_live[0] == expect
    assert inv.sold_total[0] == 300
    assert 0 < expect < 900


def test_forecast_is_scored_against_the_sales_that_follow() -> None:
    """The forecast made at t=0 ([1, 1] a day, the plan) is compared at t=7 d with the 7 days'
    sales (3 units of SKU 0): |7 - 3| + |7 - 0| = 11 units of error over 3 units sold."""
    env, inv = build(REALTIME)
    env.process(sell_at(env, inv, [(30.0, 0), (50.0, 0), (70.0, 0)]))
    inv.ledger.active = True
    env.run(until=FORECAST_DAYS * 24.0 + 0.5)
    assert inv.ledger.n["forecast_abs_error"] == 11
    assert inv.ledger.n["forecast_demand"] == 3
