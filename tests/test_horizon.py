"""KPIs do not depend on how long one simulates (issue 15).

A run of D days with seed s is the first D days of a longer run with the same seed: the model
draws nothing from the horizon, which only says when to stop. So one run per replication gives
both a 60-day and a 180-day result: the KPIs read at day 60, then at day 180 (the first test
checks that reading at day D equals running D days, on the small company).

The slow test runs the baseline and Total Commerce phases 1 and 6, 10 replications each, and
asks that DSO, orders delivered per day, cost per order and the EBIT margin of the 60-day and
the 180-day windows (both after the scenario's warm-up) agree within their 95% confidence
intervals: the two intervals overlap. The calendar's scheduled peaks are removed (NO_PEAKS):
the holiday week at days 70-77 is inside the 180-day window only, and raises phase 6's orders
delivered per day from 80.4 [79.8, 81.1] to 82.1 [81.6, 82.6] by itself, which is the
calendar, not a drift.

Before the opening balances and the steady-state customer base, the baseline's DSO was about
28 days at 60 days and 52 at 180 (3 seeds). Now (no peaks, the bases re-measured after first
responses got their own touch time): baseline DSO 50.4 [42.6, 58.1] vs 54.6 [52.8, 56.5] (the
means were 8.7 days apart when the opening placed customers in a renewal cycle of customers
who never leave); phase 1 60.5 [42.1, 78.8] vs 60.6 [56.1, 65.1]; phase 6 47.5 [42.7, 52.4]
vs 48.1 [46.8, 49.4] (42.4 vs 48.4 before). Orders delivered per day: baseline 26.7 vs 26.2,
phase 6 80.4 [79.2, 81.6] vs 81.0 [80.4, 81.5]. EBIT margin: baseline -12% vs -8%, phase 6
+13% vs +14%. Measured again after the quote, stock and idle-resource mechanisms, with
the bases measured for them: every pair agrees but the baseline's DSO (KNOWN_DRIFT), and
phase 1's EBIT margin, which drifted, now agrees.
"""

from __future__ import annotations

import pytest
from cli_helpers import SMALL

from analysis.stats import mean_ci
from sim.model import OmniModel
from sim.runner import prepare
from sim.steady import base_record

KPIS = ("dso_days", "throughput_orders_per_day", "cost_per_order", "ebit_margin")
REPS = 10


#: the calendar's scheduled peaks removed: a holiday week (days 70-77 in the ladder files, 1.6x
#: the leads) is a real difference between a 60-day and a 180-day window, not a drift
NO_PEAKS = ("calendar.peaks=[]",)


def kpis_at(ref: str, seed: int, days: tuple[float, ...],
            overrides: tuple[str, ...] = (), base: list[int] | None = None
            ) -> list[dict[str, float]]:
    """The KPIs of one run, read at each of ``days`` (ascending); with ``base``, the size of
    the customer base (all segments) at the start and at the last day is appended to it."""
    loaded = prepare(ref, overrides, seed=seed, days=max(days))
    model = OmniModel(loaded.scenario)
    out = []
    for d in days:
        model.env.run(until=d * 24.0)
        out.append(model.kpis())
    if base is not None:
        record = base_record(model)
        base += [sum(r["start"] for r in record.values()), sum(r["end"] for r in record.values())]
    return out


def test_reading_at_day_d_is_running_d_days() -> None:
    short = prepare(SMALL, seed=3, days=4)
    model = OmniModel(short.scenario)
    model.run()
    assert kpis_at(SMALL, 3, (4.0, 6.0))[0] == model.kpis()


#: measured drifts still open, each with its cause; the test asserts they still drift (the
#: seeds are fixed, so this is deterministic): when one is fixed the test fails and its entry
#: goes. None is open. The last two: phase 1's EBIT margin (-127% [-154%, -101%] over 60 days
#: vs -80% [-100%, -60%] over 180) agreed once quotes, stock and idle resources became work;
#: the baseline's DSO (40.5 [37.2, 43.8] days vs 46.9 [45.7, 48.2]: the opening customers
#: started fully satisfied, so the enterprise base rose from 39 to about 46 in 90 days and
#: receivables by a third) agreed once they start with the measured opening_satisfaction.
KNOWN_DRIFT: set[tuple[str, str]] = set()


@pytest.mark.slow
@pytest.mark.parametrize("ref", ["baseline", "phase-1-siloed", "phase-6-optimized"])
def test_kpis_agree_between_60_and_180_days(ref: str) -> None:
    """The four KPIs agree between the two horizons. The baseline's first two replications
    also run on to 365 days: its customer base there is within +/-10% of its start (the mean
    of the two; issue 15), so the opening base is the size the flow keeps."""
    bases: list[list[int]] = []
    runs = []
    for seed in range(1, REPS + 1):
        if ref == "baseline" and seed <= 2:
            bases.append([])
            runs.append(kpis_at(ref, seed, (60.0, 180.0, 365.0), NO_PEAKS, bases[-1]))
        else:
            runs.append(kpis_at(ref, seed, (60.0, 180.0), NO_PEAKS))
    if bases:
        start = bases[0][0]
        end = sum(b[1] for b in bases) / len(bases)
        print(f"{ref} customer base: {start} at the start, {[b[1] for b in bases]} after 365 "
              "days")  # quoted in the closing notes (pytest -rP)
        assert abs(end / start - 1.0) <= 0.10, (start, bases)
    for key in KPIS:
        m60, lo60, hi60, _ = mean_ci([r[0][key] for r in runs])
        m180, lo180, hi180, _ = mean_ci([r[1][key] for r in runs])
        agree = lo60 <= hi180 and lo180 <= hi60
        text = (f"{ref} {key}: 60 days {m60:.4g} [{lo60:.4g}, {hi60:.4g}] vs "
                f"180 days {m180:.4g} [{lo180:.4g}, {hi180:.4g}]")
        print(text)  # the figures the README quotes (pytest -rP shows them)
        if (ref, key) in KNOWN_DRIFT:
            assert not agree, f"{text}: agrees now; remove it from KNOWN_DRIFT"
        else:
            assert agree, text
