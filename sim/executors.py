"""Where jobs run: in this process, in a local process pool, or on a Dask cluster.

A :class:`~sim.replicate.Job` is pure data and :func:`~sim.replicate.run_job` depends on
nothing but the job, so every executor gives the same numbers for the same jobs; only the
order in which jobs finish differs, and callers key results by job.

- ``serial``: one job after another in this process (debugging, profiling).
- ``process``: a pool of ``workers`` spawned processes (default: all cores).
- ``dask``: ``dask.distributed``. With a scheduler address (``tcp://host:port``) the jobs go
  to that cluster, whose workers must have omnisim installed; without one a ``LocalCluster``
  of ``workers`` single-threaded worker processes is started and closed. A worker that dies
  mid-job is replaced by its nanny and the job is rerun (``allowed-failures`` retries).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sim.replicate import Job, Outcome, default_workers, run_job, run_jobs

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
    if executor == "process":
        return run_jobs(jobs, max(n, 2) if len(jobs) > 1 else 1, done)
    if executor == "dask":
        return _dask(jobs, n, scheduler, done)
    raise ValueError(f"unknown executor {executor!r}")


def _dask(jobs: list[Job], workers: int, scheduler: str | None,
          done: Done | None) -> list[Outcome]:
    import logging

    import dask
    from dask.distributed import Client, LocalCluster, as_completed

    # the cluster's own start-up chatter is not for the user's terminal
    logging.getLogger("distributed").setLevel(logging.ERROR)
    cluster = None
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError) as err:
                raise ExecutorError(f"--scheduler {scheduler}: cannot reach a Dask scheduler "
                                    f"({err})") from None
        else:
            # workers sample their own stacks every 10 ms for Dask's dashboard profiler by
            # default; nothing here reads those profiles, so they would only cost CPU
            with dask.config.set({"distributed.worker.profile.enabled": False}):
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                       processes=True, dashboard_address=None,
                                       silence_logs=logging.ERROR)
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
            except BaseException:
                client.cancel(futures)
                raise
            return [results[i] for i in range(len(jobs))]
    finally:
        if cluster is not None:
            cluster.close()
