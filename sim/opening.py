"""Opening balances: the run starts at a stationary point of the scenario's own cycles.

With ``opening.state: steady`` (the default) every existing customer and every SKU starts
where it would be, at a random moment, in a company that had been running its own policies
for a long time, so receivables, orders in flight and stock do not have to fill up first:

- **Customers.** A member of the base joined it with its first order and, after each
  purchase, goes through the order in flight (order to delivery and, for business buyers,
  the invoicing lag), then the open invoice (business buyers; consumers pay by card at
  shipment); then it stays with the *retention* probability ``r`` (``after_sale.repeat``,
  raised by the loyalty programme's lift for its members) and waits the gap to its next
  purchase (plus re-quoting of configured products), or leaves. By Little's law per phase,
  every order starts one order phase and one invoice phase but only ``r`` gaps, so at a
  random moment a member is in a phase with probability proportional to *order*,
  *invoice* and *r x gap* (:class:`Cycle`; a renewal cycle of customers who never leave
  would weigh the gap fully, and starts short-lived customers with far too few orders in
  flight and open invoices). It is part-way through its phase by the phase's *equilibrium*
  age: the phase length is drawn length-biased (a long phase is more likely to be under way
  at a given moment) and a uniform share of it has passed (:func:`equilibrium_residual`;
  for an exponential gap this is a fresh gap).

  - *dormant*: waits the equilibrium residual of its gap, then buys again;
  - *invoice open* (business buyers): an invoice of the segment's ``order_value`` whose
    payment plan (late, written off, late delay) is drawn with the segment's own
    probabilities, length-biased by its open time, and of an age uniform over that time;
    it is a receivable from t=0 (part of ``invoiced_all``) and the rest of the plan runs
    through :func:`sim.journey.cash.await_payment`, dunning and write-off included;
  - *order in flight*: an order placed before t=0 (counted as placed at t=0 for the order
    conservation check, not in the window's orders) that is delivered after the residual
    of its fulfilment time, then invoiced and collected as any other.

- **Stock.** Every SKU starts just before a review of its (review period, order-up-to)
  policy with the plan's demand (``catalog.planned_units_per_day``): the order-up-to level
  less the demand of the last review period and the replenishments still on their way.
  Those are the orders of past reviews (each the demand of one period, a Poisson count)
  whose lead times (one per review, as the planner draws them) have not run out; they
  arrive after their remaining lead times (:func:`opening_stock`).

Approximations (the phase means are derived from the scenario's parameters, not from a pilot
run): queueing is ignored in the mean phase lengths (a batch link waits half its interval, a
manual one its touch time); the order-in-flight phase is taken as gamma with a cv of
:data:`PHASE_CV`; satisfaction, which scales the retention (a customer stays with ``repeat x
satisfaction``) and only falls, cannot be derived from the parameters, so each existing
customer starts with a value drawn from its segment's ``opening_satisfaction`` (the deciles
of the members' satisfaction in the scenario's own steady state, measured by ``omnisim
scenarios steady``) and its phase is drawn with its own retention; with the default [1] (all
fully satisfied) the opening customers leave too seldom at first and the dormant share is
too large where service is poor (baseline, 4 seeds: the enterprise base rose from 39 to 46
by day 90 and receivables by a third; small-business accounts held an invoice 62% of the
time against the 55% expected); a promotion wakes a dormant customer after an exponential
time of mean *interval / response* (:func:`gap_until_offer`; the offers really go out every
interval); the after-sale (returns, service contacts) counts as dormant; a customer part-way
through a re-quote starts dormant; opening invoices are never disputed; opening orders in
flight skip the warehouse and the stock (picked before t=0) and the after-sale of earlier
purchases is over; the stock ignores the forecast error of past reviews and never starts
below zero. Prospects (leads part-way through the funnel) are not part of the opening: new
leads start arriving at t=0, so orders from new accounts take a funnel's time to reach their
rate (phase 6, one run: enterprise orders 0.3 a day over days 0-10 against about 1.1 later,
whose funnel to a won order takes about 10 days; small-business orders, about 2 days, are at
their rate at once); the warm-up covers that.
Each customer's draws come from its segment's ``opening.<segment>.*`` streams and the
stock's from ``opening.stock.*``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from sim.distributions import (
    Constant,
    Distribution,
    Empirical,
    Erlang,
    Exponential,
    Gamma,
    Lognormal,
    Normal,
    Poisson,
    Triangular,
    Uniform,
)
from sim.journey.cash import PaymentPlan, payment_plan
from sim.journey.common import Order
from sim.journey.fulfil import promised_lead
from sim.scenario import UNSTRUCTURED, BatchLink, BusinessSegment, ManualLink

if TYPE_CHECKING:
    from sim.customers import Buyer
    from sim.model import OmniModel
    from sim.scenario import BuyerSegment, Catalog, Link, Scenario
    from sim.streams import Stream, Streams

#: coefficient of variation assumed for the order-in-flight phase (A)
PHASE_CV = 0.5
#: rejection sampling truncates a distribution without an upper bound this many standard
#: deviations (or means, for a late delay) above its mean (the tail beyond is negligible)
TAIL = 8.0


# --------------------------------------------------------------------------- length bias
def length_biased(dist: Distribution, stream: Stream) -> float:
    """A draw of the length-biased version of ``dist`` (density ``x f(x) / E[X]``).

    Exact closed forms for the families that have one: exponential(m) gives gamma(2, m),
    gamma(k, s) gives gamma(k + 1, s), erlang(m, k) gives gamma(k + 1, m / k), lognormal
    (median, sigma) gives lognormal(median e^(sigma^2), sigma), a constant itself. Other
    families by rejection sampling: draw x, keep it with probability x / M, where M is the
    distribution's upper bound (uniform, triangular, empirical, a bounded normal) or lies
    :data:`TAIL` standard deviations above the mean (normal without a bound, Poisson).
    """
    if isinstance(dist, Constant):
        return dist.value
    if isinstance(dist, Exponential):
        return stream.gamma(2.0, dist.mean)
    if isinstance(dist, Gamma):
        return stream.gamma(dist.shape + 1.0, dist.scale)
    if isinstance(dist, Erlang):
        return stream.gamma(dist.k + 1.0, dist.mean / dist.k)
    if isinstance(dist, Lognormal):
        return dist.median * math.exp(dist.sigma * dist.sigma + dist.sigma * stream.normal())
    bound = _upper_bound(dist)
    if bound <= 0:
        return 0.0
    while True:
        x = dist.sample(stream)
        if x > 0 and stream.random() * bound < x:
            return x


def _upper_bound(dist: Distribution) -> float:
    """A bound for rejection sampling of the families without a closed form."""
    if isinstance(dist, Uniform):
        return dist.low + dist.width
    if isinstance(dist, Triangular):
        return dist.high
    if isinstance(dist, Empirical):
        return max(dist.values)
    if isinstance(dist, Normal):
        return dist.high if math.isfinite(dist.high) else dist.mu + TAIL * dist.sd
    if isinstance(dist, Poisson):
        return dist.mean + TAIL * math.sqrt(dist.mean) + 1.0
    raise TypeError(f"no length-biased draw for {dist!r}")


def equilibrium_residual(dist: Distribution, stream: Stream) -> float:
    """The time left of a renewal interval of ``dist`` under way at a random moment: a
    uniform share of a length-biased draw (mean ``E[X^2] / (2 E[X])``, i.e.
    ``(1 + cv^2) / 2`` of the mean)."""
    x = length_biased(dist, stream)
    return stream.random() * x


# --------------------------------------------------------------------------- the cycle
def promotion_wake(sc: Scenario) -> float:
    """Mean hours until a promotion wakes a dormant customer (``inf`` without
    promotions): offers go out every ``interval`` and each is taken up with the response
    probability (:attr:`sim.scenario.company.Crm.offer_response`)."""
    promo = sc.crm.promotions
    p = sc.crm.offer_response
    return promo.interval / p if promo is not None and p > 0 else math.inf


def link_mean_wait(link: Link) -> float:
    """Mean hours an item spends crossing a link, queueing ignored: half the interval of a
    batch link, a manual link's touch time, a real-time call's latency; plus extra delay."""
    if isinstance(link, BatchLink):
        wait = link.interval / 2
    elif isinstance(link, ManualLink):
        wait = link.touch_time.mean + (link.every / 2 if link.every is not None else 0.0)
    else:
        wait = link.latency.mean
    return wait + (link.extra_delay.mean if link.extra_delay is not None else 0.0)


def quote_mean(sc: Scenario, seg: BusinessSegment) -> float:
    """Mean hours of a quote's work, queueing and opening hours ignored: the set-up, the
    lines priced by hand (all of them, or CPQ's non-standard ones) and, for a segment whose
    mean order needs approval, the approval link."""
    q = sc.quoting
    lines = seg.order_lines.mean
    hand = lines * (1.0 if q.mode == "manual" or "cpq" not in sc.systems
                    else seg.configured_share * seg.nonstandard_share)
    wait = (q.touch_time.mean + hand * q.line_time.mean
            + lines * seg.configured_share * q.engineering_time.mean
            * (seg.nonstandard_share if q.mode == "cpq" and "cpq" in sc.systems else 1.0))
    if q.approval_over is not None and seg.order_value.mean >= q.approval_over:
        wait += link_mean_wait(sc.links["quote_approval"])
    return wait


def invoicing_mean(sc: Scenario, seg: BusinessSegment) -> float:
    """Mean hours from delivery to invoice, queueing ignored: hand preparation of the
    re-keyed share (the segment's unstructured intake, with a manual order desk) and the
    invoice run."""
    inv = sc.invoices
    wait = link_mean_wait(sc.links["invoicing"])
    if inv.team is not None and isinstance(sc.links["order_desk"], ManualLink):
        share = sum(w for r, w in seg.order_intake.items() if r in UNSTRUCTURED)
        share /= sum(seg.order_intake.values()) or 1.0
        wait += share * (inv.touch_time.mean + seg.order_lines.mean * inv.line_time.mean)
    return wait


def fulfilment_mean(sc: Scenario, seg: BuyerSegment) -> float:
    """Mean hours from an order placed to delivered (installed), queueing ignored."""
    links = sc.links
    car = sc.partners.carrier
    hours = (link_mean_wait(links["oms_to_erp"]) + link_mean_wait(links["erp_to_wms"])
             + sc.warehouse.pick_time.mean + link_mean_wait(links["carrier_booking"])
             + car.transit.mean + (1.0 - car.on_time) * car.late_delay.mean)
    if isinstance(seg, BusinessSegment):
        suppliers = sc.partners.suppliers.values()
        if suppliers:
            parts = max(s.lead_time.mean * (2.0 - s.availability) for s in suppliers)
            hours += seg.configured_share * (link_mean_wait(links["supplier_po"]) + parts)
        inst = sc.partners.installers
        if inst is not None:
            hours += seg.configured_share * seg.installation_share * (
                link_mean_wait(links["installer_booking"]) + inst.notice
                + inst.install_time.mean)
    return hours


def open_invoice_mean(sc: Scenario, seg: BuyerSegment) -> float:
    """Mean hours a business invoice stays open: terms, plus the late share's delay ``D``
    cut at ``write_off_after`` (a debt still open then is written off), plus for the
    written-off ones the rest of ``write_off_after``: ``E[min(D, cut)] + share x E[(cut -
    D)+]`` (exact for an exponential late delay; ``min(mean, cut)`` for ``E[min(D, cut)]``
    otherwise)."""
    pay = seg.payment
    late = pay.late_delay.mean if pay.late_delay is not None else 0.0
    cut = sc.costs.write_off_after
    if isinstance(pay.late_delay, Exponential) and late > 0:
        paid = late * (1.0 - math.exp(-cut / late))  # E[min(D, cut)]
    else:
        paid = min(late, cut)
    return pay.terms + pay.late_share * (paid + pay.write_off_share * (cut - paid))


def gap_until_offer(gap: Distribution, wake: float) -> float:
    """Mean hours of a gap that a promotion cuts short: ``E[min(G, W)]`` with ``G`` the
    gap and ``W`` exponential with mean ``wake`` (``inf``: no promotions), i.e.
    ``wake (1 - E[exp(-G / wake)])`` (:func:`laplace`)."""
    if not math.isfinite(wake):
        return gap.mean
    return wake * (1.0 - laplace(gap, 1.0 / wake))


def laplace(dist: Distribution, s: float) -> float:
    """The Laplace transform ``E[exp(-s X)]`` of ``X`` drawn from ``dist``.

    Exact for a constant, exponential, gamma, Erlang, uniform, Poisson or empirical
    distribution. A lognormal, normal or triangular one is approximated by the gamma of the
    same mean and variance (a two-moment match, not exact); one with a mean or variance of 0
    or less by the constant ``max(mean, 0)``.

    Args:
        dist: The distribution of ``X`` (hours).
        s: The transform's argument (per hour, >= 0).

    Returns:
        A number in (0, 1].

    Raises:
        TypeError: For a distribution family not listed above.
    """
    if isinstance(dist, Constant):
        return math.exp(-s * dist.value)
    if isinstance(dist, Exponential):
        return 1.0 / (1.0 + s * dist.mean)
    if isinstance(dist, Gamma):
        return (1.0 + s * dist.scale) ** -dist.shape
    if isinstance(dist, Erlang):
        return (1.0 + s * dist.mean / dist.k) ** -dist.k
    if isinstance(dist, Uniform):
        if dist.width <= 0:
            return math.exp(-s * dist.low)
        return math.exp(-s * dist.low) * -math.expm1(-s * dist.width) / (s * dist.width)
    if isinstance(dist, Poisson):
        return math.exp(dist.mean * math.expm1(-s))
    if isinstance(dist, Empirical):
        cum = [0.0, *dist.cum_weights]
        return sum((cum[i + 1] - cum[i]) * math.exp(-s * v)
                   for i, v in enumerate(dist.values)) / cum[-1]
    if isinstance(dist, Lognormal):
        var = dist.mean ** 2 * math.expm1(dist.sigma ** 2)
    elif isinstance(dist, Normal):
        var = dist.sd ** 2
    elif isinstance(dist, Triangular):
        a, c, b = dist.low, dist.mode, dist.high
        var = (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0
    else:
        raise TypeError(f"no Laplace transform for {dist!r}")
    if dist.mean <= 0 or var <= 0:
        return math.exp(-s * max(dist.mean, 0.0))
    scale = var / dist.mean
    return (1.0 + s * scale) ** -(dist.mean / scale)


@dataclass(frozen=True)
class Cycle:
    """Mean hours of the phases of an existing customer's renewal cycle (approximate, see
    the module docstring).

    Attributes:
        gap: Between purchases, plus re-quoting of configured products.
        order: Order placed to invoiced (delivered, for consumers).
        invoice: Invoice open (0 for consumers).
        invoicing: The invoicing lag part of ``order`` (0 for consumers).
        retention: Probability that a purchase is followed by a gap rather than the end of
            the relationship (see the module docstring); it weighs the gap.
    """

    gap: float
    order: float
    invoice: float
    invoicing: float = 0.0
    retention: float = 1.0

    @classmethod
    def of(cls, sc: Scenario, seg: BuyerSegment) -> Cycle:
        """The cycle of a segment of ``sc``."""
        a = seg.after_sale
        gap = gap_until_offer(a.interpurchase, promotion_wake(sc))
        order = fulfilment_mean(sc, seg)
        loyalty = sc.crm.loyalty
        lift = 0.0
        if not isinstance(seg, BusinessSegment):
            if loyalty is not None:  # only consumers join the programme (journey.order)
                lift = loyalty.repeat_lift * a.loyalty_signup
            return cls(gap, order, 0.0, retention=a.retention(lift))
        gap += seg.configured_share * quote_mean(sc, seg)
        invoicing = invoicing_mean(sc, seg)
        return cls(gap, order + invoicing, open_invoice_mean(sc, seg), invoicing,
                   retention=a.retention())

    def satisfied(self, satisfaction: float) -> Cycle:
        """The cycle of a member with ``satisfaction`` (its retention scaled by it)."""
        if satisfaction == 1.0:
            return self
        return replace(self, retention=self.retention * satisfaction)

    @property
    def total(self) -> float:
        """Mean time a member spends per purchase: the order and invoice phases, and the
        gap with probability ``retention``."""
        return self.retention * self.gap + self.order + self.invoice

    @property
    def shares(self) -> tuple[float, float, float]:
        """Probabilities of being dormant, with an order in flight, holding an invoice."""
        total = self.total
        return self.retention * self.gap / total, self.order / total, self.invoice / total


# --------------------------------------------------------------------------- customers
@dataclass
class Start:
    """Where one existing customer starts.

    Attributes:
        wait: Hours left of its gap (dormant), or of its order in flight.
        order: The order in flight or invoiced (None when dormant).
        plan: The open invoice's payment plan (None unless it holds one).
        age: Hours since the invoice was issued.
    """

    wait: float
    order: Order | None = None
    plan: PaymentPlan | None = None
    age: float = 0.0


class OpeningBalances:
    """Draws the opening state of a model's existing customers, segment by segment."""

    def __init__(self, model: OmniModel) -> None:
        self.model = model
        sc = model.scenario
        self.cycles: dict[str, Cycle] = {}
        self._streams: dict[str, dict[str, Stream]] = {}
        for name, seg in sc.segments.items():
            if seg.kind == "service":
                continue
            self.cycles[name] = Cycle.of(sc, seg)
            self._streams[name] = {p: model.streams.get(f"opening.{name}.{p}") for p in
                                   ("state", "gap", "invoice", "late_delay", "order",
                                    "satisfaction")}

    def start(self, c: Buyer) -> Start:
        """Where existing customer ``c`` starts (see the module docstring): its satisfaction
        (one of the segment's ``opening_satisfaction`` values), then its phase."""
        cycle = self.cycles[c.segment]
        s = self._streams[c.segment]
        values = c.seg.opening_satisfaction
        c.satisfaction = (values[int(s["satisfaction"].random() * len(values))]
                          if len(values) > 1 else values[0])
        p_gap, p_order, _ = cycle.satisfied(c.satisfaction).shares
        u = s["state"].random()
        if u < p_gap:
            return Start(equilibrium_residual(c.seg.after_sale.interpurchase, s["gap"]))
        if u < p_gap + p_order:
            return self._order_in_flight(c, cycle, s["order"])
        return self._open_invoice(c, s["invoice"], s["late_delay"])

    def _order(self, c: Buyer, rnd: Stream) -> Order:
        seg = c.seg
        lines = max(1, int(seg.order_lines.sample(rnd)))
        cum = self.model.inventory.cum
        o = Order(c.case, seg.order_value.sample(rnd), [rnd.choice(cum) for _ in range(lines)],
                  max(seg.channels, key=lambda ch: seg.channels[ch]))
        o.opening = True
        if isinstance(seg, BusinessSegment):
            o.configured = rnd.random() < seg.configured_share
            o.install = o.configured and rnd.random() < seg.installation_share
            o.partner = c.source == "reseller"
        return o

    def _order_in_flight(self, c: Buyer, cycle: Cycle, rnd: Stream) -> Start:
        """An order placed before t=0: the equilibrium age within the order-to-invoice
        phase (gamma, cv :data:`PHASE_CV`); it is delivered once what is left of the phase
        beyond the invoicing lag has passed (the lag itself runs through the invoicing
        link)."""
        o = self._order(c, rnd)
        shape = 1.0 / PHASE_CV ** 2
        full = rnd.gamma(shape + 1.0, cycle.order / shape)
        age = rnd.random() * full
        o.placed = -age
        o.promised = o.placed + promised_lead(self.model.scenario, o.configured, o.install)
        return Start(max(full - age - cycle.invoicing, 0.0), o)

    def _open_invoice(self, c: Buyer, rnd: Stream, late_delay: Stream) -> Start:
        """An invoice under way at t=0: its plan drawn with the segment's probabilities and
        kept with probability (open time) / bound (length bias by rejection), its age
        uniform over the open time."""
        sc = self.model.scenario
        pay = c.seg.payment
        bound = pay.terms + TAIL * (pay.late_delay.mean if pay.late_delay is not None else 0.0)
        if pay.write_off_share > 0:
            bound += sc.costs.write_off_after
        while True:
            u_late = rnd.random()
            plan = payment_plan(pay, sc.costs, u_late, rnd.random(), late_delay)
            if rnd.random() * bound < plan.delay:
                break
        o = self._order(c, rnd)
        age = rnd.random() * plan.delay
        o.placed = o.invoiced = -age
        return Start(0.0, o, plan, age)


# --------------------------------------------------------------------------- stock
def opening_stock(cat: Catalog, daily: np.ndarray, streams: Streams
                  ) -> tuple[np.ndarray, list[tuple[int, int, float]]]:
    """Stock on hand and replenishments on their way at t=0 (see the module docstring).

    Args:
        cat: The catalogue (review interval, lead time, safety cover).
        daily: The plan's demand per SKU per day.
        streams: The model's streams (``opening.stock.lead_time``, ``opening.stock.demand``).

    Returns:
        On hand per SKU, and (sku, quantity, hours until it arrives) per order on its way.
    """
    lead = cat.replenishment_lead_time
    review = cat.review_interval
    per_review = daily * review / 24.0
    level = daily * cat.order_up_to_cover / 24.0
    lead_stream = streams.get("opening.stock.lead_time")
    gen = streams.get("opening.stock.demand").generator
    on_hand = level - gen.poisson(per_review)
    pipeline: list[tuple[int, int, float]] = []
    reviews = max(math.ceil((1.0 + TAIL) * lead.mean / review), 1)  # past the lead's tail
    for k in range(1, reviews + 1):
        left = lead.sample(lead_stream) - k * review
        qty = gen.poisson(per_review)
        if left <= 0:
            continue
        for sku in np.flatnonzero(qty).tolist():
            pipeline.append((sku, int(qty[sku]), left))
            on_hand[sku] -= qty[sku]
    return np.maximum(np.round(on_hand), 0).astype(np.int64), pipeline
