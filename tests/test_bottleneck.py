"""The bottleneck is the resource that limits flow (busiest while open), not the one where
work waits longest: waiting for the opening or for a batch run is reported apart."""

from __future__ import annotations

import random

import simpy

from sim.calendar import parse_hours
from sim.links import Link
from sim.model import bottleneck
from sim.resources import Station
from sim.scenario import BatchLink


def _poisson_jobs(env: simpy.Environment, st: Station, rate: float, work_mean: float,
                  rng: random.Random):
    """Poisson arrivals at ``rate`` per hour, exponential work of mean ``work_mean``."""
    def job(work: float):
        yield from st.serve(work)

    while True:
        yield env.timeout(rng.expovariate(rate))
        env.process(job(rng.expovariate(1.0 / work_mean)))


def _two_stations(days: float = 60.0) -> dict[str, dict[str, float]]:
    """``office``: open 09-17 on weekdays, fed around the clock at 20% of its open capacity,
    so most of its waiting is for the opening; ``desk``: always open, one server at 95%."""
    env = simpy.Environment()
    office = Station(env, "office", "team", 2, hours=parse_hours("Mon-Fri 09:00-17:00"))
    desk = Station(env, "desk", "team", 1)
    # office: 2 servers x 40 open h/week = 80 server-h; 0.2 x 80 = 16 h of work a week in
    # many short items (3 an hour, day and night), so many wait through every closure
    rate = 3.0
    env.process(_poisson_jobs(env, office, rate, 16.0 / 168.0 / rate, random.Random(1)))
    env.process(_poisson_jobs(env, desk, 0.95 / 0.25, 0.25, random.Random(2)))
    env.run(until=days * 24.0)
    return {"office": office.snapshot(env.now), "desk": desk.snapshot(env.now)}


def test_closed_hours_wait_is_not_the_bottleneck_a_busy_server_is():
    stats = _two_stations()
    office, desk = stats["office"], stats["desk"]
    # the old rule (most waiting hours) would name the office: the test can fail
    assert office["wait_hours_total"] > desk["wait_hours_total"]
    # most of the office's waiting is for the opening, almost none of the desk's
    assert office["wait_closed_hours"] > 0.8 * office["wait_hours_total"]
    assert desk["wait_closed_hours"] == 0.0
    assert abs(office["wait_hours_total"] - office["wait_closed_hours"]
               - office["wait_busy_hours"]) < 1e-9
    # utilisation while open: ~20% and ~95% (60 days, Poisson: a few points either way)
    assert 0.12 < office["utilisation"] < 0.28
    assert 0.90 < desk["utilisation"] < 1.0
    assert bottleneck(stats) == ("desk", desk["utilisation"])


def test_unlimited_and_idle_stations_are_never_the_bottleneck():
    stats = {
        "web": {"utilisation": 0.0, "capacity": None, "arrivals": 100, "wait_busy_hours": 0.0},
        "idle": {"utilisation": 0.0, "capacity": 2, "arrivals": 0, "wait_busy_hours": 0.0},
        "clerks": {"utilisation": 0.3, "capacity": 2, "arrivals": 10, "wait_busy_hours": 1.0},
    }
    assert bottleneck(stats) == ("clerks", 0.3)
    assert bottleneck({k: stats[k] for k in ("web", "idle")}) == ("", 0.0)


def test_tie_goes_to_the_longer_wait_for_a_busy_server():
    a = {"utilisation": 0.8, "capacity": 1, "arrivals": 5, "wait_busy_hours": 2.0}
    b = {**a, "wait_busy_hours": 5.0}
    assert bottleneck({"a": a, "b": b})[0] == "b"


def test_a_batch_link_counts_its_wait_for_the_run():
    class _Model:  # what Link reads of the model
        def __init__(self):
            from sim.streams import Streams
            self.env = simpy.Environment()
            self.streams = Streams(1)

    m = _Model()
    link = Link(m, "lead_routing", BatchLink(mode="batch", interval="4 h"))  # type: ignore[arg-type]

    def item(at: float):
        yield m.env.timeout(at)
        yield from link.transfer()

    for at in (1.0, 3.0, 4.0):
        m.env.process(item(at))
    m.env.run(until=10.0)
    assert link.batch_wait_hours == 3.0 + 1.0 + 0.0
    link.reset_stats()
    assert link.batch_wait_hours == 0.0
