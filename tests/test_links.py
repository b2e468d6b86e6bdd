"""Tests for sim.links.Link (manual, batch, real-time), in SimPy's test style: processes append
``(time, what)`` to a log and the test asserts the exact log. Simulated time is in hours.

Links are built against a tiny model stand-in exposing only what ``Link`` reads: ``env``,
``streams`` and ``stations`` (for the clerk team of a manual link).
"""

import math
from collections.abc import Generator
from typing import Any

import pytest
import simpy
from pydantic import TypeAdapter

from sim.calendar import parse_hours
from sim.links import Link
from sim.resources import Station
from sim.scenario import BatchLink, ManualLink, RealtimeLink, load
from sim.scenario import Link as LinkSpec
from sim.streams import Streams
from sim.units import parse_duration

Log = list[tuple[Any, ...]]
SPEC: TypeAdapter[ManualLink | BatchLink | RealtimeLink] = TypeAdapter(LinkSpec)
TWO_S = parse_duration("2 s")
ONE_MIN = parse_duration("1 min")


class StubModel:
    """What ``Link`` needs from ``OmniModel``."""

    def __init__(self, env: simpy.Environment, seed: int = 1, clerks: int = 1) -> None:
        self.env = env
        self.streams = Streams(seed)
        self.stations = {"order_desk": Station(env, "order_desk", "team", clerks)}
        self.links: dict[str, Link] = {}


@pytest.fixture
def env() -> simpy.Environment:
    return simpy.Environment()


@pytest.fixture
def log() -> Log:
    return []


def make(env: simpy.Environment, spec: dict[str, Any], name: str = "test_link",
         seed: int = 1, clerks: int = 1) -> Link:
    model = StubModel(env, seed, clerks)
    link = Link(model, name, SPEC.validate_python(spec))  # type: ignore[arg-type]
    model.links[name] = link
    return link


def item(env: simpy.Environment, log: Log, link: Link, name: str, arrive: float,
         lines: int = 1, patience: float | None = None) -> Generator[simpy.Event, Any, None]:
    if arrive > 0:
        yield env.timeout(arrive)
    errors = yield from link.transfer(lines, patience)
    log.append((env.now, name, errors))


# --------------------------------------------------------------------------- batch
def test_next_sync(env: simpy.Environment) -> None:
    link = make(env, {"mode": "batch", "interval": "4 h"})
    assert [link.next_sync(t) for t in (0.0, 0.5, 3.9, 4.0, 4.1, 7.999, 8.0, 100.0)] == [
        0.0, 4.0, 4.0, 4.0, 8.0, 8.0, 8.0, 100.0]
    late = make(env, {"mode": "batch", "interval": "4 h", "offset": "1 h"})
    assert [late.next_sync(t) for t in (0.0, 0.5, 1.0, 1.5, 5.0, 5.5)] == [
        1.0, 1.0, 1.0, 5.0, 5.0, 9.0]


def test_batch_items_leave_at_the_next_sync(env: simpy.Environment, log: Log) -> None:
    link = make(env, {"mode": "batch", "interval": "4 h"})
    for name, t in (("a", 0.5), ("b", 3.9), ("c", 4.0), ("d", 4.1)):
        env.process(item(env, log, link, name, t))
    env.run()
    # at t=4 SimPy resumes in scheduling order: c's arrival (scheduled at 0) leaves at once,
    # then a's sync wait (scheduled at 0.5), then b's (scheduled at 3.9)
    assert log == [(4.0, "c", 0), (4.0, "a", 0), (4.0, "b", 0), (8.0, "d", 0)]
    assert link.transfers == 4


def test_batch_item_at_a_sync_time_leaves_immediately(env: simpy.Environment,
                                                      log: Log) -> None:
    link = make(env, {"mode": "batch", "interval": "15 min"})
    env.process(item(env, log, link, "start", 0.0))
    env.process(item(env, log, link, "on_time", 0.75))
    env.process(item(env, log, link, "late", 0.76))
    env.run()
    assert log == [(0.0, "start", 0), (0.75, "on_time", 0), (1.0, "late", 0)]


def test_batch_offset(env: simpy.Environment, log: Log) -> None:
    link = make(env, {"mode": "batch", "interval": "24 h", "offset": "2 h"})  # nightly 02:00
    for name, t in (("a", 0.0), ("b", 2.0), ("c", 2.5), ("d", 25.0)):
        env.process(item(env, log, link, name, t))
    env.run()
    assert log == [(2.0, "a", 0), (2.0, "b", 0), (26.0, "c", 0), (26.0, "d", 0)]


def test_staleness(env: simpy.Environment) -> None:
    link = make(env, {"mode": "batch", "interval": "4 h"})
    assert [link.staleness(t) for t in (0.0, 1.0, 4.0, 5.5, 8.0)] == [0.0, 1.0, 0.0, 1.5, 0.0]
    late = make(env, {"mode": "batch", "interval": "4 h", "offset": "1 h"})
    assert [late.staleness(t) for t in (0.5, 1.0, 3.0, 5.0, 6.0)] == [0.5, 0.0, 2.0, 0.0, 1.0]
    assert make(env, {"mode": "realtime"}).staleness(3.0) == 0.0


def test_extra_delay_adds_exactly_its_constant(env: simpy.Environment, log: Log) -> None:
    batch = make(env, {"mode": "batch", "interval": "24 h",
                       "extra_delay": {"dist": "constant", "value": "1 d"}})
    rt = make(env, {"mode": "realtime", "latency": {"dist": "constant", "value": "2 s"},
                    "extra_delay": "1 h"})
    manual = make(env, {"mode": "manual", "team": "order_desk",
                        "touch_time": {"dist": "constant", "value": "30 min"},
                        "extra_delay": "3 h"})
    env.process(item(env, log, batch, "batch", 0.5))
    env.process(item(env, log, rt, "realtime", 0.5))
    env.process(item(env, log, manual, "manual", 0.5))
    env.run()
    assert log == [(0.5 + TWO_S + 1.0, "realtime", 0), (0.5 + 0.5 + 3.0, "manual", 0),
                   (24.0 + 24.0, "batch", 0)]


# --------------------------------------------------------------------------- real-time
def test_realtime_without_failures_takes_the_latency(env: simpy.Environment,
                                                     log: Log) -> None:
    link = make(env, {"mode": "realtime", "latency": {"dist": "constant", "value": "2 s"}})
    assert link.failure == 0.0
    env.process(item(env, log, link, "a", 0.0))
    env.process(item(env, log, link, "b", 1.0))
    env.process(item(env, log, link, "c", 1.0))
    env.run()
    assert log == [(TWO_S, "a", 0), (1.0 + TWO_S, "b", 0), (1.0 + TWO_S, "c", 0)]
    assert link.retries == 0


def test_realtime_default_latency_and_retry() -> None:
    spec = SPEC.validate_python({"mode": "realtime"})
    assert isinstance(spec, RealtimeLink)
    assert spec.latency.sample(Streams(1).get("x")) == TWO_S
    assert spec.retry_after == ONE_MIN
    assert spec.failure == 0.0


def test_realtime_retries_follow_the_failure_stream(env: simpy.Environment) -> None:
    """Every failed call costs one more latency and a retry delay, exactly; the failure draws
    are the link's own named stream, so a twin stream predicts every retry."""
    link = make(env, {"mode": "realtime", "latency": {"dist": "constant", "value": "2 s"},
                      "failure": 0.3, "retry_after": "1 min"}, name="order_intake", seed=7)
    twin = Streams(7).get("link.order_intake.failure")
    expected: list[int] = []
    for _ in range(200):
        k = 0
        while twin.random() < 0.3:
            k += 1
        expected.append(k)
    seen: list[tuple[int, float]] = []

    def run() -> Generator[simpy.Event, Any, None]:
        for _ in range(200):
            t0, r0 = env.now, link.retries
            errors = yield from link.transfer()
            assert errors == 0
            seen.append((link.retries - r0, env.now - t0))

    env.process(run())
    env.run()
    assert [k for k, _ in seen] == expected
    assert any(expected)
    for k, took in seen:
        assert took == pytest.approx((k + 1) * TWO_S + k * ONE_MIN, rel=1e-9, abs=1e-12)
    assert link.retries == sum(expected)
    assert link.transfers == 200


def test_realtime_retry_count_is_geometric(env: simpy.Environment) -> None:
    """Retries per transfer ~ Geometric: mean p/(1-p), variance p/(1-p)^2. With p = 0.5 and
    n = 10,000 transfers: mean 1, SE = sqrt(2/n) = 0.01414; tolerance 4 SE (0.0566)."""
    p, n = 0.5, 10_000
    link = make(env, {"mode": "realtime", "latency": {"dist": "constant", "value": "2 s"},
                      "failure": p}, seed=2024)

    def run() -> Generator[simpy.Event, Any, None]:
        for _ in range(n):
            yield from link.transfer()

    env.process(run())
    env.run()
    mean = link.retries / n
    se = math.sqrt(p / (1 - p) ** 2 / n)
    assert abs(mean - p / (1 - p)) < 4 * se
    # and the clock moved by exactly what those attempts and retries cost
    assert env.now == pytest.approx((n + link.retries) * TWO_S + link.retries * ONE_MIN,
                                    rel=1e-9)


# --------------------------------------------------------------------------- manual
MANUAL = {"mode": "manual", "team": "order_desk",
          "touch_time": {"dist": "constant", "value": "30 min"}}


def test_manual_link_queues_for_the_clerk(env: simpy.Environment, log: Log) -> None:
    link = make(env, MANUAL)
    env.process(item(env, log, link, "a", 0.0))
    env.process(item(env, log, link, "b", 0.0))
    env.process(item(env, log, link, "c", 0.25))
    env.run()
    assert log == [(0.5, "a", 0), (1.0, "b", 0), (1.5, "c", 0)]
    desk = link.team
    assert (desk.arrivals, desk.served, desk.busy) == (3, 3, 1.5)
    assert desk.wait_sum == 0.5 + 0.75   # b waits a's touch time, c waits until 1.0


def test_manual_link_uses_every_clerk(env: simpy.Environment, log: Log) -> None:
    link = make(env, MANUAL, clerks=2)
    for name in "abc":
        env.process(item(env, log, link, name, 0.0))
    env.run()
    assert log == [(0.5, "a", 0), (0.5, "b", 0), (1.0, "c", 0)]


def test_manual_link_abandoned_returns_minus_one(env: simpy.Environment, log: Log) -> None:
    link = make(env, {**MANUAL, "error_per_field": 1.0})
    env.process(item(env, log, link, "a", 0.0, 2))
    env.process(item(env, log, link, "b", 0.1, 2, 0.2))   # gives up at 0.3
    env.run()
    assert log == [(pytest.approx(0.3), "b", -1), (0.5, "a", 6)]
    assert link.errors == 6
    assert link.team.abandoned == 1


def test_manual_link_on_office_hours(env: simpy.Environment, log: Log) -> None:
    model = StubModel(env)
    model.stations["order_desk"] = Station(env, "order_desk", "team", 1,
                                           parse_hours("Mon-Fri 08:00-17:00"))
    link = Link(model, "order_desk", SPEC.validate_python(MANUAL))  # type: ignore[arg-type]
    env.process(item(env, log, link, "overnight", 2.0))
    env.process(item(env, log, link, "late", 16.75))
    env.run()
    assert log == [(8.5, "overnight", 0), (32.25, "late", 0)]   # Tue 08:00-08:15 for the rest


@pytest.mark.parametrize(
    ("fields_per_line", "lines", "fields"),
    [(3.0, 1, 3), (3.0, 12, 36), (2.0, 5, 10), (2.4, 3, 7), (0.2, 1, 1)],
)
def test_keying_errors_certain(env: simpy.Environment, fields_per_line: float, lines: int,
                               fields: int) -> None:
    """With error_per_field = 1 every keyed field is wrong: errors == round(fpl x lines)
    (at least one field)."""
    link = make(env, {**MANUAL, "error_per_field": 1.0, "fields_per_line": fields_per_line})
    assert link.keying_errors(lines) == fields
    assert link.keying_errors(lines) == fields
    assert (link.fields_keyed, link.errors) == (2 * fields, 2 * fields)


def test_keying_errors_never_without_error_rate(env: simpy.Environment, log: Log) -> None:
    link = make(env, MANUAL)
    assert link.p_field == 0.0
    assert {link.keying_errors(lines) for lines in range(1, 50)} == {0}
    for i in range(5):
        env.process(item(env, log, link, i, 0.0, 12))
    env.run()
    assert [e for _, _, e in log] == [0] * 5
    assert link.errors == 0


def test_keying_errors_only_on_manual_links(env: simpy.Environment) -> None:
    assert make(env, {"mode": "batch", "interval": "1 h"}).keying_errors(12) == 0
    assert make(env, {"mode": "realtime"}).keying_errors(12) == 0


def test_keying_errors_per_12_line_order(env: simpy.Environment) -> None:
    """36 fields at 3% each: Binomial(36, 0.03), mean 1.08, variance 36 x 0.03 x 0.97 =
    1.0476. Over n = 20,000 orders SE = sqrt(1.0476 / n) = 0.00724; tolerance 4 SE (0.029)."""
    n, p, fields = 20_000, 0.03, 36
    link = make(env, {**MANUAL, "error_per_field": p, "fields_per_line": 3}, seed=11)
    total = sum(link.keying_errors(12) for _ in range(n))
    assert link.fields_keyed == n * fields
    assert link.errors == total
    se = math.sqrt(fields * p * (1 - p) / n)
    assert abs(total / n - fields * p) < 4 * se


def test_keying_errors_are_reproducible(env: simpy.Environment) -> None:
    a = make(env, {**MANUAL, "error_per_field": 0.1}, seed=3)
    b = make(env, {**MANUAL, "error_per_field": 0.1}, seed=3)
    assert [a.keying_errors(6) for _ in range(100)] == [b.keying_errors(6) for _ in range(100)]


# --------------------------------------------------------------------------- from a scenario
def test_switching_a_link_mode_by_override() -> None:
    sc = load("baseline", [
        "links.stock_sync={mode: realtime, latency: {dist: constant, value: 2 s}}",
        "links.order_desk={mode: batch, interval: 1 h, offset: 30 min}",
        "links.lead_routing={mode: manual, team: sales_ops, touch_time: 2 min}",
    ]).scenario
    stock, desk, routing = (sc.links[n] for n in ("stock_sync", "order_desk", "lead_routing"))
    assert isinstance(stock, RealtimeLink) and stock.latency.mean == TWO_S
    assert isinstance(desk, BatchLink) and (desk.interval, desk.offset) == (1.0, 0.5)
    assert isinstance(routing, ManualLink) and routing.team == "sales_ops"
    assert routing.touch_time.mean == pytest.approx(2 / 60)
