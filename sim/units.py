"""Units of simulated time and money, and parsers for the strings used in scenario files.

The simulated time unit is the HOUR (a float). Money is a float in the scenario's currency.
Scenario files must always spell out a unit ("5 min", "24 h", "12.50 USD"); bare numbers are
rejected so that a value can never be silently read in the wrong unit.
"""

from __future__ import annotations

import math
import re
from typing import Any

MINUTE: float = 1.0 / 60.0
HOUR: float = 1.0
DAY: float = 24.0
WEEK: float = 168.0

_SECOND: float = 1.0 / 3600.0

#: The longest duration a file may give: a million days (about 2,700 years), far beyond any
#: horizon, so a "never" can still be written ("1000 d") while sums and products of
#: durations stay finite.
MAX_DURATION_HOURS: float = 1e6 * DAY
#: The largest amount a file may give, in its currency: 1e15 (a quadrillion) leaves the
#: totals of any run finite, where a 400-digit amount would be infinite.
MAX_MONEY: float = 1e15

#: Accepted duration unit spellings (lower case) and their length in hours.
DURATION_UNITS: dict[str, float] = {
    "s": _SECOND,
    "sec": _SECOND,
    "secs": _SECOND,
    "second": _SECOND,
    "seconds": _SECOND,
    "min": MINUTE,
    "mins": MINUTE,
    "minute": MINUTE,
    "minutes": MINUTE,
    "h": HOUR,
    "hr": HOUR,
    "hrs": HOUR,
    "hour": HOUR,
    "hours": HOUR,
    "d": DAY,
    "day": DAY,
    "days": DAY,
    "w": WEEK,
    "week": WEEK,
    "weeks": WEEK,
}

_DURATION_HINT = (
    'expected a duration with a unit such as "5 min", "24 h" or "30 d" (units: s, min, h, d, w)'
)

_DURATION_RE = re.compile(
    r"""^\s*
    (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf|infinity))
    \s*(?P<unit>[a-z]+)\s*$""",
    re.IGNORECASE | re.VERBOSE,
)

_MONEY_RE = re.compile(
    r"""^\s*
    (?P<dollar>\$)?\s*
    (?P<number>\d+(?:\.\d*)?|\.\d+)
    (?P<suffix>(?-i:[kKM]))?
    \s*(?P<code>[a-z]{3})?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)

_MONEY_SUFFIX: dict[str, float] = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6}


class UnitError(ValueError):
    """A duration or money value is missing its unit, has an unknown unit, or is invalid."""


def parse_duration(value: Any) -> float:
    """Parse a duration string such as ``"5 min"`` into hours.

    Args:
        value: A string ``"<number> <unit>"`` (the space is optional). Units, case-insensitive:
            s/sec/second(s), min/minute(s), h/hr/hour(s), d/day(s), w/week(s).

    Returns:
        The duration in hours.

    Raises:
        UnitError: If ``value`` is a bare number (int, float or a string without a unit), has an
            unknown unit, or is negative, NaN or infinite.
    """
    if not isinstance(value, str):
        raise UnitError(f"{_DURATION_HINT}; got {value!r}")
    match = _DURATION_RE.match(value)
    if match is None:
        raise UnitError(f"{_DURATION_HINT}; got {value!r}")
    unit = match["unit"].lower()
    if unit not in DURATION_UNITS:
        raise UnitError(f"unknown duration unit {match['unit']!r}; {_DURATION_HINT}; got {value!r}")
    number = float(match["number"])
    if not math.isfinite(number):
        raise UnitError(f"duration must be a finite number; {_DURATION_HINT}; got {value!r}")
    if number < 0:
        raise UnitError(f"duration must not be negative; {_DURATION_HINT}; got {value!r}")
    hours = number * DURATION_UNITS[unit]
    if not hours <= MAX_DURATION_HOURS:
        raise UnitError(f"duration is too large (at most 1000000 d); got {_shown(value)}")
    return hours


def _shown(value: str) -> str:
    """A value as a message quotes it, cut short if long (a 400-digit amount)."""
    return repr(value) if len(value) <= 40 else f"{value[:20]!r}... ({len(value)} characters)"


def _money_hint(currency: str) -> str:
    hint = f'expected an amount with a currency such as "12.50 {currency}"'
    if currency == "USD":
        hint += ' or "$12.50"'
    return hint + " (digits with an optional decimal point and k/M suffix, no sign or commas)"


def parse_money(value: Any, currency: str = "USD") -> float:
    """Parse a money string such as ``"12.50 USD"`` into a float amount.

    Accepted forms: ``"12.5 USD"``, ``"12.5USD"``, ``"2.5k USD"`` (= 2500), ``"1.2M USD"``
    (= 1.2e6) and, only when ``currency`` is USD, ``"$12.5"`` / ``"$2.5k"``. The currency code
    is compared case-insensitively with ``currency``. The number is plain digits with an optional
    decimal point: no sign, no thousands separators, no exponent.

    Args:
        value: The string to parse.
        currency: The scenario's currency code (e.g. ``"USD"``, ``"EUR"``).

    Returns:
        The amount in ``currency``.

    Raises:
        UnitError: If ``value`` is a bare number, is negative, is malformed, or names a currency
            other than ``currency``.
    """
    currency = currency.upper()
    hint = _money_hint(currency)
    if not isinstance(value, str):
        raise UnitError(f"{hint}; got {value!r}")
    if value.strip().startswith("-"):
        raise UnitError(f"negative amounts are not allowed; {hint}; got {value!r}")
    match = _MONEY_RE.match(value)
    if match is None or bool(match["dollar"]) == bool(match["code"]):
        raise UnitError(f"{hint}; got {value!r}")
    if match["dollar"] and currency != "USD":
        raise UnitError(
            f"'$' amounts are only allowed when the currency is USD, not {currency}; {hint}; "
            f"got {value!r}"
        )
    if match["code"] and match["code"].upper() != currency:
        raise UnitError(
            f"currency {match['code'].upper()} does not match the scenario currency {currency}; "
            f"{hint}; got {value!r}"
        )
    amount = float(match["number"]) * _MONEY_SUFFIX[match["suffix"] or ""]
    if not amount <= MAX_MONEY:  # also inf: float() of 400 digits
        raise UnitError(f"amount is too large (at most 1e15 {currency}); got {_shown(value)}")
    return amount


def _short_number(x: float) -> str:
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def format_duration(hours: float) -> str:
    """Format a duration in hours as a short human string for tables.

    Picks seconds below one minute, minutes below one hour, hours below one day and days
    otherwise, with at most two decimals: ``"45 s"``, ``"5 min"``, ``"2.5 h"``, ``"3 d"``.
    The result can be read back with :func:`parse_duration` (up to the rounding).

    Args:
        hours: A duration in hours (negative values are formatted with a minus sign).

    Returns:
        The formatted duration.
    """
    if not math.isfinite(hours):
        return f"{hours} h"
    if hours == 0:
        return "0 min"
    size = abs(hours)
    if size < MINUTE:
        return f"{_short_number(hours / _SECOND)} s"
    if size < HOUR:
        return f"{_short_number(hours / MINUTE)} min"
    if size < DAY:
        return f"{_short_number(hours)} h"
    return f"{_short_number(hours / DAY)} d"
