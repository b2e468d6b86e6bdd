"""``omnisim sweep``: vary scenario fields over a design, with replications, resumable."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from sim.cli.common import (
    EXIT_CHECKS_FAILED,
    EXIT_FAILED,
    CliError,
    check_executor,
    check_size,
    console,
    executor_options,
    force_option,
    interrupt_exit_code,
    run_jobs,
)
from sim.cli.kpichoice import check_keys, select
from sim.cli.workbook import check_xlsx, xlsx_option


@click.command()
@click.argument("scenario")
@click.option("--vary", "varies", multiple=True, required=True, metavar="PATH=SPEC",
              help="A field and its values (repeatable): a list '4,8,16', a range "
                   "'4:20:2' (stop included), units allowed ('1 h:25 h:12 h'); with "
                   "--design lhs also 'low:high' (whole-number bounds such as '2:8' draw integers; "
                   "write '0.0:1.0' for a continuous share).")
@click.option("--design", type=click.Choice(["full", "lhs"]), default="full", show_default=True,
              help="full: every combination; lhs: a Latin hypercube of --samples points.")
@click.option("--samples", type=click.IntRange(2, 100_000), default=None,
              help="Points of a Latin hypercube (--design lhs).")
@click.option("--replications", "-r", type=click.IntRange(1, 10_000), default=5,
              show_default=True, help="Replications per point (seeds seed..seed+r-1 at every "
                                      "point: common random numbers).")
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True, help="Base seed.")
@click.option("--days", type=float, default=None,
              help="Simulated days (default: the scenario's horizon).")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a field at every point (repeatable).")
@executor_options
@click.option("--workers", type=click.IntRange(1, 1024), default=None,
              help="Worker processes for process/LocalCluster (default: all cores).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("results"),
              show_default=True, help="Results root; the sweep goes to OUT/sweep-NAME+HASH/.")
@click.option("--kpi", "kpis", multiple=True, metavar="KEY",
              help="KPIs shown in the terminal table and the JSON (repeatable; a family such "
                   "as 'utilisation' gives all its children; every KPI is saved; default: "
                   "the registry's sweep KPIs in the table, all in the JSON; docs/kpis.md).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the sweep's table (per point: parameters, each KPI's mean and "
                   "95% interval) as one JSON object on stdout and nothing else.")
@xlsx_option
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when stderr is a terminal).")
@force_option
def sweep(scenario: str, varies: tuple[str, ...], design: str, samples: int | None,
          replications: int, seed: int, days: float | None, overrides: tuple[str, ...],
          executor: str, scheduler: str | None, workers: int | None, out: Path,
          kpis: tuple[str, ...], as_json: bool, xlsx: Path | None,
          progress: bool | None, force: bool) -> None:
    """Sweep SCENARIO over parameters, with replications, into one tidy table.

    Every point x replication is saved the moment it finishes, so running the same command
    again resumes after a crash or Ctrl-C (and only new replications run if you raise -r).
    The table (results.parquet / results.csv: one row per point x replication with every
    varied parameter, the seed and every KPI; durations in hours) and manifest.json are
    written when all points are done. Plot it with 'omnisim plot OUT/sweep-...'.

    \b
    Examples:
      omnisim sweep baseline --vary channels.call_centre.staff=2:6:1 \\
          --vary links.stock_sync.interval=1h,6h,24h -r 5 --days 30
      omnisim sweep baseline --design lhs --samples 40 \\
          --vary segments.consumer.after_sale.status_lookup=0.0:1.0 \\
          --vary channels.call_centre.staff=2:8 --executor dask
      omnisim sweep baseline --vary channels.call_centre.staff=2,4 --json --kpi revenue
      omnisim sweep baseline --vary channels.call_centre.staff=2,4 --xlsx staff.xlsx
    """
    from sim.runner import prepare
    from sim.sweep import SweepError, check_points, open_folder, parse_vary, plan_sweep
    from sim.workers import WorkerDied

    check_keys(kpis, also=("wait_hours.",))  # before anything runs, not after the sweep
    check_xlsx(xlsx)
    check_executor(executor, scheduler, workers)  # local workers import while we plan
    try:
        parsed = [parse_vary(v) for v in varies]

        def check(sets: tuple[str, ...]) -> str:
            loaded = prepare(scenario, sets, seed=seed, days=days)
            check_size(loaded, force)  # every point's run, as run and compare check theirs
            return loaded.resolved_yaml()

        sw = plan_sweep(scenario, parsed, design, samples, replications, seed, days,
                        overrides, out, check)
    except SweepError as err:
        raise CliError(str(err)) from None
    jobs = sw.jobs()
    check_xlsx(xlsx, rows=len(jobs))
    done, bad = sw.saved()
    _report_bad(bad)
    todo = [j for j in jobs if (j.scenario_index, j.replication) not in done]
    check_points(sw, todo, check)  # only points with work left: resuming stays instant
    open_folder(sw)
    show = sys.stderr.isatty() if progress is None else progress
    if len(todo) < len(jobs):
        click.echo(f"resuming {sw.folder}: {len(jobs) - len(todo)} of {len(jobs)} runs "
                   "already done", err=True)
    t0 = time.perf_counter()
    try:
        _run(sw, todo, len(jobs), executor, workers, scheduler, show)
    except (KeyboardInterrupt, WorkerDied) as exc:
        n = len(sw.done() & {(j.scenario_index, j.replication) for j in jobs})
        what = f"error: {exc}" if isinstance(exc, WorkerDied) else "interrupted"
        click.echo(f"omnisim: {what}; {n} of {len(jobs)} runs are saved in {sw.folder}; "
                   "run the same command again to finish", err=True)
        sys.exit(EXIT_FAILED if isinstance(exc, WorkerDied) else interrupt_exit_code(exc))
    from sim.sweep import finish

    folder = finish(sw, {"executor": executor, "wall_seconds_this_call":
                         round(time.perf_counter() - t0, 3), "runs_this_call": len(todo)})
    _fail_on_checks(folder)
    _show(folder, sw, kpis, as_json, xlsx)


def _fail_on_checks(folder: Path) -> None:
    """As ``run`` does: a sweep with a run whose self-checks failed (its manifest has status
    "failed", written by :func:`sim.sweep.finish`) fails the command, exit 1."""
    import json

    from sim.results import MANIFEST

    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("all_checks_passed", True):
        return
    click.echo(f"omnisim: error: self-checks failed in some runs of the sweep (see the "
               f"checks_ok column of {folder / 'results.csv'}; {folder / MANIFEST}: status "
               "\"failed\")", err=True)
    sys.exit(EXIT_CHECKS_FAILED)


def _report_bad(bad: list[str]) -> None:
    """One warning line for the point files that hold no complete record (run again)."""
    if bad:
        more = f" (and {len(bad) - 1} other point files)" if len(bad) > 1 else ""
        click.echo(f"omnisim: warning: {bad[0]}{more}; running again what they held", err=True)


def _default_kpis() -> list[str]:
    """The KPIs the registry flags for the sweep table."""
    from sim.kpis.registry import View, shown_in

    return [k.key for k in shown_in(View.SWEEP)]


def _run(sw: Any, todo: list, total: int, executor: str, workers: int | None,
         scheduler: str | None, show: bool) -> None:
    from sim.sweep import save_outcome

    if not todo:
        return
    run_jobs(todo, executor, workers, scheduler, show=show, label="sweep",
             counter="{task.completed}/{task.total} runs", total=total,
             done=lambda o: save_outcome(sw, o))


def _show(folder: Path, sw: Any, kpis: tuple[str, ...], as_json: bool,
          xlsx: Path | None) -> None:
    """The sweep's table on the terminal (or as JSON), and its workbook."""
    import json

    from analysis import load
    from analysis.points import kpi_columns, point_summary, points

    res = load(folder)
    available = kpi_columns(res.table, res.parameters)
    if kpis:
        keys = select(kpis, available)
    else:
        keys = available if as_json else [k for k in _default_kpis() if k in available]
    if xlsx is not None:
        from analysis.workbook import write_workbook

        write_workbook(res, xlsx)
    rows = points(res.table, res.parameters, point_summary(res.table, res.parameters, keys))
    if as_json:
        m = res.manifest
        click.echo(json.dumps({
            "scenario": sw.scenario, "label": res.label, "seed": sw.seed, "ref": sw.ref,
            "folder": str(folder),
            "parameters": res.parameters, "design": sw.design,
            "replications": sw.replications, "seeds": m["seeds"], "days": sw.days,
            "overrides": list(sw.overrides), "currency": res.currency, "points": rows,
        }, allow_nan=False))
        return
    from sim.cli.tables import sweep_tables

    for r, point in zip(rows, sw.points, strict=True):
        r["values"] = dict(zip(res.parameters, point, strict=True))  # as written: "1 h"
    con = console()
    title = f"{sw.scenario}: means ±95% CI over {sw.replications} replications"
    for table in sweep_tables(title, res.parameters, rows, keys, res.currency, con.width):
        con.print(table)
    con.print(f"Results: {folder} (results.parquet/csv, manifest.json)")
    if xlsx is not None:
        con.print(f"Workbook: {xlsx}")
