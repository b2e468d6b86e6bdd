"""``--xlsx FILE`` (issue 17): the workbook opens with openpyxl and has its sheets, readable
headers from the registry, number formats (percent, the currency) and a frozen header row;
a bad FILE is refused before any work; a failed write leaves nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import SMALL, copy_of, run_in_process
from openpyxl import load_workbook
from test_tables import SWEEP

from analysis import load
from analysis.workbook import write_workbook
from sim.kpis.registry import describe, lookup


def headers(ws) -> list[str]:
    return [c.value for c in ws[1]]


def rows_by_label(ws) -> dict[str, list]:
    return {r[0].value: r for r in ws.iter_rows(min_row=2)}


def assert_no_raw_keys(names: list[str]) -> None:
    """No heading is a KPI key where the registry has a label for it."""
    raw = [h for h in names if isinstance(h, str) and lookup(h) is not None
           and describe(h).label != h]
    assert not raw, raw


def test_compare_workbook(small_compare, tmp_path):
    path = tmp_path / "compare.xlsx"
    sheets = write_workbook(load(small_compare), path)
    wb = load_workbook(path)
    assert wb.sheetnames == sheets == ["KPIs", "Differences", "Replications", "Definitions",
                                       "Run"]
    kpis = wb["KPIs"]
    assert headers(kpis)[:5] == ["KPI", "Unit", "small mean", "small 95% low", "small 95% high"]
    assert kpis.freeze_panes == "C2" and wb["Replications"].freeze_panes == "D2"
    by = rows_by_label(kpis)
    rev, cart = by["Revenue (USD)"], by["Cart abandonment (%)"]
    assert rev[1].value == "USD" and '"USD"' in rev[2].number_format
    assert cart[2].number_format.endswith("%") and 0 <= cart[2].value <= 1
    assert rev[-1].value == "revenue"  # the key beside the label, to match the CSV files
    summary = load(small_compare).summary
    want = summary[(summary.scenario == "small") & (summary.kpi == "revenue")]["mean"].item()
    assert rev[2].value == pytest.approx(want)
    diff = rows_by_label(wb["Differences"])["Revenue (USD)"]
    assert headers(wb["Differences"])[2] == "small-integrated − small mean"
    assert diff[5].value in ("yes", "no")
    rep = headers(wb["Replications"])
    assert rep[:3] == ["Scenario", "Replication", "Seed"] and "Revenue (USD)" in rep
    assert_no_raw_keys(rep)
    assert wb["Replications"].max_row == 1 + 2 * 2  # two scenarios x two replications
    run = {r[0].value: r[1].value for r in wb["Run"].iter_rows(min_row=2)}
    assert run["kind"] == "compare" and run["replications"] == 2
    defs = rows_by_label(wb["Definitions"])
    assert defs["revenue"][1].value == "Revenue" and defs["revenue"][5].value


def test_sweep_workbook_through_the_command(small_sweep, tmp_path):
    folder = copy_of(small_sweep, tmp_path)
    path = tmp_path / "sweep.xlsx"
    code, out, err = run_in_process([*SWEEP, "--out", str(folder.parent), "--xlsx", str(path)])
    assert code == 0, err
    wb = load_workbook(path)
    assert wb.sheetnames == ["Points", "Replications", "Definitions", "Run"]
    pts = headers(wb["Points"])
    assert pts[:3] == ["Point", "channels.call_centre.staff", "links.stock_sync.interval"]
    assert "Revenue (USD) mean" in pts and "Cart abandonment (%) 95% high" in pts
    assert wb["Points"].max_row == 1 + 4 and wb["Points"].freeze_panes == "D2"
    rep = headers(wb["Replications"])
    assert "Settings (--set)" in rep and "Revenue (USD)" in rep
    assert_no_raw_keys(rep)
    assert wb["Replications"].max_row == 1 + 4 * 2


def test_run_workbook(small_run, tmp_path):
    path = tmp_path / "run.xlsx"
    write_workbook(load(small_run), path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["KPIs", "Definitions", "Run"]
    by = rows_by_label(wb["KPIs"])
    assert by["Revenue (USD)"][2].value == pytest.approx(load(small_run).kpis["revenue"])
    assert wb["KPIs"].freeze_panes == "B2"


@pytest.mark.parametrize(("name", "words"), [
    ("out.csv", "the file name must end in .xlsx"),
    ("missing/out.xlsx", "does not exist"),
    ("link.xlsx", "is a symbolic link"),
    ("folder.xlsx", "is a folder")])
def test_a_bad_xlsx_is_refused_before_any_work(name, words, tmp_path):
    (tmp_path / "link.xlsx").symlink_to(tmp_path / "elsewhere.xlsx")
    (tmp_path / "folder.xlsx").mkdir()
    out = tmp_path / "results"
    code, stdout, err = run_in_process(["run", SMALL, "--days", "1", "--out", str(out),
                                        "--xlsx", str(tmp_path / name)])
    assert code == 2 and stdout == "" and len(err.splitlines()) == 1 and words in err
    assert not out.exists() and not (tmp_path / "elsewhere.xlsx").exists()


def test_a_failed_write_leaves_no_workbook(small_run, tmp_path, monkeypatch):
    from openpyxl import Workbook

    def broken(self, filename):
        Path(filename).write_bytes(b"PK half a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(Workbook, "save", broken)
    with pytest.raises(KeyboardInterrupt):
        write_workbook(load(small_run), tmp_path / "run.xlsx")
    assert list(tmp_path.iterdir()) == []
