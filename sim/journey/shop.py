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

Slow pages also lose visitors before any cart (a saturating curve fitted to W4/W5,
:mod:`sim.journey.pagespeed`), and a product the channel shows as out of stock loses the visit.

The reasons from ``context_lost`` to ``slow_pages`` are frictions that compete for the same
undecided shoppers (:func:`friction_reason`): a share of shoppers had decided to buy
(``cart.decided_share``, a customer parameter) and no friction loses them, so fixing
frictions one after another cannot compound without a brake.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.journey.common import Lost, Order, draw, pick_channel, system
from sim.journey.fulfil import promised_lead
from sim.journey.pagespeed import stay
from sim.scenario import ConsumerSegment, Scenario

if TYPE_CHECKING:
    from sim.customers import Consumer
    from sim.model import OmniModel

#: every reason a cart can be abandoned for, in the order they are checked
CART_REASONS = ("just_browsing", "other_reasons", "context_lost", "price_mismatch",
                "extra_costs", "unexpected_cost", "slow_delivery", "forced_account",
                "long_checkout", "slow_pages", "stock_out_at_checkout", "payment_failed")
SLOW_PAGE = 3.0 / 3600  # 3 s (CALIBRATION W4)
#: ledger counts of the add-to-cart decision (decided, added), by whether the visitor has
#: bought before: built once, as the decision is on every visit's path
INTENT_KEYS = {False: ("intent.first", "intent.first.added"),
               True: ("intent.returning", "intent.returning.added")}


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
        if rt.bounce_stream.random() >= stay(load * 3600.0):
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


def recommends(sc: Scenario) -> bool:
    """Whether the shop shows a returning customer recommendations from their history: the
    feature is on and the channel sees the history (a single customer view, or one customer
    master). A first-time visitor has no history to recommend from (the cold start)."""
    return sc.crm.recommendations and sc.customer_record_parts == 1


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
    intent = cart.repeat_add_to_cart if c.purchases else cart.add_to_cart
    if c.purchases and recommends(sc):
        intent *= 1.0 + cart.recommendation_response
    seen, added = INTENT_KEYS[bool(c.purchases)]
    L.count(seen, cohort=c.cohort)
    if draw(c, "intent") >= min(intent, 1.0):
        raise Lost("browsing")
    L.count(added, cohort=c.cohort)
    inv = model.inventory
    sku = inv.pick_sku()
    if not inv.visible(sku):
        L.count("stock_out_seen", cohort=c.cohort)
        raise Lost("stock_out")
    return (yield from _checkout(c, ch_name, sku))


def _checkout(c: Consumer, ch_name: str, sku: int) -> Generator[simpy.Event, Any, Order]:
    """The cart: the fixed reasons, the competing frictions (:func:`friction_reason`), then
    the payment and the order."""
    model = c.model
    L = model.ledger
    c.set_stage("cart")
    t0 = c.env.now
    L.count("carts", cohort=c.cohort)
    L.count(f"carts.{ch_name}", cohort=c.cohort)
    steps = model.streams.get(f"{c.segment}.cart.step_time")
    look = c.seg.cart.step_time.sample(steps)
    if look > 0:  # the shopper looks at the cart before deciding
        yield c.env.timeout(look)
    reason = _fixed_reason(c)
    started = ch_name  # a channel switch moves the cart; its outcome counts where it started
    if reason is None:
        ch_name, frictions = _frictions(c, ch_name, sku)
        slow = yield from _checkout_pages(c, ch_name)
        if slow:
            frictions["slow_pages"] = 1.0 - (1.0 - c.seg.cart.slow_checkout_leave) ** slow
        reason = friction_reason(frictions, c.seg.cart.decided_share, draw(c, "cart.decided"),
                                 draw(c, "cart.friction"), draw(c, "cart.friction_reason"))
        if reason is None and model.scenario.checkout.forced_account_creation \
                and model.scenario.channels[ch_name].role != "store":
            c.has_account = True
    if reason is None:
        reason = _at_payment(c, sku)
    if reason is not None:
        L.count("carts_abandoned", cohort=c.cohort)
        L.count(f"carts_abandoned.{started}", cohort=c.cohort)
        L.count(f"cart_reason.{reason}", cohort=c.cohort)
        c.log("checkout", ch_name, t0, f"abandoned:{reason}")
        raise Lost(f"cart:{reason}")
    yield from system(c, "payments", "payment authorised")
    value = c.seg.order_value.sample(model.streams.get(f"{c.segment}.order_value"))
    lines = max(1, int(c.seg.order_lines.sample(model.streams.get(f"{c.segment}.lines"))))
    inv = model.inventory
    extra = [inv.pick_sku() for _ in range(lines - 1)]
    skus = [sku] + [s for s in extra if inv.visible(s)]  # the shopper sees each line's stock
    if len(skus) < lines:
        L.count("lines_out_of_stock", lines - len(skus))
        value *= len(skus) / lines
    o = Order(c.case, value, skus, ch_name)
    o.route = "portal"
    L.count("checkouts", cohort=c.cohort)
    L.count_all("orders_received")
    c.relate("order", value)
    c.log("checkout", ch_name, t0, objects=f"lines:{len(skus)}")
    return o


def _fixed_reason(c: Consumer) -> str | None:
    """Reasons no process maturity changes, for every shopper (C2, C3): not ready to buy,
    distrust/returns/payment methods, shipping and fees too high."""
    cart = c.seg.cart
    if draw(c, "cart.browsing") < cart.just_browsing:
        return "just_browsing"
    if draw(c, "cart.other") < cart.other_reasons:
        return "other_reasons"
    if draw(c, "cart.extra_costs") < cart.extra_costs:
        return "extra_costs"
    return None


def _frictions(c: Consumer, ch_name: str, sku: int) -> tuple[str, dict[str, float]]:
    """The frictions this cart meets, each with the probability it alone would lose an
    undecided shopper; returns the channel the shopper is on now (a switch may move it)."""
    model = c.model
    sc = model.scenario
    cart = c.seg.cart
    out: dict[str, float] = {}
    if draw(c, "cart.switch") < cart.multichannel_share:
        other = [x for x in c.rt.channels if x != ch_name and not sc.channels[x].staffed]
        if other:
            model.ledger.count("channel_switches", cohort=c.cohort)
            ch_name = other[int(draw(c, "cart.switch_to") * len(other))]
            if not sc.crm.context_survives_switch:
                out["context_lost"] = cart.context_lost_leave
            if model.price_mismatch(sku):
                out["price_mismatch"] = cart.price_mismatch_leave
    if sc.channels[ch_name].role != "store":  # at the till: no shipping, no account, carry-out
        _online_frictions(c, out)
    steps = max(sc.channels[ch_name].checkout_steps, 1)
    if steps > 1:
        out["long_checkout"] = 1.0 - (1.0 - cart.per_extra_step) ** (steps - 1)
    return ch_name, out


def _online_frictions(c: Consumer, out: dict[str, float]) -> None:
    """Frictions of buying at a distance: costs shown late, a slow delivery promise, forced
    account creation."""
    sc = c.model.scenario
    cart = c.seg.cart
    if not sc.checkout.costs_shown_upfront:
        out["unexpected_cost"] = cart.unexpected_cost
    late_days = (promised_lead(sc) - cart.delivery_accepted) / 24.0
    if late_days > 0:
        out["slow_delivery"] = min(1.0, cart.slow_delivery * late_days)
    if sc.checkout.forced_account_creation and not c.has_account:
        out["forced_account"] = cart.forced_account


def friction_reason(frictions: dict[str, float], decided_share: float, u_decided: float,
                    u_leave: float, u_reason: float) -> str | None:
    """Competing frictions on one cart: the reason the shopper leaves for, or None.

    A share ``decided_share`` of the shoppers who got this far had decided to buy (latent
    intent, a customer parameter) and no friction loses them. For the others every friction
    ``i`` is a hazard ``h_i = -ln(1 - p_i)`` (``p_i``: the probability it alone would lose the
    shopper); they compete for the same shopper, so it leaves with ``1 - exp(-sum h_i)`` and
    for reason ``i`` with weight ``h_i``. Removing a friction therefore gains at most the
    undecided shoppers it alone would have lost, and the gains of several fixes do not
    compound past ``decided_share + (1 - decided_share) = 1``.

    Args:
        frictions: reason -> probability it alone would lose an undecided shopper.
        decided_share: share of shoppers no friction loses.
        u_decided: uniform draw for "had decided".
        u_leave: uniform draw for "leaves".
        u_reason: uniform draw for which reason.
    """
    if not frictions or u_decided < decided_share:
        return None
    hazards = {k: -math.log(max(1.0 - p, 1e-12)) for k, p in frictions.items() if p > 0}
    total = sum(hazards.values())
    if total <= 0 or u_leave >= 1.0 - math.exp(-total):
        return None
    acc = 0.0
    for reason, h in hazards.items():
        acc += h
        if u_reason * total < acc:
            return reason
    return reason


def _checkout_pages(c: Consumer, ch_name: str) -> Generator[simpy.Event, Any, int]:
    """The checkout pages load one after another, each filled in for ``cart.step_time``;
    returns how many were slower than 3 s (each may lose an undecided shopper,
    ``slow_pages``)."""
    model = c.model
    ch = model.scenario.channels[ch_name]
    if ch.page_load is None:
        return 0
    pages = model.streams.get(f"{ch_name}.checkout_page")
    steps = model.streams.get(f"{c.segment}.cart.step_time")
    slow = 0
    for _ in range(max(ch.checkout_steps, 1)):
        load = ch.page_load.sample(pages)
        yield c.env.timeout(load + c.seg.cart.step_time.sample(steps))
        slow += load > SLOW_PAGE
    return slow


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
