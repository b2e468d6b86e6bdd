"""Opening hours at every minute of the day over long horizons (issue 18, item 1).

A closing time that is not a whole hour (16:50 is 16.8333... hours, not a binary fraction)
used to make ``OpeningHours.open_hours`` and ``finish`` loop forever a week or so into a run:
the step to the interval's end fell below the resolution of ``t`` and stopped moving it. These
tests compare both with an exact reference in rational arithmetic (``Fraction``: interval
ends in whole minutes, times as the exact values of their floats) for every minute of the day
as the closing and as the opening time, over 400 days, and one command-line run of 12 days
with a 16:50 closing. An alarm turns a hang into a failure.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from cli_helpers import no_hang, run_in_process
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.calendar import WEEK, OpeningHours, parse_hours

DAY = 24.0
HORIZON = 400 * DAY
TOL = 1e-6  # hours: float rounding over 400 days of intervals is ~1e-11
CALENDAR = settings(max_examples=60, deadline=None, database=None)


def _spec(first: int, last: int, start: int, end: int) -> str:
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    span = days[first] if first == last else f"{days[first]}-{days[last]}"
    return f"{span} {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def _exact_intervals(hours: OpeningHours) -> list[tuple[Fraction, Fraction]]:
    """The weekly intervals in exact hours (their ends are whole minutes)."""
    return [(Fraction(round(a * 60), 60), Fraction(round(b * 60), 60))
            for a, b in hours.intervals]


def _exact_open(spans: list[tuple[Fraction, Fraction]], t0: float, t1: float,
                offset: float) -> Fraction:
    """Open hours within ``[t0, t1]``, exactly."""
    lo, hi = Fraction(t0) + Fraction(offset), Fraction(t1) + Fraction(offset)
    total = Fraction(0)
    for k in range(math.floor(lo / 168), math.floor(hi / 168) + 1):
        for a, b in spans:
            x, y = max(lo, a + 168 * k), min(hi, b + 168 * k)
            if y > x:
                total += y - x
    return total


def _check(hours: OpeningHours, t0: float, span: float, offset: float) -> None:
    spans = _exact_intervals(hours)
    t1 = t0 + span
    with no_hang(5):
        got = hours.open_hours(t0, t1, offset)
    assert abs(got - float(_exact_open(spans, t0, t1, offset))) < TOL
    work = got / 2 + 0.01
    with no_hang(5):
        done = hours.finish(t0, work, offset)
    assert abs(float(_exact_open(spans, t0, done, offset)) - work) < TOL
    # it ends while open (or at a closing), never a closed stretch later
    w = (done + offset) % WEEK
    assert any(a - TOL <= w <= b + TOL for a, b in hours.intervals) or w < TOL


def _late_in_a_long_run(hours: OpeningHours, t0: float, offset: float) -> None:
    """20 days from ``t0`` (380 days in): the open hours exactly, and ``finish`` returns."""
    with no_hang(5):
        got = hours.open_hours(t0, t0 + 20 * DAY, offset)
        done = hours.finish(t0, 50.0, offset)
    exact = _exact_open(_exact_intervals(hours), t0, t0 + 20 * DAY, offset)
    assert abs(got - float(exact)) < TOL, hours
    assert done > t0


def test_every_closing_minute_of_the_day_late_in_a_long_run() -> None:
    """All 1,440 closing times: from 08:00 (from midnight for those up to 08:00)."""
    for end in range(1, 1441):
        start = 480 if end > 480 else 0
        _late_in_a_long_run(parse_hours(_spec(0, 4, start, end)),
                            380 * DAY + 0.0123 + end / 997, 72.0)


def test_every_opening_minute_of_the_day_late_in_a_long_run() -> None:
    """All 1,439 opening times before a 23:59 closing, every day of the week."""
    for start in range(0, 1439):
        _late_in_a_long_run(parse_hours(_spec(0, 6, start, 1439)),
                            380 * DAY + 0.0456 + start / 991, 0.0)


@CALENDAR
@given(first=st.integers(0, 6), length=st.integers(0, 6), start=st.integers(0, 1439),
       minutes=st.integers(1, 1440), t0=st.floats(0.0, HORIZON),
       span=st.floats(0.0, HORIZON), offset=st.sampled_from([0.0, 24.0, 72.0, 144.0, 1.5]))
def test_any_minutes_any_start_over_400_days(first: int, length: int, start: int,
                                             minutes: int, t0: float, span: float,
                                             offset: float) -> None:
    end = min(start + minutes, 1440)
    hours = parse_hours(_spec(first, min(first + length, 6), start, end))
    if hours.always:
        return
    _check(hours, t0, span, offset)


@CALENDAR
@given(evening=st.integers(0, 1439), morning=st.integers(1, 1440),
       t0=st.floats(0.0, HORIZON), span=st.floats(0.0, HORIZON))
def test_open_across_the_week_boundary(evening: int, morning: int, t0: float,
                                       span: float) -> None:
    """Sunday evening to Monday morning: an interval ends at 168 and one starts at 0."""
    hours = parse_hours(f"{_spec(6, 6, evening, 1440)}; {_spec(0, 0, 0, morning)}")
    _check(hours, t0, span, 0.0)


def test_a_run_with_a_1650_closing_finishes(tmp_path: Any) -> None:
    """The issue's reproduction: 12 days with the order desk closing at 16:50."""
    with no_hang(60):
        code, out, err = run_in_process(
            ["run", "validation/mm1", "--days", "12", "--out", str(tmp_path), "--json",
             "--set", "teams.order_desk.hours=Mon-Fri 08:00-16:50"])
    assert code == 0, err
    assert '"total_cost"' in out
