"""The terminal tables of ``compare`` and ``sweep``, readable at 80 columns.

No cell is ever cut: every column is at least as wide as its longest cell line and its
longest heading word (numbers never wrap), and columns that do not fit the terminal go into
a further table that repeats the row keys. ``compare`` shows KPIs as rows and scenarios as
columns when that fits the width, and otherwise turns the table: scenarios (a ladder's
phases) as rows and the KPIs as columns, in as many tables as the width needs, in registry
order. Headings are the registry's labels with their units and the scenario currency
(:mod:`sim.kpis.display`), numbers are compact (``1.10M``, ``12.3%``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.table import Table

#: what a column takes besides its text: one space of padding either side and a border
_EDGE = 3


@dataclass
class Column:
    """One column: its heading and one cell per row (a cell may hold several lines)."""

    header: str
    cells: list[str]
    justify: str = "right"
    _width: int = field(default=0, repr=False)

    @property
    def natural(self) -> int:
        """The width that wraps nothing: the longest heading or cell line."""
        lines = [len(line) for c in self.cells for line in c.split("\n")]
        return max(len(self.header), *lines, self.width)

    @property
    def width(self) -> int:
        """The narrowest width that cuts nothing: the longest cell line or heading word."""
        if not self._width:
            words = [len(w) for w in self.header.split()] or [0]
            lines = [len(line) for c in self.cells for line in c.split("\n")] or [0]
            self._width = max(*words, *lines, 1)
        return self._width


def _needed(columns: Sequence[Column]) -> int:
    return sum(c.width + _EDGE for c in columns) + 1


def pack(keys: Sequence[Column], values: Sequence[Column], width: int) -> list[list[Column]]:
    """The value columns in groups that fit ``width`` beside the key columns (each group
    at least one column, so a very narrow terminal still gets every column, one a table)."""
    groups: list[list[Column]] = []
    for col in values:
        if groups and _needed([*keys, *groups[-1], col]) <= width:
            groups[-1].append(col)
        else:
            groups.append([col])
    return groups


def widths(columns: Sequence[Column], width: int) -> list[int]:
    """Each column's width: its narrowest (:attr:`Column.width`), then what is left of
    ``width`` shared out one character at a time to the columns still below their natural
    width, so headings wrap only as much as the terminal needs. Rich's own shrinking would
    cut numbers; these widths are given to it as fixed."""
    out = [c.width for c in columns]
    room = width - _needed(columns)
    want = [c.natural for c in columns]
    while room > 0 and any(w < n for w, n in zip(out, want, strict=True)):
        for i, n in enumerate(want):
            if room > 0 and out[i] < n:
                out[i] += 1
                room -= 1
    return out


def tables(title: str, keys: Sequence[Column], values: Sequence[Column], width: int,
           lines: bool = False) -> list[Table]:
    """Rich tables of ``keys`` + ``values`` columns that fit ``width``; several tables
    (``title (1/3)`` ...) when the value columns do not fit beside the keys at once."""
    from rich.table import Table

    groups = pack(keys, values, width)
    out = []
    for i, group in enumerate(groups):
        part = f" ({i + 1}/{len(groups)})" if len(groups) > 1 else ""
        t = Table(title=(title if i == 0 else "continued") + part, title_justify="left",
                  show_lines=lines)
        cols = (*keys, *group)
        for col, w in zip(cols, widths(cols, width), strict=True):
            t.add_column(col.header, justify=col.justify, width=w,  # type: ignore[arg-type]
                         overflow="fold")
        for row in zip(*(c.cells for c in (*keys, *group)), strict=True):
            t.add_row(*row)
        out.append(t)
    return out


# --------------------------------------------------------------------------- compare
def compare_tables(scenarios: list[dict[str, Any]], keys: Sequence[str], replications: int,
                   currency: str, width: int) -> list[Table]:
    """The tables of ``omnisim compare``.

    Args:
        scenarios: The ``scenarios`` of the comparison's JSON (name, kpis with mean,
            ci_low, ci_high, diff_mean, diff_ci_low, diff_ci_high).
        keys: The KPIs to show, in order.
        replications: Replications per scenario (for the title).
        currency: The scenarios' currency, for money headings.
        width: The terminal's width.
    """
    from sim.kpis.display import heading
    from sim.kpis.registry import describe

    names = [s["name"] for s in scenarios]
    title = (f"Means ±95% CI over {replications} replications; Δ = paired difference to "
             f"{names[0]} (* = its interval excludes 0)")
    specs = [describe(k) for k in keys]
    cells = [[_cell(spec, s, first=j == 0) for spec in specs] for j, s in enumerate(scenarios)]
    wide = [Column("KPI", [heading(s, currency) for s in specs], "left")]
    wide += [Column(n, cells[j]) for j, n in enumerate(names)]
    if _needed(wide) <= width:
        return tables(title, wide[:1], wide[1:], width, lines=True)
    key = [Column("Scenario", names, "left")]
    cols = [Column(heading(spec, currency), [cells[j][i] for j in range(len(names))])
            for i, spec in enumerate(specs)]
    return tables(title, key, cols, width, lines=True)


def _cell(spec: Any, scenario: dict[str, Any], first: bool) -> str:
    from sim.kpis.display import difference, interval

    k = scenario["kpis"].get(spec.key)
    if k is None:
        return "n/a"
    text = interval(spec, k["mean"], k["ci_low"], k["ci_high"])
    d = "" if first else difference(spec, k["diff_mean"], k["diff_ci_low"], k["diff_ci_high"])
    return text + (f"\n{d}" if d else "")


# --------------------------------------------------------------------------- sweep
def sweep_tables(title: str, parameters: Sequence[str], points: list[dict[str, Any]],
                 keys: Sequence[str], currency: str, width: int) -> list[Table]:
    """The tables of ``omnisim sweep``: one row per point, its parameters (named by their
    last two path parts, values compact) and each KPI's mean with its interval.

    Args:
        title: The tables' title.
        parameters: The varied fields' paths.
        points: One dict per point: ``values`` (parameter -> value as written in the
            table) and ``kpis`` (key -> mean, ci_low, ci_high).
        keys: The KPIs to show.
        currency: The scenario currency.
        width: The terminal's width.
    """
    from sim.kpis.display import heading, interval
    from sim.kpis.registry import describe

    params = [Column(short_path(p), [parameter_value(pt["values"][p]) for pt in points],
                     "left") for p in parameters]
    cols = []
    for key in keys:
        spec = describe(key)
        cols.append(Column(heading(spec, currency),
                           [interval(spec, *(pt["kpis"][key][x] for x in
                                             ("mean", "ci_low", "ci_high")))
                            for pt in points]))
    return tables(title, params, cols, width)


def short_path(path: str) -> str:
    """A scenario field by its last two parts: ``call_centre.staff``."""
    return ".".join(path.split(".")[-2:])


def parameter_value(v: Any) -> str:
    """A varied value as a table shows it: a text as written (``"1 h"``), a number compact
    (a Latin hypercube's ``0.347182937461`` is ``0.347``, ``1000000`` is ``1.00M``)."""
    from sim.kpis.display import compact

    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    if float(v).is_integer() and abs(v) < 1000:
        return str(int(v))
    return compact(float(v))
