"""The workshop page rendered in-process (no browser): every render of the page, as every
browser session gets, owns its own model; the phase picker and the side-by-side picker
rebuild that session's model only. The browser test is tests/test_workshop_e2e.py."""

from __future__ import annotations

import time
from typing import Any

import pytest

solara: Any = None
v: Any = None  # ipyvuetify


@pytest.fixture(autouse=True, scope="module")
def _widgets() -> None:
    """Solara and ipyvuetify, or skip: imported when this module's tests run rather than at
    collection, where every worker would pay for them (about 0.7 s)."""
    global solara, v
    solara = pytest.importorskip("solara")
    v = pytest.importorskip("ipyvuetify")


@pytest.fixture()
def page(monkeypatch):
    monkeypatch.setenv("OMNISIM_WORKSHOP_SCENARIO", "total-commerce/phase-1-siloed")
    from sim.workshop import app

    made: list = []

    class Recorded(app.Workshop):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(app, "Workshop", Recorded)

    class NoSpares:  # every model built on request, so ``made`` is in the page's order
        def take(self, params):
            return Recorded(**params)

    monkeypatch.setattr(app, "SPARES", NoSpares())
    contexts = []

    def render():
        _, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
        contexts.append(rc)
        return rc

    yield render, made
    for rc in contexts:
        rc.close()


def _day(rc) -> str:
    return rc.find(v.Html, class_="day-counter").widget.children[0]


def _select(rc, label: str):
    return rc.find(v.Select, label=label).widget


def test_each_session_has_its_own_model(page):
    render, made = page
    one, two = render(), render()
    assert len(made) == 2 and made[0] is not made[1]
    one.find(v.Btn, children=["Step"]).widget.click()
    one.find(v.Btn, children=["Step"]).widget.click()
    assert (made[0].day, made[1].day) == (2.0, 0.0)
    assert _day(one).startswith("Day 2 of") and _day(two).startswith("Day 0 of")


def test_phase_and_side_by_side_pickers_rebuild_only_this_session(page):
    render, made = page
    one, two = render(), render()
    _select(one, "Phase / stage (company A)").v_model = "phase-4-integrated"
    assert made[-1].companies[0].model.scenario.name == "phase-4-integrated"
    assert "Phase 4 - integrated" in _card_text(one, "A")
    assert "Phase 1 - siloed" in _card_text(two, "A")
    _select(one, "Side by side with (company B)").v_model = \
        "total-commerce/phase-1-siloed"
    a, b = made[-1].companies
    assert (a.model.scenario.name, b.model.scenario.name) == ("phase-4-integrated",
                                                              "phase-1-siloed")
    assert a.model.scenario.seed == b.model.scenario.seed
    assert "Phase 1 - siloed" in _card_text(one, "B")
    import ipywidgets

    one.find(v.BtnToggle).widget.v_model = 2  # "Process map": both companies' maps
    maps = one.find(ipywidgets.Image).widgets
    assert len(maps) == 2 and all(m.value[:4] == b"\x89PNG" for m in maps)


def _card_text(rc, label: str) -> str:
    """All text inside the company card of ``label``."""
    cards = [w for w in rc.find(v.Card).widgets if f"company-{label}" in w.class_.split()]
    assert len(cards) == 1
    out, todo = [], [cards[0]]
    while todo:
        w = todo.pop()
        for c in getattr(w, "children", None) or []:
            (out.append(c) if isinstance(c, str) else todo.append(c))
    return " ".join(out)


def test_spare_models_go_to_one_session_each():
    from sim.workshop.app import Spares

    spares = Spares(delay=0.0)
    params = {"scenario": "validation/mm1", "compare": None, "seed": 1, "levers": {}}
    first = spares.take(params)  # none ready: built now, and a spare starts building
    for _ in range(200):
        if spares._ready:
            break
        time.sleep(0.05)
    ready = next(iter(spares._ready.values()))
    second = spares.take(params)
    assert second is ready and second is not first
    third = spares.take(params)
    assert third is not second and third is not first


def test_a_simulation_error_is_shown_on_the_page_not_lost_in_a_thread(page):
    render, made = page
    one = render()

    def broken():
        raise RuntimeError("a station lost its queue")

    made[0].step = broken
    one.find(v.Btn, children=["Step"]).widget.click()
    alerts = [w for w in one.find(v.Alert).widgets if "a station lost its queue" in str(w.children)]
    assert len(alerts) == 1 and "stopped on day 0" in str(alerts[0].children)
    assert one.find(v.Btn, children=["Step"]).widget.disabled  # the run is over
