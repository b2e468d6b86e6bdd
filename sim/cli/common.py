"""What every ``omnisim`` subcommand shares: errors, exit codes, the console, progress bars,
number formatting, and the options that choose where jobs run.

Subcommand modules import from here, never from :mod:`sim.cli` itself, which imports them
to register their commands (so there is no import cycle). Only click is imported at module
level; rich and omnisim's engine are imported when a command needs them, so ``omnisim
--help`` stays instant.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from rich.console import Console

    from sim.replicate import Job, Outcome

#: exit code of bad input: one line ``omnisim: error: ...`` on stderr, no traceback
EXIT_BAD_INPUT = 2
#: exit code of a run that finished but failed its self-checks (conservation, Little's law):
#: its folder is kept with status "failed", one line names the checks
EXIT_CHECKS_FAILED = 1
#: exit code after Ctrl-C (128 + SIGINT, as a shell reports it)
EXIT_INTERRUPTED = 130
#: exit code after SIGTERM (128 + SIGTERM), which is cleaned up exactly as Ctrl-C
EXIT_TERMINATED = 143
#: exit code of a command whose work failed: a worker process died (one line on stderr)
EXIT_FAILED = 1

#: where jobs run (:func:`sim.executors.execute`)
EXECUTORS = ("serial", "process", "dask")
#: the counter of a progress bar over simulated days
DAYS = "day {task.completed:.0f}/{task.total:.0f}"


class CliError(Exception):
    """Bad input found by the CLI itself (reported as one line with exit code 2)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread where Ctrl-C raises KeyboardInterrupt, so that every
    ``except KeyboardInterrupt`` and ``finally`` cleans up after it the same way."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated()


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block SIGTERM raises :class:`Terminated` (in the main thread only: a
    handler cannot be set elsewhere); the previous handler is restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def interrupt_exit_code(exc: BaseException) -> int:
    """:data:`EXIT_TERMINATED` if ``exc`` is (or was raised from) SIGTERM, else
    :data:`EXIT_INTERRUPTED`."""
    while exc is not None:
        if isinstance(exc, Terminated):
            return EXIT_TERMINATED
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return EXIT_INTERRUPTED


def format_value(value: Any, fmt: str) -> str:
    """``fmt.format(value)``; ``"n/a"`` for None, and ``str(value)`` if the format does not
    apply (a text where a number was expected).

    >>> format_value(0.1234, "{:.1%}"), format_value(None, "{:,.0f}"), format_value("x", "{:.1f}")
    ('12.3%', 'n/a', 'x')
    """
    if value is None:
        return "n/a"
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def console(stderr: bool = False) -> Console:
    """A rich console on stdout (or stderr) without syntax highlighting."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def progress_bar(enabled: bool, label: str, counter: str = DAYS) -> Any:
    """A transient rich progress bar on stderr, or a no-op context that yields None.

    Args:
        enabled: False gives ``nullcontext(None)`` (no terminal, ``--no-progress``).
        label: the bar's name, shown in bold.
        counter: the format of the count after the bar (``task.completed``, ``task.total``);
            default: simulated days.
    """
    from contextlib import nullcontext

    if not enabled:
        return nullcontext(None)
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn(f"[bold]{label}"), BarColumn(), TextColumn(counter),
                    TimeRemainingColumn(), console=console(stderr=True), transient=True)


# ------------------------------------------------------------------- where jobs run
_executor_option = click.option(
    "--executor", type=click.Choice(EXECUTORS), default="process", show_default=True,
    help="serial: this process; process: a local pool; dask: a Dask cluster (--scheduler) "
         "or a LocalCluster.")
_scheduler_option = click.option(
    "--scheduler", default=None, metavar="ADDRESS",
    help="Dask scheduler to join, e.g. tcp://10.0.0.5:8786 (--executor dask).")

F = TypeVar("F", bound=Callable[..., Any])


def executor_options(command: F) -> F:
    """The options ``--executor`` and ``--scheduler`` of a command that runs jobs (its
    function takes ``executor`` and ``scheduler``; check them with :func:`check_executor`)."""
    return _executor_option(_scheduler_option(command))


#: a Dask scheduler address: [protocol://]host:port (Dask itself raises a bare ValueError
#: from deep inside its client on anything else)
_SCHEDULER = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx)://)?(?:[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])"
                        r":(?:\d{1,5})/?$")


force_option = click.option(
    "--force", is_flag=True,
    help="Run even if the run-size estimate (customers, event-log rows, memory) is past its "
         "limit (see docs/architecture.md, 'Run size').")


def check_size(loaded: Any, force: bool) -> None:
    """Refuse a run estimated past the limits of :mod:`sim.budget`, unless ``force``."""
    if not force:
        from sim import budget

        budget.check(loaded.scenario, str(loaded.path or loaded.scenario.name))


def check_executor(executor: str, scheduler: str | None, workers: int | None) -> None:
    """Reject ``--scheduler`` without ``--executor dask`` or that is no address; then start
    the fork server of the local worker processes, if the executor uses some, so that their
    imports overlap with the caller's planning (:func:`sim.workers.start_early_for`)."""
    if scheduler and executor != "dask":
        raise CliError("--scheduler needs --executor dask")
    if scheduler is not None and not _SCHEDULER.match(scheduler):
        shown = scheduler if len(scheduler) <= 100 else f"{scheduler[:100]}..."
        raise CliError(f"--scheduler {shown!r}: expected a Dask scheduler address "
                       "[protocol://]host:port, such as tcp://10.0.0.5:8786")
    from sim.workers import start_early_for

    start_early_for(executor, workers, scheduler)


def run_jobs(jobs: Sequence[Job], executor: str, workers: int | None, scheduler: str | None,
             *, show: bool, label: str, counter: str, total: int | None = None,
             done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Run ``jobs`` with :func:`sim.executors.execute` under a :func:`progress_bar`.

    Args:
        jobs: the jobs to run.
        executor, workers, scheduler: where they run (the command's options).
        show: whether to show the bar; ``label`` and ``counter`` are its text.
        total: the bar's total (default: the number of jobs); the bar starts at
            ``total - len(jobs)`` (a resumed sweep).
        done: called in this process with each outcome as its job finishes.

    Returns:
        The outcomes in the order of ``jobs``.

    Raises:
        CliError: if the executor cannot start (no Dask scheduler at the address).
    """
    from sim.executors import ExecutorError, execute

    total = len(jobs) if total is None else total
    with progress_bar(show, label, counter) as bar:
        task = None if bar is None else bar.add_task(label, total=total,
                                                     completed=total - len(jobs))

        def finished(outcome: Outcome) -> None:
            if done is not None:
                done(outcome)
            if bar is not None:
                bar.advance(task)

        try:
            return execute(jobs, executor, workers, scheduler, done=finished)
        except ExecutorError as err:
            raise CliError(str(err)) from None


def plural(n: float, word: str) -> str:
    """``1 segment``, ``2 segments``, ``0.5 days``: the count and the word, pluralised by ``s``."""
    return f"{n:g} {word}" + ("" if n == 1 else "s")
