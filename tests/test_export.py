"""omnisim export: XES, OCEL 2.0 and CSV read back with pm4py and checked against the run.

One short run of a scaled-down baseline (60 days, a 2-day warm-up, a fraction of the demand,
so business customers get paid on their 30-day terms within the run) is made once for the
module; every check compares the export with that run's own records (event log, manifest
counts and money, KPIs), never with a pinned number.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from cli_helpers import run_in_process

from sim.export import export_run
from sim.export.source import RunSource
from sim.results import canonical_json
from sim.runner import prepare, run_replication, run_to_folder

SETS = (
    "warmup=2 d",
    "segments.consumer.leads_per_day=40", "segments.consumer.existing_customers=40",
    "segments.small_business.leads_per_day=15", "segments.small_business.existing_customers=20",
    "segments.enterprise.leads_per_day=1", "segments.enterprise.existing_customers=5",
)
DAYS = 60.0
#: activities whose end is the moment cash is received (B2C card capture, B2B payment)
CASH = ("card captured", "payment received")
OBJECT_TYPES = {"customer", "lead", "quote", "order", "order line", "bundle part",
                "purchase order", "delivery", "invoice", "payment"}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    loaded = prepare("baseline", SETS, days=DAYS)
    folder, _ = run_to_folder(loaded, tmp_path_factory.mktemp("results"), "small")
    return folder


@pytest.fixture(scope="module")
def pm4py() -> Any:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PM4PY_SHOW_PROGRESS_BAR", "false")
        import pm4py

        yield pm4py


@pytest.fixture(scope="module")
def log(run: Path) -> pd.DataFrame:
    return pq.read_table(run / "eventlog.parquet").to_pandas()


@pytest.fixture(scope="module")
def manifest(run: Path) -> dict[str, Any]:
    return json.loads((run / "manifest.json").read_text())


@pytest.fixture(scope="module")
def kpis(run: Path) -> dict[str, Any]:
    return json.loads((run / "kpis.json").read_text())


@pytest.fixture(scope="module")
def xes(run: Path, pm4py: Any, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("xes") / "run.xes"
    export_run(run, "xes", out)
    return pm4py.read_xes(str(out), variant="iterparse")


@pytest.fixture(scope="module")
def csv(run: Path, pm4py: Any, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("csv") / "run.csv"
    export_run(run, "csv", out)
    return pm4py.format_dataframe(pd.read_csv(out), case_id="case_id", activity_key="activity",
                                  timestamp_key="timestamp",
                                  start_timestamp_key="start_timestamp")


def _mined_activities(pm4py: Any, df: pd.DataFrame) -> set[str]:
    tree = pm4py.discover_process_tree_inductive(df.copy())
    stack, labels = [tree], set()
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if not node.children and node.label is not None:
            labels.add(node.label)
    return labels


def test_kpis_do_not_depend_on_the_event_log(run: Path) -> None:
    """Object tokens draw nothing: the same scenario without a log gives the same KPI bytes."""
    rep = run_replication(prepare("baseline", SETS, days=DAYS))
    assert canonical_json(rep.kpis) == (run / "kpis.json").read_text()


def test_xes_mines_a_model_of_the_journey_steps(xes: pd.DataFrame, log: pd.DataFrame,
                                                pm4py: Any) -> None:
    assert xes["case:concept:name"].nunique() == log["case"].nunique()
    assert len(xes) == 2 * len(log), "a start and a complete event per activity"
    assert Counter(xes["lifecycle:transition"]) == {"start": len(log), "complete": len(log)}
    complete = xes[xes["lifecycle:transition"] == "complete"]
    assert _mined_activities(pm4py, complete) == set(log["activity"])
    assert set(xes["org:resource"].dropna()) == set(log["resource"]) - {""}


def test_csv_mines_a_model_of_the_journey_steps(csv: pd.DataFrame, log: pd.DataFrame,
                                                pm4py: Any) -> None:
    assert len(csv) == len(log)
    assert csv["case:concept:name"].nunique() == log["case"].nunique()
    assert _mined_activities(pm4py, csv) == set(log["activity"])


def test_case_outcomes_match_the_terminal_states(xes: pd.DataFrame, manifest: dict) -> None:
    """Every customer who left, was cancelled or written off ended exactly one case so."""
    outcomes = Counter(xes.groupby("case:concept:name")["case:outcome"].first())
    terminal = manifest["terminal_states"]
    ended = {k: n for k, n in terminal.items() if k in ("cancelled", "written_off")
             or (k.startswith("lost:") and k != "lost:closed")}  # closed: never reached a channel
    assert ended and {k: outcomes.get(k, 0) for k in ended} == ended
    assert outcomes["paid"] == manifest["counts"]["payments"], "one payment per paid case"


def _lead_to_cash_days(pm4py: Any, events: pd.DataFrame, start: pd.Timestamp) -> list[float]:
    """pm4py case durations, first event to cash, of paid first purchases whose lead arrived
    after the warm-up (the cohort of ``lead_to_cash_days_mean``), from a lifecycle log."""
    events = events.copy()
    events["step"] = events["concept:name"] + "+" + events["lifecycle:transition"]
    paid = events[(events["case:outcome"] == "paid") & events["case:lead"].astype(bool)]
    arrival = paid.groupby("case:concept:name")["time:timestamp"].transform("min")
    cohort = paid[arrival >= start]
    days: list[float] = []
    for activity in CASH:
        upto = pm4py.filter_prefixes(cohort, f"{activity}+complete", strict=False,
                                     activity_key="step")
        days += [d / 86400 for d in pm4py.get_all_case_durations(upto)]
    return days


def test_lead_to_cash_from_xes_and_csv_matches_the_kpi(xes: pd.DataFrame, csv: pd.DataFrame,
                                                       pm4py: Any, manifest: dict,
                                                       kpis: dict, run: Path) -> None:
    from pm4py.objects.log.util import interval_lifecycle

    start = (pd.Timestamp(RunSource(run).start, tz="UTC")
             + pd.Timedelta(days=manifest["warmup_days"]))
    from_csv = pm4py.convert_to_dataframe(interval_lifecycle.to_lifecycle(
        pm4py.convert_to_event_log(csv.copy())))
    from_csv.attrs.clear()  # the CSV's start-timestamp key: its events are start/complete now
    from_csv["case:outcome"] = from_csv["case_outcome"]
    from_csv["case:lead"] = from_csv["case_lead"]
    for events in (xes, from_csv):
        days = _lead_to_cash_days(pm4py, events, start)
        assert len(days) > 10
        # timestamps are written to the microsecond; kpis.json rounds to 1e-10 days
        assert sum(days) / len(days) == pytest.approx(kpis["lead_to_cash_days_mean"], abs=1e-9)
    b2b = xes[xes["case:segment"] != "consumer"]
    days = _lead_to_cash_days(pm4py, b2b, start)
    assert days and kpis["lead_to_cash_days_mean_b2b"] is not None
    assert sum(days) / len(days) == pytest.approx(kpis["lead_to_cash_days_mean_b2b"], abs=1e-9)


@pytest.mark.parametrize("name", ["run.ocel.json", "run.sqlite"])
def test_ocel_objects_match_the_run_counts(run: Path, name: str, pm4py: Any, manifest: dict,
                                           log: pd.DataFrame, tmp_path: Path) -> None:
    out = tmp_path / name
    export_run(run, "ocel", out)
    read = pm4py.read_ocel2_sqlite if name.endswith(".sqlite") else pm4py.read_ocel2_json
    ocel = read(str(out))
    objects = ocel.objects
    types = Counter(objects["ocel:type"])
    counts = manifest["counts"]
    assert set(types) == OBJECT_TYPES
    assert types["order"] == counts["orders_received"]
    assert types["invoice"] == counts["invoices"]
    assert types["payment"] == counts["payments"]
    assert types["purchase order"] == types["bundle part"] == counts["purchase_orders"]
    assert len(ocel.events) == len(log)
    money = manifest["checks"]["conservation"]["money"]
    amount = objects.groupby("ocel:type")["amount"].sum()
    assert amount["invoice"] == pytest.approx(money["invoiced"], abs=0.01)
    assert amount["payment"] == pytest.approx(money["paid"], abs=0.01)
    # a purchase order is for an order and buys one bundle part of it
    o2o = ocel.o2o.merge(objects[["ocel:oid", "ocel:type"]], on="ocel:oid")
    po = o2o[o2o["ocel:type"] == "purchase order"]
    assert Counter(po["ocel:qualifier"]) == {"for": counts["purchase_orders"],
                                            "orders": counts["purchase_orders"]}
    related = ocel.relations.groupby("ocel:activity")["ocel:type"].agg(set)
    assert related["purchase order"] >= {"purchase order", "bundle part", "order", "customer"}
    assert related["card captured"] >= {"invoice", "payment", "order"}


def test_ocel_sqlite_follows_the_standard(run: Path, tmp_path: Path) -> None:
    from pm4py.objects.ocel.validation import ocel20_rel_validation

    out = tmp_path / "run.sqlite"
    export_run(run, "ocel", out)
    _, unsatisfied = ocel20_rel_validation.apply(str(out))
    assert unsatisfied == []
    with sqlite3.connect(out) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_cases_are_handed_over_whole_at_their_last_row(run: Path) -> None:
    source = RunSource(run)
    scan = source.scan()
    seen = 0
    for case in source.cases(scan):
        rows = [row[0] for row in case.rows]
        assert rows == sorted(rows) and rows[-1] == scan.last_row[case.case]
        seen += len(rows)
    assert seen == scan.rows == source.rows


def _omnisim(*args: str) -> subprocess.CompletedProcess[str]:
    """``omnisim export ...`` in this process (as the command: exit code, stdout, stderr)."""
    code, out, err = run_in_process(list(args))
    return subprocess.CompletedProcess(list(args), code, out, err)


def _real_omnisim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "COLUMNS": "100"})


def test_cli_exports_gzipped_xes(run: Path, tmp_path: Path) -> None:
    plain, packed = tmp_path / "a.xes", tmp_path / "b.xes.gz"
    export_run(run, "xes", plain)
    done = _omnisim("export", str(run), "--format", "xes", "--out", str(packed))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{packed}: XES, ") and "traces" in done.stdout
    assert gzip.decompress(packed.read_bytes()) == plain.read_bytes()
    assert not list(tmp_path.glob(".*")), "no partial file left behind"


#: damaged folders also exported by a real process (exit code 2, no traceback on stderr)
REAL = ("missing", "changed_eventlog")


@pytest.mark.parametrize("damage", ["missing", "root", "incomplete", "no_manifest",
                                    "no_eventlog", "changed_eventlog", "out_folder"])
def test_bad_results_folder_one_line_exit_2(run: Path, tmp_path: Path, damage: str) -> None:
    target, out = run, tmp_path / "out.xes"
    if damage == "missing":
        target = tmp_path / "nothing-here"
    elif damage == "root":
        target = run.parent.parent
    elif damage == "out_folder":
        out = tmp_path / "no-such-folder" / "out.xes"
    else:
        target = _copy(run, tmp_path)
        if damage == "incomplete":
            m = target / "manifest.json"
            m.write_text(m.read_text().replace('"status": "complete"', '"status": "running"'))
        elif damage == "no_manifest":  # a run killed before its commit
            (target / "manifest.json").unlink()
        elif damage == "no_eventlog":
            (target / "eventlog.parquet").unlink()
        else:
            data = (target / "eventlog.parquet").read_bytes()
            (target / "eventlog.parquet").write_bytes(data[: len(data) // 2])
    runs = [_omnisim] + ([_real_omnisim] if damage in REAL else [])
    for omnisim in runs:
        done = omnisim("export", str(target), "--out", str(out))
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("omnisim: error: "), done.stderr
        assert "Traceback" not in done.stderr and not out.exists()
        assert not list(tmp_path.glob(".*")), "no partial file left behind"


def _copy(run: Path, tmp_path: Path) -> Path:
    """A copy of the run folder that a test may break."""
    copy = tmp_path / "copy" / "seed-1"
    copy.mkdir(parents=True)
    for f in run.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    return copy
