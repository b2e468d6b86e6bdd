"""The figures of ``omnisim plot`` and ``omnisim report``, one function per kind.

Each function takes a loaded :class:`~analysis.results.Results` and writes one file (``.png``
or ``.svg``), drawing on a ``matplotlib.figure.Figure`` (never pyplot: no window, no global
state). Which kinds fit which folder:

========== ====================================================== ===================
kind       what it shows                                          folders
========== ====================================================== ===================
kpi        compare: every replication's value of the slide's KPIs compare, sweep
           per scenario (dots and a box: the spread the slide's
           intervals summarise); sweep: KPIs vs parameter, means
           with 95% confidence bands
funnel     lead-to-cash funnel per scenario (counts per stage)    run, compare, sweep
ecdf       cycle-time distribution (lead to cash) per segment      run
heatmap    utilisation of staffed resources over time (per day)   run
cost       cost per order by bucket (staff, systems, ...)          run, compare, sweep
tornado    sensitivity: KPI swing from each parameter's low to    sweep
           high values, with 95% intervals over replications
queue      queue length over time at the bottleneck               run
========== ====================================================== ===================

``kpi`` of a compare folder does not repeat the slide (``slide.png``, written by ``omnisim
compare`` and shown in the report): the slide shows means and intervals, ``kpi`` the
per-replication values behind them. Every axis and legend names its unit (the registry's, in
the scenario currency for money).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.plots import axis_label, format_axis, short_labels, unit_of
from analysis.results import Results
from analysis.stats import kpi_ci
from sim.kpis.registry import View, cost_buckets, family, shown_in

KINDS = ("kpi", "funnel", "ecdf", "heatmap", "cost", "tornado", "queue")
FITS = {"run": ("funnel", "ecdf", "heatmap", "queue", "cost"),
        "compare": ("kpi", "funnel", "cost"),
        "sweep": ("kpi", "tornado", "funnel", "cost")}


class NotApplicable(ValueError):
    """The kind of figure does not fit this folder (one line, says which kinds do)."""


@contextmanager
def _figure(path: Path, width: float, height: float):
    import seaborn as sns
    from matplotlib.figure import Figure

    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=1.05):
        fig = Figure(figsize=(width, height), layout="constrained")
        yield fig
        fig.savefig(path, format=path.suffix.lstrip(".").lower(), dpi=130)
    fig.clear()


def too_short(manifest: dict[str, Any]) -> list[str]:
    """The KPIs a results folder's window was too short for (its manifest's ``too_short``)."""
    found = manifest.get("too_short")
    return [str(k) for k in found] if isinstance(found, list) else []


def _label(kpi: str, currency: str = "USD") -> str:
    """A KPI's label with its unit, from the registry."""
    return axis_label(kpi, currency)


def param_label(res: Results, param: str) -> str:
    """A varied parameter with its unit: durations are in hours inside omnisim, money in the
    scenario currency (read from how the sweep's ``--vary`` wrote the values)."""
    import re

    name = param.split(".", 1)[-1]
    spec = next((v.partition("=")[2] for v in res.manifest.get("vary", [])
                 if v.partition("=")[0].strip() == param), "")
    if re.search(r"\d\s*(s|sec|min|h|hours?|d|days?|w|weeks?)\b", spec):
        return f"{name} (hours)"
    if re.search(r"\d\s*[A-Z]{3}\b", spec):
        return f"{name} ({res.currency})"
    return name


def short_params(params: str) -> str:
    """``a.b.staff=3; c.d.interval=6 h`` -> ``staff=3, interval=6 h``."""
    pairs = (p.strip().partition("=") for p in params.split(";"))
    return ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, _, v in pairs)


def groups(res: Results) -> tuple[str, list[str]]:
    """The column that tells scenarios/points apart, and its values in order."""
    if res.kind == "sweep":
        t = res.table
        labels = t.drop_duplicates("point").sort_values("point")["params"].tolist()
        return "params", labels
    return "scenario", res.scenarios


def kpi(res: Results, path: Path) -> Path:
    """Compare: :func:`spread`; sweep: each KPI against the first parameter (the second, if
    any, as hue) with 95% t-interval bands over replications; a run has none."""
    if res.kind == "compare":
        return spread(res, path)
    if res.kind == "run":
        raise NotApplicable("kpi needs a compare or sweep folder (one run has no intervals)")
    t = res.table
    params = res.parameters
    x = params[0]
    hue = params[1] if len(params) > 1 else None
    kpis = [k.key for k in shown_in(View.SWEEP_FIGURE) if k.key in t.columns]
    lhs = res.manifest.get("design") == "lhs"
    import seaborn as sns

    ncols = 3
    nrows = math.ceil(len(kpis) / ncols)
    with _figure(path, 4.3 * ncols, 3.4 * nrows + 0.8) as fig:
        axes = fig.subplots(nrows, ncols, squeeze=False)
        keys = sorted(t[hue].unique(), key=lambda v: (isinstance(v, str), v)) if hue else [None]
        colors = sns.color_palette("colorblind", len(keys))
        xvals = np.sort(t[x].unique()) if pd.api.types.is_numeric_dtype(t[x]) else None
        span = float(xvals[-1] - xvals[0]) if xvals is not None and len(xvals) > 1 else 1.0
        # lines of equal values would hide each other: shift each hue a little along x
        dodge = {h: (i - (len(keys) - 1) / 2) * 0.015 * span for i, h in enumerate(keys)}
        for ax, k in zip(axes.flat, kpis, strict=False):
            for color, h in zip(colors, keys, strict=True):
                rows = t if h is None else t[t[hue] == h]
                if lhs:
                    ax.scatter(rows[x], rows[k], s=14, color=color, alpha=0.7,
                               label=None if h is None else f"{h:g}" if isinstance(h, float)
                               else str(h))
                    continue
                g = [(xv, kpi_ci(grp[k].tolist(), k)) for xv, grp in rows.groupby(x, sort=True)]
                xs = np.array([v for v, _ in g], dtype=float) + dodge[h]
                m = np.array([c[0] for _, c in g], dtype=float)
                lo = np.array([c[1] for _, c in g], dtype=float)
                hi = np.array([c[2] for _, c in g], dtype=float)
                lab = None if h is None else (f"{h:g}" if isinstance(h, float) else str(h))
                ax.plot(xs, m, "o-", color=color, label=lab)
                ax.fill_between(xs, lo, hi, color=color, alpha=0.2, lw=0)
            ax.set_title(_label(k, res.currency), fontweight="bold")
            ax.set_xlabel(param_label(res, x))
            ax.set_ylabel(unit_of(k, res.currency))
            if xvals is not None and len(xvals) <= 12:
                ax.set_xticks(xvals)
            format_axis(ax, k, t[k].to_numpy(dtype=float))
        for ax in axes.flat[len(kpis):]:
            ax.set_visible(False)
        if hue:
            handles, labels = axes.flat[0].get_legend_handles_labels()
            fig.legend(handles, labels, title=param_label(res, hue), fontsize="small",
                       loc="outside lower center", ncols=min(len(labels), 6))
        n = res.manifest.get("replications")
        fig.suptitle(f"{res.label}: KPIs vs {param_label(res, x)} "
                     + ("(Latin hypercube points)" if lhs else
                        f"(mean and 95% CI band over {n} replications)"),
                     fontweight="bold")
    return path


def spread(res: Results, path: Path) -> Path:
    """Compare: per KPI of the slide, every replication's value per scenario (dots) over a
    box of their quartiles; the distribution behind the slide's means and intervals."""
    import seaborn as sns

    t = res.table
    kpis = [k.key for k in shown_in(View.SLIDE) if k.key in t.columns
            and t[k.key].notna().any()]
    if not kpis:
        raise NotApplicable("kpi: this compare folder has none of the slide's KPIs")
    names = res.scenarios
    ticks = short_labels(names)
    ncols = min(4, len(kpis))
    nrows = math.ceil(len(kpis) / ncols)
    palette = dict(zip(names, sns.color_palette("colorblind", len(names)), strict=True))
    with _figure(path, max(3.6 * ncols, 1.2 * len(names) * ncols), 3.4 * nrows + 1.0) as fig:
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for ax, k in zip(axes.flat, kpis, strict=False):
            groups_ = [t.loc[t["scenario"] == n, k].dropna().to_numpy(dtype=float)
                       for n in names]
            box = ax.boxplot([g if g.size else [np.nan] for g in groups_],
                             positions=range(len(names)), widths=0.55, patch_artist=True,
                             showfliers=False, medianprops={"color": "0.2"})
            for patch, n in zip(box["boxes"], names, strict=True):
                patch.set(facecolor=palette[n], alpha=0.35)
            for i, (g, n) in enumerate(zip(groups_, names, strict=True)):
                # spread the dots evenly across the box (no random jitter: the same folder
                # always gives the same picture)
                off = np.linspace(-0.12, 0.12, g.size) if g.size > 1 else np.zeros(g.size)
                ax.scatter(i + off, g, s=36, color=palette[n], edgecolor="0.2",
                           linewidth=0.6, zorder=3)
            ax.set_title(textwrap.fill(_label(k, res.currency), 28), fontweight="bold",
                         fontsize="medium")
            ax.set_xlabel("")
            ax.set_ylabel(unit_of(k, res.currency))
            ax.set_xticks(range(len(names)), ticks, rotation=30 if len(names) > 3 else 0,
                          ha="right" if len(names) > 3 else "center")
            format_axis(ax, k, np.concatenate(groups_))
        for ax in axes.flat[len(kpis):]:
            ax.set_visible(False)
        reps = res.manifest.get("replications")
        fig.suptitle(f"Spread over {reps} replications: one dot per replication, box: quartiles",
                     fontweight="bold")
    return path


def funnel(res: Results, path: Path) -> Path:
    """Counts per lead-to-cash stage (means over replications), one bar group per scenario;
    log scale, so every stage's drop reads as a ratio."""
    col, names = groups(res)
    t = res.table
    stages = family("funnel").parts
    cols = [f"funnel.{p.key}" for p in stages]
    if not set(cols) <= set(t.columns):
        raise NotApplicable("this folder has no funnel counts (made by an older omnisim)")
    if len(names) > 12:
        raise NotApplicable(f"funnel: {len(names)} scenarios/points; at most 12 fit a figure")
    import seaborn as sns

    means = t.groupby(col, sort=False)[cols].mean().reindex(names)
    with _figure(path, min(8.0 + 0.6 * len(names), 13.0), 4.8) as fig:
        ax = fig.subplots()
        colors = sns.color_palette("colorblind", len(names))
        width = 0.8 / len(names)
        labels = short_labels(names) if col == "scenario" else [short_params(n) for n in names]
        for i, (name, color) in enumerate(zip(labels, colors, strict=True)):
            vals = means.iloc[i].to_numpy(dtype=float)
            xs = np.arange(len(stages)) + (i - (len(names) - 1) / 2) * width
            ax.bar(xs, vals, width=width * 0.95, color=color, label=name)
            if len(names) <= 3:
                for xv, v in zip(xs, vals, strict=True):
                    ax.text(xv, v, f"{v:,.0f}", ha="center", va="bottom", fontsize="x-small")
        ax.set_yscale("log")
        ax.set_xticks(range(len(stages)), [p.label for p in stages])
        ax.set_ylabel("count in the statistics window (log scale)")
        if len(names) > 1:
            ax.legend(fontsize="small", ncols=2 if len(names) > 4 else 1)
        fig.suptitle("Lead-to-cash funnel" + (f": {res.label}" if len(names) == 1 else ""),
                     fontweight="bold")
    return path


def _run_only(res: Results, kind: str) -> None:
    if res.kind != "run":
        raise NotApplicable(f"{kind} needs a run folder (made by 'omnisim run'), "
                            f"this is a {res.kind} folder")


def cycle_times(res: Results) -> pd.DataFrame:
    """Lead-to-cash days of the cases paid in the run (first event to cash), with segment."""
    log = res.eventlog()
    cash = log[log["activity"].isin(["card captured", "payment received"])]
    first = log.groupby("case")["start"].min()
    paid = cash.groupby("case").agg(end=("end", "max"), segment=("segment", "first"))
    paid["days"] = (paid["end"] - first.reindex(paid.index)) / 24.0
    warm = float(res.manifest.get("warmup_days") or 0.0) * 24.0
    return paid[paid["end"] >= warm].reset_index()


def ecdf(res: Results, path: Path) -> Path:
    """Empirical CDF of lead-to-cash days per segment (cases paid after the warm-up)."""
    _run_only(res, "ecdf")
    ct = cycle_times(res)
    if ct.empty:
        raise NotApplicable("ecdf: no paid cases after the warm-up in this run")
    import seaborn as sns

    with _figure(path, 7.5, 4.6) as fig:
        ax = fig.subplots()
        order = sorted(ct["segment"].unique())
        sns.ecdfplot(data=ct, x="days", hue="segment", hue_order=order, ax=ax,
                     palette="colorblind")
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_xlabel("lead to cash (days, log scale beyond 1)")
        ax.set_ylabel("share of paid cases")
        for seg in order:
            q = ct.loc[ct["segment"] == seg, "days"].quantile([0.5, 0.9])
            ax.plot([], [], " ", label=f"{seg}: median {q[0.5]:.1f} d, p90 {q[0.9]:.1f} d")
        ax.legend(fontsize="small", loc="lower right")
        fig.suptitle(f"Cycle time, lead to cash: {res.label}",
                     fontweight="bold")
    return path


def heatmap(res: Results, path: Path) -> Path:
    """Daily utilisation (busy servers / servers) of every finite-capacity resource."""
    _run_only(res, "heatmap")
    ts = res.timeseries
    assert ts is not None
    caps = {n: float(s["capacity"]) for n, s in res.stations.items() if s.get("capacity")}
    names = [n for n in caps if f"busy.{n}" in ts.columns]
    if not names:
        raise NotApplicable("heatmap: no finite-capacity resources in this run")
    day = (ts["time_h"] // 24).astype(int)
    util = pd.DataFrame({n: ts[f"busy.{n}"] / caps[n] for n in names}).groupby(list(day)).mean()
    util = util.T  # resources as rows, days as columns
    util = util.loc[util.mean(axis=1).sort_values(ascending=False).index]
    import seaborn as sns

    with _figure(path, min(4 + 0.14 * util.shape[1], 16), 1.2 + 0.38 * len(names)) as fig:
        ax = fig.subplots()
        sns.heatmap(util, ax=ax, vmin=0, vmax=1, cmap="rocket_r",
                    cbar_kws={"label": "utilisation (% of servers busy, sampled)",
                              "format": "{x:.0%}"})
        ax.set_xlabel("day")
        ax.set_ylabel("")
        fig.suptitle(f"Utilisation over time: {res.label} "
                     f"(samples every {_sample(ts)})", fontweight="bold")
    return path


def _sample(ts: pd.DataFrame) -> str:
    if len(ts) < 2:
        return "-"
    dt = float(ts["time_h"].iloc[1] - ts["time_h"].iloc[0])
    return f"{dt:g} h"


def cost(res: Results, path: Path) -> Path:
    """Cost per order by bucket (stacked), per scenario or point."""
    col, names = groups(res)
    t = res.table
    cols = [f"cost_breakdown.{b}" for b in cost_buckets() if f"cost_breakdown.{b}" in t.columns]
    if not cols or "orders" not in t.columns:
        raise NotApplicable("cost: this folder has no cost breakdown")
    if len(names) > 30:
        raise NotApplicable(f"cost: {len(names)} scenarios/points; at most 30 fit a figure")
    per = t[cols].div(t["orders"].where(t["orders"] > 0), axis=0)
    per[col] = t[col]
    means = per.groupby(col, sort=False)[cols].mean().reindex(names)
    means.columns = [c.split(".", 1)[1] for c in cols]
    means = means.loc[:, means.fillna(0).sum() > 0]
    import seaborn as sns

    labels = short_labels(names) if col == "scenario" else [short_params(n) for n in names]
    with _figure(path, max(8.0, 2.5 + 0.9 * len(names)), 5.2) as fig:
        ax = fig.subplots()
        colors = sns.color_palette("tab20", means.shape[1])
        bottom = np.zeros(len(names))
        for color, bucket in zip(colors, means.columns, strict=True):
            vals = means[bucket].fillna(0).to_numpy()
            ax.bar(range(len(names)), vals, bottom=bottom, color=color,
                   label=family("cost_breakdown").part(bucket).label)
            bottom += vals
        for i, v in enumerate(bottom):
            ax.text(i, v, f"{v:,.0f}", ha="center", va="bottom", fontsize="small")
        ax.set_xticks(range(len(names)), labels, rotation=30 if len(names) > 4 else 0,
                      ha="right" if len(names) > 4 else "center")
        ax.set_ylabel(f"cost per order ({res.currency})")
        ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  title=f"bucket ({res.currency} per order)", title_fontsize="x-small")
        fig.suptitle("Cost per order by bucket (mean over replications)", fontweight="bold")
    return path


def _level(t: pd.DataFrame, mask: pd.Series, target: str) -> tuple[float, float, float]:
    """The target's mean over the rows of ``mask`` and its 95% t-interval over replications
    (each replication's mean over the rows it has there: its seed is shared by every point,
    so the replications are the independent units), inside the KPI's bounds
    (:func:`analysis.stats.kpi_ci`)."""
    per_rep = t.loc[mask].groupby("replication")[target].mean().to_numpy(dtype=float)
    m, lo, hi, _ = kpi_ci(per_rep.tolist(), target)
    return m, lo, hi


def tornado_rows(res: Results, target: str) -> list[tuple[str, tuple, tuple, str, str]]:
    """Per varied parameter, narrowest swing first: its label with unit, the target's (mean,
    low, high) at the low and at the high level (see :func:`_level`), and the levels' words."""
    t = res.table
    lhs = res.manifest.get("design") == "lhs"
    rows = []
    for p in res.parameters:
        vals = t[p]
        numeric = pd.api.types.is_numeric_dtype(vals)
        if lhs and numeric:
            q = vals.quantile([0.25, 0.75])
            lo_m, hi_m = vals <= q[0.25], vals >= q[0.75]
            lo_l, hi_l = f"lowest quarter (<= {q[0.25]:g})", f"highest (>= {q[0.75]:g})"
        else:
            levels = [vals.min(), vals.max()] if numeric else sorted(vals.unique(), key=str)
            lo_m, hi_m = vals == levels[0], vals == levels[-1]
            lo_l, hi_l = (f"{v:g}" if isinstance(v, float) else str(v)
                          for v in (levels[0], levels[-1]))
        rows.append((param_label(res, p), _level(t, lo_m, target), _level(t, hi_m, target),
                     lo_l, hi_l))
    rows.sort(key=lambda r: abs(r[2][0] - r[1][0]))
    return rows


def tornado(res: Results, path: Path, target: str = "cost_per_order") -> Path:
    """For each varied parameter: the KPI's mean at the parameter's lowest and highest value
    (averaged over everything else), as a bar from low to high, widest swing on top; each
    end carries its 95% confidence interval over replications."""
    if res.kind != "sweep":
        raise NotApplicable(f"tornado needs a sweep folder, this is a {res.kind} folder")
    rows = tornado_rows(res, target)
    base = float(res.table[target].mean())
    label = _label(target, res.currency)
    with _figure(path, 8.5, 1.9 + 0.7 * len(rows)) as fig:
        ax = fig.subplots()
        for i, (_p, (lo_v, lo_a, lo_b), (hi_v, hi_a, hi_b), lo_l, hi_l) in enumerate(rows):
            ax.barh(i, hi_v - base, left=base, color="#d55e00", height=0.6)
            ax.barh(i, lo_v - base, left=base, color="#0072b2", height=0.6)
            for v, a, b in ((lo_v, lo_a, lo_b), (hi_v, hi_a, hi_b)):
                if math.isfinite(a) and math.isfinite(b):
                    ax.errorbar([v], [i], xerr=[[v - a], [b - v]], fmt="none", ecolor="0.15",
                                elinewidth=1.2, capsize=5, alpha=0.8)
            if abs(hi_v - lo_v) <= 1e-12 * max(abs(base), 1.0):
                ax.text(base, i + 0.32, f"no effect ({lo_l} to {hi_l})", ha="center",
                        fontsize="small", color="0.3")
                continue
            left = lo_v < hi_v
            ax.text(min(lo_a, lo_v) if left else max(lo_b, lo_v), i, f" {lo_l} ",
                    va="center", ha="right" if left else "left", fontsize="small")
            ax.text(max(hi_b, hi_v) if left else min(hi_a, hi_v), i, f" {hi_l} ",
                    va="center", ha="left" if left else "right", fontsize="small")
        ax.axvline(base, color="0.3", lw=1)
        ax.set_yticks(range(len(rows)), [r[0] for r in rows])
        ax.set_xlabel(f"{label}: mean (line: mean over the whole sweep)")
        ax.margins(x=0.3)
        n = res.manifest.get("replications")
        ax.xaxis.set_major_formatter("{x:,.0f}" if abs(base) >= 1000 else "{x:,.4g}")
        fig.suptitle(f"Sensitivity of {label}\nblue: parameter at its low value, orange: at "
                     f"its high value\nwhiskers: 95% CI over {n} replications",
                     fontweight="bold", fontsize="medium")
    return path


def queue(res: Results, path: Path) -> Path:
    """Queue length over time at the run's bottleneck (and the next two busiest queues)."""
    _run_only(res, "queue")
    ts = res.timeseries
    assert ts is not None
    bn = res.manifest.get("bottleneck")
    waits = sorted(res.stations, key=lambda n: -res.stations[n].get("wait_hours_total", 0))
    names = [n for n in ([bn] + waits) if n and f"queue.{n}" in ts.columns]
    names = list(dict.fromkeys(names))[:3]
    if not names:
        raise NotApplicable("queue: no queue series in this run")
    with _figure(path, 10, 4.2) as fig:
        ax = fig.subplots()
        days = ts["time_h"] / 24.0
        for i, n in enumerate(names):
            ax.plot(days, ts[f"queue.{n}"], lw=1.8 if i == 0 else 1.0,
                    label=f"{n} (bottleneck)" if n == bn else n, alpha=1 if i == 0 else 0.7)
        warm = float(res.manifest.get("warmup_days") or 0.0)
        if warm:
            ax.axvspan(0, warm, color="0.9", label="warm-up (not in statistics)")
        ax.set_xlabel("day")
        ax.set_ylabel("waiting (count of items, sampled)")
        ax.legend(fontsize="small")
        fig.suptitle(f"Queue length over time: {res.label}",
                     fontweight="bold")
    return path


PLOTTERS: dict[str, Callable[..., Path]] = {
    "kpi": kpi, "funnel": funnel, "ecdf": ecdf, "heatmap": heatmap, "cost": cost,
    "tornado": tornado, "queue": queue,
}


def draw(res: Results, kind: str, path: Path, **kw: Any) -> Path:
    """Draw one kind into ``path``; NotApplicable (one line) when it does not fit."""
    if kind not in PLOTTERS:
        raise NotApplicable(f"unknown kind {kind!r}; allowed: {', '.join(KINDS)}")
    return PLOTTERS[kind](res, Path(path), **kw)
