"""Probability distributions named in scenario files.

A scenario names every distribution as a mapping, for example::

    {dist: exponential, mean: 5 min}
    {dist: lognormal, median: 40 USD, sigma: 0.6}
    {dist: lognormal, mean: 5 min, cv: 0.8}
    {dist: gamma, mean: 3 d, cv: 0.5}
    {dist: erlang, mean: 1 h, k: 3}
    {dist: constant, value: 2 h}
    {dist: uniform, low: 1, high: 3}
    {dist: triangular, low: 1 d, mode: 2 d, high: 5 d}
    {dist: empirical, values: [1, 2, 5], weights: [0.5, 0.3, 0.2]}
    {dist: normal, mean: 10, sd: 2, min: 0}
    {dist: poisson, mean: 3}

or, as shorthand for a constant, a single value (``"5 min"``, ``"12 USD"``, or a bare number when
the value is a plain number). :func:`parse_distribution` checks the spec and converts units.

Location/scale parameters (mean, median, value, low, high, mode, values, sd, min, max) carry the
unit of the value kind: a duration (converted to hours), an amount of money, or a plain number.
Shape parameters (sigma, cv, k, shape, weights) are always plain numbers.

Sampling uses the buffered draws of a :class:`~sim.streams.Stream` and keeps a fixed number of
draws per sample (except gamma and poisson), with the scale parameter applied last, so changing a
scale parameter reuses the same underlying draws (common random numbers).
"""

from sim.distributions.families import (
    DIST_NAMES,
    DIST_PARAMS,
    KINDS,
    Constant,
    Distribution,
    DistributionError,
    Empirical,
    Erlang,
    Exponential,
    Gamma,
    Kind,
    Lognormal,
    Normal,
    Poisson,
    Triangular,
    Uniform,
)
from sim.distributions.parsing import parse_distribution

__all__ = [
    "DIST_NAMES", "DIST_PARAMS", "KINDS", "Constant", "Distribution", "DistributionError",
    "Empirical", "Erlang", "Exponential", "Gamma", "Kind", "Lognormal", "Normal", "Poisson",
    "Triangular", "Uniform", "parse_distribution",
]
