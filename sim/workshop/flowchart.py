"""The flow view: customers as dots on the process map, as an ECharts option (a plain dict).

Stations stand in the process map's four columns (channels, front office, back office,
fulfilment and partners); a customer waiting in a station's queue is a dot stacked in that
station's box, so a queue that grows is a row of dots that grows. Every other customer on a
journey is a dot in the strip of journey stages underneath (lead, with sales, quote, cart ...).
Dots are coloured by segment; grey dots are waiting work without a customer to name
(:attr:`sim.workshop.flow.StationNow.unattributed`). Every dot of a customer keeps its name
(``c<id>``) from one step to the next, so ECharts moves it from place to place.

To stay light on a laptop, a station draws at most :data:`STATION_DOTS` dots and a stage at
most :data:`STAGE_DOTS` (the oldest customers, so the dots drawn stay the same from step to
step); every label gives the true count.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sim.processmap import COLUMN_TITLES, COLUMNS, KIND_COLOURS
from sim.workshop.flow import FlowSnapshot, StationNow

#: dots drawn at most per station and per journey stage
STATION_DOTS = 48
STAGE_DOTS = 60
#: dots per row in a station's box and in a stage's place
STATION_ROW = 24
STAGE_ROW = 10
SEGMENT_COLOURS = ("#2a9d8f", "#f4a261", "#7b2cbf", "#e76f51", "#264653", "#8ab17d")
UNATTRIBUTED = "#9e9e9e"
BOTTLENECK = "#d62728"
BOX_COLOURS = {**KIND_COLOURS, "team": "#fdf0d5"}
STAGE_NAMES = {"lead": "lead", "sales": "with sales", "quote": "quote", "cart": "cart",
               "order": "order entry", "fulfilment": "fulfilment", "invoice": "invoicing",
               "payment": "to be paid", "after_sale": "after sale",
               "service": "service request"}
#: the drawing's coordinates: x 0..100 left to right, y 0..100 bottom to top
TOP, STATIONS_BOTTOM, STRIP_TOP = 90.0, 31.0, 26.0


def segment_colours(segments: Sequence[str]) -> dict[str, str]:
    """A colour per segment, in the scenario's order."""
    return {s: SEGMENT_COLOURS[i % len(SEGMENT_COLOURS)] for i, s in enumerate(segments)}


def station_boxes(snap: FlowSnapshot) -> dict[str, tuple[float, float, float, float]]:
    """Each station's box ``(x0, y0, x1, y1)``: columns left to right, one row per station,
    every column with the row height of the fullest one."""
    cols = {c: [n for n, st in snap.stations.items() if st.column == c] for c in COLUMNS}
    rows = max((len(v) for v in cols.values()), default=1) or 1
    height = (TOP - STATIONS_BOTTOM) / rows
    width = 100.0 / len(COLUMNS)
    out = {}
    for i, col in enumerate(COLUMNS):
        for j, name in enumerate(cols[col]):
            top = TOP - j * height
            out[name] = (i * width + 0.4, top - height + 0.5, (i + 1) * width - 0.4, top)
    return out


def stage_places(snap: FlowSnapshot) -> dict[str, tuple[float, float, float, float]]:
    """Each drawn journey stage's place in the strip ``(x0, y0, x1, y1)``."""
    stages = snap.journey
    width = 100.0 / len(stages)
    return {s: (i * width + 0.3, 1.0, (i + 1) * width - 0.3, STRIP_TOP)
            for i, s in enumerate(stages)}


def _grid(box: tuple[float, float, float, float], n: int, per_row: int, top_gap: float
          ) -> list[list[float]]:
    """``n`` dot positions filling ``box`` from its top left, ``per_row`` to a row."""
    x0, y0, x1, y1 = box
    dx = (x1 - x0 - 1.0) / per_row
    rows = max((n + per_row - 1) // per_row, 1)
    dy = min((y1 - y0 - top_gap - 0.5) / max(rows, 1), 2.2)
    return [[round(x0 + 0.5 + dx * (k % per_row + 0.5), 3),
             round(y1 - top_gap - dy * (k // per_row + 0.5), 3)] for k in range(n)]


def station_dots(st: StationNow, box: tuple[float, float, float, float]
                 ) -> list[tuple[str, str | None, list[float]]]:
    """The dots of a station's queue: ``(name, segment or None, [x, y])``, customers first
    (in queue order), then the unattributed work, at most :data:`STATION_DOTS`."""
    who: list[tuple[str, str | None]] = [(f"c{i}", seg) for i, seg in st.queued]
    who += [(f"{st.name}-w{k}", None) for k in range(st.unattributed)]
    who = who[:STATION_DOTS]
    rows = (STATION_DOTS + STATION_ROW - 1) // STATION_ROW
    gap = (box[3] - box[1]) * 0.45
    pos = _grid(box, rows * STATION_ROW, STATION_ROW, gap)
    return [(name, seg, pos[k]) for k, (name, seg) in enumerate(who)]


def stage_dots(snap: FlowSnapshot, stage: str, box: tuple[float, float, float, float]
               ) -> list[tuple[str, str | None, list[float]]]:
    """The dots of the customers at a journey stage (the oldest :data:`STAGE_DOTS`)."""
    who = snap.at_stage.get(stage, ())[:STAGE_DOTS]
    pos = _grid(box, STAGE_DOTS, STAGE_ROW, 4.0)
    return [(f"c{i}", seg, pos[k]) for k, (i, seg) in enumerate(who)]


def _station_text(st: StationNow) -> str:
    busy = (f"{st.in_service} busy" if st.capacity is None
            else f"{st.in_service}/{st.capacity} busy")
    more = len(st.queued) + st.unattributed - STATION_DOTS
    extra = f" (+{more})" if more > 0 else ""
    return f"{{b|{st.label}}} {st.waiting} waiting{extra} · {busy}"


def _area(box: tuple[float, float, float, float], text: str, fill: str, border: str,
          width: float = 1.0) -> list[dict[str, Any]]:
    x0, y0, x1, y1 = box
    return [{"coord": [x0, y0], "name": text,
             "itemStyle": {"color": fill, "borderColor": border, "borderWidth": width}},
            {"coord": [x1, y1]}]


def _places(snap: FlowSnapshot) -> list[list[dict[str, Any]]]:
    """The station boxes and stage places as ECharts mark areas (the longest queue red)."""
    worst = snap.longest_queue()
    areas = []
    for name, box in station_boxes(snap).items():
        st = snap.stations[name]
        hot = name == worst
        areas.append(_area(box, _station_text(st), BOX_COLOURS.get(st.kind, "#eeeeee"),
                           BOTTLENECK if hot else "#b0b0b0", 2.5 if hot else 1.0))
    for stage, box in stage_places(snap).items():
        n = len(snap.at_stage.get(stage, ()))
        # the count on a line of its own: a stage's place is narrow (9 or 10 side by side)
        areas.append(_area(box, f"{{b|{STAGE_NAMES.get(stage, stage)}}}\n{{n|{n:,}}}",
                           "#f7f7f7", "#b0b0b0"))
    return areas


def _all_dots(snap: FlowSnapshot) -> list[tuple[str, str | None, list[float]]]:
    boxes = station_boxes(snap)
    dots = [d for name, box in boxes.items() for d in station_dots(snap.stations[name], box)]
    dots += [d for stage, box in stage_places(snap).items()
             for d in stage_dots(snap, stage, box)]
    return dots


def flow_chart(snap: FlowSnapshot, title: str) -> dict[str, Any]:
    """The flow view of one company as an ECharts option."""
    colours = segment_colours(snap.segments)
    dots = _all_dots(snap)
    series: list[dict[str, Any]] = []
    for seg, colour in [*colours.items(), ("work without a customer", UNATTRIBUTED)]:
        key = None if colour == UNATTRIBUTED else seg
        data = [{"name": n, "value": xy} for n, s, xy in dots if s == key]
        series.append({"type": "scatter", "name": seg.replace("_", " "), "data": data,
                       "symbolSize": 6, "itemStyle": {"color": colour},
                       "silent": True, "z": 3})
    # every line in a rich style with its own height: a plain line after a rich one was drawn
    # over it (the stage's count on top of its name)
    rich = {"b": {"fontWeight": "bold", "fontSize": 11, "lineHeight": 14},
            "n": {"fontSize": 10, "lineHeight": 13}}
    series.append({
        "type": "scatter", "name": "places", "data": [], "silent": True, "z": 1,
        "markArea": {"silent": True, "data": _places(snap),
                     "label": {"position": "insideTopLeft", "fontSize": 10, "color": "#333",
                               "rich": rich, "distance": 2}}})
    titles = [{"text": COLUMN_TITLES[c], "left": f"{1 + 25 * i}%", "top": 52,
               "textStyle": {"fontSize": 12, "color": "#555"}} for i, c in enumerate(COLUMNS)]
    dormant = snap.stage_counts.get("dormant", 0)
    return {
        "animation": True, "animationDurationUpdate": 600, "animationEasingUpdate": "linear",
        "title": [{"text": f"{title}  (day {snap.day:g}; between purchases: {dormant:,})",
                   "left": 4, "top": 2, "textStyle": {"fontSize": 14}}, *titles],
        "legend": {"top": 26, "left": 4, "data": [s["name"] for s in series[:-1]],
                   "textStyle": {"fontSize": 12}},
        "grid": {"left": 4, "right": 4, "top": 70, "bottom": 4},
        "xAxis": {"type": "value", "min": 0, "max": 100, "show": False},
        "yAxis": {"type": "value", "min": 0, "max": TOP, "show": False},
        "series": series,
    }
