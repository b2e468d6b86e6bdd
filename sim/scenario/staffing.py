"""Staffing policies of a team, a staffed channel or the warehouse (the ``staffing:`` block).

A station's ``staff`` (the warehouse's ``pickers``) is its opening headcount. Its policy
decides what happens next:

- ``fixed`` (the default): the headcount never changes;
- ``occupancy``: every ``period`` the headcount is sized from the work the station was
  offered, so that its clerks would be busy ``target`` of their open hours;
- ``service_level``: every ``period`` the headcount is the smallest that answers ``target``
  of the contacts within ``answer_within`` at the busiest clock hour of the period (Erlang C).

A planned headcount takes effect ``lag`` after the end of the period it was sized from (the
time to hire or release people; one period if not given) and stays within ``[min, max]``.
The mechanism is :mod:`sim.staffing`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.scenario.fields import Duration, Number, PlanInterval, PosInt, Strict

#: a planning period of one week (hours)
WEEK = 7 * 24.0


class FixedStaffing(Strict):
    """The headcount stays the opening ``staff`` for the whole run."""

    policy: Literal["fixed"] = Field(description="fixed: the headcount stays the opening staff")


class _PlannedStaffing(Strict):
    period: PlanInterval = Field(WEEK, description="planning period (default 7 d)")
    lag: Duration | None = Field(
        None, ge=0, description="hiring/release lag from the end of a period to the new "
                                "headcount (default: one period)")
    min: PosInt = Field(1, description="fewest people on the roster")
    max: PosInt | None = Field(None, description="most people on the roster (none: no cap)")

    @model_validator(mode="after")
    def _bounds(self) -> _PlannedStaffing:
        if self.max is not None and self.max < self.min:
            raise ValueError(f"max ({self.max}) must be >= min ({self.min})")
        return self

    @property
    def delay(self) -> float:
        """Hours from the end of a planning period to the new headcount."""
        return self.period if self.lag is None else self.lag

    def clamp(self, n: int) -> int:
        """``n`` within ``[min, max]``."""
        n = max(n, self.min)
        return n if self.max is None else min(n, self.max)


class OccupancyStaffing(_PlannedStaffing):
    """Headcount = work hours offered in the period / (open hours x ``target``), rounded up."""

    policy: Literal["occupancy"] = Field(description=(
        "occupancy: size the headcount so clerks are busy target of their open hours"))
    target: Annotated[float, Number] = Field(
        0.8, gt=0.0, le=1.0, description="planned occupancy: busy share of paid open hours")


class ServiceLevelStaffing(_PlannedStaffing):
    """Headcount: the fewest agents that answer ``target`` of the contacts within
    ``answer_within`` at the offered load of the period's busiest clock hour (Erlang C)."""

    policy: Literal["service_level"] = Field(
        description="service_level: the fewest agents that answer target of contacts within "
                    "answer_within (Erlang C)")
    target: Annotated[float, Number] = Field(
        0.8, gt=0.0, lt=1.0, description="share of contacts answered within answer_within")
    answer_within: Duration = Field(20 / 3600, ge=0, description="answer-time target "
                                                                 "(default 20 s)")


Staffing = Annotated[FixedStaffing | OccupancyStaffing | ServiceLevelStaffing,
                     Field(discriminator="policy")]
PlannedStaffing = OccupancyStaffing | ServiceLevelStaffing
STAFFING_MODELS: dict[str, type[Strict]] = {"fixed": FixedStaffing,
                                            "occupancy": OccupancyStaffing,
                                            "service_level": ServiceLevelStaffing}


def fixed() -> FixedStaffing:
    """The default policy (a default factory)."""
    return FixedStaffing(policy="fixed")
