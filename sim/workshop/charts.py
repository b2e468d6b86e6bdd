"""The workshop's live charts, as ECharts options (plain dicts, drawn in the browser).

The page draws them with Solara's ``FigureEcharts`` from the ECharts copy that the
``solara-assets`` package serves locally, so nothing is fetched from the internet, and a step
only sends a few numbers to the browser instead of a new picture (the redraw stays well
under a second even with two companies on a busy machine).

Every chart overlays the companies on the page: company A in blue, B in red, the phase name in
the legend. Values are rounded and missing ratios (nothing counted yet) are ``None``, which
ECharts draws as a gap, so options are valid JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sim.processmap import NAMES
from sim.workshop.company import TOP_QUEUES, Company

COLOURS = {"A": "#1f77b4", "B": "#d62728"}
STAGE_LABELS = {"lead": "lead", "sales": "with sales", "quote": "quote", "cart": "cart",
                "order": "order entry", "fulfilment": "fulfilment", "invoice": "invoicing",
                "payment": "awaiting payment", "after_sale": "after sale"}
_TEXT = {"fontSize": 12}


def legend_name(c: Company) -> str:
    """``A: phase-1-siloed`` (plus `` (changed)`` when levers changed it)."""
    return f"{c.label}: {c.model.scenario.name}{' (changed)' if c.overrides else ''}"


def _num(x: float, digits: int = 4) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), digits)


def _rate(a: float, b: float) -> float | None:
    return _num(a / b) if b else None


def _pct(a: float, b: float) -> float | None:
    return _num(100.0 * a / b, 2) if b else None


def _base(title: str, companies: Sequence[Company]) -> dict[str, Any]:
    return {
        "animation": False,
        "title": {"text": title, "left": 4, "top": 2, "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "top": 26, "left": 4, "right": 4, "textStyle": _TEXT},
        "grid": {"left": 12, "right": 36, "top": 62, "bottom": 30, "containLabel": True},
    }


def _bars(title: str, companies: Sequence[Company], keys: list[str], labels: list[str],
          values: Sequence[Mapping[str, float]], axis_name: str) -> dict[str, Any]:
    opt = _base(title, companies)
    opt["tooltip"] = {"trigger": "axis", "axisPointer": {"type": "shadow"}}
    opt["xAxis"] = {"type": "value", "name": axis_name, "nameLocation": "middle",
                    "nameGap": 22, "axisLabel": _TEXT}
    opt["yAxis"] = {"type": "category", "data": labels, "inverse": True, "axisLabel": _TEXT}
    opt["series"] = [{
        "type": "bar", "name": legend_name(c), "itemStyle": {"color": COLOURS[c.label]},
        "label": {"show": True, "position": "right", "fontSize": 11},
        "data": [int(v.get(k, 0)) for k in keys]} for c, v in zip(companies, values,
                                                                  strict=True)]
    return opt


def funnel(companies: Sequence[Company]) -> dict[str, Any]:
    """Customers at each journey stage now (those between purchases are named in the title)."""
    stages = list(STAGE_LABELS)
    vals = [c.funnel() for c in companies]
    dormant = ", ".join(f"{c.label} {v['dormant']:,}" for c, v in zip(companies, vals,
                                                                        strict=True))
    return _bars(f"Customers per journey stage  (between purchases: {dormant})", companies,
                 stages, [STAGE_LABELS[s] for s in stages], vals, "customers now")


def busiest(companies: Sequence[Company], top: int = TOP_QUEUES) -> list[str]:
    """The stations with the most work waiting now in any company (ties: by name)."""
    worst: dict[str, int] = {}
    for c in companies:
        for name, q in c.queues().items():
            worst[name] = max(worst.get(name, 0), q)
    return sorted(worst, key=lambda n: (-worst[n], n))[:top]


def queues(companies: Sequence[Company]) -> dict[str, Any]:
    """Work waiting now at the busiest resources."""
    names = busiest(companies)
    return _bars("Queues at the busiest resources", companies, names,
                 [NAMES.get(n, n) for n in names], [c.queues() for c in companies],
                 "items waiting now")


def _lines(title: str, companies: Sequence[Company]) -> dict[str, Any]:
    opt = _base(title, companies)
    opt["xAxis"] = {"type": "value", "name": "day", "nameLocation": "middle", "nameGap": 22,
                    "min": 0, "axisLabel": _TEXT}
    opt["yAxis"] = {"type": "value", "axisLabel": _TEXT}
    opt["series"] = []
    return opt


def _line(name: str, c: Company, points: list[list[float | None]], dashed: bool = False
          ) -> dict[str, Any]:
    return {"type": "line", "name": name, "showSymbol": False, "data": points,
            "itemStyle": {"color": COLOURS[c.label]},
            "lineStyle": {"width": 2.5, "type": "dashed" if dashed else "solid"}}


def abandonment(companies: Sequence[Company]) -> dict[str, Any]:
    """Cart and call abandonment since day 0 (share of carts and of calls); the legend
    names the companies by letter, as the other charts name their phases."""
    opt = _lines("Cart and call abandonment (since day 0)", companies)
    opt["yAxis"].update({"min": 0, "max": 100, "axisLabel": {**_TEXT, "formatter": "{value}%"}})
    for c in companies:
        h = c.history
        carts = [[_num(d.day), _pct(*d.parts("cart_abandonment_rate"))] for d in h]
        calls = [[_num(d.day), _pct(*d.parts("call_abandonment_rate"))] for d in h]
        opt["series"].append(_line(f"{c.label}: carts", c, carts))
        opt["series"].append(_line(f"{c.label}: calls", c, calls, dashed=True))
    return opt


def orders_per_day(companies: Sequence[Company]) -> dict[str, Any]:
    """Orders placed each day."""
    opt = _lines("Orders per day", companies)
    for c in companies:
        h = c.history
        pts = [[_num(b.day), b.orders - a.orders] for a, b in zip(h, h[1:], strict=False)]
        opt["series"].append(_line(legend_name(c), c, pts) | {"showSymbol": True,
                                                              "symbolSize": 5})
    return opt


def money(companies: Sequence[Company]) -> dict[str, Any]:
    """Cost per order (left) and cash collected in thousands (right), since day 0."""
    opt = _base("Cost per order  |  cash collected (thousands)", companies)
    opt["grid"] = [{"left": 12, "width": "40%", "top": 62, "bottom": 30, "containLabel": True},
                   {"right": 12, "width": "40%", "top": 62, "bottom": 30, "containLabel": True}]
    opt["xAxis"] = [{"type": "value", "gridIndex": i, "name": "day", "nameLocation": "middle",
                     "nameGap": 22, "min": 0, "axisLabel": _TEXT} for i in (0, 1)]
    opt["yAxis"] = [{"type": "value", "gridIndex": i, "axisLabel": _TEXT} for i in (0, 1)]
    opt["series"] = []
    for c in companies:
        h = c.history
        opt["series"].append(_line(legend_name(c), c,
                                   [[_num(d.day), _rate(*d.parts("cost_per_order"))]
                                    for d in h]))
        cash = _line(legend_name(c), c, [[_num(d.day), _num(d.cash / 1000.0, 2)] for d in h])
        opt["series"].append(cash | {"xAxisIndex": 1, "yAxisIndex": 1})
    return opt


ALL = {"funnel": funnel, "queues": queues, "abandonment": abandonment,
       "orders_per_day": orders_per_day, "money": money}
