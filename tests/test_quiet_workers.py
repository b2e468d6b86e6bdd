"""Issue 18, item 9: ``--workers 1`` starts no worker process, and a normal sweep and its
plot print no warnings (matplotlib's or anyone's) on stderr.

A real subprocess each, since the fork server of this test process may be running already
(other tests start it) and warnings filters are per process.
"""

from __future__ import annotations

import sys

import pytest
from cli_helpers import SMALL, run_subprocess

PROBE = """
import multiprocessing.forkserver as fs
from sim.workers import start_early_for
start_early_for("process", 1)
start_early_for("serial", 4)
print(fs._forkserver._forkserver_pid)
"""


def test_one_worker_starts_no_fork_server() -> None:
    import subprocess

    res = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True)
    assert res.stdout.strip() == "None", res.stdout


@pytest.mark.slow
def test_a_sweep_and_its_plot_print_no_warnings(tmp_path) -> None:
    res = run_subprocess("sweep", SMALL, "--vary", "channels.call_centre.staff=2,4", "-r", "2",
                         "--days", "2", "--workers", "1", "--out", str(tmp_path),
                         "--no-progress")
    assert "warn" not in res.stderr.lower(), res.stderr
    (folder,) = [p for p in tmp_path.rglob("manifest.json")
                 if '"sweep"' in p.read_text(encoding="utf-8")]
    res = run_subprocess("plot", str(folder.parent))
    assert "warn" not in res.stderr.lower(), res.stderr
