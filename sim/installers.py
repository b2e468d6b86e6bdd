"""The systems integrator's calendar: installation jobs booked into working days.

Each working day of the installers (their ``hours``) has ``teams x jobs_per_team_day``
slots. A booking takes the first working day that starts at least ``notice`` after the
booking and still has a free slot, so the wait from booking to installation comes from the
calendar's load: a few days' notice when the teams have room, weeks when they are booked
up. The job starts at that day's opening and is worked by the ``installers`` station.
"""

from __future__ import annotations

import math

from sim.calendar import OpeningHours
from sim.scenario.company import Installers


class InstallerCalendar:
    """Booked installation slots per calendar day."""

    def __init__(self, spec: Installers, offset: float = 0.0):
        self.hours: OpeningHours = spec.hours
        self.offset = offset
        self.notice = spec.notice
        self.slots = spec.teams * spec.jobs_per_team_day
        self.booked: dict[int, int] = {}

    def opening_of(self, day: int) -> float | None:
        """When the installers start work on calendar day ``day`` (None: not a working day)."""
        t = day * 24.0
        start = t + self.hours.until_open(t, self.offset)
        return start if start < t + 24.0 else None

    def book(self, now: float) -> float:
        """Book the first free slot at least ``notice`` ahead; returns the job's start."""
        earliest = now + self.notice
        day = math.floor(earliest / 24.0)
        while True:
            start = self.opening_of(day)
            if start is not None and start >= earliest - 1e-9 \
                    and self.booked.get(day, 0) < self.slots:
                self.booked[day] = self.booked.get(day, 0) + 1
                return start
            day += 1
