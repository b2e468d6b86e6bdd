"""Mechanisms as paired comparisons over replications with common random numbers.

Each test runs two variants of one company that differ in a single mechanism, with the same
seeds, and judges the paired difference by its confidence interval (never by a number pinned
from one seeded run). Where theory gives the size of the effect, the test checks it too.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.stats import mean_ci
from sim.journey.shop import CART_REASONS
from sim.replicate import plan, run_jobs

pytestmark = pytest.mark.slow

REPS = 5
DAYS = 45
LEVEL = 0.95
#: a tenth of the consumer visits, for mechanisms of business orders and invoices (consumers
#: are most of a run's work; fewer of them also make the business share of orders larger)
FEW_CONSUMERS = ("segments.consumer.leads_per_day=150",)


def paired(base: tuple[str, ...], a: tuple[str, ...], b: tuple[str, ...], seed: int = 100,
           reps: int = REPS, days: float = DAYS, ref: str = "baseline"):
    """KPIs of variant a and b (each a list over replications, same seeds)."""
    import tempfile
    from pathlib import Path

    from sim.scenario import SCENARIO_DIR

    folder = Path(tempfile.mkdtemp(prefix="omnisim-variants-"))
    parent = SCENARIO_DIR / f"{ref}.yaml"
    refs = []
    for name in ("variant-a", "variant-b"):
        path = folder / f"{name}.yaml"
        path.write_text(f"extends: {parent}\nname: {name}\n", encoding="utf-8")
        refs.append(str(path))
    jobs_a = plan([refs[0]], reps, seed, base + a, days)
    jobs_b = plan([refs[1]], reps, seed, base + b, days)
    outs = run_jobs(jobs_a + jobs_b, workers=1)
    return [o.kpis for o in outs[:reps]], [o.kpis for o in outs[reps:]]


def diff_ci(ka, kb, key, level=LEVEL):
    d = [y[key] - x[key] for x, y in zip(ka, kb, strict=True)]
    mean, lo, hi, n = mean_ci(d, level)
    assert n >= 3, f"{key}: too few defined replications"
    return mean, lo, hi


def test_longer_stock_sync_interval_raises_oversells():
    """Orders imported in batches (no live stock check) against a stock view refreshed every
    15 min vs once a day: the stale view accepts orders for stock that is gone. Stock is kept
    tight (a demand plan well under real demand, 4 days' cover) so that stock-outs happen in
    every replication; the mechanism, not the stock policy, is what differs."""
    base = ("links.order_intake={mode: batch, interval: 1 h}", "catalog.stock_cover=4 d",
            "catalog.safety_cover=0 d", "catalog.planned_units_per_day=60")
    ka, kb = paired(base, ("links.stock_sync={mode: batch, interval: 15 min}",),
                    ("links.stock_sync={mode: batch, interval: 24 h}",), days=30)
    mean, lo, hi = diff_ci(ka, kb, "oversell_rate")
    assert lo > 0, f"oversell rate should rise: diff {mean:.4f} CI [{lo:.4f}, {hi:.4f}]"


def test_rekeying_raises_order_errors_and_returns():
    """The order desk keys every field right vs with 3% errors per field (CALIBRATION O3).
    Partner orders and supplier POs are keyed without errors in both, and no product data
    changes between masters (an order line taken with stale item data is a wrong item too), so
    variant A has no wrong item at all and every wrong item in B comes from the order desk.
    Order accuracy counts paid orders, and business orders are paid 30-45 days after delivery
    (longer when late), so the run is long enough for the re-keyed orders to be paid inside
    the window."""
    base = ("links.partner_orders.error_per_field=0.0", "links.supplier_po.error_per_field=0.0",
            "catalog.product_changes_per_day=0", *FEW_CONSUMERS)
    ka, kb = paired(base, ("links.order_desk.error_per_field=0.0",),
                    ("links.order_desk.error_per_field=0.03",), days=90)
    for key in ("keying_errors_per_order", "wrong_item_rate", "return_rate"):
        mean, lo, hi = diff_ci(ka, kb, key)
        assert lo > 0, f"{key} should rise: diff {mean:.4f} CI [{lo:.4f}, {hi:.4f}]"
    mean, lo, hi = diff_ci(ka, kb, "order_accuracy")
    assert hi < 0, f"order accuracy should fall: diff {mean:.4f} CI [{lo:.4f}, {hi:.4f}]"
    assert all(k["wrong_item_rate"] == 0 for k in ka if not math.isnan(k["wrong_item_rate"]))


def test_removing_forced_account_creation_lowers_abandonment_by_its_share():
    """Theory: carts lost to forced account creation in A are saved in B unless a later
    reason (long checkout, slow pages, stock-out, payment) takes them, so
    drop = share_forced_A x (1 - q), q = later losses / carts that passed the account step.
    The paired differences of (observed drop - predicted drop) must straddle zero."""
    ka, kb = paired((), ("checkout.forced_account_creation=true",),
                    ("checkout.forced_account_creation=false",), days=30)
    # the reasons are checked in the order of CART_REASONS: those before the account step
    # take carts first, those after it take what the step lets through
    at = CART_REASONS.index("forced_account")
    earlier, later = CART_REASONS[:at], CART_REASONS[at + 1:]
    gaps = []
    for a, b in zip(ka, kb, strict=True):
        forced = a["cart_abandonment_reasons.forced_account"]
        reached = 1.0 - sum(a[f"cart_abandonment_reasons.{r}"] for r in earlier)
        passed = reached - forced
        q = sum(a[f"cart_abandonment_reasons.{r}"] for r in later) / passed
        predicted = forced * (1.0 - q)
        observed = a["cart_abandonment_rate"] - b["cart_abandonment_rate"]
        assert forced > 0.02
        gaps.append(observed - predicted)
    mean, lo, hi, _ = mean_ci(gaps, 0.99)
    assert lo <= 0 <= hi or abs(mean) < 0.005, \
        f"observed - predicted drop {mean:.4f}, 99% CI [{lo:.4f}, {hi:.4f}]"
    assert all(b["cart_abandonment_reasons.forced_account"] == 0 for b in kb)


def test_more_call_centre_agents_lower_call_abandonment():
    fixed = ("channels.call_centre.staffing={policy: fixed}",)  # not resized by the policy
    ka, kb = paired(fixed, ("channels.call_centre.staff=3",), ("channels.call_centre.staff=7",),
                    days=35)
    mean, lo, hi = diff_ci(ka, kb, "call_abandonment_rate")
    assert hi < 0, f"call abandonment should fall: diff {mean:.4f} CI [{lo:.4f}, {hi:.4f}]"
    mean, lo, hi = diff_ci(ka, kb, "call_service_level")
    assert lo > 0, f"service level should rise: diff {mean:.4f} CI [{lo:.4f}, {hi:.4f}]"


def test_one_price_master_removes_price_mismatch_disputes():
    ka, kb = paired(FEW_CONSUMERS, ("data_masters.price=3",), ("data_masters.price=1",))
    assert all(k["price_mismatch_disputes"] == 0 for k in kb), "one master: nothing to mismatch"
    assert all(k["price_mismatch_rate"] == 0 for k in kb)
    assert all(k["cart_abandonment_reasons.price_mismatch"] == 0 for k in kb)
    mean, lo, _, _ = mean_ci([k["price_mismatch_disputes"] for k in ka])
    assert lo > 0, f"three masters should cause mismatch disputes: mean {mean:.1f}, low {lo:.2f}"
    mean, lo, hi = diff_ci(ka, kb, "dispute_rate")
    assert hi < 0, f"dispute rate should fall: diff {mean:.4f} CI [{lo:.4f}, {hi:.4f}]"


# ----------------------------------------------------------------------------- calibration
# The phase-4 company against published ranges (sim/scenarios/README.md, "Calibration
# checks"). Cart abandonment: C1's average of ~70% is for the average site; C4 gives a better
# checkout design +35% conversion, 1 - 0.30 x 1.35 = 59% abandonment, and phase 4 has one
# (costs shown up front, no forced account), so the range runs from 55% (C4 is "care") to
# C5's desktop-mobile span.
PHASE4 = "total-commerce/phase-4-integrated"
CAL_REPS = 3
CAL_DAYS = 60


# session scope: under --dist worksteal a module fixture is set up again each time a worker
# comes back to the module; a session one once per worker
@pytest.fixture(scope="session")
def phase4():
    outs = run_jobs(plan([PHASE4], CAL_REPS, 1, (), CAL_DAYS), workers=1)
    return [o.kpis for o in outs]


def _interval(ks, key):
    mean, lo, hi, n = mean_ci([k[key] for k in ks], LEVEL)
    assert n == len(ks), f"{key} undefined in some replications"
    return mean, lo, hi


@pytest.mark.parametrize("key, low, high, rows", [
    ("cart_abandonment_rate", 0.55, 0.80, "C1, C4, C5"),
    ("b2c_session_conversion", 0.01, 0.04, "C6-C8"),
    ("funnel_small_business.lead_to_mql", 0.20, 0.40, "F1"),
    ("funnel_small_business.mql_to_sql", 0.13, 0.60, "F1, F2"),
    ("funnel_small_business.sql_to_opportunity", 0.30, 0.80, "F1, F2"),
    ("funnel_small_business.opportunity_to_won", 0.10, 0.35, "F1, F2"),
])
def test_phase4_lands_inside_published_ranges(phase4, key, low, high, rows):
    mean, lo, hi = _interval(phase4, key)
    print(f"phase 4 {key}: {mean:.4f} [{lo:.4f}, {hi:.4f}]")  # quoted in the README (-rP)
    assert low <= lo and hi <= high, \
        f"{key} {mean:.3f} (95% CI {lo:.3f}-{hi:.3f}) outside {low}-{high} ({rows})"


def test_phase4_call_abandonment_when_staffed_for_80_20():
    """W1, W2: staff the phase-4 call centre with the fewest agents that reach an 80/20
    service level (80% of calls answered within 20 s, mean over replications); callers with
    75-s mean patience then abandon 3-15% of calls."""
    for staff in range(1, 8):  # a fixed headcount each (the shipped policy would resize it)
        sets = (f"channels.call_centre.staff={staff}",
                "channels.call_centre.staffing={policy: fixed}")
        outs = run_jobs(plan([PHASE4], CAL_REPS, 1, sets, CAL_DAYS), workers=1)
        ks = [o.kpis for o in outs]
        sl, _, _ = _interval(ks, "call_service_level")
        if sl >= 0.80:
            break
    else:
        pytest.fail("no staffing up to 7 agents reaches an 80/20 service level")
    mean, lo, hi = _interval(ks, "call_abandonment_rate")
    assert lo >= 0.03 and hi <= 0.15, \
        f"{staff} agents (service level {sl:.2f}): call abandonment {mean:.3f} CI {lo:.3f}-{hi:.3f}"


def test_replication_means_are_not_identical(phase4):
    """Different seeds give different numbers (the replications are real replications)."""
    values = [k["orders"] for k in phase4]
    assert len(set(values)) == len(values)
    assert np.std(values) > 0


def test_stock_sync_latency_raises_oversells_and_backorders_under_tight_stock():
    """The tight-stock example (no safety cover, weekly review) with the channels' stock view
    refreshed every 15 min vs once a day: every line is checked against the view, re-keyed
    orders included, so a staler view accepts more lines the truth no longer has (oversells),
    which wait as backorders."""
    ka, kb = paired((), ("links.stock_sync={mode: batch, interval: 15 min}",),
                    ("links.stock_sync={mode: batch, interval: 24 h}",), days=30,
                    ref="examples/tight-stock")
    for key in ("oversell_rate", "backorder_rate"):
        mean, lo, hi = diff_ci(ka, kb, key)
        assert lo > 0, f"{key} should rise: diff {mean:.4f} CI [{lo:.4f}, {hi:.4f}]"


def test_forecast_error_falls_with_a_fresh_feed_and_one_product_master():
    """The planner's computed forecast from a nightly sales feed and 3 product masters (phase
    1's data) vs a real-time feed and one master (phase 5's): the error must fall, and by
    about what the CALIBRATION phase table gives for better data alone (relative error 1.0 ->
    0.85; tolerance +/-0.12). I5's further AI gain (0.5-0.8 at phase 6) has no mechanism in
    the model: the planner's method is exponential smoothing in every phase."""
    ka, kb = paired((), ("links.stock_sync={mode: batch, interval: 24 h}",
                         "data_masters.product=3"),
                    ("links.stock_sync={mode: realtime}", "data_masters.product=1"), days=30)
    mean, lo, hi = diff_ci(ka, kb, "forecast_error")
    assert hi < 0, f"forecast error should fall: diff {mean:.4f} CI [{lo:.4f}, {hi:.4f}]"
    ratio = np.mean([k["forecast_error"] for k in kb]) / np.mean([k["forecast_error"] for k in ka])
    assert abs(ratio - 0.85) <= 0.12, f"relative forecast error {ratio:.3f}, table 0.85"
