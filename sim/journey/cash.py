"""Invoicing, payment collection, revenue recognition, returns and service after the sale.

- Revenue is recognised when the goods are delivered (and installed), and its cost of goods
  with it (order value x (1 - ``catalog.gross_margin``)); a refunded return reverses both.
- Consumers pay by card: the amount is captured at shipment, so there is no receivable.
- Business customers are invoiced by billing work: an order that was re-keyed by hand
  (e-mail, phone, fax, or a reseller's order keyed by the order desk) is invoiced by hand too,
  on the ``invoices.team`` queue (``touch_time`` + ``line_time`` per line); every invoice
  then waits for the invoice run (``links.invoicing``: weekly, nightly or at once); the
  ship-to-invoice lag (CALIBRATION P2 and the phase table) comes out of that. They pay after
  ``payment.terms``; a share pays late (P5), a share of
  the late ones is written off after ``costs.write_off_after``; overdue invoices get a dunning
  call from collections after ``costs.dunning_after``.
- An invoice with a wrong price (a keying error or a price change still on its way between
  masters) is disputed: the dispute team (``invoices.dispute_team``) investigates it on its
  queue, the corrected invoice is held until then and goes out through billing again (the
  payment clock restarts), which raises DSO.
- Cash is applied to the ledger through ``cash_posting``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import simpy

from sim.journey.common import Lost, Order, contact, draw, system
from sim.scenario import UNSTRUCTURED

if TYPE_CHECKING:
    from sim.customers import Buyer
    from sim.scenario import Costs
    from sim.scenario.segments import PaymentBehaviour
    from sim.streams import Stream


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


def cost_of_goods(c: Buyer, o: Order) -> float:
    """The cost of the goods of an order: its value x (1 - the catalogue's gross margin)."""
    return o.value * (1.0 - c.model.scenario.catalog.gross_margin)


def collect_opening_invoice(c: Buyer, o: Order, plan: PaymentPlan, age: float
                            ) -> Generator[simpy.Event, Any, None]:
    """An invoice of the opening balances (:mod:`sim.opening`), issued ``age`` hours before
    t=0: its revenue was recognised before the run, so it only becomes a receivable (part of
    ``invoiced_all``, so money conservation covers it) and waits out the rest of its
    ``plan`` through the same code as a new invoice, dunning and write-off included."""
    L = c.model.ledger
    c.set_stage("payment")
    o.invoiced = c.env.now - age
    L.invoice(o.value, credit=True)
    c.receivable += o.value
    collections = c.model.scenario.team_for("collections")
    yield from await_payment(c, o, collections, c.env.now, plan, age)
    yield from _paid(c, o)


def _recognise(c: Buyer, o: Order) -> None:
    """Revenue and its cost of goods at delivery, with the loyalty discount, the margin
    lost on a below-margin quote (``quoting.below_margin_loss`` of the value, kept if the
    goods come back) and the resellers' share of it."""
    sc = c.model.scenario
    L = c.model.ledger
    L.revenue(o.value, c.source, c.segment)
    L.cost_of_goods(cost_of_goods(c, o), c.segment)
    if o.below_margin:
        L.cost("leakage", o.value * sc.quoting.below_margin_loss)
    loyalty = sc.crm.loyalty
    if c.loyalty and loyalty is not None:
        # members earn points on every purchase; the redeemed share is a discount (a cost)
        L.cost("marketing", o.value * loyalty.points_rate * loyalty.redemption, c.segment)
        L.count("loyalty_redemptions")
    if o.partner:
        res = sc.partners.resellers
        L.cost("partners", o.value * res.commission)
        L.cost("coop_funds", o.value * res.coop_rate)


def _invoice(c: Buyer, o: Order, t0: float) -> Generator[simpy.Event, Any, None]:
    """A business invoice: the delivery waits as unbilled revenue until billing has issued
    it; then it is a receivable on payment terms."""
    model = c.model
    L = model.ledger
    L.unbilled += o.value  # delivered, not yet invoiced: cash waits for the invoice
    yield from _bill(c, o)
    o.invoiced = c.env.now
    L.unbilled -= o.value
    L.invoice(o.value, credit=True)
    c.receivable += o.value
    L.observe("ship_to_invoice_days", (o.invoiced - o.delivered) / 24.0)
    c.log("invoice", "billing", t0, objects="invoice")


def rekeyed(c: Buyer, o: Order) -> bool:
    """Whether a clerk keyed the business order in by hand (so billing has no clean record
    of it either)."""
    links = c.model.links
    if o.route == "partner":
        return links["partner_orders"].mode == "manual"
    return o.route in UNSTRUCTURED and links["order_desk"].mode == "manual"


def _bill(c: Buyer, o: Order) -> Generator[simpy.Event, Any, None]:
    """Billing work on one invoice: prepared by hand on the billing team if the order was
    re-keyed, then the invoice run and the billing system."""
    model = c.model
    inv = model.scenario.invoices
    if inv.team is not None and rekeyed(c, o):
        t1 = c.env.now
        work = inv.touch_time.sample(model.streams.get(f"{inv.team}.invoice_touch"))
        line = model.streams.get(f"{inv.team}.invoice_line")
        work += sum(inv.line_time.sample(line) for _ in o.skus)
        yield from model.stations[inv.team].serve(work)
        c.log("invoice prepared", inv.team, t1, objects="invoice")
    yield from model.links["invoicing"].transfer(len(o.skus))
    yield from system(c, "billing", "invoice issued", objects="invoice")


def _dispute(c: Buyer, o: Order, collections: str) -> Generator[simpy.Event, Any, None]:
    """A wrong price on the invoice: the customer disputes it on receipt, the dispute team
    (``invoices.dispute_team``, else collections) investigates it on its queue (its touch
    time, ``invoices.investigate_time`` and ``costs.error_fix_time`` of correction, counted
    as rework hours; the pay is labour cost) and the corrected invoice goes out through
    billing again (the payment clock restarts)."""
    model = c.model
    sc = model.scenario
    L = model.ledger
    env = c.env
    name = sc.invoices.dispute_team or collections
    team = sc.teams[name]
    o.disputed = True
    L.count("disputes")
    if o.price_mismatch:
        L.count("disputes_price_mismatch")
    c.penalise(c.seg.after_sale.dispute_penalty)
    t1 = env.now
    yield from contact(c, "dispute")
    work = team.touch_time.sample(model.streams.get(f"{name}.dispute_touch"))
    work += sc.invoices.investigate_time.sample(model.streams.get(f"{name}.dispute_investigate"))
    work += sc.costs.error_fix_time.sample(model.streams.get(f"{name}.dispute_fix"))
    yield from model.stations[name].serve(work)
    L.rework(name, work)
    L.observe("dispute_days", (env.now - t1) / 24.0)
    c.log("dispute resolved", name, t1, objects="invoice")
    yield from _bill(c, o)


@dataclass(frozen=True)
class PaymentPlan:
    """When a business invoice will be paid or written off, decided when it is issued.

    Attributes:
        delay: Hours from issue to payment (or to the write-off), dunning call excluded.
        late: Whether the customer pays late.
    """

    delay: float
    late: bool


def payment_plan(pay: PaymentBehaviour, costs: Costs, u_late: float, u_write_off: float,
                 late_delay: Stream) -> PaymentPlan:
    """The payment plan of one invoice from two uniform draws and the late-delay stream: on
    terms, late by ``late_delay``, or (a late one, with ``write_off_share``, or one whose
    delay would run past ``write_off_after``) never paid and written off ``write_off_after``
    past due. :mod:`sim.opening` draws opening invoices with
    the same rule."""
    delay = pay.terms
    late = u_late < pay.late_share
    if late and pay.late_delay is not None:
        delay += pay.late_delay.sample(late_delay)
    if late and u_write_off < pay.write_off_share:
        delay = max(delay, pay.terms + costs.write_off_after)
    if late:  # a debt still open ``write_off_after`` past due is written off then
        delay = min(delay, pay.terms + costs.write_off_after)
    return PaymentPlan(delay, late)


def _await_payment(c: Buyer, o: Order, collections: str, t0: float) -> Generator[
        simpy.Event, Any, None]:
    """Wait for the payment of a new invoice (its plan drawn from the segment's streams)."""
    pay = c.seg.payment
    model = c.model
    u_late = draw(c, "payment.late")
    # only a late payer draws from the write-off stream (streams are separate, so the order
    # of the draws does not matter)
    u_write_off = draw(c, "payment.write_off") if u_late < pay.late_share else 1.0
    plan = payment_plan(pay, model.scenario.costs, u_late, u_write_off,
                        model.streams.get(f"{c.segment}.payment.late_delay"))
    yield from await_payment(c, o, collections, t0, plan)


def await_payment(c: Buyer, o: Order, collections: str, t0: float, plan: PaymentPlan,
                  age: float = 0.0) -> Generator[simpy.Event, Any, None]:
    """Wait out an invoice's payment ``plan``, ``age`` hours after it was issued: a dunning
    call from collections ``dunning_after`` past due if it is paid later than that (unless
    that moment is already past), then the payment and its posting, or the write-off
    ``write_off_after`` past due. ``age > 0`` is an opening invoice (:mod:`sim.opening`)."""
    model = c.model
    sc = model.scenario
    L = model.ledger
    env = c.env
    pay = c.seg.payment
    issued = env.now - age
    due = issued + pay.terms
    dun_at = pay.terms + sc.costs.dunning_after
    remaining = plan.delay - age
    if plan.delay > dun_at and age < dun_at:
        yield env.timeout(dun_at - age)
        yield from model.stations[collections].serve(
            sc.teams[collections].touch_time.sample(model.streams.get(f"{collections}.touch")))
        L.count("dunning_calls")
        c.log("dunning", collections, env.now, objects="invoice")
        remaining = plan.delay - dun_at
    if remaining > 0:
        yield env.timeout(remaining)
    if plan.late and env.now - due >= sc.costs.write_off_after - 1e-9:
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
    if o.opening:  # entered before the run: its accuracy was never simulated
        return
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
        L.refund(o.value, c.segment)
        L.cost_of_goods(-cost_of_goods(c, o), c.segment)  # the goods come back to stock
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
