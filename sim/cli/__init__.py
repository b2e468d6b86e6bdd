"""The ``omnisim`` command line: a thin click layer over :mod:`sim.runner`.

Subcommands: ``run`` and ``scenarios`` here, the others in their own modules
(:mod:`sim.cli.compare`, :mod:`sim.cli.sweep` ...), imported at the top and registered on the
group at the bottom; what they share (errors, exit codes, console, progress bars, the
executor options) is in :mod:`sim.cli.common`.

This is the only package that prints. Bad input (a scenario file, an option, a results
folder) ends with one line ``omnisim: error: ...`` on stderr and exit code 2, never a
traceback; Ctrl-C ends with exit code 130 and leaves no results folder behind, and SIGTERM is
handled as Ctrl-C (exit code 143); no worker process outlives the command
(:mod:`sim.workers`). A worker process that dies (killed by the out-of-memory killer) ends
the command with one line naming the signal and exit code 1; a sweep keeps what finished and
resumes when run again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from sim import __version__
from sim.cli import authoring, compare, export, plot, selfcheck, sweep, workshop
from sim.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_CHECKS_FAILED,
    EXIT_FAILED,
    CliError,
    check_size,
    console,
    force_option,
    format_value,
    interrupt_exit_code,
    plural,
    progress_bar,
    sigterm_as_interrupt,
)
from sim.cli.workbook import check_xlsx, write_xlsx, xlsx_option


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="omnisim")
def cli() -> None:
    """Simulate a company's omni-channel lead-to-cash flow and ask what a maturity step does.

    \b
    Quick start:
      omnisim scenarios list                 shipped companies and maturity phases
      omnisim run baseline                   90 days of the baseline company, KPI table
      omnisim run baseline --days 30 --set channels.call_centre.staff=8
      omnisim run my-company.yaml --json     KPIs as one JSON object on stdout
      omnisim compare --ladder total-commerce    the six maturity phases, with 95% CIs
      omnisim sweep baseline --vary channels.call_centre.staff=2:8:2 -r 5
      omnisim plot results/compare-total-commerce/seed-1   figures; 'report' for HTML
      omnisim workshop                       the class page on http://127.0.0.1:8765
      omnisim selfcheck                      the engine against queueing theory

    Scenario files are YAML (see docs/scenarios.md); every outcome (abandonment, DSO, cost)
    comes out of the simulated flow, never from a number in the file.
    """


@cli.command()
@click.argument("scenario")
@click.option("--seed", type=int, default=None,
              help="Random seed (default: the scenario's). Same seed, same numbers.")
@click.option("--days", type=float, default=None,
              help="Simulated days (default: the scenario's horizon).")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a scenario field, e.g. --set links.stock_sync.interval='1 h'. "
                   "Repeatable; values are type-checked like the file.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("results"),
              show_default=True, help="Results root; the run goes to OUT/<name>/seed-<seed>/ "
                   "(the scenario's name, with the --set and --days of a variant).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object on stdout and nothing else: scenario, label, seed, "
                   "days, folder, overrides, warnings and the KPIs under 'kpis'.")
@xlsx_option
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when stderr is a terminal).")
@force_option
def run(scenario: str, seed: int | None, days: float | None, overrides: tuple[str, ...],
        out: Path, as_json: bool, xlsx: Path | None, progress: bool | None,
        force: bool) -> None:
    """Run SCENARIO (a file, or a shipped name such as 'baseline') and show its KPIs.

    Writes a results folder with the resolved scenario, KPIs, a time series, the event log
    (Parquet) and a manifest; the folder only appears once the run is complete.
    """
    from sim.labels import command_line, made_by
    from sim.runner import prepare, run_label, run_to_folder

    check_xlsx(xlsx)
    loaded = prepare(scenario, overrides, seed=seed, days=days)
    check_size(loaded, force)
    label = run_label(loaded, overrides, days)
    sc = loaded.scenario
    made = made_by(sc.name, overrides, sc.horizon / 24.0, sc.seed, 1,
                   command_line("run", [scenario], overrides, days=days, seed=seed))
    show = sys.stderr.isatty() if progress is None else progress
    total_days = loaded.scenario.horizon / 24.0
    with progress_bar(show, loaded.scenario.name) as bar:
        task = bar.add_task("run", total=total_days) if bar is not None else None

        def tick(now: float, end: float) -> None:
            if bar is not None:
                bar.update(task, completed=now / 24.0)

        folder, rep = run_to_folder(loaded, out, label, progress=tick, made_by=made)
    for warning in rep.warnings:
        click.echo(f"omnisim: warning: {warning}", err=True)
    from sim.checks import failed

    bad = failed(rep.checks)
    if bad:
        click.echo(f"omnisim: error: the run's self-checks failed ({', '.join(bad)}; see "
                   f"'checks' in {folder / 'manifest.json'}, status \"failed\")", err=True)
        sys.exit(EXIT_CHECKS_FAILED)
    if xlsx is not None:
        write_xlsx(folder, xlsx)
    if as_json:
        click.echo(json.dumps({"scenario": sc.name, "label": label, "seed": sc.seed,
                               "days": sc.horizon / 24.0, "folder": str(folder),
                               "overrides": made["overrides"], "warnings": rep.warnings,
                               "kpis": rep.kpis}, sort_keys=True, allow_nan=False))
        return
    _print_run(label, sc.currency, rep, folder)


def _print_run(label: str, currency: str, rep: Any, folder: Path) -> None:
    from rich.table import Table

    from sim.kpis.display import heading
    from sim.kpis.registry import View, shown_in

    con = console()
    t = Table(title=f"{label}: KPIs after warm-up", title_justify="left")
    t.add_column("KPI")
    t.add_column("value", justify="right")
    t.add_column("key", style="dim")
    for k in shown_in(View.RUN):
        t.add_row(heading(k, currency), format_value(rep.kpis.get(k.key), k.format_spec), k.key)
    con.print(t)
    util = sorted(rep.kpis["utilisation"].items(), key=lambda kv: -kv[1])[:6]
    con.print("Busiest resources: " + ", ".join(f"{n} {u:.0%}" for n, u in util))
    con.print(f"Bottleneck (busiest while open): [bold]{rep.bottleneck or 'none'}[/bold] "
              f"at {rep.bottleneck_utilisation:.0%} utilisation")
    for cause, words in (("busy", "for a busy server"), ("closed", "for the opening"),
                         ("batch", "for a batch run")):
        top = sorted(rep.waiting.get(cause, {}).items(), key=lambda kv: -kv[1])[:3]
        if top:
            con.print(f"Waiting {words}: " + ", ".join(f"{n} {h:,.0f} h" for n, h in top))
    ok = all(v["ok"] for v in rep.checks["conservation"].values()) and \
        rep.checks["little"]["ok"]
    con.print(f"Self-checks (conservation, Little's law): {'passed' if ok else 'FAILED'}")
    con.print(f"Results: {folder}  ({rep.wall_seconds:.1f} s)")


@cli.group()
def scenarios() -> None:
    """List, show, validate, compare (diff) and start (init) scenario files."""


@scenarios.command("list")
def scenarios_list() -> None:
    """Shipped scenarios with their one-line descriptions."""
    from rich.table import Table

    from sim.scenario import list_shipped

    t = Table(show_header=True)
    t.add_column("name")
    t.add_column("description")
    for name, _, desc in list_shipped():
        t.add_row(name, desc)
    console().print(t)


@scenarios.command("show")
@click.argument("name")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Apply overrides before showing.")
def scenarios_show(name: str, overrides: tuple[str, ...]) -> None:
    """Print the resolved scenario (extends and overrides applied) as YAML."""
    from sim.scenario import load

    click.echo(load(name, overrides).resolved_yaml(), nl=False)


@scenarios.command("validate")
@click.argument("files", nargs=-1, required=True)
def scenarios_validate(files: tuple[str, ...]) -> None:
    """Validate scenario FILES; one line per file, exit 2 if any is invalid. A declared
    resource that can get no work in the scenario is warned about, one line each (stderr)."""
    from sim.scenario import ScenarioError, load
    from sim.scenario.reach import idle_resources

    bad = 0
    for f in files:
        try:
            sc = load(f).scenario
            click.echo(f"{f}: ok ({sc.name}, {plural(len(sc.segments), 'segment')}, "
                       f"{plural(len(sc.channels), 'channel')}, "
                       f"{plural(sc.horizon / 24, 'day')})")
            for name, why in idle_resources(sc).items():
                click.echo(f"omnisim: warning: {f}: {name} gets no work: {why}", err=True)
        except ScenarioError as exc:
            bad += 1
            click.echo(f"omnisim: error: {exc}", err=True)
    if bad:
        sys.exit(EXIT_BAD_INPUT)


@scenarios.command("steady")
@click.argument("scenario")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Apply overrides first (as for run).")
@click.option("-r", "--replications", type=click.IntRange(1, 100), default=2, show_default=True,
              help="Runs to measure over (seeds seed, seed+1, ...).")
@click.option("--days", type=click.FloatRange(min=150.0), default=730.0, show_default=True,
              help="Length of each measuring run; the first 120 days are left out.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when stderr is a terminal).")
def scenarios_steady(scenario: str, overrides: tuple[str, ...], replications: int, days: float,
                     progress: bool | None) -> None:
    """Measure the customer base SCENARIO keeps by itself, per segment.

    A run starts with each segment's existing_customers. If that is not the size the
    scenario's own flow keeps, the base drifts for years and throughput, revenue and DSO depend
    on how long you simulate. This runs the scenario for --days, measures per segment how many
    customers join the base per day (first orders) and how long a member stays, and
    prints the size at which the two balance (Little's law), with a 95% interval over the
    replications, and the lines to put into the scenario file: the size and the deciles of
    the members' satisfaction (opening_satisfaction), which the run's opening customers start
    with.

    \b
    Example:
      omnisim scenarios steady baseline -r 3
    """
    from sim.runner import prepare
    from sim.steady import steady_base

    loaded = prepare(scenario, overrides)
    show = sys.stderr.isatty() if progress is None else progress
    with progress_bar(show, "measuring", "runs") as bar:
        task = None if bar is None else bar.add_task("measuring", total=replications)
        result = steady_base(loaded, replications=replications, days=days,
                             progress=None if bar is None else
                             (lambda r: bar.update(task, completed=r)))
    _print_steady(loaded.scenario.name, result, days, replications)


def _print_steady(name: str, result: Any, days: float, replications: int) -> None:
    from rich.table import Table

    t = Table(title=f"{name}: customer base in steady state ({replications} x {days:g} days)")
    for col in ("segment", "declared", "steady state", "95% interval",
                "joins per day", "mean stay (days)"):
        t.add_column(col, justify="left" if col == "segment" else "right")
    for b in result:
        interval = (f"{format_value(b.low, '{:,.0f}')} - {format_value(b.high, '{:,.0f}')}"
                    if b.low == b.low else "n/a")
        t.add_row(b.segment, f"{b.declared:,}", format_value(b.steady, "{:,.0f}"), interval,
                  format_value(b.joins_per_day, "{:.2f}"),
                  format_value(b.stay_days, "{:,.0f}"))
    console().print(t)
    click.echo("segments:")
    for b in result:
        steady = round(b.steady) if b.steady == b.steady else b.declared
        line = f"existing_customers: {steady}"
        if b.satisfaction:
            line += f", opening_satisfaction: [{', '.join(f'{x:g}' for x in b.satisfaction)}]"
        click.echo(f"  {b.segment}: {{{line}}}")


@scenarios.command("schema")
def scenarios_schema() -> None:
    """Print the scenario JSON schema (version 1)."""
    from sim.schema_doc import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the click group and turn known errors into one line and exit 2."""
    with sigterm_as_interrupt():
        _main(argv)


def _main(argv: list[str] | None) -> None:
    from sim.outfile import OutputError
    from sim.results import ResultsError
    from sim.scenario import ScenarioError
    from sim.workers import WorkerDied

    try:
        cli.main(args=argv, prog_name="omnisim", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:  # bare `omnisim`: show the help
        click.echo(exc.ctx.get_help() if exc.ctx is not None else "omnisim --help")
        sys.exit(0)
    except click.ClickException as exc:
        msg = exc.format_message().replace("\n", " ")
        ctx = getattr(exc, "ctx", None)
        where = f"{ctx.command_path}: " if ctx is not None else ""
        click.echo(f"omnisim: error: {where}{msg} (see --help)", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except (ScenarioError, ResultsError, CliError, OutputError) as exc:
        click.echo(f"omnisim: error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except WorkerDied as exc:
        click.echo(f"omnisim: error: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    except OSError as exc:  # disk full, read-only or foreign folder: the machine, not a bug
        where = f"{exc.filename}: " if exc.filename else ""
        why = exc.strerror or (str(exc).splitlines() or [""])[0] or type(exc).__name__
        click.echo(f"omnisim: error: {where}cannot read or write ({why})", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except (click.Abort, KeyboardInterrupt) as exc:
        click.echo("omnisim: interrupted; no results were written", err=True)
        sys.exit(interrupt_exit_code(exc))


for command in (compare.compare, sweep.sweep, plot.plot, plot.report, selfcheck.selfcheck,
                workshop.workshop, workshop.map_, export.export):
    cli.add_command(command)
for command in (authoring.init, authoring.diff):
    scenarios.add_command(command)
