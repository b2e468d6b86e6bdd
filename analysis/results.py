"""Load any omnisim results folder into pandas with one call.

>>> from analysis import load
>>> res = load("results/sweep-baseline+1a2b3c4d")            # doctest: +SKIP
>>> res.kind, res.table.groupby("channels.call_centre.staff")["call_abandonment_rate"].mean()

``load`` recognises the three kinds of folder omnisim writes (its ``manifest.json`` says which)
and refuses a folder that is not complete, with a one-line :class:`ResultsError`:

- ``run`` (``omnisim run``: ``<root>/<label>/seed-<n>``): one row in :attr:`Results.table`,
  plus the time series, station statistics and (on demand) the event log;
- ``compare`` (``omnisim compare``): one row per scenario x replication in ``table`` (KPIs
  as columns), the long tidy table in ``tidy`` and the summary with intervals in ``summary``;
- ``sweep`` (``omnisim sweep``): one row per point x replication in ``table`` with every
  varied parameter as a column.

``load_runs(root)`` gathers every complete run folder under a root into one table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.eventlog import read_eventlog
from sim.results import COMPLETE, MANIFEST, ResultsError

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

    @property
    def scenarios(self) -> list[str]:
        """Scenario names in their order."""
        return list(dict.fromkeys(self.table["scenario"])) if "scenario" in self.table else []

    def eventlog(self) -> pd.DataFrame:
        """The activity log of a run (read on demand: it can be large)."""
        if self.kind != "run":
            raise ResultsError(f"{self.folder}: a {self.kind} folder has no event log "
                               "(run 'omnisim run' for one)")
        path = self.folder / "eventlog.parquet"
        if not path.is_file():
            raise ResultsError(f"{path}: missing")
        return read_eventlog(path)


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path}: missing") from None
    except OSError as err:
        raise ResultsError(f"{path}: cannot read ({err.strerror})") from None
    except ValueError as err:
        raise ResultsError(f"{path}: bad JSON ({err})") from None


def _parquet(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise ResultsError(f"{path}: missing")
    try:
        return pd.read_parquet(path)
    except Exception as err:  # noqa: BLE001 - pyarrow raises many kinds; one line for the user
        raise ResultsError(f"{path}: not a readable Parquet file ({type(err).__name__})") \
            from None


def flat(kpis: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested KPIs as ``a.b`` columns."""
    out: dict[str, Any] = {}
    for k, v in kpis.items():
        if isinstance(v, dict):
            out.update(flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = float("nan") if v is None else v
    return out


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
    manifest = _json(mpath)
    if not isinstance(manifest, dict) or manifest.get("status") != COMPLETE:
        status = manifest.get("status") if isinstance(manifest, dict) else None
        raise ResultsError(f"{mpath}: not complete (status {status!r})")
    kind = manifest.get("kind", "run")
    if kind == "compare":
        tidy = _parquet(folder / "replications.parquet")
        table = tidy.pivot(index=["scenario_index", "scenario", "replication", "seed"],
                           columns="kpi", values="value").reset_index()
        table.columns.name = None
        summary = pd.read_csv(folder / "summary.csv") if (folder / "summary.csv").is_file() \
            else None
        return Results(folder, kind, manifest, table, tidy=tidy, summary=summary)
    if kind == "sweep":
        table = _parquet(folder / "results.parquet")
        table.insert(0, "scenario", manifest.get("scenario", ""))
        return Results(folder, kind, manifest, table, parameters=list(manifest["parameters"]))
    if kind != "run":
        raise ResultsError(f"{mpath}: unknown kind {kind!r} (run, compare or sweep)")
    kpis = _json(folder / "kpis.json")
    row = {"scenario": manifest.get("scenario"), "seed": manifest.get("seed"), **flat(kpis)}
    return Results(folder, kind, manifest, pd.DataFrame([row]),
                   timeseries=_parquet(folder / "timeseries.parquet"),
                   stations=_json(folder / "stations.json"), kpis=kpis)


def load_runs(root: str | Path) -> pd.DataFrame:
    """One row per complete run folder under ``root`` (``<root>/<label>/seed-<n>``), with
    the label, scenario, seed and every KPI; incomplete folders are skipped."""
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
            rows.append({"label": m.parent.parent.name, **res.table.iloc[0].to_dict()})
    return pd.DataFrame(rows)
