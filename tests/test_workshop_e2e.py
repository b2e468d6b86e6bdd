"""End-to-end: ``omnisim workshop`` in Debian's headless Chromium, driven by Playwright.

The server runs as a subprocess exactly as a teacher starts it. The test loads the page,
checks that every request stays on this machine (Solara's asset "CDN" is pointed at a dead
loopback port, so an asset missing from ``solara-assets`` fails instead of being fetched),
switches phase, adds a side-by-side phase, steps and runs, checks that every chart changed,
and saves screenshots and the measured timings in ``results/workshop-e2e/`` (with whether
they meet the targets: page load under 5 s, a step's redraw under 1 s). A second test opens
two sessions at once and checks that they do not share a model.

Chromium comes from Debian (``make browser`` installs it; ``make test`` runs that first).
Without it the test is skipped, except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
OUT = REPO / "results" / "workshop-e2e"
#: as the machine notes prescribe for headless Chromium here: no sandbox as root, and no
#: background connections to the closed network
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CHARTS = ("funnel", "queues", "cost_per_order", "cart_abandonment", "orders_per_day",
          "call_abandonment", "cash")
VIEWPORT = {"width": 1600, "height": 1000}
#: the acceptance targets (issue 6), recorded with the measurements in timings.json
LOAD_TARGET_S = 5.0
REDRAW_TARGET_S = 1.0
#: what the test asserts: three times the targets, so that a loaded CI machine does not fail
#: the suite over a slow second while a page that hangs or redraws everything still fails
#: (performance claims live in the figures, see docs/workshop.md)
SANITY = 3.0


def _browser_or_skip() -> Any:
    if not CHROMIUM.exists():
        why = f"{CHROMIUM} is missing: run `make browser` (needs root or sudo)"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    _browser_or_skip()
    port = _free_port()
    env = {**os.environ, "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/no-internet/"}
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "workshop", "--port", str(port)],
                            cwd=tmp_path_factory.mktemp("workshop"), env=env, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if "serving" in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not ready.wait(120) or proc.poll() is not None:
            pytest.fail("workshop server did not start:\n" + "".join(lines))
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        reader.join(10)
        assert proc.stderr is not None
        proc.stderr.close()
    assert not any("Traceback" in line or "Error" in line for line in lines), "".join(lines)


@pytest.fixture(scope="module")
def browser(server) -> Iterator[Any]:
    sync_api = _browser_or_skip()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Session:
    """One browser context (its own cookies, its own Solara session) on the page."""

    def __init__(self, browser: Any, url: str):
        self.url = url
        self.ctx = browser.new_context(viewport=VIEWPORT)
        self.page = self.ctx.new_page()
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("response", lambda r: r.status >= 400 and self.failed.append(
            f"{r.status} {r.url}"))

    def load(self) -> float:
        """Open the page; seconds until the controls and every chart are drawn."""
        t0 = time.perf_counter()
        self.page.goto(self.url)
        for name in CHARTS:
            self.page.wait_for_selector(f".chart-{name} canvas", timeout=60_000)
        self.page.wait_for_selector(".day-counter", timeout=60_000)
        return time.perf_counter() - t0

    def day(self) -> str:
        return self.page.locator(".day-counter").inner_text()

    def card(self, label: str) -> str:
        return self.page.locator(f".company-{label}").inner_text()

    def pixels(self, name: str) -> str:
        """The chart's canvas as a data URL (waits for the chart: a new model redraws them)."""
        # one step: a redraw can replace the canvas between a wait and a separate read
        handle = self.page.wait_for_function(
            "n => { const c = document.querySelector('.chart-' + n + ' canvas');"
            " return c ? c.toDataURL() : null; }", arg=name, timeout=30_000)
        return str(handle.json_value())

    def pick(self, label: str, option: str) -> None:
        """Choose ``option`` in the Vuetify select labelled ``label``."""
        self.page.locator(".v-select", has_text=label).locator(".v-select__slot").click()
        menu = self.page.locator(".menuable__content__active")
        menu.locator(".v-list-item", has_text=option).first.click()

    def step(self, day: int) -> tuple[float, float]:
        """Click Step; seconds until the day counter and until the funnel chart change."""
        before = self.pixels("funnel")
        t0 = time.perf_counter()
        self.page.get_by_role("button", name="Step").click()
        self.page.wait_for_function(
            "d => document.querySelector('.day-counter').innerText.startsWith('Day ' + d + ' ')",
            arg=day, timeout=20_000)
        t1 = time.perf_counter()
        self.page.wait_for_function(
            "b => document.querySelector('.chart-funnel canvas').toDataURL() !== b", arg=before,
            timeout=20_000, polling="raf")
        return t1 - t0, time.perf_counter() - t0

    def offline_problems(self) -> list[str]:
        foreign = [u for u in self.requests
                   if not u.startswith((self.url.rstrip("/"), "data:", "blob:"))]
        return foreign + self.failed

    def close(self) -> None:
        self.ctx.close()


def _wait_for_day(s: Session, at_least: int) -> None:
    s.page.wait_for_function(
        "n => parseFloat(document.querySelector('.day-counter').innerText.split(' ')[1]) >= n",
        arg=at_least, timeout=60_000)


def test_page_loads_offline_switches_phase_runs_and_redraws(server, browser):
    OUT.mkdir(parents=True, exist_ok=True)
    warm = Session(browser, server)
    loads = [warm.load()]  # the first session also builds the server's shared caches
    warm.close()
    s = Session(browser, server)
    loads.append(s.load())
    assert s.day().startswith("Day 0 of 90")
    assert "Phase 1 - siloed" in s.card("A")

    s.pick("Phase / stage (company A)", "phase-4-integrated")
    s.page.wait_for_function("document.querySelector('.company-A').innerText"
                             ".includes('Phase 4 - integrated')", timeout=30_000)
    s.pick("Side by side with", "total-commerce/phase-1-siloed")
    s.page.wait_for_selector(".company-B", timeout=30_000)
    assert "Phase 1 - siloed" in s.card("B") and "Phase 4 - integrated" in s.card("A")
    assert "Changed by the levers" not in s.card("A")  # showing a phase changes nothing
    before = {name: s.pixels(name) for name in CHARTS}

    redraws = [s.step(day) for day in range(1, 6)]
    s.page.get_by_role("button", name="Run").click()
    _wait_for_day(s, 9)
    s.page.get_by_role("button", name="Pause").click()
    s.page.get_by_role("button", name="Run").wait_for(timeout=30_000)
    changed = {name: s.pixels(name) != before[name] for name in CHARTS}
    s.page.set_viewport_size({"width": 1600, "height": 2100})  # tall enough for every chart
    s.page.wait_for_timeout(500)  # the charts follow their containers' new size
    s.page.screenshot(path=str(OUT / "workshop.png"))
    s.page.get_by_role("button", name="Process map").click()
    s.page.wait_for_selector("img >> nth=1", timeout=30_000)
    s.page.set_viewport_size({"width": 1600, "height": 2400})
    s.page.screenshot(path=str(OUT / "workshop-map.png"))
    problems = s.offline_problems()
    s.close()

    best_load = min(loads)
    median_redraw = statistics.median(b for _, b in redraws)
    timings = {"page_load_s": [round(x, 3) for x in loads],
               "step_day_counter_s": [round(a, 3) for a, _ in redraws],
               "step_chart_redraw_s": [round(b, 3) for _, b in redraws],
               "best_page_load_s": round(best_load, 3),
               "median_step_redraw_s": round(median_redraw, 3),
               "meets_targets": best_load < LOAD_TARGET_S and median_redraw < REDRAW_TARGET_S,
               "targets_s": {"page_load": LOAD_TARGET_S, "step_redraw": REDRAW_TARGET_S},
               "load_average": os.getloadavg(), "cores": os.cpu_count()}
    (OUT / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    assert changed == dict.fromkeys(CHARTS, True)
    assert problems == []  # every asset came from this server
    assert best_load < SANITY * LOAD_TARGET_S, timings
    assert median_redraw < SANITY * REDRAW_TARGET_S, timings


def test_two_sessions_at_once_do_not_share_a_model(server, browser):
    one, two = Session(browser, server), Session(browser, server)
    try:
        one.load()
        two.load()
        for day in (1, 2, 3):
            one.step(day)
        assert one.day().startswith("Day 3 ") and two.day().startswith("Day 0 ")
        two.pick("Phase / stage (company A)", "phase-6-optimized")
        two.page.wait_for_function("document.querySelector('.company-A').innerText"
                                   ".includes('Phase 6 - optimized')", timeout=30_000)
        two.step(1)
        assert two.day().startswith("Day 1 ") and one.day().startswith("Day 3 ")
        assert "Phase 1 - siloed" in one.card("A")
        assert one.offline_problems() == [] and two.offline_problems() == []
    finally:
        one.close()
        two.close()


def test_a_chart_is_in_view_on_a_projector_and_no_stray_tab(server, browser, screenshots):
    """At 1,280 x 720 a whole chart is inside the viewport without scrolling, and Mesa's
    "Page 0" tab is gone; screenshots go to a tmp folder, or to ``OMNISIM_SCREENSHOTS``
    (``OMNISIM_SCREENSHOTS=results/screenshots`` refreshes the committed ones)."""
    shots = screenshots
    s = Session(browser, server)
    try:
        s.page.set_viewport_size({"width": 1280, "height": 720})
        s.load()
        box = s.page.locator(".chart-funnel").bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["y"] >= 0
        assert box["x"] + box["width"] <= 1280 and box["y"] + box["height"] <= 720, box
        assert "page 0" not in s.page.locator("body").inner_text().lower()
        s.page.screenshot(path=str(shots / "workshop-start.png"))
        for day in range(1, 6):
            s.step(day)
        s.page.screenshot(path=str(shots / "workshop-day5.png"))
        s.page.get_by_role("button", name="Customer flow").click()
        s.page.wait_for_selector(".chart-flow-A canvas", timeout=30_000)
        s.page.wait_for_timeout(1000)
        s.page.screenshot(path=str(shots / "workshop-flow-day5.png"), full_page=True)
        assert s.offline_problems() == []
    finally:
        s.close()
