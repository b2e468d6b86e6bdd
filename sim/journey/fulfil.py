"""Fulfilment: stock, supplier purchase orders for bundles, pick/pack, carrier, installation.

- Every line takes a unit; lines without stock wait as backorders for replenishment, and the
  customer cancels when the wait outlasts its patience.
- A configured bundle needs a purchase order to every component supplier (through
  ``supplier_po``); the bundle ships only when all parts have arrived.
- The warehouse picks after ``erp_to_wms`` releases the order; a carrier (booked through
  ``carrier_booking``) delivers, late with probability ``1 - on_time`` (CALIBRATION I7).
- A wrong address (keying error) fails the delivery and costs a re-shipment; a wrong item is
  sent back and re-shipped; the customer-service team puts either right first (rework, work
  on a named team).
- Products that need it are installed by the systems integrator's teams, booked through
  ``installer_booking``.
- A customer with a "where is my order" question looks the status up online or asks the
  chatbot; the status is as fresh as ``order_status`` makes it, and a customer who sees no
  shipment yet (or does not look) contacts the company (:func:`_wismo`).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.journey.common import Lost, Order, contact, draw, status_fresh, system

if TYPE_CHECKING:
    from sim.customers import Buyer
    from sim.scenario import Scenario


PROMISE_BUFFER = 48.0  # hours added to the normal lead time when a date is promised (A)


def _supplier_part(c: Buyer, name: str) -> Generator[simpy.Event, Any, None]:
    model = c.model
    sup = model.scenario.partners.suppliers[name]
    t0 = c.env.now
    ref = name.replace(" ", "_")
    stream = model.streams.get(f"supplier.{name}.lead_time")
    model.ledger.count_all("purchase_orders")  # a re-order after a wrong part re-sends it
    while True:
        errs = yield from model.links["supplier_po"].transfer()
        c.log("purchase order", "supplier_po", t0, objects=f"po:{ref} part:{ref}")
        t1 = c.env.now
        lead = sup.lead_time.sample(stream)
        if model.streams.get(f"supplier.{name}.availability").random() >= sup.availability:
            lead += sup.lead_time.sample(stream)  # not in stock at the supplier: made to order
        yield c.env.timeout(lead)
        if errs <= 0:
            break
        # a keying error on the PO: the wrong part arrives and is ordered again
        model.ledger.count("wrong_parts")
        c.log("component received", name, t1, "wrong part", objects=f"po:{ref} part:{ref}")
        t0 = c.env.now
    c.log("component received", name, t1, objects=f"po:{ref} part:{ref}")


def promised_lead(sc: Scenario, configured: bool = False, install: bool = False) -> float:
    """Hours to the delivery date promised at order time: the normal time of each step plus
    a buffer. Shown to shoppers at checkout, too."""
    lead = sc.warehouse.pick_time.mean + sc.partners.carrier.transit.mean + PROMISE_BUFFER
    if configured and sc.partners.suppliers:
        lead += max(s.lead_time.mean for s in sc.partners.suppliers.values())
    if install and sc.partners.installers is not None:
        lead += sc.partners.installers.notice
    return lead


def _nominal_lead(c: Buyer, o: Order) -> float:
    return promised_lead(c.model.scenario, o.configured, o.install)


def _wismo(c: Buyer, o: Order, shipped: float, transit: float,
           late: bool) -> Generator[simpy.Event, Any, None]:
    """A "where is my order" question while the parcel is on its way: it comes up at a
    uniform moment of the transit (at the promised date for a late one, if that is still
    ahead). A customer who looks the status up online (``after_sale.status_lookup``, with
    ``checkout.order_status_page``) is answered if the status shown already has the
    shipment (:func:`status_fresh`); the others, and those who see a stale status, contact
    the company."""
    a = c.seg.after_sale
    p = a.wismo_contact * (2.0 if late else 1.0)
    if draw(c, "wismo") >= p:
        return
    env = c.env
    wait = draw(c, "wismo.when") * transit
    if late:
        wait = min(max(o.promised - env.now, 0.0), transit)
    if wait > 0:
        yield env.timeout(wait)
    model = c.model
    if (model.scenario.checkout.order_status_page and draw(c, "wismo.look") < a.status_lookup
            and status_fresh(c, shipped)):
        model.ledger.count("status_self_served")
        return
    yield from contact(c, "order_status", shipped)


def fulfil(c: Buyer, o: Order) -> Generator[simpy.Event, Any, None]:
    """From the confirmed order to delivered (and installed) goods."""
    model = c.model
    sc = model.scenario
    L = model.ledger
    env = c.env
    c.set_stage("fulfilment")
    o.promised = o.placed + _nominal_lead(c, o)
    yield from _reserve(c, o)
    if o.configured and sc.partners.suppliers:
        parts = [env.process(_supplier_part(c, n)) for n in sc.partners.suppliers]
        yield simpy.AllOf(env, parts)
    if o.route == "store":  # carry-out: the customer takes the goods from the shelf
        yield from _deliver(c, o)
        yield from _rework(c, o)
        delivered(c, o)
        return
    t1 = env.now
    yield from model.links["erp_to_wms"].transfer(len(o.skus))
    work = sc.warehouse.pick_time.sample(model.streams.get("warehouse.pick"))
    yield from model.stations["warehouse"].serve(work)
    yield from system(c, "wms", "picked and packed")
    L.cost("logistics", sc.costs.pick_pack)
    c.log("pick and pack", "warehouse", t1, cost=sc.costs.pick_pack,
          objects=f"lines:{len(o.skus)}")
    yield from _deliver(c, o)
    yield from _rework(c, o)
    if o.install and sc.partners.installers is not None:
        yield from _install(c)
    delivered(c, o)


def delivered(c: Buyer, o: Order) -> None:
    """The order has arrived (and is installed): counted, late or not, and closed. Also
    the end of an opening order in flight (:mod:`sim.opening`)."""
    L = c.model.ledger
    o.delivered = c.env.now
    o.late = o.delivered > o.promised
    if o.late:
        L.count("late_deliveries")
        c.penalise(c.seg.after_sale.late_penalty)
    L.count("delivered")
    L.count(f"delivered.{c.segment}")
    L.observe("order_to_delivery_days", (o.delivered - o.placed) / 24.0)
    L.close_order("delivered")
    c.open_orders -= 1


def _reserve(c: Buyer, o: Order) -> Generator[simpy.Event, Any, None]:
    """Take a unit for every line; lines without stock wait as backorders, and the customer
    cancels the whole order when the wait outlasts its patience."""
    model = c.model
    L = model.ledger
    env = c.env
    inv = model.inventory
    t0 = env.now
    lines = [(sku, inv.reserve(sku)) for sku in o.skus]
    waits = [(sku, ev) for sku, ev in lines if ev is not None]
    if not waits:
        return
    o.backordered = True
    L.count("backorders")
    patience = c.seg.patience.backorder.sample(
        model.streams.get(f"{c.segment}.patience.backorder"))
    pending = [ev for _, ev in waits]
    yield simpy.AllOf(env, pending) | env.timeout(patience)
    if not all(ev.triggered for ev in pending):
        for sku, ev in waits:
            if ev.triggered:
                inv.unreserve(sku)
            else:
                inv.cancel_backorder(sku, ev)
        for sku, line in lines:  # the lines taken from the shelf (an order may hold a
            if line is None:      # SKU twice: one line on hand, the other backordered)
                inv.unreserve(sku)
        L.count("orders_cancelled")
        L.close_order("cancelled")
        c.open_orders -= 1
        c.log("backorder", "erp", t0, "cancelled", objects=f"lines:{len(o.skus)}")
        raise Lost("backorder", "cancelled")
    c.log("backorder", "erp", t0, "filled", objects=f"lines:{len(o.skus)}")


def _rework(c: Buyer, o: Order) -> Generator[simpy.Event, Any, None]:
    """Keying errors found at delivery: a wrong address fails the delivery, a wrong item
    comes back. Either is put right by the customer-service team (``costs.error_fix_time``
    of work, queued like any other; its pay is labour cost) before the re-shipment; the
    parcel and the return handling are out-of-pocket ``rework`` cost."""
    sc = c.model.scenario
    L = c.model.ledger
    if o.errors_address or c.address_error:
        L.count("failed_deliveries")
        yield from fix_error(c, "wrong address")
        L.cost("rework", sc.costs.reship)
        yield from _deliver(c, o, reship=True)
    if o.errors_item:
        L.count("wrong_items")
        L.count("returns")  # the wrong item comes back: a return caused by an error
        c.penalise(c.seg.after_sale.wrong_order_penalty)
        yield from fix_error(c, "wrong item")
        L.cost("rework", sc.costs.reship + sc.costs.return_handling)
        yield from _deliver(c, o, reship=True)


def fix_error(c: Buyer, what: str) -> Generator[simpy.Event, Any, None]:
    """The customer-service team puts one keying error right: ``costs.error_fix_time`` of
    work at the team with role ``customer_service``, counted as its rework hours."""
    model = c.model
    team = model.scenario.team_for("customer_service")
    t0 = c.env.now
    work = model.scenario.costs.error_fix_time.sample(model.streams.get(f"{team}.rework"))
    yield from model.stations[team].serve(work)
    model.ledger.rework(team, work)
    c.log(f"error fixed: {what}", team, t0)


def _deliver(c: Buyer, o: Order, reship: bool = False) -> Generator[simpy.Event, Any, None]:
    model = c.model
    sc = model.scenario
    env = c.env
    car = sc.partners.carrier
    t0 = env.now
    wh = sc.warehouse
    if o.route == "store" and not reship:  # bought at the till: handed over there
        c.log("handover in store", o.channel, t0, objects="delivery")
        return
    store = c.rt.store
    if (not reship and c.kind == "b2c" and wh.bopis and store is not None
            and draw(c, "bopis") < wh.bopis_share):
        yield from model.links["carrier_booking"].transfer()
        yield from _pickup(c)
        yield env.timeout(car.transit.sample(model.streams.get("carrier.transit")))
        c.log("pickup in store", store, t0, objects="delivery")
        return
    yield from model.links["carrier_booking"].transfer()
    yield from _pickup(c)
    transit = car.transit.sample(model.streams.get("carrier.transit"))
    if model.streams.get("carrier.on_time").random() >= car.on_time:
        transit += car.late_delay.sample(model.streams.get("carrier.late_delay"))
    late = env.now + transit > o.promised
    if not reship:
        env.process(_wismo(c, o, env.now, transit, late))
    yield env.timeout(transit)
    model.ledger.cost("logistics", car.cost_per_parcel)
    c.log("reshipment" if reship else "delivery", "carrier", t0, cost=car.cost_per_parcel,
          objects="delivery")


def next_pickup(t: float, pickup_at: float | None) -> float:
    """Time of the carrier's first daily pick-up at or after ``t`` (``t`` itself without a
    pick-up time)."""
    if pickup_at is None:
        return t
    day = math.floor(t / 24.0)
    at = day * 24.0 + pickup_at
    return at if at >= t else at + 24.0


def _pickup(c: Buyer) -> Generator[simpy.Event, Any, None]:
    """A booked parcel waits for the carrier's daily pick-up (its cut-off)."""
    env = c.env
    wait = next_pickup(env.now, c.model.scenario.partners.carrier.pickup_at) - env.now
    if wait > 0:
        yield env.timeout(wait)


def _install(c: Buyer) -> Generator[simpy.Event, Any, None]:
    model = c.model
    inst = model.scenario.partners.installers
    assert inst is not None
    t0 = c.env.now
    yield from model.links["installer_booking"].transfer()
    start = model.installer_calendar.book(c.env.now)
    yield c.env.timeout(start - c.env.now)
    work = inst.install_time.sample(model.streams.get("installers.work"))
    yield from model.stations["installers"].serve(work)
    model.ledger.cost("partners", inst.cost_per_job)
    c.log("installation", "installers", t0, cost=inst.cost_per_job)
