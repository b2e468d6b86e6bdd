"""Monitored SimPy resources: every channel, system, team and partner is a :class:`Station`.

A Station is a ``simpy.Resource`` subclass (measure by subclassing, as SimPy's monitoring guide
shows) that keeps time integrals of the number waiting and in service, waits, abandonments and
busy time, so utilisation, the bottleneck and Little's law come from the run itself.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.calendar import OpeningHours

if TYPE_CHECKING:
    from simpy.resources.resource import Request

    from sim.staffing import WorkMeter

INFINITE = 10_000
#: answer-time target of the service level (the call-centre "80/20": 80% within 20 s, W1)
SERVICE_LEVEL_TARGET = 20.0 / 3600


class Station(simpy.Resource):
    """A resource with opening hours, monitoring and a staffing cost.

    Args:
        env: the simulation environment.
        name: unique name (``call_centre``, ``erp``, ``order_desk`` ...).
        kind: ``channel``, ``system``, ``team`` or ``partner``.
        capacity: servers (agents, clerks, concurrent transactions).
        hours: opening hours; work started while closed waits for the opening.
        offset: week-time offset of the scenario start (hours since Monday 00:00).
        cost_per_server_hour: paid for every server for every open hour.
        pause_when_closed: back-office work that runs past closing continues at the next
            opening (a clerk's half-keyed order waits overnight); customer-facing channels
            finish the call or sale in progress instead (False).

    :meth:`serve` is the engine's hottest function, with three fast paths that give the same
    outcome and event order as SimPy's request and release, with fewer events:

    - a station with so many servers that nobody queues (``infinite``) and no hours: one
      timeout, no request;
    - a free server and nobody waiting: the customer takes it at once, without a request
      event (a placeholder "seat" stands in ``users`` while served; it is released like a
      request);
    - nobody waiting at the end of service: the server is freed without a release event,
      which would only find an empty queue (a request arriving later in the same instant
      finds the server free either way). When someone waits, SimPy's release removes the
      user now and grants the next request when the release event is processed.
    """

    def __init__(self, env: simpy.Environment, name: str, kind: str, capacity: int,
                 hours: OpeningHours | None = None, offset: float = 0.0,
                 cost_per_server_hour: float = 0.0, pause_when_closed: bool = True):
        super().__init__(env, capacity=capacity)
        self.name = name
        self.kind = kind
        #: None means always open (24/7 is stored as None: the fast paths below test for it)
        self.hours = None if hours is not None and hours.always else hours
        self.offset = offset
        self.cost_per_server_hour = cost_per_server_hour
        self.pause_when_closed = pause_when_closed
        #: the headcount on the roster from each time on: ``(since, servers)``, in time order
        #: (one entry unless a staffing policy changes it, :meth:`set_capacity`)
        self._roster: list[tuple[float, int]] = [(env.now, capacity)]
        #: records the work offered here for a staffing policy (:mod:`sim.staffing`); None
        #: for a station whose headcount is fixed
        self.meter: WorkMeter | None = None
        #: so many servers that nobody ever queues (a web shop's servers): served without a
        #: SimPy request, which saves two events per visit; statistics are kept the same way
        self.infinite = capacity >= INFINITE
        self.in_service_n = 0
        #: (open?, until, since): the opening state is cached between changes
        self._open_state = ((False, -1.0, 0.0) if self.hours is not None  # computed on use
                            else (True, float("inf"), 0.0))          # always open
        #: customers at the station now (waiting or in service)
        self.present = 0
        self.waiting_closed = 0  # work that arrived while closed, waiting for the opening
        self.reset_stats()

    # -- statistics -------------------------------------------------------------------------
    def reset_stats(self) -> None:
        """Start a new statistics window now (called at the end of the warm-up)."""
        now = self._env.now
        self.window_start = now
        self._last = now
        # Time at the station within the window, for Little's W: an arrival subtracts its
        # time and a departure adds its time, so customers still here add ``present x now``
        # when it is read (snapshot); those here already are counted from now on.
        self.carried_in = self.present
        self.in_window_sum = -self.present * now
        self.area_queue = 0.0
        self.area_system = 0.0
        self.arrivals = 0
        self.served = 0
        self.abandoned = 0
        self.wait_sum = 0.0
        #: the part of ``wait_sum`` waited while the station was closed (not for a busy server)
        self.wait_closed_sum = 0.0
        self.sojourn_sum = 0.0
        self.busy = 0.0
        #: server-hours worked after closing in the window (see :meth:`_finish_time`)
        self.overtime = 0.0
        self.answered_in_target = 0

    def _tick(self, now: float) -> None:
        """Add the time since the last change, at the present counts, to the time averages
        (``now``: the clock, which callers have read already)."""
        dt = now - self._last
        if dt:
            nq = len(self.queue) + self.waiting_closed
            self.area_queue += nq * dt
            self.area_system += (nq + len(self.users) + self.in_service_n) * dt
            self._last = now

    def open_hours(self, t0: float, t1: float) -> float:
        """Open hours of this station in ``[t0, t1]``."""
        if self.hours is None:
            return t1 - t0
        return self.hours.open_hours(t0, t1, self.offset)

    def utilisation(self, now: float | None = None) -> float:
        """Busy server-hours over paid server-hours since the window start
        (:meth:`paid_in_window`)."""
        now = self._env.now if now is None else now
        avail = self.paid_in_window(now)
        return self.busy / avail if avail > 0 else 0.0

    def paid_in_window(self, now: float) -> float:
        """Server-hours paid since the window start: the roster's (:meth:`paid_hours`) plus
        the overtime after closing (:meth:`_finish_time`)."""
        return self.paid_hours(self.window_start, now) + self.overtime

    def paid_hours(self, t0: float, t1: float) -> float:
        """Server-hours on the roster in ``[t0, t1]``: each headcount times the open hours
        it was on the roster (piecewise over the changes of :meth:`set_capacity`)."""
        roster = self._roster
        if len(roster) == 1:
            return roster[0][1] * self.open_hours(t0, t1)
        total = 0.0
        for i, (since, servers) in enumerate(roster):
            lo = max(since, t0)
            hi = min(roster[i + 1][0], t1) if i + 1 < len(roster) else t1
            if hi > lo:
                total += servers * self.open_hours(lo, hi)
        return total

    def staff_cost(self, t0: float, t1: float) -> float:
        """Cost of keeping the servers on the roster available during open hours in
        ``[t0, t1]`` (the rate times :meth:`paid_hours`)."""
        return self.cost_per_server_hour * self.paid_hours(t0, t1)

    @property
    def roster(self) -> list[tuple[float, int]]:
        """The headcount from each time on, ``(since, servers)`` (a copy)."""
        return list(self._roster)

    def set_capacity(self, servers: int) -> None:
        """Put ``servers`` on the roster from now on (a staffing decision taking effect).

        More servers take waiting work at once (SimPy grants one queued request per
        ``_trigger_put``, so it is called until the queue or the new servers run out);
        fewer servers let those in service finish: nobody is interrupted, the station only
        grants no new work until fewer than ``servers`` are busy. Pay follows the roster
        (:meth:`paid_hours`); a server finishing the work in hand after a cut is paid for
        that service as overtime (so utilisation stays at most 1).

        Raises:
            ValueError: for an unlimited station, or fewer than one server.
        """
        if self.infinite or servers < 1:
            raise ValueError(f"{self.name}: cannot staff an unlimited station or put fewer "
                             f"than 1 server on it (got {servers})")
        if servers == self._capacity:
            return
        now = self._env.now
        self._tick(now)
        if self._roster[-1][0] == now:
            self._roster[-1] = (now, servers)
        else:
            self._roster.append((now, servers))
        self._capacity = servers
        queue = self.put_queue
        while queue and len(self.users) < servers:
            waiting = len(queue)
            self._trigger_put(None)
            if len(queue) == waiting:  # nothing granted (cannot happen with SimPy's Resource)
                break

    def is_open(self, t: float) -> bool:
        """Whether the station is open at ``t`` (cached until the next opening or closing)."""
        if self.hours is None:
            return True
        is_open, until, since = self._open_state
        if since <= t < until:
            return is_open
        is_open, until = self.hours.state(t, self.offset)
        self._open_state = (is_open, until, t)
        return is_open

    def open_until(self, t: float) -> float:
        """When the opening state at ``t`` next changes: the next closing if the station is
        open at ``t``, else the next opening; ``inf`` if it is always open (cached like
        :meth:`is_open`)."""
        if self.hours is None:
            return float("inf")
        self.is_open(t)
        return self._open_state[1]

    @property
    def waiting(self) -> int:
        """Customers waiting now: queued, or waiting for the opening."""
        return len(self.queue) + self.waiting_closed

    @property
    def in_service(self) -> int:
        """Customers being served now."""
        return self.count + self.in_service_n

    # -- use --------------------------------------------------------------------------------
    def serve(self, work: float, patience: float | None = None
              ) -> Generator[simpy.Event, Any, tuple[bool, float]]:
        """Queue for a server, work ``work`` open hours on it, release it.

        Args:
            work: service time in open hours.
            patience: give up if not served within this many hours (reneging); None waits.

        Returns:
            ``(served, wait)``: whether service happened and the hours spent waiting.
        """
        env = self._env
        t0 = env.now
        self._tick(t0)
        self.arrivals += 1
        self.present += 1
        self.in_window_sum -= t0
        # the clock is read once after every yield (``now``), as it cannot move in between
        if self.infinite and self.hours is None:
            # fast path: nobody ever queues and it never closes: one timeout, no request
            self.in_service_n += 1
            yield env.timeout(work)
            now = env.now
            self._tick(now)
            self.in_service_n -= 1
            self._leave(now, 0.0, work, work)  # (no answer-time count: nobody waits here)
            return True, 0.0
        meter = self.meter
        if meter is not None:
            meter.offer(t0, work)
        if self.pause_when_closed and self.hours is not None:
            closed = self.hours.until_open(t0, self.offset)
            if closed > 0:  # work that arrives while closed waits for the opening
                if not (yield from self._wait_for_opening(closed, patience)):
                    return self._give_up(env.now, t0)
                if patience is not None:
                    patience -= closed
        if not self.queue and len(self.users) < self.capacity:
            # fast path: a free server and nobody waiting: take it at once, without a request
            user: Any = object()  # a seat that stands in ``users`` while served
            self.users.append(user)
            start = env.now  # (no tick: the last one was at this instant)
        else:
            user = self.request()
            if patience is None:
                yield user
            elif user not in (yield user | env.timeout(patience)):
                self._withdraw(user)
                return self._give_up(env.now, t0)
            start = env.now
            self._tick(start)
        end = start + work if self.hours is None else self._finish_time(start, work)
        if end > start:
            yield env.timeout(end - start)
        now = env.now
        self._tick(now)
        if len(self.users) > self._capacity and now > self.window_start:
            # a server beyond a staffing cut finishing the work in hand is paid for it
            self.overtime += min(work, now - self.window_start)
        if self.queue:  # the next request is granted when the release event is processed
            self.release(user)
        else:  # fast path: nobody waits: free the server without a release event
            self.users.remove(user)
        wait = start - t0
        if wait <= SERVICE_LEVEL_TARGET:
            self.answered_in_target += 1
        self._leave(now, wait, now - t0, work, self._closed_part(t0, start))
        return True, wait

    def _leave(self, now: float, wait: float, sojourn: float, work: float | None,
               closed: float = 0.0) -> None:
        """The bookkeeping of a customer leaving at ``now`` after ``wait`` hours waiting
        (``closed`` of them while the station was closed) and ``sojourn`` hours here: served
        with ``work`` hours of service, or (``work`` None) given up unserved. The time
        averages must be ticked to ``now`` already."""
        self.present -= 1
        self.in_window_sum += now
        self.wait_sum += wait
        self.wait_closed_sum += closed
        self.sojourn_sum += sojourn
        if work is None:
            self.abandoned += 1
        else:
            self.busy += work
            self.served += 1

    def _closed_part(self, t0: float, t1: float) -> float:
        """Hours of a wait from ``t0`` to ``t1`` during which the station was closed."""
        if self.hours is None or t1 <= t0:
            return 0.0
        return max(t1 - t0 - self.hours.open_hours(t0, t1, self.offset), 0.0)

    def _give_up(self, now: float, t0: float) -> tuple[bool, float]:
        """Leave unserved at ``now`` after arriving at ``t0``: the result of :meth:`serve`."""
        waited = now - t0
        self._leave(now, waited, waited, None, self._closed_part(t0, now))
        return False, waited

    def _wait_for_opening(self, closed: float, patience: float | None
                          ) -> Generator[simpy.Event, Any, bool]:
        """Wait the ``closed`` hours until the opening (counted as waiting while closed);
        False if ``patience`` runs out first (then the wait ends when it does)."""
        env = self._env
        if patience is not None and patience <= closed:
            gives_up, hours = True, patience
        else:
            gives_up, hours = False, closed
        self.waiting_closed += 1
        yield env.timeout(hours)
        self._tick(env.now)
        self.waiting_closed -= 1
        return not gives_up

    def _withdraw(self, req: Request) -> None:
        """Take back a request whose patience ran out (a customer hanging up)."""
        self._tick(self._env.now)
        if req.triggered:  # granted in this very instant: hand the server back
            self.release(req)
        else:
            req.cancel()

    def _finish_time(self, start: float, work: float) -> float:
        """When ``work`` open hours of service started at ``start`` end: back-office work
        pauses at closing, customer-facing channels finish what they started."""
        if self.hours is None:
            return start + work
        if self.pause_when_closed:
            return self.hours.finish(start, work, self.offset)
        begin = start + self.hours.until_open(start, self.offset)
        end = begin + work
        if self.cost_per_server_hour:  # a sale or call finished after closing: overtime
            self.overtime += work - self.hours.open_hours(begin, end, self.offset)
        return end

    def snapshot(self, now: float) -> dict[str, Any]:
        """Window statistics at ``now`` (used for KPIs and the Little's-law check): numbers
        by name, with ``capacity`` None for an unlimited station."""
        self._tick(now)
        span = max(now - self.window_start, 1e-12)
        done = self.served + self.abandoned
        customers = self.arrivals + self.carried_in
        in_window = self.in_window_sum + self.present * now
        return {
            "little_lambda": customers / span,
            "little_W": in_window / customers if customers else 0.0,
            "arrivals": self.arrivals,
            "served": self.served,
            "abandoned": self.abandoned,
            "wait_hours_total": self.wait_sum,
            "wait_closed_hours": self.wait_closed_sum,
            "wait_busy_hours": max(self.wait_sum - self.wait_closed_sum, 0.0),
            "mean_wait_hours": self.wait_sum / done if done else 0.0,
            "mean_queue": self.area_queue / span,
            "mean_in_system": self.area_system / span,
            "mean_sojourn_hours": self.sojourn_sum / done if done else 0.0,
            "throughput_per_hour": done / span,
            "service_level": self.answered_in_target / self.arrivals if self.arrivals else 0.0,
            "utilisation": self.utilisation(now),
            "capacity": self.capacity if self.capacity < INFINITE else None,  # None: unlimited
        }
