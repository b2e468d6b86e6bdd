"""The top of a scenario file: one company, its references checked, and its roles looked up."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from sim.scenario.company import (
    Calendar,
    Catalog,
    Channel,
    Checkout,
    Costs,
    Crm,
    DataMasters,
    Errors,
    Link,
    ManualLink,
    Market,
    Opening,
    Partners,
    System,
    Team,
    Warehouse,
)
from sim.scenario.fields import (
    CHANNEL_ROLES,
    DEFAULT_CHANNEL_ROLES,
    LINK_NAMES,
    OPTIONAL_LINKS,
    REQUIRED_SYSTEMS,
    REQUIRED_TEAM_ROLES,
    TEAM_ROLES,
    Duration,
    LinkName,
    Name,
    NonNegInt,
    Number,
    SampleInterval,
    Strict,
    SystemName,
)
from sim.scenario.quoting import Invoices, Quoting
from sim.scenario.segments import BusinessSegment, Segment, ServiceSegment, check_route

SCHEMA_VERSION = 1
WARMUP_TOO_LONG = "warmup must be shorter than horizon"
#: stations the model always builds besides channels, systems and teams
FIXED_STATIONS = ("warehouse", "installers")


def _with_roles(data: Any) -> Any:
    """Give channels and teams written without a ``role`` the role their classic name
    implies (``call_centre`` is a contact centre, ``collections`` a collections team); other
    names keep no role, so validation asks for one."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for block, defaults in (("channels", DEFAULT_CHANNEL_ROLES),
                            ("teams", {r: r for r in TEAM_ROLES})):
        specs = out.get(block)
        if not isinstance(specs, dict):
            continue
        out[block] = {name: ({**spec, "role": defaults[name]}
                             if isinstance(spec, dict) and "role" not in spec
                             and name in defaults else spec)
                      for name, spec in specs.items()}
    return out


class Scenario(Strict):
    """One company, validated and converted to hours and scenario currency."""

    schema_version: Annotated[Literal[1], Number] = Field(description=(
        "version of the file format; must be 1"))
    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="the scenario's name in tables, "
                                                                  "figures and results folders: "
                                                                  "letters, digits, '_', '.', "
                                                                  "'-', at most 64 characters")
    description: str = Field(
        default="", description="free text: what this company or phase is (the first line shows "
                                "in 'omnisim scenarios list')")
    seed: NonNegInt = Field(
        default=1, description="random seed of the run (whole number >= 0); the same scenario and "
                               "seed give identical results")
    horizon: Duration = Field(gt=0, le=20 * 365 * 24.0, description=(
        "simulated time, a duration ('90 d'); more than 0 and at most 20 years"))
    warmup: Duration = Field(
        default=0.0, description="duration at the start left out of the statistics (the KPIs "
                                 "count from then on); shorter than horizon")
    start_date: date = Field(
        default=date(2026, 1, 5), description="calendar date of simulated time 0 (YYYY-MM-DD); "
                                              "sets the weekday of the opening hours and weekly "
                                              "profile")
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$", description=(
        "ISO 4217 code (three capitals) all amounts are converted to and reported in"))
    sample_interval: SampleInterval = Field(default=24.0, description=(
        "period of the time series (queues, stock, cash) written to results; at least 1 min"))
    opening: Opening = Field(default_factory=Opening, description=(
        "the state the run starts from (steady or empty)"))
    market: Market = Field(description="the customers in reach and their word-of-mouth network")
    calendar: Calendar = Field(default_factory=Calendar, description=(
        "when demand arrives: hour-of-day and weekday profiles and peaks"))
    catalog: Catalog = Field(description=(
        "the products: SKUs, stock policy, price changes, margin and unit cost"))
    data_masters: DataMasters = Field(default_factory=DataMasters, description=(
        "how many separate systems hold customer, product and price master data"))
    segments: dict[str, Segment] = Field(
        min_length=1, description="segment name -> customers who buy alike (kind b2c, smb, "
                                  "enterprise or service); at least one")
    channels: dict[Name, Channel] = Field(
        min_length=1, description="channel name -> where customers meet the company (web shop, "
                                  "contact centre, store ...); at least one")
    systems: dict[SystemName, System] = Field(
        description="back-office systems by kind (crm, cpq, oms, erp, wms, billing, payments); "
                    "all but cpq are required")
    teams: dict[Name, Team] = Field(
        description="team name -> clerks who move work by hand; one team each for credit_control, "
                    "collections, sales_ops and customer_service")
    links: dict[LinkName, Link] = Field(
        description="how work and data move between stations, one entry per link name, each "
                    "manual, batch or realtime")
    quoting: Quoting = Field(description=(
        "how quotes for configured products are made (CPQ or by hand)"))
    invoices: Invoices = Field(default_factory=Invoices, description=(
        "billing work: invoices of re-keyed orders prepared by hand, disputes investigated"))
    partners: Partners = Field(description=(
        "resellers, component suppliers, the parcel carrier and installers"))
    warehouse: Warehouse = Field(description=(
        "pickers, their hours and pick time, store pick-up and returns"))
    checkout: Checkout = Field(description=(
        "design of the online checkout and the order-status page"))
    crm: Crm = Field(default_factory=Crm, description=(
        "what the CRM knows and does: single customer view, lead scoring, promotions, loyalty"))
    errors: Errors = Field(default_factory=Errors, description=(
        "what a keying error breaks: shares of item, price and address errors"))
    costs: Costs = Field(description=(
        "unit costs (pick and pack, reshipping, returns, IT staff) and collection policy"))

    @model_validator(mode="before")
    @classmethod
    def _roles(cls, data: Any) -> Any:
        return _with_roles(data)

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        if self.warmup >= self.horizon:
            raise ValueError(WARMUP_TOO_LONG)
        missing_links = [n for n in LINK_NAMES
                         if n not in self.links and n not in OPTIONAL_LINKS]
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
        self._check_names()
        self._check_work_teams()
        existing = sum(getattr(seg, "existing_customers", 0) for seg in self.segments.values())
        if existing > self.market.addressable_customers:
            raise ValueError(f"market.addressable_customers: {self.market.addressable_customers}"
                             f" is fewer than the segments' existing_customers ({existing}); "
                             "the existing customers are part of the market")
        for seg_name, seg in self.segments.items():
            for ch in seg.channels:
                if ch not in self.channels:
                    raise ValueError(f"segments.{seg_name}.channels: channel '{ch}' is not "
                                     f"defined in channels (defined: {', '.join(self.channels)})")
        for sysname in REQUIRED_SYSTEMS:
            if sysname not in self.systems:
                raise ValueError(f"systems: missing '{sysname}'")
        for role in REQUIRED_TEAM_ROLES:
            if not self.teams_of(role):
                raise ValueError(f"teams: no team has role '{role}' (a team named '{role}' "
                                 f"has it, or give one 'role: {role}')")
        for seg_name, seg in self.segments.items():
            if isinstance(seg, ServiceSegment):
                check_route(f"segments.{seg_name}", seg, self.station_names())
            elif (isinstance(seg, BusinessSegment)
                  and not self.channels_of("inside_sales", "field_sales", "contact_centre")):
                raise ValueError(f"segments.{seg_name}: a {seg.kind} segment needs a channel "
                                 "with role inside_sales, field_sales or contact_centre "
                                 "(its sales meetings happen there)")
        return self

    def _check_names(self) -> None:
        """Channels, systems, teams and the fixed stations share one namespace (stations)."""
        reserved = {*self.systems, *FIXED_STATIONS}
        for block, names in (("channels", list(self.channels)), ("teams", list(self.teams))):
            for name in names:
                if name in reserved:
                    raise ValueError(f"{block}.{name}: the name '{name}' is taken by a system "
                                     "or the warehouse/installers; choose another name")
        both = sorted(set(self.channels) & set(self.teams))
        if both:
            raise ValueError(f"teams.{both[0]}: '{both[0]}' is also a channel; station names "
                             "must be unique")

    # -- names and roles ----------------------------------------------------------------------
    def station_names(self) -> list[str]:
        """Every station the model builds: channels, systems, teams, warehouse, installers."""
        names = [*self.channels, *self.systems, *self.teams, "warehouse"]
        if self.partners.installers is not None:
            names.append("installers")
        return names

    def channels_of(self, *roles: str) -> list[str]:
        """Names of the channels with any of ``roles``, in role order, then file order."""
        for role in roles:
            if role not in CHANNEL_ROLES:
                raise ValueError(f"no channel role {role!r} (roles: {', '.join(CHANNEL_ROLES)})")
        return [n for role in roles for n, ch in self.channels.items() if ch.role == role]

    def _check_work_teams(self) -> None:
        """The pricing, billing and dispute teams named in quoting and invoices exist."""
        inv = self.invoices
        for path, team in (("quoting.team", self.quoting.team), ("invoices.team", inv.team),
                           ("invoices.dispute_team", inv.dispute_team)):
            if team is not None and team not in self.teams:
                raise ValueError(f"{path}: team '{team}' is not defined in teams"
                                 f" (defined: {', '.join(self.teams) or 'none'})")
        if self.quoting.approval_over is not None and "quote_approval" not in self.links:
            raise ValueError("quoting.approval_over: needs links.quote_approval (who approves)")

    def teams_of(self, role: str) -> list[str]:
        """Names of the teams with ``role``, in file order."""
        if role not in TEAM_ROLES:
            raise ValueError(f"no team role {role!r} (roles: {', '.join(TEAM_ROLES)})")
        return [n for n, t in self.teams.items() if t.role == role]

    @property
    def customer_record_parts(self) -> int:
        """How many partial records a channel's or the CRM's view of one customer is split
        over: 1 with a single customer view, else one per customer master."""
        return 1 if self.crm.single_customer_view else self.data_masters.customer

    def team_for(self, role: str) -> str:
        """The team the journey sends work of ``role`` to: the first team with that role."""
        names = self.teams_of(role)
        if not names:
            raise KeyError(f"scenario {self.name!r} has no team with role {role!r}")
        return names[0]
