"""B2C: a visit on a channel, the cart, and checkout.

Cart abandonment is never a rate: a cart is abandoned for the first reason that bites, and
every reason but one is a mechanism a maturity phase can change (CALIBRATION C2, C3):

- ``just_browsing``: a fixed share of carts (C2): not fixable by process maturity,
- ``context_lost``: the shopper switches channel and the new one does not know the cart
  (``crm.context_survives_switch``),
- ``price_mismatch``: the switching shopper sees another price because a price change is
  still on its way between price masters (``data_masters.price`` > 1, ``master_sync``),
- ``extra_costs``: shipping and fees are too high for the shopper: pricing, not process, so
  it bites at every maturity (C3 "extra costs too high"),
- ``other_reasons``: distrust, returns policy, too few payment methods (C3): real reasons
  the model has no mechanism for, so a fixed share like ``just_browsing``,
- ``unexpected_cost``: shipping and fees appear only at the end (``costs_shown_upfront``;
  C3 "total cost not shown up-front"),
- ``slow_delivery``: the promised delivery date (pick, transit and buffer) is later than the
  shopper accepts (C3 "delivery too slow"),
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

from sim.journey.common import Lost, Order, draw, pick_channel, system
from sim.journey.fulfil import promised_lead
from sim.scenario import ConsumerSegment

if TYPE_CHECKING:
    from sim.customers import Consumer
    from sim.model import OmniModel

#: every reason a cart can be abandoned for, in the order they are checked
CART_REASONS = ("just_browsing", "other_reasons", "context_lost", "price_mismatch",
                "extra_costs", "unexpected_cost", "slow_delivery", "forced_account",
                "long_checkout", "slow_pages", "stock_out_at_checkout", "payment_failed")
SLOW_PAGE = 3.0 / 3600  # 3 s (CALIBRATION W4)
REF_PAGE = 1.0 / 3600  # 1 s: pages at or under this speed lose nobody


def landing(model: OmniModel, segment: str, cohort: bool) -> tuple[str | None, str | None]:
    """The first instant of a visit: which channel, and whether the first page loses it.

    Returns ``(channel, lost_step)``: ``lost_step`` is ``"closed"`` (no channel open),
    ``"slow_pages"`` (the visitor bounced on a slow page, W4/W5) or None (the visit goes on).
    Nothing here takes simulated time, so a visitor who leaves at once never needs to
    become a customer agent (see :meth:`OmniModel._arrivals`).
    """
    rt = model.segment_runtime[segment]
    ch_name = pick_channel(model, rt)
    if ch_name is None:
        return None, "closed"
    L = model.ledger
    L.count("visits", cohort=cohort)
    L.count(f"visits.{ch_name}", cohort=cohort)
    ch = model.scenario.channels[ch_name]
    seg = rt.spec
    if not ch.staffed and ch.page_load is not None and isinstance(seg, ConsumerSegment):
        load = ch.page_load.sample(model.streams.get(f"{ch_name}.page_load"))
        stay = min(1.0, (load / REF_PAGE) ** (-seg.cart.slow_page_sensitivity))
        if rt.bounce_stream.random() >= stay:
            return ch_name, "slow_pages"
    return ch_name, None


def land(c: Consumer) -> str:
    """:func:`landing` for a customer agent (a returning or referred customer)."""
    channel, lost = landing(c.model, c.segment, c.cohort)
    if lost is not None:
        if channel is not None:
            c.log("visit", channel, c.env.now, "bounced")
        raise Lost(lost)
    assert channel is not None
    return channel


def first_purchase(c: Consumer, channel: str | None) -> Generator[simpy.Event, Any, Order]:
    """From the first visit to a placed order (or :class:`~sim.customers.Lost`);
    ``channel`` is where the visitor already landed (None: land now)."""
    return (yield from _visit(c, channel if channel is not None else land(c)))


def repeat_purchase(c: Consumer) -> Generator[simpy.Event, Any, Order]:
    """A returning customer shops again (same mechanisms, account already made)."""
    c.has_account = True
    return (yield from _visit(c, land(c)))


def _visit(c: Consumer, ch_name: str) -> Generator[simpy.Event, Any, Order]:
    model = c.model
    sc = model.scenario
    L = model.ledger
    ch = sc.channels[ch_name]
    st = model.stations[ch_name]
    t0 = c.env.now
    cart = c.seg.cart
    if ch.staffed:
        patience = c.seg.patience.call if ch.role == "contact_centre" else c.seg.patience.queue
        p = patience.sample(model.streams.get(f"{c.segment}.patience.{ch_name}"))
        work = ch.service_time.sample(model.streams.get(f"{ch_name}.service"))
        served, _ = yield from st.serve(work, p)
        L.cost("transactions", ch.cost_per_interaction)
        c.log("visit", ch_name, t0, "ok" if served else "abandoned", ch.cost_per_interaction)
        if not served:
            raise Lost("queue")
    else:
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


def _checkout(c: Consumer, ch_name: str, sku: int) -> Generator[simpy.Event, Any, Order]:
    """The cart: every abandonment reason in the order of :data:`CART_REASONS`, then the
    payment and the order."""
    model = c.model
    L = model.ledger
    c.set_stage("cart")
    t0 = c.env.now
    L.count("carts", cohort=c.cohort)
    L.count(f"carts.{ch_name}", cohort=c.cohort)
    ch_name, reason = _before_checkout(c, ch_name, sku)
    if reason is None:
        reason = yield from _checkout_pages(c, ch_name)
    if reason is None:
        reason = _at_payment(c, sku)
    if reason is not None:
        L.count("carts_abandoned", cohort=c.cohort)
        L.count(f"carts_abandoned.{ch_name}", cohort=c.cohort)
        L.count(f"cart_reason.{reason}", cohort=c.cohort)
        c.log("checkout", ch_name, t0, f"abandoned:{reason}")
        raise Lost(f"cart:{reason}")
    yield from system(c, "payments", "payment authorised")
    value = c.seg.order_value.sample(model.streams.get(f"{c.segment}.order_value"))
    lines = max(1, int(c.seg.order_lines.sample(model.streams.get(f"{c.segment}.lines"))))
    skus = [sku] + [model.inventory.pick_sku() for _ in range(lines - 1)]
    o = Order(c.case, value, skus, ch_name)
    o.route = "portal"
    L.count("checkouts", cohort=c.cohort)
    L.count_all("orders_received")
    c.relate("order", value)
    c.log("checkout", ch_name, t0, objects=f"lines:{lines}")
    return o


def _before_checkout(c: Consumer, ch_name: str, sku: int) -> tuple[str, str | None]:
    """Reasons that bite before the checkout pages (no time passes): returns the channel the
    shopper is on now (a switch may move it) and the reason it leaves, or None."""
    model = c.model
    sc = model.scenario
    cart = c.seg.cart
    if draw(c, "cart.browsing") < cart.just_browsing:
        return ch_name, "just_browsing"
    if draw(c, "cart.other") < cart.other_reasons:
        return ch_name, "other_reasons"
    if draw(c, "cart.switch") < cart.multichannel_share:
        other = [x for x in c.rt.channels if x != ch_name and not sc.channels[x].staffed]
        if other:
            model.ledger.count("channel_switches", cohort=c.cohort)
            ch_name = other[int(draw(c, "cart.switch_to") * len(other))]
            if not sc.crm.context_survives_switch and draw(c, "cart.context") < \
                    cart.context_lost_leave:
                return ch_name, "context_lost"
            if model.price_mismatch(sku) and draw(c, "cart.price") < cart.price_mismatch_leave:
                return ch_name, "price_mismatch"
    if draw(c, "cart.extra_costs") < cart.extra_costs:
        return ch_name, "extra_costs"
    if not sc.checkout.costs_shown_upfront and draw(c, "cart.cost") < cart.unexpected_cost:
        return ch_name, "unexpected_cost"
    late_days = (promised_lead(sc) - cart.delivery_accepted) / 24.0
    if late_days > 0 and draw(c, "cart.delivery") < min(1.0, cart.slow_delivery * late_days):
        return ch_name, "slow_delivery"
    if sc.checkout.forced_account_creation and not c.has_account:
        if draw(c, "cart.account") < cart.forced_account:
            return ch_name, "forced_account"
        c.has_account = True
    steps = max(sc.channels[ch_name].checkout_steps, 1)
    if steps > 1 and draw(c, "cart.steps") < 1.0 - (1.0 - cart.per_extra_step) ** (steps - 1):
        return ch_name, "long_checkout"
    return ch_name, None


def _checkout_pages(c: Consumer, ch_name: str) -> Generator[simpy.Event, Any, str | None]:
    """The checkout pages load one after another; a page slower than 3 s may lose the
    shopper (``slow_pages``)."""
    model = c.model
    ch = model.scenario.channels[ch_name]
    if ch.page_load is None:
        return None
    pages = model.streams.get(f"{ch_name}.checkout_page")
    for _ in range(max(ch.checkout_steps, 1)):
        load = ch.page_load.sample(pages)
        yield c.env.timeout(load)
        if load > SLOW_PAGE and draw(c, "cart.slow") < c.seg.cart.slow_checkout_leave:
            return "slow_pages"
    return None


def _at_payment(c: Consumer, sku: int) -> str | None:
    """A real-time availability check may find the item gone, and the card may be declined."""
    model = c.model
    L = model.ledger
    cart = c.seg.cart
    if model.links["order_intake"].mode == "realtime" and not model.inventory.available(sku):
        L.count("stock_out_at_checkout", cohort=c.cohort)
        if draw(c, "cart.stockout") < cart.stock_out_leave:
            return "stock_out_at_checkout"
    if draw(c, "cart.decline") < c.seg.payment.card_decline:
        L.count("card_declines", cohort=c.cohort)
        if draw(c, "cart.decline_leave") < cart.payment_failure_leave:
            return "payment_failed"
    return None
