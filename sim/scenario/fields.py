"""Field types of scenario files: units, distributions, bounded numbers, names and roles.

Every field of a scenario is declared with one of these annotated types, so units are
converted (durations to hours, money to the scenario currency) and ranges are checked where
the field is declared, not in the code that reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
)

from sim.calendar import OpeningHours, parse_hours
from sim.distributions import Distribution, parse_distribution
from sim.units import format_duration, parse_duration, parse_money


class Strict(BaseModel):
    """Base: unknown keys are errors; values are validated on assignment too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True,
                              arbitrary_types_allowed=True)


# --------------------------------------------------------------------------- units
def _duration(v: Any) -> float:
    return parse_duration(v)


def _money(v: Any, info: ValidationInfo) -> float:
    currency = (info.context or {}).get("currency", "USD")
    return parse_money(v, currency)


def _dist(kind: Literal["duration", "money", "number"]
          ) -> Callable[[Any, ValidationInfo], Distribution]:
    def convert(v: Any, info: ValidationInfo) -> Distribution:
        if isinstance(v, Distribution):
            return v
        currency = (info.context or {}).get("currency", "USD")
        return parse_distribution(v, kind, currency=currency)

    return convert


def _hours(v: Any) -> OpeningHours:
    return v if isinstance(v, OpeningHours) else parse_hours(v)


def _at_least(least: str) -> Callable[[float], float]:
    """A check that a period is at least ``least`` (``"1 s"``)."""
    bound = parse_duration(least)

    def check(v: float) -> float:
        if v < bound:
            got = format_duration(v) if v >= 1 / 3600 else f"{v * 3600:g} s"
            raise ValueError(f"must be at least {least} (a shorter period repeats too often "
                             f"to simulate); got {got}")
        return v

    return check


Duration = Annotated[float, BeforeValidator(_duration)]
Money = Annotated[float, BeforeValidator(_money)]
#: periods of something the model repeats: a batch sync, a sample, a stock review, a
#: promotion, a staffing plan (a period of 1e-320 h overflowed, one of 1e-9 s never ended)
SyncInterval = Annotated[float, BeforeValidator(_duration), AfterValidator(_at_least("1 s"))]
SampleInterval = Annotated[float, BeforeValidator(_duration),
                           AfterValidator(_at_least("1 min"))]
PlanInterval = Annotated[float, BeforeValidator(_duration), AfterValidator(_at_least("1 h"))]
def _dist_schema(what: str, example: str) -> WithJsonSchema:
    return WithJsonSchema({
        "anyOf": [{"type": "string"}, {"type": "number"}, {"type": "object"}],
        "description": f"a fixed {what} ({example}) or a distribution "
                       "({dist: exponential | gamma | lognormal | ..., ...})"})


DurationDist = Annotated[Distribution, BeforeValidator(_dist("duration")),
                         _dist_schema("duration", "'5 min'")]
MoneyDist = Annotated[Distribution, BeforeValidator(_dist("money")),
                      _dist_schema("amount", "'12.50 USD'")]
NumberDist = Annotated[Distribution, BeforeValidator(_dist("number")),
                       _dist_schema("number", "3")]
Hours = Annotated[OpeningHours, BeforeValidator(_hours), WithJsonSchema(
    {"type": "string", "description": "opening hours: '24/7' or 'Mon-Fri 08:00-17:00'"})]


def duration_default(text: str) -> Callable[[], Distribution]:
    """A default factory for a duration distribution written as in a file (``"2 s"``)."""
    return lambda: parse_distribution(text, "duration")


def hours_default(text: str) -> Callable[[], OpeningHours]:
    """A default factory for opening hours written as in a file (``"24/7"``)."""
    return lambda: parse_hours(text)


# --------------------------------------------------------------------------- numbers
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
#: bounded counts and rates whose size the run pays for directly (work per item, events
#: per day); an outer ``Field(le=...)`` cannot tighten the bound of ``NonNeg``
UpTo4 = Annotated[float, Field(ge=0.0, le=4.0, allow_inf_nan=False), Number]
UpTo100 = Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False), Number]
UpTo1000 = Annotated[float, Field(ge=0.0, le=1000.0, allow_inf_nan=False), Number]
UpToMillion = Annotated[float, Field(ge=0.0, le=1e6, allow_inf_nan=False), Number]
IntUpTo100 = Annotated[int, Field(ge=0, le=100), Number]
IntUpTo1000 = Annotated[int, Field(ge=0, le=1000), Number]

#: a name the file gives to a channel, team, segment or supplier
Name = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$")]


def shares(v: Mapping[str, float], what: str) -> dict[str, float]:
    """Check a mapping of weights: at least one positive, none negative."""
    total = sum(v.values())
    if not v or total <= 0:
        raise ValueError(f"{what} needs at least one positive weight")
    if any(x < 0 for x in v.values()):
        raise ValueError(f"{what} weights must be >= 0")
    return dict(v)


# --------------------------------------------------------------------------- vocabulary
#: ``reseller``: a deal a channel partner found and sold itself (its own sales time); the
#: company quotes, delivers and pays the reseller commission on it and on its reorders
LeadSource = Literal["ads", "organic", "trade_show", "referral", "reseller"]
IntakeRoute = Literal["portal", "edi", "email", "phone", "fax"]
#: routes on which an order arrives as free text and a person has to read it
UNSTRUCTURED: frozenset[str] = frozenset({"email", "phone", "fax"})

#: What a channel does in the journey. A scenario may have any number of channels of a role,
#: under any names (a second web shop, a regional contact centre).
ChannelRole = Literal[
    "web_shop", "app", "marketplace", "store", "contact_centre", "chatbot", "inside_sales",
    "field_sales", "partner_portal",
]
CHANNEL_ROLES: tuple[str, ...] = ChannelRole.__args__  # type: ignore[attr-defined]
#: The role a channel has when the file gives none: the classic channel names.
DEFAULT_CHANNEL_ROLES: dict[str, str] = {
    "web": "web_shop", "app": "app", "marketplace": "marketplace", "store": "store",
    "call_centre": "contact_centre", "chatbot": "chatbot", "inside_sales": "inside_sales",
    "field_sales": "field_sales", "partner_portal": "partner_portal",
    **{role: role for role in CHANNEL_ROLES},
}
#: Roles whose channels are digital: visitors serve themselves on pages.
DIGITAL_ROLES: tuple[str, ...] = ("web_shop", "app", "marketplace", "partner_portal")

#: What a back-office team does in the journey (its work queue).
TeamRole = Literal["order_desk", "credit_control", "collections", "purchasing", "sales_ops",
                   "customer_service", "pricing", "billing"]
TEAM_ROLES: tuple[str, ...] = TeamRole.__args__  # type: ignore[attr-defined]
#: Team roles the journey sends work to directly; a scenario needs one team of each.
REQUIRED_TEAM_ROLES: tuple[str, ...] = ("credit_control", "collections", "sales_ops",
                                         "customer_service")

#: Back-office systems are keyed by what they are: one CRM, one OMS ... (several vendors'
#: copies of one system are its ``instances``).
SystemName = Literal["crm", "cpq", "oms", "erp", "wms", "billing", "payments"]
REQUIRED_SYSTEMS: tuple[str, ...] = ("crm", "oms", "erp", "wms", "billing", "payments")

LinkName = Literal[
    "lead_routing", "order_intake", "order_desk", "oms_to_erp", "erp_to_wms", "stock_sync",
    "partner_orders", "supplier_po", "carrier_booking", "installer_booking", "invoicing",
    "cash_posting", "master_sync", "order_status", "quote_approval",
]
LINK_NAMES: tuple[str, ...] = LinkName.__args__  # type: ignore[attr-defined]
#: Links a scenario may leave out: no quote approvals without ``quote_approval``.
OPTIONAL_LINKS: tuple[str, ...] = ("quote_approval",)
