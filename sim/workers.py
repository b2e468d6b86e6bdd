"""Worker processes for replications: forked from a fork server that has imported omnisim.

A spawned worker is a fresh interpreter: before its first job it spends about a second
importing SimPy, NumPy, pandas and Mesa, and after its last job it tears all of that down
again, while the other worker has already finished. With two workers on two cores those two
seconds are a tenth of a typical comparison. Here a *fork server* (a clean, single-threaded
process started from scratch, not a copy of the caller, which may be running a progress-bar
thread) imports omnisim once; every worker is forked from it, starts at once, and ends with
``os._exit``. :func:`start_early` starts the server while the caller is still reading its
scenario files, so the import happens on the other core. The workers of the Dask
``LocalCluster`` omnisim starts are forked from the same server (:mod:`sim.executors`).

Numbers do not depend on this: a job carries its own seeds (:mod:`sim.replicate`).
Where there is no fork server (Windows), workers are spawned as before.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

A = TypeVar("A")
R = TypeVar("R")

#: imported by the fork server, so that every worker forked from it starts with them
PRELOAD = ["sim.replicate"]


def context(also: Sequence[str] = ()) -> BaseContext:
    """The multiprocessing context every omnisim process pool uses.

    Args:
        also: modules the fork server imports besides :data:`PRELOAD`, if this call is the
            one that starts it (it is started once per process).
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([*PRELOAD, *also])
    return ctx


def start_early(also: Sequence[str] = ()) -> str:
    """Start the fork server now (its imports run while the caller goes on); a no-op when it
    is running already.

    Returns:
        The start method of omnisim's pools: ``"forkserver"``, or ``"spawn"`` where the
        platform has no fork server.
    """
    method = context(also).get_start_method()
    if method == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()
    return method


def start_early_for(executor: str, workers: int | None = None,
                    scheduler: str | None = None) -> None:
    """:func:`start_early`, if ``executor`` (of :func:`sim.executors.execute`) will run jobs
    in local worker processes: ``process`` with more than one worker, or ``dask`` without a
    scheduler (a LocalCluster, whose workers also import Dask)."""
    if executor == "process" and (workers or default_workers()) > 1:
        start_early()
    elif executor == "dask" and not scheduler:
        start_early(also=["distributed"])


def run_all(fn: Callable[[A], R], args: Sequence[A], workers: int,
            done: Callable[[int, R], None] | None = None) -> list[R]:
    """``fn(a)`` for every ``a`` of ``args``: here, one after another (``workers <= 1`` or a
    single item), or in a pool of ``workers`` processes of :func:`context`.

    Args:
        fn: a module-level function (it is pickled by name for the workers).
        args: its arguments, one job each.
        workers: processes.
        done: called in this process with ``(index, result)`` as each job finishes.

    Returns:
        The results in the order of ``args``. On an error or Ctrl-C the jobs not yet started
        are cancelled and the exception propagates.
    """
    results: list[Any] = [None] * len(args)
    if workers <= 1 or len(args) <= 1:
        for i, a in enumerate(args):
            results[i] = out = fn(a)
            if done is not None:
                done(i, out)
        return results
    with ProcessPoolExecutor(max_workers=min(workers, len(args)), mp_context=context()) as pool:
        futures = {pool.submit(fn, a): i for i, a in enumerate(args)}
        try:
            for fut in as_completed(futures):
                i = futures[fut]
                results[i] = out = fut.result()
                if done is not None:
                    done(i, out)
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
    return results


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - not Linux
        return max(os.cpu_count() or 1, 1)
