"""Staffing follows the work (sim/staffing.py) and rework is work on a named team.

Unit tests in SimPy's style (exact times on deterministic cases; ``t = 0`` is Monday 00:00):
the roster of a :class:`~sim.resources.Station` changes without losing or interrupting
anyone, pay and utilisation integrate it piecewise, Erlang C against textbook values, the
occupancy and service-level rules on known workloads, lag and bounds. The slow tests are the
issue's acceptance checks: paired comparisons over replications with common random numbers,
judged by their 95% confidence intervals.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import simpy

from analysis.stats import mean_ci
from sim.calendar import parse_hours
from sim.model import OmniModel
from sim.replicate import plan, run_jobs
from sim.resources import Station
from sim.scenario import load
from sim.scenario.staffing import OccupancyStaffing, ServiceLevelStaffing
from sim.staffing import (
    Planner,
    answered_within,
    busiest_hour_load,
    erlang_c_wait,
    occupancy_headcount,
    service_level_headcount,
)
from sim.validation.theory import erlang_c

OFFICE = "Mon-Fri 08:00-17:00"  # 45 open hours a week
WEEK = 168.0
Log = list[tuple[Any, ...]]


def job(env: simpy.Environment, log: Log, st: Station, name: str, arrive: float,
        work: float) -> Generator[simpy.Event, Any, None]:
    if arrive > 0:
        yield env.timeout(arrive)
    yield from st.serve(work)
    log.append((env.now, name))


def at(env: simpy.Environment, t: float, what: Any) -> None:
    """Call ``what()`` at time ``t``."""
    env.timeout(t).callbacks.append(lambda _: what())


# --------------------------------------------------------------------------- the roster
def test_raising_capacity_grants_waiting_work_at_once() -> None:
    env, log = simpy.Environment(), []
    st = Station(env, "desk", "team", 1)
    for name in "abcd":
        env.process(job(env, log, st, name, 0.0, 10.0))
    at(env, 1.0, lambda: st.set_capacity(3))  # b and c start at 1, d waits for a server
    env.run()
    assert log == [(10.0, "a"), (11.0, "b"), (11.0, "c"), (20.0, "d")]
    assert st.roster == [(0.0, 1), (1.0, 3)]


def test_lowering_capacity_lets_service_finish_and_holds_new_work() -> None:
    env, log = simpy.Environment(), []
    st = Station(env, "desk", "team", 3)
    for name in "abc":
        env.process(job(env, log, st, name, 0.0, 10.0))
    env.process(job(env, log, st, "d", 2.0, 1.0))
    env.process(job(env, log, st, "e", 2.0, 1.0))
    at(env, 1.0, lambda: st.set_capacity(1))
    env.run()
    # nobody in service is interrupted; d and e then go one at a time on the one server
    assert log == [(10.0, "a"), (10.0, "b"), (10.0, "c"), (11.0, "d"), (12.0, "e")]


def test_pay_and_utilisation_integrate_the_roster_piecewise() -> None:
    env, log = simpy.Environment(), []
    st = Station(env, "desk", "team", 2, parse_hours(OFFICE), cost_per_server_hour=30.0)
    env.process(job(env, log, st, "a", 8.0, 3.0))
    at(env, WEEK, lambda: st.set_capacity(3))
    at(env, WEEK + 12.0, lambda: st.set_capacity(1))  # Monday 12:00: 4 of the day's 9 hours at 3
    env.run(until=2 * WEEK)
    paid = 2 * 45.0 + 3 * 4.0 + 1 * (5.0 + 4 * 9.0)
    assert st.paid_hours(0.0, 2 * WEEK) == paid
    assert st.staff_cost(0.0, 2 * WEEK) == 30.0 * paid
    assert st.paid_hours(WEEK, WEEK + 24.0) == 3 * 4.0 + 1 * 5.0
    assert st.utilisation() == 3.0 / paid
    with pytest.raises(ValueError, match="fewer than 1"):
        st.set_capacity(0)


def test_littles_law_holds_while_the_roster_changes() -> None:
    """Poisson arrivals at a back-office team whose roster changes every few hours: the
    time-average number present equals throughput x mean time present (the sample-path law
    the run's self-check applies, to rounding)."""
    rng = np.random.default_rng(7)
    env = simpy.Environment()
    st = Station(env, "desk", "team", 2, parse_hours(OFFICE))

    def arrivals() -> Generator[simpy.Event, Any, None]:
        while True:
            yield env.timeout(rng.exponential(0.5))
            env.process(st.serve(rng.exponential(0.8)))

    def planner() -> Generator[simpy.Event, Any, None]:
        while True:
            yield env.timeout(rng.uniform(1.0, 12.0))
            st.set_capacity(int(rng.integers(1, 6)))

    env.process(arrivals())
    env.process(planner())
    env.run(until=3 * WEEK)
    s = st.snapshot(env.now)
    assert s["served"] > 400 and len(st.roster) > 50
    assert s["mean_in_system"] == pytest.approx(s["little_lambda"] * s["little_W"], rel=1e-9)


# --------------------------------------------------------------------------- Erlang C
def test_erlang_c_against_textbook_values() -> None:
    # M/M/2 at 1 erlang: P(wait) = 2 rho^2 / (1 + rho) with rho = 1/2, exactly 1/3
    assert erlang_c_wait(2, 1.0) == pytest.approx(1 / 3, abs=1e-12)
    # 120 customers an hour, 3 min each (6 erlangs), 10 servers: "about 0.10" from the curve
    assert erlang_c_wait(10, 6.0) == pytest.approx(0.1013, abs=5e-4)
    # the call-centre worked example: 100 calls per half hour of 180 s (10 erlangs), 80% in
    # 20 s: 11 agents wait 68.2% and answer 39.6% in time, 13 reach 79.6%, 14 reach 88.8%
    aht, t = 180 / 3600, 20 / 3600
    assert erlang_c_wait(11, 10.0) == pytest.approx(0.6821, abs=5e-5)
    assert answered_within(11, 10.0, aht, t) == pytest.approx(0.3896, abs=5e-4)
    assert answered_within(13, 10.0, aht, t) == pytest.approx(0.7956, abs=5e-4)
    assert answered_within(14, 10.0, aht, t) == pytest.approx(0.8884, abs=5e-4)
    assert service_level_headcount(10.0, aht, 0.8, t) == 14
    # the same as the validation suite's Erlang C (the M/M/c the engine is checked against)
    assert erlang_c_wait(12, 10.0) == pytest.approx(erlang_c(100.0, 10.0, 12).p_wait, 1e-12)
    assert answered_within(10, 10.0, aht, t) == 0.0  # unstable: nobody is answered in time
    assert service_level_headcount(0.0, aht, 0.8, t) == 0


# --------------------------------------------------------------------------- the rules
def test_occupancy_rule_rounds_up_work_over_planned_hours() -> None:
    assert occupancy_headcount(72.0, 45.0, 0.8) == 2  # exactly 2.0 people: not 3
    assert occupancy_headcount(80.0, 45.0, 0.8) == 3  # 2.22
    assert occupancy_headcount(0.0, 45.0, 0.8) == 0
    assert occupancy_headcount(10.0, 0.0, 0.8) == 0


def planned(policy: Any, staff: int, hours: str = OFFICE, works: list[tuple[float, float]] = ()
            ) -> tuple[simpy.Environment, Station, Planner]:
    """A team with ``staff`` opening servers, its planner, and work ``(arrival, hours)``."""
    env = simpy.Environment()
    st = Station(env, "desk", "team", staff, parse_hours(hours))
    pl = Planner(env, st, policy)
    for arrive, work in works:
        env.process(job(env, [], st, "x", arrive, work))
    return env, st, pl


def test_occupancy_planner_sizes_a_known_week_of_work() -> None:
    """80 one-hour jobs on Monday morning, ten clerks (no backlog): 80 h / (45 h x 0.8) =
    2.2, so 3 clerks, decided at the end of the week and on the roster a week later."""
    spec = OccupancyStaffing(policy="occupancy", target=0.8)
    env, st, pl = planned(spec, 10, works=[(8.0, 1.0)] * 80)
    env.run(until=3 * WEEK + 1.0)
    assert pl.decisions == [(WEEK, 3), (2 * WEEK, 1), (3 * WEEK, 1)]  # weeks 2, 3: no work
    assert st.roster == [(0.0, 10), (2 * WEEK, 3), (3 * WEEK, 1)]  # default lag: one period


def test_an_understaffed_team_sizes_up_from_its_backlog() -> None:
    """The same week of work with one clerk: 45 jobs done by Friday 17:00, one in service
    and 34 waiting at the planning instant. The work offered (80 h) plus the backlog it
    built (34 h) asks for ceil(114 / 36) = 4 clerks, not for the one who was busy."""
    spec = OccupancyStaffing(policy="occupancy", target=0.8, lag="0 h")
    env, st, pl = planned(spec, 1, works=[(8.0, 1.0)] * 80)
    env.run(until=WEEK + 1e-6)
    assert pl.decisions == [(WEEK, 4)]
    assert st.capacity == 4 and st.roster == [(0.0, 1), (WEEK, 4)]  # lag 0: at once


def test_lag_and_bounds_of_the_roster() -> None:
    works = [(8.0, 1.0)] * 80
    spec = OccupancyStaffing(policy="occupancy", target=0.8, lag="3 d", max=2, min=1)
    env, st, pl = planned(spec, 10, works=works)
    env.run(until=WEEK + 3 * 24.0 + 1.0)
    assert pl.decisions == [(WEEK, 2)]  # 3 asked for, capped at max
    assert st.roster == [(0.0, 10), (WEEK + 72.0, 2)]  # Thursday 00:00 of week 2
    spec = OccupancyStaffing(policy="occupancy", target=0.8, min=2, period="1 d", lag="0 h")
    env, st, pl = planned(spec, 5)
    env.run(until=24.5)
    assert pl.decisions == [(24.0, 2)] and st.capacity == 2  # no work: the minimum


def test_service_level_planner_sizes_the_busiest_clock_hour() -> None:
    """A line open Mon-Sat 08:00-20:00, closed Sunday. Every open day 10 calls of 6 min
    arrive between 10:00 and 11:00 (1 erlang), and 2 calls an hour otherwise (0.2 erlang).
    The busiest hour is 1 erlang over the days it was open (Sunday does not dilute it),
    and Erlang C sizes it for 80% in 20 s."""
    spec = ServiceLevelStaffing(policy="service_level", target=0.8, lag="0 h")
    env, st, pl = planned(spec, 1, hours="Mon-Sat 08:00-20:00")
    for day in range(6):
        for h in range(8, 20):
            calls = 10 if h == 10 else 2
            for k in range(calls):
                pl.meter.offer(day * 24.0 + h + k / calls, 0.1)
    open_by_hour = [0.0] * 24
    for h in range(8, 20):
        open_by_hour[h] = 6.0
    assert busiest_hour_load(pl.meter.by_hour, open_by_hour) == pytest.approx(1.0)
    assert pl.size(0.0, WEEK) == service_level_headcount(1.0, 0.1, 0.8, 20 / 3600) == 3
    assert answered_within(2, 1.0, 0.1, 20 / 3600) < 0.8 <= answered_within(3, 1.0, 0.1,
                                                                               20 / 3600)


# --------------------------------------------------------------------------- scenarios
LAB = Path(__file__).parent / "scenarios" / "lab.yaml"


@pytest.mark.parametrize(("broken", "fixes", "rework", "out_of_pocket"), [
    ("item", ["error fixed: wrong item"], {"customer_service": 2.0}, 8.0 + 5.0),
    ("address", ["error fixed: wrong address"], {"customer_service": 2.0}, 8.0),
    ("price", [], {"collections": 2.25}, 0.0),
])
def test_rework_is_queued_work_on_a_named_team(broken, fixes, rework, out_of_pocket) -> None:
    """A re-keyed order with every field wrong, each error breaking one thing (lab
    company): a wrong item or address is put right by customer service (2 h, before the
    re-shipment, which with the return of a wrong item stays out-of-pocket rework cost); a
    wrong price is disputed, and collections spend their touch time (15 min) plus the same
    correction work on it."""
    from sim.customers import Customer

    shares = {k: float(k == broken) for k in ("item", "price", "address")}
    sets = ["segments.small_business.order_intake={email: 1}",
            "links.order_desk.error_per_field=1.0", f"errors={shares}",
            "costs.error_fix_time={dist: constant, value: 2 h}",
            "teams.collections.touch_time={dist: constant, value: 15 min}"]
    rows: list[tuple[str, str, float, float]] = []

    class Rec:
        rows = 0

        def record(self, case, customer, segment, activity, resource, start, end, outcome,
                   cost=0.0) -> None:
            rows.append((activity, resource, start, end))

    model = OmniModel(load(LAB, sets).scenario, eventlog=Rec())
    Customer(model, "small_business", "ads")
    model.env.run(until=200 * 24.0)
    done = [r for r in rows if r[0].startswith("error fixed")]
    assert [a for a, *_ in done] == fixes
    assert all(r == "customer_service" and end - start == pytest.approx(2.0)
               for _, r, start, end in done)
    acts = [a for a, *_ in rows]
    if fixes:
        assert acts.index(fixes[0]) < acts.index("reshipment")
    else:
        assert "dispute resolved" in acts
    assert model.ledger.rework_hours == pytest.approx(rework)
    assert model.ledger.costs["rework"] == out_of_pocket


def test_staff_cost_is_the_sum_of_labour_cost_per_staffed_station() -> None:
    model = OmniModel(load(Path(__file__).parent / "scenarios" / "small.yaml").scenario)
    model.run(days=4)
    k = model.kpis()
    assert model.planners  # the baseline (and so small.yaml) is staffed by policy
    assert sum(k["labour_cost"].values()) == pytest.approx(k["cost_breakdown"]["staff"])
    for name, hours in k["staff_hours"].items():
        assert k["labour_cost"][name] == pytest.approx(
            hours * model.stations[name].cost_per_server_hour)
    assert set(k["staff_hours"]) == {"store", "call_centre", "inside_sales", "field_sales",
                                     *model.scenario.teams, "warehouse"}
    assert set(k["rework_hours"]) == set(model.scenario.teams)


# --------------------------------------------------------------------------- acceptance
#: A business-to-business variant of the baseline, reduced for speed and precision: no
#: consumers and no enterprise accounts, small businesses who reorder from stock (no quotes,
#: no resellers, no write-offs), and long e-mailed purchase orders (15 min to key), so that
#: the order desk needs several clerks when it re-keys. (At the shipped baseline's volume
#: the manual order desk already works at its minimum of one clerk: there is no clerk to
#: save there, only rework.) The window runs Friday 16:00 to Friday 16:00 over four weeks,
#: so the weekend backlogs of the Mon-Fri teams do not enter it at one end only.
B2B = ("segments.consumer.leads_per_day=0", "segments.consumer.existing_customers=0",
       "segments.enterprise.leads_per_day=0", "segments.enterprise.existing_customers=0",
       "segments.small_business.leads_per_day=20",
       "segments.small_business.existing_customers=4000",
       "segments.small_business.lead_sources.reseller=0",
       "segments.small_business.configured_share=0",
       "segments.small_business.payment.write_off_share=0",
       "links.order_desk.touch_time={dist: gamma, mean: 15 min, cv: 0.5}",
       "warmup=448 h", "horizon=1120 h")
REPS = 10
MANUAL = ()
REALTIME = ("links.order_desk={mode: realtime}",)
DOUBLED = ("links.order_desk.error_per_field=0.03",)  # the baseline keys 1.5% wrong


# session scope: under --dist worksteal a module fixture is set up again each time a worker
# comes back to the module; a session one once per worker
@pytest.fixture(scope="session")
def variants() -> dict[str, list[dict[str, float]]]:
    """KPIs of the manual, real-time and doubled-error order desk, same seeds."""
    out = {}
    for name, sets in (("manual", MANUAL), ("realtime", REALTIME), ("doubled", DOUBLED)):
        jobs = plan(["baseline"], REPS, 500, B2B + sets, None)
        outcomes = run_jobs(jobs, workers=1)
        assert all(o.checks_ok for o in outcomes), "conservation or Little's law failed"
        out[name] = [o.kpis for o in outcomes]
    return out


def paired(a: list[dict[str, float]], b: list[dict[str, float]], f: Any
           ) -> tuple[float, float, float]:
    mean, lo, hi, n = mean_ci([f(y) - f(x) for x, y in zip(a, b, strict=True)], 0.95)
    assert n == REPS
    return mean, lo, hi


def busy(k: dict[str, float], team: str = "order_desk") -> float:
    """Hours of work the team did in the window (utilisation x paid hours)."""
    return k[f"utilisation.{team}"] * k[f"staff_hours.{team}"]


@pytest.mark.slow
def test_a_realtime_order_desk_lowers_its_staff_hours_and_cost_per_order(variants) -> None:
    """Manual vs real-time order desk, nothing else changed, staffing by policy: the desk's
    staff-hours and labour cost fall, and cost per order falls by at least the touch time
    saved per order x the desk's hourly cost (the paired 95% CI of the excess is above 0)."""
    man, rt = variants["manual"], variants["realtime"]
    for key in ("staff_hours.order_desk", "labour_cost.order_desk"):
        mean, lo, hi = paired(man, rt, lambda k, key=key: k[key])
        assert hi < 0, f"{key} should fall: diff {mean:.1f} CI [{lo:.1f}, {hi:.1f}]"
    rate = 30.0  # baseline teams.order_desk.cost_per_staff_hour

    def excess(pair: tuple[dict[str, float], dict[str, float]]) -> float:
        m, r = pair
        saved_per_order = busy(m) / m["orders"] - busy(r) / r["orders"]
        return (m["cost_per_order"] - r["cost_per_order"]) - saved_per_order * rate

    mean, lo, hi, n = mean_ci([excess(p) for p in zip(man, rt, strict=True)], 0.95)
    assert n == REPS and lo > 0, f"cost per order fell by less than the touch time saved x " \
                                 f"{rate:g}/h: excess {mean:.2f} CI [{lo:.2f}, {hi:.2f}]"
    assert all(busy(m) > 0 for m in man) and all(math.isclose(busy(r), 0, abs_tol=1e-9)
                                                for r in rt)


@pytest.mark.slow
def test_doubling_keying_errors_raises_customer_service_rework_and_cost(variants) -> None:
    """1.5% vs 3% of keyed fields wrong: the customer-service team's rework hours and its
    labour cost rise (paired 95% CIs above 0)."""
    base, doubled = variants["manual"], variants["doubled"]
    for key in ("rework_hours.customer_service", "labour_cost.customer_service"):
        mean, lo, hi = paired(base, doubled, lambda k, key=key: k[key])
        assert lo > 0, f"{key} should rise: diff {mean:.1f} CI [{lo:.1f}, {hi:.1f}]"
