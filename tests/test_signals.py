"""Signals: Ctrl-C, SIGTERM and SIGKILL of a command that runs jobs in worker processes, and a
worker killed mid-sweep (issue 18, item 2).

A terminal sends Ctrl-C to the whole process group, so these tests start the command in a
session of its own (``start_new_session``) and signal the group with ``os.killpg``, as a
terminal does; SIGKILL goes to the command alone, as ``kill -9`` or the out-of-memory killer
send it. Afterwards no process of the session may be alive 5 s after the command ended (read
from /proc: zombies waiting to be reaped by init do not count). They are real processes, and
seconds each, hence ``system``; everything that can be shown in-process (the interrupt kills
the workers at once, a dead worker names its signal, a worker ends with its caller) is in
tests/test_workers.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import ROOT, SMALL, run_in_process

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

#: a sweep of the small company with many short runs, so it is still running when signalled
SWEEP = ["sweep", SMALL, "--vary", "channels.call_centre.staff=1:40:1", "-r", "2",
         "--days", "1.5", "--workers", "2", "--no-progress"]


def _session(sid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every live process of session ``sid`` (zombies left out)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == sid:
            out.append((int(entry.name), cmd))
    return out


def _start(args: list[str], tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    err = tmp_path / "stderr.txt"
    with open(err, "w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "sim.cli", *args], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=fh, start_new_session=True)
    return proc, err


def _wait_for(proc: subprocess.Popen, ready, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, f"the command ended before {what}"
        assert time.monotonic() < deadline, f"never {what}"
        time.sleep(0.05)


def _nothing_survives(proc: subprocess.Popen) -> None:
    """The command ends within 30 s of the signal, and its session within 5 s after it."""
    try:
        proc.wait(timeout=30)
    finally:
        left = _session(proc.pid)
        deadline = time.monotonic() + 5
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left = _session(proc.pid)
        for pid, _ in left:  # do not leave them to the next test
            os.kill(pid, signal.SIGKILL)
    assert left == [], f"processes outlived the command by 5 s: {left}"


def _points(out: Path) -> int:
    return len(list(out.glob("sweep-*/points/p*.json")))


@pytest.mark.system  # real processes signalled as a terminal and kill -9 do, seconds each
@pytest.mark.parametrize("executor, sig", [("process", signal.SIGTERM),
                                           ("dask", signal.SIGINT)])
def test_a_signalled_sweep_stops_cleanly_and_leaves_no_process(tmp_path, executor, sig):
    out = tmp_path / "res"
    proc, err = _start([*SWEEP, "--executor", executor, "--out", str(out)], tmp_path)
    _wait_for(proc, lambda: _points(out) >= 1, "a run was saved")
    os.killpg(proc.pid, sig)
    _nothing_survives(proc)
    stderr = err.read_text()
    assert proc.returncode == 128 + sig, stderr
    assert "Traceback" not in stderr
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "interrupted" in lines[0] and "saved in" in lines[0], stderr
    assert not list(out.glob("sweep-*/manifest.json"))


@pytest.mark.system
def test_a_compare_killed_with_sigkill_leaves_no_process(tmp_path):
    twin = tmp_path / "twin.yaml"
    twin.write_text(f"extends: {SMALL}\nname: twin\n", encoding="utf-8")
    proc, _ = _start(["compare", SMALL, str(twin), "-r", "40", "--days", "1.5", "--workers",
                      "2", "--no-progress", "--out", str(tmp_path / "res")], tmp_path)
    # the command, multiprocessing's resource tracker, the fork server and two workers
    _wait_for(proc, lambda: len(_session(proc.pid)) >= 5, "the workers started")
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    _nothing_survives(proc)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.system
def test_a_dead_worker_is_one_line_and_the_sweep_resumes(tmp_path):
    out = tmp_path / "res"
    args = [*SWEEP[:3], "channels.call_centre.staff=1:12:1", "-r", "1", *SWEEP[6:],
            "--out", str(out)]
    proc, err = _start(args, tmp_path)
    _wait_for(proc, lambda: _points(out) >= 1, "a run was saved")
    server = {pid for pid, cmd in _session(proc.pid) if "forkserver" in cmd}
    workers = [pid for pid in server
               if int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
               in server]  # forked by the fork server
    assert workers
    os.kill(workers[0], signal.SIGKILL)  # as the out-of-memory killer does
    _nothing_survives(proc)
    stderr = err.read_text()
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert "killed by SIGKILL" in stderr and "run the same command again" in stderr
    code, _, resumed = run_in_process([*args, "--executor", "serial"])
    assert code == 0, resumed
    assert "runs already done" in resumed
    (manifest,) = out.glob("sweep-*/manifest.json")
    assert '"rows":12' in manifest.read_text().replace(" ", "")
