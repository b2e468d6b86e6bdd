"""B2B: from a lead to a won deal.

1. The lead is recorded in the CRM and routed to sales through ``lead_routing`` (a clerk
   reading an inbox, a nightly batch assignment, or real-time routing).
2. First response: an inside-sales call. Leads go cold while waiting (patience), and the
   chance of qualifying decays with the response time (CALIBRATION F4, softened: see the
   ``response_floor``/``response_tau`` fields).
3. Account creation: with several customer masters, the account is keyed into each extra
   master through ``master_sync``; a keying error there leaves a wrong address.
4. Nurturing and scoring: with ``crm.lead_scoring`` on, a model scores the lead from its CRM
   record: its latent quality (1 if it will become sales-qualified, 0 if not) plus a normal
   error whose spread grows as the record is split over customer masters
   (:func:`scoring_noise`); a lead scoring below ``crm.scoring_threshold`` is nurtured
   without sales time. So scoring screens out leads that will not qualify, and loses some
   that would, in shares that follow from the data (no accuracy is typed).
5. Sales engagement (inside sales for small business, field sales for enterprise), then an
   opportunity, a quote (CPQ or by hand, :mod:`sim.journey.quote`), approvals and the
   decision.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import simpy

from sim.journey.common import Lost, Order, draw, system
from sim.journey.quote import quote

if TYPE_CHECKING:
    from sim.customers import BusinessBuyer
    from sim.scenario import Scenario


def _sales_channel(c: BusinessBuyer) -> str:
    """Where the segment's sales meetings happen (resolved in :mod:`sim.segments`: field
    sales for enterprise accounts, inside sales for small business, then the other, then a
    contact centre; the scenario guarantees one)."""
    channel = c.rt.sales
    assert channel is not None, "validated: a business segment has a sales channel"
    return channel


def _meeting(c: BusinessBuyer, channel: str, activity: str, patience: float | None,
             first: bool = False) -> Generator[simpy.Event, Any, bool]:
    """A meeting (or, ``first``, the first response to the lead: ``first_contact_time``
    where the channel has one) on a sales channel; whether the buyer was served."""
    model = c.model
    ch = model.scenario.channels[channel]
    t0 = c.env.now
    if first and ch.first_contact_time is not None:
        work = ch.first_contact_time.sample(model.streams.get(f"{channel}.first_contact"))
    else:
        work = ch.service_time.sample(model.streams.get(f"{channel}.service"))
    served, _ = yield from model.stations[channel].serve(work, patience)
    model.ledger.cost("transactions", ch.cost_per_interaction)
    c.log(activity, channel, t0, "ok" if served else "abandoned", ch.cost_per_interaction)
    return served


def lead_to_order(c: BusinessBuyer) -> Generator[simpy.Event, Any, Order]:
    """Lead, qualification, sales, quote and negotiation; returns the won order. A
    ``reseller`` lead is a deal the reseller works with its own sales people (no lead routing,
    first response or meetings of the company's); the company onboards, quotes and delivers."""
    model = c.model
    L = model.ledger
    f = c.seg.funnel
    yield from system(c, "crm", "lead recorded")
    if c.source == "reseller":
        if draw(c, "funnel.mql") >= f.mql:  # the reseller answers at once: no decay
            raise Lost("qualification")
        L.count(f"funnel.{c.segment}.mql", cohort=c.cohort)
        yield from _onboard(c)
        c.set_stage("sales")
        if draw(c, "funnel.sql") >= f.sql:
            raise Lost("nurture")
    else:
        yield from _own_sales(c)
    L.count(f"funnel.{c.segment}.sql", cohort=c.cohort)
    if draw(c, "funnel.opportunity") >= f.opportunity:
        raise Lost("sales_engagement")
    L.count(f"funnel.{c.segment}.opportunity", cohort=c.cohort)
    o = _new_order(c)
    yield from quote(c, o)
    yield from _negotiate(c)
    L.count(f"funnel.{c.segment}.won", cohort=c.cohort)
    return o


def scoring_noise(sc: Scenario) -> float:
    """The spread of a lead score's error: ``crm.scoring_noise`` on the whole customer record;
    split over m partial records (:attr:`Scenario.customer_record_parts`) the CRM holds one,
    and a score that averages 1/m of the record's signals has sqrt(m) times the error."""
    return sc.crm.scoring_noise * math.sqrt(sc.customer_record_parts)


def screened_share(sc: Scenario, will_qualify: bool) -> float:
    """Probability that lead scoring screens out a lead: its score (latent quality 1 or 0
    plus a normal error of :func:`scoring_noise`) falls below ``crm.scoring_threshold``."""
    gap = sc.crm.scoring_threshold - (1.0 if will_qualify else 0.0)
    sd = scoring_noise(sc)
    if sd == 0.0:
        return 1.0 if gap > 0 else 0.0
    return NormalDist(0.0, sd).cdf(gap)


def _own_sales(c: BusinessBuyer) -> Generator[simpy.Event, Any, None]:
    """The company's own sales: routing, first response (with the response decay), account,
    scoring and meetings, up to a sales-qualified lead."""
    model = c.model
    sc = model.scenario
    L = model.ledger
    f = c.seg.funnel
    t0 = c.env.now
    yield from model.links["lead_routing"].transfer()
    c.log("lead routed", "lead_routing", t0)
    patience = c.seg.patience.lead.sample(model.streams.get(f"{c.segment}.patience.lead"))
    left = patience - (c.env.now - c.arrived)
    if left <= 0:
        raise Lost("no_response")
    channel = c.rt.first_response or _sales_channel(c)
    if not (yield from _meeting(c, channel, "first response", left, first=True)):
        raise Lost("no_response")
    response = c.env.now - c.arrived
    L.observe("lead_response_hours", response, cohort=c.cohort)
    p = f.mql * (f.response_floor + (1 - f.response_floor) * math.exp(-response / f.response_tau))
    if draw(c, "funnel.mql") >= p:
        raise Lost("qualification")
    L.count(f"funnel.{c.segment}.mql", cohort=c.cohort)
    yield from _onboard(c)
    c.set_stage("sales")
    will_be_sql = draw(c, "funnel.sql") < f.sql
    if sc.crm.lead_scoring:
        scored = "scoring.qualifying" if will_be_sql else "scoring.not_qualifying"
        L.count(scored, cohort=c.cohort)
        if draw(c, "funnel.scoring") < screened_share(sc, will_be_sql):
            L.count(f"{scored}.screened", cohort=c.cohort)
            L.count("leads_filtered_by_scoring", cohort=c.cohort)
            raise Lost("nurture")
    sales_ch = _sales_channel(c)
    for i in range(max(f.meetings, 1)):
        if not (yield from _meeting(c, sales_ch, "sales meeting", patience)):
            raise Lost("sales_engagement")
        if i == 0 and not will_be_sql:
            raise Lost("nurture")


def reorder(c: BusinessBuyer) -> Generator[simpy.Event, Any, Order]:
    """A returning business customer orders again; configured products are re-quoted."""
    o = _new_order(c)
    if o.configured:
        yield from quote(c, o)
    return o


def _new_order(c: BusinessBuyer) -> Order:
    model = c.model
    seg = c.seg
    value = seg.order_value.sample(model.streams.get(f"{c.segment}.order_value"))
    lines = max(1, int(seg.order_lines.sample(model.streams.get(f"{c.segment}.lines"))))
    skus = [model.inventory.pick_sku() for _ in range(lines)]
    o = Order(c.case, value, skus, _sales_channel(c))
    o.configured = draw(c, "order.configured") < seg.configured_share
    o.install = o.configured and draw(c, "order.install") < seg.installation_share
    o.partner = c.source == "reseller"  # the reseller's own account: commission is due
    return o


def _onboard(c: BusinessBuyer) -> Generator[simpy.Event, Any, None]:
    """Account creation; extra customer masters are keyed by hand or synced."""
    model = c.model
    t0 = c.env.now
    yield from system(c, "crm", "account created")
    link = model.links["master_sync"]
    for _ in range(model.scenario.data_masters.customer - 1):
        errs = yield from link.transfer()
        if errs > 0:
            c.address_error = True
    c.log("onboarding", "master_sync", t0)


def _negotiate(c: BusinessBuyer) -> Generator[simpy.Event, Any, None]:
    model = c.model
    f = c.seg.funnel
    t0 = c.env.now
    if draw(c, "funnel.approval") < f.approval_share:
        yield c.env.timeout(f.approval_delay.sample(model.streams.get(f"{c.segment}.approval")))
        if draw(c, "funnel.approval_drop") < f.approval_drop:
            c.log("approval", "", t0, "rejected")
            raise Lost("approval")
    if draw(c, "funnel.win") >= f.win:
        c.log("negotiation", "", t0, "lost")
        raise Lost("negotiation")
    c.log("negotiation", "", t0, "won")
