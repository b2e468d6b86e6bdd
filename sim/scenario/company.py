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

    mode: Literal["manual"] = Field(description="manual: a clerk of team re-keys each item")
    team: str = Field(description="the team (a name under teams) whose clerks key the item")
    touch_time: DurationDist = Field(description=(
        "work of one clerk per item keyed (a duration or distribution)"))
    error_per_field: Prob = Field(
        default=0.0, description="probability each keyed field is wrong (0-1); an order has "
                                 "fields_per_line fields per line")
    fields_per_line: UpTo100 = Field(default=3.0, description=(
        "fields keyed per order line (0-100); more fields, more chances of an error"))
    every: Duration | None = Field(default=None, description=(
        "the clerk works the items in sittings every this long from offset (reading an inbox "
        "once a day); null: as they come"))
    offset: Duration = Field(default=0.0, description=(
        "time of the first sitting from the start of the run (with every)"))


class BatchLink(_LinkBase):
    """Work and data wait for the next sync run every ``interval``."""

    mode: Literal["batch"] = Field(description="batch: items wait for the next sync run")
    interval: SyncInterval = Field(description=(
        "time between sync runs; an item waits for the next run (at least 1 s)"))
    offset: Duration = Field(
        default=0.0, description="time of the first run from the start of the run: runs at offset "
                                 "+ k x interval ('2 h' with 24 h: nightly at 02:00)")


class RealtimeLink(_LinkBase):
    """An API call: latency, failure probability and retry delay."""

    mode: Literal["realtime"] = Field(description="realtime: an API call per item")
    latency: DurationDist = Field(default_factory=duration_default("2 s"), description=(
        "time of one API call (a duration or distribution)"))
    failure: Annotated[float, Number] = Field(
        0.0, ge=0.0, lt=1.0,
        description="probability a call fails and is retried (< 1, or it would retry forever)")
    retry_after: Duration = Field(default=1 / 60, description=(
        "wait before a failed call is tried again (a duration)"))


Link = Annotated[ManualLink | BatchLink | RealtimeLink, Field(discriminator="mode")]
LINK_MODELS: dict[str, type[Strict]] = {"manual": ManualLink, "batch": BatchLink,
                                         "realtime": RealtimeLink}


# --------------------------------------------------------------------------- demand, catalogue
class Peak(Strict):
    """A demand peak: ``factor`` times the usual arrivals for ``length`` from ``start``."""

    name: str = Field(description="label of the peak (for people; the model does not read it)")
    start: Duration = Field(description=(
        "when the peak begins, as time since the start of the run ('45 d')"))
    length: Duration = Field(gt=0, description="how long the peak lasts (a duration > 0)")
    factor: Annotated[float, Field(gt=0.0, le=100.0, allow_inf_nan=False), Number] = Field(
        description="arrivals during the peak, as a multiple of the usual (> 0, at most 100; 2 "
                    "doubles them)")


class Calendar(Strict):
    """Relative demand by hour of day and weekday, and peaks."""

    hourly_profile: list[NonNeg] = Field(
        default_factory=lambda: [1.0] * 24, min_length=24, max_length=24,
        description="24 relative arrival rates, hour 0 to 23 (>= 0, one positive); normalised to "
                    "mean 1")
    weekly_profile: list[NonNeg] = Field(
        default_factory=lambda: [1.0] * 7, min_length=7, max_length=7,
        description="7 relative arrival rates, Monday to Sunday (>= 0, one positive); normalised "
                    "to mean 1")
    peaks: list[Peak] = Field(default_factory=list, description=(
        "demand peaks (holiday seasons, campaigns), each a start, length and factor"))

    @field_validator("hourly_profile", "weekly_profile")
    @classmethod
    def _some_positive(cls, v: list[float]) -> list[float]:
        if sum(v) <= 0:
            raise ValueError("profile needs at least one positive value")
        return v

    @property
    def first_peak(self) -> float | None:
        """Hours from the start to the first scheduled peak (None: there is none); the
        warm-up is measured before it (:mod:`sim.warmup`)."""
        return min((p.start for p in self.peaks), default=None)


class Market(Strict):
    """The customers in reach, and their word-of-mouth network."""

    addressable_customers: PosInt = Field(
        description="households and firms in reach (whole number >= 1); no fewer than the "
                    "segments' existing customers")
    network_degree: IntUpTo1000 = Field(
        default=4, description="word-of-mouth neighbours per customer (0-1000); a satisfied "
                               "customer may refer one of them")


class Catalog(Strict):
    """SKUs, stock policy, price changes and margin."""

    skus: PosInt = Field(default=50, description=(
        "number of stock-keeping units (whole number >= 1)"))
    popularity_skew: NonNeg = Field(default=1.0, description=(
        "Zipf exponent of SKU popularity: weight of rank r is r^-skew (0: all equally popular)"))
    stock_cover: Duration = Field(default=21 * 24.0, description=(
        "stock on hand at the start of an empty opening, in days of planned demand (a duration)"))
    safety_cover: Duration = Field(
        default=4 * 24.0, description="safety stock in days of planned demand, on top of lead "
                                      "time and review interval (a duration)")
    review_interval: SampleInterval = Field(default=24.0, description=(
        "how often stock is reviewed and reordered (a duration, at least 1 min)"))
    replenishment_lead_time: DurationDist = Field(description=(
        "time from a purchase order to goods received (a duration or distribution)"))
    forecast_smoothing: Prob = Field(0.1, description=(
        "the planner's exponential-smoothing weight of one day's observed demand (0-1)"))
    price_changes_per_day: UpTo1000 = Field(
        default=2.0, description="price changes per day (0-1000); with more than one price master "
                                 "each must be copied, and until then prices disagree")
    product_changes_per_day: UpTo1000 = Field(0.0, description=(
        "item-data changes per day (0-1000); copied between product masters like prices"))
    gross_margin: Prob = Field(
        default=0.35, description="share of the order value that is margin (0-1): cost of goods = "
                                  "value x (1 - gross_margin)")
    planned_units_per_day: Pos = Field(description=(
        "the demand plan stock is sized from: units (order lines) per day (> 0)"))
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

    customer: PosInt = Field(default=1, description=(
        "systems holding customer records (1 = single source of truth; whole number >= 1)"))
    product: PosInt = Field(default=1, description=(
        "systems holding product records (1 = single source of truth; whole number >= 1)"))
    price: Annotated[int, Field(ge=1, le=100), Number] = Field(
        default=1, description="systems holding prices (1-100); each price change is copied to "
                               "the others by the master_sync link")


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
    staffed: Flag = Field(
        description="true: people serve here and customers queue (contact centre, store, sales); "
                    "false: self-service pages or a bot")
    staff: NonNegInt = Field(default=0, description=(
        "opening headcount of a staffed channel (whole number; >= 1 when staffed)"))
    hours: Hours = Field(
        default_factory=hours_default("24/7"), description="opening hours ('24/7' or 'Mon-Fri "
                                                           "08:00-17:00'); contacts outside them "
                                                           "wait for the opening")
    service_time: DurationDist = Field(description=(
        "work per contact (a call, a visit, a sales meeting; a duration or distribution)"))
    first_contact_time: DurationDist | None = Field(
        default=None, description="work of a first response to a business lead (the call or "
                                  "e-mail that qualifies it) where it is shorter than a "
                                  "meeting; default: service_time")
    page_load: DurationDist | None = Field(
        default=None, description="time a page takes to load on a digital channel (a duration or "
                                  "distribution); slower pages lose shoppers")
    checkout_steps: IntUpTo100 = Field(
        default=0, description="pages of the checkout (0-100); each step past the first may lose "
                               "a shopper (cart.per_extra_step)")
    device: Literal["desktop", "mobile", "none"] = Field(
        default="none", description="the device the channel is used on (desktop, mobile or none); "
                                    "descriptive, no mechanism reads it")
    topics_covered: NonNegInt = Field(default=0, description=(
        "chatbot: how many of the customers' most frequent question topics its knowledge "
        "base answers (whole number >= 0); the share of contacts it answers follows from the "
        "segment's after_sale.question_topics and topic_skew"))
    cost_per_staff_hour: Money = Field(default=0.0, description=(
        "cost of one paid staff hour (an amount)"))
    cost_per_interaction: Money = Field(default=0.0, description=(
        "cost of each contact handled (an amount; a chatbot's per-conversation fee)"))
    fixed_cost_per_day: Money = Field(default=0.0, description=(
        "running cost per day whatever the traffic (an amount; rent, platform fees)"))
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

    capacity: PosInt = Field(default=50, description=(
        "transactions the system serves at once (whole number >= 1); more wait"))
    latency: DurationDist = Field(default_factory=duration_default("1 s"), description=(
        "time of one transaction (a duration or distribution)"))
    instances: PosInt = Field(
        default=1, description="copies of the system from different vendors or business units "
                               "(whole number >= 1); each is paid for")
    cost_per_instance_day: Money = Field(default=0.0, description=(
        "licence and hosting per instance and day (an amount)"))
    it_staff_per_instance: NonNeg = Field(
        default=0.0, description="IT staff (full-time equivalents >= 0) each instance needs, paid "
                                 "at costs.it_staff_cost_per_day")
    cost_per_transaction: Money = Field(default=0.0, description=(
        "fee per transaction (an amount; a payment provider's fee)"))


class Team(Strict):
    """Clerks who move work by hand; ``touch_time`` is their work per item where no link
    says otherwise (a credit review, a dunning call, a return). ``role`` says which work
    the journey sends them (the classic names imply it). ``staff`` is the opening headcount;
    ``staffing`` says how it follows the work (:mod:`sim.scenario.staffing`)."""

    role: TeamRole = Field(description="order_desk, credit_control, collections, purchasing, "
                                       "sales_ops or customer_service")
    staff: PosInt = Field(description="opening headcount (whole number >= 1)")
    hours: Hours = Field(default_factory=hours_default("Mon-Fri 08:00-17:00"), description=(
        "working hours ('Mon-Fri 08:00-17:00'); work waits outside them"))
    cost_per_staff_hour: Money = Field(default=0.0, description=(
        "cost of one paid staff hour (an amount)"))
    touch_time: DurationDist = Field(
        default_factory=duration_default("10 min"), description="work per item where no link says "
                                                                "otherwise (a credit review, a "
                                                                "dunning call; a duration or "
                                                                "distribution)")
    staffing: Staffing = Field(default_factory=fixed,
                               description="how the headcount follows the work (staff is the "
                                           "opening headcount)")


# --------------------------------------------------------------------------- partners
class Resellers(Strict):
    """Channel partners: commission and co-op marketing funds on their sales."""

    commission: Prob = Field(default=0.15, description=(
        "share of a partner order's value paid to the reseller (0-1)"))
    coop_rate: Prob = Field(default=0.02, description=(
        "share of a partner order's value paid as co-op marketing funds (0-1)"))


class Supplier(Strict):
    """A component supplier of configured bundles."""

    lead_time: DurationDist = Field(description=(
        "time from ordering a component to receiving it (a duration or distribution)"))
    availability: Prob = Field(default=1.0, description=(
        "probability the component is available when ordered (0-1)"))


class Carrier(Strict):
    """The parcel carrier."""

    transit: DurationDist = Field(description=(
        "time from dispatch to delivery (a duration or distribution)"))
    on_time: Prob = Field(default=0.95, description=(
        "probability a parcel arrives in transit time (0-1); the rest are late by late_delay"))
    late_delay: DurationDist = Field(description=(
        "extra delay of a late parcel (a duration or distribution)"))
    cost_per_parcel: Money = Field(default=0.0, description="shipping cost per parcel (an amount)")
    pickup_at: Duration | None = Field(default=None, ge=0, lt=24, description=(
        "time of day of the daily pick-up, after midnight (e.g. 17 h): a parcel booked later "
        "leaves with the next day's pick-up (null: collected at once)"))


class Installers(Strict):
    """The systems integrator's installation teams."""

    teams: PosInt = Field(description="installation teams working in parallel (whole number >= 1)")
    hours: Hours = Field(default_factory=hours_default("Mon-Fri 08:00-17:00"), description=(
        "working hours of the installers"))
    install_time: DurationDist = Field(description=(
        "work of one installation (a duration or distribution)"))
    notice: Duration = Field(default=48.0, ge=0, description=(
        "least time from a booking to the installation day (a duration); the rest of the "
        "wait comes from the booked calendar"))
    jobs_per_team_day: PosInt = Field(default=1, description=(
        "installation jobs one team takes per working day (whole number >= 1)"))
    cost_per_job: Money = Field(default=0.0, description="cost of one installation (an amount)")


class Partners(Strict):
    """Resellers, suppliers, the carrier and installers."""

    resellers: Resellers = Field(default_factory=Resellers, description=(
        "the channel partners' commission and co-op funds"))
    suppliers: dict[str, Supplier] = Field(default_factory=dict, description=(
        "supplier name -> a component supplier of configured bundles"))
    carrier: Carrier = Field(description="the parcel carrier: transit time, punctuality and cost")
    installers: Installers | None = Field(default=None, description=(
        "installation teams for orders with installation (null: none)"))


class Warehouse(Strict):
    """Pickers, their hours and pick time; pick-up and returns in store."""

    pickers: PosInt = Field(description="opening number of pickers (whole number >= 1)")
    hours: Hours = Field(default_factory=hours_default("Mon-Sat 06:00-22:00"), description=(
        "working hours of the warehouse"))
    pick_time: DurationDist = Field(description=(
        "work to pick and pack one order line (a duration or distribution)"))
    cost_per_picker_hour: Money = Field(default=0.0, description=(
        "cost of one paid picker hour (an amount)"))
    staffing: Staffing = Field(default_factory=fixed,
                               description="how the number of pickers follows the work "
                                           "(pickers is the opening number)")
    bopis: Flag = Field(default=False, description=(
        "true: consumers may buy online and pick up in store (needs a store channel)"))
    bopis_share: Prob = Field(default=0.3, description=(
        "with bopis, probability a consumer order is picked up in store (0-1)"))
    returns_to_store: Flag = Field(default=False, description=(
        "true: consumers may return goods in a store instead of by parcel"))


# --------------------------------------------------------------------------- front office
class Promotions(Strict):
    """Offers the CRM sends dormant customers every ``interval``."""

    interval: PlanInterval = Field(description=(
        "time between offers to dormant customers (a duration, at least 1 h)"))
    response: Prob = Field(description=(
        "probability a dormant customer takes up an offer and buys now (0-1)"))
    targeted_lift: NonNeg = Field(default=1.0, description=(
        "with a single customer view, offers are targeted: response is multiplied by this (>= 0)"))
    cost_per_offer: Money = Field(default=0.0, description="cost of one offer sent (an amount)")


class Loyalty(Strict):
    """A loyalty programme: points on purchases, redeemed as discounts."""

    points_rate: Prob = Field(default=0.02, description=(
        "points earned as a share of the order value (0-1)"))
    redemption: Prob = Field(default=0.5, description=(
        "share of points redeemed as discounts (0-1); cost = value x points_rate x redemption"))
    repeat_lift: NonNeg = Field(default=0.1, description=(
        "relative rise of a member's repeat probability (>= 0; 0.1: 10% more likely to buy again)"))


class Crm(Strict):
    """What the CRM knows and does."""

    single_customer_view: Flag = Field(default=False, description=(
        "true: every channel sees one record of the customer (targets offers, keeps context)"))
    context_survives_switch: Flag = Field(default=False, description=(
        "true: a shopper who switches channel keeps the cart and history (no context_lost_leave)"))
    lead_scoring: Flag = Field(default=False, description=(
        "true: a model scores every marketing-qualified lead from its CRM record; a lead "
        "scoring below scoring_threshold is nurtured without sales time (sim/journey/sales.py)"))
    scoring_noise: NonNeg = Field(default=0.3, description=(
        "standard deviation of a lead's score around its latent quality (1: will qualify, 0: "
        "will not) when the CRM sees the whole customer record (>= 0); without a single "
        "customer view it sees one of data_masters.customer partial records and the noise "
        "grows with the square root of their number. An assumption about the customer data, "
        "the same at every phase"))
    scoring_threshold: Prob = Field(default=0.16, description=(
        "the score below which a lead gets no sales time (0-1; a policy: lower screens out "
        "fewer leads that will not qualify and loses fewer that would)"))
    recommendations: Flag = Field(default=False, description=(
        "true: the shop recommends products from the customer's purchase history; only a "
        "returning customer whose history the channel can see (a single customer view, or one "
        "customer master) gets them, and responds by the segment's "
        "cart.recommendation_response"))
    promotions: Promotions | None = Field(default=None, description=(
        "offers sent to dormant customers (null: none)"))
    loyalty: Loyalty | None = Field(default=None, description="a loyalty programme (null: none)")

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

    forced_account_creation: Flag = Field(
        description="true: shoppers without an account must create one to pay "
                    "(cart.forced_account may lose them)")
    costs_shown_upfront: Flag = Field(description=(
        "true: shipping and fees are shown before checkout (no cart.unexpected_cost leave)"))
    order_status_page: Flag = Field(True, description=(
        "true: customers can see their order's status online, as fresh as links.order_status"))


class Errors(Strict):
    """What a keying error breaks, as shares of keyed-field errors (they sum to <= 1)."""

    item: Prob = Field(default=0.5, description=(
        "share of keying errors that ship a wrong item (0-1; item + price + address <= 1)"))
    price: Prob = Field(default=0.3, description=(
        "share of keying errors that bill a wrong price and cause a dispute (0-1)"))
    address: Prob = Field(default=0.2, description=(
        "share of keying errors that send the parcel to a wrong address (0-1)"))


class Costs(Strict):
    """Unit costs and collection policy."""

    pick_pack: Money = Field(default=0.0, description=(
        "cost of picking and packing one order (an amount)"))
    error_fix_time: DurationDist = Field(
        default_factory=duration_default("0 h"),
        description="work of the customer-service team to put one keying error right (a "
                    "wrong item or address); collections spend it on a disputed invoice")
    reship: Money = Field(default=0.0, description=(
        "cost of shipping an order again after a wrong item or address (an amount)"))
    return_handling: Money = Field(default=0.0, description=(
        "cost of handling one return (an amount)"))
    it_staff_cost_per_day: Money = Field(default=0.0, description=(
        "cost of one IT staff member per day (an amount), for the systems' it_staff_per_instance"))
    dunning_after: Duration = Field(default=14 * 24.0, description=(
        "time past the due date when collections makes a dunning call (a duration)"))
    write_off_after: Duration = Field(default=120 * 24.0, description=(
        "time past the due date when an unpaid invoice is written off (a duration)"))
