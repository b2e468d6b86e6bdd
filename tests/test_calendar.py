"""Tests for sim.calendar: opening hours and demand profiles (simulated time in hours).

Week time counts hours since Monday 00:00; ``t = 0`` is Monday 00:00 unless an offset says
otherwise. Reference points for "Mon-Fri 08:00-17:00": Monday 08:00 = 8, Monday 16:00 = 16,
Tuesday 17:00 = 41, Friday 17:00 = 113, next Monday 08:00 = 176.
"""

import re
from datetime import date

import pytest

from sim.calendar import WEEK, DemandProfile, HoursError, OpeningHours, parse_hours

OFFICE = "Mon-Fri 08:00-17:00"
ALLOWED = 'expected "24/7" or rules like "Mon-Fri 08:00-18:00; Sat 09:00-13:00"'
DAY = 24.0


@pytest.fixture
def office() -> OpeningHours:
    return parse_hours(OFFICE)


# --------------------------------------------------------------------------- parse_hours
@pytest.mark.parametrize("spec", ["24/7", " 24/7 ", "always", "ALWAYS"])
def test_parse_always_open(spec: str) -> None:
    h = parse_hours(spec)
    assert h.always
    assert h.intervals == [(0.0, WEEK)]
    assert h.text == "24/7"
    assert h.open_per_week == 168.0
    assert h.is_open(123.456)
    assert h.until_open(123.456) == 0.0
    assert h.finish(5.0, 10.0) == 15.0
    assert h.open_hours(2.0, 30.0) == 28.0


def test_parse_weekdays(office: OpeningHours) -> None:
    assert not office.always
    assert office.intervals == [(8.0, 17.0), (32.0, 41.0), (56.0, 65.0), (80.0, 89.0),
                                (104.0, 113.0)]
    assert office.open_per_week == 45.0
    assert office.text == OFFICE
    assert repr(office) == "OpeningHours('Mon-Fri 08:00-17:00')"


def test_parse_split_shift() -> None:
    h = parse_hours("Mon-Fri 08:00-12:00; Mon-Fri 13:00-17:00")
    assert h.intervals == [(d * DAY + a, d * DAY + b) for d in range(5)
                           for a, b in ((8.0, 12.0), (13.0, 17.0))]
    assert h.open_per_week == 40.0
    assert not h.is_open(12.5)  # lunch on Monday
    assert h.until_open(12.5) == 0.5
    # 5 h of work from Monday 10:00: 10-12 and 13-16
    assert h.finish(10.0, 5.0) == 16.0


def test_parse_minutes_single_days_and_case() -> None:
    h = parse_hours("sat 09:30-13:15;SUN 11:00-17:00")
    assert h.intervals == [(5 * DAY + 9.5, 5 * DAY + 13.25), (6 * DAY + 11.0, 6 * DAY + 17.0)]
    assert h.open_per_week == 3.75 + 6.0


def test_parse_merges_overlapping_and_touching_rules() -> None:
    h = parse_hours("Mon 08:00-12:00; Mon 11:00-14:00; Mon 14:00-15:00; Tue 00:00-24:00")
    assert h.intervals == [(8.0, 15.0), (24.0, 48.0)]
    assert h.open_per_week == 31.0


def test_parse_every_hour_is_always() -> None:
    h = parse_hours("Mon-Sun 00:00-24:00")
    assert h.always
    assert h.intervals == [(0.0, WEEK)]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", f"{ALLOWED}; got ''"),
        ("   ", f"{ALLOWED}; got '   '"),
        (None, f"{ALLOWED}; got None"),
        (9, f"{ALLOWED}; got 9"),
        ("Mon-Fri 8-17", f"{ALLOWED}; got 'Mon-Fri 8-17'"),
        ("Monday 08:00-17:00", f"{ALLOWED}; got 'Monday 08:00-17:00'"),
        ("Mon-Fri 08:00-17:00; Sat 9:00", f"{ALLOWED}; got 'Sat 9:00'"),
        ("Mon-Fry 08:00-17:00", "unknown day in 'Mon-Fry 08:00-17:00' (days: Mon..Sun)"),
        ("Mon 17:00-08:00", "bad time range in 'Mon 17:00-08:00' (00:00-24:00, start < end)"),
        ("Mon 08:00-08:00", "bad time range in 'Mon 08:00-08:00' (00:00-24:00, start < end)"),
        ("Mon 08:00-24:30", "bad time range in 'Mon 08:00-24:30' (00:00-24:00, start < end)"),
        ("Mon 08:60-10:00", "bad time range in 'Mon 08:60-10:00' (00:00-24:00, start < end)"),
        ("Fri-Mon 08:00-17:00", "day range runs backwards in 'Fri-Mon 08:00-17:00'"),
    ],
)
def test_parse_errors(spec: object, message: str) -> None:
    with pytest.raises(HoursError, match=f"^{re.escape(message)}$"):
        parse_hours(spec)


def test_hours_error_is_a_value_error() -> None:
    assert issubclass(HoursError, ValueError)


# --------------------------------------------------------------------------- is_open / until_open
@pytest.mark.parametrize(
    ("t", "is_open", "until"),
    [
        (0.0, False, 8.0),            # Monday 00:00
        (7.5, False, 0.5),
        (8.0, True, 0.0),             # opening instant is open
        (16.75, True, 0.0),
        (17.0, False, 15.0),          # closing instant is closed; Tuesday 08:00 next
        (4 * DAY + 16.0, True, 0.0),  # Friday 16:00
        (4 * DAY + 17.0, False, 63.0),  # Friday 17:00 -> Monday 08:00
        (5 * DAY, False, 56.0),       # Saturday 00:00
        (6 * DAY + 23.0, False, 9.0),  # Sunday 23:00
        (WEEK + 8.0, True, 0.0),      # the next week
        (WEEK + 7.0, False, 1.0),
        (10 * WEEK + 4 * DAY + 17.0, False, 63.0),
    ],
)
def test_is_open_and_until_open(office: OpeningHours, t: float, is_open: bool,
                                 until: float) -> None:
    assert office.is_open(t) is is_open
    assert office.until_open(t) == until


# --------------------------------------------------------------------------- finish
@pytest.mark.parametrize(
    ("start", "work", "end"),
    [
        (10.0, 0.0, 10.0),            # no work: done at once, even ...
        (0.0, 0.0, 0.0),              # ... while closed
        (10.0, -1.0, 10.0),
        (10.0, 2.0, 12.0),            # within the day
        (16.0, 1.0, 17.0),            # ends exactly at closing, not at the next opening
        (16.0, 10.0, 41.0),           # Monday 16:00 + 10 h -> Tuesday 17:00
        (0.0, 9.0, 17.0),             # arrives closed: starts at 08:00
        (17.0, 1.0, 33.0),            # arrives at closing: Tuesday 08:00-09:00
        (4 * DAY + 16.0, 2.0, WEEK + 9.0),   # Friday 16:00 -> Monday 09:00
        (5 * DAY, 1.0, WEEK + 9.0),   # Saturday -> Monday 09:00
        (8.0, 45.0, 113.0),           # exactly one week of work: Friday 17:00
        (16.0, 45.0, WEEK + 16.0),    # one week of work from mid-day: a week later
        (16.0, 50.0, WEEK + 36.0),    # + 5 h more: Mon 16-17, Tue 08-12 next week
        (16.0, 100.0, 2 * WEEK + 41.0),  # 2 weeks + 10 h: Tuesday 17:00 two weeks on
        (8.0, 90.0, WEEK + 113.0),    # exactly two weeks of work: Friday 17:00 next week
        (0.0, 135.0, 2 * WEEK + 113.0),  # three weeks, starting while closed
    ],
)
def test_finish(office: OpeningHours, start: float, work: float, end: float) -> None:
    assert office.finish(start, work) == end


def test_finish_is_continuous_at_whole_weeks(office: OpeningHours) -> None:
    """Work a hair short of two weeks and exactly two weeks end at the same closing time."""
    just_short = office.finish(8.0, 90.0 - 1e-9)
    assert just_short == pytest.approx(WEEK + 113.0, abs=1e-6)
    assert office.finish(8.0, 90.0) == pytest.approx(just_short, abs=1e-6)


def test_finish_never_ends_while_closed(office: OpeningHours) -> None:
    for start in (0.0, 8.0, 12.5, 17.0, 100.0, 130.0):
        for work in (0.5, 9.0, 44.0, 45.0, 46.0, 90.0, 91.0):
            end = office.finish(start, work)
            # the last instant of work is inside an open interval or at its closing
            assert office.is_open(end - 1e-9), (start, work, end)
            assert office.open_hours(start, end) == pytest.approx(work, abs=1e-9)


# --------------------------------------------------------------------------- open_hours
@pytest.mark.parametrize(
    ("t0", "t1", "hours"),
    [
        (0.0, WEEK, 45.0),
        (0.0, 2 * WEEK, 90.0),
        (3.5, 3.5 + WEEK, 45.0),
        (10.0, 12.0, 2.0),
        (16.0, 33.0, 2.0),            # Mon 16-17 and Tue 08-09
        (17.0, 32.0, 0.0),            # the night
        (4 * DAY + 17.0, WEEK + 8.0, 0.0),  # the weekend
        (12.0, 12.0, 0.0),
        (12.0, 10.0, 0.0),
    ],
)
def test_open_hours(office: OpeningHours, t0: float, t1: float, hours: float) -> None:
    assert office.open_hours(t0, t1) == hours


# --------------------------------------------------------------------------- offset
def test_offset_of_a_wednesday_start(office: OpeningHours) -> None:
    offset = date(2026, 1, 7).weekday() * DAY   # what OmniModel does; 2026-01-07 is a Wednesday
    assert offset == 48.0
    assert not office.is_open(0.0, offset)              # Wednesday 00:00
    assert office.until_open(0.0, offset) == 8.0
    assert office.is_open(8.0, offset)
    assert office.finish(0.0, 10.0, offset) == 33.0     # Wed 08-17 + Thu 08-09
    fri_17 = 2 * DAY + 17.0
    assert office.until_open(fri_17, offset) == 63.0    # Friday 17:00 -> Monday 08:00
    assert office.finish(fri_17 - 1.0, 2.0, offset) == fri_17 + 63.0 + 1.0
    assert office.open_hours(0.0, WEEK, offset) == 45.0
    assert office.open_hours(0.0, 3 * DAY, offset) == 27.0   # Wed, Thu, Fri
    # the same instant, described without an offset
    assert office.finish(48.0, 10.0) == 48.0 + 33.0


# --------------------------------------------------------------------------- DemandProfile
HOURLY = [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.7, 1.0, 1.3, 1.4, 1.4,
          1.5, 1.4, 1.4, 1.4, 1.3, 1.3, 1.4, 1.6, 1.7, 1.5, 1.0, 0.5]
WEEKLY = [1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 0.9]


@pytest.mark.parametrize("offset", [0.0, 48.0, 13.0])
def test_profile_mean_over_a_week_is_one(offset: float) -> None:
    p = DemandProfile(HOURLY, WEEKLY, [], offset)
    assert sum(p.hourly) / 24 == pytest.approx(1.0, abs=1e-12)
    assert sum(p.weekly) / 7 == pytest.approx(1.0, abs=1e-12)
    mean = sum(p.at(h + 0.5) for h in range(168)) / 168
    assert mean == pytest.approx(1.0, abs=1e-12)
    assert p.max == pytest.approx(max(HOURLY) / (sum(HOURLY) / 24) * 1.1, rel=1e-12)


def test_profile_flat_is_one_everywhere() -> None:
    p = DemandProfile([3.0] * 24, [2.0] * 7, [])
    assert {p.at(t) for t in (0.0, 5.5, 100.0, 1000.25)} == {1.0}
    assert p.max == 1.0


def test_profile_lookup_uses_offset() -> None:
    hourly = [0.0] * 24
    hourly[9] = 24.0      # all demand 09:00-10:00
    weekly = [7.0, 0, 0, 0, 0, 0, 0]   # all demand on Mondays
    p = DemandProfile(hourly, weekly, [])
    assert p.at(9.5) == 24.0 * 7.0
    assert p.at(9.5 + DAY) == 0.0
    q = DemandProfile(hourly, weekly, [], offset=6 * DAY)   # start on a Sunday
    assert q.at(9.5) == 0.0
    assert q.at(DAY + 9.5) == 24.0 * 7.0


def test_profile_peak_multiplies_inside_its_window_only() -> None:
    base = DemandProfile(HOURLY, WEEKLY, [])
    peak = DemandProfile(HOURLY, WEEKLY, [(70 * DAY, 77 * DAY, 1.6)])
    assert peak.max == pytest.approx(base.max * 1.6, rel=1e-12)
    for t in (70 * DAY - 0.5, 77 * DAY, 77 * DAY + 3.25, 10.0):
        assert peak.at(t) == base.at(t)
    for t in (70 * DAY, 70 * DAY + 12.5, 77 * DAY - 1e-6):
        assert peak.at(t) == base.at(t) * 1.6
    week = [peak.at(70 * DAY + h + 0.5) for h in range(168)]
    assert sum(week) / 168 == pytest.approx(1.6, abs=1e-12)


def test_profile_peak_below_one_does_not_lower_max() -> None:
    p = DemandProfile([1.0] * 24, [1.0] * 7, [(0.0, 24.0, 0.5)])
    assert p.max == 1.0
    assert p.at(1.0) == 0.5
    assert p.at(25.0) == 1.0
