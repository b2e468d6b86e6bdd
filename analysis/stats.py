"""Statistics for ``omnisim compare``: confidence intervals, paired differences, warm-up.

``compare`` runs every scenario with the same replications and seeds (common random
numbers), so replication ``r`` of two scenarios shares its random streams. The difference
between two scenarios is therefore estimated on the *paired* differences, replication by
replication, which removes the noise the scenarios share and gives much narrower intervals
than two separate intervals would suggest.

The Student-t quantile is scipy's (:func:`t_quantile`), imported on first use: importing this
module stays light (numpy, pandas).

>>> round(t_quantile(0.975, 9), 4)
2.2622
>>> mean_ci([1.0, 2.0, 3.0])[:3]  # doctest: +ELLIPSIS
(2.0, -0.48..., 4.48...)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from sim.kpis.registry import describe
from sim.kpis.spec import Kpi, Unit
from sim.warmup import mser  # MSER-5, the warm-up every run measures (next to Welch's)

__all__ = [
    "t_quantile",
    "mean_ci",
    "kpi_ci",
    "summarise",
    "welch_warmup",
    "mser",
    "describe_difference",
    "is_rate",
    "kpi_unit",
    "SUMMARY_COLUMNS",
]

SUMMARY_COLUMNS = ["scenario", "scenario_index", "kpi", "n", "mean", "ci_low", "ci_high",
                   "diff_mean", "diff_ci_low", "diff_ci_high"]
_TIDY_COLUMNS = ("scenario", "scenario_index", "replication", "kpi", "value")

# --------------------------------------------------------------------------- Student t
def t_quantile(p: float, df: int) -> float:
    """Quantile of Student's t distribution: ``scipy.stats.t.ppf(p, df)``, with checks.

    scipy is imported on the first call (it takes longer to import than this whole module),
    and quantiles are cached, as :func:`summarise` asks for the same few many times.

    Args:
        p: Probability, strictly between 0 and 1.
        df: Degrees of freedom, a positive integer.

    Returns:
        The value t with P(T <= t) = p.

    Raises:
        ValueError: If p is not in (0, 1) or df is not a positive integer.

    Examples:
        >>> round(t_quantile(0.975, 29), 4)
        2.0452
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    if int(df) != df or df < 1:
        raise ValueError(f"df must be a positive integer, got {df}")
    return _t_ppf(float(p), int(df))


@lru_cache(maxsize=1024)
def _t_ppf(p: float, df: int) -> float:
    from scipy.stats import t

    return float(t.ppf(p, df))


# --------------------------------------------------------------------------- intervals
def mean_ci(values: Iterable[float], level: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and Student-t confidence interval of a sample, ignoring NaN.

    Args:
        values: The observations (e.g. one KPI over replications). NaN marks a missing one.
        level: Confidence level, strictly between 0 and 1.

    Returns:
        ``(mean, low, high, n)`` where n counts the non-NaN values. The mean is NaN when
        n == 0; the interval is ``(nan, nan)`` when n < 2. A sample with no spread gives
        the zero-width interval ``(mean, mean)``.

    Raises:
        ValueError: If level is not in (0, 1).
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    x = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    if np.all(x == x[0]):  # exact: no rounding noise from the mean and sd
        return float(x[0]), float(x[0]), float(x[0]), n
    half = t_quantile(0.5 + level / 2.0, n - 1) * float(x.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half, n


def kpi_ci(values: Iterable[float], spec: Kpi | str,
           level: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and confidence interval of a KPI over replications, inside the KPI's bounds.

    The one interval every table, figure and report uses (:func:`summarise`, the sweep's
    points). ``spec.bounds`` (:attr:`sim.kpis.spec.Kpi.bounds`) decides the method:

    - bounded on both sides (a share in [0, 1], a score in [0, 100]): a Student-t interval
      on the logit of the values scaled to [0, 1], transformed back, so it stays inside the
      bounds however few replications there are. A sample with a value on a bound (an
      oversell rate of 0 in one replication) has no logit; its t interval is clipped to the
      bounds instead;
    - bounded below by 0 (counts, money that is not signed, durations) when every value is
      at or above 0: the t interval with its lower end clipped at 0;
    - otherwise (EBIT, a margin, a difference) the plain t interval of :func:`mean_ci`.

    The mean is always the sample mean (a logit interval is not centred on it; it is
    widened to hold it in the rare case it would not).

    Args:
        values: The KPI over replications; NaN marks a missing one.
        spec: The KPI's registry entry, or its key (:func:`sim.kpis.registry.describe`).
        level: Confidence level, strictly between 0 and 1.

    Returns:
        ``(mean, low, high, n)`` as :func:`mean_ci`.

    Examples:
        >>> m, lo, hi, n = kpi_ci([0.95, 0.99], "order_accuracy")
        >>> 0.0 <= lo < m < hi <= 1.0
        True
    """
    spec = describe(spec) if isinstance(spec, str) else spec
    x = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    x = x[~np.isnan(x)]
    mean, low, high, n = mean_ci(x, level)
    if n < 2 or not low < high:
        return mean, low, high, n
    lo_b, hi_b = spec.bounds
    if lo_b is not None and hi_b is not None:
        u = (x - lo_b) / (hi_b - lo_b)
        if np.all((u > 0.0) & (u < 1.0)):
            _, zlo, zhi, _ = mean_ci(np.log(u / (1.0 - u)), level)
            low = lo_b + (hi_b - lo_b) / (1.0 + math.exp(-zlo))
            high = lo_b + (hi_b - lo_b) / (1.0 + math.exp(-zhi))
            return mean, min(low, mean), max(high, mean), n
        return mean, max(low, lo_b), min(high, hi_b), n
    if lo_b is not None and np.all(x >= lo_b):
        return mean, max(low, lo_b), high, n
    return mean, low, high, n


def summarise(tidy: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per scenario and KPI: mean with confidence interval, and paired difference to reference.

    The reference is the scenario with ``scenario_index`` 0 (the first one the user gave;
    if there is no index 0, the smallest index). For each replication present in both, the
    difference is value(scenario) - value(reference), matched on ``replication``; pairs with
    NaN on either side are dropped and :func:`mean_ci` is applied to the differences; the
    mean's own interval is :func:`kpi_ci`'s, inside the KPI's bounds. The
    reference's own differences are exactly 0, so its interval is (0.0, 0.0) when n >= 2.

    Args:
        tidy: One row per scenario x replication x KPI with columns ``scenario``,
            ``scenario_index``, ``replication``, ``kpi`` and ``value`` (``seed`` is ignored).
        level: Confidence level of every interval.

    Returns:
        One row per (scenario, KPI) with the columns of ``SUMMARY_COLUMNS``, sorted by
        ``scenario_index`` then ``kpi``; ``n`` counts the replications with a value.

    Raises:
        ValueError: On missing columns, a scenario with several indices (or an index shared
            by several scenarios), or a repeated scenario x replication x KPI row.
    """
    missing = [c for c in _TIDY_COLUMNS if c not in tidy.columns]
    if missing:
        raise ValueError(f"tidy table lacks columns: {', '.join(missing)}")
    if tidy.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("scenario", "kpi") else float)
                             for c in SUMMARY_COLUMNS})
    df = pd.DataFrame({
        "scenario": tidy["scenario"].astype(str).to_numpy(),
        "scenario_index": tidy["scenario_index"].astype(int).to_numpy(),
        "replication": tidy["replication"].to_numpy(),
        "kpi": tidy["kpi"].astype(str).to_numpy(),
        "value": pd.to_numeric(tidy["value"]).astype(float).to_numpy(),
    })
    pairs = df[["scenario", "scenario_index"]].drop_duplicates()
    if pairs["scenario"].duplicated().any() or pairs["scenario_index"].duplicated().any():
        raise ValueError("each scenario must have exactly one scenario_index, and vice versa")
    if df.duplicated(["scenario", "replication", "kpi"]).any():
        raise ValueError("repeated scenario x replication x KPI rows in the tidy table")

    ref_index = int(pairs["scenario_index"].min())
    ref = (df.loc[df["scenario_index"] == ref_index, ["replication", "kpi", "value"]]
           .rename(columns={"value": "ref_value"}))
    df = df.merge(ref, on=["replication", "kpi"], how="left", validate="many_to_one")
    df["diff"] = df["value"] - df["ref_value"]

    rows: list[dict[str, Any]] = []
    for (scenario, index, kpi), group in df.groupby(
            ["scenario", "scenario_index", "kpi"], sort=False, observed=True):
        mean, low, high, n = kpi_ci(group["value"].to_numpy(), str(kpi), level)
        d_mean, d_low, d_high, _ = mean_ci(group["diff"].to_numpy(), level)
        rows.append({"scenario": scenario, "scenario_index": int(str(index)), "kpi": kpi, "n": n,
                     "mean": mean, "ci_low": low, "ci_high": high,
                     "diff_mean": d_mean, "diff_ci_low": d_low, "diff_ci_high": d_high})
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    return out.sort_values(["scenario_index", "kpi"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- warm-up
def welch_warmup(series: Sequence[float] | Sequence[Sequence[float]] | np.ndarray,
                 window: int = 5) -> int:
    """Warm-up length by Welch's graphical method, with an automatic reading of the plot.

    The rule, step by step (m = number of time points, w = ``window``):

    1. If ``series`` is 2-D (one row per replication, one column per time point, e.g. the
       same column of ``timeseries.parquet`` from each replication), average the rows
       (ignoring NaN) into one series Y[0..m-1]; a 1-D series is taken as already averaged.
    2. Smooth it with Welch's centred moving average of half-width w (Law & Kelton):
       A[i] = mean(Y[i-w .. i+w]) for w <= i < m - w, and A[i] = mean(Y[0 .. 2i]) for
       i < w (the window shrinks at the start so that it stays centred).
    3. Take the second half of A, A[h..] with h = len(A) // 2, as steady state. Its mean is
       the level L and its largest absolute deviation from L, D, is the noise envelope.
    4. The tolerance band is L +/- 2.5 * D. The factor leaves room for the first half's own
       noise: on synthetic series (exponential transients plus normal noise, 500 seeds
       each) a stationary series gave k <= 3 in 99% of cases, and a transient was detected
       once its remaining gap had fallen to roughly the size of D.
    5. Return the first index k such that A[j] lies inside the band for every j >= k. By
       construction k <= h; the observations Y[0..k-1] are the warm-up to discard.

    The method assumes the second half of the run is in steady state and spans many
    windows (at least 10 * (2w + 1) points in all). Plot the averages when the answer
    matters: a result close to h means the run is too short to tell, and a noisy curve
    calls for more replications or a larger window. Being a reading of noisy data, k is
    best rounded up generously (Law & Kelton).

    Args:
        series: A 1-D series of means, or a 2-D array (replications x time points).
        window: Welch's half-width w >= 1; raise it if the averaged series is still noisy.

    Returns:
        The number of leading observations to discard (0 if there is no visible transient).

    Raises:
        ValueError: If window < 1, the series has fewer than 4 * window + 2 time points, or
            a time point has no value in any replication.
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    y = np.asarray(series, dtype=float)
    if y.ndim == 2:
        if np.isnan(y).all(axis=0).any():
            raise ValueError("a time point has no value in any replication")
        y = np.nanmean(y, axis=0)
    elif y.ndim != 1:
        raise ValueError(f"series must be 1-D or 2-D, got {y.ndim} dimensions")
    if np.isnan(y).any():
        raise ValueError("the averaged series contains NaN")
    m = y.size
    if m < 4 * window + 2:
        raise ValueError(f"need at least {4 * window + 2} time points for window={window}")
    csum = np.concatenate([[0.0], np.cumsum(y)])
    idx = np.arange(m - window)
    half_width = np.minimum(idx, window)
    avg = (csum[idx + half_width + 1] - csum[idx - half_width]) / (2 * half_width + 1)
    h = avg.size // 2
    level = float(avg[h:].mean())
    band = 2.5 * float(np.abs(avg[h:] - level).max())
    outside = np.flatnonzero(np.abs(avg - level) > band)
    return int(outside[-1] + 1) if outside.size else 0


# --------------------------------------------------------------------------- wording
def is_rate(kpi: str) -> bool:
    """Whether a KPI is a share (a fraction in [0, 1]), reported in percentage points.

    The unit comes from the KPI registry (:func:`sim.kpis.registry.describe`), nested keys
    such as ``utilisation.warehouse`` included; a key the registry does not know is a share
    if its name ends in ``_rate``, ``_share``, ``conversion`` or ``accuracy``.
    """
    return describe(kpi).unit is Unit.SHARE


def kpi_unit(kpi: str) -> str:
    """Unit used in sentences: ``"points"`` for shares, ``"days"``, ``"hours"`` or ``""``
    (from the KPI registry; an unknown key by its name)."""
    return describe(kpi).unit.sentence_unit


def _sentence_name(kpi: str) -> str:
    """How a sentence names the KPI (the registry's ``name``; an unknown key by its name)."""
    return describe(kpi).name


def _decimals(mean: float, low: float, high: float, unit: str) -> int:
    """Decimals that show the interval's half-width to 2 significant digits.

    A zero-width interval falls back to 2 significant digits of the largest magnitude. Units
    (points, days, hours) keep at least 1 decimal, plain numbers at least 0; at most 6.
    """
    floor = 1 if unit else 0
    scale = (high - low) / 2.0
    if not scale > 0.0:
        scale = max(abs(mean), abs(low), abs(high))
    if not (scale > 0.0 and math.isfinite(scale)):
        return floor
    return max(floor, min(1 - math.floor(math.log10(scale)), 6))


def describe_difference(kpi: str, row: Mapping[str, Any] | pd.Series, *,
                        reference: str | None = None, level: float = 0.95) -> str:
    """One plain-English sentence about a scenario's paired difference to the reference.

    Example: ``"cart abandonment falls by 6.1 points (95% CI 4.9 to 7.3) against
    phase-1-siloed"``. Shares (see :func:`is_rate`) are given in percentage points, KPIs
    measured in days or hours in days/hours, others as plain numbers; when the
    interval contains 0 the sentence says "no clear difference". Numbers are rounded so
    that the interval's half-width keeps 2 significant digits.

    Args:
        kpi: The KPI key (``row["kpi"]`` of a :func:`summarise` row).
        row: A :func:`summarise` row, or any mapping with ``diff_mean``, ``diff_ci_low`` and
            ``diff_ci_high`` (and optionally ``scenario`` and ``reference``).
        reference: Name of the reference scenario; defaults to ``row["reference"]`` if there
            is one, else the words "the reference scenario".
        level: The confidence level the interval was computed at (for the wording only).

    Returns:
        The sentence, without a final full stop.
    """
    ref = reference if reference is not None else row.get("reference")
    against = f"against {ref}" if ref else "against the reference scenario"
    name = _sentence_name(kpi)
    scenario = row.get("scenario")
    if ref and scenario == ref:
        return f"{name}: {ref} is the reference scenario"
    mean, low, high = (float(row[k]) for k in ("diff_mean", "diff_ci_low", "diff_ci_high"))
    if math.isnan(mean) or math.isnan(low) or math.isnan(high):
        return f"{name} cannot be compared {against} (fewer than 2 paired replications)"
    unit = kpi_unit(kpi)
    scale = 100.0 if unit == "points" else 1.0
    mean, low, high = mean * scale, low * scale, high * scale
    dec = _decimals(mean, low, high, unit)
    suffix = f" {unit}" if unit else ""
    pct = f"{level * 100:g}% CI"

    def fmt(v: float, signed: bool = False) -> str:
        return f"{v:{'+' if signed else ''},.{dec}f}"

    if low <= 0.0 <= high:
        return (f"{name} shows no clear difference {against} "
                f"(change {fmt(mean, signed=True)}{suffix}, {pct} {fmt(low)} to {fmt(high)})")
    if mean > 0:
        return f"{name} rises by {fmt(mean)}{suffix} ({pct} {fmt(low)} to {fmt(high)}) {against}"
    return f"{name} falls by {fmt(-mean)}{suffix} ({pct} {fmt(-high)} to {fmt(-low)}) {against}"
