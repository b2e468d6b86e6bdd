"""The terminal tables of ``compare`` and ``sweep`` at 80 columns, ``--kpi`` and
``sweep --json`` (issue 17): nothing cut, labels and units from the registry, the currency,
compact numbers."""

from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path

import pytest
from cli_helpers import SMALL, copy_of, run_in_process
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from analysis import load
from analysis.points import point_summary, points
from sim.cli.kpichoice import select
from sim.cli.tables import compare_tables, parameter_value, sweep_tables
from sim.kpis.display import compact, difference, heading, interval
from sim.kpis.registry import View, describe, shown_in

CUT = ("…", "...")
#: the sweep of the small_sweep fixture (tests/conftest.py): running it again resumes it
SWEEP = ["sweep", SMALL, "--vary", "channels.call_centre.staff=1,3",
         "--vary", "links.stock_sync.interval=1 h,24 h", "-r", "2", "--days", "2",
         "--executor", "serial", "--no-progress"]


def render(tables: list, width: int = 80) -> str:
    con = Console(width=width, record=True, file=io.StringIO())
    for t in tables:
        con.print(t)
    return con.export_text()


def assert_readable(text: str, cells: list[str], width: int = 80) -> None:
    """Nothing cut or wider than the terminal, and every cell whole on one line."""
    assert not any(c in text for c in CUT), text
    assert max(len(line) for line in text.splitlines()) <= width
    lines = text.splitlines()
    for cell in cells:
        for part in cell.split("\n"):
            assert any(part in line for line in lines), f"{part!r} is cut or missing:\n{text}"


def compare_json(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text())


def cells_of(scenarios: list[dict], keys: list[str]) -> list[str]:
    out = []
    for s in scenarios:
        for k in keys:
            v = s["kpis"][k]
            out.append(interval(describe(k), v["mean"], v["ci_low"], v["ci_high"]))
    return out


def test_compare_table_at_80_columns_has_whole_numbers_labels_and_currency(small_compare):
    data = compare_json(small_compare)
    keys = [k.key for k in shown_in(View.COMPARE)]
    text = render(compare_tables(data["scenarios"], keys, 2, "EUR", 80))
    assert_readable(text, cells_of(data["scenarios"], keys))
    assert "Revenue (EUR)" in text and "(days)" in text and "(%)" in text
    assert not any(k in text for k in keys if describe(k).label != k)  # labels, not keys


def test_a_six_phase_ladder_with_large_numbers_turns_the_table(small_compare):
    """Six long names and seven-digit revenues do not fit as columns: scenarios become rows
    and the KPIs go into as many 80-column tables as needed, every number whole."""
    base = compare_json(small_compare)["scenarios"][0]
    scen = []
    for i in range(6):
        s = copy.deepcopy(base)
        s["name"] = f"phase-{i + 1}-integrated-and-optimised"
        for k, v in s["kpis"].items():
            if describe(k).unit.name == "MONEY":
                for f in ("mean", "ci_low", "ci_high", "diff_mean", "diff_ci_low", "diff_ci_high"):
                    v[f] = None if v[f] is None else v[f] * 150.0 + 1_102_437.0 * (i + 1)
        scen.append(s)
    keys = [k.key for k in shown_in(View.COMPARE)]
    tables = compare_tables(scen, keys, 2, "USD", 80)
    text = render(tables)
    assert len(tables) > 1 and text.count("phase-3-integrated-and-optimised") == len(tables)
    assert_readable(text, [*cells_of(scen, keys), *(s["name"] for s in scen)])
    assert re.search(r"\d\.\d\dM", text) and "(USD)" in text


def test_sweep_table_at_80_columns(small_sweep):
    res = load(small_sweep)
    keys = [k.key for k in shown_in(View.SWEEP)] + ["revenue", "dso_days"]
    rows = points(res.table, res.parameters, point_summary(res.table, res.parameters, keys))
    for r in rows:  # as the CLI shows them: as written ("24 h", not 24.0)
        r["values"] = dict(s.split("=", 1) for s in r["set"])
    text = render(sweep_tables("small", res.parameters, rows, keys, res.currency, 80))
    cells = [interval(describe(k), *(r["kpis"][k][x] for x in ("mean", "ci_low", "ci_high")))
             for r in rows for k in keys]
    assert_readable(text, [*cells, "call_centre.staff", "stock_sync.interval", "24 h"])
    assert "Revenue (USD)" in text and "DSO (days)" in text
    assert "cart_abandonment_rate" not in text and "e+" not in text


@pytest.mark.parametrize(("x", "text"), [
    (0, "0"), (2.213, "2.21"), (14.737, "14.7"), (456.2, "456"), (999.4, "999"),
    (999.6, "1.00k"), (1_102_437, "1.10M"), (999_960, "1.00M"), (-16_907, "-16.9k"),
    (2.5e9, "2.50B"), (0.000012, "0.000")])
def test_compact_numbers(x, text):
    assert compact(x) == text


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-1e14, max_value=1e14, allow_nan=False))
def test_compact_is_short_and_never_an_exponent(x):
    text = compact(x)
    assert "e" not in text and len(text) <= 6 and text.lstrip("-")[:1].isdigit()


def test_intervals_and_differences_in_human_form():
    share, money = describe("cart_abandonment_rate"), describe("revenue")
    assert interval(share, 0.867, 0.443, 1.291) == "86.7% ±42.4"
    assert interval(share, 0.913, 0.85, 0.951) == "91.3% (85.0–95.1)"  # asymmetric: its ends
    assert interval(money, 1_102_437, 1_000_000, 1_204_874) == "1.10M ±102k"
    assert interval(money, None) == "n/a" and interval(money, 5.0, None, None) == "5.00"
    assert difference(share, 0.012, 0.002, 0.022) == "Δ +1.2 pts*"
    assert difference(money, -1008.0, -1500.0, 100.0) == "Δ -1.01k"
    assert heading(money, "EUR") == "Revenue (EUR)"
    assert heading(describe("dso_days"), "EUR") == "DSO (days)"
    assert heading(describe("wait_hours.call_centre"), "EUR") == "Wait hours (call centre)"


@pytest.mark.parametrize(("v", "text"), [(0.347182937461, "0.347"), (4, "4"), (4.0, "4"),
                                         (1_000_000, "1.00M"), ("1 h", "1 h")])
def test_varied_values_are_compact(v, text):
    assert parameter_value(v) == text


def test_select_expands_families_and_suggests():
    available = ["revenue", "utilisation.call_centre", "utilisation.web", "dso_days"]
    assert select(["utilisation", "revenue"], available) == [
        "utilisation.call_centre", "utilisation.web", "revenue"]
    with pytest.raises(Exception, match=r"utilisation.call_center: not in these results; "
                                        r"did you mean 'utilisation.call_centre'"):
        select(["utilisation.call_center"], available)


@pytest.mark.parametrize("command", [
    ["compare", SMALL, SMALL], ["sweep", SMALL, "--vary", "channels.call_centre.staff=1,2"]])
def test_a_mistyped_kpi_is_one_line_with_a_suggestion(command, tmp_path):
    code, out, err = run_in_process([*command, "--kpi", "revnue", "--out", str(tmp_path)])
    assert code == 2 and out == ""
    assert err == "omnisim: error: --kpi revnue: not a KPI; did you mean 'revenue'?\n"
    assert not any(tmp_path.iterdir())


def test_compare_kpi_restricts_the_json_and_the_table(tmp_path, small_variant, monkeypatch):
    args = ["compare", SMALL, str(small_variant), "-r", "2", "--days", "2", "--workers", "1",
            "--no-progress", "--out", str(tmp_path), "--kpi", "revenue", "--kpi", "utilisation"]
    code, out, err = run_in_process([*args, "--json", "--xlsx", str(tmp_path / "c.xlsx")])
    assert code == 0, err
    from openpyxl import load_workbook

    assert "Differences" in load_workbook(tmp_path / "c.xlsx").sheetnames  # every KPI saved
    for s in json.loads(out)["scenarios"]:
        assert "revenue" in s["kpis"] and len(s["kpis"]) > 2
        assert all(k == "revenue" or k.startswith("utilisation.") for k in s["kpis"])
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_in_process(args)
    assert code == 0, err
    assert "Revenue (USD)" in out and "Utilisation: call centre (%)" in out
    assert "Cart abandonment" not in out and not any(c in out for c in CUT)


def test_sweep_json_is_the_table_and_nothing_else(small_sweep, tmp_path):
    folder = copy_of(small_sweep, tmp_path)
    code, out, err = run_in_process([*SWEEP, "--out", str(folder.parent), "--json",
                                     "--kpi", "revenue", "--kpi", "call_abandonment_rate"])
    assert code == 0, err
    data = json.loads(out)  # stdout holds the JSON only
    assert data["scenario"] == "small" and data["folder"] == str(folder)
    assert data["seeds"] == [1, 2] and data["days"] == 2.0 and data["currency"] == "USD"
    assert len(data["points"]) == 4
    p = data["points"][3]
    assert p["values"] == {"channels.call_centre.staff": 3, "links.stock_sync.interval": 24.0}
    assert set(p["kpis"]) == {"revenue", "call_abandonment_rate"}
    table = load(folder).table
    rev = table.loc[table["point"] == 3, "revenue"]
    assert p["kpis"]["revenue"]["mean"] == pytest.approx(rev.mean())
    assert p["kpis"]["revenue"]["n"] == 2
