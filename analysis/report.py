"""``omnisim report``: one self-contained HTML file for a meeting (opens offline).

Figures are embedded as base64 PNG, styles are inline, nothing is fetched from the network.
The report holds: what ran (scenarios, replications, seeds, days), the KPI table with 95%
confidence intervals, the differences to the first scenario in plain words (compare), the
bottleneck of each scenario, and every figure that fits the folder.
"""

from __future__ import annotations

import base64
import html
import math
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.figures import FITS, NotApplicable, draw, groups
from analysis.results import Results
from analysis.shapes import read_json
from analysis.stats import describe_difference, mean_ci
from sim.kpis.registry import View, describe, shown_in
from sim.outfile import atomic
from sim.results import ResultsError

CAPTIONS = {
    "kpi": "KPIs with 95% confidence intervals.",
    "funnel": "Lead-to-cash funnel: counts per stage in the statistics window (log scale).",
    "ecdf": "Cycle time from lead to cash, per segment (cases paid after the warm-up).",
    "heatmap": "Daily utilisation of the staffed and finite resources.",
    "cost": "Cost per order, by bucket.",
    "tornado": "Sensitivity: the KPI at each parameter's low and high values.",
    "queue": "Queue length over time at the bottleneck.",
}
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em;
margin-top:1.8em}table{border-collapse:collapse;font-size:.9em;margin:.6em 0}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}figure{margin:1em 0}img{max-width:100%}
figcaption{color:#555;font-size:.9em}.muted{color:#666;font-size:.9em}li{margin:.2em 0}
"""


def report_kpis() -> list[str]:
    """The KPIs of the report's table and sentences (the registry's ``View.REPORT``)."""
    return [k.key for k in shown_in(View.REPORT)]


def _kpi_table(res: Results) -> str:
    t = res.table
    col, names = groups(res)
    kpis = [k for k in report_kpis() if k in t.columns]
    head = "".join(f"<th>{html.escape(g)}</th>" for g in names)
    rows = []
    for k in kpis:
        cells = []
        for g in names:
            vals = t.loc[t[col] == g, k].astype(float).tolist()
            m, lo, hi, _ = mean_ci(vals) if len(vals) > 1 else \
                (vals[0] if vals else math.nan, math.nan, math.nan, 1)
            cells.append(f"<td>{html.escape(describe(k).format_interval(m, lo, hi))}</td>")
        rows.append(f"<tr><td title='{html.escape(k)}'>{html.escape(describe(k).heading)}</td>"
                    f"{''.join(cells)}</tr>")
    note = ("Mean ± half-width of the 95% confidence interval over replications."
            if res.kind != "run" else "One run (no interval: compare or sweep for intervals).")
    return (f"<table><tr><th>KPI</th>{head}</tr>{''.join(rows)}</table>"
            f"<p class=muted>{note}</p>")


def _differences(res: Results) -> str:
    if res.kind != "compare" or res.summary is None:
        return ""
    s = res.summary
    ref = res.scenarios[0]
    items = []
    for name in res.scenarios[1:]:
        sub = []
        for k in report_kpis():
            row = s[(s["scenario"] == name) & (s["kpi"] == k)]
            if not row.empty:
                sub.append(f"<li>{html.escape(describe_difference(k, row.iloc[0], reference=ref))}"
                           "</li>")
        items.append(f"<h3>{html.escape(name)} vs {html.escape(ref)}</h3><ul>{''.join(sub)}</ul>")
    return "<h2>Differences to the first scenario, in words</h2>" + "".join(items)


def _bottlenecks(res: Results) -> str:
    if res.kind == "compare":
        p = res.folder / "summary.json"
        if not p.is_file():
            return ""
        scen = _summary_scenarios(p)
        lis = [f"<li><b>{html.escape(s['name'])}</b>: {html.escape(str(s['bottleneck']))}"
               + (f" ({s['bottleneck_utilisation']:.0%} utilised)"
                  if s.get("bottleneck_utilisation") is not None else "") + "</li>"
               for s in scen]
        return ("<h2>Bottleneck</h2><p>The resource where customers and orders wait longest in "
                f"total (mean over replications):</p><ul>{''.join(lis)}</ul>")
    if res.kind == "run":
        bn = str(res.manifest.get("bottleneck"))
        u = res.stations.get(bn, {}).get("utilisation")
        return (f"<h2>Bottleneck</h2><p><b>{html.escape(bn)}</b>"
                + (f" ({u:.0%} utilised)" if u is not None else "")
                + ": the resource contributing most waiting time.</p>")
    return ""


def _summary_scenarios(path: Path) -> list[dict[str, Any]]:
    """``summary.json``'s scenarios, each with a name, a bottleneck and its utilisation."""
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
    bits = [f"kind: {res.kind}"]
    if res.kind == "compare":
        bits.append(f"scenarios: {', '.join(m.get('scenarios', []))}")
    elif res.kind == "sweep":
        bits.append(f"scenario {res.label}, {m.get('design')} design, "
                    f"{m.get('points')} points: {'; '.join(m.get('vary', []))}")
    else:
        bits.append(f"scenario {res.label}")
    if m.get("replications"):
        bits.append(f"{m['replications']} replications (seeds {m.get('seeds')})")
    elif m.get("seed") is not None:
        bits.append(f"seed {m['seed']}")
    if m.get("days"):
        bits.append(f"{m['days']:g} simulated days")
    if m.get("overrides"):
        bits.append("overrides: " + ", ".join(m["overrides"]))
    bits.append(f"omnisim {m.get('omnisim_version') or ''}, finished {m.get('finished_utc')}")
    return "<ul>" + "".join(f"<li>{html.escape(str(b))}</li>" for b in bits) + "</ul>"


def write_report(res: Results, path: Path) -> tuple[Path, list[str]]:
    """Write the HTML report atomically (:func:`sim.outfile.atomic`: never over a link or a
    device); returns the path and the figure kinds included."""
    sections = f"{_differences(res)}{_bottlenecks(res)}"  # a bad file fails before drawing
    figures = []
    kinds = []
    with tempfile.TemporaryDirectory(prefix="omnisim-report-") as tmp:
        for kind in FITS[res.kind]:
            png = Path(tmp) / f"{kind}.png"
            try:
                draw(res, kind, png)
            except NotApplicable:
                continue
            data = base64.b64encode(png.read_bytes()).decode("ascii")
            figures.append(f"<figure><img alt='{kind}' src='data:image/png;base64,{data}'>"
                           f"<figcaption>{CAPTIONS[kind]}</figcaption></figure>")
            kinds.append(kind)
    title = {"compare": "Scenario comparison", "sweep": "Parameter sweep",
             "run": "Simulation run"}[res.kind]
    body = (f"<h1>omnisim: {title}</h1>{_what_ran(res)}<h2>KPIs</h2>{_kpi_table(res)}"
            f"{sections}<h2>Figures</h2>{''.join(figures)}"
            "<p class=muted>KPI definitions: docs/kpis.md. Statistics: docs/statistics.md."
            "</p>")
    doc = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>omnisim "
           f"{title}</title><style>{_CSS}</style></head><body>{body}</body></html>")
    path = Path(path)
    with atomic(path) as tmpfile:
        tmpfile.write_text(doc, encoding="utf-8")
    return path, kinds


def summary_frame(res: Results) -> pd.DataFrame:
    """Means per scenario/point of the report's KPIs (handy in notebooks)."""
    col, _ = groups(res)
    kpis = [k for k in report_kpis() if k in res.table.columns]
    return res.table.groupby(col, sort=False)[kpis].mean()
