"""Invoicing, payment collection, revenue recognition, returns and service after the sale.

- Revenue is recognised when the goods are delivered (and installed).
- Consumers pay by card: the amount is captured at shipment, so there is no receivable.
- Business customers are invoiced through ``invoicing`` (ship-to-invoice lag, CALIBRATION
  P2 and the phase table) and pay after ``payment.terms``; a share pays late (P5), a share of
  the late ones is written off after ``costs.write_off_after``; overdue invoices get a dunning
  call from collections after ``costs.dunning_after``.
- An invoice with a wrong price (a keying error or a price change still on its way between
  masters) is disputed: collections resolve it and the clock restarts, which raises DSO.
- Cash is applied to the ledger through ``cash_posting``.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.journey.common import Lost, Order, contact, draw, system

if TYPE_CHECKING:
    from sim.customers import Buyer


def collect(c: Buyer, o: Order) -> Generator[simpy.Event, Any, None]:
    """Recognise revenue, invoice and collect the cash for a delivered order."""
    _recognise(c, o)
    c.set_stage("invoice")
    t0 = c.env.now
    if c.kind == "b2c":
        yield from system(c, "payments", "card captured", objects="invoice payment")
        c.model.ledger.invoice(o.value, credit=False)
        o.invoiced = c.env.now
        yield from _paid(c, o)
        return
    yield from _invoice(c, o, t0)
    c.set_stage("payment")
    collections = c.model.scenario.team_for("collections")
    if o.errors_price or o.price_mismatch:
        yield from _dispute(c, o, collections)
    yield from _await_payment(c, o, collections, t0)
    yield from _paid(c, o)


def _recognise(c: Buyer, o: Order) -> None:
    """Revenue at delivery, with the loyalty discount and the resellers' share of it."""
    sc = c.model.scenario
    L = c.model.ledger
    L.revenue(o.value, c.source, c.segment)
    loyalty = sc.crm.loyalty
    if c.loyalty and loyalty is not None:
        # members earn points on every purchase; the redeemed share is a discount (a cost)
        L.cost("marketing", o.value * loyalty.points_rate * loyalty.redemption)
        L.count("loyalty_redemptions")
    if o.partner:
        res = sc.partners.resellers
        L.cost("partners", o.value * res.commission)
        L.cost("coop_funds", o.value * res.coop_rate)


def _invoice(c: Buyer, o: Order, t0: float) -> Generator[simpy.Event, Any, None]:
    """A business invoice: the delivery waits as unbilled revenue until ``invoicing`` and
    billing have issued it; then it is a receivable on payment terms."""
    model = c.model
    L = model.ledger
    L.unbilled += o.value  # delivered, not yet invoiced: cash waits for the invoice
    yield from model.links["invoicing"].transfer(len(o.skus))
    yield from system(c, "billing", "invoice issued", objects="invoice")
    o.invoiced = c.env.now
    L.unbilled -= o.value
    L.invoice(o.value, credit=True)
    c.receivable += o.value
    L.observe("ship_to_invoice_days", (o.invoiced - o.delivered) / 24.0)
    c.log("invoice", "billing", t0, objects="invoice")


def _dispute(c: Buyer, o: Order, collections: str) -> Generator[simpy.Event, Any, None]:
    """A wrong price on the invoice: the customer disputes it, collections resolve it (their
    touch time plus ``costs.error_fix_time`` of correction work, counted as their rework
    hours; the pay is labour cost) and a corrected invoice goes out (the payment clock
    restarts)."""
    model = c.model
    sc = model.scenario
    L = model.ledger
    env = c.env
    team = sc.teams[collections]
    o.disputed = True
    L.count("disputes")
    if o.price_mismatch:
        L.count("disputes_price_mismatch")
    c.penalise(c.seg.after_sale.dispute_penalty)
    yield env.timeout(c.seg.payment.terms * 0.5)
    t1 = env.now
    yield from contact(c, "dispute")
    work = team.touch_time.sample(model.streams.get(f"{collections}.dispute_touch"))
    work += sc.costs.error_fix_time.sample(model.streams.get(f"{collections}.dispute_fix"))
    yield from model.stations[collections].serve(work)
    L.rework(collections, work)
    yield env.timeout(sc.costs.dispute_handling_time.sample(
        model.streams.get(f"{collections}.dispute")))
    c.log("dispute resolved", collections, t1, objects="invoice")
    yield from model.links["invoicing"].transfer(len(o.skus))


def _await_payment(c: Buyer, o: Order, collections: str, t0: float
                   ) -> Generator[simpy.Event, Any, None]:
    """Wait for the payment: on terms, or late (a dunning call from collections after
    ``dunning_after``), or never (written off after ``write_off_after``); then the cash is
    posted."""
    model = c.model
    sc = model.scenario
    L = model.ledger
    env = c.env
    pay = c.seg.payment
    due = env.now + pay.terms
    delay = pay.terms
    late = draw(c, "payment.late") < pay.late_share
    if late and pay.late_delay is not None:
        delay += pay.late_delay.sample(model.streams.get(f"{c.segment}.payment.late_delay"))
    if late and draw(c, "payment.write_off") < pay.write_off_share:
        delay = max(delay, pay.terms + sc.costs.write_off_after)
    if delay > pay.terms + sc.costs.dunning_after:
        yield env.timeout(pay.terms + sc.costs.dunning_after)
        yield from model.stations[collections].serve(
            sc.teams[collections].touch_time.sample(model.streams.get(f"{collections}.touch")))
        L.count("dunning_calls")
        c.log("dunning", collections, env.now, objects="invoice")
        delay -= pay.terms + sc.costs.dunning_after
    if delay > 0:
        yield env.timeout(delay)
    if late and env.now - due >= sc.costs.write_off_after - 1e-9:
        L.write_off(o.value)
        c.receivable -= o.value
        c.log("written off", collections, t0, "written_off", objects="invoice")
        raise Lost("payment", "written_off")
    t2 = env.now
    yield from model.links["cash_posting"].transfer()
    c.receivable -= o.value
    c.log("cash applied", "cash_posting", t2, objects="invoice")


def _paid(c: Buyer, o: Order) -> Generator[simpy.Event, Any, None]:
    model = c.model
    L = model.ledger
    env = c.env
    if c.kind != "b2c":
        yield from system(c, "payments", "payment received", objects="payment invoice")
    L.pay(o.value)
    o.paid = env.now
    L.count("orders_paid")
    if c.purchases == 0:
        days = (o.paid - c.arrived) / 24.0
        L.observe("lead_to_cash_days", days, cohort=c.cohort)
        if c.kind != "b2c":
            L.observe("lead_to_cash_days_b2b", days, cohort=c.cohort)
    if o.quote_started >= 0:
        L.observe("quote_to_cash_days", (o.paid - o.quote_started) / 24.0,
                  cohort=c.cohort)
    accurate = o.correct
    perfect = accurate and not o.late and not o.backordered and not o.disputed
    L.count("orders_closed")
    if accurate:
        L.count("orders_accurate")
    if perfect:
        L.count("orders_perfect")


def after_sale(c: Buyer, o: Order) -> Generator[simpy.Event, Any, None]:
    """Returns and service contacts; the purchase then counts for the customer."""
    model = c.model
    sc = model.scenario
    L = model.ledger
    env = c.env
    c.set_stage("after_sale")
    a = c.seg.after_sale
    if draw(c, "returns") < a.base_return_rate:
        t0 = env.now
        o.returned = True
        L.count("returns")
        L.refund(o.value)
        L.cost("logistics", sc.costs.return_handling)
        store = c.rt.store
        if sc.warehouse.returns_to_store and store is not None and c.kind == "b2c":
            ch = sc.channels[store]
            work = ch.service_time.sample(model.streams.get(f"{store}.returns"))
            yield from model.stations[store].serve(work)
            c.log("return in store", store, t0, cost=sc.costs.return_handling)
        else:
            yield from contact(c, "return")
            yield env.timeout(sc.partners.carrier.transit.sample(
                model.streams.get("carrier.returns")))
            c.log("return by carrier", "carrier", t0, cost=sc.costs.return_handling)
        for sku in o.skus:
            model.inventory.release(sku)
    if draw(c, "service") < a.service_contact:
        yield from contact(c, "service")
    c.purchases += 1
