"""What a strategist reads first: the largest credible differences, the bottleneck in words and
the business case, from a loaded results folder (the opening summary of ``omnisim report``).

A difference is *credible* when its paired 95% confidence interval (the scenario minus the
reference, replication by replication) excludes 0. Differences are ranked by their relative
size, ``|difference| / max(|reference mean|, |scenario mean|)``: the change measured against
the larger of the two levels, so a KPI that starts near zero (a margin, a rare error) cannot
dominate by a division by almost nothing, and a change of sign counts as large (above 1). A
sweep is compared the same way, each point against the first (the points share their seeds
replication by replication, so the pairs are common random numbers).

Everything is worded with the registry's labels and units (:mod:`sim.kpis.registry`), never
a raw KPI key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.figures import short_params
from analysis.results import Results
from analysis.stats import summarise
from sim.kpis.registry import View, describe, shown_in
from sim.kpis.spec import Better, Unit
from sim.processmap import NAMES

#: KPIs of the business-case line
EBIT, CASH = "ebit", "operating_cash_flow"
#: a resource at least this busy is said to work near its capacity
NEAR_CAPACITY = 0.85


@dataclass(frozen=True)
class Finding:
    """One scenario's paired difference to the reference on one KPI."""

    kpi: str
    scenario: str
    reference: str
    diff: float
    low: float
    high: float
    relative: float

    def text(self, currency: str = "USD") -> str:
        """``"EBIT margin: phase-6 +19 points [16, 22] over phase-1 (better)"``."""
        k = describe(self.kpi)
        change = difference_text(self.kpi, self.diff, self.low, self.high, currency)
        return f"{k.label}: {self.scenario} {change} over {self.reference}{_verdict(self)}"


def _verdict(f: Finding) -> str:
    better = describe(f.kpi).better
    if better is Better.NEITHER:
        return ""
    good = (f.diff > 0) == (better is Better.HIGHER)
    return " (better)" if good else " (worse)"


def unit_words(kpi: str, currency: str = "USD") -> str:
    """The unit of a KPI's difference in words: ``points``, ``days``, ``USD``, ``per day``."""
    unit = describe(kpi).unit
    return {Unit.SHARE: "points", Unit.DAYS: "days", Unit.HOURS: "hours",
            Unit.MONEY: currency, Unit.PER_DAY: "per day", Unit.SCORE: "points of 100"
            }.get(unit, "")


def _decimals(low: float, high: float, fallback: int, digits: int = 1) -> int:
    """Decimals that show the interval's half-width to ``digits`` significant digits (at
    most 4; a headline, the full table has more); ``fallback`` for a zero-width interval."""
    half = (high - low) / 2.0
    if not (half > 0.0 and math.isfinite(half)):
        return fallback
    return max(0, min(digits - 1 - math.floor(math.log10(half)), 4))


def difference_text(kpi: str, diff: float, low: float, high: float,
                    currency: str = "USD") -> str:
    """A signed difference with its interval: ``+19 points [16, 22]``, ``+450k USD [220k,
    680k]`` (money and counts from 10,000 on in thousands, from a million on in millions)."""
    unit = describe(kpi).unit
    scale = 100.0 if unit is Unit.SHARE else 1.0
    d, lo, hi = diff * scale, low * scale, high * scale
    mag, letter = 1.0, ""
    if unit in (Unit.MONEY, Unit.COUNT):
        biggest = max(abs(d), abs(lo), abs(hi))
        mag, letter = (1e6, "M") if biggest >= 1e6 else (1e3, "k") if biggest >= 1e4 \
            else (1.0, "")
    d, lo, hi = d / mag, lo / mag, hi / mag
    fallback = 0 if abs(d) >= 10 or (unit in (Unit.MONEY, Unit.COUNT) and not letter) else 1
    dec = _decimals(lo, hi, fallback, 2 if letter else 1)
    words = unit_words(kpi, currency)
    return (f"{d:+,.{dec}f}{letter}{' ' + words if words else ''} "
            f"[{lo:,.{dec}f}{letter}, {hi:,.{dec}f}{letter}]")


def paired_summary(res: Results) -> pd.DataFrame | None:
    """Means, intervals and paired differences to the reference (compare: the first
    scenario; sweep: the first point, named by its parameters); None for one run."""
    if res.kind == "compare":
        if res.summary is not None:
            return res.summary
        return summarise(res.tidy) if res.tidy is not None else None
    if res.kind != "sweep":
        return None
    t = res.table
    kpis = [c for c in t.columns if c not in {"scenario", "point", "replication", "seed",
                                              "params", "checks_ok", *res.parameters}
            and pd.api.types.is_numeric_dtype(t[c])]
    tidy = t.melt(id_vars=["point", "replication", "seed", "params"], value_vars=kpis,
                  var_name="kpi", value_name="value")
    tidy = tidy.rename(columns={"params": "scenario", "point": "scenario_index"})
    tidy["scenario"] = [short_params(p) for p in tidy["scenario"]]
    return summarise(tidy)


def credible(summary: pd.DataFrame, kpis: list[str] | None = None) -> list[Finding]:
    """Every non-reference difference whose paired interval excludes 0, largest first."""
    ref_index = int(summary["scenario_index"].min())
    ref = summary[summary["scenario_index"] == ref_index]
    ref_name = str(ref["scenario"].iloc[0]) if not ref.empty else ""
    ref_mean = dict(zip(ref["kpi"], ref["mean"].astype(float), strict=True))
    rows = summary[summary["scenario_index"] != ref_index]
    if kpis is not None:
        rows = rows[rows["kpi"].isin(kpis)]
    out = []
    for r in rows.to_dict("records"):
        low, high, diff = float(r["diff_ci_low"]), float(r["diff_ci_high"]), float(r["diff_mean"])
        if not (low > 0.0 or high < 0.0):  # NaN fails both: no interval, not credible
            continue
        base = max(abs(ref_mean.get(r["kpi"], math.nan)), abs(float(r["mean"])))
        rel = abs(diff) / base if base > 0 else math.inf
        out.append(Finding(str(r["kpi"]), str(r["scenario"]), ref_name, diff, low, high, rel))
    out.sort(key=lambda f: -f.relative)
    return out


def largest(summary: pd.DataFrame, kpis: list[str], n: int = 3) -> list[Finding]:
    """The ``n`` largest credible differences, one per KPI (its largest scenario)."""
    best: dict[str, Finding] = {}
    for f in credible(summary, kpis):
        best.setdefault(f.kpi, f)
    return list(best.values())[:n]


def headline_kpis() -> list[str]:
    """The KPIs the summary ranks: the report's (the registry's ``View.REPORT``)."""
    return [k.key for k in shown_in(View.REPORT)]


def station_name(name: str) -> str:
    """A station as people say it: ``order_desk`` -> ``the order desk``."""
    return "the " + NAMES.get(name, name.replace("_", " "))


def _pct(util: Any) -> str:
    """`` (80% busy)``, `` (93% busy, near capacity)``, or nothing without a number."""
    if not isinstance(util, int | float) or not math.isfinite(util):
        return ""
    return f" ({util:.0%} busy{', near capacity' if util >= NEAR_CAPACITY else ''})"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _busy(util: Any) -> str:
    if not isinstance(util, int | float) or not math.isfinite(util):
        return ""
    near = ", near its capacity" if util >= NEAR_CAPACITY else ""
    return f" ({util:.0%} of its paid hours busy{near})"


def bottleneck_text(res: Results, scenarios: list[dict[str, Any]] | None = None) -> str:
    """Where customers and orders wait longest, in one sentence (per scenario of a compare,
    from ``summary.json``'s ``scenarios``; a run from its manifest and station statistics)."""
    lead = "Customers and orders wait longest at "
    if res.kind == "run":
        bn = res.manifest.get("bottleneck")
        if not bn:
            return "This run records no bottleneck: nothing waited for a resource."
        util = res.stations.get(bn, {}).get("utilisation")
        return f"{lead}{station_name(bn)}{_busy(util)}."
    if res.kind == "compare" and scenarios:
        by: dict[str, list[dict[str, Any]]] = {}
        for s in scenarios:
            if s.get("bottleneck"):
                by.setdefault(s["bottleneck"], []).append(s)
        if not by:
            return "No scenario records a bottleneck: nothing waited for a resource."
        parts = []
        for bn, scen in by.items():
            if len(scen) == len(scenarios) > 1:
                busy = [f"{s['name']} {_pct(s.get('bottleneck_utilisation')).strip(' ()')}"
                        for s in scen if _pct(s.get("bottleneck_utilisation"))]
                where = "every scenario" + (f" ({'; '.join(busy)})" if busy else "")
            else:
                where = _and([f"{s['name']}{_pct(s.get('bottleneck_utilisation'))}"
                              for s in scen])
            parts.append(f"{station_name(bn)} in {where}")
        return lead + "; ".join(parts) + "."
    return ("A sweep does not record a bottleneck per point: run one point with "
            "'omnisim run' to see where work waits.")


def window_days(res: Results) -> float | None:
    """Days of the statistics window (simulated days less the warm-up), if recorded."""
    days, warm = res.manifest.get("days"), res.manifest.get("warmup_days") or 0.0
    return float(days) - float(warm) if isinstance(days, int | float) else None


def business_case(res: Results, summary: pd.DataFrame | None) -> str:
    """EBIT and operating cash flow of the best scenario against the reference, or plainly
    why these results hold no business case."""
    cur = res.currency
    window = window_days(res)
    over = f" over the {window:g}-day statistics window" if window else ""
    if res.kind == "run":
        k = res.kpis
        if EBIT not in k or CASH not in k:
            return "No business case: this run holds no EBIT or cash figures."
        return (f"No business case: one run has nothing to compare against. Its EBIT is "
                f"{_money(k[EBIT], cur)} and its operating cash flow {_money(k[CASH], cur)}"
                f"{over}.")
    if summary is None or not {EBIT, CASH} <= set(summary["kpi"]):
        return "No business case: these results hold no EBIT or cash figures."
    ref_index = int(summary["scenario_index"].min())
    ebit = summary[(summary["kpi"] == EBIT) & (summary["scenario_index"] != ref_index)]
    if ebit.empty:
        return "No business case: there is only one scenario."
    ok = ebit[(ebit["diff_ci_low"] > 0) | (ebit["diff_ci_high"] < 0)]
    # the largest clear EBIT difference, better or worse; else the nearest to one
    pick = ok if not ok.empty else ebit
    size = pick["diff_mean"].astype(float)
    best = pick.iloc[int((size.abs() if not ok.empty else size).to_numpy().argmax())]
    ref = str(summary.loc[summary["scenario_index"] == ref_index, "scenario"].iloc[0])
    cash = summary[(summary["kpi"] == CASH) & (summary["scenario"] == best["scenario"])].iloc[0]
    found = [_case_part(EBIT, best, cur), _case_part(CASH, cash, cur)]
    if not any(credible for _, credible in found):
        return (f"No business case in these results: no scenario shows a clear difference in "
                f"EBIT or operating cash flow against {ref}{over} (the nearest: "
                f"{best['scenario']}, {'; '.join(t for t, _ in found)}).")
    return (f"{best['scenario']} against {ref}{over}: "
            f"{'; '.join(t for t, _ in found)}.")


def _case_part(kpi: str, row: pd.Series, cur: str) -> tuple[str, bool]:
    low, high = float(row["diff_ci_low"]), float(row["diff_ci_high"])
    label = describe(kpi).label
    text = f"{label} {difference_text(kpi, float(row['diff_mean']), low, high, cur)}"
    ok = low > 0.0 or high < 0.0
    return (text if ok else text + " (no clear difference)"), ok


def _money(value: Any, cur: str) -> str:
    if not isinstance(value, int | float) or not math.isfinite(value):
        return "n/a"
    return f"{value:,.0f} {cur}"
