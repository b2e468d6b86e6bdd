"""B2C: a visit on a channel, the cart, and checkout.

Cart abandonment is never a rate: a cart is abandoned for the first reason that bites, and
every reason but one is a mechanism a maturity phase can change (CALIBRATION C2, C3):

- ``just_browsing``: a fixed share of carts (C2): not fixable by process maturity,
- ``context_lost``: the shopper switches channel and the new one does not know the cart
  (``crm.context_survives_switch``),
- ``price_mismatch``: the switching shopper sees another price because a price change is
  still on its way between price masters (``data_masters.price`` > 1, ``master_sync``),
- ``unexpected_cost``: shipping and fees appear only at the end (``costs_shown_upfront``),
- ``forced_account``: a shopper without an account is made to create one,
- ``long_checkout``: every checkout step beyond the first can lose the shopper,
- ``slow_pages``: a checkout page slower than 3 s can lose the shopper (W4),
- ``stock_out_at_checkout``: a real-time availability check finds what a stale view showed,
- ``payment_failed``: the card is declined.

Slow pages also lose visitors before any cart (a saturating curve, W4/W5), and a product the
channel shows as out of stock loses the visit.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.journey.common import Order, draw, pick_channel, system

if TYPE_CHECKING:
    from sim.customers import Customer

#: every reason a cart can be abandoned for, in the order they are checked
CART_REASONS = ("just_browsing", "context_lost", "price_mismatch", "unexpected_cost",
                "forced_account", "long_checkout", "slow_pages", "stock_out_at_checkout",
                "payment_failed")
SLOW_PAGE = 3.0 / 3600  # 3 s (CALIBRATION W4)
REF_PAGE = 1.0 / 3600  # 1 s: pages at or under this speed lose nobody


def first_purchase(c: Customer) -> Generator[simpy.Event, Any, Order]:
    """From the first visit to a placed order (or :class:`~sim.customers.Lost`)."""
    return (yield from _visit(c))


def repeat_purchase(c: Customer) -> Generator[simpy.Event, Any, Order]:
    """A returning customer shops again (same mechanisms, account already made)."""
    c.has_account = True
    return (yield from _visit(c))


def _visit(c: Customer) -> Generator[simpy.Event, Any, Order]:
    from sim.customers import Lost

    model = c.model
    sc = model.scenario
    L = model.ledger
    ch_name = pick_channel(c)
    if ch_name is None:
        raise Lost("closed")
    ch = sc.channels[ch_name]
    st = model.stations[ch_name]
    t0 = c.env.now
    L.count("visits", cohort=c.cohort)
    L.count(f"visits.{ch_name}", cohort=c.cohort)
    cart = c.seg.cart
    assert cart is not None
    if ch.staffed:
        patience = c.seg.patience.queue if ch_name != "call_centre" else c.seg.patience.call
        p = patience.sample(model.streams.get(f"{c.segment}.patience.{ch_name}"))
        work = ch.service_time.sample(model.streams.get(f"{ch_name}.service"))
        served, _ = yield from st.serve(work, p)
        L.cost("transactions", ch.cost_per_interaction)
        c.log("visit", ch_name, t0, "ok" if served else "abandoned", ch.cost_per_interaction)
        if not served:
            raise Lost("queue")
    else:
        load = ch.page_load.sample(model.streams.get(f"{ch_name}.page_load")) if ch.page_load \
            else REF_PAGE
        stay = min(1.0, (load / REF_PAGE) ** (-cart.slow_page_sensitivity))
        if draw(c, "bounce") >= stay:
            c.log("visit", ch_name, t0, "bounced")
            raise Lost("slow_pages")
        work = ch.service_time.sample(model.streams.get(f"{ch_name}.service"))
        yield from st.serve(work)
        L.cost("transactions", ch.cost_per_interaction)
        c.log("visit", ch_name, t0, cost=ch.cost_per_interaction)
    lift = 1.0 + sc.crm.recommendation_lift
    intent = cart.repeat_add_to_cart if c.purchases else cart.add_to_cart
    if draw(c, "intent") >= min(intent * lift, 1.0):
        raise Lost("browsing")
    inv = model.inventory
    sku = inv.pick_sku()
    if not inv.visible(sku):
        L.count("stock_out_seen", cohort=c.cohort)
        raise Lost("stock_out")
    return (yield from _checkout(c, ch_name, sku))


def _checkout(c: Customer, ch_name: str, sku: int) -> Generator[simpy.Event, Any, Order]:
    from sim.customers import Lost

    model = c.model
    sc = model.scenario
    L = model.ledger
    cart = c.seg.cart
    assert cart is not None
    c.set_stage("cart")
    t0 = c.env.now
    L.count("carts", cohort=c.cohort)
    L.count(f"carts.{ch_name}", cohort=c.cohort)

    def abandon(reason: str) -> Lost:
        L.count("carts_abandoned", cohort=c.cohort)
        L.count(f"carts_abandoned.{ch_name}", cohort=c.cohort)
        L.count(f"cart_reason.{reason}", cohort=c.cohort)
        c.log("checkout", ch_name, t0, f"abandoned:{reason}")
        return Lost(f"cart:{reason}")

    if draw(c, "cart.browsing") < cart.just_browsing:
        raise abandon("just_browsing")
    if draw(c, "cart.switch") < cart.multichannel_share:
        other = [x for x in c.rt["channels"] if x != ch_name and not sc.channels[x].staffed]
        if other:
            L.count("channel_switches", cohort=c.cohort)
            ch_name = other[int(draw(c, "cart.switch_to") * len(other))]
            if not sc.crm.context_survives_switch and draw(c, "cart.context") < \
                    cart.context_lost_leave:
                raise abandon("context_lost")
            if model.price_mismatch(sku) and draw(c, "cart.price") < cart.price_mismatch_leave:
                raise abandon("price_mismatch")
    if not sc.checkout.costs_shown_upfront and draw(c, "cart.cost") < cart.unexpected_cost:
        raise abandon("unexpected_cost")
    if sc.checkout.forced_account_creation and not c.has_account:
        if draw(c, "cart.account") < cart.forced_account:
            raise abandon("forced_account")
        c.has_account = True
    ch = sc.channels[ch_name]
    steps = max(ch.checkout_steps, 1)
    if steps > 1 and draw(c, "cart.steps") < 1.0 - (1.0 - cart.per_extra_step) ** (steps - 1):
        raise abandon("long_checkout")
    if ch.page_load is not None:
        pages = model.streams.get(f"{ch_name}.checkout_page")
        for _ in range(steps):
            load = ch.page_load.sample(pages)
            yield c.env.timeout(load)
            if load > SLOW_PAGE and draw(c, "cart.slow") < cart.slow_checkout_leave:
                raise abandon("slow_pages")
    inv = model.inventory
    realtime_check = model.links["order_intake"].mode == "realtime"
    if realtime_check and not inv.available(sku):
        L.count("stock_out_at_checkout", cohort=c.cohort)
        if draw(c, "cart.stockout") < cart.stock_out_leave:
            raise abandon("stock_out_at_checkout")
    if draw(c, "cart.decline") < c.seg.payment.card_decline:
        L.count("card_declines", cohort=c.cohort)
        if draw(c, "cart.decline_leave") < cart.payment_failure_leave:
            raise abandon("payment_failed")
    yield from system(c, "payments", "payment authorised")
    value = c.seg.order_value.sample(model.streams.get(f"{c.segment}.order_value"))
    lines = max(1, int(c.seg.order_lines.sample(model.streams.get(f"{c.segment}.lines"))))
    skus = [sku] + [inv.pick_sku() for _ in range(lines - 1)]
    o = Order(c.case, value, skus, ch_name)
    o.route = "portal"
    L.count("checkouts", cohort=c.cohort)
    c.log("checkout", ch_name, t0)
    return o
