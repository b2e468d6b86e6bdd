"""Staffing follows the work: planners that resize a station's roster every period.

A station staffed by a policy (``staffing:`` on a team, a staffed channel or the warehouse,
:mod:`sim.scenario.staffing`) gets a :class:`WorkMeter`, which :meth:`Station.serve
<sim.resources.Station.serve>` tells about every piece of work offered to it, and a
:class:`Planner`, a SimPy process that at the end of every planning ``period`` sizes the
headcount from what the meter saw and puts it on the roster ``lag`` later
(:meth:`Station.set_capacity <sim.resources.Station.set_capacity>`). Pay and utilisation
integrate the roster piecewise, so labour cost follows the work: a mechanism that removes
work (re-keying, rework, manual routing) lowers headcount and cost without a file typing a
headcount.

Decisions recorded here:

- *Occupancy.* The work offered in a period is the work of everything that arrived in it,
  served or still waiting (so an understaffed station does not size itself down because it
  served little), plus the growth of the backlog over the period (waiting items times the
  period's mean work; a backlog that grew is cleared in the next period). Counting "work
  served plus work still waiting" literally would count the work that waits over every
  weekend twice (once waiting at the planning instant, once served the week after), about a
  third too much for a Mon-Fri team with Mon-Sun demand. Headcount =
  ``ceil(work / (open hours of the period x target))``.
- *Service level.* Erlang C (M/M/c, closed form): the share answered within ``T`` with ``c``
  agents at ``a`` erlangs and mean handling time ``h`` is ``1 - C(c, a) exp(-(c - a) T / h)``.
  ``a`` is the offered load of the period's busiest clock hour: the work arriving in each
  clock hour of the day over the period divided by the open hours of that clock hour over
  the period (the average over the days it was open), so a closed Sunday does not dilute it.
  ``h`` is the period's mean work per arrival. The smallest ``c > a`` meeting the target is
  the headcount. Abandoned contacts are offered work too.
- A period without work sizes to ``min``. Planning starts at time 0 (the scenario starts on
  a Monday in the shipped files, so weekly periods are calendar weeks); the warm-up does not
  change it. Decisions are deterministic: no random stream is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.scenario.staffing import (
    FixedStaffing,
    OccupancyStaffing,
    PlannedStaffing,
    ServiceLevelStaffing,
)
from sim.validation.theory import erlang_c

if TYPE_CHECKING:
    from sim.resources import Station
    from sim.scenario import Scenario

#: tolerance of rounding a headcount up (3.0000000001 people is 3)
ROUND_TOL = 1e-9


class WorkMeter:
    """The work offered to one station since the last planning instant.

    Attributes:
        work: Hours of work offered (served, waiting or given up).
        count: Pieces of work offered.
        by_hour: Work offered in each clock hour of the day (0-23), in hours.
    """

    __slots__ = ("by_hour", "count", "work")

    def __init__(self) -> None:
        self.work = 0.0
        self.count = 0
        self.by_hour = [0.0] * 24

    def offer(self, t: float, work: float) -> None:
        """``work`` hours of work arrived at ``t`` (hours since the start, 00:00)."""
        self.work += work
        self.count += 1
        self.by_hour[int(t % 24.0) % 24] += work

    def reset(self) -> None:
        """Start a new planning period."""
        self.work = 0.0
        self.count = 0
        self.by_hour = [0.0] * 24

    @property
    def mean_work(self) -> float:
        """Mean hours per piece of work (0 without any)."""
        return self.work / self.count if self.count else 0.0


# --------------------------------------------------------------------------- the rules
def occupancy_headcount(work: float, open_hours: float, target: float) -> int:
    """The people who would be busy ``target`` of ``open_hours`` with ``work`` hours of work
    (rounded up; 0 without work or open hours)."""
    if work <= 0 or open_hours <= 0:
        return 0
    return math.ceil(work / (open_hours * target) - ROUND_TOL)


def erlang_c_wait(agents: int, load: float) -> float:
    """Erlang C: the probability that a contact waits, ``agents`` servers at ``load``
    erlangs (1 when ``agents <= load``: the queue is unstable)."""
    if load <= 0:
        return 0.0
    if agents <= load:
        return 1.0
    return erlang_c(load, 1.0, agents).p_wait  # load erlangs = arrivals per mean handle


def answered_within(agents: int, load: float, handle: float, within: float) -> float:
    """Erlang C service level: the share of contacts answered within ``within`` hours with
    ``agents`` agents at ``load`` erlangs and mean handling time ``handle`` hours."""
    if load <= 0:
        return 1.0
    if agents <= load:
        return 0.0
    return 1.0 - erlang_c_wait(agents, load) * math.exp(-(agents - load) * within / handle)


def service_level_headcount(load: float, handle: float, target: float, within: float) -> int:
    """The fewest agents answering ``target`` of the contacts within ``within`` hours at
    ``load`` erlangs and mean handling time ``handle`` hours (0 without load)."""
    if load <= 0 or handle <= 0:
        return 0
    agents = math.floor(load) + 1
    while answered_within(agents, load, handle, within) < target:
        agents += 1
    return agents


def busiest_hour_load(by_hour: list[float], open_by_hour: list[float]) -> float:
    """The offered load (erlangs) of the busiest clock hour: work arrived in each clock hour
    over the open hours of that clock hour (hours with no open time are skipped)."""
    return max((w / o for w, o in zip(by_hour, open_by_hour, strict=True) if o > 0),
               default=0.0)


# --------------------------------------------------------------------------- the planner
class Planner:
    """Resizes one station's roster every planning period by its policy.

    Args:
        env: The simulation environment.
        station: The station it staffs (gets a :class:`WorkMeter`).
        spec: The policy.

    Attributes:
        decisions: ``(time, headcount)`` of every decision, taking effect ``spec.delay``
            later.
    """

    def __init__(self, env: simpy.Environment, station: Station, spec: PlannedStaffing):
        self.env = env
        self.station = station
        self.spec = spec
        self.meter = WorkMeter()
        station.meter = self.meter
        self.decisions: list[tuple[float, int]] = []
        self._backlog = 0.0  # hours of work waiting at the last planning instant
        env.process(self._run())

    def _run(self) -> Generator[simpy.Event, Any, None]:
        env = self.env
        start = env.now
        while True:
            yield env.timeout(self.spec.period)
            now = env.now
            servers = self.spec.clamp(self.size(start, now))
            self.decisions.append((now, servers))
            self.meter.reset()
            start = now
            if self.spec.delay > 0:
                env.timeout(self.spec.delay).callbacks.append(self._roster_change(servers))
            else:
                self.station.set_capacity(servers)

    def _roster_change(self, servers: int) -> Callable[[simpy.Event], None]:
        """An event callback that puts ``servers`` on the station's roster."""
        def change(_: simpy.Event) -> None:
            self.station.set_capacity(servers)
        return change

    def size(self, t0: float, t1: float) -> int:
        """The headcount the policy asks for after the period ``[t0, t1]`` (before the
        clamp to ``[min, max]``)."""
        spec, meter, st = self.spec, self.meter, self.station
        if isinstance(spec, OccupancyStaffing):
            backlog = st.waiting * meter.mean_work
            growth = max(0.0, backlog - self._backlog)
            self._backlog = backlog
            return occupancy_headcount(meter.work + growth, st.open_hours(t0, t1), spec.target)
        open_by_hour = [0.0] * 24
        t = t0
        while t < t1:
            nxt = min(math.floor(t) + 1.0, t1)
            open_by_hour[int(t % 24.0) % 24] += st.open_hours(t, nxt)
            t = nxt
        load = busiest_hour_load(meter.by_hour, open_by_hour)
        return service_level_headcount(load, meter.mean_work, spec.target, spec.answer_within)


def policy_of(sc: Scenario, station: str
              ) -> FixedStaffing | OccupancyStaffing | ServiceLevelStaffing | None:
    """The staffing policy of a station: a staffed channel's, a team's or the warehouse's;
    None for a station without people on a roster (systems, installers, digital channels)."""
    if station in sc.channels:
        ch = sc.channels[station]
        return ch.staffing if ch.staffed else None
    if station in sc.teams:
        return sc.teams[station].staffing
    if station == "warehouse":
        return sc.warehouse.staffing
    return None


def start_planners(env: simpy.Environment, stations: dict[str, Station], sc: Scenario
                   ) -> dict[str, Planner]:
    """A :class:`Planner` for every station staffed by a policy other than ``fixed``."""
    planners = {}
    for name, st in stations.items():
        spec = policy_of(sc, name)
        if spec is not None and not isinstance(spec, FixedStaffing):
            planners[name] = Planner(env, st, spec)
    return planners
