"""``omnisim selfcheck`` and the self-checks every ``omnisim run`` records (in-process, fast).

The statistics of the checks are tested in test_against_theory.py; here: the command's
output, its exit code when a check fails, and the manifest of an ordinary run recording
Little's law for every station and all three conservation laws.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_in_process

from sim.validation import suite

omnisim = run_in_process


def test_selfcheck_json_rows() -> None:
    code, out, err = omnisim(["selfcheck", "--case", "mm1", "-r", "3", "--workers", "1",
                              "--json"])
    assert code == 0, err
    data = json.loads(out)
    assert data["ok"] is True and data["wall_seconds"] > 0
    rows = {r["check"]: r for r in data["rows"]}
    assert set(rows) == {"call_centre sojourn", "call_centre number in system",
                         "Little's law, all stations", "customers conserved"}
    sojourn = rows["call_centre sojourn"]
    assert sojourn["theory"] == pytest.approx(15.0) and sojourn["unit"] == "min"
    assert sojourn["low"] <= sojourn["mean"] <= sojourn["high"] and sojourn["n"] == 3


def test_selfcheck_table_and_a_failing_check(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = omnisim(["selfcheck", "--case", "mm1", "-r", "2", "--workers", "1"])
    assert code == 0, err
    assert "M/M/1" in out and "call_centre sojourn, min" in out and "15.0" in out
    assert "4/4 checks all passed" in out
    real = suite.theory_value
    monkeypatch.setattr(suite, "theory_value",
                        lambda case, station, measure, overrides=(): 3 * real(
                            case, station, measure, overrides))
    code, out, err = omnisim(["selfcheck", "--case", "mm1", "-r", "2", "--workers", "1"])
    assert code == 1 and "FAILED" in out


def test_selfcheck_help_teaches() -> None:
    code, out, _ = omnisim(["selfcheck", "--help"])
    assert code == 0
    for word in ("Erlang C", "Erlang A", "Jackson", "--case", "--replications", "--json"):
        assert word in out


def test_bad_selfcheck_option_is_one_error_line() -> None:
    code, out, err = omnisim(["selfcheck", "--case", "nosuch"])
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and "nosuch" in err


def test_run_manifest_records_little_per_station_and_conservation(tmp_path: Path) -> None:
    code, out, err = omnisim(["run", "validation/jackson", "--days", "2", "--out",
                              str(tmp_path), "--json"])
    assert code == 0, err
    (manifest_file,) = tmp_path.glob("*/seed-1/manifest.json")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    checks = manifest["checks"]
    stations = checks["little"]["stations"]
    # every station the model built: 1 channel, 6 systems, 6 teams and the warehouse
    assert len(stations) == 14 and {"call_centre", "order_desk", "billing"} <= set(stations)
    assert checks["little"]["ok"] and all(s["ok"] for s in stations.values())
    assert stations["call_centre"]["L"] > 1 and stations["call_centre"]["rel_error"] < 1e-6
    cons = checks["conservation"]
    assert set(cons) == {"customers", "orders", "money", "cogs", "stock", "inventory_value",
                         "payables"} and all(c["ok"] for c in cons.values())
    assert cons["customers"]["created"] == sum(manifest["terminal_states"].values())
