"""Read the queueing network a scenario describes and give its theoretical stationary measures.

A scenario has a closed-form answer when it is a *pure service network*: one segment of kind
``service`` with a flat calendar (Poisson arrivals), every station on its route open around the
clock with exponential work, and either no patience anywhere (a Jackson network of M/M/c
nodes; one node is Erlang C or M/M/1) or patience on a route of a single station (Erlang A).
:func:`network_of` checks exactly that and says what is missing otherwise, so the theory always
comes from the same file the simulation runs, never from numbers copied beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.distributions import Distribution, Exponential
from sim.journey.service import default_work
from sim.model import station_capacity
from sim.scenario import Scenario
from sim.validation.theory import Node, QueueTheory, erlang_a, erlang_c, traffic


class NotAQueueingNetwork(ValueError):
    """The scenario is not a pure service network with a closed-form answer."""


@dataclass(frozen=True)
class Network:
    """The network read from a scenario (rates per hour)."""

    segment: str
    nodes: tuple[Node, ...]
    routing: dict[str, dict[str, float]]
    theta: dict[str, float] = field(default_factory=dict)  #: abandonment rate by station

    def rates(self) -> dict[str, float]:
        """Total arrival rate of every node (traffic equations)."""
        return traffic(self.nodes, self.routing)

    def theory(self) -> dict[str, QueueTheory]:
        """Stationary measures of every node: Erlang A where callers abandon, else M/M/c."""
        lam = self.rates()
        out = {}
        for n in self.nodes:
            if n.name in self.theta:
                out[n.name] = erlang_a(lam[n.name], n.mu, n.servers, self.theta[n.name])
            else:
                out[n.name] = erlang_c(lam[n.name], n.mu, n.servers)
        return out


def _rate(dist: Distribution, what: str) -> float:
    if not isinstance(dist, Exponential):
        raise NotAQueueingNetwork(f"{what}: {dist.describe()} is not exponential")
    return 1.0 / dist.mean


def _always_open(sc: Scenario, station: str) -> bool:
    if station in sc.channels:
        return sc.channels[station].hours.always
    if station in sc.teams:
        return sc.teams[station].hours.always
    if station == "warehouse":
        return sc.warehouse.hours.always
    if station == "installers":
        return sc.partners.installers is not None and sc.partners.installers.hours.always
    return True  # systems run around the clock


def network_of(sc: Scenario) -> Network:
    """The Jackson (or Erlang-A) network of a pure service scenario.

    Raises:
        NotAQueueingNetwork: naming the first thing that has no closed form.
    """
    if len(sc.segments) != 1:
        raise NotAQueueingNetwork(f"{len(sc.segments)} segments; a network has exactly one")
    (name, seg), = sc.segments.items()
    where = f"segments.{name}"
    if seg.kind != "service" or seg.service is None:
        raise NotAQueueingNetwork(f"{where}: kind {seg.kind}, not service")
    cal = sc.calendar
    if len(set(cal.hourly_profile)) > 1 or len(set(cal.weekly_profile)) > 1 or cal.peaks:
        raise NotAQueueingNetwork("calendar: arrivals are Poisson only with flat hourly and "
                                  "weekly profiles and no peaks")
    total = sum(seg.lead_sources.values())
    per_hour = seg.leads_per_day / 24.0 * sum(
        w for s, w in seg.lead_sources.items() if s != "referral") / total
    if per_hour <= 0:
        raise NotAQueueingNetwork(f"{where}: no arrivals")
    weights = sum(seg.channels.values())
    route = seg.service
    nodes = []
    theta: dict[str, float] = {}
    for station, step in route.items():
        if not _always_open(sc, station):
            raise NotAQueueingNetwork(f"{station}: not open 24/7")
        mu = _rate(step.work or default_work(sc, station), f"{where}.service.{station}.work")
        if step.patience is not None:
            if len(route) > 1:
                raise NotAQueueingNetwork(f"{where}.service.{station}.patience: abandonment "
                                          "has a closed form only on a one-station route")
            theta[station] = _rate(step.patience, f"{where}.service.{station}.patience")
        entry = seg.channels.get(station, 0.0)
        nodes.append(Node(station, station_capacity(sc, station), mu, per_hour * entry / weights))
    routing = {s: dict(step.next) for s, step in route.items()}
    return Network(name, tuple(nodes), routing, theta)
