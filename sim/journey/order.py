"""Order entry, validation and processing into the ERP.

How an order reaches the order-management system depends on its route:

- B2C web/app/marketplace orders and B2B portal/EDI orders go through ``order_intake``,
- B2B orders arriving by email, phone or fax are re-keyed by the order desk (``order_desk``,
  usually a manual link: touch time and keying errors per field, CALIBRATION O1-O3); a B2C
  call-centre order is keyed by the agent with the same error rate,
- a business buyer's portal order is placed on the segment's self-service channel (web
  shop, app or partner portal, :mod:`sim.segments`) before it crosses ``order_intake``,
- orders from resellers arrive through ``partner_orders``: e-mailed to the order desk when
  it is manual, placed on the partner portal when it is integrated (batch or real time).

Validation then checks the contract price (wrong if a price change is still on its way
between price masters), takes each line's item data from the product master the channel
reads (wrong if an item-data change is still on its way between product masters: a wrong
item the customer-service team puts right at delivery), stock (an order accepted against a
stale view when the truth has nothing is an *oversell*), and the credit limit (a
credit-control review may hold or cancel it). The order then crosses ``oms_to_erp`` and is
confirmed.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.journey.common import Lost, Order, draw, session, system
from sim.scenario import UNSTRUCTURED

if TYPE_CHECKING:
    from sim.customers import Buyer

#: how a consumer's order reaches the order system, by the role of the channel it was placed
#: in: by phone through a contact centre, at the till in a store, else through the portal
CONSUMER_ROUTES = {"contact_centre": "phone", "store": "store"}


def _route(c: Buyer, o: Order) -> str:
    if c.kind == "b2c":
        role = c.model.scenario.channels[o.channel].role
        return CONSUMER_ROUTES.get(role, "portal")
    if o.partner:
        return "partner"
    i = c.model.streams.get(f"{c.segment}.intake").choice(c.rt.intake_cum)
    return c.rt.intake[i]


def _split_errors(c: Buyer, o: Order, n: int) -> None:
    """Each keying error breaks the item, the price or the address (``errors`` shares)."""
    if n <= 0:
        return
    e = c.model.scenario.errors
    for _ in range(n):
        u = draw(c, "order.error_kind") * (e.item + e.price + e.address)
        if u < e.item:
            o.errors_item += 1
        elif u < e.item + e.price:
            o.errors_price += 1
        else:
            o.errors_address += 1


def enter(c: Buyer, o: Order) -> Generator[simpy.Event, Any, None]:
    """Take the order in, validate it and post it to the ERP."""
    model = c.model
    L = model.ledger
    links = model.links
    c.set_stage("order")
    yield from _take_in(c, o)
    yield from system(c, "oms", "order created")
    # -- validation ---------------------------------------------------------------------------
    if any(model.price_mismatch(s) for s in o.skus):
        o.price_mismatch = True
    _check_stock(c, o)  # lines shown out of stock are dropped first
    stale = sum(model.item_data_stale(s) for s in o.skus)
    if stale:  # a line taken with another master's item data: a wrong item (rework)
        o.errors_item += stale
        L.count("item_data_errors", stale)
    yield from _credit(c, o)
    if o.value <= 0:  # nothing to sell: lost before it is placed, so it is never open
        raise Lost("order_value")
    o.placed = c.env.now
    L.count("orders")
    L.count(f"orders.{c.segment}")
    L.count("orders_first" if c.purchases == 0 else "orders_repeat", cohort=c.cohort)
    model.ledger.open_order()
    c.open_orders += 1
    if o.oversold:
        L.count("oversells")
    if o.price_mismatch:
        L.count("price_mismatches")
    if c.purchases == 0:
        L.observe("time_to_purchase_days", (c.env.now - c.arrived) / 24.0, cohort=c.cohort)
        model.customers_ever.add(c.market_id)
        if c.cohort:
            L.count("new_customers")
            L.count(f"new_customers.{c.segment}")
        c.join_base()
    t1 = c.env.now
    yield from links["oms_to_erp"].transfer(len(o.skus))
    yield from system(c, "erp", "order posted")
    c.log("order confirmed", "erp", t1)
    if o.configured:
        L.count("orders_configured")
    if c.purchases == 0 and c.kind == "b2c" and model.scenario.crm.loyalty is not None \
            and draw(c, "loyalty.signup") < c.seg.after_sale.loyalty_signup:
        c.loyalty = True
        L.count("loyalty_signups")


def _check_stock(c: Buyer, o: Order) -> None:
    """Every line is checked against the stock view its channel sees (the ``stock_sync``
    view; a clerk re-keying an order sees the same view, as of the last sync). A business
    buyer drops the lines shown as out of stock (all of them: the order is lost); a line
    shown in stock that the truth does not have is accepted: the order is *oversold*. A
    consumer's lines were checked in the shop, and a sale at the till hands over what is on
    the shelf."""
    if o.route == "store":
        return
    model = c.model
    inv = model.inventory
    if c.kind != "b2c":
        shown = [s for s in o.skus if inv.visible(s)]
        if len(shown) < len(o.skus):
            model.ledger.count("lines_out_of_stock", len(o.skus) - len(shown))
            if not shown:
                raise Lost("stock_out")
            o.value *= len(shown) / len(o.skus)
            o.skus = shown
    o.oversold = any(not inv.available(s) for s in o.skus)


def _take_in(c: Buyer, o: Order) -> Generator[simpy.Event, Any, None]:
    """The order reaches the order system by its route: re-keyed by the order desk (email,
    phone, fax; a consumer's phone order is keyed by the agent), from a reseller, at the till,
    or through ``order_intake``; keying errors are split into item, price and address."""
    model = c.model
    links = model.links
    t0 = c.env.now
    o.route = route = _route(c, o)
    n_lines = len(o.skus)
    if route in UNSTRUCTURED and c.kind == "b2c":
        errs = links["order_desk"].keying_errors(n_lines)
    elif route in UNSTRUCTURED:
        errs = yield from links["order_desk"].transfer(n_lines)
    elif route == "partner":
        if links["partner_orders"].mode != "manual" and c.rt.partner_portal is not None:
            yield from _placed_on(c, c.rt.partner_portal, "order placed by reseller")
        errs = yield from links["partner_orders"].transfer(n_lines)
    elif route == "store":
        errs = 0
    else:
        portal = c.rt.portal() if route == "portal" and c.kind != "b2c" else None
        if portal is not None:
            yield from _placed_on(c, portal, "order placed online")
        errs = yield from links["order_intake"].transfer(n_lines)
    _split_errors(c, o, max(errs, 0))
    if errs > 0:
        model.ledger.count("keying_errors", errs)
    if c.kind != "b2c":  # a consumer's order was received at checkout
        model.ledger.count_all("orders_received")
        c.relate("order", o.value)
    quoted = "quote " if o.quote_started >= 0 else ""
    c.log("order entry", route, t0, "error" if errs > 0 else "ok",
          objects=f"{quoted}lines:{n_lines}")


def _placed_on(c: Buyer, channel: str, activity: str) -> Generator[simpy.Event, Any, None]:
    """A business order keyed in by the buyer (or its reseller) on a self-service channel:
    the session is the channel's ``service_time`` of work there."""
    t0 = c.env.now
    cost = yield from session(c, channel, "order_entry")
    c.log(activity, channel, t0, cost=cost)


def _credit(c: Buyer, o: Order) -> Generator[simpy.Event, Any, None]:
    """Orders over the credit limit wait for a credit-control review, which may refuse."""
    if c.credit_limit is None:
        return
    model = c.model
    if c.receivable + o.value <= c.credit_limit:
        return
    t0 = c.env.now
    name = model.scenario.team_for("credit_control")
    team = model.scenario.teams[name]
    work = team.touch_time.sample(model.streams.get(f"{name}.touch"))
    yield from model.stations[name].serve(work)
    model.ledger.count("credit_holds")
    if draw(c, "credit.approve") >= c.seg.payment.credit_approval:
        c.log("credit review", name, t0, "refused")
        model.ledger.count("credit_refusals")
        raise Lost("credit_hold", "cancelled")
    c.log("credit review", name, t0, "approved")
