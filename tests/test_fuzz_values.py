"""Extreme values, odd names and runaway sizes never crash, hang or pass silently (issue 18).

Items 3, 5 and 6 of issue 18, in the manner of tests/test_fuzz.py: every numeric field of a
company with buyers (``tests/scenarios/small.yaml``, resolved) set to extreme values
(1e308, 1e-320, 400-digit integers, the limits of the schema), every duration and amount
to extreme strings; the named cases of the issue (lognormal sigma 40, gamma cv 1e-200,
a batch interval of 1e-320 h, a 30 February, ``!!int abc``, a 4,400-digit integer, a
symlink loop, glob characters, a 5,000-character ``extends:``, a bad ``--scheduler``, a
400-digit amount, 1 addressable customer for 244 existing ones, the runaway sizes); the
run-size estimate of :mod:`sim.budget`; and a run whose self-checks fail, which exits 1
with its folder marked failed. An accepted value must give a run that finishes with finite
KPIs and passing checks.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_helpers import SMALL, break_money_check, no_hang, run_in_process
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from test_fuzz import assert_rejected

from sim import budget
from sim.distributions import Distribution
from sim.scenario import ScenarioError, list_shipped, load, load_raw, resolve_path, validate

BASE: dict[str, Any] = load_raw(resolve_path(SMALL))
FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])
RUNS = settings(max_examples=10, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    if isinstance(node, dict):
        return [x for k, v in node.items() for x in _leaves(v, (*path, k))]
    if isinstance(node, list):
        return [x for i, v in enumerate(node) for x in _leaves(v, (*path, i))]
    return [(path, node)]


LEAVES = _leaves(BASE)
NUMBERS = [p for p, v in LEAVES if isinstance(v, int | float) and not isinstance(v, bool)]
DURATIONS = [p for p, v in LEAVES if isinstance(v, str)
             and re.fullmatch(r"[\d.]+ ?(s|min|h|d|w)", v)]
AMOUNTS = [p for p, v in LEAVES if isinstance(v, str) and v.endswith("USD")]
EXTREME_NUMBERS = [1e308, -1e308, 1e-320, 10**400, -(10**400), 2**63, 1e300, 0, -1,
                   1e6 + 1, 1e9 + 1, 1001, 101, 4.5]
EXTREME_DURATIONS = ["1e-320 h", "1e-9 s", "1e300 h", "1000001 d", "99999999999 w", "0 s",
                     "1e308 s"]
EXTREME_AMOUNTS = ["9" * 400 + " USD", "1000000000000001 USD", "999999999999999 USD",
                   "0 USD", "0.0000000000001 USD"]


def _set(raw: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    node: Any = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return raw


def _validated(raw: dict[str, Any]) -> Any:
    """The scenario, or None where validation refuses it with a one-line ScenarioError."""
    try:
        with no_hang(10):
            sc = validate(raw, "x.yaml")
    except ScenarioError as exc:
        lines = str(exc).splitlines()
        assert lines[0].startswith("x.yaml: "), str(exc)
        assert all(line.startswith("  x.yaml: ") for line in lines[1:]), str(exc)
        return None
    return sc


def _finite_everywhere(sc: Any) -> None:
    """An accepted scenario has finite numbers, distribution means and size estimate."""
    def walk(node: Any) -> None:
        if isinstance(node, Distribution):
            assert math.isfinite(node.mean), node
        elif isinstance(node, float):
            assert math.isfinite(node), node
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list | tuple):
            for v in node:
                walk(v)
        elif isinstance(node, BaseModel):
            for name in type(node).model_fields:
                walk(getattr(node, name))

    walk(sc)
    est = budget.estimate(sc)
    assert all(math.isfinite(x) for x in (est.customers, est.events, est.memory_bytes))


# --------------------------------------------------------------------------- every field
def test_the_base_has_the_fields_to_break() -> None:
    assert len(NUMBERS) > 150 and len(DURATIONS) > 40 and len(AMOUNTS) > 20


@pytest.mark.parametrize("value", [1e308, 1e-320, 10**400], ids=["1e308", "1e-320", "10^400"])
def test_every_numeric_field_at_an_extreme(value: Any) -> None:
    """Each numeric field in turn: refused in one line, or accepted with finite numbers."""
    accepted = 0
    for path in NUMBERS:
        sc = _validated(_set(BASE, path, value))
        if sc is not None:
            _finite_everywhere(sc)
            accepted += 1
    assert accepted < len(NUMBERS)


@pytest.mark.parametrize("value", ["1e-320 h", "1e300 h", "9" * 400 + " USD"],
                         ids=["1e-320 h", "1e300 h", "400 digits USD"])
def test_every_duration_and_amount_at_an_extreme(value: str) -> None:
    paths = AMOUNTS if value.endswith("USD") else DURATIONS
    for path in paths:
        sc = _validated(_set(BASE, path, value))
        if sc is not None:
            _finite_everywhere(sc)


EXTREMES = st.one_of(
    st.tuples(st.sampled_from(NUMBERS), st.sampled_from(EXTREME_NUMBERS)),
    st.tuples(st.sampled_from(DURATIONS), st.sampled_from(EXTREME_DURATIONS)),
    st.tuples(st.sampled_from(AMOUNTS), st.sampled_from(EXTREME_AMOUNTS)))


@FUZZ
@given(change=st.lists(EXTREMES, min_size=1, max_size=3))
def test_extreme_values_anywhere_validate_cleanly(change: list[tuple[Any, Any]]) -> None:
    raw = BASE
    for path, value in change:
        raw = _set(raw, path, value)
    sc = _validated(raw)
    if sc is not None:
        _finite_everywhere(sc)


@RUNS
@given(change=EXTREMES)
def test_accepted_extreme_values_run_to_finite_kpis(change: tuple[Any, Any]) -> None:
    """A value the schema accepts gives a run that finishes, with finite KPIs and passing
    self-checks; one it refuses gives one line and exit 2."""
    path, value = change
    raw = _set(BASE, path, value)
    raw.update(horizon="3 d", warmup="1 d")
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "s.yaml"
        file.write_text(yaml.safe_dump(raw, sort_keys=False))
        with no_hang(60):
            code, out, err = run_in_process(["run", str(file), "--out", f"{tmp}/r", "--json"])
        if code == 2:
            assert_rejected(code, out, err, Path(tmp) / "r")
            return
        assert code == 0, err
        kpis = json.loads(out)  # the CLI writes with allow_nan=False
        assert isinstance(kpis, dict)


# --------------------------------------------------------------------------- named cases
MM1 = "validation/mm1"
CASES = {
    "lognormal sigma 40": ["--set", "channels.call_centre.service_time="
                           "{dist: lognormal, median: 6 min, sigma: 40}"],
    "lognormal cv 1e200": ["--set", "channels.call_centre.service_time="
                           "{dist: lognormal, mean: 6 min, cv: 1.0e+200}"],
    "gamma cv 1e-200": ["--set", "channels.call_centre.service_time="
                        "{dist: gamma, mean: 6 min, cv: 1.0e-200}"],
    "gamma cv 1e-160": ["--set", "channels.call_centre.service_time="
                        "{dist: gamma, mean: 6 min, cv: 1.0e-160}"],
    "batch 1e-320 h": ["--set", "links.order_desk={mode: batch, interval: 1e-320 h}"],
    "30 February": ["--set", "start_date=2026-02-30"],
    "!!int abc": ["--set", "seed=!!int abc"],
    "4400 digits": ["--set", "market.addressable_customers=" + "9" * 4400],
    "sample 1e-9 s": ["--set", "sample_interval=1e-9 s"],
    "erlang k 1e9": ["--set", "channels.call_centre.service_time="
                     "{dist: erlang, mean: 6 min, k: 1000000000}"],
    "1 addressable": ["--set", "market.addressable_customers=1"],
}
SMALL_CASES = {
    "400-digit amount": ["--set", "costs.pick_pack=" + "9" * 400 + " USD"],
    "poisson lines 1e6": ["--set", "segments.small_business.order_lines="
                          "{dist: poisson, mean: 1000000}"],
    "fields per line 1e9": ["--set", "links.order_desk.fields_per_line=1.0e+9"],
    "peak factor 1e9": ["--set", "calendar.peaks[0].factor=1.0e+9"],
    "price changes 1e9": ["--set", "catalog.price_changes_per_day=1.0e+9"],
    "leads 1e7": ["--set", "segments.consumer.leads_per_day=1.0e+7"],
    "leads 1e6, a year": ["--set", "segments.consumer.leads_per_day=1000000", "--days", "365"],
    "200 existing, 1 addressable": ["--set", "market.addressable_customers=1"],
}


@pytest.mark.parametrize("name", [*CASES, *SMALL_CASES])
def test_named_cases_of_the_issue(name: str, tmp_path: Path) -> None:
    ref, args = (MM1, CASES[name]) if name in CASES else (SMALL, SMALL_CASES[name])
    if name == "1 addressable":  # mm1 has no existing customers: 1 is fine there
        assert run_in_process(["scenarios", "validate", ref, *args[:0]])[0] == 0
        ref = SMALL
    with no_hang(20):
        res = run_in_process(["run", ref, "--out", str(tmp_path / "r"), *args])
    line = assert_rejected(*res, tmp_path / "r")
    assert "Traceback" not in line and len(line) < 700, line


def _files(tmp: Path) -> dict[str, list[str]]:
    (tmp / "a.yaml").symlink_to(tmp / "b.yaml")
    (tmp / "b.yaml").symlink_to(tmp / "a.yaml")
    (tmp / "long.yaml").write_text(f"extends: {'a' * 5000}\n")
    (tmp / "nul.yaml").write_text('extends: "a\\0b"\n')
    (tmp / "tag.yaml").write_text(f"extends: {MM1}\nseed: !!int abc\n")
    (tmp / "date.yaml").write_text(f"extends: {MM1}\nstart_date: 2026-02-30\n")
    (tmp / "big.yaml").write_text(f"extends: {MM1}\nseed: {'9' * 4400}\n")
    (tmp / "bin.yaml").write_text(f"extends: {MM1}\ndescription: !!binary 'abc'\n")
    return {"symlink loop": ["run", str(tmp / "a.yaml")],
            "extends 5000 characters": ["run", str(tmp / "long.yaml")],
            "extends with a NUL": ["run", str(tmp / "nul.yaml")],
            "!!int abc in a file": ["run", str(tmp / "tag.yaml")],
            "30 February in a file": ["scenarios", "validate", str(tmp / "date.yaml")],
            "4400 digits in a file": ["scenarios", "show", str(tmp / "big.yaml")],
            "!!binary": ["run", str(tmp / "bin.yaml")],
            "validate **": ["scenarios", "validate", "**"],
            "run *": ["run", "*"],
            "run ?aseline": ["run", "?aseline"],
            "show [b]aseline": ["scenarios", "show", "[b]aseline"],
            "name 5000 characters": ["run", "b" * 5000],
            "scheduler not a url": ["sweep", MM1, "--vary", "catalog.skus=1:2:1",
                                    "--executor", "dask", "--scheduler", "not a url"],
            "scheduler without port": ["compare", MM1, "validation/mmc", "--executor",
                                       "dask", "--scheduler", "tcp://host"]}


def test_files_names_and_options_of_the_issue(tmp_path: Path) -> None:
    for name, argv in _files(tmp_path).items():
        with no_hang(20):
            res = run_in_process([*argv, "--out", str(tmp_path / "r")] if argv[0] in
                                 ("run", "sweep", "compare") else argv)
        line = assert_rejected(*res, tmp_path / "r")
        assert len(line) < 1000, (name, line)
        if "*" in name or "?" in name or "[" in name:
            assert "no such file or shipped scenario" in line, (name, line)


def test_shipped_names_still_resolve() -> None:
    for name, path, _ in list_shipped():
        assert resolve_path(name) == path
    assert resolve_path("phase-4-integrated").name == "phase-4-integrated.yaml"


# --------------------------------------------------------------------------- run size
def test_every_shipped_scenario_fits_the_default_limits() -> None:
    for name, _, _ in list_shipped():
        sc = load(name).scenario
        budget.check(sc, name)  # raises past a limit
        budget.check(load(name, ["horizon=365 d"]).scenario, name)


def test_the_estimate_is_above_what_a_run_does(small_run: Path) -> None:
    manifest = json.loads((small_run / "manifest.json").read_text())
    est = budget.estimate(load(small_run / "scenario.yaml").scenario)
    assert manifest["customers"] <= est.customers <= 3 * manifest["customers"]
    assert manifest["events"] <= est.events <= 10 * manifest["events"]


def test_a_limit_refuses_in_one_line_and_force_or_the_setting_lifts_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMNISIM_MAX_EVENTS", "1000")
    argv = ["run", MM1, "--days", "2", "--out", str(tmp_path / "r")]
    line = assert_rejected(*run_in_process(argv), tmp_path / "r")
    assert "limit of 1,000 rows" in line and "--force" in line
    code, _, err = run_in_process([*argv, "--force"])
    assert code == 0, err
    monkeypatch.setenv("OMNISIM_MAX_EVENTS", "1e9")
    code, _, err = run_in_process(argv)
    assert code == 0, err
    monkeypatch.setenv("OMNISIM_MAX_EVENTS", "many")
    assert "OMNISIM_MAX_EVENTS" in assert_rejected(*run_in_process(argv), None)


def test_memory_past_half_the_machine_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    sc = load(SMALL).scenario
    monkeypatch.setattr(budget, "physical_memory", lambda: 2.0 * budget.BASE_BYTES)
    with pytest.raises(ScenarioError, match="more than half of this machine"):
        budget.check(sc, "small")
    monkeypatch.setattr(budget, "physical_memory", lambda: None)
    budget.check(sc, "small")


# --------------------------------------------------------------------------- failed checks
def test_a_failed_self_check_fails_the_run(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Exit 1, one line naming the check, the folder kept with status "failed", which
    readers refuse as not complete."""
    break_money_check(monkeypatch)
    code, out, err = run_in_process(["run", MM1, "--days", "2", "--out", str(tmp_path),
                                     "--json"])
    assert code == 1 and out == "", (code, err)
    lines = err.splitlines()
    assert len(lines) == 1 and "conservation.money" in lines[0], err
    (manifest,) = tmp_path.glob("*/seed-*/manifest.json")
    assert json.loads(manifest.read_text())["status"] == "failed"
    code, _, err = run_in_process(["plot", str(manifest.parent), "--out",
                                   str(tmp_path / "fig")])
    assert code == 2 and "not complete" in err, err
    assert os.listdir(manifest.parent)
