"""Tests for sim.resources.Station, in SimPy's own style: processes append ``(time, what)`` to a
log and the test asserts the exact log. Simulated time is in hours; ``t = 0`` is Monday 00:00.
"""

from collections.abc import Generator
from typing import Any

import pytest
import simpy

from sim.calendar import parse_hours
from sim.resources import Station

Log = list[tuple[Any, ...]]


@pytest.fixture
def env() -> simpy.Environment:
    return simpy.Environment()


@pytest.fixture
def log() -> Log:
    return []


def customer(env: simpy.Environment, log: Log, st: Station, name: str, arrive: float,
             work: float, patience: float | None = None
             ) -> Generator[simpy.Event, Any, None]:
    """Arrive at ``arrive``, ask for ``work`` hours, log ``(now, name, served, wait)``."""
    if arrive > 0:
        yield env.timeout(arrive)
    served, wait = yield from st.serve(work, patience)
    log.append((env.now, name, served, wait))


def start(env: simpy.Environment, log: Log, st: Station,
          *people: tuple[Any, ...]) -> None:
    for p in people:
        env.process(customer(env, log, st, *p))


# --------------------------------------------------------------------------- queueing
def test_is_a_simpy_resource(env: simpy.Environment) -> None:
    st = Station(env, "order_desk", "team", 3, cost_per_server_hour=30.0)
    assert isinstance(st, simpy.Resource)
    assert (st.name, st.kind, st.capacity, st.hours, st.offset) == ("order_desk", "team", 3,
                                                                    None, 0.0)
    assert st.is_open(3.0)


def test_fifo_single_server(env: simpy.Environment, log: Log) -> None:
    st = Station(env, "s", "team", 1)
    start(env, log, st, ("a", 0.0, 3.0), ("b", 1.0, 3.0), ("c", 2.0, 3.0))
    env.run()
    assert log == [
        (3.0, "a", True, 0.0),
        (6.0, "b", True, 2.0),   # waits for a: 3 - 1
        (9.0, "c", True, 4.0),   # waits for a and b: 6 - 2
    ]
    assert (st.arrivals, st.served, st.abandoned) == (3, 3, 0)
    assert st.wait_sum == 6.0
    assert st.busy == 9.0


def test_fifo_same_instant_arrivals_keep_request_order(env: simpy.Environment,
                                                       log: Log) -> None:
    st = Station(env, "s", "team", 2)
    start(env, log, st, ("a", 0.0, 2.0), ("b", 0.0, 1.0), ("c", 0.0, 1.0), ("d", 0.0, 1.0))
    env.run()
    assert log == [
        (1.0, "b", True, 0.0),
        (2.0, "a", True, 0.0),
        (2.0, "c", True, 1.0),   # gets b's server at 1
        (3.0, "d", True, 2.0),   # gets a's server at 2 (c's too, but a released first)
    ]


def test_reneging_leaves_at_arrival_plus_patience(env: simpy.Environment, log: Log) -> None:
    st = Station(env, "call_centre", "channel", 1)
    start(env, log, st,
          ("a", 0.0, 5.0),
          ("b", 1.0, 1.0, 2.0),     # would wait 4 h, patience 2 h: hangs up at 3
          ("c", 2.0, 2.0),          # no patience limit: served after a
          ("d", 2.5, 1.0, 3.0))     # would wait 4.5 h for the server: hangs up at 5.5
    env.run()
    assert log == [
        (3.0, "b", False, 2.0),
        (5.0, "a", True, 0.0),
        (5.5, "d", False, 3.0),   # c, ahead of d, got a's server at 5
        (7.0, "c", True, 3.0),
    ]
    assert (st.arrivals, st.served, st.abandoned) == (4, 2, 2)
    assert st.wait_sum == 2.0 + 3.0 + 3.0
    assert st.busy == 7.0
    assert st.count == 0 and not st.queue


def test_patience_longer_than_the_wait_is_served(env: simpy.Environment, log: Log) -> None:
    st = Station(env, "s", "channel", 1)
    start(env, log, st, ("a", 0.0, 2.0), ("b", 1.0, 1.0, 1.5))
    env.run()
    assert log == [(2.0, "a", True, 0.0), (3.0, "b", True, 1.0)]
    assert st.abandoned == 0


def test_abandoner_frees_its_place_for_the_next_in_line(env: simpy.Environment,
                                                         log: Log) -> None:
    st = Station(env, "s", "channel", 1)
    start(env, log, st, ("a", 0.0, 4.0), ("b", 1.0, 1.0, 0.5), ("c", 2.0, 1.0))
    env.run()
    assert log == [(1.5, "b", False, 0.5), (4.0, "a", True, 0.0), (5.0, "c", True, 2.0)]


@pytest.mark.parametrize("b_arrives", [0.5, 1.0])
def test_patience_running_out_as_the_server_frees_does_not_leak_it(
        env: simpy.Environment, log: Log, b_arrives: float) -> None:
    """b's patience ends at exactly t=3, the instant a releases the server.

    Whatever the order SimPy processes the two same-time events in, b leaves at 3 (its wait
    equals its patience) and the server is free again: c, arriving later, is served at once.
    With ``b_arrives=1.0`` (a's service timeout was scheduled before b's patience timeout)
    the request is granted between the patience timeout and the condition firing; it must
    not stay in ``users`` for ever.
    """
    st = Station(env, "s", "channel", 1)
    if b_arrives == 0.5:
        # a0 holds the server until 1, then a works 1 -> 3 (timeout scheduled at t=1)
        start(env, log, st, ("a0", 0.0, 1.0), ("a", 0.0, 2.0),
              ("b", 0.5, 1.0, 2.5), ("c", 4.0, 1.0))
    else:
        # a works 0 -> 3 (timeout scheduled at t=0, before b's patience timeout)
        start(env, log, st, ("a", 0.0, 3.0), ("b", 1.0, 1.0, 2.0), ("c", 4.0, 1.0))
    env.run(until=10.0)
    assert [e for e in log if e[1] != "a0"] == [
        (3.0, "a", True, 1.0 if b_arrives == 0.5 else 0.0),
        (3.0, "b", False, 3.0 - b_arrives),
        (5.0, "c", True, 0.0),
    ]
    assert st.count == 0 and not st.queue
    assert st.abandoned == 1


# --------------------------------------------------------------------------- opening hours
@pytest.fixture
def office_station(env: simpy.Environment) -> Station:
    return Station(env, "order_desk", "team", 5, parse_hours("Mon-Fri 08:00-17:00"),
                   cost_per_server_hour=30.0)


def test_work_arriving_while_closed_starts_at_opening(env: simpy.Environment, log: Log,
                                                      office_station: Station) -> None:
    st = office_station
    start(env, log, st,
          ("night", 0.0, 2.0),            # Monday 00:00 -> works 08-10
          ("evening", 18.0, 1.0),         # Monday 18:00 -> Tuesday 08-09
          ("weekend", 5 * 24.0, 0.5))     # Saturday -> next Monday 08:00-08:30
    env.run()
    assert [(t, n, s) for t, n, s, _ in log] == [
        (10.0, "night", True),
        (33.0, "evening", True),
        (168.0 + 8.5, "weekend", True),
    ]
    assert st.busy == 3.5
    # every hour waited was for the opening (8 + 14 + 56), none for a busy server
    snap = st.snapshot(env.now)
    assert snap["wait_closed_hours"] == 8.0 + 14.0 + 56.0 == snap["wait_hours_total"]
    assert snap["wait_busy_hours"] == 0.0


def test_work_past_closing_resumes_next_opening(env: simpy.Environment, log: Log,
                                                office_station: Station) -> None:
    st = office_station
    start(env, log, st,
          ("mon", 16.0, 3.0),             # Mon 16-17, Tue 08-10
          ("fri", 4 * 24.0 + 16.0, 2.0),  # Fri 16-17, Mon 08-09
          ("long", 8.0, 20.0))            # Mon 08-17, Tue 08-17, Wed 08-10
    env.run()
    assert log == [
        (34.0, "mon", True, 0.0),
        (58.0, "long", True, 0.0),
        (168.0 + 9.0, "fri", True, 0.0),
    ]


def test_queue_behind_closing_time(env: simpy.Environment, log: Log) -> None:
    st = Station(env, "clerk", "team", 1, parse_hours("Mon-Fri 08:00-17:00"))
    start(env, log, st, ("a", 0.0, 5.0), ("b", 1.0, 5.0), ("c", 2.0, 5.0))
    env.run()
    assert log == [
        (13.0, "a", True, 8.0),          # 08-13; the night before opening is a wait
        (17.0 + 15.0 + 1.0, "b", True, 12.0),   # 13-17 and Tue 08-09
        (38.0, "c", True, 31.0),         # Tue 09-14
    ]


def test_open_until_is_the_next_change_of_the_opening_state(env: simpy.Environment,
                                                           office_station: Station) -> None:
    st = office_station
    assert st.open_until(0.0) == 8.0          # Monday night: closed until 08:00
    assert st.open_until(9.5) == 17.0         # open until 17:00
    assert st.open_until(17.0) == 24.0 + 8.0  # closed from 17:00 until Tuesday 08:00
    assert st.open_until(4 * 24.0 + 18.0) == 168.0 + 8.0  # Friday evening: until Monday
    assert Station(env, "web", "channel", 10_000).open_until(5.0) == float("inf")


def test_offset_start_on_a_wednesday(env: simpy.Environment, log: Log) -> None:
    st = Station(env, "clerk", "team", 1, parse_hours("Mon-Fri 08:00-17:00"), offset=48.0)
    assert not st.is_open(0.0) and st.is_open(8.0)
    start(env, log, st, ("a", 0.0, 10.0))
    env.run()
    assert log == [(33.0, "a", True, 8.0)]   # waits for Wed 08:00; Wed 08-17, Thu 08-09
    assert st.open_hours(0.0, 168.0) == 45.0


# --------------------------------------------------------------------------- statistics
def test_stats_and_littles_law(env: simpy.Environment, log: Log) -> None:
    """Two servers, three jobs of 4 h at 0, 1, 2; the last waits 2 h; empty from t=8 on."""
    st = Station(env, "erp", "system", 2)
    start(env, log, st, ("a", 0.0, 4.0), ("b", 1.0, 4.0), ("c", 2.0, 4.0))
    env.run(until=10.0)
    assert log == [(4.0, "a", True, 0.0), (5.0, "b", True, 0.0), (8.0, "c", True, 2.0)]
    assert st.busy == 12.0
    assert st.area_queue == 2.0             # c queued 2 -> 4
    assert st.area_system == 14.0           # 4 + 4 + 6 hours in the system
    assert st.sojourn_sum == 14.0
    snap = st.snapshot(10.0)
    assert snap == {
        "arrivals": 3,
        "served": 3,
        "abandoned": 0,
        "wait_hours_total": 2.0,
        "wait_closed_hours": 0.0,    # always open: all of it waiting for a busy server
        "wait_busy_hours": 2.0,
        "mean_wait_hours": 2.0 / 3,
        "mean_queue": 0.2,
        "mean_in_system": 1.4,
        "mean_sojourn_hours": 14.0 / 3,
        "throughput_per_hour": 0.3,
        "utilisation": 12.0 / (2 * 10.0),
        "little_lambda": 0.3,        # 3 customers in the 10-h window
        "little_W": 14.0 / 3,        # all of their time fell inside the window
        "service_level": 2.0 / 3,    # a and b answered at once, c after 2 h
        "capacity": 2,
    }
    # Little's law, L = lambda W, holds exactly when the system is empty at both ends
    assert snap["mean_in_system"] == pytest.approx(
        snap["throughput_per_hour"] * snap["mean_sojourn_hours"], rel=1e-12)
    assert snap["mean_queue"] == pytest.approx(
        snap["throughput_per_hour"] * snap["mean_wait_hours"], rel=1e-12)


def test_littles_law_with_abandonment(env: simpy.Environment, log: Log) -> None:
    st = Station(env, "call_centre", "channel", 1)
    start(env, log, st, ("a", 0.0, 3.0), ("b", 1.0, 1.0, 1.0), ("c", 1.5, 1.0))
    env.run(until=6.0)
    assert log == [(2.0, "b", False, 1.0), (3.0, "a", True, 0.0), (4.0, "c", True, 1.5)]
    snap = st.snapshot(6.0)
    # in system: a 3 h, b 1 h, c 2.5 h
    assert st.area_system == 6.5
    assert snap["mean_in_system"] == pytest.approx(6.5 / 6.0, rel=1e-12)
    assert snap["throughput_per_hour"] == 0.5
    assert snap["mean_sojourn_hours"] == pytest.approx(6.5 / 3, rel=1e-12)
    assert snap["mean_in_system"] == pytest.approx(
        snap["throughput_per_hour"] * snap["mean_sojourn_hours"], rel=1e-12)
    assert snap["mean_wait_hours"] == pytest.approx(2.5 / 3, rel=1e-12)


def test_utilisation_and_staff_cost_over_open_hours(env: simpy.Environment,
                                                    log: Log) -> None:
    st = Station(env, "order_desk", "team", 2, parse_hours("Mon-Fri 08:00-17:00"),
                 cost_per_server_hour=30.0)
    start(env, log, st, ("a", 8.0, 3.0), ("b", 9.0, 6.0))
    env.run(until=24.0)
    assert log == [(11.0, "a", True, 0.0), (15.0, "b", True, 0.0)]
    assert st.busy == 9.0
    assert st.open_hours(0.0, 24.0) == 9.0
    assert st.utilisation() == 9.0 / (2 * 9.0)
    assert st.staff_cost(0.0, 24.0) == 30.0 * 2 * 9.0
    assert st.staff_cost(0.0, 168.0) == 30.0 * 2 * 45.0
    assert st.snapshot(24.0)["utilisation"] == 0.5


def test_utilisation_when_never_open_is_zero(env: simpy.Environment) -> None:
    st = Station(env, "s", "team", 2, parse_hours("Sat 09:00-10:00"))
    env.run(until=24.0)
    assert st.utilisation() == 0.0
    assert st.snapshot(24.0)["mean_wait_hours"] == 0.0


def test_reset_stats_starts_a_new_window(env: simpy.Environment, log: Log) -> None:
    st = Station(env, "s", "team", 1)
    start(env, log, st, ("a", 0.0, 2.0), ("b", 1.0, 2.0),
          ("c", 10.0, 1.0), ("d", 10.5, 1.0))

    def warmup_end() -> Generator[simpy.Event, Any, None]:
        yield env.timeout(5.0)
        st.reset_stats()

    env.process(warmup_end())
    env.run(until=15.0)
    assert log == [(2.0, "a", True, 0.0), (4.0, "b", True, 1.0),
                   (11.0, "c", True, 0.0), (12.0, "d", True, 0.5)]
    assert st.window_start == 5.0
    assert (st.arrivals, st.served, st.abandoned) == (2, 2, 0)
    assert st.busy == 2.0
    assert st.wait_sum == 0.5
    assert st.area_queue == 0.5
    assert st.area_system == 2.5
    snap = st.snapshot(15.0)
    assert snap["utilisation"] == 2.0 / 10.0
    assert snap["mean_in_system"] == 0.25
    assert snap["throughput_per_hour"] == 0.2
    assert snap["mean_sojourn_hours"] == 1.25


def test_littles_w_counts_only_time_inside_the_window(env: simpy.Environment,
                                                       log: Log) -> None:
    """A customer in service at the window start counts from then; one still waiting at the
    end counts up to the snapshot. Then the window's time average L equals lambda x W."""
    st = Station(env, "s", "team", 1)
    start(env, log, st, ("a", 0.0, 4.0), ("b", 3.0, 2.0))

    def warmup_end() -> Generator[simpy.Event, Any, None]:
        yield env.timeout(2.0)
        st.reset_stats()

    env.process(warmup_end())
    env.run(until=5.0)
    assert log == [(4.0, "a", True, 0.0)]       # b is in service from 4 to 6
    assert (st.present, st.carried_in, st.arrivals) == (1, 1, 1)
    snap = st.snapshot(5.0)
    # a: 2 -> 4 inside the window (2 h); b: 3 -> 5 so far (2 h); two customers in 3 hours
    assert snap["little_lambda"] == pytest.approx(2 / 3, rel=1e-12)
    assert snap["little_W"] == pytest.approx(2.0, rel=1e-12)
    assert snap["mean_in_system"] == pytest.approx(
        snap["little_lambda"] * snap["little_W"], rel=1e-12)    # (1 + 2 + 1) / 3 h
