"""A sweep's points summarised: each KPI's mean and interval over the replications of a
point, and its paired difference to the first point (every point runs the same seeds).

The sweep's terminal table, its ``--json`` and its workbook read this, so they show the same
numbers; the intervals are those of :func:`analysis.stats.summarise` (a point is a
"scenario" of it).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.shapes import SWEEP_COLUMNS


def kpi_columns(table: pd.DataFrame, parameters: list[str]) -> list[str]:
    """The KPI columns of a sweep table (numbers that are not a parameter or bookkeeping)."""
    skip = {*SWEEP_COLUMNS, *parameters, "scenario"}
    return [c for c in table.columns if c not in skip and pd.api.types.is_numeric_dtype(
        table[c]) and not pd.api.types.is_bool_dtype(table[c])]


def point_summary(table: pd.DataFrame, parameters: list[str],
                  kpis: list[str] | None = None) -> pd.DataFrame:
    """One row per point x KPI: ``point``, ``kpi``, ``n``, ``mean``, ``ci_low``,
    ``ci_high`` and the paired ``diff_*`` to point 0 (NaN intervals with one replication).

    Args:
        table: The sweep's table (:attr:`analysis.Results.table` of a sweep folder).
        parameters: The varied fields.
        kpis: The KPI columns to summarise (default: all of them).
    """
    from analysis.stats import summarise

    keys = kpis if kpis is not None else kpi_columns(table, parameters)
    long = table.melt(id_vars=["point", "replication"], value_vars=keys, var_name="kpi",
                      value_name="value")
    long["scenario_index"] = long["point"].astype(int)
    long["scenario"] = "point " + long["point"].astype(str)
    out = summarise(long)
    out.insert(0, "point", out.pop("scenario_index"))
    return out.drop(columns=["scenario"])


def points(table: pd.DataFrame, parameters: list[str], summary: pd.DataFrame,
           ) -> list[dict[str, Any]]:
    """The summary as one dict per point: ``point``, ``values`` (parameter -> value as in
    the table; durations in hours), ``set`` (the ``--set`` lines) and ``kpis`` (key -> mean,
    ci_low, ci_high, n; None for a missing number, as JSON has no NaN)."""
    firsts = table.sort_values(["point", "replication"]).drop_duplicates("point")
    out = []
    for row in firsts.to_dict("records"):
        p = int(row["point"])
        mine = summary[summary["point"] == p]
        out.append({
            "point": p,
            "values": {k: _plain(row[k]) for k in parameters},
            "set": [s for s in str(row["params"]).split("; ") if s],
            "kpis": {str(kpi): {"mean": _plain(m), "ci_low": _plain(lo), "ci_high": _plain(hi),
                                "n": int(n)}
                     for kpi, m, lo, hi, n in zip(mine["kpi"], mine["mean"], mine["ci_low"],
                                                  mine["ci_high"], mine["n"], strict=True)},
        })
    return out


def _plain(x: Any) -> Any:
    """A number or text as JSON holds it (NaN -> None, numpy scalars -> Python)."""
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, float) and x != x:
        return None
    return x
