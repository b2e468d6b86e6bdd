"""The books of a run: cost of goods, stock at cost, payables, EBIT, cash flow, working capital
and the unit economics per segment.

Identities are checked exactly on the deterministic lab company (one injected customer, see
``tests/test_journey.py``); the run's own conservation checks must hold there and must fail
when a piece of the bookkeeping is broken on purpose.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from cli_helpers import SMALL
from test_journey import simulate

from sim import checks
from sim.inventory import Inventory
from sim.kpis import Ledger, compute_kpis
from sim.kpis.registry import View, describe, shown_in
from sim.model import OmniModel
from sim.scenario import load

BOOKS = ("cogs", "stock", "inventory_value", "payables")
#: one unit of each SKU at the start, so that the first review orders from suppliers
EMPTY_SHELVES = "catalog.stock_cover=0 d"


def _books_ok(model: OmniModel) -> dict[str, bool]:
    cons = checks.conservation(model, checks.scan_in_flight(model))
    return {k: cons[k]["ok"] for k in BOOKS}


# --------------------------------------------------------------------------- the lab company
def test_a_delivered_order_books_its_cost_of_goods_and_one_unit_at_cost():
    model, _ = simulate("consumer")
    sc = model.scenario
    L, inv = model.ledger, model.inventory
    gm, uc = sc.catalog.gross_margin, sc.catalog.unit_cost
    assert L.money["revenue"] == pytest.approx(100.0)
    assert L.money["cogs"] == pytest.approx(100.0 * (1 - gm)), "value x (1 - gross margin)"
    assert L.by_segment["cogs.consumer"] == pytest.approx(100.0 * (1 - gm))
    assert inv.units_issued == 1 and inv.units_returned == 0
    assert L.issues_all == pytest.approx(uc)
    assert L.inventory_value == pytest.approx((inv.on_hand - inv.waiting_lines) * uc)
    k = compute_kpis(model)
    assert k["gross_profit"] == pytest.approx(100.0 * gm)
    assert k["gross_margin"] == pytest.approx(gm)
    assert k["ebit"] == pytest.approx(100.0 * gm - k["total_cost"])
    assert k["ebit_margin"] == pytest.approx(k["ebit"] / 100.0)
    assert all(_books_ok(model).values()), _books_ok(model)


def test_a_refunded_return_reverses_revenue_cogs_and_the_stock_issue():
    model, _ = simulate("consumer", ("segments.consumer.after_sale.base_return_rate=1",))
    L, inv = model.ledger, model.inventory
    assert L.money["revenue"] == pytest.approx(100.0)
    assert L.money["refunds"] == pytest.approx(100.0)
    assert L.money["cogs"] == pytest.approx(0.0), "the goods came back to stock"
    assert inv.units_issued == 1 and inv.units_returned == 1
    k = compute_kpis(model)
    assert k["revenue"] == pytest.approx(0.0) and k["gross_profit"] == pytest.approx(0.0)
    # the refund is paid back: cash in 100 (card), out 100
    assert L.money["cash"] == pytest.approx(100.0)
    cash_costs = k["total_cost"] - k["cost_breakdown"]["bad_debt"]
    assert k["operating_cash_flow"] == pytest.approx(
        100.0 - 100.0 - cash_costs - L.money["supplier_payments"])
    assert all(_books_ok(model).values()), _books_ok(model)


def test_a_business_order_is_unbilled_then_a_receivable_until_paid():
    """Two lines of 1k USD on 30-day terms: COGS 650 at delivery; the receivable stands for
    the 30 days between invoice and cash, which is what its sampled mean shows."""
    until = 2000.0
    model, log = simulate("small_business", until=until)
    sc = model.scenario
    assert dict(model.terminal) == {"paid": 1}
    assert model.ledger.money["cogs"] == pytest.approx(1000.0 * (1 - sc.catalog.gross_margin))
    assert model.inventory.units_issued == 2
    k = compute_kpis(model)
    parts = k["working_capital_parts"]
    step = sc.sample_interval
    held = 30 * 24.0  # invoice to cash, exactly the terms in the lab
    assert parts["receivables"] == pytest.approx(1000.0 * held / until, abs=1000.0 * step / until)
    assert k["working_capital"] == pytest.approx(
        parts["receivables"] + parts["unbilled"] + parts["inventory_value"] - parts["payables"])
    assert parts["inventory_value"] > 0
    assert all(_books_ok(model).values()), _books_ok(model)


def test_a_cancelled_backorder_gives_its_units_back():
    """One SKU with one unit, an order of two lines: one line on hand, one backordered; the
    buyer gives up after an hour, so both units go back and nothing stays issued."""
    sets = ("catalog.skus=1", "catalog.stock_cover=0 d",
            "segments.small_business.patience.backorder=1 h")
    model, log = simulate("small_business", sets, until=400.0)
    inv = model.inventory
    assert dict(model.terminal) == {"cancelled": 1}
    assert inv.cancelled_backorders == 1
    assert inv.units_issued == 0
    assert model.ledger.issues_all == pytest.approx(0.0)
    assert all(_books_ok(model).values()), _books_ok(model)


def test_suppliers_are_paid_after_their_terms():
    """The first review orders every SKU up to target; the goods arrive after the lab's
    5-day lead time and are payables for ``supplier_terms`` (30 d), then paid; with 0 they
    are paid on receipt."""
    day = 24.0
    model, _ = simulate("consumer", (EMPTY_SHELVES,), until=20 * day)
    L = model.ledger
    assert L.purchases_all > 0 and L.payables == pytest.approx(L.purchases_all)
    assert L.supplier_paid_all == 0
    assert all(_books_ok(model).values()), _books_ok(model)
    model.env.run(until=40 * day)  # 5 d + 30 d: paid (the later reviews order nothing)
    assert L.payables == pytest.approx(0.0) and L.supplier_paid_all == pytest.approx(
        L.purchases_all)
    model, _ = simulate("consumer", (EMPTY_SHELVES, "catalog.supplier_terms=0 d"),
                        until=20 * day)
    L = model.ledger
    assert L.purchases_all > 0 and L.payables == 0
    assert L.supplier_paid_all == pytest.approx(L.purchases_all)
    assert all(_books_ok(model).values()), _books_ok(model)


# --------------------------------------------------------------------------- broken books
def _skip_reversal(original: Any) -> Any:
    def cost_of_goods(self: Ledger, amount: float, segment: str) -> None:
        if amount >= 0:  # forgets to reverse the COGS of a return
            original(self, amount, segment)
    return cost_of_goods


def _no_op(self: Any, *args: Any, **kwargs: Any) -> None:
    return None


def _forget_payable(original: Any) -> Any:
    def purchase(self: Ledger, amount: float, payable: bool) -> None:
        original(self, amount, False)  # books the receipt as paid at once
    return purchase


def _uncounted_issue(original: Any) -> Any:
    def reserve(self: Inventory, sku: int) -> Any:
        ev = original(self, sku)
        self.units_issued -= 1  # takes the unit off the shelf without counting the issue
        return ev
    return reserve


@pytest.mark.parametrize(("owner", "method", "breaks", "expected"), [
    (Ledger, "cost_of_goods", _skip_reversal, "cogs"),
    (Ledger, "stock_return", lambda _: _no_op, "inventory_value"),
    (Ledger, "purchase", _forget_payable, "payables"),
    (Inventory, "reserve", _uncounted_issue, "stock"),
])
def test_the_checks_fail_when_the_books_are_broken(monkeypatch, owner, method, breaks,
                                                   expected):
    sets = ("segments.consumer.after_sale.base_return_rate=1", EMPTY_SHELVES)
    model, _ = simulate("consumer", sets, until=60 * 24.0)
    assert all(_books_ok(model).values()), "the unbroken books close"
    monkeypatch.setattr(owner, method, breaks(getattr(owner, method)))
    model, _ = simulate("consumer", sets, until=60 * 24.0)
    ok = _books_ok(model)
    assert not ok[expected], ok


# --------------------------------------------------------------------------- unit economics
@pytest.fixture(scope="module")
def small_model() -> OmniModel:
    m = OmniModel(load(SMALL, ["horizon=12 d"]).scenario)
    m.run()
    return m


def test_segment_unit_economics_come_from_the_segments_own_counts(small_model):
    L = small_model.ledger
    n, by = L.n, L.by_segment
    kpis = compute_kpis(small_model)
    segments = [s for s, seg in small_model.scenario.segments.items() if seg.kind != "service"]
    assert {f"unit_economics_{s}" for s in segments} <= set(kpis)
    defined = 0
    for s in segments:
        ue = kpis[f"unit_economics_{s}"]
        delivered = n[f"delivered.{s}"]
        decisions = n[f"retention_decisions.{s}"]
        aov = by[f"revenue.{s}"] / delivered if delivered else math.nan
        gp = ((by[f"revenue.{s}"] - by[f"refunds.{s}"] - by[f"cogs.{s}"]) / delivered
              if delivered else math.nan)
        retention = n[f"retained.{s}"] / decisions if decisions else math.nan
        clv = gp / (1 - retention) if retention < 1 else math.nan  # full retention: undefined
        new = n[f"new_customers.{s}"]
        cac = (by[f"acquisition.{s}"] + by[f"marketing.{s}"]) / new if new else math.nan
        expected = {"average_order_value": aov, "gross_margin_per_order": gp,
                    "retention": retention, "lifetime_value": clv, "acquisition_cost": cac,
                    "lifetime_value_to_cac": clv / cac if cac else math.nan}
        for key, want in expected.items():
            got = ue[key]
            if math.isnan(want):
                assert got is None, (s, key, got)
            else:
                assert got == pytest.approx(want), (s, key)
                defined += 1
    assert defined >= 8, "the small run gives most parts for two segments"
    # the segments' counts and costs add up to the pooled ones
    for key in ("delivered", "retention_decisions", "retained", "new_customers"):
        assert sum(n[f"{key}.{s}"] for s in segments) == n[key], key
    for bucket in ("acquisition", "marketing"):
        assert sum(by[f"{bucket}.{s}"] for s in segments) == pytest.approx(
            kpis["cost_breakdown"][bucket]), bucket
    assert sum(by[f"revenue.{s}"] for s in segments) == pytest.approx(L.money["revenue"])


def test_consumers_and_business_accounts_have_their_own_order_values(small_model):
    kpis = compute_kpis(small_model)
    consumer = kpis["unit_economics_consumer"]["average_order_value"]
    business = kpis["unit_economics_small_business"]["average_order_value"]
    assert business > 5 * consumer, "a pooled order value would hide this"
    assert "customer_lifetime_value" not in kpis, "the pooled CLV is gone"
    assert "pooled" in describe("customer_acquisition_cost").label


def test_a_segments_parts_have_their_own_units():
    assert describe("unit_economics_consumer.retention").unit.title == "share"
    assert describe("unit_economics_consumer.lifetime_value").unit.title == "money"
    assert describe("unit_economics_consumer.acquisition_cost").better.value == "lower"
    assert describe("unit_economics_consumer.lifetime_value_to_cac").unit.title == "plain ratio"


def test_profit_and_cash_are_shown_next_to_cost_per_order():
    for view in (View.COMPARE, View.REPORT):
        keys = [k.key for k in shown_in(view)]
        at = keys.index("cost_per_order")
        assert keys[at + 1: at + 4] == ["ebit", "ebit_margin", "operating_cash_flow"], view
    assert "ebit_margin" in [k.key for k in shown_in(View.SLIDE)]


def test_the_small_runs_books_close(small_model):
    assert all(_books_ok(small_model).values()), _books_ok(small_model)
    k = compute_kpis(small_model)
    assert k["ebit"] == pytest.approx(k["revenue"] - k["cogs"] - k["total_cost"])
    assert k["gross_margin"] == pytest.approx(small_model.scenario.catalog.gross_margin)


#: every hand-priced line wrong and no approver to catch it: the quote goes out below margin
BELOW_MARGIN = ("segments.small_business.configured_share=1", "quoting.mode=manual",
                "quoting.error_per_line=1")


def test_a_won_below_margin_quote_loses_its_margin_when_delivered():
    """The margin given away on a below-margin quote is a cost of the order it priced:
    ``below_margin_loss`` x its value, booked with its revenue."""
    model, _ = simulate("small_business", BELOW_MARGIN)
    loss = model.scenario.quoting.below_margin_loss
    assert model.ledger.money["revenue"] == pytest.approx(1000.0)
    assert model.ledger.costs["leakage"] == pytest.approx(1000.0 * loss)


def test_a_lost_below_margin_quote_costs_no_margin():
    """A buyer who takes the below-margin quote elsewhere pays nothing for it."""
    model, log = simulate("small_business",
                          (*BELOW_MARGIN, "segments.small_business.funnel.win=0"))
    assert ("negotiation", "lost") in [(a, o) for a, _, _, _, o in log]
    assert model.ledger.money["revenue"] == 0.0
    assert model.ledger.costs["leakage"] == 0.0
