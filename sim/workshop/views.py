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

from sim.processmap import process_map, render_bytes
from sim.scenario import load
from sim.workshop import charts
from sim.workshop.company import WORKSHOP_OVERRIDES, Company, Workshop, headline_kpis
from sim.workshop.lessons import Lesson, load_lessons

CHART_STYLE = {"style": "height: 300px; width: 100%;"}


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
    """A Mesa-style component function drawing one of :data:`sim.workshop.charts.ALL`."""
    make = charts.ALL[name]

    def Chart(model: Workshop) -> Any:
        with model.lock:
            option = make(model.companies)
        return solara.FigureEcharts(option=option, attributes={**CHART_STYLE,
                                                               "class": f"chart-{name}"},
                                    responsive=True)

    Chart.__name__ = f"Chart_{name}"
    return Chart


#: The live charts, on the first (only) page of Mesa's ComponentsView grid.
COMPONENTS = [(chart_component(n), 0) for n in charts.ALL]


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
