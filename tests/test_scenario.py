"""Tests of scenario files (sim.scenario): schema v1, units, ``extends:``, ``--set`` overrides
and the one-line error messages. Fast: nothing here runs a simulation."""

from __future__ import annotations

import copy
import json
import math
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

import sim.scenario.loading as scenario_module
from sim.scenario import (
    MAX_EXTENDS_DEPTH,
    SCENARIO_DIR,
    BatchLink,
    ScenarioError,
    deep_merge,
    list_shipped,
    load,
    load_raw,
    resolve_path,
    validate,
)
from sim.schema_doc import json_schema

REPO = Path(__file__).resolve().parents[1]
BASELINE = SCENARIO_DIR / "baseline.yaml"
SCHEMA_FILE = REPO / "sim" / "schemas" / "scenario-1.json"

Raw = dict[str, Any]


# --------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def base_raw() -> Raw:
    """The shipped baseline as plain YAML data (copy it before changing it)."""
    return yaml.safe_load(BASELINE.read_text(encoding="utf-8"))


def _q(path: Path | str) -> str:
    """A path as a quoted YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(str(path))


def _write_variant(folder: Path, base: Raw, mutate: Callable[[Raw], object],
                   name: str = "variant.yaml") -> Path:
    raw = copy.deepcopy(base)
    mutate(raw)
    path = folder / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def _error(ref: str | Path, overrides: Sequence[str] = ()) -> str:
    """Load ``ref`` expecting a ScenarioError; return its message, checked to be one line."""
    with pytest.raises(ScenarioError) as info:
        load(ref, overrides)
    msg = str(info.value)
    assert msg.strip(), "empty error message"
    assert "\n" not in msg and "\r" not in msg, f"message is not one line: {msg!r}"
    return msg


def _set(path: str, value: Any) -> Callable[[Raw], None]:
    def mutate(raw: Raw) -> None:
        *parents, leaf = path.split(".")
        node = raw
        for key in parents:
            node = node[key]
        node[leaf] = value

    return mutate


def _drop(path: str) -> Callable[[Raw], None]:
    def mutate(raw: Raw) -> None:
        *parents, leaf = path.split(".")
        node = raw
        for key in parents:
            node = node[key]
        del node[leaf]

    return mutate


# --------------------------------------------------------------------------- baseline, units
def test_baseline_loads_with_units_converted() -> None:
    loaded = load("baseline")
    sc = loaded.scenario
    assert loaded.path == BASELINE
    assert sc.schema_version == 1 and sc.name == "baseline" and sc.seed == 1
    assert sc.currency == "USD" and sc.start_date == date(2026, 1, 5)
    # durations -> hours
    assert sc.horizon == 2160.0  # 90 d
    assert sc.warmup == 336.0  # 14 d
    assert sc.sample_interval == 6.0
    assert sc.costs.dunning_after == 14 * 24.0
    assert sc.segments["small_business"].payment.terms == 30 * 24.0
    stock_sync = sc.links["stock_sync"]
    assert isinstance(stock_sync, BatchLink) and stock_sync.interval == pytest.approx(0.25)
    # money -> float in the scenario currency
    assert sc.channels["store"].cost_per_staff_hour == 22.0
    assert sc.costs.reship == 8.0 and sc.costs.pick_pack == 3.5
    assert sc.costs.error_fix_time.mean == pytest.approx(1.9)  # S:O9: 53 USD at 28 USD/h
    assert sc.segments["consumer"].cost_per_lead == {"ads": 0.27, "organic": 0.0}
    # distributions: analytic mean in hours (or money)
    assert sc.segments["consumer"].patience.call.mean == pytest.approx(75 / 3600)
    assert sc.channels["call_centre"].service_time.mean == pytest.approx(0.1)  # 6 min
    assert sc.catalog.replenishment_lead_time.mean == pytest.approx(7 * 24.0)
    assert sc.segments["consumer"].order_value.mean == pytest.approx(85 * math.exp(0.6**2 / 2))


def test_load_by_name_and_by_path_agree() -> None:
    assert resolve_path("baseline") == BASELINE
    assert load("baseline").raw == load_raw(BASELINE)


def test_unknown_scenario_name_lists_shipped_ones() -> None:
    msg = _error("no-such-company")
    assert "no-such-company" in msg and "baseline" in msg


def test_shipped_name_is_not_shadowed_by_a_folder_in_cwd(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``omnisim run baseline --out .`` creates ./baseline/seed-1/; the name must still mean
    the shipped scenario afterwards."""
    (tmp_path / "baseline" / "seed-1").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert resolve_path("baseline") == BASELINE
    assert load("baseline").scenario.name == "baseline"


def test_deep_merge_semantics() -> None:
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 2, "c": {"z": 3}}
    before = copy.deepcopy(base)
    merged = deep_merge(base, {"a": {"y": [9], "w": 4}, "b": None, "d": 5})
    assert merged == {"a": {"x": 1, "y": [9], "w": 4}, "c": {"z": 3}, "d": 5}
    assert base == before  # the base is not modified


# --------------------------------------------------------------------------- extends
def test_extends_by_absolute_path_changes_one_nested_field(tmp_path: Path, base_raw: Raw) -> None:
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {_q(BASELINE)}\nchannels: {{call_centre: {{staff: 9}}}}\n",
                     encoding="utf-8")
    loaded = load(child)
    cc = loaded.scenario.channels["call_centre"]
    assert cc.staff == 9
    assert cc.staffed and cc.service_time.mean == pytest.approx(0.1)  # siblings kept
    expected = copy.deepcopy(base_raw)
    expected["channels"]["call_centre"]["staff"] = 9
    assert loaded.raw == expected  # everything else kept, 'extends' consumed
    assert loaded.path == child


def test_extends_relative_path_resolves_against_child_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    company = tmp_path / "company"
    (company / "variants").mkdir(parents=True)
    (company / "parent.yaml").write_text(
        f"extends: {_q(BASELINE)}\nname: parent\nteams: {{order_desk: {{staff: 7}}}}\n",
        encoding="utf-8")
    (company / "variants" / "child.yaml").write_text(
        "extends: ../parent.yaml\nname: child\nchannels: {store: {staff: 2}}\n",
        encoding="utf-8")
    (company / "sibling.yaml").write_text("extends: parent.yaml\nname: sibling\n",
                                          encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    child = load(company / "variants" / "child.yaml").scenario
    assert child.name == "child"
    assert child.teams["order_desk"].staff == 7 and child.channels["store"].staff == 2
    sibling = load(company / "sibling.yaml").scenario
    assert sibling.name == "sibling" and sibling.teams["order_desk"].staff == 7


def test_extends_relative_path_never_falls_back_to_cwd(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative ``extends:`` that is missing next to the child must be an error, not a
    same-named file that happens to be in the current directory."""
    company = tmp_path / "company"
    company.mkdir()
    (company / "child.yaml").write_text("extends: parent.yaml\nname: child\n",
                                        encoding="utf-8")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "parent.yaml").write_text(f"extends: {_q(BASELINE)}\nname: decoy\n",
                                     encoding="utf-8")
    monkeypatch.chdir(cwd)
    msg = _error(company / "child.yaml")
    assert "parent.yaml" in msg


def test_extends_missing_parent_names_the_child_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    company = tmp_path / "company"
    company.mkdir()
    child = company / "child.yaml"
    child.write_text("extends: nothere.yaml\nname: child\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    msg = _error(child)
    assert "nothere.yaml" in msg
    assert str(child) in msg and "extends" in msg, msg


def test_extends_a_nested_shipped_name(tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Shipped scenarios may live in sub-folders (``total-commerce/phase-4-...``); such a name
    works on the command line and so must work in ``extends:`` too."""
    shipped = tmp_path / "shipped"
    (shipped / "group").mkdir(parents=True)
    (shipped / "group" / "phase-1.yaml").write_text(
        f"extends: {_q(BASELINE)}\nname: phase-1\nseed: 11\n", encoding="utf-8")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "child.yaml").write_text("extends: group/phase-1\nname: child\n", encoding="utf-8")
    monkeypatch.setattr(scenario_module, "SCENARIO_DIR", shipped)
    assert resolve_path("group/phase-1") == shipped / "group" / "phase-1.yaml"
    sc = load(mine / "child.yaml").scenario
    assert sc.name == "child" and sc.seed == 11


def test_extends_null_removes_optional_key(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {_q(BASELINE)}\n"
                     "crm: {promotions: null}\npartners: {installers: null}\n",
                     encoding="utf-8")
    loaded = load(child)
    assert "promotions" not in loaded.raw["crm"] and "installers" not in loaded.raw["partners"]
    assert loaded.scenario.crm.promotions is None
    assert loaded.scenario.partners.installers is None
    assert loaded.scenario.crm.loyalty is not None  # siblings kept
    assert loaded.scenario.partners.carrier.on_time == 0.94


def test_extends_null_on_required_key_is_reported(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {_q(BASELINE)}\nmarket: null\n", encoding="utf-8")
    msg = _error(child)
    assert str(child) in msg and "market" in msg and "missing" in msg


def test_extends_cycle_is_named(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nname: b\n", encoding="utf-8")
    msg = _error(tmp_path / "a.yaml")
    assert "cycle" in msg and "a.yaml -> b.yaml -> a.yaml" in msg
    assert str(tmp_path / "a.yaml") in msg


def test_extends_self_is_a_cycle(tmp_path: Path) -> None:
    (tmp_path / "me.yaml").write_text("extends: me.yaml\n", encoding="utf-8")
    assert "cycle" in _error(tmp_path / "me.yaml")


def _chain(folder: Path, files: int) -> Path:
    """``files`` files in a chain: f0 -> f1 -> ... -> the shipped baseline (counted)."""
    folder.mkdir()
    for i in range(files - 1):
        target = f"f{i + 1}.yaml" if i < files - 2 else str(BASELINE)
        (folder / f"f{i}.yaml").write_text(f"extends: {_q(target)}\n", encoding="utf-8")
    return folder / "f0.yaml"


def test_extends_chain_up_to_the_limit_loads(tmp_path: Path) -> None:
    assert MAX_EXTENDS_DEPTH == 16
    sc = load(_chain(tmp_path / "ok", MAX_EXTENDS_DEPTH)).scenario
    assert sc.name == "baseline"


@pytest.mark.parametrize("files", [MAX_EXTENDS_DEPTH + 1, 40])
def test_extends_chain_too_deep(tmp_path: Path, files: int) -> None:
    start = _chain(tmp_path / "deep", files)
    msg = _error(start)
    assert str(start) in msg and "extends" in msg and str(MAX_EXTENDS_DEPTH) in msg


def test_extends_must_be_a_string(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text("extends: [a.yaml, b.yaml]\n", encoding="utf-8")
    msg = _error(child)
    assert str(child) in msg and "extends" in msg


# --------------------------------------------------------------------------- --set overrides
def test_set_changes_a_nested_field(base_raw: Raw) -> None:
    loaded = load(BASELINE, ["channels.call_centre.staff=9", "seed=7"])
    assert loaded.scenario.channels["call_centre"].staff == 9 and loaded.scenario.seed == 7
    expected = copy.deepcopy(base_raw)
    expected["channels"]["call_centre"]["staff"] = 9
    expected["seed"] = 7
    assert loaded.raw == expected  # nothing else changed


def test_set_is_type_checked() -> None:
    msg = _error("baseline", ["channels.call_centre.staff=abc"])
    assert "channels.call_centre.staff" in msg and "integer" in msg
    assert str(BASELINE) in msg


def test_set_unknown_path_names_missing_part_and_lists_what_exists() -> None:
    msg = _error("baseline", ["channels.telepathy.staff=3"])
    assert "channels.telepathy" in msg
    assert "call_centre" in msg and "web" in msg  # what exists there


@pytest.mark.parametrize(("assignment", "missing", "existing"), [
    ("channels.call_centre.staf=3", "channels.call_centre.staf", "staff"),
    ("horizn=5 d", "horizn", "horizon"),
    ("links.stock_sync.intervall=1 h", "links.stock_sync.intervall", "interval"),
])
def test_set_unknown_leaf_lists_allowed_fields(assignment: str, missing: str,
                                               existing: str) -> None:
    msg = _error("baseline", [assignment])
    assert missing in msg and "allowed" in msg and existing in msg, msg


def test_set_durations_with_units() -> None:
    sc = load("baseline", ["links.stock_sync.interval=1 h", "links.lead_routing.interval=90 min",
                           "links.oms_to_erp.interval=2d", "warmup=36 h"]).scenario
    assert sc.links["stock_sync"].interval == pytest.approx(1.0)
    assert sc.links["lead_routing"].interval == pytest.approx(1.5)
    assert sc.links["oms_to_erp"].interval == pytest.approx(48.0)
    assert sc.warmup == pytest.approx(36.0)


@pytest.mark.parametrize("value", ["3", "'3'"])
def test_set_bare_number_for_a_duration_is_rejected(value: str) -> None:
    msg = _error("baseline", [f"links.stock_sync.interval={value}"])
    assert "links.stock_sync.interval" in msg and "unit" in msg


def test_set_without_equals_sign() -> None:
    msg = _error("baseline", ["channels.call_centre.staff"])
    assert "channels.call_centre.staff" in msg and "=" in msg


def test_set_value_is_never_evaluated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "pwned"
    msg = _error("baseline", [f"name=__import__('os').system('touch {marker}')"])
    assert "name" in msg and "pattern" in msg
    msg = _error("baseline", [f'name=!!python/object/apply:os.system ["touch {marker}"]'])
    assert "name" in msg
    sc = load("baseline", ["description=__import__('os')"]).scenario
    assert sc.description == "__import__('os')"
    assert not marker.exists()
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- field errors
FIELD_ERRORS: list[tuple[str, Callable[[Raw], object], tuple[str, ...]]] = [
    ("unknown-top-level-key", _set("colour", "blue"),
     ("colour", "unknown", "allowed", "horizon", "segments", "links")),
    ("unknown-nested-key", _set("catalog.skuz", 3),
     ("catalog.skuz", "unknown", "allowed", "skus", "gross_margin")),
    ("unknown-deep-key", _set("segments.consumer.cart.zzz", 0.1),
     ("segments.consumer.cart.zzz", "allowed", "add_to_cart")),
    ("unknown-key-in-link", _set("links.stock_sync.intervall", "1 h"),
     ("links.stock_sync.intervall", "allowed", "interval", "offset")),
    ("wrong-type-int", _set("channels.call_centre.staff", "lots"),
     ("channels.call_centre.staff", "integer")),
    ("wrong-type-block", _set("market", 5), ("market", "dictionary")),
    ("wrong-type-bool", _set("checkout.costs_shown_upfront", "perhaps"),
     ("checkout.costs_shown_upfront", "boolean")),
    ("staffed-channel-zero-staff", _set("channels.store.staff", 0),
     ("channels.store", "staff", ">= 1")),
    ("negative-channel-staff", _set("channels.call_centre.staff", -3),
     ("channels.call_centre.staff", "greater than or equal to 0")),
    ("team-zero-staff", _set("teams.order_desk.staff", 0),
     ("teams.order_desk.staff", "greater than or equal to 1")),
    ("negative-pickers", _set("warehouse.pickers", -2),
     ("warehouse.pickers", "greater than or equal to 1")),
    ("zero-capacity", _set("systems.erp.capacity", 0),
     ("systems.erp.capacity", "greater than or equal to 1")),
    ("probability-above-one", _set("segments.consumer.cart.add_to_cart", 1.5),
     ("segments.consumer.cart.add_to_cart", "less than or equal to 1")),
    ("probability-below-zero", _set("partners.carrier.on_time", -0.1),
     ("partners.carrier.on_time", "greater than or equal to 0")),
    ("unknown-distribution", _set("channels.web.service_time.dist", "weibull"),
     ("channels.web.service_time", "weibull", "exponential", "gamma", "lognormal",
      "triangular")),
    ("missing-required-nested", _drop("market.addressable_customers"),
     ("market.addressable_customers", "missing")),
    ("missing-required-top", _drop("costs"), ("costs", "missing")),
    ("link-mode-teleport", _set("links.stock_sync.mode", "teleport"),
     ("links.stock_sync", "manual", "batch", "realtime")),
    ("link-team-not-a-team", _set("links.order_desk.team", "pirates"),
     ("links.order_desk.team", "order_desk", "customer_service")),
    ("manual-link-undefined-team", _drop("teams.sales_ops"),
     ("links.installer_booking.team", "sales_ops", "not defined", "order_desk")),
    ("segment-channel-undefined", _drop("channels.marketplace"),
     ("segments.consumer.channels", "marketplace", "not defined", "web")),
    ("warmup-equals-horizon", _set("warmup", "90 d"), ("warmup", "horizon")),
    ("warmup-beyond-horizon", _set("warmup", "100 d"), ("warmup", "horizon")),
    ("bare-number-duration", _set("horizon", 90), ("horizon", "unit")),
    ("bare-number-money", _set("costs.reship", 8), ("costs.reship", "USD")),
    ("staffing-unknown-policy", _set("teams.order_desk.staffing", {"policy": "vibes"}),
     ("teams.order_desk.staffing", "fixed", "occupancy", "service_level")),
    ("staffing-max-below-min",
     _set("teams.order_desk.staffing", {"policy": "occupancy", "min": 3, "max": 2}),
     ("teams.order_desk.staffing", "max", "min")),
    ("staffing-occupancy-above-one",
     _set("warehouse.staffing", {"policy": "occupancy", "target": 1.2}),
     ("warehouse.staffing", "target")),
    ("staffing-unstaffed-channel", _set("channels.web.staffing", {"policy": "occupancy"}),
     ("channels.web", "staffed")),
]


def _validation_error(raw: Raw, source: str) -> str:
    with pytest.raises(ScenarioError) as info:
        validate(raw, source)
    msg = str(info.value)
    assert "\n" not in msg and "\r" not in msg, f"message is not one line: {msg!r}"
    return msg


@pytest.mark.parametrize(("mutate", "needles"), [c[1:] for c in FIELD_ERRORS],
                         ids=[c[0] for c in FIELD_ERRORS])
def test_field_error_is_one_line_naming_file_field_and_fix(
        base_raw: Raw, mutate: Callable[[Raw], object], needles: tuple[str, ...]) -> None:
    # validate() is what load() runs after reading the file, with the file path as source;
    # calling it directly keeps this table fast (test_field_error_from_a_file covers load()).
    source = "/data/company/variant.yaml"
    raw = copy.deepcopy(base_raw)
    mutate(raw)
    msg = _validation_error(raw, source)
    assert msg.startswith(f"{source}: "), msg
    missing = [n for n in needles if n not in msg]
    assert not missing, f"{missing} not in {msg!r}"


@pytest.mark.parametrize("case", ["unknown-top-level-key", "wrong-type-int",
                                  "unknown-distribution"])
def test_field_error_from_a_file(tmp_path: Path, base_raw: Raw, case: str) -> None:
    _, mutate, needles = next(c for c in FIELD_ERRORS if c[0] == case)
    path = _write_variant(tmp_path, base_raw, mutate)
    msg = _error(path)
    assert msg.startswith(f"{path}: "), msg
    assert all(n in msg for n in needles), msg
    raw = copy.deepcopy(base_raw)
    mutate(raw)
    assert msg == _validation_error(raw, str(path))


def _segment_named(name: str, field: str, value: Any) -> Callable[[Raw], None]:
    def mutate(raw: Raw) -> None:
        raw["segments"][name] = raw["segments"].pop("consumer")
        _set(f"segments.{name}.{field}", value)(raw)

    return mutate


@pytest.mark.parametrize(("mutate", "needles"), [
    (_segment_named("batch", "cart.zzz", 1),
     ("segments.batch.cart.zzz", "allowed", "add_to_cart")),
    (_segment_named("manual", "cart.add_to_cart", 2), ("segments.manual.cart.add_to_cart",)),
    (_set("partners.suppliers.realtime", {"lead_time": "3 d", "availability": 3}),
     ("partners.suppliers.realtime.availability",)),
], ids=["segment-batch", "segment-manual", "supplier-realtime"])
def test_free_names_equal_to_a_link_mode_stay_in_the_field_path(
        base_raw: Raw, mutate: Callable[[Raw], None], needles: tuple[str, ...]) -> None:
    """Segment and supplier names are free; one that happens to be a link mode (the tag
    pydantic puts into a link error's location) must not vanish from the message."""
    raw = copy.deepcopy(base_raw)
    mutate(raw)
    msg = _validation_error(raw, "company.yaml")
    missing = [n for n in needles if n not in msg]
    assert not missing, f"{missing} not in {msg!r}"


def test_validate_names_the_given_source(base_raw: Raw) -> None:
    raw = copy.deepcopy(base_raw)
    raw["catalog"]["skus"] = 0
    with pytest.raises(ScenarioError, match=r"^my-source: field catalog\.skus: "):
        validate(raw, "my-source")
    assert validate(copy.deepcopy(base_raw)).name == "baseline"


# --------------------------------------------------------------------------- file errors
def _alias_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ['l0: &l0 "lol"']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


FILE_ERRORS: list[tuple[str, str | bytes, tuple[str, ...]]] = [
    ("malformed-yaml", "schema_version: 1\nname: [x, y\nseed: 3\n",
     ("malformed YAML", "line 3")),
    ("bad-indentation", "schema_version: 1\nname: x\n  seed: 3\n", ("malformed YAML", "line 3")),
    ("not-utf8", b"schema_version: 1\nname: caf\xe9\n", ("UTF-8",)),
    ("empty", "", ("empty",)),
    ("only-comments", "# nothing here\n\n", ("empty",)),
    ("top-level-list", "- schema_version: 1\n- name: x\n", ("mapping", "list")),
    ("top-level-scalar", "just a string\n", ("mapping",)),
    ("python-tag", '!!python/object/apply:os.system ["echo hi"]\n', ("malformed", "python")),
    ("python-tag-nested", 'schema_version: 1\nname: !!python/object/apply:os.system ["echo hi"]\n',
     ("malformed", "line 2")),
    ("python-name-tag", "schema_version: 1\nname: !!python/name:os.system\n", ("malformed",)),
]


@pytest.mark.parametrize(("content", "needles"), [c[1:] for c in FILE_ERRORS],
                         ids=[c[0] for c in FILE_ERRORS])
def test_file_error_is_one_line_naming_the_file(tmp_path: Path, content: str | bytes,
                                                needles: tuple[str, ...]) -> None:
    path = tmp_path / "bad.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    msg = _error(path)
    assert msg.startswith(f"{path}: "), msg
    missing = [n for n in needles if n not in msg]
    assert not missing, f"{missing} not in {msg!r}"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    msg = _error(path)
    assert str(path) in msg and "no such" in msg


def test_directory_is_not_a_scenario(tmp_path: Path) -> None:
    (tmp_path / "dir.yaml").mkdir()
    assert "not a file" in _error(tmp_path / "dir.yaml")


def test_oversized_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("description: " + "x" * 2_100_000 + "\n", encoding="utf-8")
    assert "larger" in _error(path)


def test_alias_bomb_is_rejected_quickly(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(_alias_bomb(), encoding="utf-8")
    t0 = time.perf_counter()
    msg = _error(path)
    assert time.perf_counter() - t0 < 2.0
    assert str(path) in msg and "alias" in msg.lower()


def test_alias_bomb_inside_a_valid_scenario_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BASELINE.read_text(encoding="utf-8") + "\n" + _alias_bomb(), encoding="utf-8")
    t0 = time.perf_counter()
    msg = _error(path)
    assert time.perf_counter() - t0 < 2.0
    assert "alias" in msg.lower()


def test_python_tags_are_never_executed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "pwned"
    for i, text in enumerate([
        f'!!python/object/apply:os.system ["touch {marker}"]\n',
        f'schema_version: 1\nname: !!python/object/apply:os.system ["touch {marker}"]\n',
        f'extends: {_q(BASELINE)}\ndescription: !!python/object/apply:os.system ["touch {marker}"]'
        "\n",
        f"!!python/object/new:subprocess.Popen [[touch, {marker}]]\n",
    ]):
        path = tmp_path / f"tag{i}.yaml"
        path.write_text(text, encoding="utf-8")
        msg = _error(path)
        assert "malformed" in msg or "unsafe" in msg, msg
    assert not marker.exists()


# --------------------------------------------------------------------------- shipped files
def test_shipped_json_schema_is_current() -> None:
    """``sim/schemas/scenario-1.json`` must be regenerated whenever the models change
    (``omnisim scenarios schema > sim/schemas/scenario-1.json``)."""
    with open(SCHEMA_FILE, encoding="utf-8") as handle:
        shipped = json.load(handle)
    assert shipped == json.loads(json.dumps(json_schema()))


def test_list_shipped_includes_baseline() -> None:
    shipped = {name: (path, desc) for name, path, desc in list_shipped()}
    assert "baseline" in shipped
    assert shipped["baseline"][0] == BASELINE and shipped["baseline"][1]
    all_files = sorted(SCENARIO_DIR.rglob("*.yaml"))
    assert sorted(path for path, _ in shipped.values()) == all_files


@pytest.mark.parametrize("name", [n for n, _, _ in list_shipped()])
def test_every_shipped_scenario_validates(name: str) -> None:
    loaded = load(name)
    assert loaded.path is not None and loaded.path.is_relative_to(SCENARIO_DIR)
    assert loaded.scenario.schema_version == 1
    assert loaded.scenario.warmup < loaded.scenario.horizon


def test_extends_a_name_finds_the_file_beside_the_extending_one(tmp_path, monkeypatch):
    """``extends: base`` (no extension) is base.yaml in the extending file's folder, never a
    file of the working directory; a name found in neither is a shipped scenario."""
    company = tmp_path / "company"
    company.mkdir()
    (company / "base.yaml").write_text("extends: baseline\nname: from-the-folder\n",
                                       encoding="utf-8")
    (company / "child.yaml").write_text("extends: base\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "base").write_text("not: [a scenario\n", encoding="utf-8")
    (elsewhere / "base.yaml").write_text("extends: baseline\nname: from-the-cwd\n",
                                         encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    assert load(company / "child.yaml").scenario.name == "from-the-folder"
    (company / "base.yaml").unlink()
    (company / "child.yaml").write_text("extends: base\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="child.yaml: field extends: base: no such file"):
        load(company / "child.yaml")


def test_a_huge_scenario_file_is_refused_before_it_is_read(tmp_path):
    """A 1 GB (sparse) file: refused by its size, with at most 2 MB of it read (reading it
    whole first took 1.1 GB)."""
    import resource

    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as fh:
        fh.truncate(2**30)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ScenarioError, match="larger than"):
        load(huge)
    grew_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grew_kb < 200_000, f"{grew_kb} kB"
