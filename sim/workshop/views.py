"""What the workshop page shows of a running :class:`~sim.workshop.company.Workshop`.

Chart components follow Mesa's pattern: a function of the model, re-drawn whenever Mesa's
``update_counter`` moves (``force_update()`` after every step), arranged by Mesa's
``ComponentsView`` grid. Company cards carry the lesson text, the bottleneck in words and
the headline numbers; the process map is drawn once per scenario variant and cached.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import solara
from mesa.visualization.utils import update_counter

from sim.processmap import NAMES, process_map, render_bytes
from sim.scenario import load
from sim.workshop import charts
from sim.workshop.company import WORKSHOP_OVERRIDES, Company, Workshop, headline_kpis
from sim.workshop.flowchart import flow_chart
from sim.workshop.lessons import Lesson, load_lessons

CHART_STYLE = {"style": "height: 300px; width: 100%;"}
#: height of one company's flow view in pixels
FLOW_HEIGHT = 540


@lru_cache(maxsize=1)
def lessons() -> dict[str, Lesson]:
    """Lessons from ``sim/scenarios/README.md`` (read once per server)."""
    return load_lessons()


@lru_cache(maxsize=32)
def map_png(ref: str, overrides: tuple[str, ...]) -> bytes:
    """The process map of a scenario variant as PNG (drawn once, shared by all sessions)."""
    sc = load(ref, (*WORKSHOP_OVERRIDES, *overrides)).scenario
    return render_bytes(process_map(sc), "png", dpi=90)


def chart_component(name: str) -> Callable[[Workshop], Any]:
    """A Mesa-style component drawing one of :data:`sim.workshop.charts.ALL`: a function of
    the model, redrawn when Mesa's ``update_counter`` moves."""
    make = charts.ALL[name]

    @solara.component
    def Chart(model: Workshop) -> Any:
        update_counter.get()
        with model.lock:
            option = make(model.companies)
        return solara.FigureEcharts(option=option, attributes={**CHART_STYLE,
                                                               "class": f"chart-{name}"},
                                    responsive=True)

    Chart.__name__ = f"Chart_{name}"
    return Chart


#: The live charts, in the order of :data:`sim.workshop.charts.ALL`.
COMPONENTS = [chart_component(n) for n in charts.ALL]
#: rows of 30 px a chart takes in the grid (300 px, as CHART_STYLE)
CHART_ROWS = 10


def grid_layout(n: int) -> list[dict[str, Any]]:
    """Two charts to a row, each half the width (the layout Mesa's ComponentsView starts
    with, without its page tabs)."""
    return [{"i": i, "w": 6, "h": CHART_ROWS, "moved": False, "x": 6 * (i % 2),
             "y": CHART_ROWS * (i // 2)} for i in range(n)]


@solara.component
def ChartGrid(model: Workshop) -> None:
    """The live charts in Solara's draggable grid (as Mesa's ComponentsView lays out a page
    of components; used directly, so no "Page 0" tab shows above a single page)."""
    layout, set_layout = solara.use_state(grid_layout(len(COMPONENTS)))
    solara.GridDraggable(items=[c(model) for c in COMPONENTS], grid_layout=layout,
                         resizable=True, draggable=True, on_grid_layout=set_layout)


@solara.component
def FlowView(model: Workshop) -> None:
    """Customers as dots on each company's process map (:mod:`sim.workshop.flowchart`)."""
    update_counter.get()
    for c in model.companies:
        with model.lock:
            option = flow_chart(c.flow(), charts.legend_name(c))
        solara.FigureEcharts(option=option, responsive=True, attributes={
            "style": f"height: {FLOW_HEIGHT}px; width: 100%;", "class": f"chart-flow-{c.label}"})


def _p(label: str, text: str, classes: str = "") -> None:
    """A paragraph with a bold lead-in (plain elements: cheap to send and to draw)."""
    small = "font-size: 0.85em; color: #555;" if classes == "omnisim-lesson" else ""
    solara.v.Html(tag="p", class_=classes, style_=small, children=[
        solara.v.Html(tag="b", children=[label]), f" {text}"])


def headline(c: Company) -> str:
    """One line of the company's numbers since day 0: every KPI the registry flags for the
    workshop, with its label, as the run table writes it."""
    t = c.totals()
    return " · ".join(f"{k.label} {k.format(t[k.key])}" for k in headline_kpis())


@solara.component
def CompanyLine(c: Company, lock: Any) -> None:
    """One line above the charts: the company, the day and its bottleneck now."""
    update_counter.get()
    with lock:
        name, _ = c.bottleneck()
        waiting = c.queues().get(name, 0) if name else 0
        day = f"day {c.now_days:g} of {c.horizon_days:g}"
    who = NAMES.get(name, name.replace("_", " "))
    where = f"bottleneck: {who} ({waiting:,} waiting now)" if name else "no bottleneck yet"
    solara.v.Html(tag="div", class_=f"company-line-{c.label}",
                  style_="font-size: 0.95em; line-height: 1.3;", children=[
                      solara.v.Html(tag="b", style_=f"color: {charts.COLOURS[c.label]}",
                                    children=[f"{charts.legend_name(c)}"]),
                      f"  ·  {day}  ·  {where}  ·  details under the charts"])


@solara.component
def CompanyCard(c: Company, lock: Any) -> None:
    """Lesson, bottleneck in words and headline numbers of one company."""
    update_counter.get()
    with lock:
        _, sentence = c.bottleneck()
        line = headline(c)
        day = f"day {c.now_days:g} of {c.horizon_days:g}"
    lesson = lessons().get(c.ref)
    title = f"{c.label}: {c.model.scenario.name}"
    with solara.Card(title, subtitle=(c.model.scenario.description or None),
                     classes=[f"company-{c.label}"]):
        _p(f"Bottleneck ({day}):", sentence, "omnisim-bottleneck")
        _p("Since day 0:", line, "omnisim-totals")
        if c.overrides:
            _p("Changed by the levers:", "; ".join(c.overrides))
        if lesson is not None:
            if lesson.look_for:
                _p("Look for:", lesson.look_for)
            _p(f"{lesson.title}.", lesson.changed, "omnisim-lesson")


@solara.component
def ProcessMaps(model: Workshop) -> None:
    """The process map of every company on the page, one under the other (full width, so
    the labels stay readable on a projector)."""
    with solara.Column():
        for c in model.companies:
            solara.Text(f"{c.label}: {c.model.scenario.name}", style={"font-weight": "bold"})
            solara.Image(map_png(c.ref, c.overrides), width="100%")
