"""What every part of the journey shares: the order record, system calls, contacts."""

from __future__ import annotations

import functools
import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.scenario.fields import SystemName
from sim.streams import cumulative

if TYPE_CHECKING:
    from sim.customers import Buyer, Customer
    from sim.model import OmniModel
    from sim.segments import SegmentRuntime


class Lost(Exception):
    """Raised inside a journey when the customer leaves; ``step`` names where."""

    def __init__(self, step: str, state: str | None = None):
        super().__init__(step)
        self.step = step
        self.state = state or f"lost:{step}"


#: contacts raised while the call centre is closed are made within this many hours of the
#: next opening (A), not all at the opening minute
CALL_BACK_SPREAD = 3.0


class Order:
    """One order and what happened to it on its way to cash."""

    __slots__ = (
        "case", "value", "skus", "channel", "route", "placed", "configured", "install",
        "partner", "errors_item", "errors_price", "errors_address", "price_mismatch",
        "oversold", "backordered", "late", "delivered", "invoiced", "paid", "disputed",
        "quote_started", "returned", "promised", "opening", "below_margin",
    )

    def __init__(self, case: int, value: float, skus: list[int], channel: str):
        self.case = case
        self.value = value
        self.skus = skus
        self.channel = channel
        self.route = "portal"
        self.placed = -1.0
        self.configured = False
        self.install = False
        self.partner = False
        self.errors_item = 0
        self.errors_price = 0
        self.errors_address = 0
        self.price_mismatch = False
        self.oversold = False
        self.backordered = False
        self.late = False
        self.delivered = -1.0
        self.invoiced = -1.0
        self.paid = -1.0
        self.disputed = False
        self.quote_started = -1.0
        self.returned = False
        self.promised = 0.0
        #: an order of the opening balances (:mod:`sim.opening`): placed before the run, so
        #: its entry was not simulated and it is left out of the order-quality counts
        self.opening = False
        #: priced below margin at the quote: the margin lost is booked if it is delivered
        self.below_margin = False

    @property
    def correct(self) -> bool:
        """No keying error and no price mismatch reached the customer."""
        return not (self.errors_item or self.errors_price or self.errors_address
                    or self.price_mismatch)


def draw(c: Customer, name: str) -> float:
    """A uniform draw from the customer's segment stream ``name``."""
    return c.model.streams.get(f"{c.segment}.{name}").random()


def system(c: Customer, name: SystemName, activity: str, objects: str = ""
           ) -> Generator[simpy.Event, Any, None]:
    """One transaction on a back-office system (queue, latency, cost per transaction);
    ``objects`` are the event-log object tokens it touches (see :meth:`Customer.log`)."""
    model = c.model
    spec = model.scenario.systems.get(name)
    if spec is None:
        return
    st = model.stations[name]
    t0 = c.env.now
    yield from st.serve(spec.latency.sample(model.streams.get(f"system.{name}.latency")))
    model.ledger.cost("systems", spec.cost_per_transaction)
    c.log(activity, name, t0, cost=spec.cost_per_transaction, objects=objects)


def pick_channel(model: OmniModel, rt: SegmentRuntime) -> str | None:
    """A channel from the segment's preferences among those open now (None if none is).

    ``rt`` is the segment's runtime record; the open set is cached until the next opening or
    closing of any of its channels."""
    now = model.env.now
    hit = rt.open_now
    if hit is not None and hit[0] <= now < hit[1]:
        names, cum = hit[2], hit[3]
    else:
        stations = model.stations
        preference = rt.spec.channels
        names = tuple(ch for ch in rt.channels if stations[ch].is_open(now))
        weights = [preference[ch] for ch in names]
        cum = cumulative(weights) if sum(weights) > 0 else None
        until = min(stations[ch].open_until(now) for ch in rt.channels)
        rt.open_now = (now, until, names, cum)
    if cum is None:
        return None
    return names[rt.channel_stream.choice(cum)]


#: contact reasons that leave case work for the customer-service team once an agent has
#: taken them: a return to authorise and credit, a complaint or question to follow up
CASE_REASONS = ("return", "service")


def status_fresh(c: Buyer, since: float) -> bool:
    """Whether the order status that customers, the chatbot and agents can see (as fresh as
    the ``order_status`` link makes it) already shows what happened at ``since``."""
    now = c.env.now
    return now - c.model.links["order_status"].staleness(now) >= since


def contact(c: Buyer, reason: str, shipped: float | None = None
            ) -> Generator[simpy.Event, Any, bool]:
    """A service contact (order status, return, dispute, question).

    A share of contacts start in the segment's chatbot (``after_sale.chatbot_first``, if the
    company has a channel of role ``chatbot``), which answers a status question when the
    status it sees already shows the shipment (at ``shipped``, :func:`status_fresh`) and
    other questions whose topic its knowledge base covers (:func:`topic_share`; CALIBRATION
    O7-O8); it hands the rest over.
    Those queue at one of the segment's contact centres (role ``contact_centre``, see
    :mod:`sim.segments`), where callers hang up when their patience runs out (reneging:
    Erlang-A behaviour). A contact an agent took may leave case work for the
    customer-service team (:func:`case_work`). Returns whether the contact was served.
    """
    model = c.model
    sc = model.scenario
    t0 = c.env.now
    model.ledger.count("contacts")
    model.ledger.count(f"contacts.{reason}")
    rt = c.rt
    bot = rt.chatbot
    if (bot is not None and draw(c, "contact.chatbot") < c.seg.after_sale.chatbot_first
            and (yield from _chatbot(c, bot, reason, shipped))):
        return True
    name = rt.contact_centre()
    if name is None:
        return False
    cc = sc.channels[name]
    st = model.stations[name]
    wait_open = st.hours.until_open(c.env.now, st.offset) if st.hours else 0.0
    if wait_open > 0:  # raised while closed: the customer calls back during the next hours
        later = CALL_BACK_SPREAD * model.streams.get("contact.call_back").random()
        yield c.env.timeout(wait_open + later)
    patience = c.seg.patience.call.sample(model.streams.get(f"{c.segment}.patience.call"))
    work = cc.service_time.sample(model.streams.get(f"{name}.handle"))
    served, wait = yield from st.serve(work, patience)
    model.ledger.cost("transactions", cc.cost_per_interaction)
    if wait > 0.5 or not served:
        c.penalise(c.seg.after_sale.wait_penalty)
    c.log(f"contact:{reason}", name, t0, "ok" if served else "abandoned",
          cc.cost_per_interaction)
    if served:
        case_work(c, reason, shipped)
    return served


def _chatbot(c: Buyer, name: str, reason: str, shipped: float | None
             ) -> Generator[simpy.Event, Any, bool]:
    """A conversation with the chatbot ``name``: whether it answered the contact."""
    model = c.model
    bot = model.scenario.channels[name]
    t0 = c.env.now
    cost = yield from session(c, name, "handle")
    model.ledger.count("contacts_chatbot")
    if reason == "order_status" and shipped is not None:
        answered = status_fresh(c, shipped)
    else:
        a = c.seg.after_sale
        share = topic_share(a.question_topics, a.topic_skew, bot.topics_covered)
        answered = draw(c, "contact.self_service") < share
    model.ledger.count(f"chatbot.{reason}")
    if answered:
        model.ledger.count("contacts_self_served")
        model.ledger.count(f"chatbot.{reason}.answered")
    c.log(f"contact:{reason}", name, t0, "ok" if answered else "handed over", cost)
    return answered


@functools.lru_cache(maxsize=256)
def topic_share(topics: int, skew: float, covered: int) -> float:
    """The share of questions a chatbot answers: those whose topic is among the ``covered``
    most frequent of ``topics``, where the topic of rank r is asked in proportion to
    ``r ** -skew`` (a Zipf law; each topic added to the knowledge base answers fewer
    questions than the one before)."""
    if covered <= 0:
        return 0.0
    weights = [r ** -skew for r in range(1, topics + 1)]
    return math.fsum(weights[:covered]) / math.fsum(weights)


def session(c: Buyer, channel: str, purpose: str) -> Generator[simpy.Event, Any, float]:
    """One session on an unstaffed or staffed ``channel``: its ``service_time`` of work
    (stream ``<channel>.<purpose>``) with its cost per interaction booked; returns the cost."""
    model = c.model
    ch = model.scenario.channels[channel]
    yield from model.stations[channel].serve(
        ch.service_time.sample(model.streams.get(f"{channel}.{purpose}")))
    model.ledger.cost("transactions", ch.cost_per_interaction)
    return ch.cost_per_interaction


def case_work(c: Buyer, reason: str, shipped: float | None = None) -> None:
    """Case work an agent's contact leaves for the customer-service team (its
    ``touch_time``): a return or a complaint (:data:`CASE_REASONS`),
    or a trace of a parcel whose status the agent cannot see either (stale ``order_status``
    data). The team works it after the call; the customer does not wait for it."""
    if reason not in CASE_REASONS and not (
            reason == "order_status" and shipped is not None and not status_fresh(c, shipped)):
        return
    sc = c.model.scenario
    team = sc.team_for("customer_service")
    work = sc.teams[team].touch_time.sample(c.model.streams.get(f"{team}.touch"))
    c.env.process(_case(c, team, work, reason))


def _case(c: Buyer, team: str, work: float, reason: str) -> Generator[simpy.Event, Any, None]:
    t0 = c.env.now
    yield from c.model.stations[team].serve(work)
    c.model.ledger.count("service_cases")
    c.log(f"case:{reason}", team, t0)
