"""The formulas KPIs are declared with: small declarative helpers over named quantities.

A :class:`Quantity` is a cumulative number of a run that can be read at any moment: a ledger
count (:func:`counted`; a bare string in a helper means one), a ledger amount of money
(:func:`money`), a count of the contact centres' calls (:func:`calls`), revenue by lead
source (:func:`revenue_from`) or the value of another KPI (:func:`kpi`).

Formulas read quantities from a *source*: the :class:`~sim.kpis.compute.Context` of a run
(for ``kpis.json``), or a :class:`~sim.kpis.compute.Snapshot` of a few quantities taken at
some moment (the workshop's daily history). Formulas made only of quantities
(:func:`count`, :func:`value`, :func:`ratio`, :func:`per_day`) have ``interval = True``:
they can be evaluated from a snapshot, and a :class:`Ratio` names its numerator and
denominator so that other code can take the same ratio over any interval (the difference of
two snapshots). :func:`mean_of` and :func:`p90_of` need the run's observations; a plain
function ``f(context)`` may read anything of the run (for the few odd KPIs).

>>> r = ratio("oversells", "orders")
>>> r.numerator, r.denominator
(Quantity(source='count', key='oversells'), Quantity(source='count', key='orders'))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeGuard

import numpy as np


@dataclass(frozen=True)
class Quantity:
    """A cumulative number of a run, read by a source.

    Attributes:
        source: ``"count"`` (ledger counts), ``"money"`` (ledger money), ``"calls"`` (a
            counter of every contact centre, pooled), ``"revenue_by_source"``,
            ``"by_segment"`` (money of one segment) or ``"kpi"`` (the value of another KPI).
        key: The count, amount, station counter, lead source or KPI key; may hold a
            pattern field (``"leads.{segment}"``) until :meth:`bind` fills it.
    """

    source: str
    key: str

    def bind(self, **params: str) -> Quantity:
        """The quantity with pattern fields filled in."""
        return Quantity(self.source, self.key.format(**params))

    @property
    def text(self) -> str:
        """How ``docs/kpis.md`` writes it: ``carts``, ``money.cash``, ``calls.abandoned``."""
        return f"`{self.key}`" if self.source == "count" else f"`{self.source}.{self.key}`"


def by_segment(key: str) -> Quantity:
    """A ledger amount of one segment (``ledger.by_segment[key]``: ``"revenue.<segment>"``,
    ``"refunds.<segment>"``, ``"cogs.<segment>"``, ``"acquisition.<segment>"`` ...)."""
    return Quantity("by_segment", key)


def counted(key: str) -> Quantity:
    """A ledger count (``ledger.n[key]``)."""
    return Quantity("count", key)


def money(key: str) -> Quantity:
    """A ledger amount of money (``ledger.money[key]``: revenue, refunds, cash, ...)."""
    return Quantity("money", key)


def calls(counter: str) -> Quantity:
    """A station counter (``arrivals``, ``abandoned``, ``answered_in_target``) summed over the
    contact centres (:func:`sim.kpis.compute.contact_centres`)."""
    return Quantity("calls", counter)


def revenue_from(source: str) -> Quantity:
    """Revenue of customers from one lead source (``ledger.revenue_by_source``)."""
    return Quantity("revenue_by_source", source)


def kpi(key: str) -> Quantity:
    """The value of another KPI (e.g. ``total_cost``), as a quantity."""
    return Quantity("kpi", key)


def _q(x: str | Quantity) -> Quantity:
    return counted(x) if isinstance(x, str) else x


class Source(Protocol):
    """What formulas read: quantities, and the window's length in days."""

    days: float

    def read(self, q: Quantity) -> Any:
        """The current value of a quantity."""


def safe_ratio(a: float, b: float) -> float:
    """``a / b``, NaN when ``b`` is 0 (an empty denominator)."""
    return a / b if b else float("nan")


class Formula:
    """Base of the declarative formulas: ``formula(source)`` is the KPI's value."""

    #: whether the formula reads only quantities (so a snapshot can evaluate it)
    interval = False

    @property
    def quantities(self) -> tuple[Quantity, ...]:
        """The quantities it reads."""
        return ()

    @property
    def text(self) -> str:
        """The formula in words, for ``docs/kpis.md``."""
        return ""

    def __call__(self, src: Any) -> Any:
        raise NotImplementedError

    def bind(self, **params: str) -> Formula:
        """The formula with pattern fields in its keys filled in."""
        return self


@dataclass(frozen=True)
class Read(Formula):
    """The value of one quantity, or the sum of several."""

    parts: tuple[Quantity, ...]
    interval = True

    @property
    def quantities(self) -> tuple[Quantity, ...]:
        return self.parts

    @property
    def text(self) -> str:
        return " + ".join(q.text for q in self.parts)

    def __call__(self, src: Source) -> Any:
        total = src.read(self.parts[0])
        for q in self.parts[1:]:
            total = total + src.read(q)
        return total

    def bind(self, **params: str) -> Read:
        return Read(tuple(q.bind(**params) for q in self.parts))


@dataclass(frozen=True)
class Ratio(Formula):
    """``numerator x scale / denominator``; NaN when the denominator is 0."""

    numerator: Quantity
    denominator: Quantity
    scale: float = 1.0
    interval = True

    @property
    def quantities(self) -> tuple[Quantity, ...]:
        return (self.numerator, self.denominator)

    @property
    def text(self) -> str:
        scale = "" if self.scale == 1.0 else f" x {self.scale:g}"
        return f"{self.numerator.text}{scale} / {self.denominator.text}"

    def of(self, num: float, den: float) -> float:
        """The ratio of given numerator and denominator values (e.g. over an interval)."""
        return safe_ratio(num * self.scale if self.scale != 1.0 else num, den)

    def __call__(self, src: Source) -> float:
        return self.of(src.read(self.numerator), src.read(self.denominator))

    def bind(self, **params: str) -> Ratio:
        return Ratio(self.numerator.bind(**params), self.denominator.bind(**params), self.scale)


@dataclass(frozen=True)
class PerDay(Formula):
    """A quantity per day of the window; NaN for a window of no time."""

    quantity: Quantity
    interval = True

    @property
    def quantities(self) -> tuple[Quantity, ...]:
        return (self.quantity,)

    @property
    def text(self) -> str:
        return f"{self.quantity.text} / days"

    def __call__(self, src: Source) -> float:
        return src.read(self.quantity) / src.days if src.days else float("nan")

    def bind(self, **params: str) -> PerDay:
        return PerDay(self.quantity.bind(**params))


@dataclass(frozen=True)
class Mean(Formula):
    """The mean of a ledger observation list (times x ``scale``); NaN when there is none."""

    observation: str
    scale: float | None = None

    @property
    def text(self) -> str:
        scale = "" if self.scale is None else f" x {self.scale:g}"
        return f"mean of `{self.observation}`{scale}"

    def __call__(self, src: Any) -> float:
        xs = src.observations(self.observation)
        m = float(np.mean(xs)) if xs else float("nan")
        return m if self.scale is None else self.scale * m


@dataclass(frozen=True)
class P90(Formula):
    """The 90th percentile of a ledger observation list; NaN when there is none."""

    observation: str

    @property
    def text(self) -> str:
        return f"p90 of `{self.observation}`"

    def __call__(self, src: Any) -> float:
        xs = src.observations(self.observation)
        return float(np.percentile(xs, 90)) if xs else float("nan")


@dataclass(frozen=True)
class Function(Formula):
    """A function of the run, ``fn(source, **fields)``, with its formula in words for the
    docs; in a family with a pattern key, :meth:`bind` passes the pattern's fields (the
    segment of a segment's unit economics)."""

    fn: Callable[..., Any]
    words: str
    fields: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        return self.words.format(**dict(self.fields)) if self.fields else self.words

    def __call__(self, src: Any) -> Any:
        return self.fn(src, **dict(self.fields))

    def bind(self, **params: str) -> Function:
        return Function(self.fn, self.words, tuple(sorted(params.items())))


def function(fn: Callable[..., Any], words: str) -> Function:
    """A formula computed by ``fn(source, **fields)``, written ``words`` in the docs:
    ``function(_ebit, "`kpi.gross_profit` - `kpi.total_cost`")``."""
    return Function(fn, words)


def count(*keys: str | Quantity) -> Read:
    """A ledger count, or the sum of several: ``count("carts", "quotes")``."""
    return Read(tuple(_q(k) for k in keys))


def value(q: Quantity) -> Read:
    """The value of any quantity: ``value(money("cash"))``."""
    return Read((q,))


def ratio(numerator: str | Quantity, denominator: str | Quantity, *, scale: float = 1.0
          ) -> Ratio:
    """``numerator / denominator`` (strings are ledger counts): ``ratio("oversells", "orders")``,
    ``ratio(kpi("total_cost"), "orders")``, ``ratio(calls("abandoned"), calls("arrivals"))``."""
    return Ratio(_q(numerator), _q(denominator), scale)


def per_day(q: str | Quantity) -> PerDay:
    """A quantity per day of the window: ``per_day("delivered")``."""
    return PerDay(_q(q))


def mean_of(observation: str, *, scale: float | None = None) -> Mean:
    """Mean of an observation list: ``mean_of("lead_to_cash_days")``."""
    return Mean(observation, scale)


def p90_of(observation: str) -> P90:
    """90th percentile of an observation list: ``p90_of("lead_to_cash_days")``."""
    return P90(observation)


def is_interval(formula: Any) -> TypeGuard[Formula]:
    """Whether ``formula`` reads only quantities (a plain function does not)."""
    return bool(getattr(formula, "interval", False))

