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
from sim.workshop.company import TOP_QUEUES, Company, Day

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


#: the rolling window of the "last 7 days" lines, in days
WINDOW_DAYS = 7.0


def window_parts(history: Sequence[Day], key: str, days: float = WINDOW_DAYS
                 ) -> list[tuple[float, float, float]]:
    """``(day, numerator, denominator)`` of the registry ratio ``key`` over the last
    ``days`` days at every recorded day: the cumulative counts now minus those ``days``
    earlier (the latest record at or before that moment; from day 0 while fewer days have
    passed)."""
    parts = [(d.day, *d.parts(key)) for d in history]
    out = []
    j = 0
    for day, num, den in parts:
        while j + 1 < len(parts) and parts[j + 1][0] <= day - days + 1e-9:
            j += 1
        start = parts[j] if parts[j][0] <= day - days + 1e-9 else (0.0, 0.0, 0.0)
        out.append((day, num - start[1], den - start[2]))
    return out


def rolling(history: Sequence[Day], key: str, days: float = WINDOW_DAYS, scale: float = 1.0
            ) -> list[list[float | None]]:
    """Points ``[day, ratio]`` of the ratio ``key`` over the last ``days`` days (None where
    the window counted nothing), times ``scale``."""
    return [[_num(day), _num(scale * num / den) if den else None]
            for day, num, den in window_parts(history, key, days)]


def cumulative(history: Sequence[Day], key: str, scale: float = 1.0
               ) -> list[list[float | None]]:
    """Points ``[day, ratio]`` of the ratio ``key`` since day 0, times ``scale``."""
    out: list[list[float | None]] = []
    for d in history:
        num, den = d.parts(key)
        out.append([_num(d.day), _num(scale * num / den) if den else None])
    return out


def _window_chart(title: str, companies: Sequence[Company], key: str, scale: float,
                  percent: bool) -> dict[str, Any]:
    """A ratio over the last 7 days (solid) beside the same ratio since day 0 (dotted)."""
    opt = _lines(f"{title}: last {WINDOW_DAYS:g} days (solid), since day 0 (dotted)",
                 companies)
    if percent:
        opt["yAxis"].update({"min": 0, "max": 100,
                             "axisLabel": {**_TEXT, "formatter": "{value}%"}})
    for c in companies:
        opt["series"].append(_line(f"{c.label}: last {WINDOW_DAYS:g} days", c,
                                   rolling(c.history, key, scale=scale)))
        since = _line(f"{c.label}: since day 0", c, cumulative(c.history, key, scale))
        since["lineStyle"].update({"type": "dotted", "width": 1.8})
        opt["series"].append(since)
    return opt


def cart_abandonment(companies: Sequence[Company]) -> dict[str, Any]:
    """Cart abandonment (share of carts) over the last 7 days and since day 0."""
    return _window_chart("Cart abandonment", companies, "cart_abandonment_rate", 100.0, True)


def call_abandonment(companies: Sequence[Company]) -> dict[str, Any]:
    """Call abandonment (share of calls) over the last 7 days and since day 0."""
    return _window_chart("Call abandonment", companies, "call_abandonment_rate", 100.0, True)


def cost_per_order(companies: Sequence[Company]) -> dict[str, Any]:
    """Cost to serve per order placed, over the last 7 days and since day 0: early on, the
    cumulative figure mixes the first days' costs with few orders, so its climb or fall is
    not a trend of the last week."""
    return _window_chart("Cost per order", companies, "cost_per_order", 1.0, False)


def orders_per_day(companies: Sequence[Company]) -> dict[str, Any]:
    """Orders placed each day."""
    opt = _lines("Orders per day", companies)
    for c in companies:
        h = c.history
        pts = [[_num(b.day), b.orders - a.orders] for a, b in zip(h, h[1:], strict=False)]
        opt["series"].append(_line(legend_name(c), c, pts) | {"showSymbol": True,
                                                              "symbolSize": 5})
    return opt


def cash(companies: Sequence[Company]) -> dict[str, Any]:
    """Cash collected since day 0, in thousands (a running total, not an average)."""
    opt = _lines("Cash collected since day 0 (thousands)", companies)
    for c in companies:
        opt["series"].append(_line(legend_name(c), c, [[_num(d.day), _num(d.cash / 1000.0, 2)]
                                                      for d in c.history]))
    return opt


#: The live charts, in the order the page lays them out (two to a row).
ALL = {"funnel": funnel, "queues": queues, "cost_per_order": cost_per_order,
       "cart_abandonment": cart_abandonment, "orders_per_day": orders_per_day,
       "call_abandonment": call_abandonment, "cash": cash}
