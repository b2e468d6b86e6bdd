"""Customer segments: consumers, business buyers and service requests.

A segment is one of three kinds, told apart by its ``kind`` field (a discriminated union),
and each kind requires exactly the blocks its journey reads:

- :class:`ConsumerSegment` (``kind: b2c``): shoppers with a ``cart`` block, who pay by card,
- :class:`BusinessSegment` (``kind: smb`` or ``enterprise``): buyers with a sales ``funnel``,
  order intake routes, configured products, resellers and credit,
- :class:`ServiceSegment` (``kind: service``): requests routed through stations by a
  ``service`` route, with no order (the validation networks).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from sim.distributions import Distribution, parse_distribution
from sim.scenario.fields import (
    Duration,
    DurationDist,
    IntakeRoute,
    IntUpTo100,
    LeadSource,
    Money,
    MoneyDist,
    NonNeg,
    NonNegInt,
    Number,
    NumberDist,
    Prob,
    Strict,
    UpToMillion,
    duration_default,
    shares,
)

#: lines per order at most, on average (each line is keyed, picked and checked)
MAX_MEAN_LINES = 1000


class CartBehaviour(Strict):
    """B2C shoppers: intent, and how strongly each checkout friction drives abandonment."""

    add_to_cart: Prob = Field(
        description="probability a first-time visitor puts something in the cart (0-1): intent "
                    "before any friction")
    repeat_add_to_cart: Prob = Field(default=0.5, description=(
        "the same for a returning customer (0-1)"))
    recommendation_response: NonNeg = Field(default=0.05, description=(
        "A: relative rise of a returning customer's add-to-cart probability when the shop "
        "recommends from a purchase history it can see (>= 0; crm.recommendations)"))
    just_browsing: Prob = Field(description=(
        "probability a cart is left because the shopper was only browsing (0-1; CALIBRATION C2)"))
    unexpected_cost: Prob = Field(
        description="probability of leaving when shipping and fees appear only at the end (0-1; "
                    "unless checkout.costs_shown_upfront)")
    extra_costs: Prob = Field(
        default=0.0, description="probability of leaving because shipping and fees are too high "
                                 "(0-1; pricing, at every phase)")
    other_reasons: Prob = Field(
        default=0.0, description="probability of leaving for reasons the model has no mechanism "
                                 "for (0-1; distrust, returns policy)")
    slow_delivery: Prob = Field(0.0, description="leave probability per day the promised "
                                "delivery is later than delivery_accepted")
    step_time: DurationDist = Field(default_factory=duration_default("0 s"), description=(
        "A: a shopper's time on one cart or checkout page, besides loading it (a duration or "
        "distribution): how long shoppers are in the cart"))
    delivery_accepted: Duration = Field(default=3 * 24.0, description=(
        "delivery time shoppers accept without hesitation (a duration); see slow_delivery"))
    forced_account: Prob = Field(description=(
        "probability a shopper without an account leaves when forced to create one (0-1)"))
    per_extra_step: Prob = Field(description=(
        "probability of leaving at each checkout step past the first (0-1)"))
    stock_out_leave: Prob = Field(description=(
        "probability of leaving when the item is out of stock (0-1)"))
    price_mismatch_leave: Prob = Field(
        description="probability of leaving when channels show different prices (0-1; price "
                    "masters out of sync)")
    context_lost_leave: Prob = Field(
        description="probability of leaving when a channel switch loses the cart (0-1; unless "
                    "crm.context_survives_switch)")
    payment_failure_leave: Prob = Field(default=0.5, description=(
        "probability of leaving after a card is declined (0-1)"))
    slow_checkout_leave: Prob = Field(default=0.0, description=(
        "probability of leaving at each checkout page slower than 3 s (0-1)"))
    decided_share: Prob = Field(default=0.0, description=(
        "share of shoppers past the fixed reasons who had decided to buy: no checkout friction "
        "loses them (0-1; a customer assumption)"))
    multichannel_share: Prob = Field(description=(
        "probability a shopper switches channel within one purchase (0-1)"))
    has_account_share: Prob = Field(description=(
        "share of new shoppers who already have an account (0-1)"))


class Funnel(Strict):
    """B2B lead-to-order behaviour; response-time decay after CALIBRATION F4."""

    mql: Prob = Field(description=(
        "probability a lead answered at once becomes marketing-qualified (0-1)"))
    response_floor: Prob = Field(
        description="share of mql kept however late the first response (0-1): p = mql x (floor + "
                    "(1 - floor) x exp(-response / tau))")
    response_tau: Duration = Field(
        gt=0, description="time constant of that decay with the first-response time (a duration > "
                          "0; CALIBRATION F4)")
    sql: Prob = Field(description=(
        "probability a marketing-qualified lead becomes sales-qualified (0-1)"))
    opportunity: Prob = Field(description=(
        "probability a sales-qualified lead becomes an opportunity (0-1)"))
    win: Prob = Field(description="probability an opportunity with a quote in time is won (0-1)")
    meetings: IntUpTo100 = Field(default=1, description=(
        "sales meetings per qualified lead before the quote (0-100; at least one is held)"))
    quote_patience: DurationDist = Field(description=(
        "how long a buyer waits for a quote before buying elsewhere (a duration or distribution)"))
    approval_share: Prob = Field(description=(
        "probability the buyer's side needs an internal approval (0-1)"))
    approval_delay: DurationDist = Field(description=(
        "time the buyer's approval takes (a duration or distribution)"))
    approval_drop: Prob = Field(description="probability the deal is lost in that approval (0-1)")


class Patience(Strict):
    """How long a buyer waits: on a call, in a queue, for a first response, for a
    backorder."""

    call: DurationDist = Field(description=(
        "how long a caller waits in the queue before hanging up (a duration or distribution)"))
    queue: DurationDist = Field(
        description="how long a visitor waits at a staffed channel other than a contact centre (a "
                    "store line) before leaving")
    lead: DurationDist = Field(description=(
        "how long a lead waits for a first response before losing interest"))
    backorder: DurationDist = Field(description=(
        "how long a buyer waits for an item out of stock before cancelling"))


class PaymentBehaviour(Strict):
    """Payment terms and behaviour (business buyers) and card declines (consumers)."""

    terms: Duration = Field(default=0.0, description=(
        "payment terms: time from invoice to due date (a duration; 0: paid at once, as by card)"))
    late_share: Prob = Field(default=0.0, description="probability an invoice is paid late (0-1)")
    late_delay: DurationDist | None = Field(default=None, description=(
        "how late a late invoice is paid (a duration or distribution; null: on the due date)"))
    write_off_share: Prob = Field(default=0.0, description=(
        "probability a late invoice is never paid and written off (0-1)"))
    card_decline: Prob = Field(default=0.0, description=(
        "probability a card payment is declined (0-1)"))
    credit_approval: Prob = Field(
        default=0.8, description="probability credit control approves an order that takes the "
                                 "buyer past its credit limit (0-1); a refused order is cancelled")


class AfterSale(Strict):
    """Returns, service contacts, repeat purchases, referrals and what sours a customer."""

    base_return_rate: Prob = Field(description=(
        "probability a delivered order is returned (0-1; wrong items add to it)"))
    wismo_contact: Prob = Field(description=(
        "probability of a where-is-my-order contact per order (0-1; doubled when late)"))
    service_contact: Prob = Field(description=(
        "probability of a service contact after delivery (0-1)"))
    status_lookup: Prob = Field(0.0, description=(
        "A: share of customers with a where-is-my-order question who look the status up "
        "online first (checkout.order_status_page); they call only if it is stale (0-1)"))
    question_topics: Annotated[int, Field(ge=1, le=100_000), Number] = Field(1000, description=(
        "A: how many distinct topics the segment's service questions are about, ranked by "
        "how often they are asked (whole number 1-100,000)"))
    topic_skew: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False), Number] = Field(
        0.5, description=(
            "A: how concentrated the questions are: the topic of rank r is asked in proportion "
            "to r^-topic_skew (0-10; 0: every topic equally often)"))
    chatbot_first: Prob = Field(0.0, description=(
        "A: share of service contacts a customer starts in the company's chatbot, if it has "
        "one; what the bot cannot answer goes on to an agent (0-1)"))
    repeat: Prob = Field(description=(
        "probability a satisfied customer buys again (0-1; scaled by satisfaction)"))
    interpurchase: DurationDist = Field(description=(
        "time between a customer's purchases (a duration or distribution)"))
    referral: Prob = Field(description=(
        "probability a fully satisfied customer refers a neighbour, who arrives as a lead (0-1)"))
    loyalty_signup: Prob = Field(default=0.0, description=(
        "probability a buyer joins the loyalty programme at an order (0-1; needs crm.loyalty)"))
    late_penalty: Prob = Field(
        description="share of satisfaction lost when an order arrives late (0-1; satisfaction x "
                    "(1 - penalty))")
    wrong_order_penalty: Prob = Field(description=(
        "share of satisfaction lost on a wrong item or address (0-1)"))
    dispute_penalty: Prob = Field(description=(
        "share of satisfaction lost on a disputed invoice (0-1)"))
    wait_penalty: Prob = Field(description=(
        "share of satisfaction lost when a contact waits over 30 min or gives up (0-1)"))

    def retention(self, lift: float = 0.0) -> float:
        """Probability a fully satisfied customer buys again, with a repeat ``lift`` (the
        loyalty programme's, or its mean over members and others); satisfaction scales it
        in the journey (:meth:`sim.customers.Buyer.decide_next`)."""
        return min(self.repeat * (1.0 + lift), 1.0)


class ServiceStep(Strict):
    """One visit of a service request to a station: queue for a server, work, then go on.

    The step is named by its station (a channel, system or team, ``warehouse`` or
    ``installers``); ``next`` gives the probability of each station visited next, and the
    rest of the probability leaves the company served (an open routing network).
    """

    work: DurationDist | None = Field(
        None, description="work per visit (default: the station's own service_time, "
                          "touch_time, latency, pick_time or install_time)")
    patience: DurationDist | None = Field(
        None, description="the request gives up if no server is free within this "
                          "(reneging); default: it waits")
    next: dict[str, Prob] = Field(
        default_factory=dict, description="station -> probability of visiting it next; "
                                          "the rest leaves (probabilities sum to <= 1)")

    @field_validator("next")
    @classmethod
    def _at_most_one(cls, v: dict[str, float]) -> dict[str, float]:
        if sum(v.values()) > 1.0 + 1e-9:
            raise ValueError(f"probabilities sum to {sum(v.values()):g}; at most 1 allowed "
                             "(the rest leaves)")
        return v


# --------------------------------------------------------------------------- the kinds
class _Segment(Strict):
    """What every segment has: arrivals, lead sources and the channels it uses."""

    leads_per_day: UpToMillion = Field(description=(
        "new prospects per day (0 to 1,000,000; b2c: visits with some intent; b2b: leads)"))
    lead_sources: dict[LeadSource, NonNeg] = Field(description=(
        "lead source (ads, organic, trade_show, referral) -> weight; normalised to shares"))
    cost_per_lead: dict[LeadSource, Money] = Field(default_factory=dict, description=(
        "lead source -> cost of one lead from it (an amount; missing: free)"))
    channels: dict[str, NonNeg] = Field(
        description="channel name -> weight of choosing it (channels of the scenario)")

    @field_validator("lead_sources", "channels")
    @classmethod
    def _weights(cls, v: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        return shares(v, info.field_name or "weights")


class _Buyers(_Segment):
    """What consumers and business buyers share: orders, patience, payment, after-sale."""

    existing_customers: NonNegInt = Field(
        default=0, description="customers at the start who buy again (whole number >= 0); "
                               "'omnisim scenarios steady' measures a steady value")
    opening_satisfaction: list[Prob] = Field(
        default_factory=lambda: [1.0], min_length=1, max_length=100, description=(
            "satisfaction (0-1) of the opening base's members as equally likely values: each "
            "existing customer starts with one of them (its retention is repeat x "
            "satisfaction, and satisfaction only falls); 'omnisim scenarios steady' measures "
            "the deciles of the scenario's own steady base; default [1]: all fully satisfied"))
    order_value: MoneyDist = Field(description="value of one order (an amount or distribution)")
    order_lines: NumberDist = Field(
        default_factory=lambda: parse_distribution(1, "number"),
        description="lines per order (a number or distribution, mean at most 1000); each is "
                    "keyed, picked and checked")

    @field_validator("order_lines")
    @classmethod
    def _lines(cls, v: Distribution) -> Distribution:
        if not v.mean <= MAX_MEAN_LINES:
            raise ValueError(f"the mean number of lines must be at most {MAX_MEAN_LINES}; "
                             f"got {v.mean:g}")
        return v
    patience: Patience = Field(description=(
        "how long buyers wait: on a call, in a queue, for a first response, for a backorder"))
    payment: PaymentBehaviour = Field(default_factory=PaymentBehaviour, description=(
        "payment terms and behaviour"))
    after_sale: AfterSale = Field(description=(
        "returns, contacts, repeat purchases, referrals and what sours a customer"))


def _portal_only() -> dict[IntakeRoute, float]:
    return {"portal": 1.0}


class ConsumerSegment(_Buyers):
    """Consumers (``kind: b2c``): they visit channels, fill a cart and pay by card."""

    kind: Literal["b2c"] = Field(description="b2c: consumers who fill a cart and pay by card")
    cart: CartBehaviour = Field(description=(
        "shoppers' intent and how strongly each checkout friction makes them leave"))


class BusinessSegment(_Buyers):
    """Business buyers (``kind: smb`` or ``enterprise``): a sales funnel, quotes, order
    intake routes, configured products, resellers and credit."""

    kind: Literal["smb", "enterprise"] = Field(description=(
        "smb or enterprise: business buyers with a sales funnel, quotes and credit"))
    funnel: Funnel = Field(description="the sales funnel from lead to order")
    order_intake: dict[IntakeRoute, NonNeg] = Field(
        default_factory=_portal_only, description="route (portal, edi, email, phone, fax) -> "
                                                  "weight of orders arriving by it; email, phone "
                                                  "and fax are re-keyed")
    configured_share: Prob = Field(default=0.0, description=(
        "probability an order is a configured bundle that needs a quote and components (0-1)"))
    installation_share: Prob = Field(default=0.0, description=(
        "probability a configured order needs installation (0-1)"))
    nonstandard_share: Prob = Field(default=0.0, description=(
        "probability a quoted line is a non-standard configuration that CPQ cannot price "
        "(0-1): the pricing team prices it by hand either way"))
    credit_limit: MoneyDist | None = Field(
        default=None, description="a buyer's credit limit (an amount or distribution; null: no "
                                  "limit); orders past it go to credit control")

    @property
    def reseller_share(self) -> float:
        """Share of the segment's leads that resellers find and sell themselves (the
        ``reseller`` lead source): the accounts they own, on which commission is paid."""
        total = sum(self.lead_sources.values())
        return self.lead_sources.get("reseller", 0.0) / total if total > 0 else 0.0

    @field_validator("order_intake")
    @classmethod
    def _intake_weights(cls, v: dict[str, float]) -> dict[str, float]:
        return shares(v, "order_intake")


class ServiceSegment(_Segment):
    """Service requests (``kind: service``): contacts routed through stations by
    ``service``, with no order (the validation networks)."""

    kind: Literal["service"] = Field(description=(
        "service: requests routed through stations, with no order (validation networks)"))
    service: dict[str, ServiceStep] = Field(
        min_length=1, description="the route of a request, one step per station it may "
                                  "visit; it arrives at one of the segment's channels")


#: A segment of any kind, chosen by its ``kind`` field.
Segment = Annotated[ConsumerSegment | BusinessSegment | ServiceSegment,
                    Field(discriminator="kind")]
#: The segments that place orders.
BuyerSegment = ConsumerSegment | BusinessSegment
SEGMENT_MODELS: dict[str, type[Strict]] = {"b2c": ConsumerSegment, "smb": BusinessSegment,
                  "enterprise": BusinessSegment, "service": ServiceSegment}


def check_route(where: str, seg: ServiceSegment, stations: list[str]) -> None:
    """A service route names real stations, starts at every channel of the segment, and lets
    every request leave eventually (from each step, some path reaches a step whose ``next``
    probabilities sum to less than 1), so no request circulates for ever."""
    route = seg.service
    for name, step in route.items():
        if name not in stations:
            raise ValueError(f"{where}.service.{name}: no station '{name}' (stations: "
                             f"{', '.join(stations)})")
        for nxt in step.next:
            if nxt not in route:
                raise ValueError(f"{where}.service.{name}.next: '{nxt}' has no step in "
                                 f"{where}.service (steps: {', '.join(route)})")
    for ch in seg.channels:
        if ch not in route:
            raise ValueError(f"{where}.service: channel '{ch}' has no step (requests arrive "
                             f"at the segment's channels: {', '.join(seg.channels)})")
    leaves = {n for n, st in route.items() if sum(st.next.values()) < 1.0 - 1e-9}
    changed = True
    while changed:  # grow the set of steps from which a request can leave
        changed = False
        for n, st in route.items():
            if n not in leaves and any(p > 0 and m in leaves for m, p in st.next.items()):
                leaves.add(n)
                changed = True
    trapped = [n for n in route if n not in leaves]
    if trapped:
        raise ValueError(f"{where}.service: a request at {', '.join(trapped)} can never "
                         "leave (every path loops with probability 1)")
