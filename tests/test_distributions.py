"""Tests for sim.distributions: parsing scenario distribution specs and sampling them."""

import math
from typing import Any

import numpy as np
import pytest

from sim.distributions import (
    DIST_NAMES,
    Distribution,
    DistributionError,
    Exponential,
    Normal,
    parse_distribution,
)
from sim.streams import Streams

N_DRAWS = 20_000


def clipped_at_zero_mean(mu: float, sd: float) -> float:
    """E[max(X, 0)] for X ~ Normal(mu, sd): mu * Phi(mu / sd) + sd * phi(mu / sd)."""
    z = mu / sd
    cdf = 0.5 * math.erfc(-z / math.sqrt(2))
    pdf = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    return mu * cdf + sd * pdf


# (spec, kind, analytic mean) -- the analytic means are written out by hand, in hours for durations.
MEAN_CASES: list[tuple[Any, str, float]] = [
    ({"dist": "exponential", "mean": "5 min"}, "duration", 5 / 60),
    ({"dist": "lognormal", "median": "40 USD", "sigma": 0.6}, "money", 40 * math.exp(0.18)),
    ({"dist": "lognormal", "mean": "5 min", "cv": 0.8}, "duration", 5 / 60),
    ({"dist": "gamma", "mean": "3 d", "cv": 0.5}, "duration", 72.0),
    ({"dist": "gamma", "mean": "2 h", "shape": 0.5}, "duration", 2.0),
    ({"dist": "erlang", "mean": "1 h", "k": 3}, "duration", 1.0),
    ({"dist": "constant", "value": "2 h"}, "duration", 2.0),
    ({"dist": "uniform", "low": 1, "high": 3}, "number", 2.0),
    ({"dist": "triangular", "low": "1 d", "mode": "2 d", "high": "5 d"}, "duration", 64.0),
    ({"dist": "triangular", "low": 0, "mode": 0, "high": 3}, "number", 1.0),
    ({"dist": "empirical", "values": [1, 2, 5], "weights": [0.5, 0.3, 0.2]}, "number", 2.1),
    ({"dist": "empirical", "values": ["1 h", "2 h", "6 h"]}, "duration", 3.0),
    ({"dist": "normal", "mean": 10, "sd": 2, "min": 0}, "number", clipped_at_zero_mean(10, 2)),
    ({"dist": "normal", "mean": -1, "sd": 1}, "number", -1.0),
    # Durations are clipped at 0 by default.
    (
        {"dist": "normal", "mean": "10 min", "sd": "10 min"},
        "duration",
        clipped_at_zero_mean(10 / 60, 10 / 60),
    ),
    ({"dist": "poisson", "mean": 3}, "number", 3.0),
    ("5 min", "duration", 5 / 60),
    ("2.5k USD", "money", 2500.0),
    (7, "number", 7.0),
]


@pytest.mark.parametrize(("spec", "kind", "expected"), MEAN_CASES, ids=lambda c: repr(c)[:40])
def test_analytic_mean(spec: Any, kind: str, expected: float) -> None:
    assert parse_distribution(spec, kind).mean == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("spec", "kind", "expected"), MEAN_CASES, ids=lambda c: repr(c)[:40])
def test_sample_mean_within_4_standard_errors(spec: Any, kind: str, expected: float) -> None:
    dist = parse_distribution(spec, kind)
    stream = Streams(20240601).get("test")
    x = np.array([dist.sample(stream) for _ in range(N_DRAWS)])
    se = x.std(ddof=1) / math.sqrt(N_DRAWS)
    tolerance = 4 * se + 1e-12 * abs(expected)
    assert abs(x.mean() - dist.mean) <= tolerance, (
        f"{dist.describe()}: sample mean {x.mean():.6g} vs analytic {dist.mean:.6g}; "
        f"tolerance 4 SE = {tolerance:.3g}"
    )


SCALE_PAIRS: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    ({"dist": "exponential", "mean": "1 h"}, {"dist": "exponential", "mean": "2 h"}, "duration"),
    (
        {"dist": "lognormal", "median": "1 h", "sigma": 0.5},
        {"dist": "lognormal", "median": "2 h", "sigma": 0.5},
        "duration",
    ),
    (
        {"dist": "lognormal", "mean": "1 d", "cv": 0.8},
        {"dist": "lognormal", "mean": "2 d", "cv": 0.8},
        "duration",
    ),
    (
        {"dist": "gamma", "mean": "1 h", "cv": 0.5},
        {"dist": "gamma", "mean": "2 h", "cv": 0.5},
        "duration",
    ),
    (
        {"dist": "erlang", "mean": "1 h", "k": 3},
        {"dist": "erlang", "mean": "2 h", "k": 3},
        "duration",
    ),
    ({"dist": "uniform", "low": 1, "high": 3}, {"dist": "uniform", "low": 2, "high": 6}, "number"),
    (
        {"dist": "triangular", "low": "1 d", "mode": "2 d", "high": "5 d"},
        {"dist": "triangular", "low": "2 d", "mode": "4 d", "high": "10 d"},
        "duration",
    ),
    (
        {"dist": "normal", "mean": "1 h", "sd": "30 min"},
        {"dist": "normal", "mean": "2 h", "sd": "1 h"},
        "duration",
    ),
    (
        {"dist": "empirical", "values": ["1 h", "3 h"], "weights": [1, 2]},
        {"dist": "empirical", "values": ["2 h", "6 h"], "weights": [1, 2]},
        "duration",
    ),
]


def test_crn_exponential_doubles_exactly() -> None:
    one = parse_distribution({"dist": "exponential", "mean": "1 h"}, "duration")
    two = parse_distribution({"dist": "exponential", "mean": "2 h"}, "duration")
    s1, s2 = Streams(99).get("service"), Streams(99).get("service")
    a = [one.sample(s1) for _ in range(3000)]
    b = [two.sample(s2) for _ in range(3000)]
    assert b == [2 * x for x in a]


@pytest.mark.parametrize(("base", "doubled", "kind"), SCALE_PAIRS, ids=lambda c: repr(c)[:30])
def test_crn_scale_parameter_reuses_draws(base: Any, doubled: Any, kind: str) -> None:
    one, two = parse_distribution(base, kind), parse_distribution(doubled, kind)
    s1, s2 = Streams(5).get("crn"), Streams(5).get("crn")
    a = [one.sample(s1) for _ in range(2000)]
    b = [two.sample(s2) for _ in range(2000)]
    assert b == [2 * x for x in a]


def test_constant_draws_nothing() -> None:
    stream = Streams(1).get("x")
    dist = parse_distribution({"dist": "constant", "value": "2 h"}, "duration")
    assert [dist.sample(stream) for _ in range(5)] == [2.0] * 5
    assert stream.random() == Streams(1).get("x").random()


def test_poisson_gives_integer_counts() -> None:
    dist = parse_distribution({"dist": "poisson", "mean": 2.5}, "number")
    stream = Streams(3).get("p")
    values = [dist.sample(stream) for _ in range(200)]
    assert all(isinstance(v, int) and v >= 0 for v in values)


def test_normal_clipping() -> None:
    stream = Streams(4).get("n")
    dur = parse_distribution({"dist": "normal", "mean": "1 min", "sd": "5 min"}, "duration")
    assert min(dur.sample(stream) for _ in range(2000)) == 0.0  # clipped, not resampled
    num = parse_distribution({"dist": "normal", "mean": 0, "sd": 1, "max": 0.5}, "number")
    values = [num.sample(stream) for _ in range(2000)]
    assert max(values) == 0.5
    assert min(values) < 0
    assert Normal(0.0, 1.0).mean == 0.0


def test_empirical_returns_given_values_with_zero_weight_skipped() -> None:
    dist = parse_distribution(
        {"dist": "empirical", "values": [1, 2, 3], "weights": [1, 0, 1]}, "number"
    )
    stream = Streams(6).get("e")
    assert {dist.sample(stream) for _ in range(1000)} == {1.0, 3.0}


@pytest.mark.parametrize(
    ("spec", "kind", "text"),
    [
        ({"dist": "exponential", "mean": "5 min"}, "duration", "exponential(mean=5 min)"),
        (
            {"dist": "lognormal", "median": "40 USD", "sigma": 0.6},
            "money",
            "lognormal(median=40 USD, sigma=0.6)",
        ),
        ({"dist": "gamma", "mean": "3 d", "cv": 0.5}, "duration", "gamma(mean=3 d, cv=0.5)"),
        ("2 h", "duration", "constant(value=2 h)"),
        ({"dist": "uniform", "low": 1, "high": 3}, "number", "uniform(low=1, high=3)"),
        (
            {"dist": "empirical", "values": [1, 2, 5], "weights": [0.5, 0.3, 0.2]},
            "number",
            "empirical(values=[1, 2, 5], weights=[0.5, 0.3, 0.2])",
        ),
        (
            {"dist": "normal", "mean": "10 min", "sd": "2 min"},
            "duration",
            "normal(mean=10 min, sd=2 min, min=0 min)",
        ),
        ({"dist": "erlang", "mean": "1 h", "k": 3}, "duration", "erlang(mean=1 h, k=3)"),
    ],
)
def test_describe(spec: Any, kind: str, text: str) -> None:
    assert parse_distribution(spec, kind).describe() == text


def test_describe_direct_construction() -> None:
    assert Exponential(2.0).describe() == "exponential(mean=2)"
    assert "exponential(mean=2)" in repr(Exponential(2.0))


def test_spec_is_kept_as_copy() -> None:
    raw = {"dist": "empirical", "values": ["1 h", "2 h"], "weights": [1, 3]}
    dist = parse_distribution(raw, "duration")
    raw["values"].append("3 h")
    assert dist.spec == {"dist": "empirical", "values": ["1 h", "2 h"], "weights": [1, 3]}
    assert parse_distribution("5 min", "duration").spec == {"dist": "constant", "value": "5 min"}


def test_money_uses_scenario_currency() -> None:
    dist = parse_distribution({"dist": "constant", "value": "12 EUR"}, "money", currency="EUR")
    assert dist.mean == 12.0
    assert dist.describe() == "constant(value=12 EUR)"
    assert parse_distribution("$3", "money").mean == 3.0


def test_dist_name_case_insensitive_and_names_tuple() -> None:
    assert parse_distribution({"dist": "Exponential", "mean": 2}, "number").mean == 2.0
    assert set(DIST_NAMES) == {
        "constant", "empirical", "erlang", "exponential", "gamma",
        "lognormal", "normal", "poisson", "triangular", "uniform",
    }  # fmt: skip
    assert isinstance(DIST_NAMES, tuple)


def test_base_class_sample_not_implemented() -> None:
    with pytest.raises(NotImplementedError):
        Distribution(1.0, {}).sample(Streams(1).get("x"))


def test_invalid_kind() -> None:
    with pytest.raises(ValueError, match="kind must be one of duration, money, number"):
        parse_distribution("5 min", "time")  # type: ignore[arg-type]


def test_error_is_value_error() -> None:
    assert issubclass(DistributionError, ValueError)


ALL_NAMES = "constant, empirical, erlang, exponential, gamma, lognormal, normal, poisson"
DURATION_HINT = "(units: s, min, h, d, w)"

ERROR_CASES: list[tuple[Any, str, list[str]]] = [
    # shape of the spec
    (
        [1, 2],
        "number",
        ["expected a mapping such as {dist: exponential, mean: 5 min}", "got [1, 2]"],
    ),
    (None, "number", ["expected a mapping", "got None"]),
    (True, "number", ["expected a mapping", "got True"]),
    ({}, "number", ["missing 'dist'", ALL_NAMES]),
    ({"mean": 1}, "number", ["missing 'dist'", ALL_NAMES]),
    ({"dist": "expo", "mean": 1}, "number", ["unknown dist 'expo'", ALL_NAMES]),
    ({"dist": 3}, "number", ["unknown dist 3", ALL_NAMES]),
    # unknown / missing parameters
    (
        {"dist": "exponential", "mean": 1, "scale": 2},
        "number",
        ["exponential: unknown parameter 'scale'", "allowed parameters: mean"],
    ),
    ({"dist": "exponential"}, "number", ["missing parameter 'mean'", "allowed parameters: mean"]),
    (
        {"dist": "uniform", "low": 1},
        "number",
        ["uniform: missing parameter 'high'", "allowed parameters: low, high"],
    ),
    (
        {"dist": "normal", "mean": 1},
        "number",
        ["normal: missing parameter 'sd'", "allowed parameters: mean, sd, min, max"],
    ),
    (
        {"dist": "lognormal", "mean": 1},
        "number",
        ["lognormal: missing parameter 'cv'", "allowed parameters: median, sigma, mean, cv"],
    ),
    (
        {"dist": "lognormal", "mean": 1, "sigma": 0.5},
        "number",
        ["give either median and sigma or mean and cv", "got mean, sigma"],
    ),
    ({"dist": "lognormal"}, "number", ["give either median and sigma or mean and cv"]),
    ({"dist": "gamma", "mean": 1}, "number", ["gamma: give either cv or shape", "got mean"]),
    ({"dist": "gamma", "mean": 1, "cv": 1, "shape": 1}, "number", ["give either cv or shape"]),
    (
        {"dist": "triangular", "low": 1, "high": 2},
        "number",
        ["missing parameter 'mode'", "allowed parameters: low, mode, high"],
    ),
    ({"dist": "erlang", "mean": 1}, "number", ["missing parameter 'k'", "mean, k"]),
    ({"dist": "empirical"}, "number", ["missing parameter 'values'", "values, weights"]),
    ({"dist": "constant"}, "number", ["missing parameter 'value'", "allowed parameters: value"]),
    # units
    ({"dist": "exponential", "mean": 5}, "duration", ["parameter 'mean'", DURATION_HINT, "got 5"]),
    ({"dist": "exponential", "mean": "5"}, "duration", ["parameter 'mean'", DURATION_HINT]),
    ({"dist": "exponential", "mean": "5 parsecs"}, "duration", ["unknown duration unit"]),
    ("5", "duration", ["constant: parameter 'value'", DURATION_HINT]),
    (5, "duration", ["constant: parameter 'value'", DURATION_HINT]),
    ({"dist": "exponential", "mean": "-5 min"}, "duration", ["must not be negative"]),
    ({"dist": "exponential", "mean": "nan min"}, "duration", ["finite"]),
    ({"dist": "uniform", "low": "1 h", "high": 3}, "duration", ["parameter 'high'", DURATION_HINT]),
    (
        {"dist": "empirical", "values": ["1 h", 2]},
        "duration",
        ["parameter 'values[1]'", DURATION_HINT],
    ),
    ({"dist": "normal", "mean": "1 h", "sd": 0.5}, "duration", ["parameter 'sd'", DURATION_HINT]),
    (
        {"dist": "lognormal", "median": 40, "sigma": 0.6},
        "money",
        ["parameter 'median'", 'such as "12.50 USD"'],
    ),
    ({"dist": "constant", "value": "12 EUR"}, "money", ["does not match the scenario currency"]),
    ({"dist": "exponential", "mean": "5 min"}, "number", ["mean must be a plain number"]),
    ("5", "number", ["value must be a plain number (int or float)", "got '5'"]),
    ({"dist": "exponential", "mean": True}, "number", ["mean must be a plain number"]),
    (
        {"dist": "lognormal", "median": "1 h", "sigma": "0.5"},
        "duration",
        ["sigma must be a plain number"],
    ),
    # values out of range
    ({"dist": "exponential", "mean": -1}, "number", ["mean must be >= 0", "got -1"]),
    ({"dist": "exponential", "mean": math.nan}, "number", ["mean must be a finite number"]),
    ({"dist": "constant", "value": math.inf}, "number", ["value must be a finite number"]),
    ({"dist": "constant", "value": 10**400}, "number", ["value must be a finite number"]),
    ({"dist": "lognormal", "median": 1, "sigma": 0}, "number", ["sigma must be > 0"]),
    ({"dist": "lognormal", "median": 1, "sigma": -1}, "number", ["sigma must be > 0"]),
    ({"dist": "lognormal", "median": 0, "sigma": 1}, "number", ["median must be > 0"]),
    ({"dist": "lognormal", "mean": 1, "cv": -0.1}, "number", ["cv must be from 0 to 1000"]),
    ({"dist": "lognormal", "mean": -1, "cv": 0.5}, "number", ["mean must be > 0"]),
    ({"dist": "gamma", "mean": 1, "cv": -0.5}, "number", ["cv must be from 0.001 to 100"]),
    ({"dist": "gamma", "mean": 1, "cv": 0}, "number", ["cv must be from 0.001 to 100"]),
    ({"dist": "gamma", "mean": 1, "shape": 0}, "number", ["shape must be from 0.0001 to 1e+06"]),
    ({"dist": "gamma", "mean": -1, "cv": 1}, "number", ["mean must be >= 0"]),
    ({"dist": "erlang", "mean": 1, "k": 2.5}, "number", ["k must be an integer from 1", "got 2.5"]),
    ({"dist": "erlang", "mean": 1, "k": 0}, "number", ["k must be an integer from 1 to 1000"]),
    # bounds past which a run cannot sample them (issue 18)
    ({"dist": "erlang", "mean": 1, "k": 10**9}, "number", ["from 1 to 1000", "got 1000000000"]),
    ({"dist": "lognormal", "median": 1, "sigma": 38}, "number", ["at most 4", "got 38"]),
    ({"dist": "lognormal", "mean": 1, "cv": 1e200}, "number", ["cv must be from 0 to 1000"]),
    ({"dist": "gamma", "mean": 1, "cv": 1e-200}, "number", ["cv must be from 0.001 to 100"]),
    ({"dist": "gamma", "mean": 1, "cv": 1e3}, "number", ["cv must be from 0.001 to 100"]),
    ({"dist": "gamma", "mean": 1, "shape": 1e7}, "number", ["shape must be from 0.0001"]),
    ({"dist": "uniform", "low": -1e308, "high": 1e308}, "number", ["between -1e9 and 1e9"]),
    ({"dist": "exponential", "mean": "1e300 h"}, "duration", ["duration is too large"]),
    ({"dist": "constant", "value": "9999999999999999 USD"}, "money", ["amount is too large"]),
    ({"dist": "erlang", "mean": -1, "k": 2}, "number", ["mean must be >= 0"]),
    ({"dist": "uniform", "low": 3, "high": 1}, "number", ["low must be <= high", "low=3, high=1"]),
    ({"dist": "triangular", "low": 1, "mode": 5, "high": 3}, "number", ["low <= mode <= high"]),
    ({"dist": "triangular", "low": 2, "mode": 1, "high": 3}, "number", ["low <= mode <= high"]),
    ({"dist": "normal", "mean": 1, "sd": 0}, "number", ["sd must be > 0"]),
    ({"dist": "normal", "mean": 1, "sd": 1, "min": 3, "max": 2}, "number", ["min must be <= max"]),
    ({"dist": "empirical", "values": []}, "number", ["values must not be empty"]),
    ({"dist": "empirical", "values": 3}, "number", ["values must be a list"]),
    (
        {"dist": "empirical", "values": [1, 2], "weights": [1]},
        "number",
        ["weights must have one entry per value (2)", "got 1"],
    ),
    ({"dist": "empirical", "values": [1, 2], "weights": [0, 0]}, "number", ["must not sum to 0"]),
    (
        {"dist": "empirical", "values": [1, 2], "weights": [1, -1]},
        "number",
        ["weights must be >= 0"],
    ),
    (
        {"dist": "empirical", "values": [1, 2], "weights": [1, math.inf]},
        "number",
        ["weights[1] must be a finite number"],
    ),
    (
        {"dist": "empirical", "values": [1, 2], "weights": []},
        "number",
        ["weights must not be empty"],
    ),
    ({"dist": "poisson", "mean": -1}, "number", ["mean must be >= 0"]),
    ({"dist": "poisson", "mean": "3 h"}, "duration", ["only allowed for plain numbers"]),
]


@pytest.mark.parametrize(("spec", "kind", "fragments"), ERROR_CASES, ids=lambda c: repr(c)[:40])
def test_errors(spec: Any, kind: str, fragments: list[str]) -> None:
    with pytest.raises(DistributionError) as info:
        parse_distribution(spec, kind)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
