"""Service segments (``kind: service``): the route mechanism and its schema checks (fast).

One injected request follows an exact, known path through stations with constant times, in
the style of tests/test_journey.py; then every way a route can be wrong gets a one-line error
naming the field.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sim.customers import Customer
from sim.model import OmniModel
from sim.runner import prepare
from sim.scenario import ScenarioError, load_raw, resolve_path, validate

DETERMINISTIC = (
    "warmup=0 h",
    "segments.callers.leads_per_day=0",
    "channels.call_centre.service_time={dist: constant, value: 6 min}",
    "segments.callers.service.call_centre.next.order_desk=1",
    "segments.callers.service.order_desk.work={dist: constant, value: 5 min}",
    "segments.callers.service.billing.work={dist: constant, value: 150 s}",
    "segments.callers.service.billing.next.order_desk=0",
)


class Recorder:
    """In-memory event log: (activity, resource, start min, end min, outcome)."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str, float, float, str]] = []

    def record(self, case: int, customer: int, segment: str, activity: str, resource: str,
               start: float, end: float, outcome: str, cost: float = 0.0, **_: Any) -> None:
        self.log.append((activity, resource, round(start * 60, 3), round(end * 60, 3), outcome))

    @property
    def rows(self) -> int:
        return len(self.log)


def _model(ref: str, sets: tuple[str, ...]) -> tuple[OmniModel, Recorder]:
    rec = Recorder()
    return OmniModel(prepare(ref, sets).scenario, eventlog=rec), rec


def test_a_request_follows_its_route_exactly() -> None:
    model, rec = _model("validation/jackson", DETERMINISTIC)
    Customer(model, "callers", "organic")
    model.env.run(until=5.0)
    assert rec.log == [
        ("service", "call_centre", 0.0, 6.0, "ok"),
        ("service", "order_desk", 6.0, 11.0, "ok"),
        ("service", "billing", 11.0, 13.5, "ok"),
    ]
    assert dict(model.terminal) == {"served": 1}
    assert len(model.agents) == 0
    n = model.ledger.n
    assert n["service.order_desk.visits"] == 1 and n["service.order_desk.delayed"] == 0


def test_a_request_that_runs_out_of_patience_is_lost() -> None:
    model, rec = _model("validation/erlang-a", (
        "warmup=0 h", "segments.callers.leads_per_day=0", "channels.call_centre.staff=1",
        "channels.call_centre.service_time={dist: constant, value: 10 min}",
        "segments.callers.service.call_centre.patience={dist: constant, value: 3 min}"))
    Customer(model, "callers", "organic")
    Customer(model, "callers", "organic")
    model.env.run(until=1.0)
    assert rec.log == [
        ("service", "call_centre", 0.0, 3.0, "abandoned"),
        ("lost", "", 3.0, 3.0, "queue"),
        ("service", "call_centre", 0.0, 10.0, "ok"),
    ]
    assert dict(model.terminal) == {"served": 1, "lost:queue": 1}
    n = model.ledger.n
    assert (n["service.call_centre.visits"], n["service.call_centre.delayed"],
            n["service.call_centre.abandoned"]) == (2, 1, 1)
    st = model.stations["call_centre"].snapshot(model.env.now)
    assert (st["served"], st["abandoned"]) == (1, 1)


def test_default_work_is_the_stations_own_time() -> None:
    model, rec = _model("validation/mmc", (
        "segments.callers.leads_per_day=0",
        "channels.call_centre.service_time={dist: constant, value: 6 min}",
        "segments.callers.service.call_centre={next: {order_desk: 1}}",
        "segments.callers.service.order_desk={}",
        "teams.order_desk.touch_time=20 min"))
    Customer(model, "callers", "organic")
    model.env.run(until=5.0)
    assert rec.log == [("service", "call_centre", 0.0, 6.0, "ok"),
                       ("service", "order_desk", 6.0, 26.0, "ok")]


def test_requests_count_as_the_segments_leads_and_are_conserved() -> None:
    rep_model, _ = _model("validation/mm1", ())
    rep_model.run(days=3)
    assert rep_model.ledger.n["leads"] > 0
    assert sum(rep_model.terminal.values()) == rep_model.created
    assert set(rep_model.terminal) <= {"served", "in_flight"}


# --------------------------------------------------------------------------- schema
def _raw(ref: str) -> dict[str, Any]:
    return load_raw(resolve_path(ref))


def _set(raw: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    *parents, leaf = dotted.split(".")
    node = raw
    for key in parents:
        node = node.setdefault(key, {})
    if value is None:
        node.pop(leaf, None)
    else:
        node[leaf] = value
    return raw


@pytest.mark.parametrize(("ref", "dotted", "value", "needles"), [
    ("validation/jackson", "segments.callers.service.tea_room", {},
     ("segments.callers.service.tea_room", "no station", "order_desk")),
    ("validation/jackson", "segments.callers.service.billing.next", {"archive": 0.5},
     ("segments.callers.service.billing.next", "'archive'")),
    ("validation/jackson", "segments.callers.service.call_centre", None,
     ("channel 'call_centre' has no step",)),
    ("validation/jackson", "segments.callers.service.billing.next", {"order_desk": 1.0},
     ("can never leave", "order_desk", "billing")),
    ("validation/jackson", "segments.callers.service.call_centre.next",
     {"order_desk": 0.7, "billing": 0.6}, ("sum to 1.3",)),
    ("validation/jackson", "segments.callers.service.call_centre.next", {"order_desk": 1.5},
     ("segments.callers.service.call_centre.next.order_desk", "less than or equal to 1")),
    ("validation/mmc", "segments.callers.service", None, ("a service segment needs 'service'",)),
    ("validation/mmc", "segments.callers.existing_customers", 5,
     ("existing_customers", "not a field of a service segment")),
    ("validation/mmc", "segments.callers.kind", "b2c", ("a b2c segment needs",)),
    ("baseline", "segments.consumer.order_value", None, ("a b2c segment needs 'order_value'",)),
    ("baseline", "segments.consumer.service", {"call_centre": {}},
     ("segments.consumer.service", "not a field of a b2c segment", "allowed", "cart")),
    ("baseline", "segments.small_business.after_sale", None,
     ("an smb segment needs 'after_sale'",)),
])
def test_route_errors_are_one_line_naming_the_field(ref: str, dotted: str, value: Any,
                                                    needles: tuple[str, ...]) -> None:
    """One line per error, each naming the file (several errors: a first line counts them)."""
    with pytest.raises(ScenarioError) as err:
        validate(_set(_raw(ref), dotted, value), "s.yaml")
    msg = str(err.value)
    lines = msg.splitlines()
    assert lines[0].startswith("s.yaml: ")
    assert len(lines) == 1 or all(line.startswith("  s.yaml: field ") for line in lines[1:])
    for needle in needles:
        assert needle in msg, msg
