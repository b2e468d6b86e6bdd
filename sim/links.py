"""Integration links: how a work item (an order, a lead, a PO, an invoice) crosses systems.

- ``manual``: a clerk of a team re-keys it: the item queues for the team, takes the touch
  time, and every keyed field is wrong with ``error_per_field`` (CALIBRATION O1-O3). With
  ``every`` the clerk works the items in sittings (an inbox read once a day): an item waits
  for the next sitting before it joins the team's queue.
- ``batch``: the item waits for the next sync run (every ``interval`` from ``offset``).
- ``realtime``: an API call with latency; a failed call is retried after ``retry_after``.

Every mode may add ``extra_delay`` (paperwork, approval, backlog). :meth:`Link.transfer` is a
SimPy generator returning the number of keying errors introduced.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.scenario import BatchLink, ManualLink, RealtimeLink

if TYPE_CHECKING:
    from sim.model import OmniModel


class Link:
    """Runtime side of one scenario link, with its own named random streams."""

    def __init__(self, model: OmniModel, name: str, spec: ManualLink | BatchLink | RealtimeLink):
        self.name = name
        self.spec = spec
        self.mode = spec.mode
        self.env = model.env
        s = model.streams
        self._delay_stream = s.get(f"link.{name}.delay")
        self._extra = spec.extra_delay
        if isinstance(spec, ManualLink):
            self.team = model.stations[spec.team]
            self._touch = spec.touch_time
            self._touch_stream = s.get(f"link.{name}.touch")
            self._err_stream = s.get(f"link.{name}.errors")
            self.p_field = spec.error_per_field
            self.fields_per_line = spec.fields_per_line
            self.sittings = spec.every is not None
            self.interval = spec.every if spec.every is not None else 1.0
            self.offset = spec.offset
        elif isinstance(spec, BatchLink):
            self.interval = spec.interval
            self.offset = spec.offset
        else:
            self._lat = spec.latency
            self._lat_stream = s.get(f"link.{name}.latency")
            self._fail_stream = s.get(f"link.{name}.failure")
            self.failure = spec.failure
            self.retry_after = spec.retry_after
        self.transfers = 0
        self.retries = 0
        self.fields_keyed = 0
        self.errors = 0
        #: hours items waited for a batch run in the statistics window (batch links only):
        #: waiting due to batch timing, not to a busy resource (see sim.model.bottleneck)
        self.batch_wait_hours = 0.0

    def reset_stats(self) -> None:
        """Start a new statistics window now (called at the end of the warm-up)."""
        self.batch_wait_hours = 0.0

    def next_sync(self, t: float) -> float:
        """Time of the first batch run (or clerk's sitting) at or after ``t``."""
        k = math.ceil((t - self.offset) / self.interval - 1e-12)
        return self.offset + max(k, 0) * self.interval

    def staleness(self, t: float) -> float:
        """Age of the data the receiving side sees at ``t`` (0 for real-time and manual)."""
        if self.mode != "batch":
            return 0.0
        last = self.next_sync(t)
        if last > t:
            last -= self.interval
        return max(t - max(last, self.offset), 0.0) if t >= self.offset else t

    def keying_errors(self, lines: int) -> int:
        """Errors made when re-keying an item of ``lines`` lines (manual links only)."""
        if self.mode != "manual" or self.p_field <= 0:
            return 0
        fields = max(1, round(self.fields_per_line * lines))
        self.fields_keyed += fields
        rnd = self._err_stream.random
        n = sum(1 for _ in range(fields) if rnd() < self.p_field)
        self.errors += n
        return n

    def transfer(self, lines: int = 1, patience: float | None = None
                 ) -> Generator[simpy.Event, Any, int]:
        """Move one item across the link; returns keying errors (``-1`` if the clerk queue
        was abandoned within ``patience``)."""
        env = self.env
        self.transfers += 1
        errors = 0
        if self.mode == "manual":
            if self.sittings:
                wait = self.next_sync(env.now) - env.now
                if wait > 0:
                    yield env.timeout(wait)
            work = self._touch.sample(self._touch_stream)
            served, _ = yield from self.team.serve(work, patience)
            if not served:
                return -1
            errors = self.keying_errors(lines)
        elif self.mode == "batch":
            wait = self.next_sync(env.now) - env.now
            if wait > 0:
                self.batch_wait_hours += wait
                yield env.timeout(wait)
        else:
            while True:
                yield env.timeout(self._lat.sample(self._lat_stream))
                if self.failure <= 0 or self._fail_stream.random() >= self.failure:
                    break
                self.retries += 1
                yield env.timeout(self.retry_after)
        if self._extra is not None:
            d = self._extra.sample(self._delay_stream)
            if d > 0:
                yield env.timeout(d)
        return errors
