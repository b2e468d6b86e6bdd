"""``omnisim selfcheck``: the engine against queueing theory, as a table with intervals."""

from __future__ import annotations

import json
import math
import sys
import time
from typing import Any

import click

from sim.cli.common import console, progress_bar

CASE_KEYS = ("mmc", "erlang-a", "mm1", "jackson")
EXIT_FAILED = 1


def _num(x: float) -> str:
    if math.isnan(x):
        return ""
    return f"{x:.2f}" if abs(x) < 10 else f"{x:.1f}" if abs(x) < 1000 else f"{x:,.0f}"


@click.command()
@click.option("--case", "cases", multiple=True, type=click.Choice(CASE_KEYS),
              help="Run only this check (repeatable). Default: all of them.")
@click.option("--replications", "-r", type=click.IntRange(2, 1000), default=None,
              help="Replications per check (default: each check's own, 12-16).")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Worker processes (default: all cores).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the rows as one JSON object on stdout and nothing else.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when stderr is a terminal).")
def selfcheck(cases: tuple[str, ...], replications: int | None, workers: int | None,
              as_json: bool, progress: bool | None) -> None:
    """Check the engine against queueing theory and print theory vs simulation.

    Runs the shipped scenarios validation/* (omnisim scenarios list; ordinary files: one
    service segment, one channel, Poisson arrivals, exponential times) over replications
    and compares each station's measures with the exact formulas:

    \b
      mmc       M/M/c call centre: mean wait and P(wait) vs Erlang C
      erlang-a  M/M/c+M (callers abandon): P(abandon), mean wait, P(wait) vs Erlang A
      mm1       M/M/1: mean sojourn 1/(mu - lambda) and mean number in system
      jackson   Jackson network, call centre -> order desk -> billing with rework:
                sojourn per node vs product form, throughput vs traffic equations

    Each row shows the 95% interval over replications; a check passes when the distance
    to theory is within the Bonferroni-corrected interval plus a 1% allowance for finite
    runs (docs/validation.md). Little's law and customer conservation are checked exactly
    in every replication. Takes about a minute on 2 cores. Exit code 1 if a check fails.
    """
    from sim.workers import default_workers, start_early

    n_workers = workers or default_workers()
    if n_workers > 1:
        start_early()
    from sim.validation.suite import (
        CASES,
        comparisons_in,
        evaluate,
        run_suite,
    )

    chosen = [c for c in CASES if not cases or c.key in cases]
    show = sys.stderr.isatty() if progress is None else progress
    total = sum(replications or c.replications for c in chosen)
    t0 = time.perf_counter()
    with progress_bar(show, "selfcheck", "{task.completed}/{task.total} runs") as bar:
        task = bar.add_task("runs", total=total) if bar is not None else None
        reps = run_suite(chosen, n_workers, replications,
                         done=None if bar is None else lambda: bar.advance(task))
    k = comparisons_in(chosen)
    rows = [row for c in chosen for row in evaluate(c, reps[c.key], k)]
    wall = time.perf_counter() - t0
    failed = [r for r in rows if not r.ok]
    if as_json:
        click.echo(json.dumps({"ok": not failed, "wall_seconds": round(wall, 1),
                               "rows": [_jsonable(r) for r in rows]}, allow_nan=False))
    else:
        _print(chosen, rows, wall, n_workers)
    if failed:
        sys.exit(EXIT_FAILED)


def _jsonable(row: Any) -> dict[str, Any]:
    d = dict(row.__dict__)
    return {key: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for key, v in d.items()}


def _print(chosen: list[Any], rows: list[Any], wall: float, workers: int) -> None:
    from rich import box
    from rich.table import Table

    con = console()
    for case in chosen:
        mine = [r for r in rows if r.case == case.key]
        t = Table(title=f"[bold]{case.title}[/bold] ({case.scenario}, {mine[0].n} runs)",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
        t.add_column("check", no_wrap=True)
        t.add_column("theory", justify="right", no_wrap=True)
        t.add_column("simulated [95% CI]", justify="right", no_wrap=True)
        t.add_column("tolerance", justify="right", no_wrap=True)
        t.add_column("", no_wrap=True)
        for r in mine:
            if r.unit == "runs ok":
                theory, sim, tol = "all runs", f"{r.mean:.0f} of {r.theory:.0f}", "exact"
            elif r.unit == "rel. error":
                theory, sim, tol = "0", f"max {r.mean:.0e}", f"{r.tolerance:.0e}"
            else:
                theory = _num(r.theory)
                sim = f"{_num(r.mean)} [{_num(r.low)}, {_num(r.high)}]"
                tol = f"± {_num(r.tolerance)}"
            label = r.check if r.unit in ("", "rel. error", "runs ok") else f"{r.check}, {r.unit}"
            t.add_row(label, theory, sim, tol, "ok" if r.ok else "[bold red]FAILED[/bold red]")
        con.print(t)
    bad = sum(not r.ok for r in rows)
    verdict = "all passed" if not bad else f"[bold red]{bad} FAILED[/bold red]"
    con.print(f"{len(rows) - bad}/{len(rows)} checks {verdict} in {wall:.0f} s on {workers} "
              f"worker{'s' if workers > 1 else ''} (rule: docs/validation.md)")
