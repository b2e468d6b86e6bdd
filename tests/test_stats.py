"""Tests of analysis.stats: t quantile checks, intervals, paired differences, warm-up, wording."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.stats import (
    SUMMARY_COLUMNS,
    describe_difference,
    is_rate,
    kpi_unit,
    mean_ci,
    summarise,
    t_quantile,
    welch_warmup,
)

REPO = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- t quantile
@pytest.mark.parametrize(("p", "df"), [(0.0, 5), (1.0, 5), (-0.1, 5), (0.5, 0), (0.9, 2.5)])
def test_t_quantile_rejects_bad_arguments(p, df):
    with pytest.raises(ValueError):
        t_quantile(p, df)


# --------------------------------------------------------------------------- mean_ci
def test_mean_ci_by_hand():
    """x = 2, 4, 4, 4, 5, 5, 7, 9: mean 5, s^2 = 32/7, half-width t(0.975, 7) s / sqrt(8)."""
    x = [2, 4, 4, 4, 5, 5, 7, 9]
    half = 2.364624 * math.sqrt(32 / 7) / math.sqrt(8)  # t(0.975, 7) = 2.364624
    mean, low, high, n = mean_ci(x)
    assert n == 8
    assert mean == pytest.approx(5.0)
    assert (low, high) == pytest.approx((5 - half, 5 + half), rel=1e-6)
    _, low90, high90, _ = mean_ci(x, level=0.90)
    assert low < low90 < high90 < high


def test_mean_ci_ignores_nan_and_small_samples():
    mean, low, high, n = mean_ci([1.0, float("nan"), 3.0, np.nan])
    assert n == 2 and mean == 2.0
    assert (low, high) == pytest.approx((2 - 12.7062, 2 + 12.7062), rel=1e-4)
    mean, low, high, n = mean_ci([4.0, float("nan")])
    assert (mean, n) == (4.0, 1) and math.isnan(low) and math.isnan(high)
    mean, low, high, n = mean_ci([])
    assert n == 0 and all(math.isnan(v) for v in (mean, low, high))
    assert mean_ci(pd.Series([3.0, 3.0, 3.0])) == (3.0, 3.0, 3.0, 3)
    with pytest.raises(ValueError):
        mean_ci([1.0, 2.0], level=1.0)


@pytest.mark.slow
def test_mean_ci_coverage():
    """2,000 normal samples of size 10: the 95% interval covers the true mean in 95% of them.

    Tolerance +/- 1.5 points: the binomial standard error is sqrt(0.95 * 0.05 / 2000) =
    0.49 points, so the band is 3.1 standard errors (a correct interval fails it with
    probability about 0.2%; with the fixed seed the outcome is deterministic).
    """
    rng = np.random.default_rng(20240611)
    samples = rng.normal(loc=3.0, scale=2.0, size=(2000, 10))
    covered = 0
    for sample in samples:
        _, low, high, _ = mean_ci(sample)
        covered += low <= 3.0 <= high
    assert abs(covered / 2000 - 0.95) <= 0.015, f"coverage {covered / 2000:.3f}"


# --------------------------------------------------------------------------- summarise
def _tidy(noise_scale: float = 10.0) -> pd.DataFrame:
    """3 scenarios x 5 replications x 2 KPIs.

    ``orders``: A has a large replication effect shared by all scenarios (common random
    numbers); B = A + 2 and C = A - 3 exactly. ``dso_days`` is constant in A, B = A + 1 with
    one NaN in replication 3 of B and one in replication 1 of the reference A.
    """
    shared = noise_scale * np.array([-2.0, 1.0, 0.0, 3.0, -1.0])  # exact binary values
    rows = []
    for r in range(5):
        a = 100.0 + shared[r]
        for name, idx, orders, dso in (("A", 0, a, 40.0), ("B", 1, a + 2.0, 41.0),
                                       ("C", 2, a - 3.0, 40.0 + r)):
            if name == "B" and r == 3:
                dso = float("nan")
            if name == "A" and r == 1:
                dso = float("nan")
            rows.append((name, idx, r, 100 + r, "orders", orders))
            rows.append((name, idx, r, 100 + r, "dso_days", dso))
    return pd.DataFrame(rows, columns=["scenario", "scenario_index", "replication", "seed",
                                       "kpi", "value"])


def test_summarise_shape_and_order():
    tidy = _tidy().sample(frac=1.0, random_state=3)  # input order must not matter
    s = summarise(tidy)
    assert list(s.columns) == SUMMARY_COLUMNS
    assert list(zip(s["scenario"], s["kpi"], strict=True)) == [
        ("A", "dso_days"), ("A", "orders"), ("B", "dso_days"), ("B", "orders"),
        ("C", "dso_days"), ("C", "orders")]
    assert s["scenario_index"].tolist() == [0, 0, 1, 1, 2, 2]


def test_paired_difference_is_exact_where_unpaired_intervals_are_wide():
    s = summarise(_tidy()).set_index(["scenario", "kpi"])
    a, b, c = s.loc[("A", "orders")], s.loc[("B", "orders")], s.loc[("C", "orders")]
    # Each scenario's own interval is wide (the shared replication noise has sd ~19) ...
    assert a["ci_high"] - a["ci_low"] > 40 and b["ci_high"] - b["ci_low"] > 40
    assert b["ci_low"] < a["mean"] < b["ci_high"]  # unpaired: intervals overlap heavily
    # ... but the paired difference removes it completely.
    assert b["diff_mean"] == 2.0
    assert b["diff_ci_low"] == b["diff_ci_high"] == 2.0
    assert (c["diff_mean"], c["diff_ci_low"], c["diff_ci_high"]) == (-3.0, -3.0, -3.0)
    assert b["mean"] - a["mean"] == pytest.approx(2.0)


def test_reference_rows_have_exactly_zero_difference():
    s = summarise(_tidy())
    ref = s[s["scenario"] == "A"]
    assert (ref["diff_mean"] == 0.0).all()
    assert (ref["diff_ci_low"] == 0.0).all() and (ref["diff_ci_high"] == 0.0).all()


def test_summarise_nan_handling():
    s = summarise(_tidy()).set_index(["scenario", "kpi"])
    assert s.loc[("A", "dso_days"), "n"] == 4 and s.loc[("B", "dso_days"), "n"] == 4
    assert s.loc[("A", "orders"), "n"] == 5
    # B - A on dso: replications 1 (A missing) and 3 (B missing) are dropped: 3 pairs of 1.0.
    b = s.loc[("B", "dso_days")]
    assert (b["diff_mean"], b["diff_ci_low"], b["diff_ci_high"]) == (1.0, 1.0, 1.0)
    # C - A on dso: pairs r = 0, 2, 3, 4 give differences 0, 2, 3, 4.
    c = s.loc[("C", "dso_days")]
    mean, low, high, n = mean_ci([0.0, 2.0, 3.0, 4.0])
    assert (c["diff_mean"], c["diff_ci_low"], c["diff_ci_high"]) == pytest.approx(
        (mean, low, high))


def test_summarise_undefined_kpi_and_single_replication():
    tidy = _tidy()
    tidy.loc[tidy["kpi"] == "dso_days", "value"] = np.nan
    s = summarise(tidy).set_index(["scenario", "kpi"])
    row = s.loc[("B", "dso_days")]
    assert row["n"] == 0 and math.isnan(row["mean"]) and math.isnan(row["diff_mean"])
    one = summarise(_tidy()[lambda d: d["replication"] == 0]).set_index(["scenario", "kpi"])
    row = one.loc[("B", "orders")]
    assert row["n"] == 1 and row["mean"] == 82.0 and row["diff_mean"] == 2.0
    assert math.isnan(row["ci_low"]) and math.isnan(row["diff_ci_high"])


def test_summarise_accepts_categoricals_and_rejects_bad_tables():
    tidy = _tidy().astype({"scenario": "category", "kpi": "category"})
    assert len(summarise(tidy)) == 6
    with pytest.raises(ValueError, match="lacks columns"):
        summarise(tidy.drop(columns="replication"))
    dup = pd.concat([_tidy(), _tidy().iloc[:1]])
    with pytest.raises(ValueError, match="repeated"):
        summarise(dup)
    clash = _tidy()
    clash.loc[clash["scenario"] == "C", "scenario_index"] = 1
    with pytest.raises(ValueError, match="scenario_index"):
        summarise(clash)
    assert list(summarise(_tidy().iloc[:0]).columns) == SUMMARY_COLUMNS


# --------------------------------------------------------------------------- warm-up
def _transient(seed: int, reps: int = 10, m: int = 300, tau: float = 15.0) -> np.ndarray:
    """Level 10 approached as 10 - 8 exp(-t / tau), plus N(0, 1) noise per replication."""
    rng = np.random.default_rng(seed)
    t = np.arange(m)
    return 10.0 - 8.0 * np.exp(-t / tau) + rng.normal(0.0, 1.0, size=(reps, m))


def test_welch_warmup_finds_the_end_of_a_known_transient():
    """The gap 8 exp(-t/15) is 10% of its start at 2.3 tau = 35 and 1% at 4.6 tau = 69.

    Accepted band: 1.5 tau to 5 tau (22 to 75). Over 500 seeds the rule gave 30 to 59.
    """
    tau = 15.0
    found = [welch_warmup(_transient(seed), window=5) for seed in range(10)]
    assert all(1.5 * tau <= k <= 5 * tau for k in found), found
    # A 1-D series of means gives the same answer as the matrix it averages.
    y = _transient(0)
    assert welch_warmup(y.mean(axis=0)) == welch_warmup(y)


def test_welch_warmup_stationary_series_and_decreasing_transient():
    rng = np.random.default_rng(11)
    for _ in range(10):
        assert welch_warmup(rng.normal(5.0, 1.0, size=(10, 300)), window=5) <= 5
    falling = 20.0 - _transient(3)  # starts high and decays towards 10
    assert 22 <= welch_warmup(falling) <= 75


def test_welch_warmup_nan_and_argument_checks():
    y = _transient(1)
    y[2, 50] = np.nan  # one missing replication value is ignored by the average
    assert 22 <= welch_warmup(y) <= 75
    with pytest.raises(ValueError):
        welch_warmup(np.ones(21), window=5)
    with pytest.raises(ValueError):
        welch_warmup(np.ones(100), window=0)
    y[:, 10] = np.nan
    with pytest.raises(ValueError, match="no value"):
        welch_warmup(y)
    with pytest.raises(ValueError, match="NaN"):
        welch_warmup([1.0] * 30 + [float("nan")])


# --------------------------------------------------------------------------- wording
def _row(mean, low, high, **extra):
    return {"diff_mean": mean, "diff_ci_low": low, "diff_ci_high": high, **extra}


def test_describe_difference_rates_fall_in_points():
    text = describe_difference("cart_abandonment_rate", _row(-0.061, -0.073, -0.049),
                               reference="phase-1-siloed")
    assert text == ("cart abandonment falls by 6.1 points (95% CI 4.9 to 7.3) "
                    "against phase-1-siloed")


def test_describe_difference_days_plain_and_series_row():
    row = pd.Series(_row(-3.21, -4.4, -2.0, scenario="p2", reference="p1"))
    assert describe_difference("dso_days", row) == \
        "DSO falls by 3.2 days (95% CI 2.0 to 4.4) against p1"
    assert describe_difference("revenue", _row(123456.7, 100000.0, 150000.2)) == \
        ("revenue rises by 123,457 (95% CI 100,000 to 150,000) against the reference "
         "scenario")
    assert describe_difference("utilisation.call_centre", _row(0.12, 0.10, 0.14), level=0.9,
                               reference="p1") == \
        "call centre utilisation rises by 12.0 points (90% CI 10.0 to 14.0) against p1"


def test_describe_difference_no_clear_difference_reference_and_nan():
    text = describe_difference("cost_per_order", _row(-1.23, -3.5, 1.0), reference="p1")
    assert text == ("cost per order shows no clear difference against p1 "
                    "(change -1.2, 95% CI -3.5 to 1.0)")
    ref = _row(0.0, 0.0, 0.0, scenario="p1")
    assert describe_difference("order_accuracy", ref, reference="p1") == \
        "order accuracy: p1 is the reference scenario"
    nan = float("nan")
    assert "cannot be compared" in describe_difference("order_accuracy", _row(nan, nan, nan))


def test_rate_and_unit_rules():
    rates = ["cart_abandonment_rate", "b2c_session_conversion", "order_accuracy",
             "utilisation.warehouse", "cart_abandonment_reasons.price", "funnel_b2b.mql_to_sql",
             "market_penetration"]
    assert all(is_rate(k) for k in rates)
    assert not any(is_rate(k) for k in ("dso_days", "cost_per_order", "orders",
                                        "cost_breakdown.staff", "customer_satisfaction"))
    assert kpi_unit("lead_to_cash_days_mean_b2b") == "days"
    assert kpi_unit("lead_response_hours_mean") == "hours"
    assert kpi_unit("oversell_rate") == "points" and kpi_unit("cost_per_order") == ""


def test_importing_stats_stays_light():
    code = ("import sys, analysis.stats, analysis.plots; "
            "print(sorted(m for m in ('matplotlib', 'seaborn', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]"
