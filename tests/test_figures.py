"""Every kind of ``omnisim plot`` renders from real results folders; ``omnisim report`` is
one offline HTML file; the analysts' loader reads every kind of folder."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import ROOT, SMALL, copy_of, omnisim_ok, run_in_process, run_subprocess

from analysis import ResultsError, load, load_runs
from analysis.figures import FITS, KINDS, NotApplicable, cycle_times, draw

omnisim = run_subprocess


@pytest.fixture(scope="module")
def folders(small_run: Path, small_compare: Path, small_sweep: Path) -> dict[str, Path]:
    """The session's shared folders (tests/conftest.py): read them, copy them to change them."""
    return {"run": small_run, "compare": small_compare, "sweep": small_sweep}


def test_load_reads_every_kind(folders):
    run, cmp, sweep = (load(folders[k]) for k in ("run", "compare", "sweep"))
    assert run.kind == "run" and len(run.table) == 1 and run.timeseries is not None
    assert run.table["orders"].iloc[0] == run.kpis["orders"]
    assert cmp.kind == "compare" and len(cmp.table) == 4 and cmp.summary is not None
    assert sweep.kind == "sweep" and len(sweep.table) == 8
    assert sweep.parameters == ["channels.call_centre.staff", "links.stock_sync.interval"]
    assert len(load_runs(folders["run"].parents[1])) == 1


def test_load_refuses_what_is_not_a_complete_folder(folders, tmp_path):
    with pytest.raises(ResultsError, match="no such directory"):
        load(tmp_path / "nope")
    with pytest.raises(ResultsError, match="it holds runs"):
        load(folders["run"].parent)
    (tmp_path / "manifest.json").write_text('{"status": "running"}')
    with pytest.raises(ResultsError, match="not complete"):
        load(tmp_path)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_where_it_fits(folders, tmp_path, kind):
    drawn = 0
    for fkind, folder in folders.items():
        res = load(folder)
        path = tmp_path / f"{fkind}-{kind}.png"
        if kind in FITS[fkind]:
            draw(res, kind, path)
            data = path.read_bytes()
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
            drawn += 1
        else:
            with pytest.raises(NotApplicable):
                draw(res, kind, path)
    assert drawn >= 1


def test_svg_too(folders, tmp_path):
    path = draw(load(folders["compare"]), "cost", tmp_path / "cost.svg")
    assert path.read_text().lstrip().startswith("<?xml")


def test_cycle_times_match_the_runs_own_counts(folders):
    """Every B2C card capture after the warm-up is one paid case in the ECDF's data."""
    res = load(folders["run"])
    ct = cycle_times(res)
    log = res.eventlog()
    warm = res.manifest["warmup_days"] * 24
    captured = log[(log["activity"] == "card captured") & (log["end"] >= warm)]["case"].nunique()
    assert (ct["segment"] == "consumer").sum() == captured
    assert (ct["days"] >= 0).all()


def test_plot_cli_writes_fitting_kinds_and_refuses_others(folders, tmp_path):
    run = copy_of(folders["run"], tmp_path)  # plot writes run/figures/
    out = omnisim_ok(["plot", str(run)])
    for kind in FITS["run"]:
        assert (run / "figures" / f"{kind}.png").is_file(), out
    assert not list((run / "figures").glob(".*partial*"))
    code, _, err = run_in_process(["plot", str(run), "--kind", "tornado"])
    assert code == 2 and "needs a sweep folder" in err
    assert len(err.strip().splitlines()) == 1
    # the real entry point: exit code 2 and no traceback
    missing = omnisim("plot", str(run / "nope"), check=False)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_report_is_one_offline_html_file(folders, tmp_path):
    out = tmp_path / "report.html"
    omnisim_ok(["report", str(folders["compare"]), "--out", str(out)])
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), "fetches from the net"
    assert text.count("data:image/png;base64,") == len(FITS["compare"]) + 1  # and the slide
    assert "Differences to the first scenario" in text and "Bottleneck" in text
    assert re.search(r"(rises by|falls by|no clear difference)", text)
    assert "Cart abandonment" in text  # the registry's label (its definition the tooltip)
    assert "cart_abandonment_rate" not in text
    # profit and cash next to cost per order, in the table and in the sentences
    table = text[text.index("id=kpis"):]  # the summary names EBIT and cash before it
    at = [table.index(label) for label in ("Cost per order", "EBIT", "EBIT margin",
                                           "Operating cash flow")]
    assert at == sorted(at), "EBIT, its margin and cash follow cost per order"
    assert re.search(r"the EBIT margin (rises by|falls by|shows no clear difference|cannot be)",
                     text, re.IGNORECASE)
    sweep = copy_of(folders["sweep"], tmp_path)  # without --out: sweep/report.html
    omnisim_ok(["report", str(sweep)])
    assert (sweep / "report.html").is_file()


@pytest.mark.system  # the script as a real process, which starts omnisim as another
def test_the_analysts_example_runs(tmp_path):
    """analysis/examples is documentation that must keep working."""
    res = subprocess.run([sys.executable, str(ROOT / "analysis" / "examples" /
                                              "call_centre_sweep.py"),
                          "--scenario", SMALL, "--days", "2", "--replications", "2",
                          "--out", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert list(tmp_path.glob("sweep-*/figures/example_call_abandonment.png"))
    assert "call_abandonment_rate" in res.stdout
