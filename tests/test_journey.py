"""Journey mechanisms on the deterministic lab company: one injected customer, exact paths.

Times in the expected sequences are minutes since the customer's arrival; each follows from
the lab's constants (web visit 6 min, one 1-s checkout page, pick 10 min, carrier booking 2 s,
transit 2 d, 30-d payment terms), so a change of mechanism shows up as a changed sequence.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.customers import Customer
from sim.model import OmniModel
from sim.scenario import load

LAB = Path(__file__).parent / "scenarios" / "lab.yaml"


class Recorder:
    """An in-memory stand-in for the event log: (activity, resource, start, end, outcome)."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str, float, float, str]] = []

    def record(self, case, customer, segment, activity, resource, start, end, outcome,
               cost=0.0) -> None:
        self.log.append((activity, resource, round(start * 60, 3), round(end * 60, 3), outcome))

    @property
    def rows(self) -> int:
        return len(self.log)


def simulate(segment: str, sets: tuple[str, ...] = (), prep=None, until: float = 2000.0,
             at: float = 0.0):
    rec = Recorder()
    model = OmniModel(load(LAB, list(sets)).scenario, eventlog=rec)
    if prep is not None:
        prep(model)
    if at:
        model.env.run(until=at)
    Customer(model, segment, "ads")
    model.env.run(until=until)
    return model, rec.log


def activities(log):
    return [(a, r, o) for a, r, _, _, o in log]


def test_consumer_happy_path_exact_sequence():
    model, log = simulate("consumer")
    assert log == [
        ("visit", "web", 0, 6.0, "ok"),
        ("payment authorised", "payments", 6.017, 6.017, "ok"),
        ("checkout", "web", 6.0, 6.017, "ok"),
        ("order entry", "portal", 6.017, 6.017, "ok"),
        ("order created", "oms", 6.017, 6.017, "ok"),
        ("order posted", "erp", 6.017, 6.017, "ok"),
        ("order confirmed", "erp", 6.017, 6.017, "ok"),
        ("picked and packed", "wms", 16.017, 16.017, "ok"),
        ("pick and pack", "warehouse", 6.017, 16.017, "ok"),
        ("delivery", "carrier", 16.017, 2896.05, "ok"),
        ("card captured", "payments", 2896.05, 2896.05, "ok"),
    ]
    assert dict(model.terminal) == {"paid": 1}
    assert model.ledger.n["orders_perfect"] == 1
    assert len(model.agents) == 0, "a finished customer leaves the model"


def test_small_business_lead_to_cash_exact_sequence():
    model, log = simulate("small_business")
    assert [r[:2] for r in log] == [
        ("lead recorded", "crm"), ("lead routed", "lead_routing"),
        ("first response", "inside_sales"), ("account created", "crm"),
        ("onboarding", "master_sync"), ("sales meeting", "inside_sales"),
        ("quote", "sales_ops"), ("negotiation", ""),
        ("order placed online", "web"),  # a portal order, on the segment's web shop
        ("order entry", "portal"),
        ("order created", "oms"), ("order posted", "erp"), ("order confirmed", "erp"),
        ("picked and packed", "wms"), ("pick and pack", "warehouse"), ("delivery", "carrier"),
        ("invoice issued", "billing"), ("invoice", "billing"), ("cash applied", "cash_posting"),
        ("payment received", "payments"),
    ]
    invoice = next(r for r in log if r[0] == "invoice")
    cash = next(r for r in log if r[0] == "cash applied")
    assert cash[2] - invoice[2] == pytest.approx(30 * 24 * 60), "paid exactly on 30-d terms"
    assert dict(model.terminal) == {"paid": 1}


def test_first_response_takes_the_channels_first_contact_time():
    """The first response to a lead is the channel's first_contact_time of work; the sales
    meeting after it keeps the service time (30 min in the lab)."""
    def minutes(log, activity):
        row = next(r for r in log if r[0] == activity)
        return row[3] - row[2]

    _, log = simulate("small_business")  # the lab's first contact is 30 min, as a meeting
    assert minutes(log, "first response") == pytest.approx(30.0)
    _, log = simulate("small_business", ("channels.inside_sales.first_contact_time=10 min",))
    assert minutes(log, "first response") == pytest.approx(10.0)
    assert minutes(log, "sales meeting") == pytest.approx(30.0)


def test_forced_account_creation_loses_shoppers_without_account():
    forced = ("checkout.forced_account_creation=true", "segments.consumer.cart.forced_account=1")
    model, log = simulate("consumer", forced)
    assert log[-2][0] == "checkout" and log[-2][4] == "abandoned:forced_account"
    assert dict(model.terminal) == {"lost:cart:forced_account": 1}
    assert model.ledger.n["cart_reason.forced_account"] == 1
    # the same shopper with an account, or without the forced step, buys
    for sets in (forced + ("segments.consumer.cart.has_account_share=1",),
                 ("segments.consumer.cart.forced_account=1",)):
        model, _ = simulate("consumer", sets)
        assert dict(model.terminal) == {"paid": 1}


def test_unexpected_cost_only_bites_when_costs_are_hidden():
    hidden = ("checkout.costs_shown_upfront=false", "segments.consumer.cart.unexpected_cost=1")
    model, _ = simulate("consumer", hidden)
    assert dict(model.terminal) == {"lost:cart:unexpected_cost": 1}
    model, _ = simulate("consumer", ("segments.consumer.cart.unexpected_cost=1",))
    assert dict(model.terminal) == {"paid": 1}


def _empty_shelves(model: OmniModel) -> None:
    model.inventory.stock[:] = 0


def test_realtime_check_finds_stock_out_at_checkout():
    model, log = simulate("consumer", prep=_empty_shelves)
    assert dict(model.terminal) == {"lost:stock_out": 1}, \
        "a real-time stock view shows the item as gone before any cart"


def test_stale_batch_view_lets_shoppers_order_what_is_gone():
    stale = ("links.stock_sync={mode: batch, interval: 24 h}",
             "links.order_intake={mode: batch, interval: 1 h}")
    model, log = simulate("consumer", stale, prep=_empty_shelves, until=30 * 24.0)
    assert model.ledger.n["oversells"] == 1, "the stale view said in stock; the truth had none"
    assert model.ledger.n["backorders"] == 1
    backorder = next(r for r in log if r[0] == "backorder")
    assert backorder[4] == "filled"
    # filled by the first replenishment: ordered at the first review (t=0), 5-d lead time
    assert backorder[3] == pytest.approx(5 * 24 * 60)


def test_stale_view_with_realtime_checkout_check_is_a_cart_abandonment():
    stale = ("links.stock_sync={mode: batch, interval: 24 h}",)
    model, log = simulate("consumer", stale, prep=_empty_shelves)
    assert dict(model.terminal) == {"lost:cart:stock_out_at_checkout": 1}
    assert model.ledger.n["oversells"] == 0


def test_batch_import_waits_for_the_next_sync():
    model, log = simulate("consumer", ("links.oms_to_erp={mode: batch, interval: 24 h}",))
    confirmed = next(r for r in log if r[0] == "order confirmed")
    assert confirmed[3] == pytest.approx(24 * 60), "the nightly batch posts the order at 24:00"


def test_keying_errors_flow_downstream():
    """Re-keyed email orders with every field wrong: wrong item re-shipped, wrong price
    disputed, wrong address re-delivered."""
    sets = ("segments.small_business.order_intake={email: 1}",
            "links.order_desk.error_per_field=1.0")
    model, log = simulate("small_business", sets, until=200 * 24.0)
    acts = [a for a, *_ in log]
    assert "order entry" in acts and log[acts.index("order entry")][4] == "error"
    assert acts.count("reshipment") >= 1
    assert "dispute resolved" in acts
    n = model.ledger.n
    assert n["keying_errors"] == 6, "2 lines x 3 fields, each wrong"
    assert n["disputes"] == 1 and n["orders_accurate"] == 0


def test_price_master_mismatch_becomes_a_dispute():
    def pending_price_change(model: OmniModel) -> None:
        model.price_pending[:] = [1] * len(model.price_pending)

    model, log = simulate("small_business", ("data_masters.price=2",),
                          prep=pending_price_change, until=200 * 24.0)
    assert model.ledger.n["disputes"] == 1
    model, _ = simulate("small_business", until=200 * 24.0)
    assert model.ledger.n["disputes"] == 0


def test_lead_response_time_decays_qualification():
    slow = ("links.lead_routing={mode: batch, interval: 24 h}",
            "segments.small_business.funnel.response_floor=0",
            "segments.small_business.funnel.response_tau=1 min")
    model, log = simulate("small_business", slow, at=1.0)
    assert dict(model.terminal) == {"lost:qualification": 1}
    routed = next(r for r in log if r[0] == "lead routed")
    assert routed[3] == pytest.approx(24 * 60), "the lead waited for the nightly assignment"
    fast = ("segments.small_business.funnel.response_floor=0",
            "segments.small_business.funnel.response_tau=100000 h")
    model, _ = simulate("small_business", fast)
    assert dict(model.terminal) == {"paid": 1}


def test_ml_scoring_filters_non_sql_leads_before_sales_time():
    sets = ("segments.small_business.funnel.sql=0", "crm.lead_scoring=true",
            "crm.scoring_noise=0")
    model, log = simulate("small_business", sets)
    assert dict(model.terminal) == {"lost:nurture": 1}
    assert "sales meeting" not in [a for a, *_ in log]
    model, log = simulate("small_business", ("segments.small_business.funnel.sql=0",))
    assert dict(model.terminal) == {"lost:nurture": 1}
    assert "sales meeting" in [a for a, *_ in log], "without scoring, sales spends the time"


def test_slow_quote_loses_the_deal_to_a_competitor():
    sets = ("quoting.touch_time=20 d",
            "segments.small_business.funnel.quote_patience=10 d")
    model, _ = simulate("small_business", sets, until=100 * 24.0)
    assert dict(model.terminal) == {"lost:quotation": 1}


def test_repeat_and_churn_depend_on_experience():
    # would come back (repeat=1) but a late delivery (penalty 1) drives it away
    sets = ("segments.consumer.after_sale.repeat=1", "segments.consumer.after_sale.late_penalty=1",
            "partners.carrier.on_time=0", "partners.carrier.late_delay=5 d")
    model, _ = simulate("consumer", sets)
    assert dict(model.terminal) == {"churned": 1}
    assert model.ledger.n["late_deliveries"] == 1


def test_satisfied_customer_refers_a_neighbour():
    sets = ("segments.consumer.after_sale.referral=1", "market.network_degree=3")
    model, _ = simulate("consumer", sets, until=100.0)
    n = model.ledger.n
    # each referred neighbour buys, is satisfied and refers again: a chain, one per purchase
    assert n["referrals"] >= 2
    assert model.created == n["referrals"] + 1 == n["leads.source.referral"] + 1
    assert n["orders"] == model.created, "every referred neighbour bought (lab: no losses)"
