"""What a KPI declaration holds: its unit, which direction is better, where it is shown, and
the :class:`Kpi`, :class:`Family` and :class:`Part` types the registry is made of.

A :class:`Kpi` is one number of ``kpis.json``. A :class:`Family` is one mapping of numbers of
the same unit (the cost buckets, utilisation per station, ...); its children are
:class:`Part` declarations, or come from the run (stations, segments), and
:meth:`Family.member` gives each child the full :class:`Kpi` description (label, unit,
direction) under its dotted key, e.g. ``cost_breakdown.staff``.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sim.kpis.formulas import Formula


class Unit(Enum):
    """The kind of number a KPI is, and how it is written.

    Attributes:
        title: The unit's name in ``docs/kpis.md``.
        suffix: Added to labels in table headings, e.g. ``"Lead to cash, mean (days)"``;
            empty where the value says it itself (``23.1%``) or the label does.
        sentence_unit: Unit of a difference in a sentence: ``"points"`` for shares
            (percentage points), ``"days"``, ``"hours"`` or nothing.
        decimals: Decimals shown in a run table (a KPI may ask for others).
    """

    SHARE = ("share", "", "points", 1)
    DAYS = ("days", "days", "days", 1)
    HOURS = ("hours", "hours", "hours", 1)
    MONEY = ("money", "", "", 0)
    COUNT = ("count", "", "", 0)
    PER_DAY = ("per-day rate", "", "", 1)
    SCORE = ("score 0-100", "0-100", "", 1)
    RATIO = ("plain ratio", "", "", 2)

    def __init__(self, title: str, suffix: str, sentence_unit: str, decimals: int) -> None:
        self.title = title
        self.suffix = suffix
        self.sentence_unit = sentence_unit
        self.decimals = decimals

    @property
    def bounded(self) -> bool:
        """Whether values of this unit lie in [0, 1] (shares)."""
        return self is Unit.SHARE


class Better(Enum):
    """Which direction of a KPI is an improvement."""

    HIGHER = "higher"
    LOWER = "lower"
    NEITHER = "neither"


class Scope(Enum):
    """What a KPI counts: events in the statistics window, or the customers of its cohort."""

    WINDOW = "window"
    COHORT = "cohort"


class View(Enum):
    """Where a KPI is shown (each view lists its KPIs in registry order)."""

    RUN = "run"  #: the table of ``omnisim run``
    COMPARE = "compare"  #: the table of ``omnisim compare``
    SWEEP = "sweep"  #: the default columns of ``omnisim sweep``'s table
    SWEEP_FIGURE = "sweep figure"  #: the panels of the sweep's ``kpi`` figure
    REPORT = "report"  #: the KPI table and the sentences of ``omnisim report``
    SLIDE = "slide"  #: the panels of the compare slide figure (``ladder.png``, ``kpi`` plot)
    WORKSHOP = "workshop"  #: the headline numbers of the workshop page


@dataclass(frozen=True)
class Kpi:
    """One KPI, declared once.

    Attributes:
        key: Its key in ``kpis.json`` (dotted for a family's child: ``cost_breakdown.staff``).
        label: What a strategist reads in a table or figure: ``"Cart abandonment"``.
        name: How a sentence names it: ``"cart abandonment"`` (``"... falls by 6 points"``).
        unit: The kind of number (:class:`Unit`).
        better: Which direction is an improvement (:class:`Better`).
        formula: How it is computed (:mod:`sim.kpis.formulas`); None only for a key the
            registry does not know (:func:`sim.kpis.registry.describe` of an unknown key).
        definition: The definition in ``docs/kpis.md`` (Markdown).
        scope: Window or cohort (:class:`Scope`).
        shown: The views that show it (:class:`View`).
        bounded: Whether it lies in [0, 1]; by default, whether its unit is a share.
        decimals: Decimals in a run table; by default the unit's.
        in_results: False for a number only a view computes (the workshop's orders per day),
            which ``kpis.json`` does not hold.
        min_days: The shortest statistics window (days after the warm-up) over which the
            KPI means anything for a scenario (``min_days(scenario)``; None: any window),
            e.g. DSO needs the longest payment terms plus the mean late delay
            (:mod:`sim.kpis.horizon`); ``omnisim run`` and the manifest warn below it.
        signed: Whether an amount or count may be negative (EBIT, cash flow); otherwise
            a KPI that is not a share lies at or above 0 (:attr:`bounds`).
    """

    key: str
    label: str
    name: str
    unit: Unit
    better: Better
    formula: Formula | Callable[[Any], Any] | None
    definition: str
    scope: Scope = Scope.WINDOW
    shown: AbstractSet[View] = field(default_factory=frozenset)
    bounded: bool = None  # type: ignore[assignment]  # None: from the unit
    decimals: int | None = None
    in_results: bool = True
    min_days: Callable[[Any], float] | None = None
    signed: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "shown", frozenset(self.shown))
        if self.bounded is None:
            object.__setattr__(self, "bounded", self.unit.bounded)

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """The range its values lie in (None: unbounded on that side): [0, 1] for a bounded
        share, [0, 100] for a score, [0, inf) for everything else that is not signed."""
        if self.unit is Unit.SHARE:
            return (0.0, 1.0) if self.bounded else (None, None)
        if self.unit is Unit.SCORE:
            return 0.0, 100.0
        return (None, None) if self.signed else (0.0, None)

    def evaluate(self, source: Any) -> Any:
        """The KPI's value from ``source`` (a run's context or a snapshot)."""
        if self.formula is None:
            raise ValueError(f"KPI {self.key!r} is not declared in the registry (no formula)")
        return self.formula(source)

    @property
    def heading(self) -> str:
        """The label with its unit, for table headings and figure titles."""
        return f"{self.label} ({self.unit.suffix})" if self.unit.suffix else self.label

    @property
    def format_spec(self) -> str:
        """A ``str.format`` pattern for one value: ``"{:.1%}"``, ``"{:,.1f}"``."""
        d = self.unit.decimals if self.decimals is None else self.decimals
        return f"{{:.{d}%}}" if self.unit is Unit.SHARE else f"{{:,.{d}f}}"

    def format(self, value: float | None) -> str:
        """One value as a table shows it; ``"n/a"`` for a missing (None or NaN) one."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "n/a"
        return self.format_spec.format(value)

    def format_interval(self, mean: float | None, low: float | None = None,
                        high: float | None = None) -> str:
        """A mean with the half-width of its interval: ``"23.1% ±1.2"``, ``"1,234 ±56"``;
        an interval not centred on the mean (a bounded KPI's, :func:`analysis.stats.kpi_ci`)
        with its ends instead: ``"97.0% (93.1–99.0)"``.

        Shares are in percent (the half-width in points); other numbers get 2 decimals
        below 100 and none from 100 on. A missing mean is ``"n/a"``; a missing interval
        leaves the half-width out.
        """
        if mean is None or math.isnan(mean):
            return "n/a"
        share = self.unit is Unit.SHARE
        digits = 0 if abs(mean) >= 100 else 2
        text = f"{mean:.1%}" if share else f"{mean:,.{digits}f}"
        if low is None or high is None or math.isnan(low) or math.isnan(high):
            return text
        scale, fmt = (100.0, ".1f") if share else (1.0, f",.{digits}f")
        if abs((high - mean) - (mean - low)) > 1e-9 * max(1.0, abs(mean)) + 0.01 * (high - low):
            return f"{text} ({low * scale:{fmt}}–{high * scale:{fmt}})"
        return f"{text} ±{(high - low) / 2 * scale:{fmt}}"


@dataclass(frozen=True)
class Part:
    """A declared child of a :class:`Family`.

    Attributes:
        key: The child's key inside the family's mapping (``"staff"``).
        label: Its label (``"Staff"``); by default the key with spaces, capitalised.
        name: Its name in a sentence; by default the label in lower case.
        formula: How it is computed, unless the family computes its whole mapping at once.
            In a family with a pattern key the formula's keys may hold the pattern's field
            (``ratio("funnel.{segment}.mql", "leads.{segment}")``).
        definition: Its definition in ``docs/kpis.md``.
        unit, better: The child's own unit and direction, in a family whose children are
            not all of one kind (a segment's unit economics: money, a share, a ratio); by
            default the family's.
    """

    key: str
    label: str = ""
    name: str = ""
    formula: Formula | None = None
    definition: str = ""
    unit: Unit | None = None
    better: Better | None = None

    def __post_init__(self) -> None:
        if not self.label:
            words = self.key.replace("_", " ")
            object.__setattr__(self, "label", words[:1].upper() + words[1:])
        if not self.name:
            object.__setattr__(self, "name", self.label.lower())


@dataclass(frozen=True)
class Family:
    """A mapping of KPIs of one unit, declared once (its children share unit and direction).

    Attributes:
        key: The mapping's key in ``kpis.json``, or a pattern with one field for a family
            per instance: ``"funnel_{segment}"``.
        label, name, unit, better, definition, scope, shown: As for :class:`Kpi`; ``unit``
            and ``better`` are those of every child that does not declare its own.
        parts: The declared children, in order.
        values: Computes the whole mapping from a :class:`~sim.kpis.compute.Context`
            (children not declared as parts, e.g. one per station, get a default part).
        instances: For a pattern key, the instances of the run (e.g. its B2B segments).
        child_label, child_name: Templates of a child's label and sentence name, with the
            fields ``label`` and ``name`` (the part's) and ``instance``.
    """

    key: str
    label: str
    name: str
    unit: Unit
    better: Better
    definition: str
    scope: Scope = Scope.WINDOW
    parts: tuple[Part, ...] = ()
    values: Callable[[Any], Mapping[str, Any]] | None = None
    instances: Callable[[Any], Iterable[str]] | None = None
    child_label: str = "{label}"
    child_name: str = "{name}"
    shown: AbstractSet[View] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shown", frozenset(self.shown))

    @property
    def mixed(self) -> bool:
        """Whether some child declares its own unit or direction."""
        return any(p.unit is not None or p.better is not None for p in self.parts)

    @property
    def param(self) -> str | None:
        """The field of a pattern key (``"segment"``), or None."""
        fields = [f for _, f, _, _ in string.Formatter().parse(self.key) if f]
        return fields[0] if fields else None

    def key_for(self, instance: str) -> str:
        """The mapping's key for one instance: ``funnel_{segment}`` -> ``funnel_b2b``."""
        return self.key.format(**{self.param: instance}) if self.param else self.key

    def match(self, key: str) -> str | None:
        """The instance that ``key`` names (``""`` for a family without a pattern), or None
        when ``key`` is not this family's."""
        if self.param is None:
            return "" if key == self.key else None
        before, _, after = self.key.partition("{" + self.param + "}")
        m = re.fullmatch(re.escape(before) + "(.+)" + re.escape(after), key)
        return m.group(1) if m else None

    def part(self, key: str) -> Part:
        """The declared part ``key``, or a default one (a station, a bucket only the run has)."""
        return next((p for p in self.parts if p.key == key), None) or Part(key)

    def bound(self, part: Part, instance: str) -> Formula | None:
        """The part's formula with the pattern's field filled in."""
        if part.formula is None or self.param is None:
            return part.formula
        return part.formula.bind(**{self.param: instance})

    def member(self, child: str, instance: str = "") -> Kpi:
        """The full description of one child, under its dotted key."""
        p = self.part(child)
        fields = {"label": p.label, "name": p.name, "instance": instance}
        parent = self.key_for(instance) if self.param else self.key
        return Kpi(key=f"{parent}.{child}", label=self.child_label.format(**fields),
                   name=self.child_name.format(**fields), unit=p.unit or self.unit,
                   better=p.better or self.better,
                   formula=self.bound(p, instance), definition=p.definition or self.definition,
                   scope=self.scope)
