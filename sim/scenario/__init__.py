"""Scenario files: schema (version 1), loading, ``extends:`` and ``--set`` overrides.

A scenario is pure data describing one company: its customer segments, channels, back-office
systems, teams, partners, the integration links between them, inventory, costs, horizon and
seed. Files are YAML, loaded safely (no object construction from tags), validated against
pydantic models with unknown keys rejected, and converted to internal units (hours, scenario
currency). The JSON schema in ``sim/schemas/scenario-1.json`` is generated from these models
(``omnisim scenarios schema``); ``docs/scenarios.md`` explains every field.

The package, in the manner of pyhf's ``schema`` package:

- :mod:`~sim.scenario.fields`: field types (units, distributions, bounded numbers), names
  and the roles of channels and teams,
- :mod:`~sim.scenario.segments`: the three kinds of customer segment (a discriminated union),
- :mod:`~sim.scenario.company`: links, channels, systems, teams, partners and the rest,
- :mod:`~sim.scenario.model`: :class:`Scenario`, its cross-references and role look-ups,
- :mod:`~sim.scenario.files`: safe YAML reading,
- :mod:`~sim.scenario.overrides`: ``--set`` assignments,
- :mod:`~sim.scenario.loading`: shipped names, ``extends:``, validation, :func:`load`,
- :mod:`~sim.scenario.errors`: :class:`ScenarioError` and one-line messages.

Every problem raises :class:`ScenarioError` with a one-line message naming the file, the field
and what is allowed.
"""

from sim.scenario.company import (
    BatchLink,
    Calendar,
    Catalog,
    Channel,
    Checkout,
    Costs,
    Crm,
    Link,
    ManualLink,
    Opening,
    Partners,
    RealtimeLink,
    System,
    Team,
    Warehouse,
)
from sim.scenario.errors import ScenarioError
from sim.scenario.fields import (
    CHANNEL_ROLES,
    DIGITAL_ROLES,
    LINK_NAMES,
    TEAM_ROLES,
    UNSTRUCTURED,
    ChannelRole,
    LinkName,
    TeamRole,
)
from sim.scenario.files import MAX_ALIASES, MAX_FILE_BYTES
from sim.scenario.loading import (
    MAX_EXTENDS_DEPTH,
    SCENARIO_DIR,
    Loaded,
    deep_merge,
    list_shipped,
    load,
    load_raw,
    load_scenario,
    resolve_path,
    validate,
)
from sim.scenario.model import SCHEMA_VERSION, WARMUP_TOO_LONG, Scenario
from sim.scenario.overrides import apply_override
from sim.scenario.segments import (
    AfterSale,
    BusinessSegment,
    BuyerSegment,
    CartBehaviour,
    ConsumerSegment,
    Funnel,
    Patience,
    Segment,
    ServiceSegment,
    ServiceStep,
)

__all__ = [
    "CHANNEL_ROLES", "DIGITAL_ROLES", "LINK_NAMES", "MAX_ALIASES", "MAX_EXTENDS_DEPTH",
    "MAX_FILE_BYTES", "SCENARIO_DIR", "SCHEMA_VERSION", "TEAM_ROLES", "UNSTRUCTURED",
    "WARMUP_TOO_LONG", "LinkName",
    "AfterSale", "BatchLink", "BusinessSegment", "BuyerSegment", "Calendar", "CartBehaviour",
    "Catalog", "Channel", "ChannelRole", "Checkout", "ConsumerSegment", "Costs", "Crm",
    "Funnel", "Link", "Loaded", "ManualLink", "Opening", "Partners", "Patience", "RealtimeLink",
    "Scenario", "ScenarioError", "Segment", "ServiceSegment", "ServiceStep", "System", "Team",
    "TeamRole", "Warehouse", "apply_override", "deep_merge", "list_shipped", "load",
    "load_raw", "load_scenario", "resolve_path", "validate",
]
