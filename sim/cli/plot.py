"""``omnisim plot`` and ``omnisim report``: figures and an HTML report from a results folder."""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli.common import CliError, console
from sim.outfile import atomic, refuse_special

KINDS = ("kpi", "funnel", "ecdf", "heatmap", "cost", "tornado", "queue")


@click.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS),
              help="Figure kind (repeatable). Default: every kind that fits the folder.")
@click.option("--format", "fmt", type=click.Choice(["png", "svg"]), default="png",
              show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Folder for the figures (default: RESULTS/figures).")
@click.option("--kpi", "target", default="cost_per_order", show_default=True,
              help="KPI of the tornado chart.")
def plot(results: Path, kinds: tuple[str, ...], fmt: str, out: Path | None,
         target: str) -> None:
    """Draw figures of a RESULTS folder (a run, a compare or a sweep).

    \b
    Kinds, and the folders they fit:
      kpi      spread over replications / vs parameter     compare, sweep
      funnel   lead-to-cash funnel per scenario             run, compare, sweep
      ecdf     cycle-time distribution per segment          run
      heatmap  utilisation of resources over time           run
      cost     cost per order by bucket                     run, compare, sweep
      tornado  sensitivity of --kpi to each parameter       sweep
      queue    queue length over time at the bottleneck     run

    \b
    Examples:
      omnisim plot results/compare-total-commerce/seed-1
      omnisim plot results/baseline/seed-1 --kind ecdf --kind queue --format svg
      omnisim plot results/sweep-baseline+1a2b3c4d --kind tornado --kpi call_abandonment_rate
    """
    from analysis.figures import FITS, NotApplicable, draw
    from analysis.results import load

    res = load(results)
    chosen = list(kinds) or list(FITS[res.kind])
    if target != "cost_per_order" and "tornado" not in chosen:
        raise CliError("--kpi is for the tornado chart: add --kind tornado")
    if "tornado" in chosen and target not in res.table.columns:
        raise CliError(f"--kpi {target}: not a KPI of {results} (see docs/kpis.md)")
    if "ecdf" in chosen:
        res.check_eventlog()  # before any figure is written
    folder = out or (res.folder / "figures")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CliError(f"--out {folder}: cannot create folder ({err.strerror})") from None
    con = console()
    written, skipped = [], []
    for kind in chosen:
        final = folder / f"{kind}.{fmt}"
        try:
            with atomic(final, "figure") as tmp:
                draw(res, kind, tmp, **({"target": target} if kind == "tornado" else {}))
        except NotApplicable as err:
            if kinds:  # asked for by name: that is an error
                raise CliError(f"--kind {kind}: {err}") from None
            skipped.append(f"{kind} ({err})")
            continue
        written.append(final)
    for p in written:
        con.print(f"wrote {p}")
    for s in skipped:
        con.print(f"[dim]skipped {s}[/dim]")


@click.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="HTML file to write (default: RESULTS/report.html).")
def report(results: Path, out: Path | None) -> None:
    """Write one self-contained HTML report of a RESULTS folder (opens offline).

    It holds what ran, the KPI table with 95% confidence intervals, the differences to the
    first scenario in plain words, the bottleneck, and every figure that fits the folder.

    \b
    Example:
      omnisim report results/compare-total-commerce/seed-1
    """
    from analysis.report import write_report
    from analysis.results import load

    res = load(results)
    res.check_eventlog()
    path = out or (res.folder / "report.html")
    refuse_special(path)
    if not path.parent.is_dir():
        raise CliError(f"--out {path}: folder {path.parent} does not exist")
    path, kinds = write_report(res, path)
    console().print(f"wrote {path} (figures: {', '.join(kinds) or 'none'})")
