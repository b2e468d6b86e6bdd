"""The customer base's steady state (sim/steady.py, ``omnisim scenarios steady``) and the
warning of a drifting base."""

from __future__ import annotations

import math

from cli_helpers import SMALL, run_in_process

from sim.model import OmniModel
from sim.runner import prepare
from sim.steady import BaseMeter, base_record, base_warnings, deciles


def test_base_counts_join_and_leave_consistently() -> None:
    """The base is the opening base plus those who joined less those who left, per segment."""
    model = OmniModel(prepare(SMALL, days=20).scenario)
    model.run()
    for seg, r in base_record(model).items():
        assert r["end"] == r["start"] + r["joined"] - r["left"], seg
        assert r["joined"] > 0 or seg == "enterprise"


def test_meter_rates_match_the_counters() -> None:
    """Joins per day and leaves per member-day over the measured span, from the counters."""
    loaded = prepare(SMALL, days=30)
    model = OmniModel(loaded.scenario)
    meter = BaseMeter(model, skip=10 * 24.0)
    model.env.run(until=30 * 24.0)
    rates = meter.rates()
    lam, mu = rates["consumer"]
    joins = model.base_joins["consumer"] - meter.start_joins["consumer"]
    assert math.isclose(lam, joins / meter.days)
    assert mu > 0 and meter.days == 20.0


def test_a_drifting_base_is_warned_about_and_a_steady_one_is_not() -> None:
    steady = {"consumer": {"start": 600, "end": 610, "joined": 900, "left": 890,
                           "change_per_year": 0.06}}
    drift = {"consumer": {"start": 3000, "end": 1000, "joined": 900, "left": 2900,
                          "change_per_year": -2.7}}
    noisy = {"enterprise": {"start": 10, "end": 6, "joined": 2, "left": 6,
                            "change_per_year": -1.6}}
    assert base_warnings(steady) == []
    assert base_warnings(noisy) == []  # 4 fewer of 10: within the noise of 8 moves
    (msg,) = base_warnings(drift)
    assert "consumer customer base went from 3,000 to 1,000" in msg and "steady" in msg


def test_scenarios_steady_prints_the_sizes_to_start_from() -> None:
    code, out, err = run_in_process(["scenarios", "steady", SMALL, "-r", "1", "--days", "150",
                                     "--no-progress"])
    assert code == 0, err
    assert "steady state" in out and "existing_customers:" in out
    for seg in ("consumer", "small_business", "enterprise"):
        assert f"  {seg}: {{existing_customers: " in out
    # the members' satisfaction: ten deciles in [0, 1], ascending, that the schema accepts
    line = next(x for x in out.splitlines() if x.startswith("  consumer: "))
    values = [float(v) for v in line.split("opening_satisfaction: [")[1].split("]")[0].split(",")]
    assert len(values) == 10 and values == sorted(values) and 0 <= values[0] <= values[-1] <= 1
    assert values[0] < 1.0, "some consumers have had a bad experience in 150 days"
    prepare(SMALL, (f"segments.consumer.opening_satisfaction={values}",))


def test_deciles_are_the_midpoint_percentiles() -> None:
    assert deciles([]) == ()
    assert deciles([float(x) for x in range(101)]) == tuple(5.0 + 10.0 * k for k in range(10))


def test_scenarios_steady_refuses_a_run_too_short_to_measure() -> None:
    code, _, err = run_in_process(["scenarios", "steady", SMALL, "--days", "100"])
    assert code == 2 and "--days" in err and "Traceback" not in err


# The baseline's base after 365 days (issue 15) is checked by tests/test_horizon.py, whose
# baseline replications 1 and 2 run on to day 365.
