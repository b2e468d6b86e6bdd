"""omnisim compare: common random numbers, executors, JSON output and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import SMALL, run_in_process, run_subprocess

from analysis.stats import summarise
from sim.replicate import flatten, plan, run_jobs, tidy_rows


@pytest.fixture(scope="module")
def small_twin(tmp_path_factory) -> str:
    """The small test company under another name: an identical company."""
    path = tmp_path_factory.mktemp("small-twin") / "small-twin.yaml"
    path.write_text(f"extends: {SMALL}\nname: small-twin\n", encoding="utf-8")
    return str(path)


def test_identical_scenarios_have_exactly_zero_paired_difference(small_twin):
    jobs = plan([SMALL, small_twin], replications=2, base_seed=3, days=5)
    summary = summarise(pd.DataFrame(tidy_rows(run_jobs(jobs, workers=1))))
    other = summary[summary["scenario"] == "small-twin"].dropna(subset=["mean"])
    assert len(other) > 50
    assert (other["diff_mean"] == 0).all()
    paired = other[other["n"] >= 2]  # an interval needs two pairs (some KPIs are undefined)
    assert len(paired) > 50
    assert (paired["diff_ci_low"] == 0).all() and (paired["diff_ci_high"] == 0).all()


@pytest.mark.system
def test_serial_and_process_pool_give_identical_tables(small_twin):
    jobs = plan([SMALL, small_twin], replications=2, base_seed=5, days=3)
    serial = pd.DataFrame(tidy_rows(run_jobs(jobs, workers=1)))
    parallel = pd.DataFrame(tidy_rows(run_jobs(jobs, workers=2)))
    pd.testing.assert_frame_equal(serial, parallel)


def _compare_small(out: Path, twin: str, *extra: str) -> Path:
    run_subprocess("compare", SMALL, twin, "-r", "2", "--days", "2", "--out", str(out),
                   "--no-progress", *extra, timeout=400)
    (folder,) = out.glob("compare-*/seed-1")
    return folder


@pytest.fixture(scope="module")
def serial_compare(tmp_path_factory, small_twin) -> Path:
    return _compare_small(tmp_path_factory.mktemp("serial"), small_twin, "--executor", "serial")


@pytest.mark.system
@pytest.mark.parametrize("executor", ["process", "dask"])
def test_compare_executors_give_identical_results(serial_compare, small_twin, tmp_path,
                                                  executor):
    folder = _compare_small(tmp_path, small_twin, "--executor", executor, "--workers", "2")
    for name in ("summary.json", "replications.csv"):
        assert (folder / name).read_bytes() == (serial_compare / name).read_bytes(), name


def test_flatten_nested_kpis():
    flat = flatten({"a": 1, "b": {"c": 2.5, "d": None}, "e": "text"})
    assert flat["a"] == 1.0 and flat["b.c"] == 2.5 and flat["b.d"] != flat["b.d"]
    assert "e" not in flat


def _omnisim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def test_compare_json_is_one_object_with_intervals_and_bottleneck(tmp_path, small_twin):
    code, out, err = run_in_process(["compare", SMALL, small_twin, "-r", "2", "--days", "3",
                                     "--workers", "1", "--out", str(tmp_path / "res"),
                                     "--json"])
    assert code == 0, err
    data = json.loads(out)
    assert [s["name"] for s in data["scenarios"]] == ["small", "small-twin"]
    for s in data["scenarios"]:
        assert isinstance(s["bottleneck"], str) and s["bottleneck"]
        k = s["kpis"]["cart_abandonment_rate"]
        assert set(k) == {"mean", "ci_low", "ci_high", "diff_mean", "diff_ci_low",
                          "diff_ci_high"}
        assert k["ci_low"] <= k["mean"] <= k["ci_high"]
        for key in ("ebit", "ebit_margin", "operating_cash_flow"):  # profit and cash
            assert s["kpis"][key]["mean"] is not None, key
    assert data["scenarios"][1]["kpis"]["orders"]["diff_mean"] == 0
    folder = next((tmp_path / "res").glob("compare-*/seed-1"))
    tidy = pd.read_parquet(folder / "replications.parquet")
    assert set(tidy.columns) == {"scenario", "scenario_index", "replication", "seed", "kpi",
                                 "value"}
    assert len(tidy) == 2 * 2 * tidy["kpi"].nunique()
    assert (folder / "ladder.png").stat().st_size > 10_000
    assert json.loads((folder / "manifest.json").read_text())["status"] == "complete"


BAD_COMPARES = [
    ["compare", "baseline"],
    ["compare", "--ladder", "nope"],
    ["compare", "baseline", "--ladder", "total-commerce"],
    ["compare", "baseline", "baseline"],
    ["compare", "baseline", "missing.yaml"],
    ["compare", "baseline", "baseline", "-r", "1"],
    ["compare", "--ladder", "total-commerce", "--set", "channels.nope=1"],
    ["compare", "baseline", "baseline", "--scheduler", "tcp://x:1"],
    ["compare", "--ladder", "total-commerce", "--executor", "threads"],
]


def _rejected(code: int, stderr: str, out: Path) -> None:
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("omnisim: error:"), stderr
    assert "Traceback" not in stderr
    assert not out.exists() or not any(out.rglob("manifest.json"))


@pytest.mark.parametrize("args", BAD_COMPARES)
def test_compare_bad_input_is_one_line_exit_2(tmp_path, args):
    """Through ``sim.cli.main`` in this process, as the command runs it."""
    code, _, err = run_in_process([*args, "--out", str(tmp_path / "res")])
    _rejected(code, err, tmp_path / "res")


@pytest.mark.parametrize("args", [BAD_COMPARES[3], BAD_COMPARES[7]])
def test_compare_bad_input_as_a_real_process(tmp_path, args):
    """The real entry point: exit 2 and one line, no traceback (names that clash; a
    scheduler without Dask)."""
    res = _omnisim(*args, "--out", str(tmp_path / "res"), cwd=tmp_path)
    _rejected(res.returncode, res.stderr, tmp_path / "res")
