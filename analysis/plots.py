"""Slide figures for ``omnisim compare``.

matplotlib and seaborn are imported inside the functions, so importing this module is cheap
(``omnisim --help`` stays instant). Figures are drawn on a ``matplotlib.figure.Figure``
object, never through pyplot: no GUI backend is selected, no window can open, nothing is
registered in pyplot's global figure list, and seaborn's style is applied only for the
duration of the call (``rcParams`` are restored afterwards).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis.stats import is_rate
from sim.kpis.registry import View, describe, shown_in

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["LADDER_KPIS", "LABELS", "axis_label", "ladder_figure", "short_labels", "unit_of"]

#: the KPIs of the slide figure (the registry's ``View.SLIDE``), in panel order
LADDER_KPIS = [k.key for k in shown_in(View.SLIDE)]
#: their panel titles: the registry's labels with units
LABELS = {k: describe(k).heading for k in LADDER_KPIS}

_FORMATS = {".png": "png", ".svg": "svg"}
#: panels per row: at least 4, and up to 10 panels fit two rows (the slide's 9: 5 + 4)
_NCOLS = 4
_MAX_NCOLS = 5
_SEPARATORS = "-_ ."


def short_labels(names: Sequence[str]) -> list[str]:
    """Tick labels for scenario names: the common leading words are stripped.

    The prefix is cut only at a separator (``-``, ``_``, space or ``.``), and only if every
    name keeps some text: ``["phase-1-siloed", "phase-2-connected"]`` gives
    ``["1-siloed", "2-connected"]``.

    Args:
        names: Scenario names in display order.

    Returns:
        The shortened names, in the same order.
    """
    if len(names) < 2:
        return list(names)
    prefix = os.path.commonprefix(list(names))
    cut = max((i + 1 for i, ch in enumerate(prefix) if ch in _SEPARATORS), default=0)
    if cut == 0 or any(len(n) <= cut for n in names):
        return list(names)
    return [n[cut:] for n in names]


def unit_of(kpi: str, currency: str = "USD") -> str:
    """A KPI's unit as an axis or legend shows it, from the registry: ``%`` for shares, the
    currency for money, ``days``, ``hours``, ``per day``, ``count``, ``0-100``, ``ratio``."""
    from sim.kpis.spec import Unit

    unit = describe(kpi).unit
    return {Unit.SHARE: "%", Unit.MONEY: currency, Unit.DAYS: "days", Unit.HOURS: "hours",
            Unit.PER_DAY: "per day", Unit.COUNT: "count", Unit.SCORE: "0-100",
            Unit.RATIO: "ratio"}.get(unit, "")


def axis_label(kpi: str, currency: str = "USD") -> str:
    """The registry's label with its unit always shown: ``Cart abandonment (%)``,
    ``EBIT (USD)``, ``Lead to cash, mean (days)``."""
    unit = unit_of(kpi, currency)
    label = describe(kpi).label
    return f"{label} ({unit})" if unit else label


def _decimals_of(step: float) -> int:
    """Decimals needed to write multiples of ``step`` exactly (at most 4)."""
    for d in range(5):
        scaled = step * 10**d
        if abs(scaled - round(scaled)) < 1e-6 * max(1.0, scaled):
            return d
    return 4


def _wrap(label: str, width: int = 14) -> str:
    """Break a long label into lines of about ``width`` characters, after separators."""
    if len(label) <= width:
        return label
    pieces = re.findall(r"[^-_ .]+[-_ .]*|[-_ .]+", label)
    lines = [""]
    for piece in pieces:
        if lines[-1] and len(lines[-1]) + len(piece.rstrip()) > width:
            lines.append("")
        lines[-1] += piece
    return "\n".join(line.rstrip(" ") for line in lines)


def format_axis(ax: Axes, kpi: str, values: np.ndarray) -> None:
    """Round y ticks, as percentages for rates, as plain numbers otherwise.

    Rates get as many decimals as the tick step needs; other numbers are written without
    offset or scientific notation, with thousands separators from 10,000 on.
    """
    from matplotlib.ticker import MaxNLocator, PercentFormatter, ScalarFormatter, StrMethodFormatter

    locator = MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10])
    ax.yaxis.set_major_locator(locator)
    finite = values[np.isfinite(values)]
    biggest = float(np.abs(finite).max()) if finite.size else 0.0
    if is_rate(kpi):
        ticks = locator.tick_values(*ax.get_ylim())
        step = float(ticks[1] - ticks[0]) * 100.0 if len(ticks) > 1 else 1.0
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=_decimals_of(step)))
    elif biggest >= 10_000:
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    else:
        formatter = ScalarFormatter(useOffset=False)
        formatter.set_scientific(False)
        ax.yaxis.set_major_formatter(formatter)


TOO_SHORT = "too short to tell"


def _panel(ax: Axes, rows: pd.DataFrame, kpi: str, title: str, colors: list,
           short: bool = False) -> None:
    """One KPI: mean and interval per scenario, reference level as a dashed line; a margin
    that crosses zero gets a solid break-even line. A KPI whose window is too short
    (``short``, or no value of a KPI that needs a long window) says so instead."""
    ax.set_title(title, fontweight="bold")
    empty = rows.empty or not np.isfinite(rows["mean"].to_numpy(dtype=float)).any()
    if short or empty:
        short = short or describe(kpi).min_days is not None
        ax.text(0.5, 0.5, f"{TOO_SHORT}\n(run more days)" if short else "no data",
                transform=ax.transAxes, ha="center", va="center",
                color="0.25" if short else "0.4", fontsize="large" if short else None)
        ax.set_yticks([])
        return
    x = rows["pos"].to_numpy()
    mean = rows["mean"].to_numpy(dtype=float)
    low = rows["ci_low"].to_numpy(dtype=float)
    high = rows["ci_high"].to_numpy(dtype=float)
    d_low = rows["diff_ci_low"].to_numpy(dtype=float)
    d_high = rows["diff_ci_high"].to_numpy(dtype=float)
    clear = (d_low > 0) | (d_high < 0)  # paired interval excludes 0
    if rows["is_ref"].any() and np.isfinite(mean[rows["is_ref"].to_numpy()]).all():
        ax.axhline(float(mean[rows["is_ref"].to_numpy()][0]), color="0.55", lw=1.2,
                   ls="--", zorder=1)
    for i in range(len(x)):
        if not np.isfinite(mean[i]):
            continue
        err = None
        if np.isfinite(low[i]) and np.isfinite(high[i]):
            err = [[mean[i] - low[i]], [high[i] - mean[i]]]
        color = colors[int(x[i])]
        ax.errorbar([x[i]], [mean[i]], yerr=err, fmt="o", ms=9, color=color, ecolor=color,
                    elinewidth=2.2, capsize=5, capthick=2.2, mew=2.2,
                    mfc=color if clear[i] else "white", zorder=3)
    ax.margins(x=0.12, y=0.15)
    values = np.concatenate([mean, low, high])
    finite = values[np.isfinite(values)]
    if _signed(kpi) and finite.size and finite.min() < 0 < finite.max():
        ax.axhline(0.0, color="0.25", lw=1.0, zorder=1)  # break-even: profit above, loss below
    format_axis(ax, kpi, values)


def _signed(kpi: str) -> bool:
    """Whether a KPI is a share that may be negative (a margin: a loss below 0)."""
    k = describe(kpi)
    return is_rate(kpi) and not k.bounded


def ladder_figure(summary: pd.DataFrame, kpis: Sequence[str], path: Path, title: str,
                  labels: dict[str, str] | None = None, *, level: float = 0.95,
                  short: Collection[str] = ()) -> Path:
    """Small multiples of KPI means with confidence intervals across scenarios, for a slide.

    One panel per KPI (4 per row, 5 when that keeps them in two rows: 8 KPIs give 2 x 4,
    9 or 10 give 2 x 5). In each panel the x axis lists the
    scenarios in ``scenario_index`` order (shared by all panels, common name prefixes
    stripped, long names wrapped), the marker is the mean over replications and the bar its
    confidence interval. A filled marker means the paired interval of the difference to the
    reference (``scenario_index`` 0) excludes 0; a hollow one that there is no clear
    difference. The dashed line is the reference's mean. Rates are shown as percentages. A
    note under the panels explains the encoding.

    Args:
        summary: Output of :func:`analysis.stats.summarise`.
        kpis: KPI keys to show, in panel order (e.g. ``LADDER_KPIS``). A KPI missing from
            the summary gets a "no data" panel.
        path: Output file; the suffix chooses the format: ``.png`` (150 dpi) or ``.svg``.
        title: Figure title (e.g. the comparison's name).
        labels: Panel titles by KPI; a KPI without one is titled with the registry's
            label and unit (:func:`sim.kpis.registry.describe`).
        level: The confidence level ``summary`` was computed at (for the note only).
        short: KPIs whose statistics window is too short to mean anything (the manifest's
            ``too_short``): their panel says "too short to tell" instead of showing a
            biased value; so does an empty panel of a KPI that needs a long window.

    Returns:
        ``path``, after the figure was written and released.

    Raises:
        ValueError: If ``kpis`` is empty, the suffix is not .png/.svg, or ``summary`` lacks
            the columns of a summarise table.
    """
    import seaborn as sns
    from matplotlib.figure import Figure

    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"unsupported figure format {path.suffix!r}: use .png or .svg")
    kpis = list(kpis)
    if not kpis:
        raise ValueError("no KPIs to plot")
    needed = {"scenario", "scenario_index", "kpi", "n", "mean", "ci_low", "ci_high",
              "diff_ci_low", "diff_ci_high"}
    if not needed <= set(summary.columns):
        raise ValueError(f"summary lacks columns: {', '.join(sorted(needed - set(summary)))}")
    titles = labels or {}

    order = (summary[["scenario", "scenario_index"]].drop_duplicates()
             .sort_values("scenario_index", kind="stable"))
    names = order["scenario"].astype(str).tolist()
    ref_name = names[0] if names else ""
    pos = {name: i for i, name in enumerate(names)}
    data = summary[summary["kpi"].isin(kpis)].copy()
    data["pos"] = data["scenario"].astype(str).map(pos)
    data["is_ref"] = data["scenario"].astype(str) == ref_name
    n_reps = int(data["n"].max()) if not data.empty else 0

    ncols = min(max(_NCOLS, min(_MAX_NCOLS, math.ceil(len(kpis) / 2))), len(kpis))
    nrows = math.ceil(len(kpis) / ncols)
    ticks = [_wrap(t) for t in short_labels(names)]
    longest = max((len(line) for t in ticks for line in t.split("\n")), default=0)
    rotate = len(ticks) * longest > 36  # rotate when the labels would not fit side by side

    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=1.15):
        colors = sns.color_palette("colorblind", max(len(names), 1))
        fig = Figure(figsize=(4.1 * ncols, 3.3 * nrows + 1.6), layout="constrained")
        axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False)
        for ax, kpi in zip(axes.flat, kpis, strict=False):
            rows = data[data["kpi"] == kpi].sort_values("pos")
            _panel(ax, rows, kpi, titles.get(kpi) or describe(kpi).heading, colors,
                   kpi in short)
        for ax in axes.flat[len(kpis):]:
            ax.set_visible(False)
        for col, ax in enumerate(axes[-1]):
            if not ax.get_visible():  # an empty slot: put the ticks on the panel above
                ax = axes[-2, col]
                ax.xaxis.set_tick_params(labelbottom=True)
            ax.set_xticks(range(len(names)))
            ax.set_xticklabels(ticks, rotation=35 if rotate else 0,
                               ha="right" if rotate else "center",
                               rotation_mode="anchor", linespacing=1.0)
        fig.suptitle(title, fontsize="x-large", fontweight="bold")
        pct = f"{level * 100:g}%"
        note = (f"Marker: mean of {n_reps} replications; bar: {pct} confidence interval. "
                f"Filled: clearly different from {ref_name} (paired {pct} CI excludes 0); "
                f"hollow: no clear difference. Dashed line: {ref_name}.")
        fig.supxlabel(note, fontsize="small", color="0.3")
        fig.savefig(path, format=fmt, dpi=150)
    fig.clear()
    return path
