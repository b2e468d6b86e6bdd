"""A measured warm-up: MSER-5 (White 1997) on a run's own daily series.

MSER-5 batches a series into non-overlapping means of 5 observations z_1..z_k and picks the
truncation point d (in batches, ``d <= k / 2``) that minimises the marginal standard error

    MSER(d) = sum_{j > d} (z_j - mean(z_{d+1..k}))^2 / (k - d)^2,

i.e. the squared standard error of the mean of what is kept, which falls while deleting a
transient removes bias faster than it removes data (White 1997; White, Cobb & Spratt 2000;
Hoad, Robinson & Davies 2010). The warm-up is ``5 d`` observations. Only the first half of
the batches is searched, as the statistic is unreliable near the end of the series.

A scheduled demand peak is not a transient of the start but a planned change of the input,
and MSER, which assumes the rest of the series is stationary, would cut the warm-up after it
(phase 6's holiday week at days 70-77 made it suggest 85 days). The series are therefore cut
at the first peak's start (:func:`warmup_record`'s ``stop_hours``) when at least
:data:`MIN_BATCHES` batches come before it; otherwise the whole series is searched and the
record says so.

Every run applies it to its own daily series (:data:`SERIES`, from the DataCollector
samples): orders placed per day, the receivables balance, customers in the model and orders
in process. The manifest records each series' truncation point, the largest of them (the
suggestion), the warm-up used and whether the used one covers the suggestion
(:func:`warmup_record`); ``omnisim run`` warns when it does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

#: observations per batch mean of MSER-5
BATCH = 5
#: the daily series MSER-5 is applied to: name -> (time-series column, kind), where a
#: ``count`` is a cumulative counter (differenced into a per-day rate) and a ``level`` a
#: balance (averaged over each day's samples)
SERIES: dict[str, tuple[str, str]] = {
    "orders_placed_per_day": ("orders_placed", "count"),
    "receivables": ("receivables", "level"),
    "customers_active": ("customers_active", "level"),
    "orders_in_process": ("orders_open", "level"),
}
METHOD = ("MSER-5 (White 1997): batch means of 5 daily values, the truncation minimising the "
          "marginal standard error over the first half of the series")


def mser(series: Sequence[float] | np.ndarray, batch: int = BATCH) -> int:
    """The MSER truncation point of ``series``, in observations (a multiple of ``batch``).

    Args:
        series: One observation per period (e.g. per day); a trailing partial batch is
            dropped.
        batch: Observations per batch mean (5 for MSER-5; 1 for plain MSER).

    Returns:
        How many leading observations to delete; 0 for a series of fewer than two batches
        or a constant one.

    Examples:
        >>> mser([10, 10, 10, 10, 10] + [0, 1] * 50)
        5
        >>> mser([3.0] * 40)
        0
    """
    y = np.asarray(series, dtype=float)
    k = len(y) // batch
    if k < 2:
        return 0
    z = y[: k * batch].reshape(k, batch).mean(axis=1)
    # suffix sums: kept batches j = d..k-1 for every candidate d
    s1 = np.cumsum(z[::-1])[::-1]
    s2 = np.cumsum((z * z)[::-1])[::-1]
    n = np.arange(k, 0, -1, dtype=float)
    sse = np.maximum(s2 - s1 * s1 / n, 0.0)
    stat = sse / (n * n)
    half = k // 2
    return int(np.argmin(stat[: half + 1])) * batch


def daily_series(ts: pd.DataFrame) -> dict[str, np.ndarray]:
    """The :data:`SERIES` of a run's time series, one value per whole simulated day:
    a counter's increase over the day (interpolated at the day's ends), a balance's mean
    over the samples within the day. Columns the time series lacks are left out."""
    if ts.empty or "time_h" not in ts:
        return {}
    t = ts["time_h"].to_numpy(dtype=float)
    days = int(np.floor(t[-1] / 24.0 + 1e-9))
    if days < 1:
        return {}
    edges = 24.0 * np.arange(days + 1)
    which = np.searchsorted(edges, t, side="right") - 1  # the day of each sample
    inside = which < days
    out: dict[str, np.ndarray] = {}
    for name, (column, kind) in SERIES.items():
        if column not in ts:
            continue
        y = ts[column].to_numpy(dtype=float)
        if kind == "count":
            out[name] = np.diff(np.interp(edges, t, y))
        else:
            sums = np.bincount(which[inside], weights=y[inside], minlength=days)
            n = np.bincount(which[inside], minlength=days)
            out[name] = sums / np.maximum(n, 1)
    return out


#: fewest batches of 5 days before a scheduled peak for the series to be cut there
MIN_BATCHES = 6


def warmup_record(ts: pd.DataFrame, used_hours: float, stop_hours: float | None = None
                  ) -> dict[str, Any]:
    """What the manifest records about the warm-up of one run.

    Args:
        ts: The run's time series.
        used_hours: The scenario's warm-up.
        stop_hours: The start of the first scheduled demand peak (None: none); the series
            are searched up to the last whole day before it (see the module docstring).

    Returns:
        ``method``, ``series`` (each series' MSER-5 truncation in days), ``suggested_days``
        (the largest), ``used_days``, ``covered`` (used >= suggested) and ``searched_days``
        (the days of series searched).
    """
    series = daily_series(ts)
    if stop_hours is not None:
        keep = int(stop_hours // 24.0)
        if keep >= MIN_BATCHES * BATCH:
            series = {name: values[:keep] for name, values in series.items()}
    per = {name: float(mser(values)) for name, values in series.items()}
    suggested = max(per.values(), default=0.0)
    used = used_hours / 24.0
    searched = max((len(v) for v in series.values()), default=0)
    return {"method": METHOD, "series": per, "suggested_days": suggested, "used_days": used,
            "covered": used >= suggested - 1e-9, "searched_days": float(searched)}
