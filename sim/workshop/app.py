"""The workshop page: a class picks a phase, moves a lever and watches the company react.

Served by ``omnisim workshop`` (:mod:`sim.workshop.server`) as the Solara app
``sim.workshop.app``. Built from Mesa's visualisation parts: the model is a ``mesa.Model``
(:class:`~sim.workshop.company.Workshop`), charts are component functions of the model laid
out by Mesa's ``ComponentsView`` and redrawn through Mesa's ``update_counter`` /
``force_update``. Mesa's own ``ModelController`` cannot be paused or rebuilt from outside
(its play state is private), so the run controls here are a small controller in the same
style that the phase picker and the levers can pause.

Every browser session renders its own :func:`Page`, so every session has its own model (made
in ``use_memo``), its own settings and its own play loop; nothing is shared between
sessions but read-only caches (lessons, process maps, loaded phases).
"""

from __future__ import annotations

import json
import os
import shlex
import threading
import time
import warnings
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import solara

with warnings.catch_warnings():
    # importing Mesa 3.3's visualisation package defines its ComponentsView, which trips
    # Solara's hook checker (the page does not use it); the warning says nothing here
    warnings.filterwarnings("ignore", message=r"(?s).*ComponentsView: `use_state`",
                            category=UserWarning)
    from mesa.visualization.utils import force_update, update_counter

from sim.scenario import SCENARIO_DIR, Loaded, ScenarioError, load
from sim.workshop import levers as lv
from sim.workshop.company import WORKSHOP_OVERRIDES, Workshop
from sim.workshop.server import ENV_SCENARIO, ref_of
from sim.workshop.views import ChartGrid, CompanyCard, CompanyLine, FlowView, ProcessMaps

DEFAULT_SCENARIO = "total-commerce/phase-1-siloed"
LADDERS = {"Total Commerce": "total-commerce", "Omni-channel": "omnichannel",
           "Example companies": "examples"}
OWN = "Your scenario"
NONE = "(none)"
#: what the main area shows: live charts, customers flowing, or the process maps
VIEWS = ["Live charts", "Customer flow", "Process map"]


# --------------------------------------------------------------------------- choices
def ladders(initial: str) -> dict[str, list[str]]:
    """Ladder name -> scenario refs in order; the initial scenario gets its own entry when
    it is on no shipped ladder."""
    out = {name: [f"{folder}/{p.stem}" for p in sorted((SCENARIO_DIR / folder).glob("*.yaml"))]
           for name, folder in LADDERS.items()}
    out = {k: v for k, v in out.items() if v}
    if not any(initial in refs for refs in out.values()):
        out = {OWN: [initial], **out}
    return out


def ladder_of(ref: str, choices: dict[str, list[str]]) -> str:
    """The ladder a ref is on."""
    return next(name for name, refs in choices.items() if ref in refs)


def short(ref: str) -> str:
    """The name shown in pickers: the file's stem."""
    return Path(ref).stem


@lru_cache(maxsize=64)
def phase(ref: str) -> Loaded:
    """A phase as the workshop loads it, before levers (shared, read-only)."""
    return load(ref, WORKSHOP_OVERRIDES)


def initial_params() -> dict[str, Any]:
    """Workshop arguments for a new session: the scenario given to ``omnisim workshop``."""
    ref = ref_of(os.environ.get(ENV_SCENARIO) or DEFAULT_SCENARIO)
    return {"scenario": ref, "compare": None, "seed": phase(ref).scenario.seed, "levers": {},
            "compare_levers": {}}


#: seconds after a session takes its model before the next spare is built
SPARE_DELAY_S = 15.0


class Spares:
    """One model built ahead for the next session that opens the page as it starts.

    Building a company takes a noticeable part of a page load, so the server keeps one
    ready-made model per starting setting and builds the next in the background
    ``delay`` seconds after one is taken (not at once, so as not to slow the new session's
    first steps). A spare goes to exactly one session; sessions never share a model.
    """

    def __init__(self, delay: float = SPARE_DELAY_S) -> None:
        self.delay = delay
        self._lock = threading.Lock()
        self._ready: dict[str, Workshop] = {}
        self._building: set[str] = set()

    @staticmethod
    def _key(params: dict[str, Any]) -> str:
        return json.dumps(params, sort_keys=True, default=str)

    def take(self, params: dict[str, Any]) -> Workshop:
        """A new model for ``params``: the spare if one is ready, else built now."""
        key = self._key(params)
        with self._lock:
            model = self._ready.pop(key, None)
        self.prepare(params)
        return model if model is not None else Workshop(**params)

    def prepare(self, params: dict[str, Any]) -> None:
        """Build a spare for ``params`` in the background (unless one is ready or coming)."""
        key = self._key(params)
        with self._lock:
            if key in self._ready or key in self._building:
                return
            self._building.add(key)

        def build() -> None:
            try:
                model = Workshop(**params)
                with self._lock:
                    self._ready[key] = model
            finally:
                with self._lock:
                    self._building.discard(key)

        # a little later, so the spare does not compete with the new session's first steps
        timer = threading.Timer(self.delay, build)
        timer.daemon = True
        timer.start()


SPARES = Spares()


#: the params keys of each company's scenario and levers
COMPANY_KEYS = {"A": ("scenario", "levers"), "B": ("compare", "compare_levers")}


def command_line(params: dict[str, Any], which: str = "A") -> str:
    """The ``omnisim run`` command that makes the same run as company ``which`` on the
    page."""
    ref_key, levers_key = COMPANY_KEYS[which]
    ref = params[ref_key]
    sets = [*WORKSHOP_OVERRIDES, *lv.overrides(phase(ref), params.get(levers_key) or {})]
    words = ["omnisim", "run", ref, "--seed", str(params["seed"])]
    for s in sets:
        words += ["--set", s]
    return " ".join(shlex.quote(w) for w in words)


# --------------------------------------------------------------------------- controls
@solara.component
def RunControls(model: solara.Reactive[Workshop], playing: solara.Reactive[bool],
                on_reset: Any, on_error: Any) -> None:
    """Run / Pause, Step and Reset, in the manner of Mesa's ``ModelController``."""
    update_counter.get()
    days_per_redraw = solara.use_reactive(1)
    pause_ms = solara.use_reactive(200)

    def advance(m: Workshop) -> bool:
        """One step of ``days_per_redraw`` days; False (and the reason shown) on an error."""
        try:
            for _ in range(days_per_redraw.value):
                m.step()
        except Exception as exc:  # shown on the page instead of dying in a thread
            on_error(f"The simulation stopped on day {m.day:g}: {exc}")
            m.running = False
            return False
        finally:
            force_update()
        return True

    def loop() -> None:
        m = model.value  # a new model (phase or lever changed) ends this loop
        try:
            while playing.value and model.value is m and m.running:
                t0 = time.perf_counter()
                if not advance(m):
                    break
                time.sleep(max(pause_ms.value / 1000.0 - (time.perf_counter() - t0), 0.02))
        finally:
            if model.value is m:
                playing.set(False)

    solara.lab.use_task(loop, dependencies=[playing.value, id(model.value)],
                        prefer_threaded=True)

    running = model.value.running
    with solara.Row(justify="space-between"):
        solara.Button("Pause" if playing.value else "Run", color="primary",
                      icon_name="mdi-pause" if playing.value else "mdi-play",
                      on_click=lambda: playing.set(not playing.value), disabled=not running)
        solara.Button("Step", color="primary", on_click=lambda: advance(model.value),
                      disabled=playing.value or not running)
        solara.Button("Reset", color="primary", on_click=on_reset)
    solara.Text(f"Days per step: {days_per_redraw.value}", style={"font-size": "0.9em"})
    solara.SliderInt("", value=days_per_redraw, min=1, max=10)
    solara.Text(f"Pause between steps: {pause_ms.value} ms", style={"font-size": "0.9em"})
    solara.SliderInt("", value=pause_ms, min=0, max=2000, step=50)
    c = model.value.companies[0]
    solara.Text(f"Day {model.value.day:g} of {c.horizon_days:g}"
                + ("" if running else " (finished)"), classes=["day-counter"],
                style={"font-size": "1.3em", "font-weight": "bold"})


@solara.component
def Picker(params: dict[str, Any], apply: Any) -> None:
    """Ladder, phase, comparison phase and seed."""
    choices = solara.use_memo(lambda: ladders(initial_params()["scenario"]), [])
    ref = params["scenario"]
    ladder = ladder_of(ref, choices)
    steps = choices[ladder]
    everything = [r for refs in choices.values() for r in refs]

    def set_ladder(name: str) -> None:
        apply({**params, "scenario": choices[name][0], "levers": {}})

    def set_phase(stem: str) -> None:
        apply({**params, "scenario": next(r for r in steps if short(r) == stem), "levers": {}})

    def set_compare(value: str) -> None:
        apply({**params, "compare": None if value == NONE else value, "compare_levers": {}})

    solara.Select("Ladder", values=list(choices), value=ladder, on_value=set_ladder)
    solara.Select("Phase / stage (company A)", values=[short(r) for r in steps],
                  value=short(ref), on_value=set_phase)
    solara.Select("Side by side with (company B)", values=[NONE, *everything],
                  value=params["compare"] or NONE, on_value=set_compare)
    solara.InputInt("Seed (both companies)", value=params["seed"],
                    on_value=lambda s: apply({**params, "seed": max(int(s or 0), 0)}))


@solara.component
def LeverPanel(params: dict[str, Any], apply: Any, which: str = "A") -> None:
    """Sliders for the levers of company ``which``, starting at its phase's own values."""
    ref_key, levers_key = COMPANY_KEYS[which]
    base = phase(params[ref_key])
    values = lv.phase_values(base)
    chosen = params.get(levers_key) or {}

    def setter(key: str) -> Any:
        def set_value(v: Any) -> None:
            if v != chosen.get(key, values[key]):  # a widget echoing its value changes nothing
                apply({**params, levers_key: {**chosen, key: v}})

        return set_value

    for lever in lv.levers_for(base):
        own = values[lever.key]
        value = chosen.get(lever.key, own)
        if lever.kind == "choice":
            solara.Select(lever.label, values=list(lever.choices), value=value,
                          on_value=setter(lever.key))
            continue
        changed = "" if value == own else f" (phase: {lever.show(own)})"
        solara.Text(f"{lever.label}: {lever.show(value)}{changed}", style={"font-size": "0.9em"})
        grid = lever.grid(own)
        if value not in grid:
            grid = sorted({*grid, value})
        set_value = setter(lever.key)
        # a slider over the grid's positions: every value shown is one the lever can take
        solara.SliderInt("", value=grid.index(value), min=0, max=len(grid) - 1,
                         on_value=_on_position(grid, set_value))
    solara.Button("Back to the phase's values", text=True, disabled=not chosen,
                  on_click=lambda: apply({**params, levers_key: {}}))
    solara.Text("Same run from the command line:", style={"font-size": "0.8em"})
    solara.Text(command_line(params, which), classes=[f"command-line-{which}"],
                style={"font-family": "monospace", "font-size": "0.75em"})


def _on_position(grid: list[Any], set_value: Callable[[Any], None]) -> Callable[[int], None]:
    """A slider's callback: the position chosen sets the grid's value there."""
    return lambda i: set_value(grid[int(i)])


# --------------------------------------------------------------------------- the page
@solara.component
def Page() -> None:
    """One browser session: its own settings, model and play loop."""
    start = solara.use_memo(initial_params, [])
    params = solara.use_reactive(start)
    model: solara.Reactive[Workshop] = solara.use_reactive(
        solara.use_memo(lambda: SPARES.take(start), []))
    playing = solara.use_reactive(False)
    error = solara.use_reactive("")
    view = solara.use_reactive(VIEWS[0])

    def apply(new: dict[str, Any]) -> None:
        playing.set(False)
        try:
            m = Workshop(**new)
        except (ScenarioError, ValueError) as exc:
            error.set(str(exc))
            return
        error.set("")
        params.set(new)
        model.set(m)

    solara.Title("omnisim workshop")
    with solara.AppBar():
        solara.AppBarTitle("omnisim workshop: what does a maturity step change?")
    with solara.Sidebar():
        with solara.Card("Run"):
            RunControls(model, playing, lambda: apply(dict(params.value)), error.set)
        with solara.Card("Company"):
            Picker(params.value, apply)
        with solara.Card("Levers of company A"):
            LeverPanel(params.value, apply, "A")
        if params.value.get("compare"):
            with solara.Card("Levers of company B"):
                LeverPanel(params.value, apply, "B")
    with solara.Column(style={"gap": "4px"}):
        if error.value:
            solara.Error(error.value)
        # charts first: one line per company above them, the full cards under them, so a
        # chart is in view on a 1,280 x 720 projector
        for c in model.value.companies:
            CompanyLine(c, model.value.lock)
        # an empty chart outside the grid starts loading the chart library at once, while
        # the grid's own script loads
        solara.FigureEcharts(option={}, attributes={"style": "height: 1px; width: 1px;"})
        solara.ToggleButtonsSingle(value=view, values=VIEWS, dense=True)
        if view.value == VIEWS[0]:
            ChartGrid(model.value)
        elif view.value == VIEWS[1]:
            FlowView(model.value)
        else:
            ProcessMaps(model.value)
        with solara.Columns([1] * len(model.value.companies)):
            for c in model.value.companies:
                CompanyCard(c, model.value.lock)
