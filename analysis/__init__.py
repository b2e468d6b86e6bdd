"""Analysis of omnisim results: load run folders into pandas for plots and statistics.

>>> from analysis import load_run
>>> run = load_run("results/baseline/seed-1")     # doctest: +SKIP
>>> run.kpis["cart_abandonment_rate"], run.timeseries["queue.call_centre"].max()  # doctest: +SKIP

Any folder (run, compare or sweep) in one call, as DataFrames:

>>> from analysis import load
>>> res = load("results/compare-total-commerce/seed-1")  # doctest: +SKIP
>>> res.table.groupby("scenario")["cart_abandonment_rate"].mean()  # doctest: +SKIP

Nothing in ``sim/`` imports this package (the CLI is the only bridge).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.results import Results, load, load_runs  # noqa: E402
from analysis.shapes import check_columns, read_parquet
from sim.eventlog import read_eventlog
from sim.results import ResultsError
from sim.results import load_run as _load_manifest

__all__ = ["Results", "Run", "ResultsError", "load", "load_run", "load_runs"]


@dataclass
class Run:
    """One complete results folder."""

    folder: Path
    manifest: dict[str, Any]
    kpis: dict[str, Any]
    timeseries: pd.DataFrame

    def eventlog(self) -> pd.DataFrame:
        """The activity log (one row per activity); read on demand, it can be large."""
        return read_eventlog(self.folder / "eventlog.parquet")


def load_run(folder: str | Path) -> Run:
    """Load a complete run folder; raises ResultsError (one line) for a bad or partial one."""
    folder = Path(folder)
    meta = _load_manifest(folder)
    ts_path = folder / "timeseries.parquet"
    timeseries = check_columns(read_parquet(ts_path), ts_path, {"time_h": "number"})
    return Run(folder=folder, manifest=meta["manifest"], kpis=meta["kpis"],
               timeseries=timeseries)
