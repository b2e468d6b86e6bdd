"""Worker processes (sim/workers.py): forked from a fork server that has imported omnisim.

What is tested is the mechanism the speed-up rests on (that workers start with omnisim
imported, and are not children of the caller); that the numbers do not depend on the
executor is tested in test_sweep.py and test_compare.py, and the speed-up is measured in
benchmarks/parallel.py, not here.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import pytest

from sim import workers


def _state() -> dict:
    """What a worker sees before it runs any omnisim code (this module is not omnisim)."""
    return {"preloaded": [m for m in workers.PRELOAD if m in sys.modules],
            "parent": os.getppid(), "pid": os.getpid()}


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(),
                    reason="no fork server on this platform")
def test_workers_are_forked_from_a_server_that_imported_omnisim() -> None:
    assert workers.start_early() == "forkserver"
    assert workers.start_early() == "forkserver"  # a second call starts nothing new
    with ProcessPoolExecutor(2, mp_context=workers.context()) as pool:
        seen = [pool.submit(_state).result() for _ in range(4)]
    for s in seen:
        # the worker unpickled only this test module's function, yet omnisim is imported:
        # it came from the server's preload, so the worker paid no import time
        assert s["preloaded"] == workers.PRELOAD
        # the workers' parent is the fork server, not this process (which may run threads)
        assert s["parent"] != os.getpid()
    assert len({s["parent"] for s in seen}) == 1  # one server for every worker
    assert all(s["pid"] != os.getpid() for s in seen)


def test_default_workers_is_what_this_process_may_use() -> None:
    n = workers.default_workers()
    assert n >= 1
    if hasattr(os, "sched_getaffinity"):
        assert n == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("n", [1, 2])
def test_run_all_keeps_the_order_of_its_arguments(n: int) -> None:
    seen: list[tuple[int, int]] = []
    out = workers.run_all(abs, [-3, 1, -2, 5], n, done=lambda i, r: seen.append((i, r)))
    assert out == [3, 1, 2, 5]
    assert sorted(seen) == [(0, 3), (1, 1), (2, 2), (3, 5)]  # once each, in finishing order


def test_run_all_propagates_a_workers_error() -> None:
    with pytest.raises(TypeError):
        workers.run_all(abs, [1, "x", 2], 2)


def _die_or_sleep(seconds: float) -> float:
    """A job: ``-1`` kills its own worker with SIGKILL (as the out-of-memory killer does),
    otherwise it sleeps."""
    import signal
    import time

    if seconds < 0:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(seconds)
    return seconds


def test_a_killed_worker_is_one_clear_error_naming_the_signal() -> None:
    with pytest.raises(workers.WorkerDied, match=r"worker process \(pid \d+\) was killed by "
                                                  r"SIGKILL \(out of memory"):
        workers.run_all(_die_or_sleep, [0.0, -1.0, 0.0], 2)


def test_an_interrupt_kills_the_workers_at_once() -> None:
    """Ctrl-C (or SIGTERM, raised as KeyboardInterrupt) in the caller: run_all returns at once
    and no worker goes on with its (30 s) job."""
    import time

    def interrupt(i: int, _: float) -> None:
        raise KeyboardInterrupt

    before = set(multiprocessing.active_children())
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        workers.run_all(_die_or_sleep, [0.0, 30.0, 30.0], 2, done=interrupt)
    assert time.monotonic() - t0 < 10
    assert set(multiprocessing.active_children()) <= before


def test_a_worker_exits_when_its_caller_dies(tmp_path) -> None:
    """watch_parent: a process watching a caller that then dies ends at once (here the caller
    is a short-lived child, so this test process survives)."""
    import subprocess
    import time

    caller = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    watcher = multiprocessing.get_context("fork").Process(
        target=_watch_and_sleep, args=(caller.pid,))
    watcher.start()
    time.sleep(0.3)
    assert watcher.is_alive()
    caller.kill()
    watcher.join(timeout=5)
    caller.wait()
    assert watcher.exitcode == 1


def _watch_and_sleep(pid: int) -> None:
    import time

    workers.watch_parent(pid)
    time.sleep(30)
