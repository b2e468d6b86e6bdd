"""Traceable runs: readable labels and folder names (sim.labels), what made a folder in its
manifest, ``--json`` with the run's identity, and labels in analysis.load and titles."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_helpers import SMALL, omnisim_ok, run_in_process

from analysis import load
from analysis.results import manifest_label
from sim.labels import (
    MAX_FOLDER,
    command_line,
    compare_label,
    folder_name,
    overrides_dict,
    run_label,
    unique_folder,
)
from sim.outfile import SAFE_NAME

HASH = re.compile(r"[0-9a-f]{8}")


def test_run_label_names_the_scenario_its_overrides_and_non_default_days() -> None:
    assert run_label("baseline") == "baseline"
    assert run_label("baseline", ["channels.call_centre.staff=9"]) == \
        "baseline, channels.call_centre.staff=9"
    assert run_label("baseline", [], 60, default_days=90) == "baseline, 60 d"
    assert run_label("baseline", [], 90, default_days=90) == "baseline"
    assert run_label("b", ["a = 1 h"], 30.5) == "b, a=1 h, 30.5 d"
    assert compare_label(["a", "b"], None, [], 30) == "a vs b, 30 d"
    assert compare_label(["a", "b"], "total-commerce") == "total-commerce"


@pytest.mark.parametrize("label", [
    "baseline, channels.call_centre.staff=9", "baseline, 60 d",
    "x, links.stock_sync.interval='1 h'", "a, b=../../etc/passwd", "a, b=$(rm -rf /);`x`",
    "a, " + ", ".join(f"segments.s{i}.leads_per_day={i}" for i in range(30)), ".., -x=-1",
])
def test_folder_names_are_safe_and_short(label: str) -> None:
    name = folder_name(label)
    assert SAFE_NAME.match(name), name
    assert len(name) <= MAX_FOLDER
    assert "/" not in name and name not in (".", "..")


def test_folder_names_are_readable() -> None:
    assert folder_name("baseline, channels.call_centre.staff=9") == \
        "baseline+channels.call_centre.staff-9"
    assert folder_name("baseline, 60 d") == "baseline+60d"


def test_a_folder_of_another_label_gets_a_suffix(tmp_path: Path) -> None:
    """'1 h' and '1h' give the same folder name: the second label must not replace runs of
    the first, but the same label again goes to the same folder."""
    first, second = "s, x=1 h", "s, x=1h"
    name = unique_folder(tmp_path, first)
    (tmp_path / name / "seed-1").mkdir(parents=True)
    (tmp_path / name / "seed-1" / "manifest.json").write_text(json.dumps({"label": first}))
    assert unique_folder(tmp_path, first) == name
    other = unique_folder(tmp_path, second)
    assert other != name and other.startswith(name) and SAFE_NAME.match(other)


def test_overrides_dict_reads_values_as_the_loader_does() -> None:
    assert overrides_dict(["a.b=9", "c='1 h'", "d=2025-01-01", "a.b=10"]) == \
        {"a.b": 10, "c": "1 h", "d": "2025-01-01"}
    assert command_line("run", ["baseline"], ["x=1 h"], days=30.0, seed=7) == \
        "omnisim run baseline --days 30 --seed 7 --set 'x=1 h'"


def test_run_records_what_made_it_and_json_carries_it(tmp_path: Path) -> None:
    argv = ["run", SMALL, "--days", "5", "--seed", "3", "--set", "warmup=1 d",
            "--set", "channels.call_centre.staff=3", "--out", str(tmp_path), "--json"]
    code, out, err = run_in_process(argv)
    assert code == 0, err
    data = json.loads(out)
    label = "small, warmup=1 d, channels.call_centre.staff=3, 5 d"
    assert data["label"] == label
    assert (data["scenario"], data["seed"], data["days"]) == ("small", 3, 5.0)
    assert data["overrides"] == {"warmup": "1 d", "channels.call_centre.staff": 3}
    assert "orders" in data["kpis"] and "orders" not in data
    folder = Path(data["folder"])
    assert folder.parent.name == "small+warmup-1d+channels.call_centre.staff-3+5d"
    man = json.loads((folder / "manifest.json").read_text())
    assert man["label"] == label and man["scenario"] == "small"
    made = man["made_by"]
    assert made["overrides"] == data["overrides"]
    assert (made["scenario"], made["days"], made["seed"], made["replications"]) == \
        ("small", 5.0, 3, 1)
    assert made["command"].startswith("omnisim run ") and "--days 5" in made["command"]
    assert isinstance(man["warnings"], list)
    res = load(folder)
    assert res.label == label and res.table["label"].tolist() == [label]
    assert not HASH.search(res.label)


def test_the_run_table_shows_the_label_and_the_currency(tmp_path: Path) -> None:
    out = omnisim_ok(["run", SMALL, "--days", "2", "--set", "warmup=1 d",
                      "--out", str(tmp_path)])
    assert "small, warmup=1 d, 2 d: KPIs" in out
    assert re.search(r"Revenue \((USD|EUR)\)", out), out


def test_old_folders_still_load_and_hide_the_hash(small_run: Path, tmp_path: Path) -> None:
    assert manifest_label({"scenario": "baseline+cde3b801"}) == "baseline (variant)"
    assert manifest_label({"scenario": "compare-x+1234abcd", "scenarios": ["a", "b"],
                           "overrides": ["k=1"], "days": 30}, "compare") == "a vs b, k=1, 30 d"
    from cli_helpers import copy_of

    old = copy_of(small_run, tmp_path)
    man = json.loads((old / "manifest.json").read_text())
    for key in ("label", "made_by", "too_short"):
        man.pop(key)
    man["scenario"] = "small+731ed486"
    (old / "manifest.json").write_text(json.dumps(man))
    res = load(old)
    assert res.label == "small (variant)" and not HASH.search(str(res.table["label"][0]))


def test_compare_json_folder_and_titles_use_the_label(tmp_path: Path, small_variant: Path
                                                      ) -> None:
    code, out, err = run_in_process(["compare", SMALL, str(small_variant), "-r", "2",
                                     "--days", "2", "--workers", "1", "--out", str(tmp_path),
                                     "--json", "--kpi", "orders"])
    assert code == 0, err
    data = json.loads(out)
    label = "small vs small-integrated, 2 d"
    assert data["label"] == label and data["scenario"] == ["small", "small-integrated"]
    assert (data["seed"], data["seeds"], data["days"], data["replications"]) == \
        (1, [1, 2], 2.0, 2)
    assert data["overrides"] == {}
    assert all("kpis" in s for s in data["scenarios"])
    folder = Path(data["folder"])
    assert folder.parent.name == "compare-small_vs_small-integrated+2d"
    man = json.loads((folder / "manifest.json").read_text())
    assert man["label"] == label and man["made_by"]["replications"] == 2
    # fewer than 3 replications: one warning line, also in the manifest
    assert any("2 replications" in w for w in man["warnings"])
    assert "omnisim: warning: intervals: 2 replications" in err
    res = load(folder)
    assert res.label == label
    assert set(res.table["label"]) == {"small, 2 d", "small-integrated, 2 d"}
