"""Quotes, invoices and disputes as work (issue 16, part 1): move the cause, check the effect
as a paired difference over replications with common random numbers (never a number pinned
from one seeded run).

The consumer segment is cut to a few visits a day in every variant (it shares no station
with quoting, billing or credit control), so a replication takes seconds.
"""

from __future__ import annotations

import pytest
from test_mechanisms_stats import diff_ci, paired

from analysis.stats import mean_ci
from sim.replicate import plan, run_jobs

pytestmark = pytest.mark.slow

QUIET = ("segments.consumer.leads_per_day=30", "warmup=7 d")
REPS = 5


def test_quote_turnaround_falls_with_pricing_capacity() -> None:
    """A pricing team of 2 vs 6 clerks (fixed headcount): the quote queue is shorter."""
    base = (*QUIET, "teams.pricing.staffing={policy: fixed}")
    ka, kb = paired(base, ("teams.pricing.staff=2",), ("teams.pricing.staff=6",), days=30,
                    reps=REPS)
    mean, lo, hi = diff_ci(ka, kb, "quote_turnaround_days_mean")
    assert hi < 0, f"turnaround should fall: diff {mean:.3f} d CI [{lo:.3f}, {hi:.3f}]"


def test_quote_turnaround_falls_with_cpq() -> None:
    """Manual pricing vs CPQ (which prices standard lines and clears quotes under its
    approval limit): quotes are ready sooner and fewer go out below margin."""
    ka, kb = paired(QUIET, ("quoting.mode=manual",),
                    ("quoting.mode=cpq", "quoting.approval_over=10k USD"), days=30, reps=REPS)
    mean, lo, hi = diff_ci(ka, kb, "quote_turnaround_days_mean")
    assert hi < 0, f"turnaround should fall: diff {mean:.3f} d CI [{lo:.3f}, {hi:.3f}]"
    mean, lo, hi = diff_ci(ka, kb, "below_margin_quote_rate")
    assert hi < 0, f"below-margin quotes should fall: diff {mean:.3f} CI [{lo:.3f}, {hi:.3f}]"


def test_more_price_changes_raise_below_margin_quotes_by_hand_only() -> None:
    """Four times the price-change rate (3 -> 12 a day) leaves the price masters disagreeing
    about four times as often (doubling it gave a manual rise of 0.09 [-0.03, 0.22] over
    these 5 x 30 days, too noisy to tell; 3 -> 12: 0.27 [0.14, 0.40]): quotes priced by hand
    go out below margin more often; CPQ reads its one master, so its rise (from the few non-
    standard lines still priced by hand) is smaller than the manual rise: the rises are
    paired by seed (the same seeds in all four variants) and their difference, manual minus
    CPQ, has a 95% interval above 0. (A bound on the CPQ rise alone needs more than 5 x 30
    days: its interval was [-0.006, 0.038] around 0.016.)"""
    rates = (("catalog.price_changes_per_day=3",), ("catalog.price_changes_per_day=12",))
    key = "below_margin_quote_rate"
    man_a, man_b = paired((*QUIET, "quoting.mode=manual"), *rates, days=30, reps=REPS)
    m_man, lo_man, hi_man = diff_ci(man_a, man_b, key)
    print(f"manual rise {m_man:.4f} [{lo_man:.4f}, {hi_man:.4f}]")
    assert lo_man > 0, f"manual: should rise: diff {m_man:.4f} CI [{lo_man:.4f}, {hi_man:.4f}]"
    cpq_a, cpq_b = paired((*QUIET, "quoting.mode=cpq"), *rates, days=30, reps=REPS)
    rises = [(mb[key] - ma[key]) - (cb[key] - ca[key])
             for ma, mb, ca, cb in zip(man_a, man_b, cpq_a, cpq_b, strict=True)]
    mean, lo, hi, _ = mean_ci(rises)
    print(f"manual - CPQ {mean:.4f} [{lo:.4f}, {hi:.4f}]")
    assert lo > 0, (f"the manual rise should exceed CPQ's: manual - CPQ {mean:.4f} "
                    f"CI [{lo:.4f}, {hi:.4f}]")


def test_ship_to_invoice_grows_with_the_invoice_run_interval() -> None:
    """Nightly vs weekly invoice runs (Monday 06:00): an invoice waits for the next run, on
    average half the interval for deliveries spread evenly over the week, so the lag grows
    by (7 - 1) / 2 = 3 days; deliveries fall on working days, which a Monday run finds
    later (up to +4 d if all came mid-week), so the 95% interval must lie in [2, 4.5] d."""
    ka, kb = paired(QUIET, ("links.invoicing={mode: batch, interval: 24 h, offset: 6 h}",),
                    ("links.invoicing={mode: batch, interval: 7 d, offset: 6 h}",), days=30,
                    reps=REPS)
    mean, lo, hi = diff_ci(ka, kb, "ship_to_invoice_days_mean")
    assert lo > 2.0 and hi < 4.5, f"diff {mean:.3f} d CI [{lo:.3f}, {hi:.3f}], theory 3-4 d"


def test_dispute_time_grows_with_credit_control_load() -> None:
    """One credit controller (fixed) whose credit reviews take 30 min vs 3 h: disputes wait
    behind more work, so they take longer to resolve. Order-desk errors are raised to 5% a
    field in both so that every replication has disputes."""
    base = (*QUIET, "teams.credit_control.staffing={policy: fixed}",
            "teams.credit_control.staff=1", "links.order_desk.error_per_field=0.05")
    ka, kb = paired(base, ("teams.credit_control.touch_time.mean=30 min",),
                    ("teams.credit_control.touch_time.mean=3 h",), days=30, reps=REPS)
    mean, lo, hi = diff_ci(ka, kb, "dispute_days_mean")
    assert lo > 0, f"dispute time should grow: diff {mean:.3f} d CI [{lo:.3f}, {hi:.3f}]"


def _mean(ref: str, key: str, days: float = 45, reps: int = 4) -> tuple[float, float, float]:
    from sim.scenario import SCENARIO_DIR

    jobs = plan([str(SCENARIO_DIR / f"{ref}.yaml")], reps, 200, QUIET, days)
    vals = [o.kpis[key] for o in run_jobs(jobs, workers=1)]
    mean, lo, hi, _ = mean_ci(vals, 0.95)
    return mean, lo, hi


@pytest.mark.parametrize(("phase", "low", "high", "reps"), [
    # F7 (one vendor case, rated weak): 14 d without CPQ; within a factor of 2
    ("total-commerce/phase-1-siloed", 14 / 2, 14 * 2, 4),
    # the phase table's 1 d (interpolated): within a factor of 2. Eight replications: a
    # 45-day run of phase 6 has few quotes, and one in a few has a non-standard quote waiting
    # for engineering (seeds 200-207: 0.65, 0.76, 0.68, 1.45, 0.62, 0.76, 0.59, 0.94 d), so
    # four replications' interval ran from 0.28 to 1.49 d around a mean of 0.89
    ("total-commerce/phase-6-optimized", 1 / 2, 1 * 2, 8),
])
def test_quote_turnaround_near_the_calibration(phase: str, low: float, high: float,
                                               reps: int) -> None:
    """Phase 1 and phase 6 quote turnaround (``reps`` replications x 45 d) against F7 and the
    phase table, with the tolerance stated per phase: the 95% interval must lie inside it."""
    mean, lo, hi = _mean(phase, "quote_turnaround_days_mean", reps=reps)
    print(f"{phase} quote turnaround {mean:.2f} d [{lo:.2f}, {hi:.2f}]")  # pytest -rP
    assert low <= lo and hi <= high, f"{phase}: {mean:.2f} d CI [{lo:.2f}, {hi:.2f}]"
