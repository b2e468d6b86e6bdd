"""The carrier's daily pick-up (cut-off) and the installers' calendar, on exact cases."""

import pytest

from sim.installers import InstallerCalendar
from sim.journey.fulfil import next_pickup
from sim.scenario import load


def test_a_parcel_booked_after_the_cut_off_leaves_next_day() -> None:
    assert next_pickup(10.0, 17.0) == 17.0           # before the cut-off: today at 17:00
    assert next_pickup(17.0, 17.0) == 17.0           # at the cut-off: still today
    assert next_pickup(17.5, 17.0) == 24.0 + 17.0    # after it: tomorrow
    assert next_pickup(24.0 * 3 + 20.0, 17.0) == 24.0 * 4 + 17.0
    assert next_pickup(17.5, None) == 17.5           # no pick-up time: collected at once


def calendar(*sets: str) -> InstallerCalendar:
    sc = load("baseline", ("partners.installers.hours=Mon-Fri 08:00-17:00", *sets)).scenario
    assert sc.partners.installers is not None
    return InstallerCalendar(sc.partners.installers, 0.0)  # t=0 is a Monday 00:00


def test_jobs_fill_working_days_in_order_after_the_notice() -> None:
    """2 teams x 1 job a day, 2 days' notice, booked on Monday 09:00: Wednesday takes two
    jobs, Thursday and Friday two each, the seventh goes to the next Monday."""
    cal = calendar("partners.installers.teams=2", "partners.installers.notice=2 d",
                   "partners.installers.jobs_per_team_day=1")
    starts = [cal.book(9.0) for _ in range(7)]
    days = [s // 24 for s in starts]
    assert all(s % 24 == 8.0 for s in starts)        # every job starts at the opening
    assert days == [3, 3, 4, 4, 7, 7, 8]             # Monday 09:00 + 2 d = Wednesday 09:00,
    # past Wednesday's 08:00 opening, so Thursday is the first day


def test_no_booking_before_the_notice_or_on_a_closed_day() -> None:
    cal = calendar("partners.installers.teams=1", "partners.installers.notice=1 d")
    start = cal.book(24.0 * 4 + 7.0)                 # Friday 07:00 + 1 d = Saturday 07:00
    assert start == pytest.approx(24.0 * 7 + 8.0)    # -> Monday 08:00
    assert cal.opening_of(5) is None and cal.opening_of(6) is None


def test_more_teams_shorten_the_wait_of_a_full_calendar() -> None:
    waits = []
    for teams in (1, 3):
        cal = calendar(f"partners.installers.teams={teams}", "partners.installers.notice=2 d")
        waits.append(max(cal.book(0.0) for _ in range(12)))
    assert waits[1] < waits[0]
