"""Tests for sim.units: duration and money parsing and formatting."""

import math

import pytest

from sim.units import (
    DAY,
    HOUR,
    MINUTE,
    WEEK,
    UnitError,
    format_duration,
    parse_duration,
    parse_money,
)

DURATION_UNITS_HINT = "(units: s, min, h, d, w)"


def test_constants() -> None:
    assert MINUTE == 1 / 60
    assert HOUR == 1.0
    assert DAY == 24.0
    assert WEEK == 168.0


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("5 min", 5 / 60),
        ("24 h", 24.0),
        ("30 d", 720.0),
        ("75 s", 75 / 3600),
        ("1.5h", 1.5),
        ("0 min", 0.0),
        ("2 w", 336.0),
        ("1 week", 168.0),
        ("3 weeks", 504.0),
        ("2 days", 48.0),
        ("1 day", 24.0),
        ("90 sec", 90 / 3600),
        ("1 second", 1 / 3600),
        ("10 seconds", 10 / 3600),
        ("1 minute", 1 / 60),
        ("45 minutes", 45 / 60),
        ("2 hr", 2.0),
        ("1 hour", 1.0),
        ("8 hours", 8.0),
        ("  3 H ", 3.0),
        ("2 Days", 48.0),
        ("5MIN", 5 / 60),
        (".5 h", 0.5),
        ("1e2 min", 100 / 60),
    ],
)
def test_parse_duration_exact(text: str, hours: float) -> None:
    assert parse_duration(text) == hours


def test_five_minutes_rounded() -> None:
    assert round(parse_duration("5 min"), 6) == 0.083333


@pytest.mark.parametrize("value", [5, 5.0, "5", " 12.5 ", True, None, [5, "min"]])
def test_parse_duration_rejects_bare_numbers(value: object) -> None:
    with pytest.raises(UnitError) as info:
        parse_duration(value)
    message = str(info.value)
    assert DURATION_UNITS_HINT in message
    assert f"got {value!r}" in message


def test_parse_duration_message_exact() -> None:
    with pytest.raises(UnitError) as info:
        parse_duration("5")
    assert str(info.value) == (
        'expected a duration with a unit such as "5 min", "24 h" or "30 d" '
        "(units: s, min, h, d, w); got '5'"
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("-5 min", "must not be negative"),
        ("nan h", "finite"),
        ("inf d", "finite"),
        ("-inf h", "finite"),
        ("1e400 h", "finite"),
        ("5 years", "unknown duration unit 'years'"),
        ("5 ms", "unknown duration unit 'ms'"),
        ("min", "expected a duration"),
        ("", "expected a duration"),
        ("5 min 3 s", "expected a duration"),
        ("1,5 h", "expected a duration"),
    ],
)
def test_parse_duration_invalid(value: str, problem: str) -> None:
    with pytest.raises(UnitError) as info:
        parse_duration(value)
    message = str(info.value)
    assert problem in message
    assert DURATION_UNITS_HINT in message
    assert repr(value) in message


def test_unit_error_is_value_error() -> None:
    assert issubclass(UnitError, ValueError)


@pytest.mark.parametrize(
    ("text", "currency", "amount"),
    [
        ("12.5 USD", "USD", 12.5),
        ("12.5USD", "USD", 12.5),
        ("12.50 usd", "USD", 12.5),
        ("40 EUR", "EUR", 40.0),
        ("40 eur", "eur", 40.0),
        ("$12.5", "USD", 12.5),
        ("$ 7", "USD", 7.0),
        ("2.5k USD", "USD", 2500.0),
        ("2.5K USD", "USD", 2500.0),
        ("1.2M USD", "USD", 1.2e6),
        ("$3k", "USD", 3000.0),
        ("0 USD", "USD", 0.0),
        ("12 KES", "KES", 12.0),
        (".5 USD", "USD", 0.5),
    ],
)
def test_parse_money(text: str, currency: str, amount: float) -> None:
    assert parse_money(text, currency) == amount


@pytest.mark.parametrize("value", [12.5, 12, "12.5", None, True])
def test_parse_money_rejects_bare_numbers(value: object) -> None:
    with pytest.raises(UnitError) as info:
        parse_money(value)
    message = str(info.value)
    assert message.startswith('expected an amount with a currency such as "12.50 USD"')
    assert message.endswith(f"got {value!r}")


def test_parse_money_hint_uses_scenario_currency() -> None:
    with pytest.raises(UnitError, match=r'such as "12\.50 EUR"'):
        parse_money(3.0, currency="EUR")


@pytest.mark.parametrize(
    ("value", "currency", "problem"),
    [
        ("-5 USD", "USD", "negative amounts are not allowed"),
        ("1,200 USD", "USD", "expected an amount"),
        ("12 EUR", "USD", "currency EUR does not match the scenario currency USD"),
        ("$12", "EUR", "'$' amounts are only allowed when the currency is USD"),
        ("$12 USD", "USD", "expected an amount"),
        ("12 dollars", "USD", "expected an amount"),
        ("1e3 USD", "USD", "expected an amount"),
        ("2.5m USD", "USD", "expected an amount"),
        ("USD", "USD", "expected an amount"),
        ("nan USD", "USD", "expected an amount"),
    ],
)
def test_parse_money_invalid(value: str, currency: str, problem: str) -> None:
    with pytest.raises(UnitError) as info:
        parse_money(value, currency)
    message = str(info.value)
    assert problem in message
    assert f"12.50 {currency}" in message  # names the allowed form
    assert repr(value) in message


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (5 / 60, "5 min"),
        (2.5, "2.5 h"),
        (72.0, "3 d"),
        (75 / 3600, "1.25 min"),
        (30 / 3600, "30 s"),
        (0.0, "0 min"),
        (1.0, "1 h"),
        (36.0, "1.5 d"),
        (-2.0, "-2 h"),
    ],
)
def test_format_duration(hours: float, text: str) -> None:
    assert format_duration(hours) == text


@pytest.mark.parametrize("hours", [5 / 60, 2.5, 72.0, 30 / 3600, 1.0, 36.0])
def test_format_duration_round_trips(hours: float) -> None:
    assert math.isclose(parse_duration(format_duration(hours)), hours, rel_tol=1e-9)
