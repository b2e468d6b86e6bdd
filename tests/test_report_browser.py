"""The HTML report in Debian's headless Chromium at 1,280 x 720 (a projector, a laptop): the
opening summary fits the first screen, nothing runs off the page sideways (a sweep's table
scrolls inside its own box), the page makes no request beyond the file itself, and the
screenshots land in the ``screenshots`` folder (pytest's tmp, or ``OMNISIM_SCREENSHOTS``).

Chromium comes from Debian (``make browser``); without it the test is skipped, except in CI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_workshop_e2e import ARGS, CHROMIUM

from analysis import load
from analysis.report import write_report

pytestmark = pytest.mark.slow
VIEWPORT = {"width": 1280, "height": 720}


def shoot(browser: Any, html: Path, out: Path, name: str) -> dict[str, Any]:
    """Open ``html`` at 1,280 x 720, save ``report-<name>.png`` (and, when the report has
    the slide, ``report-<name>-slide.png`` scrolled to it); return what was measured."""
    page = browser.new_page(viewport=VIEWPORT)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(html.as_uri())
        page.wait_for_load_state("load")
        box = page.locator("#summary").bounding_box()
        width = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=str(out / f"report-{name}.png"))
        slide = page.locator("#fig-slide")
        if slide.count():
            slide.evaluate("e => e.scrollIntoView({block: 'start'})")
            page.screenshot(path=str(out / f"report-{name}-slide.png"))
        for table in page.locator("div.scroll").all():
            table.scroll_into_view_if_needed()
        return {"summary": box, "width": width,
                "foreign": [u for u in requests if not u.startswith(("file:", "data:"))]}
    finally:
        page.close()


@pytest.fixture(scope="module")
def browser() -> Any:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make browser` (needs root or sudo)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.mark.parametrize("kind", ["compare", "sweep", "run"])
def test_report_reads_on_one_screen_at_1280x720(browser, kind, small_compare, small_sweep,
                                                small_run, tmp_path, screenshots):
    folder = {"compare": small_compare, "sweep": small_sweep, "run": small_run}[kind]
    html, _ = write_report(load(folder), tmp_path / "report.html")
    seen = shoot(browser, html, screenshots, f"small-{kind}")
    box = seen["summary"]
    assert box is not None and box["y"] >= 0
    assert box["y"] + box["height"] <= VIEWPORT["height"], box  # the summary above the fold
    assert seen["width"] <= VIEWPORT["width"], seen  # nothing runs off the page sideways
    assert seen["foreign"] == []
    assert (screenshots / f"report-small-{kind}.png").stat().st_size > 10_000
    if kind == "compare":
        assert (screenshots / "report-small-compare-slide.png").is_file()
