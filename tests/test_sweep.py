"""Sweeps: SPEC parsing, designs, executors giving identical tables, resume after a kill."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import ROOT, SMALL, run_in_process, run_subprocess
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.sweep import SweepError, design_points, numeric, parse_vary

VARY = ("--vary", "channels.call_centre.staff=1:5:1",
        "--vary", "links.stock_sync.interval=1 h,6 h,24 h")


# ------------------------------------------------------------------------------ SPECs
@pytest.mark.parametrize("text, values", [
    ("a.b=4:20:4", ("4", "8", "12", "16", "20")),
    ("a.b=4:19:4", ("4", "8", "12", "16")),
    ("a.b=0.1:0.3:0.1", ("0.1", "0.2", "0.3")),
    ("a.b=1 h:25 h:12 h", ("1 h", "13 h", "25 h")),
    ("a.b=10 USD:30 USD:10 USD", ("10 USD", "20 USD", "30 USD")),
    ("a.b=4,8,16", ("4", "8", "16")),
    ("links.order_desk.mode=manual,batch", ("manual", "batch")),
])
def test_parse_vary_lists_and_ranges(text, values):
    v = parse_vary(text)
    assert v.path == "a.b" or v.path == "links.order_desk.mode"
    assert v.values == values


@pytest.mark.parametrize("text, words", [
    ("a.b", "PATH=SPEC"), ("=4", "PATH=SPEC"), ("a..b=4", "dotted field path"),
    ("a.b=4:2:1", "must go up"), ("a.b=1:5:0", "step must be positive"),
    ("a.b=1 h:5 d:1 h", "same unit"), ("a.b=1:2:3:4", "start:stop:step"),
    ("a.b=1,,2", "empty value"), ("a.b=1,1", "repeats"), ("a.b=1:x", "not a number"),
    ("a.b=1,2:3", "not both"),
])
def test_parse_vary_rejects_bad_specs_with_a_reason(text, words):
    with pytest.raises(SweepError, match=words):
        parse_vary(text)


def test_numeric_converts_durations_to_hours():
    assert numeric("90 min") == 1.5 and numeric("2 d") == 48.0
    assert numeric("4") == 4.0 and numeric("batch") == "batch"


def test_full_design_is_the_product():
    pts = design_points([parse_vary("a=1,2,3"), parse_vary("b=x,y")], "full", None, 1)
    assert pts == [("1", "x"), ("1", "y"), ("2", "x"), ("2", "y"), ("3", "x"), ("3", "y")]
    with pytest.raises(SweepError, match="needs a list or a range with a step"):
        design_points([parse_vary("a=1:2")], "full", None, 1)


def test_latin_hypercube_puts_one_point_in_every_stratum():
    k = 20
    pts = design_points([parse_vary("a=0.0:1.0"), parse_vary("b=10 h:30 h"),
                         parse_vary("c=2:11")], "lhs", k, seed=7)
    a = np.array([float(p[0]) for p in pts])
    b = np.array([numeric(p[1]) for p in pts], dtype=float)
    c = np.array([int(p[2]) for p in pts])
    assert sorted(np.floor(a * k).astype(int)) == list(range(k))
    assert sorted(np.floor((b - 10) / 20 * k).astype(int)) == list(range(k))
    assert set(c) <= set(range(2, 12)) and all(p[2].isdigit() for p in pts)
    # integers: 10 values in 20 strata -> every value exactly twice
    assert sorted(np.bincount(c - 2).tolist()) == [2] * 10
    assert design_points([parse_vary("a=0.0:1.0")], "lhs", k, seed=7) != \
        design_points([parse_vary("a=0.0:1.0")], "lhs", k, seed=8)
    assert pts == design_points([parse_vary("a=0.0:1.0"), parse_vary("b=10 h:30 h"),
                                 parse_vary("c=2:11")], "lhs", k, seed=7)


# ---------------------------------------------------------------------------- end to end
omnisim = run_subprocess
#: replications of the sweeps run again by other executors, killed or resumed: the first
#: R_OTHER of the serial sweep's (replication r has seed 1 + r at every point, whatever -r is)
R_OTHER = 2


#: the small company's call centre gets about 6 calls a day; with 40-minute calls one agent
#: is busy enough that callers hang up, so the staffing points differ in call abandonment
CALLS = ("--set", "channels.call_centre.service_time={dist: exponential, mean: 40 min}")


def sweep_args(out: Path, *extra: str, reps: int = 5) -> list[str]:
    return ["sweep", SMALL, *VARY, *CALLS, "-r", str(reps), "--days", "2", "--out", str(out),
            "--no-progress", *extra]


def table(out: Path) -> pd.DataFrame:
    (folder,) = out.glob("sweep-*")
    return pd.read_parquet(folder / "results.parquet")


def first_replications(df: pd.DataFrame, n: int) -> pd.DataFrame:
    return df[df["replication"] < n].reset_index(drop=True)


def sweep_ok(argv: list[str]) -> str:
    """``omnisim sweep ...`` in this process; asserts exit code 0 and returns stderr."""
    code, _, err = run_in_process(argv)
    assert code == 0, err
    return err


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> Path:
    """The sweep's root folder (read it; copy its ``sweep-*`` folder to change it)."""
    out = tmp_path_factory.mktemp("serial")
    sweep_ok(sweep_args(out, "--executor", "serial"))
    return out


def test_sweep_table_is_tidy_and_complete(serial):
    df = table(serial)
    assert len(df) == 15 * 5
    assert not df.duplicated(["point", "replication"]).any()
    assert set(df["channels.call_centre.staff"]) == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert set(df["links.stock_sync.interval"]) == {1.0, 6.0, 24.0}
    assert sorted(set(df["seed"])) == [1, 2, 3, 4, 5]
    for col in ("cart_abandonment_rate", "call_abandonment_rate", "cost_per_order",
                "utilisation.call_centre", "funnel.orders"):
        assert col in df.columns
    (folder,) = serial.glob("sweep-*")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["rows"] == 75
    assert (folder / "results.csv").is_file() and (folder / "scenario.yaml").is_file()


def test_common_random_numbers_make_staff_the_only_difference(serial):
    """Same seed, other staffing or sync interval: the arrivals are the same, so the leads
    that arrive from outside (all but referrals, which satisfied customers make, and service
    differs between points) are identical at every point; and 1 agent loses more calls than
    5 at every interval."""
    df = table(serial)
    arrivals = df["leads"] - df["referrals"]
    assert arrivals.groupby(df["seed"]).nunique().eq(1).all()
    piv = df.pivot_table(index=["seed", "links.stock_sync.interval"],
                         columns="channels.call_centre.staff",
                         values="call_abandonment_rate")
    by_interval = piv.groupby(level=1).mean()
    assert (by_interval[1.0] > by_interval[5.0]).all()


@pytest.mark.parametrize("executor", ["process", "dask"])
def test_executors_give_identical_tables(serial, tmp_path, executor):
    """The command in this process; its workers are processes all the same (a fork server's
    pool, a Dask LocalCluster), so the table crosses process boundaries."""
    sweep_ok(sweep_args(tmp_path, "--executor", executor, "--workers", "2", reps=R_OTHER))
    assert len(table(tmp_path)) == 15 * R_OTHER
    pd.testing.assert_frame_equal(table(tmp_path), first_replications(table(serial), R_OTHER))


def _copy_sweep(serial: Path, tmp_path: Path) -> Path:
    (folder,) = serial.glob("sweep-*")
    shutil.copytree(folder, tmp_path / folder.name)
    return tmp_path / folder.name


def test_rerun_resumes_without_running_anything(serial, tmp_path):
    folder = _copy_sweep(serial, tmp_path)  # a re-run rewrites the manifest
    before = table(serial)
    err = sweep_ok(sweep_args(tmp_path, "--executor", "serial"))
    assert "75 of 75 runs already done" in err
    assert json.loads((folder / "manifest.json").read_text())["runs_this_call"] == 0
    pd.testing.assert_frame_equal(table(tmp_path), before)


def test_killed_sweep_resumes_with_every_point_exactly_once(serial, tmp_path):
    """SIGKILL a real sweep once some points are saved; the folder then does not look
    complete, and the same command finishes it: every point once, numbers as uninterrupted."""
    total = 15 * R_OTHER
    args = sweep_args(tmp_path, "--executor", "serial", reps=R_OTHER)
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", *args],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    saved = 0
    while time.monotonic() < deadline and proc.poll() is None:
        saved = len(list(tmp_path.glob("sweep-*/points/p*.json")))
        if saved >= 5:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    (folder,) = tmp_path.glob("sweep-*")
    assert not (folder / "manifest.json").exists()
    assert not (folder / "results.parquet").exists()
    done = len(list(folder.glob("points/p*.json")))
    assert 5 <= done < total
    with pytest.raises(Exception, match="in progress"):
        from analysis import load
        load(folder)
    err = sweep_ok(args)  # the same command, resumed (in this process)
    assert f"{done} of {total} runs already done" in err
    pd.testing.assert_frame_equal(table(tmp_path), first_replications(table(serial), R_OTHER))


def test_more_replications_reuse_the_saved_ones(serial, tmp_path):
    _copy_sweep(serial, tmp_path)
    err = sweep_ok(sweep_args(tmp_path, "--executor", "serial", reps=6))
    assert "75 of 90 runs already done" in err
    df = table(tmp_path)
    assert len(df) == 90
    pd.testing.assert_frame_equal(first_replications(df, 5), table(serial))


BAD_SWEEPS = [
    (["--vary", "channels.call_centre.stafff=1,2"], "stafff"),
    (["--vary", "channels.call_centre.staff=-1,2"], "staff"),
    (["--vary", "channels.call_centre.staff=1:3"], "needs a list or a range with a step"),
    (["--vary", "channels.call_centre.staff=1:3", "--design", "lhs"], "--samples"),
    (["--vary", "channels.call_centre.staff=1,2", "--scheduler", "tcp://x:1"],
     "--executor dask"),
    # refused before anything runs (it was reported after the whole sweep)
    (["--vary", "channels.call_centre.staff=1,2", "--kpi", "cart_abandonment_rat"],
     "--kpi cart_abandonment_rat: not a KPI"),
]


@pytest.mark.parametrize("args, words", BAD_SWEEPS)
def test_bad_sweeps_get_one_line_and_exit_2(tmp_path, args, words):
    code, out, err = run_in_process(["sweep", SMALL, *args, "--out", str(tmp_path)])
    assert code == 2, err
    assert words in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err and out == ""
    assert not list(tmp_path.glob("sweep-*"))


def test_a_bad_sweep_through_the_real_entry_point(tmp_path):
    """As above, as a real process: exit code 2, one line, no traceback, no folder."""
    args, words = BAD_SWEEPS[0]
    res = omnisim("sweep", SMALL, *args, "--out", str(tmp_path), check=False)
    assert res.returncode == 2, res.stderr
    assert words in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.stderr
    assert not list(tmp_path.glob("sweep-*"))


@pytest.mark.system  # a real cluster whose worker process is killed and replaced
def test_dask_worker_killed_mid_sweep_is_replaced_and_numbers_are_identical():
    """A real LocalCluster; after a few jobs one worker process is SIGKILLed. Its nanny
    starts a new worker, the lost jobs are rerun, and every outcome equals the serial one."""
    from dask.distributed import Client, LocalCluster

    from sim.executors import execute
    from sim.replicate import plan

    jobs = plan([SMALL], 12, 1, ("channels.call_centre.staff=2",), 2.0)
    serial = execute(jobs, "serial")
    killed: list[int] = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        pids = client.run(os.getpid)

        def done(_outcome) -> None:
            if not killed:
                victim = sorted(pids.values())[0]
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

        outs = execute(jobs, "dask", scheduler=cluster.scheduler_address, done=done)
        client.wait_for_workers(2, timeout=60)
        assert killed and killed[0] not in client.run(os.getpid).values()
    same = [json.dumps(a.kpis, sort_keys=True) == json.dumps(b.kpis, sort_keys=True)
            for a, b in zip(outs, serial, strict=True)]  # NaN-aware: NaN prints as NaN
    assert all(same)


# ------------------------------------------------------------------ ranges keep their digits
@settings(max_examples=150, deadline=None)
@given(start=st.decimals(min_value=-10**12, max_value=10**12, places=3, allow_nan=False,
                         allow_infinity=False),
       step=st.decimals(min_value="0.001", max_value=10**9, places=3, allow_nan=False,
                        allow_infinity=False),
       n=st.integers(2, 40), extra=st.sampled_from(["0", "0.5"]),
       unit=st.sampled_from(["", " h", " USD"]))
def test_a_range_keeps_every_digit(start, step, n, extra, unit):
    """Every range point is exactly start + i x step, in plain digits that ``--set`` takes
    (no exponent, a whole number without a decimal point), and distinct; the stop is
    included when the grid reaches it (``extra`` 0) and not passed (0.5)."""
    stop = start + (n - 1 + Decimal(extra)) * step
    spec = f"a.b={start}{unit}:{stop}{unit}:{step}{unit}"
    values = parse_vary(spec).values
    assert len(values) == n and len(set(values)) == n, spec
    for i, text in enumerate(values):
        number = text.removesuffix(unit) if unit else text
        assert "e" not in number.lower() and Decimal(number) == start + i * step, (spec, text)
        assert ("." in number) == (Decimal(number) != Decimal(number).to_integral_value())


def test_the_reported_ranges_are_exact_and_accepted():
    big = parse_vary("catalog.planned_units_per_day=1234567:1234569:1").values
    assert big == ("1234567", "1234568", "1234569")
    wide = parse_vary("market.addressable_customers=200000:1000000:400000")
    assert wide.values == ("200000", "600000", "1000000")
    from sim.runner import prepare

    for value in wide.values:  # a whole-number field takes them all (it refused "1e+06")
        sc = prepare(SMALL, (f"market.addressable_customers={value}",)).scenario
        assert sc.market.addressable_customers == int(value)
    with pytest.raises(SweepError, match="out of range"):
        parse_vary("a.b=1:1e400:1")  # not four hundred digits, nor a hang
    with pytest.raises(SweepError, match="at most 10000"):
        parse_vary("a.b=0:1e30:1")


# ------------------------------------------------------------------ bad point files
def _a_point_file(serial: Path) -> Path:
    (folder,) = serial.glob("sweep-*")
    return folder / "points" / "p00003-r0001.json"


CORRUPTIONS = {
    "empty": lambda text: "",
    "not json": lambda text: "{not json",
    "a list": lambda text: "[1, 2]",
    "null": lambda text: "null",
    "no kpis": lambda text: json.dumps({k: v for k, v in json.loads(text).items()
                                        if k != "kpis"}),
    "kpis a list": lambda text: json.dumps({**json.loads(text), "kpis": []}),
    "a kpi as text": lambda text: json.dumps({**json.loads(text), "kpis": {"leads": "many"}}),
    "seed as text": lambda text: json.dumps({**json.loads(text), "seed": "2"}),
    "checks_ok a number": lambda text: json.dumps({**json.loads(text), "checks_ok": 1}),
    "another point": lambda text: json.dumps({**json.loads(text), "point": 4}),
    "point true": lambda text: json.dumps({**json.loads(text), "point": True}),
}


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_every_kind_of_bad_point_file_is_refused_in_one_line(serial, tmp_path, kind):
    from sim.results import ResultsError
    from sim.sweep import read_point

    good = _a_point_file(serial)
    assert read_point(good, 3, 1)["seed"] == 2
    bad = tmp_path / good.name
    bad.write_text(CORRUPTIONS[kind](good.read_text()), encoding="utf-8")
    with pytest.raises(ResultsError) as info:
        read_point(bad, 3, 1)
    assert str(bad) in str(info.value) and "\n" not in str(info.value)


@settings(max_examples=30, deadline=None)
@given(cut=st.floats(0.0, 0.999))
def test_a_truncated_point_file_is_refused(serial, tmp_path_factory, cut):
    from sim.results import ResultsError
    from sim.sweep import read_point

    data = _a_point_file(serial).read_bytes()
    bad = tmp_path_factory.mktemp("cut") / "p00003-r0001.json"
    bad.write_bytes(data[:int(cut * len(data))])
    with pytest.raises(ResultsError):
        read_point(bad, 3, 1)


def test_bad_point_files_are_reported_and_run_again(serial, tmp_path):
    """An empty and a truncated point file of a finished sweep: the re-run names them in one
    line, runs those two again and gives the uninterrupted table (it exited 2 every time)."""
    folder = _copy_sweep(serial, tmp_path)
    (folder / "points" / "p00003-r0001.json").write_text("", encoding="utf-8")
    cut = folder / "points" / "p00007-r0004.json"
    cut.write_bytes(cut.read_bytes()[:40])
    err = sweep_ok(sweep_args(tmp_path, "--executor", "serial"))
    warnings = [ln for ln in err.splitlines() if "warning" in ln]
    assert len(warnings) == 1 and "p00003-r0001.json" in warnings[0], err
    assert "1 other point file" in warnings[0]
    assert "73 of 75 runs already done" in err
    pd.testing.assert_frame_equal(table(tmp_path), table(serial))


def test_an_interrupted_rerun_keeps_the_finished_sweep_loadable(serial, tmp_path, monkeypatch):
    """The manifest of a finished sweep stays until a new one replaces it: a re-run (here
    with more replications) interrupted mid-way leaves the old sweep complete and loadable."""
    from analysis import load
    from sim import sweep as sweep_module

    folder = _copy_sweep(serial, tmp_path)

    def interrupted(*_args) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep_module, "save_outcome", interrupted)
    code, _, err = run_in_process(sweep_args(tmp_path, "--executor", "serial", reps=6))
    assert code == 130, err
    res = load(folder)
    assert res.manifest["rows"] == 75 and len(res.table) == 75
