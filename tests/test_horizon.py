"""KPIs do not depend on how long one simulates (issue 15).

A run of D days with seed s is the first D days of a longer run with the same seed: the model
draws nothing from the horizon, which only says when to stop. So one run per replication gives
both a 60-day and a 180-day result: the KPIs read at day 60, then at day 180 (the first test
checks that reading at day D equals running D days, on the small company).

The slow test runs the baseline and Total Commerce phases 1 and 6, 10 replications each, and
asks that DSO, orders delivered per day, cost per order and the EBIT margin of the 60-day and
the 180-day windows (both after the scenario's warm-up) agree within their 95% confidence
intervals: the two intervals overlap. Before the opening balances and the steady-state
customer base, the baseline's DSO was about 28 days at 60 days and 52 at 180 (3 seeds). With
the opening's phase shares weighed by the customers' retention (sim/opening.py) it is 49.0
[41.4, 56.6] and 53.3 [52.0, 54.6] (the means were 8.7 days apart with the renewal cycle of
customers who never leave, now 4.3); phase 1 57.7 [37.3, 78.2] and 61.3 [57.1, 65.5].
Throughput, cost per order and EBIT margin agree closely.
"""

from __future__ import annotations

import pytest
from cli_helpers import SMALL

from analysis.stats import mean_ci
from sim.model import OmniModel
from sim.runner import prepare

KPIS = ("dso_days", "throughput_orders_per_day", "cost_per_order", "ebit_margin")
REPS = 10


def kpis_at(ref: str, seed: int, days: tuple[float, ...]) -> list[dict[str, float]]:
    """The KPIs of one run, read at each of ``days`` (ascending)."""
    loaded = prepare(ref, seed=seed, days=max(days))
    model = OmniModel(loaded.scenario)
    out = []
    for d in days:
        model.env.run(until=d * 24.0)
        out.append(model.kpis())
    return out


def test_reading_at_day_d_is_running_d_days() -> None:
    short = prepare(SMALL, seed=3, days=4)
    model = OmniModel(short.scenario)
    model.run()
    assert kpis_at(SMALL, 3, (4.0, 6.0))[0] == model.kpis()


#: phase 6's throughput still drifts: orders delivered per day 79.7 [78.5, 80.8] over 60 days vs
#: 82.1 [81.6, 82.6] over 180 (10 replications; DSO 46.4 [42.6, 50.3] vs 48.4 [47.0, 49.9], cost
#: per order and EBIT margin agree). Measured cause (seed 1): the opening holds no prospects part-
#: way through the funnel, so orders from new business accounts take a sales cycle to reach their
#: rate: small-business deliveries 6.9 a day over days 0-20 against about 9.5 later, enterprise
#: 0.25 against 0.9 (MSER-5 suggests an 85-day warm-up). Strict: when the opening holds a
#: pipeline of prospects this fails, and the mark goes.
PHASE_6_DRIFT = pytest.mark.xfail(strict=True,
                                  reason="phase 6's throughput drifts (PHASE_6_DRIFT)")


@pytest.mark.slow
@pytest.mark.parametrize("ref", ["baseline", "phase-1-siloed",
                                 pytest.param("phase-6-optimized", marks=PHASE_6_DRIFT)])
def test_kpis_agree_between_60_and_180_days(ref: str) -> None:
    runs = [kpis_at(ref, seed, (60.0, 180.0)) for seed in range(1, REPS + 1)]
    for key in KPIS:
        m60, lo60, hi60, _ = mean_ci([r[0][key] for r in runs])
        m180, lo180, hi180, _ = mean_ci([r[1][key] for r in runs])
        assert lo60 <= hi180 and lo180 <= hi60, (
            f"{ref} {key}: 60 days {m60:.4g} [{lo60:.4g}, {hi60:.4g}] vs "
            f"180 days {m180:.4g} [{lo180:.4g}, {hi180:.4g}]")
