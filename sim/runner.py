"""One replication: a (scenario, seed) pair run to its horizon, optionally into a folder.

``prepare`` applies ``--seed``, ``--days`` and ``--set`` to the scenario's raw data before
validation, so the resolved scenario written with the results is exactly what ran.
``run_replication`` runs a model and returns KPIs, station statistics and checks;
``run_to_folder`` does the same inside an atomic :class:`~sim.results.RunFolder`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim import checks, labels
from sim.eventlog import EventLog
from sim.kpis.horizon import horizon_warnings, short_windows
from sim.model import OmniModel, bottleneck
from sim.results import COMPLETE, FAILED, RunFolder, cleanup_stale
from sim.scenario import WARMUP_TOO_LONG, Loaded, Scenario, ScenarioError, load
from sim.steady import base_record, base_warnings
from sim.warmup import warmup_record

Progress = Callable[[float, float], None]


def prepare(ref: str | Path, overrides: Sequence[str] = (), *, seed: int | None = None,
            days: float | None = None) -> Loaded:
    """Load a scenario with ``--set`` overrides, then the seed and horizon from the CLI.

    ``--seed`` and ``--days`` are applied as the last overrides, so a ``--set`` of the same
    field would be replaced without ever being checked: that combination is an error.
    """
    extra = list(overrides)
    if seed is not None:
        if seed < 0:
            raise ScenarioError(f"--seed {seed}: must be a non-negative integer")
        _one_source("seed", "--seed", extra)
        extra.append(f"seed={seed}")
    if days is not None:
        if not days > 0:
            raise ScenarioError(f"--days {days:g}: must be a positive number of days")
        _one_source("horizon", "--days", extra)
        extra.append(f"horizon={days:g} d")
    try:
        return load(ref, extra)
    except ScenarioError as exc:
        if days is not None and WARMUP_TOO_LONG in str(exc):
            raise ScenarioError(f"--days {days:g}: must be longer than the scenario's warm-up "
                                "(see its 'warmup' field)") from None
        raise


def _one_source(field: str, option: str, overrides: Sequence[str]) -> None:
    """Raise if an override sets ``field``, which ``option`` sets too."""
    for assignment in overrides:
        if assignment.split("=", 1)[0].strip() == field:
            raise ScenarioError(f"{option} and --set {assignment}: both set '{field}'; "
                                "give one of them")


def run_label(loaded: Loaded, overrides: Sequence[str], days: float | None) -> str:
    """The readable label of a run (:func:`sim.labels.run_label`): the scenario name, the
    ``--set`` overrides and ``--days`` when it is not the scenario's own horizon."""
    default = None
    if days is not None and loaded.path is not None:
        try:
            default = load(loaded.path, overrides).scenario.horizon / 24.0
        except ScenarioError:  # the own horizon is not valid with these overrides
            default = None
    return labels.run_label(loaded.scenario.name, overrides, days, default_days=default)


@dataclass
class Replication:
    """What one run produced."""

    kpis: dict[str, Any]
    stations: dict[str, dict[str, float]]
    checks: dict[str, Any]
    terminal: dict[str, int]
    bottleneck: str
    bottleneck_utilisation: float
    wall_seconds: float
    timeseries: pd.DataFrame = field(repr=False)
    events: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # whole run: business objects
    warmup: dict[str, Any] = field(default_factory=dict)  # sim.warmup.warmup_record
    horizon_warnings: list[str] = field(default_factory=list)  # sim.kpis.horizon
    base: dict[str, dict[str, float]] = field(default_factory=dict)  # sim.steady.base_record
    #: hours waited in the window by cause (busy server, closed, batch run): OmniModel.waiting
    waiting: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        """What ``omnisim run`` warns about: a warm-up shorter than MSER-5 suggests, and
        KPIs whose statistics window is too short, a customer base that drifts (one sentence
        each)."""
        out = []
        w = self.warmup
        if w and not w["covered"]:
            worst = max(w["series"], key=lambda name: w["series"][name])
            out.append(f"the warm-up ({w['used_days']:g} d) is shorter than MSER-5 suggests "
                       f"({w['suggested_days']:g} d, from {worst}); see the manifest's "
                       "'warmup'")
        return out + self.horizon_warnings + base_warnings(self.base)


def run_replication(loaded: Loaded, *, eventlog: EventLog | None = None,
                    progress: Progress | None = None) -> Replication:
    """Run the scenario once (its own seed and horizon) and summarise it."""
    t0 = time.perf_counter()
    model = OmniModel(loaded.scenario, eventlog=eventlog)
    model.run(progress=progress)
    stats = model.station_stats()
    kpis = model.kpis()
    bn, bn_util = bottleneck(stats)
    waiting = model.waiting()
    chk = {"conservation": checks.conservation(model, model.in_flight),
           "little": checks.little(model)}
    ts = model.timeseries()
    sc: Scenario = loaded.scenario
    return Replication(
        kpis=kpis, stations=stats, checks=chk, terminal=dict(sorted(model.terminal.items())),
        bottleneck=bn, bottleneck_utilisation=bn_util,
        wall_seconds=time.perf_counter() - t0, timeseries=ts,
        events=model.eventlog.rows,
        counts={**model.ledger.n_all, "orders_placed": model.ledger.orders_opened_all},
        warmup=warmup_record(ts, sc.warmup, sc.calendar.first_peak),
        horizon_warnings=horizon_warnings(sc),
        base=base_record(model), waiting=waiting,
    )


def run_to_folder(loaded: Loaded, out: Path, label: str, *,
                  progress: Progress | None = None,
                  made_by: dict[str, Any] | None = None) -> tuple[Path, Replication]:
    """Run into ``out/<folder>/seed-<seed>/``, atomically; a previous run of the same label
    there is replaced. The folder is named from the readable ``label``
    (:func:`sim.labels.unique_folder`); the manifest records ``label`` and ``made_by``.

    A run whose self-checks fail (:func:`sim.checks.failed`) is written with status
    "failed", so no reader takes it for a complete run; the caller reports it.
    """
    cleanup_stale(out)
    sc = loaded.scenario
    name = labels.unique_folder(out, label)
    with RunFolder(out, sc.name, sc.seed, overwrite=True, folder=name) as folder:
        with EventLog(folder.tmp / "eventlog.parquet", objects=True) as log:
            rep = run_replication(loaded, eventlog=log, progress=progress)
        folder.write_text("scenario.yaml", loaded.resolved_yaml())
        folder.write_json("kpis.json", rep.kpis)
        folder.write_json("stations.json", rep.stations)
        folder.write_parquet("timeseries.parquet", rep.timeseries)
        final = folder.commit({
            "label": label,
            "made_by": made_by or labels.made_by(sc.name, [], None, sc.seed, 1, ""),
            "days": sc.horizon / 24.0,
            "warmup_days": sc.warmup / 24.0,
            "warmup": rep.warmup,
            "opening": sc.opening.state,
            "customer_base": rep.base,
            "warnings": rep.warnings,
            "too_short": [w.key for w in short_windows(sc)],
            "source": str(loaded.path) if loaded.path else None,
            "terminal_states": rep.terminal,
            "customers": sum(rep.terminal.values()),
            "events": rep.events,
            "counts": dict(sorted(rep.counts.items())),
            "checks": rep.checks,
            "bottleneck": rep.bottleneck,
            "waiting_hours": rep.waiting,
        }, status=FAILED if checks.failed(rep.checks) else COMPLETE)
    return final, rep
