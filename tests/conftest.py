"""Results folders shared by the whole session: one small run, one small comparison and one
small sweep of ``tests/scenarios/small.yaml``, each made once per test process (once per
pytest-xdist worker) through ``sim.cli.main`` in this process, exactly as the command makes it.

They are for tests that only *read* results (figures, report, ``analysis.load``, export,
tidy tables). A test that writes into a folder (``omnisim plot`` puts ``figures/`` there, a
sweep re-run rewrites its manifest) works on a copy in its own ``tmp_path``
(``cli_helpers.copy_of``). Each fixture checks at the end of the session that its folder is
unchanged, so a test that writes into a shared folder fails instead of quietly changing what
the others read.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import SMALL, omnisim_ok

#: a variant of the small company that integrates what the compare and report tests show
VARIANT = (f"extends: {SMALL}\nname: small-integrated\n"
           "links: {order_desk: {error_per_field: 0.0}}\n"
           "channels: {call_centre: {staff: 6, staffing: {policy: fixed}}}\n")


def _fingerprint(folder: Path) -> str:
    """Names, sizes and contents of every file under ``folder``."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        h.update(p.relative_to(folder).as_posix().encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def _unchanged(folder: Path) -> Iterator[Path]:
    before = _fingerprint(folder)
    yield folder
    assert _fingerprint(folder) == before, (
        f"a test changed the shared results folder {folder}: work on copy_of() it")


@pytest.fixture(scope="session")
def small_variant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``small-integrated.yaml``: small.yaml without keying errors and with 6 agents."""
    path = tmp_path_factory.mktemp("variant") / "small-integrated.yaml"
    path.write_text(VARIANT, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``omnisim run small.yaml --days 4``: a complete run folder (``.../seed-1``)."""
    out = tmp_path_factory.mktemp("small-run")
    omnisim_ok(["run", SMALL, "--days", "4", "--out", str(out)])
    (folder,) = out.glob("small+*/seed-1")
    yield from _unchanged(folder)


@pytest.fixture(scope="session")
def small_compare(tmp_path_factory: pytest.TempPathFactory,
                  small_variant: Path) -> Iterator[Path]:
    """``omnisim compare small.yaml small-integrated.yaml -r 2 --days 2``: its ``seed-1``."""
    out = tmp_path_factory.mktemp("small-compare")
    omnisim_ok(["compare", SMALL, str(small_variant), "-r", "2", "--days", "2",
                "--out", str(out), "--workers", "1"])
    (folder,) = out.glob("compare-*/seed-1")
    yield from _unchanged(folder)


@pytest.fixture(scope="session")
def small_sweep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``omnisim sweep small.yaml``: 2 staffings x 2 stock-sync intervals, 2 replications of
    2 days, serial: the ``sweep-*`` folder."""
    out = tmp_path_factory.mktemp("small-sweep")
    omnisim_ok(["sweep", SMALL, "--vary", "channels.call_centre.staff=1,3",
                "--vary", "links.stock_sync.interval=1 h,24 h", "-r", "2", "--days", "2",
                "--out", str(out), "--executor", "serial", "--no-progress"])
    (folder,) = out.glob("sweep-*")
    yield from _unchanged(folder)


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where a browser test saves its screenshots: a folder of its own under pytest's tmp
    folder, or the folder ``OMNISIM_SCREENSHOTS`` names (``OMNISIM_SCREENSHOTS=results/
    screenshots`` refreshes the committed PNGs), so a test run leaves tracked files alone."""
    chosen = os.environ.get("OMNISIM_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow and system tests first (a stable sort: each module's tests stay together). With
    ``--dist worksteal`` (pyproject.toml) the longest tests then start at once and the other
    worker takes over the rest of their worker's queue, rather than one of them ending the
    run alone on one worker."""
    def rank(item: pytest.Item) -> int:
        return 0 if item.get_closest_marker("slow") else (
            1 if item.get_closest_marker("system") else 2)

    items.sort(key=rank)
