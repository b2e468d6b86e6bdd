"""Opening hours and demand profiles over simulated time (hours since the scenario start).

Week time is measured in hours since Monday 00:00; the model passes the offset of its start
date so that ``t = 0`` falls on the right weekday.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence

WEEK = 168.0
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RULE = re.compile(r"^\s*([A-Za-z]{3})(?:\s*-\s*([A-Za-z]{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*"
                   r"(\d{1,2}):(\d{2})\s*$")


class OpeningHours:
    """Weekly opening intervals; ``24/7`` is always open.

    Args:
        intervals: sorted, non-overlapping ``(start, end)`` hours within ``[0, 168]``.
        text: the spec it was parsed from (kept for writing scenarios back out).
    """

    def __init__(self, intervals: Sequence[tuple[float, float]], text: str):
        self.intervals = list(intervals)
        self.text = text
        self.always = self.intervals == [(0.0, WEEK)]
        self._starts = [a for a, _ in self.intervals]
        self.open_per_week = sum(b - a for a, b in self.intervals)

    def __repr__(self) -> str:
        return f"OpeningHours({self.text!r})"

    def _locate(self, w: float) -> tuple[int, bool]:
        """Index of the interval at or after week time ``w`` and whether ``w`` is inside it."""
        i = bisect.bisect_right(self._starts, w) - 1
        if i >= 0 and w < self.intervals[i][1]:
            return i, True
        return i + 1, False

    def state(self, t: float, offset: float = 0.0) -> tuple[bool, float]:
        """Whether open at ``t`` and the time until which that stays so."""
        if self.always:
            return True, float("inf")
        w = (t + offset) % WEEK
        i, inside = self._locate(w)
        if inside:
            return True, t + self.intervals[i][1] - w
        return False, t + self.until_open(t, offset)

    def is_open(self, t: float, offset: float = 0.0) -> bool:
        """Whether the place is open at time ``t``."""
        if self.always:
            return True
        return self._locate((t + offset) % WEEK)[1]

    def until_open(self, t: float, offset: float = 0.0) -> float:
        """Hours from ``t`` until the next opening (0 if open now)."""
        if self.always:
            return 0.0
        w = (t + offset) % WEEK
        i, inside = self._locate(w)
        if inside:
            return 0.0
        if i < len(self.intervals):
            return self.intervals[i][0] - w
        return WEEK - w + self.intervals[0][0]

    def _after_end(self, i: int, w: float) -> tuple[float, float]:
        """From week time ``w`` at the end of interval ``i``: the closed and open hours next.

        Used only where a step to the end of interval ``i`` no longer moves ``t`` (the step is
        below the resolution of ``t``, which happens late in long runs for ends that are not
        representable, such as 16:50): the loop then moves in week coordinates instead. The
        closed hours run from ``w`` to the next opening; an interval ending at the week's end
        that continues into one starting Monday 00:00 has no gap, and its open hours run to
        the end of that first interval.
        """
        nxt = i + 1
        if nxt < len(self.intervals):
            return self.intervals[nxt][0] - w, 0.0
        if self.intervals[0][0] > 0.0 or self.intervals[i][1] < WEEK:
            return WEEK + self.intervals[0][0] - w, 0.0
        return 0.0, WEEK + self.intervals[0][1] - w

    def finish(self, t: float, work: float, offset: float = 0.0) -> float:
        """Time at which ``work`` hours of open time, started at ``t``, are done.

        The loop moves from interval end to interval end; a move too small to change ``t``
        is replaced by one in week coordinates (``_after_end``), so the loop always
        advances. Before that guard any closing time that is not a whole number of hours
        could loop forever on runs of a week or more (issue 18); every result the loop
        reached before is unchanged, as the guard runs only where it stalled.
        """
        if self.always or work <= 0:
            return t + max(work, 0.0)
        t += self.until_open(t, offset)
        whole_weeks = max(math.ceil(work / self.open_per_week) - 1, 0)
        t += whole_weeks * WEEK
        work -= whole_weeks * self.open_per_week
        while True:
            w = (t + offset) % WEEK
            i, _ = self._locate(w)
            if i == len(self.intervals):  # rounding put w just past the last interval
                t += self.until_open(t, offset)
                continue
            left = self.intervals[i][1] - w
            if work <= left + 1e-12:
                return t + work
            work -= left
            if t + left > t:
                t += left
                t += self.until_open(t, offset)
                continue
            closed, more = self._after_end(i, w)
            if work <= more:
                return t + closed + work
            work -= more
            t += closed + more

    def open_hours(self, t0: float, t1: float, offset: float = 0.0) -> float:
        """Open hours within ``[t0, t1]``.

        A step too small to change ``t`` is replaced by one in week coordinates, as in
        ``finish``.
        """
        if self.always:
            return max(t1 - t0, 0.0)
        total, t = 0.0, t0
        while t < t1:
            w = (t + offset) % WEEK
            i, inside = self._locate(w)
            if inside:
                step = min(self.intervals[i][1] - w, t1 - t)
                if t + step > t:
                    total += step
                    t += step
                    continue
                closed, step = self._after_end(i, w)
                step = min(step, t1 - t - closed)
                total += max(step, 0.0)
                t += closed + max(step, 0.0)
            else:
                t += max(self.until_open(t, offset), 1e-9)
        return total


class HoursError(ValueError):
    """An opening-hours spec could not be parsed."""


def parse_hours(spec: object) -> OpeningHours:
    """Parse ``"24/7"`` or rules such as ``"Mon-Fri 08:00-18:00; Sat 09:00-13:00"``."""
    allowed = 'expected "24/7" or rules like "Mon-Fri 08:00-18:00; Sat 09:00-13:00"'
    if not isinstance(spec, str) or not spec.strip():
        raise HoursError(f"{allowed}; got {spec!r}")
    text = spec.strip()
    if text.lower() in ("24/7", "always"):
        return OpeningHours([(0.0, WEEK)], "24/7")
    spans: list[tuple[float, float]] = []
    for rule in text.split(";"):
        m = _RULE.match(rule)
        if not m:
            raise HoursError(f"{allowed}; got {rule.strip()!r}")
        d0, d1, h0, m0, h1, m1 = m.groups()
        try:
            first = DAYS.index(d0.lower())
            last = DAYS.index((d1 or d0).lower())
        except ValueError:
            raise HoursError(f"unknown day in {rule.strip()!r} (days: Mon..Sun)") from None
        start, end = int(h0) + int(m0) / 60, int(h1) + int(m1) / 60
        if not (0 <= start < end <= 24) or int(m0) > 59 or int(m1) > 59:
            raise HoursError(f"bad time range in {rule.strip()!r} (00:00-24:00, start < end)")
        if last < first:
            raise HoursError(f"day range runs backwards in {rule.strip()!r}")
        for d in range(first, last + 1):
            spans.append((d * 24 + start, d * 24 + end))
    spans.sort()
    merged: list[tuple[float, float]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return OpeningHours(merged, text)


class DemandProfile:
    """Relative arrival-rate multiplier by hour of day, day of week and peak periods.

    Hourly and weekly profiles are normalised to mean 1, so ``leads_per_day`` stays the
    average daily volume outside peaks.
    """

    def __init__(self, hourly: Sequence[float], weekly: Sequence[float],
                 peaks: Sequence[tuple[float, float, float]], offset: float = 0.0):
        mh = sum(hourly) / 24
        mw = sum(weekly) / 7
        self.hourly = [h / mh for h in hourly]
        self.weekly = [w / mw for w in weekly]
        self.peaks = list(peaks)
        self.offset = offset
        self.max = max(self.hourly) * max(self.weekly) * max(
            [1.0, *(f for _, _, f in self.peaks)])
        #: a flat profile (multiplier 1 at all times): arrivals are a homogeneous process
        self.flat = (len(set(self.hourly)) == 1 and len(set(self.weekly)) == 1
                     and not self.peaks)

    def advance(self, t: float, work: float) -> float:
        """The time at which ``work`` multiplier-hours have accumulated after ``t``.

        The multiplier is constant within each clock hour and peak window, so arrivals of a
        non-homogeneous Poisson process with rate ``base x at(t)`` are exact by inversion:
        ``t_next = advance(t, E / base)`` with ``E`` a unit exponential draw (one draw per
        arrival, which keeps common random numbers aligned across scenarios).
        """
        if self.flat:
            return t + work
        edges = [e for s, en, _ in self.peaks for e in (s, en)]
        while True:
            m = self.at(t)
            nxt = math.floor(t + 1e-9) + 1.0
            for e in edges:
                if t < e < nxt:
                    nxt = e
            span = nxt - t
            if m > 0 and m * span >= work:
                return t + work / m
            work -= m * span
            t = nxt

    def at(self, t: float) -> float:
        """Multiplier at simulated time ``t``."""
        w = (t + self.offset) % WEEK
        m = self.hourly[int(w % 24)] * self.weekly[int(w // 24)]
        for start, end, factor in self.peaks:
            if start <= t < end:
                m *= factor
        return m
