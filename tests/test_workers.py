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
