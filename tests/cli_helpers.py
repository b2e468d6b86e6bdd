"""Running the ``omnisim`` command from tests: in this process, or as a real subprocess."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
#: a small, quick company for sweep, plot and report tests
SMALL = str(ROOT / "tests" / "scenarios" / "small.yaml")


def run_in_process(argv: list[str]) -> tuple[int, str, str]:
    """``omnisim ARGV`` in this process: (exit code, stdout, stderr). An exception other
    than SystemExit (a traceback for the user) propagates and fails the test."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


@contextmanager
def no_hang(seconds: int) -> Iterator[None]:
    """Fail instead of hanging: SIGALRM raises in the main thread after ``seconds``."""

    def alarm(signum: int, frame: Any) -> None:
        raise TimeoutError(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run_subprocess(*args: str, check: bool = True, **kw: Any) -> subprocess.CompletedProcess:
    """``python -m sim.cli ARGS`` in the repository root, with a random hash seed; asserts
    exit code 0 unless ``check`` is False."""
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    res = subprocess.run([sys.executable, "-m", "sim.cli", *args], capture_output=True,
                         text=True, env=env, cwd=ROOT, **kw)
    if check:
        assert res.returncode == 0, res.stderr
    return res


def omnisim_ok(argv: list[str]) -> str:
    """``omnisim ARGV`` in this process; asserts exit code 0 and returns stdout."""
    code, out, err = run_in_process(argv)
    assert code == 0, f"omnisim {' '.join(argv)}: exit {code}\n{err}"
    return out


def copy_of(folder: Path, tmp_path: Path) -> Path:
    """A copy of a shared results folder under ``tmp_path`` (same folder names, so what
    reads ``folder.parents`` sees the same layout), for a test that changes it."""
    target = tmp_path / folder.parent.name / folder.name
    shutil.copytree(folder, target)
    return target


def break_money_check(monkeypatch: Any) -> None:
    """Make every run's money conservation check report a failure (runs in this process)."""
    from sim import checks

    real = checks.conservation

    def broken(model: Any, scanned: Any) -> dict[str, Any]:
        out = real(model, scanned)
        out["money"] = {**out["money"], "ok": False}
        return out

    monkeypatch.setattr(checks, "conservation", broken)
