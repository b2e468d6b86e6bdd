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
    NumberDist,
    Prob,
    Strict,
    UpToMillion,
    shares,
)

#: lines per order at most, on average (each line is keyed, picked and checked)
MAX_MEAN_LINES = 1000


class CartBehaviour(Strict):
    """B2C shoppers: intent, and how strongly each checkout friction drives abandonment."""

    add_to_cart: Prob
    repeat_add_to_cart: Prob = 0.5
    just_browsing: Prob
    unexpected_cost: Prob
    extra_costs: Prob = 0.0
    other_reasons: Prob = 0.0
    slow_delivery: Prob = Field(0.0, description="leave probability per day the promised "
                                "delivery is later than delivery_accepted")
    delivery_accepted: Duration = 3 * 24.0
    forced_account: Prob
    per_extra_step: Prob
    slow_page_sensitivity: NonNeg
    stock_out_leave: Prob
    price_mismatch_leave: Prob
    context_lost_leave: Prob
    payment_failure_leave: Prob = 0.5
    slow_checkout_leave: Prob = 0.0
    multichannel_share: Prob
    has_account_share: Prob


class Funnel(Strict):
    """B2B lead-to-order behaviour; response-time decay after CALIBRATION F4."""

    mql: Prob
    response_floor: Prob
    response_tau: Duration = Field(gt=0)
    sql: Prob
    opportunity: Prob
    win: Prob
    meetings: IntUpTo100 = 1
    quote_patience: DurationDist
    approval_share: Prob
    approval_delay: DurationDist
    approval_drop: Prob


class Patience(Strict):
    """How long a buyer waits: on a call, in a queue, for a first response, for a
    backorder."""

    call: DurationDist
    queue: DurationDist
    lead: DurationDist
    backorder: DurationDist


class PaymentBehaviour(Strict):
    """Payment terms and behaviour (business buyers) and card declines (consumers)."""

    terms: Duration = 0.0
    late_share: Prob = 0.0
    late_delay: DurationDist | None = None
    write_off_share: Prob = 0.0
    card_decline: Prob = 0.0
    credit_approval: Prob = 0.8


class AfterSale(Strict):
    """Returns, service contacts, repeat purchases, referrals and what sours a customer."""

    base_return_rate: Prob
    wismo_contact: Prob
    service_contact: Prob
    repeat: Prob
    interpurchase: DurationDist
    referral: Prob
    loyalty_signup: Prob = 0.0
    late_penalty: Prob
    wrong_order_penalty: Prob
    dispute_penalty: Prob
    wait_penalty: Prob


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

    leads_per_day: UpToMillion
    lead_sources: dict[LeadSource, NonNeg]
    cost_per_lead: dict[LeadSource, Money] = Field(default_factory=dict)
    channels: dict[str, NonNeg] = Field(
        description="channel name -> weight of choosing it (channels of the scenario)")

    @field_validator("lead_sources", "channels")
    @classmethod
    def _weights(cls, v: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        return shares(v, info.field_name or "weights")


class _Buyers(_Segment):
    """What consumers and business buyers share: orders, patience, payment, after-sale."""

    existing_customers: NonNegInt = 0
    order_value: MoneyDist
    order_lines: NumberDist = Field(default_factory=lambda: parse_distribution(1, "number"))

    @field_validator("order_lines")
    @classmethod
    def _lines(cls, v: Distribution) -> Distribution:
        if not v.mean <= MAX_MEAN_LINES:
            raise ValueError(f"the mean number of lines must be at most {MAX_MEAN_LINES}; "
                             f"got {v.mean:g}")
        return v
    patience: Patience
    payment: PaymentBehaviour = Field(default_factory=PaymentBehaviour)
    after_sale: AfterSale


def _portal_only() -> dict[IntakeRoute, float]:
    return {"portal": 1.0}


class ConsumerSegment(_Buyers):
    """Consumers (``kind: b2c``): they visit channels, fill a cart and pay by card."""

    kind: Literal["b2c"]
    cart: CartBehaviour


class BusinessSegment(_Buyers):
    """Business buyers (``kind: smb`` or ``enterprise``): a sales funnel, quotes, order
    intake routes, configured products, resellers and credit."""

    kind: Literal["smb", "enterprise"]
    funnel: Funnel
    order_intake: dict[IntakeRoute, NonNeg] = Field(default_factory=_portal_only)
    configured_share: Prob = 0.0
    installation_share: Prob = 0.0
    partner_share: Prob = 0.0
    credit_limit: MoneyDist | None = None

    @field_validator("order_intake")
    @classmethod
    def _intake_weights(cls, v: dict[str, float]) -> dict[str, float]:
        return shares(v, "order_intake")


class ServiceSegment(_Segment):
    """Service requests (``kind: service``): contacts routed through stations by
    ``service``, with no order (the validation networks)."""

    kind: Literal["service"]
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
