"""Service requests: a contact routed through stations, with no order (``kind: service``).

A request of a ``service`` segment arrives at one of the segment's channels (chosen by its
weights among the channels open now), then follows the segment's ``service`` route: at each
station it queues for a server, is worked on for the step's ``work`` (or the station's own
time), and goes on to the next station with the step's ``next`` probabilities, or leaves,
served. If a step has a ``patience`` and no server is free within it, the request gives up
(reneging) and ends ``lost:queue``.

This is an open queueing network: with Poisson arrivals (a flat calendar), exponential work
and patience and stations open around the clock, a route is an Erlang-C or Erlang-A queue or
a Jackson network, which is how ``omnisim selfcheck`` validates the engine against theory
(``docs/validation.md``). In a company scenario it models contacts that are not part of an
order: a service desk, claims, questions routed from the call centre to a back-office team.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.distributions import Distribution
from sim.journey.common import Lost, pick_channel

if TYPE_CHECKING:
    from sim.customers import ServiceRequest
    from sim.scenario import Scenario


def default_work(sc: Scenario, station: str) -> Distribution:
    """A station's own work time: a channel's ``service_time``, a team's ``touch_time``, a
    system's ``latency``, the warehouse's ``pick_time`` or the installers' ``install_time``."""
    if station in sc.channels:
        return sc.channels[station].service_time
    if station in sc.teams:
        return sc.teams[station].touch_time
    if station in sc.systems:
        return sc.systems[station].latency
    if station == "warehouse":
        return sc.warehouse.pick_time
    assert sc.partners.installers is not None and station == "installers"
    return sc.partners.installers.install_time


def _steps(c: ServiceRequest) -> dict[str, tuple[Any, ...]]:
    """Per station of the segment's route, everything a visit needs, made once per run:
    work and patience distributions with their streams, the routing table and stream, and
    the ledger keys (the hot loop then formats no strings and looks nothing up twice)."""
    rt = c.rt
    steps = rt.service_steps
    if steps is None:
        model = c.model
        streams = model.streams
        route = c.seg.service
        steps = {}
        for station, step in route.items():
            key = f"{c.segment}.service.{station}"
            names = list(step.next)
            cum, acc = [], 0.0
            for name in names:
                acc += step.next[name]
                cum.append(acc)
            steps[station] = (
                model.stations[station], step.work or default_work(model.scenario, station),
                streams.get(f"{key}.work"), step.patience,
                streams.get(f"{key}.patience") if step.patience is not None else None,
                names, cum, streams.get(f"{key}.route") if names else None,
                f"service.{station}.visits", f"service.{station}.delayed",
                f"service.{station}.abandoned")
        rt.service_steps = steps
    return steps


def request(c: ServiceRequest) -> Generator[simpy.Event, Any, None]:
    """Route one request from its channel through the segment's stations until it leaves.

    Raises:
        Lost: ``closed`` if none of the segment's channels is open, ``queue`` if the request
            gave up waiting at a station.
    """
    model = c.model
    station: str | None = pick_channel(model, c.rt)
    if station is None:
        raise Lost("closed")
    steps = _steps(c)
    count = model.ledger.count
    env = c.env
    c.set_stage("service")
    while station is not None:
        (st, work_dist, work_stream, patience_dist, patience_stream, names, cum, route_stream,
         visits, delayed, abandoned) = steps[station]
        work = work_dist.sample(work_stream)
        patience = (patience_dist.sample(patience_stream)
                    if patience_dist is not None else None)
        t0 = env.now
        served, wait = yield from st.serve(work, patience)
        count(visits)
        if wait > 0 or not served:
            count(delayed)
        c.log("service", station, t0, "ok" if served else "abandoned")
        if not served:
            count(abandoned)
            raise Lost("queue")
        station = None
        if names:  # the next station by the step's probabilities; leave with the rest
            u = route_stream.random()
            for name, edge in zip(names, cum, strict=True):
                if u < edge:
                    station = name
                    break
