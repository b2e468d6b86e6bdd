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

Workers never outlive their caller. Their parent is the fork server, not the caller, and the
fork server stays up while any worker holds its "alive" pipe, so neither a parent-death
signal nor the fork server's own exit would end them; instead every worker runs
:func:`watch_parent`: a daemon thread that waits on a pidfd of the caller (polls it where
there is no pidfd) and ends the worker with ``os._exit`` the moment the caller is gone, even
after ``kill -9``. Once the workers are gone the fork server and multiprocessing's resource
tracker see end-of-file on their pipes and exit too. A worker ignores SIGINT: Ctrl-C in a
terminal reaches the whole process group, and the caller, not each worker, decides what
happens (it kills the workers at once, so no discarded job keeps computing); SIGTERM and
SIGKILL still end a worker. A worker that dies (the out-of-memory killer) makes
:func:`run_all` raise :class:`WorkerDied`, which names the signal.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

A = TypeVar("A")
R = TypeVar("R")

#: imported by the fork server, in this order, so that every worker forked from it starts with
#: them (the first makes the server and its workers ignore SIGINT: :mod:`sim.forkserver_init`)
PRELOAD = ["sim.forkserver_init", "sim.replicate"]
#: how often a worker without a pidfd checks that its caller is alive (seconds)
POLL_SECONDS = 0.5


class WorkerDied(RuntimeError):
    """A worker process died in the middle of the jobs (killed, e.g. out of memory)."""


def watch_parent(pid: int) -> None:
    """Make this worker end when process ``pid`` (the caller) ends, and ignore SIGINT.

    The initializer of every worker of :func:`run_all`; the thread it starts waits on a
    pidfd of ``pid`` (Linux 5.3 and later), else polls it every :data:`POLL_SECONDS`.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(pid,), name="omnisim-watch-parent",
                     daemon=True).start()


def _exit_with(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:  # gone already
        os._exit(1)
    except (AttributeError, OSError):  # pragma: no cover - no pidfd on this system
        while _alive(pid):
            time.sleep(POLL_SECONDS)
    else:
        select.select([fd], [], [])  # readable when the process has ended
    os._exit(1)


def _alive(pid: int) -> bool:  # pragma: no cover - only where there is no pidfd
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
        The results in the order of ``args``. On an error, Ctrl-C or SIGTERM (raised in this
        process) the jobs not yet started are cancelled, the workers are killed, so none
        goes on computing a job whose result nobody takes, and the exception propagates.

    Raises:
        WorkerDied: a worker process died (killed by a signal, e.g. out of memory).
    """
    results: list[Any] = [None] * len(args)
    if workers <= 1 or len(args) <= 1:
        for i, a in enumerate(args):
            results[i] = out = fn(a)
            if done is not None:
                done(i, out)
        return results
    before = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(max_workers=min(workers, len(args)), mp_context=context(),
                               initializer=watch_parent, initargs=(os.getpid(),))
    procs: list[Any] = []
    try:
        futures = {pool.submit(fn, a): i for i, a in enumerate(args)}
        procs = [p for p in multiprocessing.active_children() if p not in before]
        for fut in as_completed(futures):
            i = futures[fut]
            results[i] = out = fut.result()
            if done is not None:
                done(i, out)
    except BrokenProcessPool:
        raise WorkerDied(_death(procs)) from None
    except BaseException:  # Ctrl-C, SIGTERM, an error: no worker goes on with its job
        for p in procs:
            p.kill()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return results


def _death(procs: Sequence[Any]) -> str:
    """What became of the dead worker among ``procs``, as a sentence (the pool ends the
    others with SIGTERM once one has died, so that one is named last)."""
    codes = [(p.pid, p.exitcode) for p in procs if p.exitcode not in (None, 0)]
    codes.sort(key=lambda pc: pc[1] == -signal.SIGTERM)
    if not codes:
        return "a worker process died"
    pid, code = codes[0]
    if code > 0:
        return f"a worker process (pid {pid}) exited with code {code}"
    oom = " (out of memory, or kill -9)" if code == -signal.SIGKILL else ""
    return f"a worker process (pid {pid}) was killed by {signal.Signals(-code).name}{oom}"


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - not Linux
        return max(os.cpu_count() or 1, 1)
