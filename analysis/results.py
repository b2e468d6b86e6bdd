"""Load any omnisim results folder into pandas with one call.

>>> from analysis import load
>>> res = load("results/sweep-baseline+1a2b3c4d")            # doctest: +SKIP
>>> res.kind, res.table.groupby("channels.call_centre.staff")["call_abandonment_rate"].mean()

``load`` recognises the three kinds of folder omnisim writes (its ``manifest.json`` says which)
and refuses a folder that is not complete, with a one-line :class:`ResultsError`:

Every row has a ``label``: the readable name of what made it (:mod:`sim.labels`, e.g.
``baseline, channels.call_centre.staff=9``); :attr:`Results.label` is the folder's.

- ``run`` (``omnisim run``: ``<root>/<folder>/seed-<n>``): one row in :attr:`Results.table`,
  plus the time series, station statistics and (on demand) the event log;
- ``compare`` (``omnisim compare``): one row per scenario x replication in ``table`` (KPIs
  as columns), the long tidy table in ``tidy`` and the summary with intervals in ``summary``;
- ``sweep`` (``omnisim sweep``): one row per point x replication in ``table`` with every
  varied parameter as a column.

``load_runs(root)`` gathers every complete run folder under a root into one table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.shapes import (
    COMPARE_COLUMNS,
    EVENTLOG_COLUMNS,
    SUMMARY_COLUMNS,
    SWEEP_COLUMNS,
    check_columns,
    check_manifest,
    check_numbers,
    check_schema,
    check_stations,
    check_unique,
    read_csv,
    read_json,
    read_parquet,
    read_yaml,
)
from sim.labels import run_label
from sim.results import MANIFEST, ResultsError

__all__ = ["Results", "load", "load_runs"]


@dataclass
class Results:
    """A loaded results folder."""

    folder: Path
    kind: str                      # "run", "compare" or "sweep"
    manifest: dict[str, Any]
    table: pd.DataFrame            # one row per run / replication / point x replication
    tidy: pd.DataFrame | None = None       # compare: long table (scenario, replication, kpi)
    summary: pd.DataFrame | None = None    # compare: mean, CI and paired difference per KPI
    timeseries: pd.DataFrame | None = None  # run: DataCollector samples
    stations: dict[str, dict[str, float]] = field(default_factory=dict)  # run
    kpis: dict[str, Any] = field(default_factory=dict)                   # run: nested KPIs
    parameters: list[str] = field(default_factory=list)                  # sweep: varied paths
    currency: str = "USD"          # of the scenario files kept in the folder

    @property
    def label(self) -> str:
        """The readable name of what made the folder (:mod:`sim.labels`): the manifest's
        ``label``; for a folder written before labels, one built from the manifest (a
        variant's hash is never shown)."""
        return manifest_label(self.manifest, self.kind)

    @property
    def scenarios(self) -> list[str]:
        """Scenario names in their order."""
        return list(dict.fromkeys(self.table["scenario"])) if "scenario" in self.table else []

    def check_eventlog(self) -> None:
        """Check the event log's footer and columns without reading it (a run folder)."""
        if self.kind == "run":
            check_schema(self.folder / "eventlog.parquet", EVENTLOG_COLUMNS)

    def eventlog(self) -> pd.DataFrame:
        """The activity log of a run (read on demand: it can be large)."""
        if self.kind != "run":
            raise ResultsError(f"{self.folder}: a {self.kind} folder has no event log "
                               "(run 'omnisim run' for one)")
        path = self.folder / "eventlog.parquet"
        return check_columns(read_parquet(path), path, EVENTLOG_COLUMNS,
                             text=("resource", "outcome", "objects"), rows=False)


def flat(kpis: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested KPIs as ``a.b`` columns."""
    out: dict[str, Any] = {}
    for k, v in kpis.items():
        if isinstance(v, dict):
            out.update(flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = float("nan") if v is None else v
    return out


_HASHED = re.compile(r"\+[0-9a-f]{8}$")


def manifest_label(manifest: dict[str, Any], kind: str = "run") -> str:
    """The readable label a manifest records, or one built from its other entries (older
    folders: the scenario and, for a comparison, its scenarios, overrides and days)."""
    found = manifest.get("label")
    if isinstance(found, str) and found:
        return found
    if kind == "compare":
        names = [str(n) for n in manifest.get("scenarios") or []]
        days = manifest.get("days")
        return run_label(" vs ".join(names) or "comparison",
                         [str(o) for o in manifest.get("overrides") or []],
                         float(days) if isinstance(days, int | float) else None)
    name = str(manifest.get("scenario") or "run")
    return _HASHED.sub(" (variant)", name)


def row_label(scenario: str, manifest: dict[str, Any]) -> str:
    """The label of one scenario's rows of a comparison: its name, then the overrides and
    days every scenario of the comparison ran with."""
    made = manifest.get("made_by")
    if isinstance(made, dict) and isinstance(made.get("overrides"), dict):
        sets = [f"{k}={v}" for k, v in made["overrides"].items()]
    else:
        sets = [str(o) for o in manifest.get("overrides") or []]
    days = manifest.get("days")
    return run_label(scenario, sets, float(days) if isinstance(days, int | float) else None)


def load(folder: str | Path) -> Results:
    """Load a complete results folder of any kind.

    Raises:
        ResultsError: one line naming the folder or file: not a folder, no manifest, not
            complete (a run in progress, crashed or interrupted), or a missing/bad file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ResultsError(f"{folder}: not a results folder (no such directory)")
    mpath = folder / MANIFEST
    if not mpath.is_file():
        hint = ""
        if any(folder.glob("seed-*/manifest.json")):
            hint = f"; it holds runs: give one, e.g. {next(folder.glob('seed-*'))}"
        elif (folder / "sweep.json").is_file():
            hint = "; a sweep in progress: run the same 'omnisim sweep' command to finish it"
        raise ResultsError(f"{folder}: no manifest.json, not a complete results folder{hint}")
    manifest = read_json(mpath)
    kind = check_manifest(manifest, mpath)
    res = _compare(folder, manifest) if kind == "compare" else \
        _sweep(folder, manifest) if kind == "sweep" else _run(folder, manifest)
    res.currency = _currency(folder)
    return res


def _currency(folder: Path) -> str:
    """The currency of the scenario files kept in the folder (USD if none is there)."""
    found = [read_yaml(f).get("currency") for f in sorted(folder.glob("scenario*.yaml"))]
    return next((str(c) for c in found if c), "USD")


def _run(folder: Path, manifest: dict[str, Any]) -> Results:
    kpis = check_numbers(read_json(folder / "kpis.json"), folder / "kpis.json")
    row = {"scenario": manifest.get("scenario"), "label": manifest_label(manifest),
           "seed": manifest.get("seed"), **flat(kpis)}
    ts = folder / "timeseries.parquet"
    timeseries = check_columns(read_parquet(ts), ts, {"time_h": "number"})
    stations = check_stations(read_json(folder / "stations.json"), folder / "stations.json")
    return Results(folder, "run", manifest, pd.DataFrame([row]), timeseries=timeseries,
                   stations=stations, kpis=kpis)


def _compare(folder: Path, manifest: dict[str, Any]) -> Results:
    path = folder / "replications.parquet"
    tidy = check_columns(read_parquet(path), path, COMPARE_COLUMNS)
    keys = ["scenario_index", "scenario", "replication", "seed"]
    check_unique(tidy, path, [*keys, "kpi"])
    table = tidy.pivot(index=keys, columns="kpi", values="value").reset_index()
    table.columns.name = None
    table.insert(2, "label", [row_label(str(n), manifest) for n in table["scenario"]])
    summary = None
    if (folder / "summary.csv").is_file():
        path = folder / "summary.csv"
        summary = check_columns(read_csv(path), path, SUMMARY_COLUMNS)
        check_unique(summary, path, ["scenario_index", "kpi"])
    return Results(folder, "compare", manifest, table, tidy=tidy, summary=summary)


def _sweep(folder: Path, manifest: dict[str, Any]) -> Results:
    path = folder / "results.parquet"
    parameters = list(manifest["parameters"])
    frame = read_parquet(path)
    reserved = [p for p in parameters if p in SWEEP_COLUMNS or p == "scenario"]
    if reserved:
        raise ResultsError(f"{folder / MANIFEST}: parameter {', '.join(map(repr, reserved))} "
                           "is a column of every sweep, not a scenario field")
    unknown = [p for p in parameters if p not in frame.columns]
    if unknown:
        raise ResultsError(f"{folder / MANIFEST}: parameter {', '.join(map(repr, unknown))} "
                           f"is not a column of {path.name}")
    table = check_columns(frame, path,
                          {**SWEEP_COLUMNS, **dict.fromkeys(parameters, "text")})
    check_unique(table, path, ["point", "replication"])
    table.insert(0, "scenario", manifest.get("scenario", ""))
    table.insert(1, "label", manifest_label(manifest, "sweep"))
    return Results(folder, "sweep", manifest, table, parameters=parameters)


def load_runs(root: str | Path) -> pd.DataFrame:
    """One row per complete run folder under ``root`` (``<root>/<folder>/seed-<n>``), with
    the scenario, its readable label, the seed and every KPI; incomplete folders are
    skipped."""
    root = Path(root)
    if not root.is_dir():
        raise ResultsError(f"{root}: not a folder")
    rows = []
    for m in sorted(root.glob("*/seed-*/manifest.json")):
        try:
            res = load(m.parent)
        except ResultsError:
            continue
        if res.kind == "run":
            rows.append(res.table.iloc[0].to_dict())
    return pd.DataFrame(rows)
