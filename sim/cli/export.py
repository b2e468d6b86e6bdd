"""``omnisim export``: a run's event log for process-mining tools (XES, OCEL 2.0, CSV).

The heavy work (pyarrow, the writers) is imported inside the command, so ``omnisim --help``
stays instant. Bad input (a folder that is not a complete run, an ``--out`` in a missing
folder) ends with one line and exit code 2 through :func:`sim.cli.main`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sim.cli.common import progress_bar
from sim.outfile import refuse_special


@click.command()
@click.argument("results", type=click.Path(path_type=Path), metavar="RESULTS")
@click.option("--format", "fmt", type=click.Choice(["xes", "ocel", "csv"]), default="xes",
              show_default=True,
              help="xes: IEEE 1849 traces (ProM, pm4py, Disco, Celonis); ocel: OCEL 2.0 "
                   "objects and events (JSON, or SQLite if FILE ends in .sqlite); csv: one row "
                   "per activity with case id, activity, start/end timestamps and resource.")
@click.option("--out", type=click.Path(path_type=Path), default=None, metavar="FILE",
              help="File to write; a name ending in .gz is gzipped. Default: "
                   "<scenario>-seed-<seed>.xes / .ocel.json / .csv in the current directory.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when stderr is a terminal).")
def export(results: Path, fmt: str, out: Path | None, progress: bool | None) -> None:
    """Export the event log of the run in RESULTS for process mining.

    RESULTS is one run folder written by 'omnisim run', e.g. results/baseline/seed-1. Every
    activity of every customer journey becomes an event with its real calendar time (from the
    scenario's start_date), its resource (channel, system, team or partner), its outcome and
    cost; a journey is a case (XES trace) with its segment, outcome (paid, lost:<step>,
    cancelled, written_off, open) and order value. OCEL adds the business objects each event
    touches: customer, lead, quote, order, order lines, bundle parts, supplier purchase
    orders, deliveries, invoices and payments. The log is streamed, so a year-long run exports
    in bounded memory. See docs/export.md.

    \b
    Examples:
      omnisim export results/baseline/seed-1                    baseline-seed-1.xes
      omnisim export results/baseline/seed-1 --format csv --out baseline.csv
      omnisim export results/baseline/seed-1 --format ocel --out baseline.sqlite
      omnisim export results/baseline/seed-1 --format xes --out baseline.xes.gz
    """
    if out is not None:
        refuse_special(out)  # a link, FIFO, socket or device: never replaced, never followed
        if out.is_dir():
            raise click.BadParameter(f"{out} is a folder; give a file name", param_hint="--out")
        if not out.resolve().parent.is_dir():
            raise click.BadParameter(f"folder {out.parent} does not exist", param_hint="--out")
    from sim.export import export_run

    show = sys.stderr.isatty() if progress is None else progress
    with progress_bar(show, "export", "{task.completed:,.0f}/{task.total:,.0f} rows") as bar:
        task = bar.add_task("export", total=1) if bar is not None else None

        def tick(done: int, total: int) -> None:
            if bar is not None:
                bar.update(task, completed=done, total=total)

        done = export_run(results, fmt, out, progress=tick)
    counts = done.counts
    if fmt == "xes":
        what = f"{counts['traces']:,} traces, {counts['events']:,} events"
    elif fmt == "csv":
        what = f"{counts['cases']:,} cases, {counts['rows']:,} rows"
    else:
        objects = {k: v for k, v in counts.items() if k != "events"}
        what = (f"{counts.get('events', 0):,} events, {sum(objects.values()):,} objects ("
                + ", ".join(f"{k} {v:,}" for k, v in sorted(objects.items())) + ")")
    size = done.path.stat().st_size / 1e6
    click.echo(f"{done.path}: {done.fmt.upper()}, {what}; {size:,.1f} MB in "
               f"{done.seconds:.1f} s")

