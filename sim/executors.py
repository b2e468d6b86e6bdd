"""Where jobs run: in this process, in a local process pool, or on a Dask cluster.

A :class:`~sim.replicate.Job` is pure data and :func:`~sim.replicate.run_job` depends on
nothing but the job, so every executor gives the same numbers for the same jobs; only the
order in which jobs finish differs, and callers key results by job.

- ``serial``: one job after another in this process (debugging, profiling).
- ``process``: a pool of ``workers`` processes (default: all cores), forked from a fork
  server that has imported omnisim once (:mod:`sim.workers`); with one worker (or one job)
  the jobs run in this process, as with ``serial``.
- ``dask``: ``dask.distributed``. With a scheduler address (``tcp://host:port``) the jobs go
  to that cluster, whose workers must have omnisim installed; without one a ``LocalCluster``
  of ``workers`` single-threaded worker processes (forked like the process executor's) is
  started and closed. A worker that dies mid-job is replaced by its nanny and the job is
  rerun (``allowed-failures`` retries); a job that has killed its workers that often raises
  :class:`~sim.workers.WorkerDied`, as a dead worker of the process pool does. The workers
  of a LocalCluster ignore SIGINT (:mod:`sim.forkserver_init`): Ctrl-C is this process's to
  handle, which cancels the jobs and closes the cluster; they also exit by themselves when
  this process dies (Dask's nanny pipe).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sim.replicate import Job, Outcome, run_job, run_jobs
from sim.workers import WorkerDied, default_workers, start_early

if TYPE_CHECKING:
    from dask.distributed import LocalCluster

Done = Callable[[Outcome], None]


class ExecutorError(RuntimeError):
    """The executor could not be started (e.g. no Dask scheduler at the address)."""


def execute(jobs: Sequence[Job], executor: str = "process", workers: int | None = None,
            scheduler: str | None = None, done: Done | None = None) -> list[Outcome]:
    """Run ``jobs``; ``done`` is called in this process as each job finishes.

    Returns:
        The outcomes in the order of ``jobs``.
    """
    jobs = list(jobs)
    if not jobs:
        return []
    n = workers or default_workers()
    if executor == "serial":
        return run_jobs(jobs, 1, done)
    if executor == "process":  # one worker, or one job: in this process
        return run_jobs(jobs, n, done)
    if executor == "dask":
        return _dask(jobs, n, scheduler, done)
    raise ValueError(f"unknown executor {executor!r}")


def _dask(jobs: list[Job], workers: int, scheduler: str | None,
          done: Done | None) -> list[Outcome]:
    import logging

    from dask.distributed import Client, as_completed
    from distributed.scheduler import KilledWorker

    # the cluster's own start-up chatter is not for the user's terminal
    logging.getLogger("distributed").setLevel(logging.ERROR)
    cluster = None
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as err:
                raise ExecutorError(f"--scheduler {scheduler}: cannot reach a Dask scheduler "
                                    f"({err})") from None
        else:
            cluster = local_cluster(workers)
            client = Client(cluster)
        with client:
            keys = [f"omnisim-job-{j.scenario_index}-{j.replication}-{j.seed}-{i}"
                    for i, j in enumerate(jobs)]
            futures = client.map(run_job, jobs, key=keys, pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            results: dict[int, Outcome] = {}
            try:
                for fut in as_completed(futures):
                    out = fut.result()
                    results[index[fut.key]] = out
                    if done is not None:
                        done(out)
            except KilledWorker as err:
                client.cancel(futures)
                raise WorkerDied(f"Dask workers died running job {err.args[0]} "
                                 f"{err.args[2] + 1} times (out of memory?)") from None
            except BaseException:
                # stopped (Ctrl-C, SIGTERM): the scheduler's complaints about the work cancelled
                # now ("Couldn't gather keys ... forgotten") are not news for the user
                _hush_dask(logging.CRITICAL)
                client.cancel(futures)
                raise
            return [results[i] for i in range(len(jobs))]
    finally:
        if cluster is not None:
            cluster.close()


#: Dask settings for the LocalCluster omnisim starts (a cluster given by ``--scheduler`` keeps
#: its own). By default every worker samples its own stack every 10 ms for the dashboard's
#: profiler, and the event loops of the workers and the scheduler wake every 20 ms (tick),
#: 100 ms (memory monitor) and 500 ms (system monitor) for the dashboard's gauges. Nothing here
#: shows a dashboard, and with one single-threaded worker per core each wake-up takes the core
#: (and the worker's GIL) from a replication: measured on 2 cores (spawned workers), 8
#: replications of the baseline took 28.5 s with the defaults and 24.6 s with these (median of
#: three paired runs); an idle 2-worker cluster used 7.3% of a core before and 1.3% after.
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}


def _hush_dask(level: int) -> None:
    """Raise the level of Dask's loggers and of their handlers to ``level``."""
    import logging

    for name in ("distributed", "distributed.scheduler", "distributed.client",
                 "distributed.worker", "distributed.nanny", "distributed.core"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        for handler in logger.handlers:
            handler.setLevel(level)


def local_cluster(workers: int) -> LocalCluster:
    """A LocalCluster of ``workers`` single-threaded worker processes on this machine."""
    import logging

    import dask
    from dask.distributed import LocalCluster

    # the workers are forked from omnisim's fork server (sim.workers), which has imported
    # omnisim, and Dask too if this is the call that starts it
    method = start_early(also=["distributed"])
    config = {**LOCAL_CLUSTER_CONFIG, "distributed.worker.multiprocessing-method": method}
    # servers and workers read these when they are created (the nannies pass them on)
    with dask.config.set(config):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                            dashboard_address=None, silence_logs=logging.ERROR)
