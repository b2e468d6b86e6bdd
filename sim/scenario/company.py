"""The company's parts: integration links, channels, systems, teams, partners, warehouse,
CRM, checkout, catalogue and costs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from sim.scenario.fields import (
    ChannelRole,
    Duration,
    DurationDist,
    Flag,
    Hours,
    IntUpTo100,
    IntUpTo1000,
    Money,
    NonNeg,
    NonNegInt,
    Number,
    PlanInterval,
    Pos,
    PosInt,
    Prob,
    SampleInterval,
    Strict,
    SyncInterval,
    TeamRole,
    UpTo4,
    UpTo100,
    UpTo1000,
    duration_default,
    hours_default,
)
from sim.scenario.staffing import Staffing, fixed


# --------------------------------------------------------------------------- links
class _LinkBase(Strict):
    extra_delay: DurationDist | None = Field(
        None, description="extra wait on top of the mode (paperwork, approvals, backlog)")


class ManualLink(_LinkBase):
    """A clerk re-keys the work item: touch time and keying errors (CALIBRATION O1-O3)."""

    mode: Literal["manual"]
    team: str = Field(description="the team (a name under teams) whose clerks key the item")
    touch_time: DurationDist
    error_per_field: Prob = 0.0
    fields_per_line: UpTo100 = 3.0


class BatchLink(_LinkBase):
    """Work and data wait for the next sync run every ``interval``."""

    mode: Literal["batch"]
    interval: SyncInterval
    offset: Duration = 0.0


class RealtimeLink(_LinkBase):
    """An API call: latency, failure probability and retry delay."""

    mode: Literal["realtime"]
    latency: DurationDist = Field(default_factory=duration_default("2 s"))
    failure: Annotated[float, Number] = Field(
        0.0, ge=0.0, lt=1.0,
        description="probability a call fails and is retried (< 1, or it would retry forever)")
    retry_after: Duration = 1 / 60


Link = Annotated[ManualLink | BatchLink | RealtimeLink, Field(discriminator="mode")]
LINK_MODELS: dict[str, type[Strict]] = {"manual": ManualLink, "batch": BatchLink,
                                         "realtime": RealtimeLink}


# --------------------------------------------------------------------------- demand, catalogue
class Peak(Strict):
    """A demand peak: ``factor`` times the usual arrivals for ``length`` from ``start``."""

    name: str
    start: Duration
    length: Duration = Field(gt=0)
    factor: Annotated[float, Field(gt=0.0, le=100.0, allow_inf_nan=False), Number]


class Calendar(Strict):
    """Relative demand by hour of day and weekday, and peaks."""

    hourly_profile: list[NonNeg] = Field(default_factory=lambda: [1.0] * 24,
                                         min_length=24, max_length=24)
    weekly_profile: list[NonNeg] = Field(default_factory=lambda: [1.0] * 7,
                                         min_length=7, max_length=7)
    peaks: list[Peak] = Field(default_factory=list)

    @field_validator("hourly_profile", "weekly_profile")
    @classmethod
    def _some_positive(cls, v: list[float]) -> list[float]:
        if sum(v) <= 0:
            raise ValueError("profile needs at least one positive value")
        return v


class Market(Strict):
    """The customers in reach, and their word-of-mouth network."""

    addressable_customers: PosInt
    network_degree: IntUpTo1000 = 4


class Catalog(Strict):
    """SKUs, stock policy, price changes and margin."""

    skus: PosInt = 50
    popularity_skew: NonNeg = 1.0
    stock_cover: Duration = 21 * 24.0
    safety_cover: Duration = 4 * 24.0
    review_interval: SampleInterval = 24.0
    replenishment_lead_time: DurationDist
    forecast_error: UpTo4 = Field(0.3, description="sigma of the lognormal error of the "
                                                  "demand forecast")
    price_changes_per_day: UpTo1000 = 2.0
    gross_margin: Prob = 0.35
    planned_units_per_day: Pos
    unit_cost: Money = Field(0.0, ge=0, description=(
        "standard cost of one unit in stock (one order line), at which stock, supplier "
        "receipts and issues to orders are valued; 0: stock is not valued"))
    supplier_terms: Duration = Field(0.0, ge=0, description=(
        "suppliers are paid this long after their goods arrive (0: paid on receipt); "
        "until then the purchase is a payable"))

    @property
    def order_up_to_cover(self) -> float:
        """Hours of demand the planner orders up to: the mean replenishment lead time, one
        review interval and the safety cover (:mod:`sim.inventory`, :mod:`sim.opening`)."""
        return self.replenishment_lead_time.mean + self.review_interval + self.safety_cover


class Opening(Strict):
    """The state the run starts from (:mod:`sim.opening`)."""

    state: Literal["steady", "empty"] = Field(
        default="steady",
        description="steady: the existing customers, receivables, orders in flight and "
                    "stock start at a stationary point of their own cycles (drawn from the "
                    "scenario's own parameters; catalog.stock_cover is then not used); "
                    "empty: every existing customer starts dormant with a uniform share of a "
                    "gap left, no receivables, no orders in flight, stock_cover on hand and "
                    "nothing on order")


class DataMasters(Strict):
    """How many separate systems hold each kind of master data (1 = single source of truth)."""

    customer: PosInt = 1
    product: PosInt = 1
    price: Annotated[int, Field(ge=1, le=100), Number] = 1


# --------------------------------------------------------------------------- stations
class Channel(Strict):
    """A sales or service channel; staffed channels queue, digital ones have page speed.

    ``role`` says what the channel does in the journey (web shop, contact centre, store ...);
    the classic names (``web``, ``call_centre``, ``store`` ...) imply their role, any other
    name needs one.
    """

    role: ChannelRole = Field(description="what the channel does: web_shop, app, marketplace, "
                                          "store, contact_centre, chatbot, inside_sales, "
                                          "field_sales or partner_portal")
    staffed: Flag
    staff: NonNegInt = 0
    hours: Hours = Field(default_factory=hours_default("24/7"))
    service_time: DurationDist
    first_contact_time: DurationDist | None = Field(
        default=None, description="work of a first response to a business lead (the call or "
                                  "e-mail that qualifies it) where it is shorter than a "
                                  "meeting; default: service_time")
    page_load: DurationDist | None = None
    checkout_steps: IntUpTo100 = 0
    device: Literal["desktop", "mobile", "none"] = "none"
    self_service: Prob = 0.0
    cost_per_staff_hour: Money = 0.0
    cost_per_interaction: Money = 0.0
    fixed_cost_per_day: Money = 0.0
    staffing: Staffing = Field(default_factory=fixed,
                               description="how the headcount follows the work (staff is the "
                                           "opening headcount)")

    @model_validator(mode="after")
    def _staff(self) -> Channel:
        if self.staffed and self.staff < 1:
            raise ValueError("a staffed channel needs staff >= 1")
        if not self.staffed and self.staffing.policy != "fixed":
            raise ValueError("staffing: only a staffed channel has a staffing policy")
        return self


class System(Strict):
    """A back-office application: concurrency, latency, vendor instances and running cost."""

    capacity: PosInt = 50
    latency: DurationDist = Field(default_factory=duration_default("1 s"))
    instances: PosInt = 1
    cost_per_instance_day: Money = 0.0
    it_staff_per_instance: NonNeg = 0.0
    cost_per_transaction: Money = 0.0


class Team(Strict):
    """Clerks who move work by hand; ``touch_time`` is their work per item where no link
    says otherwise (a credit review, a dunning call, a return). ``role`` says which work
    the journey sends them (the classic names imply it). ``staff`` is the opening headcount;
    ``staffing`` says how it follows the work (:mod:`sim.scenario.staffing`)."""

    role: TeamRole = Field(description="order_desk, credit_control, collections, purchasing, "
                                       "sales_ops or customer_service")
    staff: PosInt
    hours: Hours = Field(default_factory=hours_default("Mon-Fri 08:00-17:00"))
    cost_per_staff_hour: Money = 0.0
    touch_time: DurationDist = Field(default_factory=duration_default("10 min"))
    staffing: Staffing = Field(default_factory=fixed,
                               description="how the headcount follows the work (staff is the "
                                           "opening headcount)")


class Quoting(Strict):
    """Quotes for configured products: by CPQ (self-serve) or by a sales-ops team by hand."""

    mode: Literal["cpq", "manual"]
    touch_time: DurationDist
    engineering_delay: DurationDist
    below_margin_share: Prob
    below_margin_loss: Prob = 0.1


# --------------------------------------------------------------------------- partners
class Resellers(Strict):
    """Channel partners: commission and co-op marketing funds on their sales."""

    commission: Prob = 0.15
    coop_rate: Prob = 0.02


class Supplier(Strict):
    """A component supplier of configured bundles."""

    lead_time: DurationDist
    availability: Prob = 1.0


class Carrier(Strict):
    """The parcel carrier."""

    transit: DurationDist
    on_time: Prob = 0.95
    late_delay: DurationDist
    cost_per_parcel: Money = 0.0


class Installers(Strict):
    """The systems integrator's installation teams."""

    teams: PosInt
    hours: Hours = Field(default_factory=hours_default("Mon-Fri 08:00-17:00"))
    install_time: DurationDist
    booking_lead_time: DurationDist
    cost_per_job: Money = 0.0


class Partners(Strict):
    """Resellers, suppliers, the carrier and installers."""

    resellers: Resellers = Field(default_factory=Resellers)
    suppliers: dict[str, Supplier] = Field(default_factory=dict)
    carrier: Carrier
    installers: Installers | None = None


class Warehouse(Strict):
    """Pickers, their hours and pick time; pick-up and returns in store."""

    pickers: PosInt
    hours: Hours = Field(default_factory=hours_default("Mon-Sat 06:00-22:00"))
    pick_time: DurationDist
    cost_per_picker_hour: Money = 0.0
    staffing: Staffing = Field(default_factory=fixed,
                               description="how the number of pickers follows the work "
                                           "(pickers is the opening number)")
    bopis: Flag = False
    bopis_share: Prob = 0.3
    returns_to_store: Flag = False


# --------------------------------------------------------------------------- front office
class Promotions(Strict):
    """Offers the CRM sends dormant customers every ``interval``."""

    interval: PlanInterval
    response: Prob
    targeted_lift: NonNeg = 1.0
    cost_per_offer: Money = 0.0


class Loyalty(Strict):
    """A loyalty programme: points on purchases, redeemed as discounts."""

    points_rate: Prob = 0.02
    redemption: Prob = 0.5
    repeat_lift: NonNeg = 0.1


class Crm(Strict):
    """What the CRM knows and does."""

    single_customer_view: Flag = False
    context_survives_switch: Flag = False
    lead_scoring_accuracy: Prob = 0.0
    recommendation_lift: NonNeg = 0.0
    promotions: Promotions | None = None
    loyalty: Loyalty | None = None

    @property
    def offer_response(self) -> float:
        """Probability that a dormant customer takes up one offer (0 without promotions;
        ``targeted_lift`` applies with a single customer view)."""
        promo = self.promotions
        if promo is None:
            return 0.0
        lift = promo.targeted_lift if self.single_customer_view else 1.0
        return min(promo.response * lift, 1.0)


class Checkout(Strict):
    """Checkout design."""

    forced_account_creation: Flag
    costs_shown_upfront: Flag
    order_status_self_service: Prob = 0.0


class Errors(Strict):
    """What a keying error breaks, as shares of keyed-field errors (they sum to <= 1)."""

    item: Prob = 0.5
    price: Prob = 0.3
    address: Prob = 0.2


class Costs(Strict):
    """Unit costs and collection policy."""

    pick_pack: Money = 0.0
    error_fix_time: DurationDist = Field(
        default_factory=duration_default("0 h"),
        description="work of the customer-service team to put one keying error right (a "
                    "wrong item or address); collections spend it on a disputed invoice")
    reship: Money = 0.0
    return_handling: Money = 0.0
    dispute_handling_time: DurationDist = Field(
        description="elapsed time from a dispute to the corrected invoice (collections also "
                    "spend their touch time on it)")
    it_staff_cost_per_day: Money = 0.0
    dunning_after: Duration = 14 * 24.0
    write_off_after: Duration = 120 * 24.0
