"""Writing a scenario (issue 17): every error of a file at once, did-you-mean hints for
scenario names and ``--set`` keys, and counts pluralised in ``scenarios validate``."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import run_in_process

from sim.scenario import load

MM1 = "validation/mm1"


def test_all_errors_of_a_file_at_once(tmp_path: Path) -> None:
    """A minimal file lists each missing field on its own line, exit 2."""
    f = tmp_path / "min.yaml"
    f.write_text("name: x\n")
    code, out, err = run_in_process(["scenarios", "validate", str(f)])
    lines = err.splitlines()
    assert code == 2 and out == ""
    assert lines[0] == f"omnisim: error: {f}: {len(lines) - 1} errors", err
    assert len(lines) > 5, err
    assert all(line.startswith(f"  {f}: field ") for line in lines[1:]), err
    fields = {line.split(": field ")[1].split(":")[0] for line in lines[1:]}
    assert {"horizon", "segments", "channels", "costs"} <= fields, fields


def test_one_error_keeps_the_one_line_form(tmp_path: Path) -> None:
    f = tmp_path / "one.yaml"
    f.write_text(f"extends: {MM1}\nseed: -1\n")
    code, _, err = run_in_process(["scenarios", "validate", str(f)])
    assert code == 2 and len(err.splitlines()) == 1, err
    assert err.startswith(f"omnisim: error: {f}: field seed: "), err


def test_did_you_mean_a_shipped_name() -> None:
    for command in (["run", "baselin", "--days", "1"], ["scenarios", "validate", "baselin"],
                    ["compare", "baseline", "total-commerce/phase-1-silod"]):
        code, _, err = run_in_process(command)
        assert code == 2, (command, err)
        assert "did you mean '" in err, (command, err)
    _, _, err = run_in_process(["scenarios", "validate", "baselin"])
    assert "did you mean 'baseline'?" in err, err


def test_did_you_mean_a_set_key() -> None:
    code, _, err = run_in_process(["scenarios", "show", MM1, "--set", "horizn=10d"])
    assert code == 2 and "did you mean 'horizon'?" in err, err
    code, _, err = run_in_process(["scenarios", "show", MM1, "--set", "calendr.peaks=[]"])
    assert code == 2 and "did you mean 'calendar'?" in err, err


def test_validate_pluralises(tmp_path: Path) -> None:
    code, out, _ = run_in_process(["scenarios", "validate", MM1])
    assert code == 0, out
    assert "1 segment," in out and "1 segments" not in out, out
    assert "1 channel," in out and "1 channels" not in out, out


# --------------------------------------------------------------------------- init
def test_init_writes_a_commented_file_that_validates_and_runs(tmp_path: Path) -> None:
    f = tmp_path / "shop.yaml"
    code, out, err = run_in_process(["scenarios", "init", str(f), "--segments", "consumer",
                                     "--channels", "web,app,call_centre",
                                     "--leads-per-day", "200", "--existing-customers", "50"])
    assert code == 0, err
    text = f.read_text()
    assert "extends: baseline" in text and "leads_per_day: 200" in text, text
    assert "existing_customers: 50" in text and "# new prospects per day" in text, text
    code, out, err = run_in_process(["scenarios", "validate", str(f)])
    assert code == 0 and "1 segment, 3 channels" in out, (out, err)
    code, out, err = run_in_process(["run", str(f), "--days", "3", "--set", "warmup=1 d",
                                     "--out", str(tmp_path / "res"), "--json"])
    assert code == 0, err
    import json

    assert json.loads(out)["kpis"]["revenue"] >= 0


def test_init_b2b_and_defaults_validate(tmp_path: Path) -> None:
    for name, extra in (("b2b.yaml", ["--segments", "b2b", "--days", "30"]),
                        ("all.yaml", [])):
        f = tmp_path / name
        code, _, err = run_in_process(["scenarios", "init", str(f), *extra])
        assert code == 0, err
        code, out, err = run_in_process(["scenarios", "validate", str(f)])
        assert code == 0, (name, err)
    assert "2 segments" in run_in_process(["scenarios", "validate",
                                           str(tmp_path / "b2b.yaml")])[1]


def test_init_refuses_to_overwrite_and_bad_choices(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("keep me\n")
    code, _, err = run_in_process(["scenarios", "init", str(f)])
    assert code == 2 and "--force" in err and f.read_text() == "keep me\n", err
    code, _, err = run_in_process(["scenarios", "init", str(f), "--force"])
    assert code == 0 and f.read_text() != "keep me\n", err
    g = tmp_path / "t.yaml"
    code, _, err = run_in_process(["scenarios", "init", str(g), "--segments", "consumr"])
    assert code == 2 and "did you mean 'consumer'?" in err and not g.exists(), err
    code, _, err = run_in_process(["scenarios", "init", str(g), "--segments", "enterprise",
                                   "--channels", "web"])
    assert code == 2 and "no channel left" in err and not g.exists(), err


# --------------------------------------------------------------------------- diff
def _own_leaves(node: object, path: str = "") -> set[str]:
    """The dotted paths a YAML file itself writes (leaves, nulls and distributions)."""
    if isinstance(node, dict) and "dist" not in node:
        out: set[str] = set()
        for k, v in node.items():
            out |= _own_leaves(v, f"{path}.{k}" if path else str(k))
        return out
    return {path}


def test_diff_lists_exactly_what_a_file_sets() -> None:
    """phase-1 against the baseline: data_masters.customer and the like, and nothing the
    phase-1 file does not write itself (or that a link's new mode brings)."""
    import json

    import yaml

    from sim.scenario import SCENARIO_DIR

    code, out, err = run_in_process(["scenarios", "diff", "baseline",
                                     "total-commerce/phase-1-siloed", "--json"])
    assert code == 0, err
    changes = {c["field"]: c for c in json.loads(out)["changes"]}
    assert changes["data_masters.customer"]["a"] == "3"
    assert changes["data_masters.customer"]["b"] == "4"
    assert changes["links.stock_sync.interval"]["unit"] == "h"
    own = yaml.safe_load((SCENARIO_DIR / "total-commerce/phase-1-siloed.yaml").read_text())
    own.pop("extends")
    leaves = _own_leaves(own)
    switched = {f"links.{k}" for k, v in own["links"].items() if "mode" in v}
    for field in changes:
        whole = field.split("[")[0]  # an element of a list the file writes: the list
        prefixes = {whole.rsplit(".", n)[0] for n in range(whole.count(".") + 1)}
        assert prefixes & leaves or prefixes & switched, field
    assert "catalog.skus" not in changes and "market.addressable_customers" not in changes


def test_diff_of_a_scenario_with_itself_is_empty_and_shows_a_table(tmp_path: Path) -> None:
    code, out, _ = run_in_process(["scenarios", "diff", "baseline", "baseline"])
    assert code == 0 and "changes nothing" in out
    f = tmp_path / "s.yaml"
    f.write_text("extends: baseline\nname: s\ndata_masters: {customer: 1}\n")
    code, out, err = run_in_process(["scenarios", "diff", "baseline", str(f)])
    assert code == 0 and "data_masters.customer" in out and "2 fields differ" in out, out
    code, _, err = run_in_process(["scenarios", "diff", "baselin", str(f)])
    assert code == 2 and "did you mean 'baseline'?" in err, err


# --------------------------------------------------------------------------- schema
def test_every_schema_property_has_a_description() -> None:
    """An editor with the JSON schema shows what each field is, its unit and what is allowed."""
    from sim.schema_doc import json_schema

    missing: list[str] = []
    count = 0

    def walk(node: object, where: str) -> None:
        nonlocal count
        if isinstance(node, dict):
            for name, prop in (node.get("properties") or {}).items():
                count += 1
                if not (isinstance(prop, dict) and str(prop.get("description", "")).strip()):
                    missing.append(f"{where}.{name}")
            for key, value in node.items():
                walk(value, f"{where}/{key}" if key != "properties" else where)
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    walk(json_schema(), "")
    assert count > 200, count
    assert not missing, f"{len(missing)} of {count} properties lack a description: {missing}"


def test_init_asks_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With stdin a terminal, what the flags leave open is asked (defaults: the parent's)."""
    import io
    import sys

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Tty("consumer\nweb,call_centre\n300\n\n"))
    f = tmp_path / "asked.yaml"
    code, out, err = run_in_process(["scenarios", "init", str(f)])
    assert code == 0, err
    text = f.read_text()
    assert "leads_per_day: 300" in text and "small_business: null" in text, text
    parent = load("baseline").scenario.segments["consumer"].existing_customers
    assert "  store: null" in text and f"existing_customers: {parent}" in text, text
