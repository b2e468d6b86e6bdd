"""Customers: Mesa agents whose lead-to-cash journey is a SimPy process.

A customer is created when a lead arrives (from ads, organic search, a trade show, or a
referral by a neighbour). There is one agent class per kind of segment, chosen when the agent
is made (``Customer(model, segment, ...)`` returns the right one):

- :class:`Consumer` (``b2c``): visits, cart and checkout (:mod:`sim.journey.shop`),
- :class:`BusinessBuyer` (``smb``, ``enterprise``): the sales funnel and quotes
  (:mod:`sim.journey.sales`),
- :class:`ServiceRequest` (``service``): a request routed through stations
  (:mod:`sim.journey.service`).

Consumers and business buyers are both :class:`Buyer`\\ s: once they have an order it runs
the same order, fulfilment and cash steps, and they may buy again. Every step may lose the
customer, and every customer ends in exactly one terminal state:

- ``lost:<step>``: never bought; left at the named step,
- ``paid``: bought, paid, and had no further need (the relationship ended naturally),
- ``churned``: bought and paid, would have bought again, but the experience drove it away,
- ``cancelled``: its order was cancelled (backorder patience, credit hold),
- ``written_off``: an invoice was never paid,
- ``served``: a service request (``kind: service``) that left its route served,
- ``in_flight``: still on a journey at the horizon.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import mesa
import simpy

from sim.journey import cash, fulfil, order, sales, service, shop
from sim.journey.common import Lost, Order
from sim.scenario import BusinessSegment, ConsumerSegment, ServiceSegment

__all__ = ["Buyer", "BusinessBuyer", "Consumer", "Customer", "Lost", "ServiceRequest"]

if TYPE_CHECKING:
    from sim.model import OmniModel
    from sim.scenario import BuyerSegment, Segment


class IdsOfLiveModels(weakref.WeakKeyDictionary[Any, "itertools.count[int]"]):
    """Each model's counter of agent ids (from 1), holding the models weakly.

    Mesa 3.3 keeps these counters in a class-level ``defaultdict`` keyed by the model
    (``mesa.Agent._ids``), so every model a process ever builds stays alive with all its
    agents, events and journey generators: a sweep or the workshop server grows by every run
    it makes, and every full garbage collection walks them again (a 75-run serial sweep of
    ``tests/scenarios/small.yaml``: 536 MB and 8.95 s with Mesa's dict, 258 MB and 6.22 s with
    this). Customers use this instead; a living model's ids are the same as with Mesa's dict.
    """

    def __getitem__(self, model: Any) -> itertools.count[int]:
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = self[model] = itertools.count(1)
            return counter


class Customer(mesa.Agent):
    """A prospect, customer or service request of one segment.

    ``Customer(model, segment, source, ...)`` makes the agent class of the segment's kind
    (:data:`AGENT_CLASSES`), so arrival processes and tests need not know the kinds.

    Args:
        model: the company.
        segment: the segment's name.
        source: the lead source (``ads``, ``organic``, ``trade_show``, ``referral``).
        market_id: which member of the market this is (drawn if None).
        existing: a customer of the base at the start (begins dormant, not counted as a lead).
        channel: where a B2C visitor already landed (see :meth:`OmniModel._arrivals`).
    """

    model: OmniModel
    seg: Segment
    #: agent ids per model, without keeping finished models alive (see IdsOfLiveModels)
    _ids = IdsOfLiveModels()

    def __new__(cls, model: OmniModel, segment: str, *args: Any, **kwargs: Any) -> Customer:
        if cls is Customer:
            cls = AGENT_CLASSES[model.scenario.segments[segment].kind]
        return super().__new__(cls)

    def __init__(self, model: OmniModel, segment: str, source: str,
                 market_id: int | None = None, existing: bool = False,
                 channel: str | None = None):
        super().__init__(model)
        env = model.env
        self.env = env
        self.segment = segment
        rt = self.rt = model.segment_runtime[segment]
        self.seg = rt.spec
        self.kind = rt.spec.kind
        self.source = source
        self.arrived = env.now
        self.cohort = model.in_window(env.now)
        self.market_id = (model.market_stream.integers(model.market_size) if market_id is None
                          else market_id)
        self.case = model.next_case()
        self.stage = ""
        self.purchases = 0
        self.satisfaction = 1.0
        self.has_account = rt.account_stream.random() < rt.account_share
        self.loyalty = False
        self.address_error = False
        self.receivable = 0.0
        self.open_orders = 0
        self.credit_limit = (rt.credit_limit.sample(rt.credit_stream)
                             if rt.credit_limit is not None else None)
        self._wake: simpy.Event | None = None
        self.done = False
        self.in_base = False  # has ordered and is still a customer (see join_base)
        # business objects for the event log (if it keeps them): see log() and relate()
        self._prospect = self.kind != "service"  # a lead until the first purchase is done
        self._related: tuple[int, str, float] = (0, "", 0.0)
        if not existing:
            model.count_lead(segment, source, self.cohort)
        model.created += 1
        self.set_stage("lead")
        if existing:
            self.purchases = 1
            model.customers_ever.add(self.market_id)
            self.join_base()
        #: the journey's SimPy process (a request queued at a station names it as its
        #: ``proc``, which is how the workshop's flow view finds who waits where)
        self.process = env.process(self.journey(existing, channel))

    # -- bookkeeping --------------------------------------------------------------------------
    def set_stage(self, stage: str) -> None:
        """Move the customer to a journey stage (counted in ``model.stage_counts``, whose
        journey stages are sampled into the time series)."""
        counts = self.model.stage_counts
        if self.stage:
            counts[self.stage] -= 1
        if stage:
            counts[stage] += 1
        self.stage = stage

    def log(self, activity: str, resource: str, start: float, outcome: str = "ok",
            cost: float = 0.0, objects: str = "") -> None:
        """One event-log row for the current case, ending now.

        If the event log keeps business objects, the row also names the lead (until the first
        purchase is done), the case's quote or order (see :meth:`relate`) and ``objects``
        (tokens as in :mod:`sim.eventlog`), with the value of the quote or order.
        """
        if not self.model.log_objects:
            self.model.eventlog.record(self.case, self.unique_id, self.segment, activity,
                                       resource, start, self.env.now, outcome, cost)
            return
        case, token, value = self._related
        if case == self.case:
            objects = f"{token} {objects}" if objects else token
        else:
            value = 0.0
        if self.purchases == 0 and self._prospect:
            objects = f"lead {objects}" if objects else "lead"
        self.model.eventlog.record(self.case, self.unique_id, self.segment, activity, resource,
                                   start, self.env.now, outcome, cost, objects, value)

    def relate(self, token: str, value: float) -> None:
        """From now on, rows of the current case also touch its ``quote`` or ``order`` (an
        object token of :mod:`sim.eventlog`), worth ``value``."""
        self._related = (self.case, token, value)

    def penalise(self, penalty: float) -> None:
        """A bad experience lowers satisfaction multiplicatively (CALIBRATION I9)."""
        self.satisfaction *= 1.0 - penalty

    def wake(self) -> None:
        """A promotion response: a dormant customer buys now instead of later."""
        if self._wake is not None and not self._wake.triggered:
            self._wake.succeed()

    def join_base(self) -> None:
        """The customer joins its segment's customer base (its first order, or the opening
        base); it leaves the base when its relationship ends (:meth:`finish`)."""
        if not self.in_base:
            self.in_base = True
            self.model.base[self.segment] += 1
            self.model.base_joins[self.segment] += 1

    def finish(self, state: str) -> None:
        """Enter the terminal ``state`` and leave the model (and the customer base, unless the
        run merely ends with the customer ``in_flight``)."""
        if self.done:
            return
        self.done = True
        if self.in_base and state != "in_flight":
            self.model.base[self.segment] -= 1
            self.model.base_leaves[self.segment] += 1
        self.set_stage("")
        self.model.terminal[state] += 1
        self.model.dormant.pop(self.unique_id, None)
        self.model.network.pop(self.market_id, None)
        self.remove()

    def remove(self) -> None:
        """Leave the model (Mesa's ``Agent.remove`` without its guard against a second
        removal: :meth:`finish` removes a customer once)."""
        self.model.deregister_agent(self)

    # -- the journey --------------------------------------------------------------------------
    def journey(self, existing: bool = False, channel: str | None = None
                ) -> Generator[simpy.Event, Any, None]:
        """The customer's whole journey (one SimPy process); each kind defines its own."""
        raise NotImplementedError
        yield  # pragma: no cover  (a generator)


class ServiceRequest(Customer):
    """A service request (``kind: service``): routed through stations, then it leaves."""

    seg: ServiceSegment

    def journey(self, existing: bool = False, channel: str | None = None
                ) -> Generator[simpy.Event, Any, None]:
        """Visit the route's stations; ``served`` when it leaves, ``lost:queue`` if it gave
        up waiting somewhere."""
        try:
            yield from service.request(self)
            self.finish("served")
        except Lost as lost:
            self.log("lost", "", self.env.now, lost.step)
            self.finish(lost.state)


class Buyer(Customer):
    """A customer who orders: lead to cash, then repeat purchases until the relationship
    ends."""

    seg: BuyerSegment

    def first_order(self, channel: str | None) -> Generator[simpy.Event, Any, Order]:
        """From the lead to a placed order (or :class:`Lost`)."""
        raise NotImplementedError
        yield  # pragma: no cover  (a generator)

    def next_order(self) -> Generator[simpy.Event, Any, Order]:
        """A returning customer's next order (or :class:`Lost`)."""
        raise NotImplementedError
        yield  # pragma: no cover  (a generator)

    def journey(self, existing: bool = False, channel: str | None = None
                ) -> Generator[simpy.Event, Any, None]:
        """Lead to cash, then repeat purchases until the relationship ends.

        An ``existing`` customer (the company's customer base at the start) begins where
        :mod:`sim.opening` puts it: dormant part-way through its gap, with an order in flight
        or holding an open invoice (``opening.state: steady``), or dormant with a uniform
        share of a gap left (``empty``).
        """
        try:
            if existing:
                ordr = yield from self.opening()
            else:
                ordr = yield from self.first_order(channel)
            while ordr is not None:
                yield from order.enter(self, ordr)
                yield from fulfil.fulfil(self, ordr)
                yield from cash.collect(self, ordr)
                ordr = yield from self.after_purchase(ordr)
        except Lost as lost:
            self.log("lost", "", self.env.now, lost.step)
            self.finish(lost.state)

    def opening(self) -> Generator[simpy.Event, Any, Order | None]:
        """An existing customer's start: the rest of the phase it is in at t=0, then the
        next order (None if the relationship ended)."""
        model = self.model
        if model.scenario.opening.state == "empty":
            yield from self.dormant_wait(residual=True)
        else:
            start = model.opening.start(self)
            o = start.order
            if o is not None:  # received before t=0: a business object of the event log
                model.ledger.count_all("orders_received")
                self.relate("order", o.value)
            if o is not None and start.plan is not None:  # an open invoice
                self.log("opening balance", "", self.env.now, "invoice open",
                         objects="invoice")
                yield from cash.collect_opening_invoice(self, o, start.plan, start.age)
                return (yield from self.after_purchase(o))
            if o is not None:  # an order in flight, placed before t=0
                model.ledger.open_order()
                self.open_orders += 1
                self.set_stage("fulfilment")
                self.log("opening balance", "", self.env.now, "order in flight")
                yield self.env.timeout(start.wait)
                fulfil.delivered(self, o)
                yield from cash.collect(self, o)
                return (yield from self.after_purchase(o))
            yield from self.dormant_wait(wait=start.wait)
        self.case = model.next_case()
        return (yield from self.next_order())

    def after_purchase(self, o: Order) -> Generator[simpy.Event, Any, Order | None]:
        """After-sale, then repeat or end; the next order, or None if the customer left."""
        yield from cash.after_sale(self, o)
        ended = self.decide_next()
        if ended is not None:
            self.finish(ended)
            return None
        yield from self.dormant_wait()
        self.case = self.model.next_case()
        return (yield from self.next_order())

    def decide_next(self) -> str | None:
        """Repeat, churn or end after a paid purchase; None means the customer stays."""
        a = self.seg.after_sale
        model = self.model
        lift = 0.0
        loyalty = model.scenario.crm.loyalty
        if self.loyalty and loyalty is not None:
            lift = loyalty.repeat_lift
        p = a.retention(lift)
        u = model.streams.get(f"customer.{self.segment}.repeat").random()
        self.refer()
        model.ledger.count("retention_decisions")
        model.ledger.count(f"retention_decisions.{self.segment}")
        model.ledger.observe("satisfaction", self.satisfaction)
        if u < p * self.satisfaction:
            model.ledger.count("retained")
            model.ledger.count(f"retained.{self.segment}")
            return None
        return "churned" if u < p else "paid"

    def refer(self) -> None:
        """A satisfied customer may bring a neighbour in as a referral lead."""
        a = self.seg.after_sale
        model = self.model
        if self.satisfaction < 0.999 or a.referral <= 0:
            return
        rnd = model.streams.get(f"customer.{self.segment}.referral")
        if rnd.random() >= a.referral:
            return
        nb = model.neighbours(self.market_id)
        if not nb:
            return
        target = nb[rnd.integers(len(nb))]
        if target in model.customers_ever:
            return
        model.ledger.count("referrals")
        Customer(model, self.segment, "referral", market_id=target)

    def dormant_wait(self, residual: bool = False, wait: float | None = None
                     ) -> Generator[simpy.Event, Any, None]:
        """Wait for the next purchase (or an earlier one, if a promotion lands).

        With ``residual`` only a uniform share of the gap is left (customers already part-way
        through it at the start, ``opening.state: empty``); ``wait`` gives the time left
        instead of drawing a gap (:mod:`sim.opening`).
        """
        model = self.model
        self.set_stage("dormant")
        if wait is not None:
            gap = wait
        else:
            gap = self.seg.after_sale.interpurchase.sample(
                model.streams.get(f"customer.{self.segment}.interpurchase"))
        if residual:
            gap *= model.streams.get(f"customer.{self.segment}.residual").random()
        self._wake = self.env.event()
        model.dormant[self.unique_id] = self
        yield self.env.timeout(gap) | self._wake
        model.dormant.pop(self.unique_id, None)
        self._wake = None


class Consumer(Buyer):
    """A consumer (``kind: b2c``): visits a channel, fills a cart, checks out."""

    seg: ConsumerSegment

    def first_order(self, channel: str | None) -> Generator[simpy.Event, Any, Order]:
        """The first visit (where the visitor landed, if known) to a placed order."""
        return (yield from shop.first_purchase(self, channel))

    def next_order(self) -> Generator[simpy.Event, Any, Order]:
        """A returning consumer shops again."""
        return (yield from shop.repeat_purchase(self))


class BusinessBuyer(Buyer):
    """A business buyer (``kind: smb`` or ``enterprise``): sales funnel, quote, order."""

    seg: BusinessSegment

    def first_order(self, channel: str | None) -> Generator[simpy.Event, Any, Order]:
        """Lead, qualification, sales, quote and negotiation to the won order."""
        return (yield from sales.lead_to_order(self))

    def next_order(self) -> Generator[simpy.Event, Any, Order]:
        """A returning business customer orders again."""
        return (yield from sales.reorder(self))


#: The agent class of each segment kind.
AGENT_CLASSES: dict[str, type[Customer]] = {
    "b2c": Consumer, "smb": BusinessBuyer, "enterprise": BusinessBuyer,
    "service": ServiceRequest,
}
