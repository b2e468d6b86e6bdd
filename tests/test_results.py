"""Tests of the atomic, self-describing results folders (sim.results)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.eventlog import EventLog
from sim.results import ResultsError, RunFolder, cleanup_stale, is_complete, load_run

REPO = Path(__file__).resolve().parents[1]
KPIS = {"orders": 120, "revenue": 1234.5, "lead_time_h": float("nan"), "ratio": float("inf")}


def _write_run(root: Path, seed: int = 1, overwrite: bool = False, kpis: dict = KPIS) -> Path:
    with RunFolder(root, "baseline", seed, overwrite=overwrite) as run:
        run.write_text("scenario.yaml", "name: baseline\ndays: 3\n")
        run.write_json("kpis.json", kpis)
        run.write_parquet("timeseries.parquet", pd.DataFrame({"t": [0.0, 1.0], "wip": [3, 4]}))
        with EventLog(run.tmp / "eventlog.parquet", chunk_rows=2) as log:
            for i in range(5):
                log.record(i, i, "retail", "order", "web", float(i), i + 0.5, "ok", 1.0)
        return run.commit({"days": 3, "checks": {"conservation": True}, "note": "extra"})


def _work_dirs(root: Path) -> list[Path]:
    return sorted((root / "baseline").glob(".seed-*"))


def test_complete_folder_has_all_files_and_matching_hashes(tmp_path: Path) -> None:
    final = _write_run(tmp_path / "out")
    assert final == tmp_path / "out" / "baseline" / "seed-1"
    names = {p.name for p in final.iterdir()}
    assert names == {
        "scenario.yaml",
        "kpis.json",
        "timeseries.parquet",
        "eventlog.parquet",
        "manifest.json",
    }
    assert _work_dirs(tmp_path / "out") == []
    manifest = json.loads((final / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["scenario"] == "baseline" and manifest["seed"] == 1
    assert manifest["days"] == 3 and manifest["note"] == "extra"
    assert manifest["checks"] == {"conservation": True}
    assert manifest["terminal_states"] == {}
    assert set(manifest["packages"]) == {"simpy", "mesa", "numpy", "pandas", "pyarrow"}
    assert manifest["packages"]["pandas"] == pd.__version__
    assert manifest["wall_seconds"] >= 0
    assert set(manifest["files"]) == names - {"manifest.json"}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((final / name).read_bytes()).hexdigest() == digest
    assert is_complete(final)
    run = load_run(final)
    assert run["kpis"] == {"orders": 120, "revenue": 1234.5, "lead_time_h": None, "ratio": None}
    assert run["manifest"] == manifest


def test_kpis_json_is_byte_identical(tmp_path: Path) -> None:
    first = (_write_run(tmp_path / "a") / "kpis.json").read_bytes()
    shuffled = dict(reversed(list(KPIS.items())))
    second = (_write_run(tmp_path / "b", kpis=shuffled) / "kpis.json").read_bytes()
    assert first == second
    assert first.endswith(b"}\n")
    assert b"NaN" not in first and b"Infinity" not in first


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_exception_leaves_no_final_and_no_temp_folder(tmp_path: Path, error: type) -> None:
    with pytest.raises(error), RunFolder(tmp_path, "baseline", 7) as run:
        run.write_text("scenario.yaml", "x: 1\n")
        assert run.tmp.is_dir()
        raise error("boom")
    assert not run.final.exists()
    assert _work_dirs(tmp_path) == []


def test_leaving_without_commit_discards_and_raises(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="not committed"), RunFolder(tmp_path, "b", 1) as run:
        run.write_text("scenario.yaml", "x: 1\n")
    assert list((tmp_path / "b").iterdir()) == []
    with RunFolder(tmp_path, "b", 2) as run:
        run.abort()  # deliberate: no error
    assert list((tmp_path / "b").iterdir()) == []


def test_sigkilled_writer_leaves_nothing_at_final_path(tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "from sim.results import RunFolder\n"
        "run = RunFolder(sys.argv[1], 'baseline', 3).open()\n"
        "run.write_text('scenario.yaml', 'name: baseline\\n')\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == "ready", line or proc.stderr.read()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
    final = tmp_path / "baseline" / "seed-3"
    assert not final.exists()
    leftovers = _work_dirs(tmp_path)
    assert [p.name.startswith(f".seed-3.partial-{proc.pid}-") for p in leftovers] == [True]
    assert not any(is_complete(p) for p in (tmp_path / "baseline").iterdir())

    alive = tmp_path / "baseline" / f".seed-4.partial-{os.getpid()}-abcd"
    alive.mkdir()  # a run in progress in a live process: kept
    assert cleanup_stale(tmp_path) == leftovers
    assert _work_dirs(tmp_path) == [alive]


def test_cleanup_restores_old_run_interrupted_mid_replace(tmp_path: Path) -> None:
    final = _write_run(tmp_path)
    dead_pid = 2**22 + 12345  # above the largest possible pid_max (2**22): never alive
    os.rename(final, final.parent / f".seed-1.old-{dead_pid}-0f")
    assert cleanup_stale(tmp_path) == [final]
    assert is_complete(final)
    assert cleanup_stale(tmp_path / "missing") == []


def test_refuses_to_overwrite_complete_run(tmp_path: Path) -> None:
    final = _write_run(tmp_path)
    before = (final / "manifest.json").read_bytes()
    with pytest.raises(ResultsError, match="already holds a complete run; choose another --out"):
        _write_run(tmp_path)
    assert (final / "manifest.json").read_bytes() == before
    assert _work_dirs(tmp_path) == []


def test_overwrite_replaces(tmp_path: Path) -> None:
    _write_run(tmp_path)
    final = _write_run(tmp_path, overwrite=True, kpis={"orders": 1})
    assert load_run(final)["kpis"] == {"orders": 1}
    assert _work_dirs(tmp_path) == []


def test_root_that_is_a_file_is_rejected(tmp_path: Path) -> None:
    root = tmp_path / "results"
    root.write_text("not a folder")
    with pytest.raises(ResultsError, match="not a directory") as info:
        RunFolder(root, "baseline", 1).open()
    assert str(root) in str(info.value) and "\n" not in str(info.value)


def test_invalid_names_and_manifest_keys(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        RunFolder(tmp_path, "../escape", 1)
    with pytest.raises(ValueError):
        RunFolder(tmp_path, "baseline", -1)
    with pytest.raises(ValueError, match="status"), RunFolder(tmp_path, "baseline", 1) as run:
        run.commit({"status": "complete"})
    assert _work_dirs(tmp_path) == []


def test_unclosed_eventlog_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="not finished"), RunFolder(tmp_path, "b", 1) as run:
        log = EventLog(run.tmp / "eventlog.parquet", chunk_rows=1)
        log.record(1, 1, "retail", "order", "web", 0.0, 1.0, "ok")
        run.commit({})
    log.close()


def test_load_run_errors(tmp_path: Path) -> None:
    final = _write_run(tmp_path)
    manifest = final / "manifest.json"
    kpis = final / "kpis.json"

    with pytest.raises(ResultsError, match="no such directory"):
        load_run(tmp_path / "nowhere")

    kpis.write_text("{not json")
    with pytest.raises(ResultsError, match="bad JSON") as info:
        load_run(final)
    assert str(kpis) in str(info.value) and "\n" not in str(info.value)

    kpis.unlink()
    with pytest.raises(ResultsError, match="kpis.json: file is missing"):
        load_run(final)

    manifest.write_text(json.dumps({"status": "running"}))
    with pytest.raises(ResultsError, match="not complete"):
        load_run(final)
    assert not is_complete(final)

    manifest.unlink()
    with pytest.raises(ResultsError, match="manifest.json: file is missing"):
        load_run(final)
    assert not is_complete(final)


def _commit_small(root: Path, marker: str) -> Path:
    with RunFolder(root, "baseline", 1, overwrite=True) as run:
        run.write_text("who.txt", marker)
        return run.commit({})


def test_concurrent_writers_of_the_same_run_both_succeed(tmp_path: Path) -> None:
    """Two writers replacing the same run (two 'omnisim run' of one scenario and seed) finish
    at the same moments, 4 x 60 times: none fails (one in six pairs exited 2 with 'use
    --overwrite', an option run does not have), and the folder is always one complete run."""
    from concurrent.futures import ThreadPoolExecutor

    def writer(name: str) -> int:
        for i in range(60):
            _commit_small(tmp_path, f"{name}{i}")
        return 60

    with ThreadPoolExecutor(4) as pool:
        assert sum(pool.map(writer, "abcd")) == 240
    final = tmp_path / "baseline" / "seed-1"
    assert is_complete(final) and sorted(p.name for p in final.iterdir()) == \
        ["manifest.json", "who.txt"]
    assert _work_dirs(tmp_path) == []
