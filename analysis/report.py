"""``omnisim report``: one self-contained HTML file for a meeting (opens offline).

Figures are embedded as base64 PNG, styles are inline, nothing is fetched from the network
and nothing links to a file the reader does not have. The report opens with a one-screen
summary (:mod:`analysis.findings`): the three largest credible differences, the bottleneck in
words and the business case (or plainly that there is none), after a "Read with care" block
when the manifest carries ``warnings``. Then come the figures (the slide of a comparison
among them), the KPI table with the registry's labels (the headline KPIs, then every other
KPI in a folded part), the differences in words (those with no clear difference folded into
one ``<details>`` with their count), the bottleneck of each scenario, and how to read the
numbers with every KPI's definition. Tables scroll inside their own box, so a wide sweep
never runs off the page.
"""

from __future__ import annotations

import base64
import html
import math
import re
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.figures import FITS, NotApplicable, draw, groups, short_params, too_short
from analysis.findings import (
    Finding,
    bottleneck_text,
    business_case,
    credible,
    headline_kpis,
    largest,
    paired_summary,
    station_name,
)
from analysis.plots import axis_label, ladder_figure
from analysis.results import Results
from analysis.shapes import read_json
from analysis.stats import describe_difference, kpi_ci
from sim.kpis.registry import View, describe, lookup, shown_in
from sim.kpis.spec import Unit
from sim.outfile import atomic
from sim.results import ResultsError

CAPTIONS = {
    "slide": "The slide: mean and 95% confidence interval of the headline KPIs per scenario; "
             "a filled marker differs clearly from the first scenario.",
    "kpi": "Spread over replications: every replication's value (dots) and their box per "
           "scenario (compare), or the KPIs against the varied parameters (sweep).",
    "funnel": "Lead-to-cash funnel: counts per stage in the statistics window (log scale).",
    "ecdf": "Cycle time from lead to cash, per segment (cases paid after the warm-up).",
    "heatmap": "Daily utilisation of the staffed and finite resources.",
    "cost": "Cost per order, by bucket.",
    "tornado": "Sensitivity: the KPI at each parameter's low and high values, with 95% "
               "confidence intervals over replications.",
    "queue": "Queue length over time at the bottleneck.",
}
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:1.2em auto;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;border-bottom:1px solid #ccc;
padding-bottom:.2em;margin-top:1.6em}h3{font-size:1.05em}
.scroll{overflow-x:auto;max-width:100%}table{border-collapse:collapse;font-size:.9em;
margin:.6em 0}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th{background:#f3f3f3;font-weight:600}td:first-child,th:first-child{text-align:left}
figure{margin:1em 0}img{max-width:100%}figcaption{color:#555;font-size:.9em}
.muted{color:#666;font-size:.9em}li{margin:.2em 0}abbr{text-decoration:underline dotted}
.ran{color:#555;font-size:.9em;margin:.2em 0 .6em}
.care{border-left:4px solid #d9822b;background:#fff6ea;padding:.4em .9em;margin:.6em 0;
font-size:.9em}.care ul{margin:.2em 0;padding-left:1.2em}
.summary{border:1px solid #bcd;background:#f5f9fc;padding:.5em 1em;border-radius:4px}
.summary ol{margin:.3em 0;padding-left:1.4em}.summary p{margin:.4em 0}
details{margin:.6em 0}summary{cursor:pointer;font-weight:600}dt{font-weight:600}
dd{margin:0 0 .5em 1.2em}
"""
_CODE = re.compile(r"`([^`]+)`")


def report_kpis() -> list[str]:
    """The KPIs of the report's headline table (the registry's ``View.REPORT``)."""
    return [k.key for k in shown_in(View.REPORT)]


def definition(key: str) -> str:
    """A KPI's definition from the registry, with every `key` it names in words."""
    def words(m: re.Match[str]) -> str:
        ref = m.group(1).removeprefix("kpi.")
        found = lookup(ref)
        return found.name if found is not None else ref.rsplit(".", 1)[-1].replace("_", " ")

    return _CODE.sub(words, describe(key).definition)


def heading(key: str, currency: str = "USD") -> str:
    """A KPI's heading in the report: the registry's, money with its currency."""
    k = describe(key)
    return axis_label(key, currency) if k.unit is Unit.MONEY else k.heading


def _label(key: str, currency: str = "USD") -> str:
    """The KPI's heading, its definition as a tooltip."""
    return (f"<abbr title='{html.escape(definition(key), quote=True)}'>"
            f"{html.escape(heading(key, currency))}</abbr>")


def _scroll(table: str) -> str:
    return f"<div class=scroll>{table}</div>"


def _columns(res: Results) -> tuple[str, list[str], list[str]]:
    """The grouping column, its values and their headings (a sweep's by parameters)."""
    col, names = groups(res)
    heads = [short_params(n) for n in names] if res.kind == "sweep" else names
    return col, names, heads


def _table(res: Results, kpis: list[str]) -> str:
    t = res.table
    col, names, heads = _columns(res)
    rows = []
    for k in kpis:
        cells = []
        for g in names:
            vals = t.loc[t[col] == g, k].astype(float).tolist()
            m, lo, hi, _ = kpi_ci(vals, k) if len(vals) > 1 else \
                (vals[0] if vals else math.nan, math.nan, math.nan, 1)
            cells.append(f"<td>{html.escape(describe(k).format_interval(m, lo, hi))}</td>")
        rows.append(f"<tr><td>{_label(k, res.currency)}</td>{''.join(cells)}</tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in heads)
    return _scroll(f"<table><tr><th>KPI</th>{head}</tr>{''.join(rows)}</table>")


def _numeric(res: Results) -> list[str]:
    skip = {"scenario", "scenario_index", "point", "replication", "seed", "params",
            "checks_ok", *res.parameters}
    return [c for c in res.table.columns if c not in skip
            and pd.api.types.is_numeric_dtype(res.table[c])]


def _kpi_tables(res: Results) -> str:
    present = _numeric(res)
    main = [k for k in report_kpis() if k in present]
    rest = [k for k in present if k not in main]
    note = ("Mean ± half-width of the 95% confidence interval over replications."
            if res.kind != "run" else "One run (no interval: compare or sweep for intervals).")
    more = (f"<details><summary>Every other KPI ({len(rest)})</summary>{_table(res, rest)}"
            "</details>" if rest else "")
    return (f"<h2 id=kpis>KPIs</h2>{_table(res, main)}<p class=muted>{note} Hover a KPI's "
            f"name for its definition.</p>{more}")


def _differences(res: Results, summary: pd.DataFrame | None) -> str:
    if summary is None or res.kind == "run":
        return ""
    ref_index = int(summary["scenario_index"].min())
    ref = str(summary.loc[summary["scenario_index"] == ref_index, "scenario"].iloc[0])
    kpis = [k for k in report_kpis() if k in set(summary["kpi"])]
    clear = {(f.scenario, f.kpi) for f in credible(summary, kpis)}
    shown: list[str] = []
    unclear: list[str] = []
    for name in dict.fromkeys(summary.loc[summary["scenario_index"] != ref_index, "scenario"]):
        said: list[str] = []
        for k in kpis:
            row = summary[(summary["scenario"] == name) & (summary["kpi"] == k)]
            if row.empty:
                continue
            text = html.escape(describe_difference(k, row.iloc[0], reference=ref))
            if (name, k) in clear:
                said.append(f"<li>{text}</li>")
            else:
                unclear.append(f"<li>{html.escape(name)}: {text}</li>")
        if said:
            shown.append(f"<h3>{html.escape(name)} against {html.escape(ref)}</h3>"
                         f"<ul>{''.join(said)}</ul>")
    folded = (f"<details><summary>No clear difference: {len(unclear)} more</summary>"
              f"<ul>{''.join(unclear)}</ul></details>" if unclear else "")
    return ("<h2>Differences to the first scenario, in words</h2>"
            + ("".join(shown) or "<p>No KPI differs clearly from the first scenario.</p>")
            + folded)


def _bottlenecks(res: Results, scenarios: list[dict[str, Any]]) -> str:
    if res.kind == "compare" and scenarios:
        lis = [f"<li><b>{html.escape(s['name'])}</b>: "
               f"{html.escape(station_name(s['bottleneck']) if s['bottleneck'] else 'none')}"
               + (f" ({s['bottleneck_utilisation']:.0%} utilised)"
                  if s.get("bottleneck_utilisation") is not None else "") + "</li>"
               for s in scenarios]
        return ("<h2>Bottleneck</h2><p>The resource where customers and orders wait longest in "
                f"total (mean over replications):</p><ul>{''.join(lis)}</ul>")
    if res.kind == "run":
        return f"<h2>Bottleneck</h2><p>{html.escape(bottleneck_text(res))}</p>"
    return ""


def _summary_scenarios(res: Results) -> list[dict[str, Any]]:
    """A compare's ``summary.json`` scenarios, each with a name, a bottleneck and its
    utilisation (empty for another kind or without the file)."""
    path = res.folder / "summary.json"
    if res.kind != "compare" or not path.is_file():
        return []
    data = read_json(path)
    scen: Any = data.get("scenarios") if isinstance(data, dict) else None
    ok = isinstance(scen, list) and all(
        isinstance(s, dict) and isinstance(s.get("name"), str)
        and isinstance(s.get("bottleneck"), str | None)
        and isinstance(s.get("bottleneck_utilisation"), int | float | None) for s in scen)
    if not ok:
        raise ResultsError(f"{path}: expected {{'scenarios': [{{'name', 'bottleneck', "
                           "'bottleneck_utilisation'}, ...]}")
    return list(scen)


def _what_ran(res: Results) -> str:
    m = res.manifest
    if res.kind == "compare":
        bits = [f"{len(m.get('scenarios', []))} scenarios: {', '.join(m.get('scenarios', []))}"]
    elif res.kind == "sweep":
        bits = [f"scenario {res.label}, {m.get('design')} design, "
                f"{m.get('points')} points: {'; '.join(m.get('vary', []))}"]
    else:
        bits = [f"scenario {res.label}"]
    if m.get("replications"):
        bits.append(f"{m['replications']} replications (seeds {m.get('seeds')})")
    elif m.get("seed") is not None:
        bits.append(f"seed {m['seed']}")
    if m.get("days"):
        warm = m.get("warmup_days")
        bits.append(f"{m['days']:g} simulated days"
                    + (f" ({warm:g} of warm-up)" if isinstance(warm, int | float) else ""))
    if m.get("overrides"):
        bits.append("overrides: " + ", ".join(m["overrides"]))
    version = f"omnisim {m['omnisim_version']}, " if m.get("omnisim_version") else ""
    bits.append(f"{version}finished {m.get('finished_utc')}")
    return f"<p class=ran>{html.escape(' · '.join(str(b) for b in bits))}</p>"


def _read_with_care(res: Results) -> str:
    warnings = res.manifest.get("warnings")
    if not isinstance(warnings, list) or not warnings:
        return ""
    items = "".join(f"<li>{html.escape(_no_keys(str(w)))}</li>" for w in warnings)
    return f"<div class=care role=note><b>Read with care</b><ul>{items}</ul></div>"


def _no_keys(text: str) -> str:
    """A warning without the raw KPI keys it names in parentheses after their labels."""
    return re.sub(r" \(([a-z0-9_.]+)\)",
                  lambda m: "" if lookup(m.group(1)) is not None else m.group(0), text)


def _finding(f: Finding, currency: str) -> str:
    """One finding, its KPI label with the definition as a tooltip."""
    _, _, rest = f.text(currency).partition(": ")
    k = describe(f.kpi)
    return (f"<li><b><abbr title='{html.escape(definition(f.kpi), quote=True)}'>"
            f"{html.escape(k.label)}</abbr>:</b> {html.escape(rest)}</li>")


def _summary(res: Results, summary: pd.DataFrame | None,
             scenarios: list[dict[str, Any]]) -> str:
    if summary is None:
        top = "<p>One run: no intervals, so no differences to rank (compare phases for them).</p>"
    else:
        found = largest(summary, [k for k in headline_kpis() if k in set(summary["kpi"])])
        items = "".join(_finding(f, res.currency) for f in found)
        top = ("<p>The largest credible differences (the paired 95% interval excludes 0), "
               f"ranked by relative size:</p><ol>{items}</ol>" if found else
               "<p>No headline KPI differs credibly from the first "
               f"{'scenario' if res.kind == 'compare' else 'point'}.</p>")
    return (f"<section class=summary id=summary><h2 style='margin-top:.3em'>Summary</h2>{top}"
            f"<p><b>Bottleneck:</b> {html.escape(bottleneck_text(res, scenarios))}</p>"
            f"<p><b>Business case:</b> {html.escape(business_case(res, summary))}</p>"
            "</section>")


def _how_to_read(res: Results, kpis: list[str]) -> str:
    entries = "".join(f"<dt>{html.escape(heading(k, res.currency))}</dt>"
                      f"<dd>{html.escape(definition(k))}</dd>" for k in kpis)
    return ("<h2 id=definitions>How to read this report</h2><p>Every number is a mean over "
            "replications (runs with different random seeds) with its 95% confidence "
            "interval: the range that holds the true mean in 95 of 100 such studies. A "
            "difference between scenarios is computed replication by replication (the "
            "scenarios share their seeds), and it is <i>clear</i> (credible) when the 95% "
            "interval of these paired differences excludes 0. Shares are in percent, their "
            "differences in percentage points; money is in the scenario currency "
            f"({html.escape(res.currency)}); statistics cover the window after the warm-up."
            f"</p><h3>Definitions</h3><dl>{entries}</dl>")


def _figures(res: Results, summary: pd.DataFrame | None) -> tuple[list[str], list[str]]:
    figures, kinds = [], []
    with tempfile.TemporaryDirectory(prefix="omnisim-report-") as tmp:
        for kind in ("slide", *FITS[res.kind]):
            png = Path(tmp) / f"{kind}.png"
            try:
                if kind == "slide":
                    if res.kind != "compare" or summary is None:
                        continue
                    slide = [k.key for k in shown_in(View.SLIDE)]
                    ladder_figure(summary, slide, png,
                                  f"{len(res.scenarios)} scenarios: means with 95% CI "
                                  f"({res.manifest.get('replications')} replications)",
                                  {k: axis_label(k, res.currency) for k in slide},
                                  short=too_short(res.manifest))
                else:
                    draw(res, kind, png)
            except NotApplicable:
                continue
            data = base64.b64encode(png.read_bytes()).decode("ascii")
            figures.append(f"<figure id=fig-{kind}><img alt='{kind} figure' "
                           f"src='data:image/png;base64,{data}'>"
                           f"<figcaption>{CAPTIONS[kind]}</figcaption></figure>")
            kinds.append(kind)
    return figures, kinds


def write_report(res: Results, path: Path) -> tuple[Path, list[str]]:
    """Write the HTML report atomically (:func:`sim.outfile.atomic`: never over a link or a
    device); returns the path and the figure kinds included (``slide`` for a compare's)."""
    scenarios = _summary_scenarios(res)  # a bad file fails before drawing
    summary = paired_summary(res)
    figures, kinds = _figures(res, summary)
    title = {"compare": "Scenario comparison", "sweep": "Parameter sweep",
             "run": "Simulation run"}[res.kind]
    shown = _numeric(res)
    body = (f"<h1>omnisim: {title}</h1>{_what_ran(res)}{_read_with_care(res)}"
            f"{_summary(res, summary, scenarios)}<h2 id=figures>Figures</h2>{''.join(figures)}"
            f"{_kpi_tables(res)}{_differences(res, summary)}{_bottlenecks(res, scenarios)}"
            f"{_how_to_read(res, shown)}")
    doc = (f"<!doctype html><html lang=en><head><meta charset=utf-8>"
           "<meta name=viewport content='width=device-width, initial-scale=1'>"
           f"<title>omnisim {title}</title><style>{_CSS}</style></head><body>{body}"
           "</body></html>")
    path = Path(path)
    with atomic(path) as tmpfile:
        tmpfile.write_text(doc, encoding="utf-8")
    return path, kinds


def summary_frame(res: Results) -> pd.DataFrame:
    """Means per scenario/point of the report's KPIs (handy in notebooks)."""
    col, _ = groups(res)
    kpis = [k for k in report_kpis() if k in res.table.columns]
    return res.table.groupby(col, sort=False)[kpis].mean()
