"""Intervals that respect a KPI's bounds (analysis.stats.kpi_ci) and the too-short warnings
(sim.kpis.horizon, the slide's "too short to tell" panel)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.plots import TOO_SHORT, ladder_figure
from analysis.stats import kpi_ci, mean_ci, summarise
from sim.kpis.horizon import ShortWindow, worst
from sim.kpis.registry import describe


def test_a_share_of_two_replications_stays_inside_0_1() -> None:
    """0.95 and 0.99: the t interval is 0.97 +/- 0.25 (up to 1.22); the logit one is not."""
    _, t_low, t_high, _ = mean_ci([0.95, 0.99])
    assert t_high > 1.0, "the plain t interval leaves [0, 1] here"
    mean, low, high, n = kpi_ci([0.95, 0.99], describe("order_accuracy"))
    assert n == 2 and mean == pytest.approx(0.97)
    assert 0.0 <= low < mean < high <= 1.0


@pytest.mark.parametrize("values", [[0.0, 0.01, 0.02], [1.0, 0.98, 0.99], [0.0, 0.0, 0.3]])
def test_a_share_with_a_value_on_its_bound_is_clipped_into_0_1(values: list[float]) -> None:
    mean, low, high, _ = kpi_ci(values, "oversell_rate")
    assert 0.0 <= low <= mean <= high <= 1.0


def test_a_score_stays_inside_0_100() -> None:
    spec = describe("customer_satisfaction")
    assert spec.bounds == (0.0, 100.0)
    _, low, high, _ = kpi_ci([97.0, 99.5], spec)
    assert low >= 0.0 and high <= 100.0


def test_non_negative_kpis_keep_their_lower_bound_at_0() -> None:
    for key, values in (("orders", [1.0, 40.0]), ("dso_days", [0.5, 30.0]),
                        ("revenue", [10.0, 5000.0])):
        mean, low, high, _ = kpi_ci(values, key)
        assert low >= 0.0 and high > mean, key
        assert mean_ci(values)[1] < 0.0, "the plain t interval goes below 0 here"


def test_signed_kpis_keep_the_plain_t_interval() -> None:
    """EBIT may be a loss: its interval may cross 0; the margin may be negative."""
    assert describe("ebit").bounds == (None, None)
    assert describe("ebit_margin").bounds == (None, None)
    assert kpi_ci([10.0, 5000.0], "ebit") == mean_ci([10.0, 5000.0])


@pytest.mark.slow
def test_the_logit_interval_covers_a_binomial_share_about_95_percent_of_the_time() -> None:
    """Each replication's share is a binomial proportion (m trials, true p); 10 replications
    give one interval. Over 4000 intervals the coverage of the true p is 95% within 2 points
    (its binomial standard error is 0.34 points; the logit's bias costs under 1 point at
    these sizes)."""
    rng = np.random.default_rng(20261202)
    for p, m in ((0.9, 400), (0.6, 200), (0.03, 2000)):
        shares = rng.binomial(m, p, size=(4000, 10)) / m
        hits = 0
        for row in shares:
            _, low, high, _ = kpi_ci(row, "order_accuracy")
            hits += low <= p <= high
        coverage = hits / len(shares)
        assert abs(coverage - 0.95) < 0.02, (p, m, coverage)


def test_summarise_uses_the_bounded_interval() -> None:
    tidy = pd.DataFrame({"scenario": ["a", "a"], "scenario_index": [0, 0],
                         "replication": [0, 1], "kpi": ["order_accuracy"] * 2,
                         "value": [0.95, 0.99]})
    row = summarise(tidy).iloc[0]
    assert row["ci_low"] >= 0.0 and row["ci_high"] <= 1.0


def test_too_short_sentence_names_the_kpi_the_reason_and_the_days() -> None:
    w = ShortWindow("dso_days", "DSO", "the longest payment terms plus the mean late delay",
                    52.0, 30.0, 14.0)
    assert w.sentence() == ("DSO: 30 days less the 14-day warm-up is shorter than the longest "
                            "payment terms plus the mean late delay (52 d); run at least 70 "
                            "days")
    shorter = ShortWindow("dso_days", "DSO", "r", 60.0, 30.0, 14.0)
    assert worst([w, shorter]) == [shorter]


def test_the_slide_says_too_short_to_tell(tmp_path: Path, monkeypatch) -> None:
    summary = pd.DataFrame([
        {"scenario": s, "scenario_index": i, "kpi": k, "n": 3, "mean": m, "ci_low": m,
         "ci_high": m, "diff_mean": 0.0, "diff_ci_low": 0.0, "diff_ci_high": 0.0}
        for i, s in enumerate(["a", "b"])
        for k, m in (("dso_days", 20.0), ("lead_to_cash_days_mean_b2b", math.nan),
                     ("orders", 10.0))])
    texts: list[str] = []
    from matplotlib.axes import Axes

    real = Axes.text

    def spy(self, x, y, s, *args, **kw):
        texts.append(str(s))
        return real(self, x, y, s, *args, **kw)

    monkeypatch.setattr(Axes, "text", spy)
    ladder_figure(summary, ["dso_days", "lead_to_cash_days_mean_b2b", "orders"],
                  tmp_path / "slide.png", "t", short=["dso_days"])
    assert sum(TOO_SHORT in t for t in texts) == 2, texts  # flagged, and empty long-window
    assert (tmp_path / "slide.png").stat().st_size > 0
