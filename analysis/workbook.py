"""A results folder as an Excel workbook (``--xlsx`` of ``run``, ``compare`` and ``sweep``).

Sheets, by the folder's kind:

- compare: ``KPIs`` (one row per KPI: each scenario's mean and 95% interval),
  ``Differences`` (each scenario minus the first, paired over the same seeds, and whether
  the interval excludes zero), ``Replications`` (one row per scenario x replication, one
  column per KPI);
- sweep: ``Points`` (one row per point: its parameters, each KPI's mean and interval),
  ``Replications`` (the sweep's table, one row per point x replication);
- run: ``KPIs`` (one row per KPI);
- always ``Definitions`` (every KPI of the workbook: label, unit, better, window or cohort,
  definition, as in ``docs/kpis.md``) and ``Run`` (the folder's manifest: what made it).

Headings are the registry's labels with their units and the scenario currency
(:mod:`sim.kpis.display`), cells carry Excel number formats (percent, the currency), the
header row (and the label columns) are frozen. The keys of ``kpis.json`` stay beside the
labels, so a sheet can be matched with the CSV files. The file is written through
:func:`sim.outfile.atomic` (never over a link or a device, never half-written).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from analysis.points import kpi_columns, point_summary
from analysis.results import Results, flat
from sim.kpis.display import excel_format, heading, registry_order, unit_words
from sim.kpis.registry import describe
from sim.outfile import atomic

#: the most rows a worksheet holds (Excel's limit), header row included
MAX_ROWS = 1_048_576

#: a cell: a value, or a value with its number format
Cell = Any


def _plain(x: Any) -> Any:
    """A value a cell can hold: NaN and infinities empty, numpy scalars as Python."""
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, list | tuple):
        return ", ".join(str(v) for v in x)
    return x


class _Book:
    """A write-only openpyxl workbook with bold, frozen header rows."""

    def __init__(self) -> None:
        from openpyxl import Workbook

        self.wb = Workbook(write_only=True)

    def sheet(self, title: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]],
              freeze: int = 1, widths: Sequence[int] = ()) -> None:
        """One sheet: ``headers``, then ``rows`` (a cell is a value or ``(value, format)``);
        the header row and the first ``freeze`` columns stay in view."""
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font
        from openpyxl.utils import get_column_letter

        ws = self.wb.create_sheet(title)
        ws.freeze_panes = f"{get_column_letter(freeze + 1)}2"
        for i, h in enumerate(headers):
            w = widths[i] if i < len(widths) else min(max(len(h) + 2, 10), 40)
            ws.column_dimensions[get_column_letter(i + 1)].width = w
        bold = Font(bold=True)
        head = []
        for h in headers:
            c = WriteOnlyCell(ws, value=h)
            c.font = bold
            c.alignment = Alignment(wrap_text=True, vertical="top")
            head.append(c)
        ws.append(head)
        for row in rows:
            cells = []
            for item in row:
                value, fmt = item if isinstance(item, tuple) else (item, None)
                c = WriteOnlyCell(ws, value=_plain(value))
                if fmt:
                    c.number_format = fmt
                cells.append(c)
            ws.append(cells)

    def save(self, path: Path) -> None:
        with atomic(path, "--xlsx") as tmp:
            self.wb.save(tmp)

    def abandon(self) -> None:
        """Close the sheets' row streams after a failure (Ctrl-C, a full disk), so nothing
        is left writing; openpyxl deletes its temporary files at exit."""
        for ws in self.wb.worksheets:
            with suppress(Exception):
                ws.close()


def write_workbook(res: Results, path: Path) -> list[str]:
    """Write the workbook of a loaded results folder to ``path``; returns its sheet names.

    Raises:
        OutputError: ``path`` is a link, a device or a folder, or the write failed.
    """
    book = _Book()
    try:
        _write(book, res, path)
    except BaseException:
        book.abandon()
        raise
    return [ws.title for ws in book.wb.worksheets]


def _write(book: _Book, res: Results, path: Path) -> None:
    cur = res.currency
    if res.kind == "compare":
        keys = _compare_sheets(book, res, cur)
    elif res.kind == "sweep":
        keys = _sweep_sheets(book, res, cur)
    else:
        values = flat(res.kpis)
        keys = registry_order(values)
        book.sheet("KPIs", ["KPI", "Unit", "Value", "Key"],
                   ([heading(describe(k), cur), unit_words(describe(k), cur),
                     (values[k], excel_format(describe(k), cur)), k] for k in keys),
                   freeze=1, widths=(40, 10, 16, 36))
    _definitions(book, keys, cur)
    book.sheet("Run", ["Field", "Value"],
               ([k, v] for k, v in flat(res.manifest).items()), widths=(36, 80))
    book.save(path)


def _compare_sheets(book: _Book, res: Results, cur: str) -> list[str]:
    summary = res.summary
    assert summary is not None  # compare folders always have one (analysis.load)
    names = res.scenarios
    keys = registry_order(summary["kpi"])
    by = {(str(r.scenario), str(r.kpi)): r for r in summary.itertuples(index=False)}

    def stats(name: str, key: str, cols: tuple[str, ...], fmt: str) -> list[Cell]:
        r = by.get((name, key))
        return [(getattr(r, c) if r is not None else None, fmt) for c in cols]

    def label_cols(key: str) -> list[Cell]:
        return [heading(describe(key), cur), unit_words(describe(key), cur)]

    mean_cols = ("mean", "ci_low", "ci_high")
    book.sheet("KPIs", ["KPI", "Unit", *[f"{n} {w}" for n in names
                                         for w in ("mean", "95% low", "95% high")], "Key"],
               ([*label_cols(k), *[c for n in names for c in stats(
                   n, k, mean_cols, excel_format(describe(k), cur))], k] for k in keys),
               freeze=2, widths=(40, 10))
    others = names[1:]
    diff_cols = ("diff_mean", "diff_ci_low", "diff_ci_high")

    def diff_row(key: str) -> list[Cell]:
        fmt = excel_format(describe(key), cur, signed=True)
        row = label_cols(key)
        for n in others:
            d = stats(n, key, diff_cols, fmt)
            lo, hi = d[1][0], d[2][0]
            sure = None if lo is None or hi is None or lo != lo or hi != hi else \
                ("yes" if not lo <= 0 <= hi else "no")
            row += [*d, sure]
        return [*row, key]

    book.sheet("Differences", ["KPI", "Unit", *[f"{n} − {names[0]} {w}" for n in others
                                                for w in ("mean", "95% low", "95% high",
                                                          "interval excludes 0")], "Key"],
               (diff_row(k) for k in keys), freeze=2, widths=(40, 10))
    _table(book, res.table, ["scenario", "replication", "seed"], keys, cur)
    return keys


def _sweep_sheets(book: _Book, res: Results, cur: str) -> list[str]:
    params = res.parameters
    keys = registry_order(kpi_columns(res.table, params))
    summary = point_summary(res.table, params, keys)
    firsts = res.table.sort_values(["point", "replication"]).drop_duplicates("point")
    by = {(int(p), str(k)): r for p, k, r in
          zip(summary["point"], summary["kpi"], summary.itertuples(index=False), strict=True)}
    fmts = {k: excel_format(describe(k), cur) for k in keys}

    def point_row(row: dict[Any, Any]) -> list[Cell]:
        p = int(row["point"])
        cells: list[Cell] = [p, *[row[v] for v in params]]
        for k in keys:
            r = by.get((p, k))
            cells += [(None if r is None else getattr(r, c), fmts[k])
                      for c in ("mean", "ci_low", "ci_high")]
        return cells

    headers = ["Point", *params, *[f"{heading(describe(k), cur)} {w}" for k in keys
                                   for w in ("mean", "95% low", "95% high")]]
    book.sheet("Points", headers, (point_row(r) for r in firsts.to_dict("records")),
               freeze=1 + len(params))
    _table(book, res.table, ["point", "replication", "seed", *params, "params", "checks_ok"],
           keys, cur)
    return keys


def _table(book: _Book, table: Any, ids: list[str], keys: list[str], cur: str) -> None:
    """The ``Replications`` sheet: the id columns, then one column per KPI."""
    names = {"scenario": "Scenario", "replication": "Replication", "seed": "Seed",
             "point": "Point", "params": "Settings (--set)", "checks_ok": "Self-checks passed"}
    keys = [k for k in keys if k in table.columns]
    fmts = [excel_format(describe(k), cur) for k in keys]
    rows = ([*(r[c] for c in ids), *((r[k], f) for k, f in zip(keys, fmts, strict=True))]
            for r in table[[*ids, *keys]].to_dict("records"))
    book.sheet("Replications", [names.get(c, c) for c in ids] +
               [heading(describe(k), cur) for k in keys], rows, freeze=len(ids))


def _definitions(book: _Book, keys: list[str], cur: str) -> None:
    def row(key: str) -> list[Cell]:
        s = describe(key)
        return [key, s.label, unit_words(s, cur) or s.unit.title, s.better.value,
                s.scope.value, s.definition]

    book.sheet("Definitions", ["Key", "KPI", "Unit", "Better", "Counts over", "Definition"],
               (row(k) for k in keys), widths=(36, 36, 10, 9, 12, 100))
