"""``omnisim compare``: several scenarios (or a maturity ladder), replications with common
random numbers, confidence intervals, paired differences, the bottleneck, a table, tidy data
and a slide figure."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import click

from sim.cli.common import (
    EXIT_CHECKS_FAILED,
    CliError,
    check_executor,
    check_size,
    console,
    executor_options,
    force_option,
    run_jobs,
)
from sim.cli.kpichoice import check_keys, select
from sim.cli.workbook import check_xlsx, write_xlsx, xlsx_option

#: Replications when the user gives none: with common random numbers the paired differences
#: of maturity steps are clear with 3 (docs/statistics.md), and the six-phase ladder of
#: 90-day runs then finishes in under 3 minutes on 2 cores. Raise it for small effects.
DEFAULT_REPLICATIONS = 3
LADDERS = ("total-commerce", "omnichannel")


def ladder_refs(ladder: str) -> list[str]:
    """The shipped steps of a ladder, in order (file names sort by step number)."""
    from sim.scenario import SCENARIO_DIR

    files = sorted((SCENARIO_DIR / ladder).glob("*.yaml"))
    if not files:
        raise CliError(f"--ladder {ladder}: no scenarios in {SCENARIO_DIR / ladder}")
    return [str(p) for p in files]


@click.command()
@click.argument("scenarios", nargs=-1)
@click.option("--ladder", type=click.Choice(LADDERS),
              help="Compare every step of a shipped maturity ladder, in order.")
@click.option("--replications", "-r", type=click.IntRange(2, 10_000),
              default=DEFAULT_REPLICATIONS, show_default=True,
              help="Replications per scenario (same seeds for every scenario).")
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True,
              help="Base seed: replication r uses seed+r in every scenario.")
@click.option("--days", type=float, default=None,
              help="Simulated days (default: each scenario's horizon).")
@click.option("--warmup", default=None, metavar="DURATION",
              help="Warm-up deleted from statistics, e.g. '21 d' (default: each scenario's "
                   "own 'warmup', 14 d in the shipped ones; see docs/statistics.md).")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a field in every scenario (repeatable).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("results"),
              show_default=True, help="Results root; the comparison goes to OUT/compare-*/.")
@executor_options
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Worker processes for process/LocalCluster (default: all cores).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object and nothing else: label, scenario (the names), "
                   "seed, seeds, replications, days, folder, overrides, warnings and "
                   "'scenarios', each with its KPIs under 'kpis'.")
@click.option("--kpi", "kpis", multiple=True, metavar="KEY",
              help="Show only this KPI in the table and the JSON (repeatable; a family such "
                   "as 'utilisation' gives all its children; every KPI is saved; keys in "
                   "docs/kpis.md).")
@xlsx_option
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when stderr is a terminal).")
@force_option
def compare(scenarios: tuple[str, ...], ladder: str | None, replications: int, seed: int,
            days: float | None, warmup: str | None, overrides: tuple[str, ...], out: Path,
            executor: str, scheduler: str | None, workers: int | None, as_json: bool,
            kpis: tuple[str, ...], xlsx: Path | None, progress: bool | None,
            force: bool) -> None:
    """Compare SCENARIOs (or a --ladder) over replications with common random numbers.

    For every KPI: the mean with its 95% confidence interval, and the paired difference to
    the FIRST scenario with its interval (Δ, marked * when the interval excludes zero). Also
    names each scenario's bottleneck (the resource busiest while open: the one that limits
    flow; waiting for opening hours or batch runs does not count).

    \b
    Examples:
      omnisim compare --ladder total-commerce
      omnisim compare baseline total-commerce/phase-4-integrated -r 8 --days 60
      omnisim compare --ladder omnichannel --set channels.call_centre.staff=8 --json
      omnisim compare --ladder total-commerce --kpi revenue --kpi dso_days
      omnisim compare --ladder total-commerce --xlsx ladder.xlsx
      omnisim compare --ladder total-commerce --executor dask --scheduler tcp://10.0.0.5:8786
    """
    if ladder and scenarios:
        raise CliError("give SCENARIO arguments or --ladder, not both")
    refs = ladder_refs(ladder) if ladder else list(scenarios)
    if len(refs) < 2:
        raise CliError("compare needs at least two scenarios (or --ladder); "
                       "for one scenario use 'omnisim run'")
    check_keys(kpis)  # before anything runs, as the output file
    check_xlsx(xlsx)
    check_executor(executor, scheduler, workers)  # local workers import while we read
    from sim.kpis.horizon import short_windows, worst
    from sim.labels import command_line, compare_label, made_by
    from sim.replicate import bottlenecks, plan
    from sim.runner import prepare
    extra = tuple(overrides) + ((f"warmup={warmup}",) if warmup else ())
    names, currencies, short = [], [], []
    for ref in refs:  # validate everything here, before any worker starts
        loaded = prepare(ref, extra, seed=seed, days=days)
        check_size(loaded, force)
        names.append(loaded.scenario.name)
        currencies.append(loaded.scenario.currency)
        short += short_windows(loaded.scenario)
    if len(set(names)) != len(names):
        raise CliError(f"scenario names must differ: {', '.join(names)}")
    label = compare_label(names, ladder, extra, days)
    made = made_by(names, extra, days, seed, replications, command_line(
        "compare", [] if ladder else list(scenarios), overrides, days=days, seed=seed,
        replications=replications, options=(["--ladder", ladder] if ladder else [])
        + (["--warmup", warmup] if warmup else [])))
    short = worst(short)
    warnings = _warn([w.sentence() for w in short] + few_replications(replications))
    jobs = plan(refs, replications, seed, extra, days)
    show = sys.stderr.isatty() if progress is None else progress
    outcomes = run_jobs(jobs, executor, workers, scheduler, show=show, label="replications",
                        counter="{task.completed}/{task.total}")
    result = _summarise(outcomes, names, bottlenecks(outcomes))
    record = {"label": label, "made_by": made, "warnings": warnings,
              "too_short": [w.key for w in short]}
    folder = _write(out, record, seed, refs, extra, days, outcomes, result, replications)
    _fail_on_checks(outcomes, folder)
    from sim.kpis.registry import View, shown_in

    shown = select(kpis, list(result["summary"]["kpi"].drop_duplicates())) if kpis else \
        [k.key for k in shown_in(View.COMPARE)]
    if xlsx is not None:
        write_xlsx(folder, xlsx)
    if as_json:
        data = only(result["json"], shown) if kpis else result["json"]
        click.echo(json.dumps({"label": label, "scenario": names, "seed": seed,
                               "seeds": [seed + r for r in range(replications)],
                               "replications": replications, "days": days,
                               "folder": str(folder), "overrides": made["overrides"],
                               "warnings": warnings, **data},
                              allow_nan=False, sort_keys=False))
        return
    _print(result, shown, "/".join(dict.fromkeys(currencies)), replications, folder, xlsx)


#: fewer replications than this give an interval too wide to read (t quantile 12.7 with 2)
MIN_REPLICATIONS = 3


def _warn(lines: list[str]) -> list[str]:
    """Print one ``omnisim: warning:`` line each on stderr; the lines, for the manifest."""
    for line in lines:
        click.echo(f"omnisim: warning: {line}", err=True)
    return lines


def few_replications(replications: int) -> list[str]:
    """The warning for too few replications (none from :data:`MIN_REPLICATIONS` on)."""
    if replications >= MIN_REPLICATIONS:
        return []
    return [f"intervals: {replications} replications give 95% intervals about "
            "6 times wider than 3 do (Student t with 1 degree of freedom); use -r 3 or more"]


def _fail_on_checks(outcomes: list, folder: Path) -> None:
    """As ``run`` does: replications whose self-checks failed fail the command (exit 1; the
    folder was written with status "failed", so no reader takes it for a complete one)."""
    bad = [o for o in outcomes if not o.checks_ok]
    if not bad:
        return
    which = ", ".join(f"scenario {o.job.scenario_index + 1} replication {o.job.replication}"
                      for o in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
    click.echo(f"omnisim: error: self-checks failed in {len(bad)} of {len(outcomes)} "
               f"replications ({which}; see {folder / 'manifest.json'}, status \"failed\")",
               err=True)
    sys.exit(EXIT_CHECKS_FAILED)


def only(data: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """The comparison's JSON with only ``keys`` in each scenario's KPIs."""
    return {**data, "scenarios": [{**s, "kpis": {k: s["kpis"][k] for k in keys
                                                  if k in s["kpis"]}}
                                  for s in data["scenarios"]]}


def _summarise(outcomes: list, names: list[str], bns: dict) -> dict[str, Any]:
    import pandas as pd

    from analysis.stats import summarise
    from sim.replicate import tidy_rows

    tidy = pd.DataFrame(tidy_rows(outcomes))
    summary = summarise(tidy)
    scen = []
    for idx, name in enumerate(names):
        rows = summary[summary["scenario_index"] == idx]
        kpis = {}
        for r in rows.itertuples(index=False):
            kpis[r.kpi] = {k: _num(getattr(r, k)) for k in (
                "mean", "ci_low", "ci_high", "diff_mean", "diff_ci_low", "diff_ci_high")}
        bn, wait, util = bns[idx]
        scen.append({"name": name, "bottleneck": bn,
                     "bottleneck_utilisation": _num(util),
                     "bottleneck_wait_hours": _num(wait), "kpis": kpis})
    return {"tidy": tidy, "summary": summary, "json": {"scenarios": scen}}


def _num(x: Any) -> float | None:
    x = float(x)
    return round(x, 10) if math.isfinite(x) else None


def _write(out: Path, record: dict[str, Any], seed: int, refs: list[str],
           extra: tuple[str, ...], days: float | None, outcomes: list, result: dict,
           replications: int) -> Path:
    from analysis.plots import ladder_figure
    from sim.kpis.registry import View, shown_in
    from sim.labels import unique_folder
    from sim.results import COMPLETE, FAILED, RunFolder, canonical_json, cleanup_stale
    from sim.runner import prepare

    cleanup_stale(out)
    name = unique_folder(out, record["label"], "compare-")
    with RunFolder(out, name, seed, overwrite=True) as folder:
        for i, ref in enumerate(refs):
            loaded = prepare(ref, extra, seed=seed, days=days)
            folder.write_text(f"scenario-{i + 1}-{loaded.scenario.name}.yaml",
                              loaded.resolved_yaml())
        tidy = result["tidy"]
        folder.write_parquet("replications.parquet", tidy)
        folder.write_text("replications.csv", tidy.to_csv(index=False))
        folder.write_text("summary.csv", result["summary"].to_csv(index=False))
        folder.write_text("summary.json", canonical_json(result["json"]))
        title = f"{record['label']}: means with 95% CI ({replications} replications)"
        ladder_figure(result["summary"], [k.key for k in shown_in(View.SLIDE)],
                      folder.tmp / "ladder.png", title, short=record["too_short"])
        return folder.commit({
            **record,
            "kind": "compare", "scenarios": [s["name"] for s in result["json"]["scenarios"]],
            "replications": replications, "seeds": [seed + r for r in range(replications)],
            "overrides": list(extra), "days": days,
            "all_checks_passed": all(o.checks_ok for o in outcomes),
            "wall_seconds_replications": round(sum(o.wall_seconds for o in outcomes), 3),
        }, status=COMPLETE if all(o.checks_ok for o in outcomes) else FAILED)


def _print(result: dict, keys: list[str], currency: str, replications: int, folder: Path,
           xlsx: Path | None) -> None:
    from sim.cli.tables import compare_tables

    con = console()
    scen = result["json"]["scenarios"]
    for table in compare_tables(scen, keys, replications, currency, con.width):
        con.print(table)
    for s in scen:
        u = s["bottleneck_utilisation"]
        con.print(f"Bottleneck of {s['name']}: [bold]{s['bottleneck']}[/bold]"
                  f" ({u:.0%} utilised)" if u is not None else "")
    con.print(f"Results: {folder} (replications.csv/parquet, summary.csv, ladder.png)")
    if xlsx is not None:
        con.print(f"Workbook: {xlsx}")
