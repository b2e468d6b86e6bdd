"""Scenario files: schema (version 1), loading, ``extends:`` and ``--set`` overrides.

A scenario is pure data describing one company: its customer segments, channels, back-office
systems, teams, partners, the integration links between them, inventory, costs, horizon and
seed. Files are YAML, loaded safely (no object construction from tags), validated against the
pydantic models below with unknown keys rejected, and converted to internal units (hours,
scenario currency). The JSON schema in ``sim/schemas/scenario-1.json`` is generated from these
models (``omnisim scenarios schema``); ``docs/scenarios.md`` explains every field.

Every problem raises :class:`ScenarioError` with a one-line message naming the file, the field
and what is allowed.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim.calendar import OpeningHours, parse_hours
from sim.distributions import Distribution, DistributionError, parse_distribution
from sim.units import UnitError, parse_duration, parse_money

SCHEMA_VERSION = 1
SCENARIO_DIR = Path(__import__("sim").__file__).resolve().parent / "scenarios"
MAX_EXTENDS_DEPTH = 16
MAX_FILE_BYTES = 2_000_000
MAX_ALIASES = 64
WARMUP_TOO_LONG = "warmup must be shorter than horizon"


class ScenarioError(Exception):
    """A scenario could not be loaded; the message is one line naming file, field and fix."""


# --------------------------------------------------------------------------- field types
def _duration(v: Any) -> float:
    return parse_duration(v)


def _money(v: Any, info: ValidationInfo) -> float:
    currency = (info.context or {}).get("currency", "USD")
    return parse_money(v, currency)


def _dist(kind: str):
    def convert(v: Any, info: ValidationInfo) -> Distribution:
        if isinstance(v, Distribution):
            return v
        currency = (info.context or {}).get("currency", "USD")
        return parse_distribution(v, kind, currency=currency)  # type: ignore[arg-type]

    return convert


def _hours(v: Any) -> OpeningHours:
    return v if isinstance(v, OpeningHours) else parse_hours(v)


Duration = Annotated[float, BeforeValidator(_duration)]
Money = Annotated[float, BeforeValidator(_money)]
DurationDist = Annotated[Any, BeforeValidator(_dist("duration"))]
MoneyDist = Annotated[Any, BeforeValidator(_dist("money"))]
NumberDist = Annotated[Any, BeforeValidator(_dist("number"))]
Hours = Annotated[Any, BeforeValidator(_hours)]


def _number(v: Any) -> Any:
    """YAML reads ``yes``/``true`` as a boolean, which pydantic would take as 1: refuse it."""
    if isinstance(v, bool):
        raise ValueError(f"expected a number, got {str(v).lower()} (a boolean)")
    return v


def _flag(v: Any) -> Any:
    """Only ``true`` or ``false`` for a switch (pydantic would take 1, 0 or "yes")."""
    if not isinstance(v, bool):
        raise ValueError(f"expected a boolean (true or false), got {v!r}")
    return v


Number = BeforeValidator(_number)
Flag = Annotated[bool, BeforeValidator(_flag)]
Prob = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False), Number]
PosInt = Annotated[int, Field(ge=1, le=1_000_000), Number]
NonNegInt = Annotated[int, Field(ge=0, le=1_000_000), Number]
NonNeg = Annotated[float, Field(ge=0.0, le=1e9, allow_inf_nan=False), Number]
Pos = Annotated[float, Field(gt=0.0, le=1e9, allow_inf_nan=False), Number]

SegmentKind = Literal["b2c", "smb", "enterprise", "service"]
LeadSource = Literal["ads", "organic", "trade_show", "referral"]
ChannelName = Literal[
    "web", "app", "store", "call_centre", "chatbot", "inside_sales", "field_sales",
    "partner_portal", "marketplace",
]
SystemName = Literal["crm", "cpq", "oms", "erp", "wms", "billing", "payments"]
TeamName = Literal["order_desk", "credit_control", "collections", "purchasing", "sales_ops",
                   "customer_service"]
IntakeRoute = Literal["portal", "edi", "email", "phone", "fax"]
LinkName = Literal[
    "lead_routing", "order_intake", "order_desk", "oms_to_erp", "erp_to_wms", "stock_sync",
    "partner_orders", "supplier_po", "carrier_booking", "installer_booking", "invoicing",
    "cash_posting", "master_sync", "order_status",
]
UNSTRUCTURED: frozenset[str] = frozenset({"email", "phone", "fax"})


class Strict(BaseModel):
    """Base: unknown keys are errors; values are validated on assignment too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True,
                              arbitrary_types_allowed=True)


def _shares(v: Mapping[str, float], what: str) -> Mapping[str, float]:
    total = sum(v.values())
    if not v or total <= 0:
        raise ValueError(f"{what} needs at least one positive weight")
    if any(x < 0 for x in v.values()):
        raise ValueError(f"{what} weights must be >= 0")
    return v


# --------------------------------------------------------------------------- links
class _LinkBase(Strict):
    extra_delay: DurationDist | None = Field(
        None, description="extra wait on top of the mode (paperwork, approvals, backlog)")


class ManualLink(_LinkBase):
    """A clerk re-keys the work item: touch time and keying errors (CALIBRATION O1-O3)."""

    mode: Literal["manual"]
    team: TeamName
    touch_time: DurationDist
    error_per_field: Prob = 0.0
    fields_per_line: NonNeg = 3.0


class BatchLink(_LinkBase):
    """Work and data wait for the next sync run every ``interval``."""

    mode: Literal["batch"]
    interval: Duration = Field(gt=0)
    offset: Duration = 0.0


class RealtimeLink(_LinkBase):
    """An API call: latency, failure probability and retry delay."""

    mode: Literal["realtime"]
    latency: DurationDist = Field(default_factory=lambda: parse_distribution("2 s", "duration"))
    failure: Annotated[float, Number] = Field(
        0.0, ge=0.0, lt=1.0,
        description="probability a call fails and is retried (< 1, or it would retry forever)")
    retry_after: Duration = 1 / 60


Link = Annotated[ManualLink | BatchLink | RealtimeLink, Field(discriminator="mode")]


# --------------------------------------------------------------------------- company parts
class Peak(Strict):
    name: str
    start: Duration
    length: Duration = Field(gt=0)
    factor: Pos


class Calendar(Strict):
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
    addressable_customers: PosInt
    network_degree: NonNegInt = 4


class Catalog(Strict):
    skus: PosInt = 50
    popularity_skew: NonNeg = 1.0
    stock_cover: Duration = 21 * 24.0
    safety_cover: Duration = 4 * 24.0
    review_interval: Duration = Field(24.0, gt=0)
    replenishment_lead_time: DurationDist
    forecast_error: NonNeg = 0.3
    price_changes_per_day: NonNeg = 2.0
    gross_margin: Prob = 0.35
    planned_units_per_day: Pos


class DataMasters(Strict):
    """How many separate systems hold each kind of master data (1 = single source of truth)."""

    customer: PosInt = 1
    product: PosInt = 1
    price: PosInt = 1


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
    meetings: NonNegInt = 1
    quote_patience: DurationDist
    approval_share: Prob
    approval_delay: DurationDist
    approval_drop: Prob


class Patience(Strict):
    call: DurationDist
    queue: DurationDist
    lead: DurationDist
    backorder: DurationDist


class PaymentBehaviour(Strict):
    terms: Duration = 0.0
    late_share: Prob = 0.0
    late_delay: DurationDist | None = None
    write_off_share: Prob = 0.0
    card_decline: Prob = 0.0
    credit_approval: Prob = 0.8


class AfterSale(Strict):
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


class Segment(Strict):
    """Customers of one kind: ``b2c`` shoppers, ``smb`` and ``enterprise`` buyers, or
    ``service`` requests (contacts routed through stations by ``service``, no order)."""

    kind: SegmentKind
    leads_per_day: NonNeg
    existing_customers: NonNegInt = 0
    lead_sources: dict[LeadSource, NonNeg]
    cost_per_lead: dict[LeadSource, Money] = Field(default_factory=dict)
    channels: dict[ChannelName, NonNeg]
    order_intake: dict[IntakeRoute, NonNeg] = Field(default_factory=lambda: {"portal": 1.0})
    order_value: MoneyDist | None = Field(None, description="required unless kind: service")
    order_lines: NumberDist = Field(default_factory=lambda: parse_distribution(1, "number"))
    configured_share: Prob = 0.0
    installation_share: Prob = 0.0
    partner_share: Prob = 0.0
    credit_limit: MoneyDist | None = None
    cart: CartBehaviour | None = None
    funnel: Funnel | None = None
    patience: Patience | None = Field(None, description="required unless kind: service")
    payment: PaymentBehaviour = Field(default_factory=PaymentBehaviour)
    after_sale: AfterSale | None = Field(None, description="required unless kind: service")
    service: dict[str, ServiceStep] | None = Field(
        None, description="kind service only: the route of a request, one step per station "
                          "it may visit; it arrives at one of the segment's channels")

    @field_validator("lead_sources", "channels", "order_intake")
    @classmethod
    def _weights(cls, v: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        return dict(_shares(v, info.field_name or "weights"))

    @model_validator(mode="after")
    def _by_kind(self) -> Segment:
        if self.kind == "service":
            if not self.service:
                raise ValueError("a service segment needs a 'service' route (one step per "
                                 "station)")
            if self.existing_customers:
                raise ValueError("a service segment has no existing_customers (every request "
                                 "arrives)")
            return self
        if self.service is not None:
            raise ValueError("only a segment of kind service has a 'service' route")
        for block in ("order_value", "patience", "after_sale"):
            if getattr(self, block) is None:
                raise ValueError(f"a {self.kind} segment needs '{block}'")
        if self.kind == "b2c" and self.cart is None:
            raise ValueError("a b2c segment needs a 'cart' block")
        if self.kind != "b2c" and self.funnel is None:
            raise ValueError(f"a {self.kind} segment needs a 'funnel' block")
        return self


class Channel(Strict):
    """A sales or service channel; staffed channels queue, digital ones have page speed."""

    staffed: Flag
    staff: NonNegInt = 0
    hours: Hours = Field(default_factory=lambda: parse_hours("24/7"))
    service_time: DurationDist
    page_load: DurationDist | None = None
    checkout_steps: NonNegInt = 0
    device: Literal["desktop", "mobile", "none"] = "none"
    self_service: Prob = 0.0
    cost_per_staff_hour: Money = 0.0
    cost_per_interaction: Money = 0.0
    fixed_cost_per_day: Money = 0.0

    @model_validator(mode="after")
    def _staff(self) -> Channel:
        if self.staffed and self.staff < 1:
            raise ValueError("a staffed channel needs staff >= 1")
        return self


class System(Strict):
    """A back-office application: concurrency, latency, vendor instances and running cost."""

    capacity: PosInt = 50
    latency: DurationDist = Field(default_factory=lambda: parse_distribution("1 s", "duration"))
    instances: PosInt = 1
    cost_per_instance_day: Money = 0.0
    it_staff_per_instance: NonNeg = 0.0
    cost_per_transaction: Money = 0.0


class Team(Strict):
    """Clerks who move work by hand; ``touch_time`` is their work per item where no link
    says otherwise (a credit review, a dunning call, a return)."""

    staff: PosInt
    hours: Hours = Field(default_factory=lambda: parse_hours("Mon-Fri 08:00-17:00"))
    cost_per_staff_hour: Money = 0.0
    touch_time: DurationDist = Field(default_factory=lambda: parse_distribution("10 min",
                                                                                "duration"))


class Quoting(Strict):
    """Quotes for configured products: by CPQ (self-serve) or by a sales-ops team by hand."""

    mode: Literal["cpq", "manual"]
    touch_time: DurationDist
    engineering_delay: DurationDist
    below_margin_share: Prob
    below_margin_loss: Prob = 0.1


class Resellers(Strict):
    commission: Prob = 0.15
    coop_rate: Prob = 0.02


class Supplier(Strict):
    lead_time: DurationDist
    availability: Prob = 1.0


class Carrier(Strict):
    transit: DurationDist
    on_time: Prob = 0.95
    late_delay: DurationDist
    cost_per_parcel: Money = 0.0


class Installers(Strict):
    teams: PosInt
    hours: Hours = Field(default_factory=lambda: parse_hours("Mon-Fri 08:00-17:00"))
    install_time: DurationDist
    booking_lead_time: DurationDist
    cost_per_job: Money = 0.0


class Partners(Strict):
    resellers: Resellers = Field(default_factory=Resellers)
    suppliers: dict[str, Supplier] = Field(default_factory=dict)
    carrier: Carrier
    installers: Installers | None = None


class Warehouse(Strict):
    pickers: PosInt
    hours: Hours = Field(default_factory=lambda: parse_hours("Mon-Sat 06:00-22:00"))
    pick_time: DurationDist
    cost_per_picker_hour: Money = 0.0
    bopis: Flag = False
    bopis_share: Prob = 0.3
    returns_to_store: Flag = False


class Promotions(Strict):
    interval: Duration = Field(gt=0)
    response: Prob
    targeted_lift: NonNeg = 1.0
    cost_per_offer: Money = 0.0


class Loyalty(Strict):
    points_rate: Prob = 0.02
    redemption: Prob = 0.5
    repeat_lift: NonNeg = 0.1


class Crm(Strict):
    single_customer_view: Flag = False
    context_survives_switch: Flag = False
    lead_scoring_accuracy: Prob = 0.0
    recommendation_lift: NonNeg = 0.0
    promotions: Promotions | None = None
    loyalty: Loyalty | None = None


class Checkout(Strict):
    forced_account_creation: Flag
    costs_shown_upfront: Flag
    order_status_self_service: Prob = 0.0


class Errors(Strict):
    """What a keying error breaks, as shares of keyed-field errors (they sum to <= 1)."""

    item: Prob = 0.5
    price: Prob = 0.3
    address: Prob = 0.2


class Costs(Strict):
    pick_pack: Money = 0.0
    error_fix: Money = 0.0
    reship: Money = 0.0
    return_handling: Money = 0.0
    dispute_handling_time: DurationDist = Field(
        description="elapsed time from a dispute to the corrected invoice (collections also "
                    "spend their touch time on it)")
    it_staff_cost_per_day: Money = 0.0
    dunning_after: Duration = 14 * 24.0
    write_off_after: Duration = 120 * 24.0


class Scenario(Strict):
    """One company, validated and converted to hours and scenario currency."""

    schema_version: Annotated[Literal[1], Number]
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    description: str = ""
    seed: NonNegInt = 1
    horizon: Duration = Field(gt=0, le=20 * 365 * 24.0)
    warmup: Duration = 0.0
    start_date: date = date(2026, 1, 5)
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    sample_interval: Duration = Field(24.0, gt=0)
    market: Market
    calendar: Calendar = Field(default_factory=Calendar)
    catalog: Catalog
    data_masters: DataMasters = Field(default_factory=DataMasters)
    segments: dict[str, Segment] = Field(min_length=1)
    channels: dict[ChannelName, Channel] = Field(min_length=1)
    systems: dict[SystemName, System]
    teams: dict[TeamName, Team]
    links: dict[LinkName, Link]
    quoting: Quoting
    partners: Partners
    warehouse: Warehouse
    checkout: Checkout
    crm: Crm = Field(default_factory=Crm)
    errors: Errors = Field(default_factory=Errors)
    costs: Costs

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        if self.warmup >= self.horizon:
            raise ValueError(WARMUP_TOO_LONG)
        missing_links = [n for n in LinkName.__args__ if n not in self.links]  # type: ignore
        if missing_links:
            raise ValueError(f"links: missing {', '.join(missing_links)} (every link needs a mode)")
        for name in ("stock_sync", "order_status"):
            if isinstance(self.links.get(name), ManualLink):
                raise ValueError(f"links.{name}.mode: must be batch or realtime (data views "
                                 "are synced, not re-keyed)")
        for name, link in self.links.items():
            if isinstance(link, ManualLink) and link.team not in self.teams:
                raise ValueError(f"links.{name}.team: team '{link.team}' is not defined in teams"
                                 f" (defined: {', '.join(self.teams) or 'none'})")
        for seg_name, seg in self.segments.items():
            for ch in seg.channels:
                if ch not in self.channels:
                    raise ValueError(f"segments.{seg_name}.channels: channel '{ch}' is not "
                                     f"defined in channels (defined: {', '.join(self.channels)})")
        for sysname in ("crm", "oms", "erp", "wms", "billing", "payments"):
            if sysname not in self.systems:
                raise ValueError(f"systems: missing '{sysname}'")
        for team in ("order_desk", "credit_control", "collections", "purchasing", "sales_ops",
                     "customer_service"):
            if team not in self.teams:
                raise ValueError(f"teams: missing '{team}'")
        for seg_name, seg in self.segments.items():
            if seg.service is not None:
                _check_route(f"segments.{seg_name}", seg, self.station_names())
        return self

    def station_names(self) -> list[str]:
        """Every station the model builds: channels, systems, teams, warehouse, installers."""
        names = [*self.channels, *self.systems, *self.teams, "warehouse"]
        if self.partners.installers is not None:
            names.append("installers")
        return names


def _check_route(where: str, seg: Segment, stations: list[str]) -> None:
    """A service route names real stations, starts at every channel of the segment, and lets
    every request leave eventually (from each step, some path reaches a step whose ``next``
    probabilities sum to less than 1), so no request circulates for ever."""
    route = seg.service or {}
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


# --------------------------------------------------------------------------- loading
#: libyaml's safe loader when available (ten times faster), else PyYAML's; both build only
#: plain data (no object construction from tags)
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SAFE_LOADER):  # type: ignore[valid-type, misc]
    """The safe loader, refusing a key written twice in one mapping (plain YAML keeps the
    last one silently, so a typo'd copy of a block would quietly win)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # '<<: *base' merges; keys written after it override on purpose
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                continue  # an unhashable key: the base class reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (each key may appear once in a mapping)",
                    key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


#: parsed files by (path, mtime, size): a sweep or compare loads the same files many times
_PARSED: dict[tuple[str, int, int], dict[str, Any]] = {}


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        key = None
    if key is not None and key in _PARSED:
        return copy.deepcopy(_PARSED[key])
    data = _parse_yaml(path)
    if key is not None:
        if len(_PARSED) > 64:
            _PARSED.clear()
        _PARSED[key] = copy.deepcopy(data)
    return data


def _parse_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ScenarioError(f"{path}: no such scenario file")
    if not path.is_file():
        raise ScenarioError(f"{path}: is not a file")
    raw = path.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(f"{path}: file is larger than {MAX_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        aliases = sum(isinstance(ev, yaml.AliasEvent) for ev in yaml.parse(text, _SAFE_LOADER))
        if aliases > MAX_ALIASES:
            raise ScenarioError(f"{path}: {aliases} YAML aliases; at most {MAX_ALIASES} allowed "
                                "(aliases can expand exponentially)")
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - safe (no tags)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(f"{path}: malformed YAML{where}: {problem}") from None
    if data is None:
        raise ScenarioError(f"{path}: empty file (a scenario is a YAML mapping)")
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: top level must be a mapping of fields, "
                            f"got {type(data).__name__}")
    return data


def deep_merge(base: dict[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated by ``child``: mappings merge key by key, anything else replaces.

    A value of ``null`` in the child removes the key (so a child can drop an optional block).
    A mapping that names a different ``mode`` (a link) or ``dist`` (a distribution) than the
    one it replaces is taken whole, since its fields belong to the new kind.
    """
    out = copy.deepcopy(base)
    for key, value in child.items():
        old = out.get(key)
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(old, dict) and not any(
                tag in value and value[tag] != old.get(tag) for tag in ("mode", "dist")):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve_path(ref: str | Path) -> Path:
    """A path, or the name of a shipped scenario (``baseline``, ``total-commerce/phase-4-...``)."""
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or p.is_file():
        return p
    for cand in (SCENARIO_DIR / f"{ref}.yaml", *SCENARIO_DIR.glob(f"*/{ref}.yaml")):
        if cand.is_file():
            return cand
    names = ", ".join(n for n, _, _ in list_shipped()) or "none"
    raise ScenarioError(f"{ref}: no such file or shipped scenario (shipped: {names})")


def load_raw(path: Path, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a scenario file and everything it ``extends:``, merged, not yet validated."""
    path = path.resolve()
    if path in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, path))
        raise ScenarioError(f"{_chain[0]}: extends: cycle {cycle}")
    if len(_chain) >= MAX_EXTENDS_DEPTH:
        raise ScenarioError(f"{_chain[0]}: extends: chain deeper than {MAX_EXTENDS_DEPTH} files")
    data = _read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: field extends: expected a file path or scenario name")
    looks_like_path = parent.endswith((".yaml", ".yml"))
    parent_path = Path(parent) if Path(parent).is_absolute() else path.parent / parent
    if not parent_path.is_file():
        if looks_like_path:  # relative to the child's folder, never to the working directory
            raise ScenarioError(f"{path}: field extends: no file {parent_path} "
                                "(paths are relative to the extending file)")
        try:
            parent_path = resolve_path(parent)
        except ScenarioError as exc:
            raise ScenarioError(f"{path}: field extends: {exc}") from None
    return deep_merge(load_raw(parent_path, (*_chain, path)), data)


_SET_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])*"
                     r"(?:\.[A-Za-z0-9_-]+(?:\[\d+\])*)*)=(.*)$", re.S)
_SET_PART = re.compile(r"([A-Za-z0-9_-]+)|\[(\d+)\]")


def apply_override(data: dict[str, Any], assignment: str) -> dict[str, Any]:
    """Apply one ``path.to.field=value`` override; the value is parsed as a YAML scalar/list.

    ``[i]`` indexes a list (``calendar.hourly_profile[8]=1.4``, ``calendar.peaks[0].factor=2``).
    The path must already exist in the scenario (or name a field of its schema, which the
    validation then type-checks), so typos are caught; nothing is ever evaluated as code.
    """
    m = _SET_RE.match(assignment.strip())
    if not m:
        raise ScenarioError(f"--set {assignment!r}: expected path.to.field=value "
                            "(list items as path.to.list[0]=value)")
    dotted, text = m.groups()
    try:
        value = yaml.load(text, Loader=_UniqueKeyLoader) if text.strip() else ""  # noqa: S506
    except yaml.YAMLError:
        value = text
    parts: list[str | int] = [int(i) if i else k for k, i in _SET_PART.findall(dotted)]
    node: Any = data
    for n, key in enumerate(parts):
        where = _set_path(parts[: n + 1])
        last = n == len(parts) - 1
        if isinstance(key, int):
            if not isinstance(node, list):
                raise ScenarioError(f"--set {dotted}: '{_set_path(parts[:n])}' is not a list")
            if key >= len(node):
                raise ScenarioError(f"--set {dotted}: index {key} is out of range "
                                    f"('{_set_path(parts[:n])}' has {len(node)} items)")
        elif not isinstance(node, dict):
            raise ScenarioError(f"--set {dotted}: '{_set_path(parts[:n])}' is not a mapping")
        elif not last and key not in node:
            have = ", ".join(map(str, node)) or "nothing"
            raise ScenarioError(f"--set {dotted}: no field '{where}' in the scenario "
                                f"(has: {have})")
        if last:
            old = node[key] if isinstance(key, int) else node.get(key)
            if isinstance(old, dict) and not isinstance(value, dict):
                raise ScenarioError(f"--set {dotted}: is a block; set one of its fields "
                                    f"({', '.join(map(str, old))})")
            node[key] = value
        else:
            node = node[key]
    return data


def _set_path(parts: Sequence[str | int]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p)
                   for i, p in enumerate(parts))


_LINK_MODELS = {"manual": ManualLink, "batch": BatchLink, "realtime": RealtimeLink}


def _is_link_tag(loc: Sequence[Any], i: int) -> bool:
    """True if ``loc[i]`` is the union tag pydantic puts into a link error's location
    (``links.<name>.<mode>.<field>``), not a segment or supplier that has such a name."""
    return i == 2 and loc[0] == "links" and loc[i] in _LINK_MODELS


def _field_names(model: type[BaseModel], loc: Sequence[Any]) -> list[str] | None:
    """Walk ``loc`` through the schema to list the allowed field names at the error's place."""
    cls: Any = model
    for i, key in enumerate(loc[:-1]):
        if _is_link_tag(loc, i):
            cls = _LINK_MODELS[key]
            continue
        if isinstance(cls, type) and issubclass(cls, BaseModel):
            f = cls.model_fields.get(str(key))
            if f is None:
                return None
            cls = f.annotation
        else:
            cls = _dict_value_model(cls)
        cls = _unwrap_model(cls)
        if cls is None:
            return None
    cls = _unwrap_model(cls)
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return list(cls.model_fields)
    return None


def _unwrap_model(tp: Any) -> Any:
    args = getattr(tp, "__args__", None)
    origin = getattr(tp, "__origin__", None)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    if origin is dict:
        return tp
    if args:
        for a in args:
            u = _unwrap_model(a)
            if u is not None:
                return u
    return None


def _dict_value_model(tp: Any) -> Any:
    args = getattr(tp, "__args__", ())
    return args[1] if len(args) == 2 else None


def _explain(exc: ValidationError, source: str) -> ScenarioError:
    err = exc.errors(include_url=False)[0]
    loc = [x for i, x in enumerate(err["loc"]) if not _is_link_tag(err["loc"], i)]
    field = _set_path(loc) or "(top level)"  # list items as [i], as --set writes them
    etype = err["type"]
    msg = err["msg"].removeprefix("Value error, ")
    if etype == "extra_forbidden":
        allowed = _field_names(Scenario, err["loc"])
        hint = f"; allowed: {', '.join(allowed)}" if allowed else ""
        msg = f"unknown field{hint}"
    elif etype == "missing":
        msg = "required field is missing"
    elif etype == "literal_error":
        msg = msg.replace("Input should be", "must be one of")
    elif etype == "union_tag_invalid":
        msg = "mode must be one of manual, batch, realtime"
    elif etype == "union_tag_not_found":
        msg = "needs 'mode' (manual, batch or realtime)"
    more = len(exc.errors()) - 1
    tail = f" (+{more} more)" if more else ""
    return ScenarioError(f"{source}: field {field}: {msg}{tail}")


def validate(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate merged scenario data; raise ScenarioError with a one-line message."""
    currency = data.get("currency", "USD") if isinstance(data, dict) else "USD"
    if not isinstance(currency, str):
        currency = "USD"
    try:
        return Scenario.model_validate(data, context={"currency": currency})
    except ValidationError as exc:
        raise _explain(exc, source) from None
    except (UnitError, DistributionError) as exc:  # raised outside pydantic's wrapping
        raise ScenarioError(f"{source}: {exc}") from None
    except RecursionError:
        raise ScenarioError(f"{source}: structure nested too deeply") from None


class Loaded:
    """A validated scenario with the merged raw data it came from (units as written)."""

    def __init__(self, scenario: Scenario, raw: dict[str, Any], path: Path | None):
        self.scenario = scenario
        self.raw = raw
        self.path = path

    def resolved_yaml(self) -> str:
        """The resolved scenario (extends and overrides applied) as YAML, units kept."""
        return yaml.safe_dump(self.raw, sort_keys=False, allow_unicode=True, width=100)


def load(ref: str | Path, overrides: Sequence[str] = ()) -> Loaded:
    """Load a scenario file or shipped name, apply ``extends:`` and ``--set`` overrides."""
    path = resolve_path(ref)
    try:
        raw = load_raw(path)
    except RecursionError:
        raise ScenarioError(f"{path}: structure nested too deeply") from None
    for assignment in overrides:
        raw = apply_override(raw, assignment)
    return Loaded(validate(raw, str(path)), raw, path)


def load_scenario(ref: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Shortcut: the validated :class:`Scenario` only."""
    return load(ref, overrides).scenario


def list_shipped() -> list[tuple[str, Path, str]]:
    """Shipped scenarios as (name, path, first line of description)."""
    out = []
    for p in sorted(SCENARIO_DIR.rglob("*.yaml")):
        rel = p.relative_to(SCENARIO_DIR).with_suffix("")
        name = str(rel) if rel.parent != Path(".") else rel.name
        desc = ""
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
            desc = str(data.get("description", "")).strip().splitlines()[0:1]
            desc = desc[0] if desc else ""
        except (yaml.YAMLError, OSError, AttributeError):
            desc = "(unreadable)"
        out.append((name, p, desc))
    return out
