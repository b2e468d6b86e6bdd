"""Issue 18 leftovers: ``sweep`` and ``workshop`` check the run size as ``run`` and
``compare`` do (``--force``, ``OMNISIM_MAX_EVENTS``), and ``compare`` and ``sweep`` fail
(exit 1, folder status "failed") when a run's self-checks fail, as ``run`` does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import break_money_check, run_in_process

MM1 = "validation/mm1"


@pytest.fixture
def broken_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every run's money conservation check reports a failure (runs in this process)."""
    break_money_check(monkeypatch)


def _sweep(tmp_path: Path, *extra: str) -> list[str]:
    return ["sweep", MM1, "--vary", "channels.call_centre.staff=1,2", "-r", "1", "--days", "1",
            "--executor", "serial", "--out", str(tmp_path), "--no-progress", *extra]


def test_sweep_refuses_a_run_past_the_limit(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMNISIM_MAX_EVENTS", "10")
    code, _, err = run_in_process(_sweep(tmp_path))
    assert code == 2 and "limit of 10 rows" in err and "--force" in err, err
    assert len(err.splitlines()) == 1, err
    assert not list(tmp_path.glob("sweep-*")), "refused before any folder is made"
    code, _, err = run_in_process(_sweep(tmp_path, "--force"))
    assert code == 0, err


def test_workshop_refuses_a_run_past_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.workshop.server as server

    served: list[str] = []
    monkeypatch.setattr(server, "serve", lambda ref, *a, **k: served.append(ref))
    monkeypatch.setenv("OMNISIM_MAX_EVENTS", "10")
    code, _, err = run_in_process(["workshop", MM1])
    assert code == 2 and "limit of 10 rows" in err and not served, err
    code, _, err = run_in_process(["workshop", MM1, "--force"])
    assert code == 0 and served, err


def test_compare_fails_when_self_checks_fail(tmp_path: Path, broken_checks: None) -> None:
    code, out, err = run_in_process(["compare", MM1, "validation/mmc", "-r", "2", "--days",
                                     "1", "--executor", "serial", "--out", str(tmp_path),
                                     "--no-progress", "--json"])
    assert code == 1 and out == "", (code, err)
    assert "self-checks failed in 4 of 4 replications" in err, err
    (manifest,) = tmp_path.glob("compare-*/*/manifest.json")
    assert json.loads(manifest.read_text())["status"] == "failed"


def test_sweep_fails_when_self_checks_fail(tmp_path: Path, broken_checks: None) -> None:
    code, out, err = run_in_process(_sweep(tmp_path, "--json"))
    assert code == 1 and out == "", (code, err)
    assert "self-checks failed" in err, err
    (manifest,) = tmp_path.glob("sweep-*/manifest.json")
    data = json.loads(manifest.read_text())
    assert data["status"] == "failed" and data["all_checks_passed"] is False
