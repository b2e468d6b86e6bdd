"""``docs/kpis.md``, written from the KPI registry.

``python -m sim.kpis.docs`` rewrites the file; ``python -m sim.kpis.docs --check`` exits 1
when the committed file differs from what the registry gives (the test suite checks the
same). Edit :mod:`sim.kpis.registry`, never the Markdown.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.kpis import registry
from sim.kpis.spec import Family, Kpi, Unit, View

#: the generated file
DOC = Path(__file__).resolve().parents[2] / "docs" / "kpis.md"
COMMAND = "python -m sim.kpis.docs"

_INTRO = f"""\
# KPIs

<!-- Generated from sim/kpis/registry.py by `{COMMAND}`: edit the registry,
not this file (a test fails when the two differ). -->

All KPIs cover the statistics window (after `warmup`). *Window* KPIs count events in the
window; *cohort* KPIs follow the customers whose lead arrived in the window. Ratios with an
empty denominator are `null`. Money is in the scenario currency.

Columns of the tables below:

- *unit*: shares are fractions in [0, 1], shown as percentages (differences in percentage
  points). The units: {", ".join(u.title for u in Unit)}.
- *better*: which direction is an improvement.
- *counts*: window or cohort.
- *shown in*: the `omnisim run`, `compare` and `sweep` tables, the sweep's KPI figure,
  `omnisim report`, the compare slide figure, the workshop's headline. The views:
  {", ".join(v.value for v in View)}.
- *formula*: over ledger counts (`carts`), ledger money (`money.cash`), the contact centres'
  calls (`calls.abandoned`), revenue by lead source, money by segment
  (`by_segment.revenue.<segment>`) or other KPIs (`kpi.total_cost`); in words where a
  function of the run computes it (`sim/kpis/books.py`), blank for the few odd ones
  (`sim/kpis/registry.py`).
"""

_OUTRO = f"""\
The bottleneck (in the CLI table, the manifest and `compare`'s summary) is the resource that
limits flow: among the stations with servers (not unlimited) that had work in the window, the
one with the highest utilisation while open (busy server-hours / server-hours on the roster in
its open hours, overtime included: `utilisation` in `stations.json`); on a tie, the one where
more hours were spent waiting for a busy server. Waiting is split by cause: for a busy server
(`wait_busy_hours`), while the station was closed (`wait_closed_hours`: work that came in
after hours, or queued overnight behind it) and, on batch links, for the next batch run (the
manifest's `waiting_hours`, with the other two). Only the first points at a resource short
of capacity, so a station that is closed half the day or fed in batches is not the
bottleneck because work waits at it.

## Adding a KPI

1. Count what it needs in the journey, e.g. `model.ledger.count("gift_wraps")` (a window
   count) or `ledger.count(..., cohort=c.cohort)` (a cohort count).
2. Add one `Kpi(...)` to `KPIS` in `sim/kpis/registry.py`: key, label, sentence name, unit,
   direction, formula (`count`, `ratio`, `per_day`, `mean_of`, `p90_of`, `value`, or a
   function of the context for an odd one), definition, window or cohort, and the views
   that show it.
3. Run `{COMMAND}` to rewrite this file.

`kpis.json`, every table and figure that shows the view, the report's sentences and the
statistics layer's units then follow from the entry.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _shown(entry: Kpi | Family) -> str:
    return ", ".join(v.value for v in View if v in entry.shown) or "-"


def _formula(formula: object) -> str:
    return _cell(getattr(formula, "text", ""))


def _kpi_row(k: Kpi) -> str:
    return (f"| {_cell(k.label)} | `{k.key}` | {k.unit.title} | {k.better.value} | "
            f"{k.scope.value} | {_shown(k)} | {_formula(k.formula)} | "
            f"{_cell(k.definition)} |")


def _family_section(fam: Family) -> list[str]:
    key = fam.key.replace("{", "<").replace("}", ">")
    kind = ("units and directions in the table" if fam.mixed else
            f"unit *{fam.unit.title}*, {fam.better.value} is better")
    lines = [f"### {fam.label} (`{key}`)", "",
             f"{fam.definition[:1].upper()}{fam.definition[1:]}. Children: {kind}, "
             f"{fam.scope.value} counts; in tables, columns `{key}.<child>`.", ""]
    if fam.instances is not None:
        lines += [f"One mapping per {fam.param} of the run.", ""]
    if not fam.parts:
        lines += ["Its children are those of the run (e.g. one per station).", ""]
        return lines
    instance = f"<{fam.param}>" if fam.param else ""
    if fam.mixed:
        lines += ["| child | label | unit | better | formula | definition |",
                  "|---|---|---|---|---|---|"]
    else:
        lines += ["| child | label | formula | definition |", "|---|---|---|---|"]
    for p in fam.parts:
        m = fam.member(p.key, instance)
        kind = f"{m.unit.title} | {m.better.value} | " if fam.mixed else ""
        lines.append(f"| `{m.key}` | {_cell(m.label)} | {kind}{_formula(m.formula)} | "
                     f"{_cell(p.definition)} |")
    return [*lines, ""]


def render() -> str:
    """The text of ``docs/kpis.md`` for the registry as it is now."""
    lines = [_INTRO, "| KPI | key | unit | better | counts | shown in | formula | definition |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [_kpi_row(k) for k in registry.kpis()]
    lines += ["", "## Nested KPIs", "",
              "Each is a mapping in `kpis.json` and dotted columns in the tables of "
              "`compare` and `sweep`.", ""]
    for fam in registry.families():
        lines += _family_section(fam)
    lines.append(_OUTRO)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Rewrite ``docs/kpis.md`` (or, with ``--check``, say whether it is up to date)."""
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in args:
        same = DOC.is_file() and DOC.read_text(encoding="utf-8") == text
        print(f"{DOC}: {'up to date' if same else f'out of date: run `{COMMAND}`'}")
        return 0 if same else 1
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
