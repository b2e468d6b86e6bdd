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

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal, NoReturn

from sim.streams import Stream, cumulative
from sim.units import UnitError, format_duration, parse_duration, parse_money

Kind = Literal["duration", "money", "number"]

KINDS: tuple[str, ...] = ("duration", "money", "number")

#: Allowed parameters of each distribution, in the order shown in messages.
DIST_PARAMS: dict[str, tuple[str, ...]] = {
    "constant": ("value",),
    "empirical": ("values", "weights"),
    "erlang": ("mean", "k"),
    "exponential": ("mean",),
    "gamma": ("mean", "cv", "shape"),
    "lognormal": ("median", "sigma", "mean", "cv"),
    "normal": ("mean", "sd", "min", "max"),
    "poisson": ("mean",),
    "triangular": ("low", "mode", "high"),
    "uniform": ("low", "high"),
}

#: The distribution names accepted in scenario files.
DIST_NAMES: tuple[str, ...] = tuple(DIST_PARAMS)


class DistributionError(ValueError):
    """A distribution spec is invalid (the message does not include the file or field path)."""


class Distribution:
    """A distribution ready to sample.

    Attributes:
        name: The distribution name as written in scenario files.
        mean: The analytic mean (in hours for durations).
        spec: The spec mapping it was parsed from (a shorthand scalar ``x`` is stored as
            ``{"dist": "constant", "value": x}``); empty when constructed directly.
    """

    name: ClassVar[str] = "distribution"

    def __init__(self, mean: float, params: dict[str, float]) -> None:
        self.mean = float(mean)
        self.spec: dict[str, Any] = {}
        self._shown = {key: f"{value:g}" for key, value in params.items()}

    def sample(self, stream: Stream) -> float:
        """Draw one value using the stream's buffered draws.

        Args:
            stream: The stream to draw from (one stream per purpose, for CRN).
        """
        raise NotImplementedError

    def describe(self) -> str:
        """Return a short description such as ``"exponential(mean=5 min)"``."""
        args = ", ".join(f"{key}={value}" for key, value in self._shown.items())
        return f"{self.name}({args})"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


class Constant(Distribution):
    """Always the same value; draws nothing from the stream."""

    name = "constant"

    def __init__(self, value: float) -> None:
        super().__init__(value, {"value": value})
        self.value = value

    def sample(self, stream: Stream) -> float:
        return self.value


class Exponential(Distribution):
    """Exponential with the given mean: ``mean * E`` with E a buffered standard exponential."""

    name = "exponential"

    def __init__(self, mean: float) -> None:
        super().__init__(mean, {"mean": mean})

    def sample(self, stream: Stream) -> float:
        return stream.exponential(self.mean)


class Lognormal(Distribution):
    """Lognormal ``median * exp(sigma * Z)`` with Z a buffered standard normal."""

    name = "lognormal"

    def __init__(self, median: float, sigma: float) -> None:
        super().__init__(median * math.exp(sigma * sigma / 2), {"median": median, "sigma": sigma})
        self.median = median
        self.sigma = sigma

    def sample(self, stream: Stream) -> float:
        return self.median * math.exp(self.sigma * stream.normal())


class Gamma(Distribution):
    """Gamma with the given shape and scale (mean ``shape * scale``), via ``stream.gamma``."""

    name = "gamma"

    def __init__(self, shape: float, scale: float) -> None:
        super().__init__(shape * scale, {"shape": shape, "scale": scale})
        self.shape = shape
        self.scale = scale

    def sample(self, stream: Stream) -> float:
        return stream.gamma(self.shape, self.scale)


class Erlang(Distribution):
    """Erlang: the sum of ``k`` exponentials, each with mean ``mean / k`` (k buffered draws)."""

    name = "erlang"

    def __init__(self, mean: float, k: int) -> None:
        super().__init__(mean, {"mean": mean, "k": k})
        self.k = k
        self._phase_mean = mean / k

    def sample(self, stream: Stream) -> float:
        total = 0.0
        for _ in range(self.k):
            total += stream.exponential(1.0)
        return self._phase_mean * total


class Uniform(Distribution):
    """Uniform on ``[low, high)`` from one uniform draw."""

    name = "uniform"

    def __init__(self, low: float, high: float) -> None:
        super().__init__((low + high) / 2, {"low": low, "high": high})
        self.low = low
        self.width = high - low

    def sample(self, stream: Stream) -> float:
        return self.low + self.width * stream.random()


class Triangular(Distribution):
    """Triangular on ``[low, high]`` with the given mode, by inverse CDF of one uniform draw."""

    name = "triangular"

    def __init__(self, low: float, mode: float, high: float) -> None:
        super().__init__((low + mode + high) / 3, {"low": low, "mode": mode, "high": high})
        self.low = low
        self.high = high
        width = high - low
        self._split = (mode - low) / width if width > 0 else 0.0
        self._left = width * (mode - low)
        self._right = width * (high - mode)

    def sample(self, stream: Stream) -> float:
        u = stream.random()
        if u < self._split:
            return self.low + math.sqrt(u * self._left)
        return self.high - math.sqrt((1.0 - u) * self._right)


class Empirical(Distribution):
    """One of the given values, chosen with the given weights (one uniform draw)."""

    name = "empirical"

    def __init__(self, values: list[float], weights: list[float] | None = None) -> None:
        used = [1.0] * len(values) if weights is None else weights
        mean = sum(v * w for v, w in zip(values, used, strict=True)) / sum(used)
        super().__init__(mean, {})
        self._shown = {"values": _list_text(values, _number_text)}
        if weights is not None:
            self._shown["weights"] = _list_text(weights, _number_text)
        self.values = list(values)
        self.cum_weights = cumulative(used)

    def sample(self, stream: Stream) -> float:
        return self.values[stream.choice(self.cum_weights)]


class Normal(Distribution):
    """Normal ``mu + sd * Z``, CLIPPED (not resampled) to ``[low, high]``.

    Clipping keeps exactly one draw per sample, so CRN stays aligned and a bound far in the tail
    cannot stall sampling; the price is a point mass at each bound. The analytic ``mean`` is the
    mean of the clipped distribution.
    """

    name = "normal"

    def __init__(
        self, mu: float, sd: float, low: float = -math.inf, high: float = math.inf
    ) -> None:
        params = {"mean": mu, "sd": sd}
        if low > -math.inf:
            params["min"] = low
        if high < math.inf:
            params["max"] = high
        super().__init__(_clipped_normal_mean(mu, sd, low, high), params)
        self.mu = mu
        self.sd = sd
        self.low = low
        self.high = high

    def sample(self, stream: Stream) -> float:
        x = self.mu + self.sd * stream.normal()
        if x < self.low:
            return self.low
        if x > self.high:
            return self.high
        return x


class Poisson(Distribution):
    """Poisson counts with the given mean (drawn with ``stream.generator.poisson``)."""

    name = "poisson"

    def __init__(self, mean: float) -> None:
        super().__init__(mean, {"mean": mean})

    def sample(self, stream: Stream) -> float:
        return int(stream.generator.poisson(self.mean))


def _clipped_normal_mean(mu: float, sd: float, low: float, high: float) -> float:
    """Mean of ``min(max(X, low), high)`` for X ~ Normal(mu, sd)."""

    def cdf(z: float) -> float:
        return 0.5 * math.erfc(-z / math.sqrt(2))

    def pdf(z: float) -> float:
        return math.exp(-z * z / 2) / math.sqrt(2 * math.pi) if math.isfinite(z) else 0.0

    a = (low - mu) / sd
    b = (high - mu) / sd
    mean = mu * (cdf(b) - cdf(a)) + sd * (pdf(a) - pdf(b))
    if low > -math.inf:
        mean += low * cdf(a)
    if high < math.inf:
        mean += high * (1 - cdf(b))
    return mean


# ---------------------------------------------------------------------------------------------
# Parsing


def _number_text(x: float) -> str:
    return f"{x:g}"


def _list_text(values: list[float], fmt: Callable[[float], str]) -> str:
    return "[" + ", ".join(fmt(v) for v in values) + "]"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Params:
    """Reads and checks the parameters of one spec mapping, recording how to show them."""

    def __init__(self, dist: str, mapping: dict[str, Any], kind: str, currency: str) -> None:
        self.dist = dist
        self.mapping = mapping
        self.kind = kind
        self.currency = currency
        self.allowed = DIST_PARAMS[dist]
        self.shown: dict[str, str] = {}
        for key in mapping:
            if key != "dist" and key not in self.allowed:
                self.fail(f"unknown parameter {key!r}")

    def fail(self, problem: str, allowed: bool = True) -> NoReturn:
        message = f"{self.dist}: {problem}"
        if allowed:
            message += f"; allowed parameters: {', '.join(self.allowed)}"
        raise DistributionError(message)

    def has(self, key: str) -> bool:
        return key in self.mapping

    def _get(self, key: str) -> Any:
        if key not in self.mapping:
            self.fail(f"missing parameter {key!r}")
        return self.mapping[key]

    def _plain(self, key: str, value: Any) -> float:
        if not _is_number(value):
            self.fail(f"{key} must be a plain number (int or float); got {value!r}", allowed=False)
        try:
            x = float(value)
        except OverflowError:
            x = math.inf
        if not math.isfinite(x):
            self.fail(f"{key} must be a finite number; got {value!r}", allowed=False)
        return x

    def _convert(self, key: str, value: Any) -> float:
        try:
            if self.kind == "duration":
                return parse_duration(value)
            if self.kind == "money":
                return parse_money(value, self.currency)
        except UnitError as exc:
            self.fail(f"parameter {key!r}: {exc}", allowed=False)
        return self._plain(key, value)

    def text(self, x: float) -> str:
        if self.kind == "duration":
            return format_duration(x)
        if self.kind == "money":
            return f"{x:g} {self.currency.upper()}"
        return f"{x:g}"

    def scale(self, key: str) -> float:
        """A location/scale parameter, converted according to the value kind."""
        x = self._convert(key, self._get(key))
        self.shown[key] = self.text(x)
        return x

    def shape(self, key: str) -> float:
        """A shape parameter: always a plain finite number."""
        x = self._plain(key, self._get(key))
        self.shown[key] = _number_text(x)
        return x

    def scale_list(self, key: str) -> list[float]:
        items = self._list(key)
        values = [self._convert(f"{key}[{i}]", v) for i, v in enumerate(items)]
        self.shown[key] = _list_text(values, self.text)
        return values

    def shape_list(self, key: str) -> list[float]:
        items = self._list(key)
        values = [self._plain(f"{key}[{i}]", v) for i, v in enumerate(items)]
        self.shown[key] = _list_text(values, _number_text)
        return values

    def _list(self, key: str) -> list[Any]:
        items = self._get(key)
        if not isinstance(items, list | tuple):
            self.fail(f"{key} must be a list; got {items!r}", allowed=False)
        if not items:
            self.fail(f"{key} must not be empty", allowed=False)
        return list(items)

    def check(self, ok: bool, problem: str) -> None:
        if not ok:
            self.fail(problem, allowed=False)

    def either(self, first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
        """Return whichever of two parameter groups the spec uses (exactly one must be used)."""
        uses_first = any(self.has(k) for k in first)
        uses_second = any(self.has(k) for k in second)
        if uses_first == uses_second:
            given = [k for k in self.mapping if k != "dist"]
            self.fail(
                f"give either {' and '.join(first)} or {' and '.join(second)}; "
                f"got {', '.join(given) or 'no parameters'}",
                allowed=False,
            )
        return first if uses_first else second


def _build_constant(p: _Params) -> Distribution:
    return Constant(p.scale("value"))


def _build_exponential(p: _Params) -> Distribution:
    mean = p.scale("mean")
    p.check(mean >= 0, f"mean must be >= 0; got {mean:g}")
    return Exponential(mean)


def _build_lognormal(p: _Params) -> Distribution:
    if p.either(("median", "sigma"), ("mean", "cv")) == ("median", "sigma"):
        median = p.scale("median")
        sigma = p.shape("sigma")
        p.check(median > 0, f"median must be > 0; got {median:g}")
        p.check(sigma > 0, f"sigma must be > 0; got {sigma:g}")
        return Lognormal(median, sigma)
    mean = p.scale("mean")
    cv = p.shape("cv")
    p.check(mean > 0, f"mean must be > 0; got {mean:g}")
    p.check(cv >= 0, f"cv must be >= 0; got {cv:g}")
    dist = Lognormal(mean / math.sqrt(1 + cv * cv), math.sqrt(math.log1p(cv * cv)))
    dist.mean = mean
    return dist


def _build_gamma(p: _Params) -> Distribution:
    mean = p.scale("mean")
    p.check(mean >= 0, f"mean must be >= 0; got {mean:g}")
    if p.either(("cv",), ("shape",)) == ("cv",):
        cv = p.shape("cv")
        p.check(cv > 0, f"cv must be > 0; got {cv:g}")
        shape = 1 / (cv * cv)
    else:
        shape = p.shape("shape")
        p.check(shape > 0, f"shape must be > 0; got {shape:g}")
    dist = Gamma(shape, mean / shape)
    dist.mean = mean
    return dist


def _build_erlang(p: _Params) -> Distribution:
    mean = p.scale("mean")
    p.check(mean >= 0, f"mean must be >= 0; got {mean:g}")
    p.shape("k")
    k = p.mapping["k"]
    p.check(isinstance(k, int) and k >= 1, f"k must be an integer >= 1; got {k!r}")
    return Erlang(mean, int(k))


def _build_uniform(p: _Params) -> Distribution:
    low = p.scale("low")
    high = p.scale("high")
    p.check(low <= high, f"low must be <= high; got low={low:g}, high={high:g}")
    return Uniform(low, high)


def _build_triangular(p: _Params) -> Distribution:
    low = p.scale("low")
    mode = p.scale("mode")
    high = p.scale("high")
    p.check(
        low <= mode <= high,
        f"need low <= mode <= high; got low={low:g}, mode={mode:g}, high={high:g}",
    )
    return Triangular(low, mode, high)


def _build_empirical(p: _Params) -> Distribution:
    values = p.scale_list("values")
    if not p.has("weights"):
        return Empirical(values)
    weights = p.shape_list("weights")
    p.check(
        len(weights) == len(values),
        f"weights must have one entry per value ({len(values)}); got {len(weights)}",
    )
    p.check(all(w >= 0 for w in weights), f"weights must be >= 0; got {weights}")
    p.check(sum(weights) > 0, f"weights must not sum to 0; got {weights}")
    return Empirical(values, weights)


def _build_normal(p: _Params) -> Distribution:
    mu = p.scale("mean")
    sd = p.scale("sd")
    p.check(sd > 0, f"sd must be > 0; got {sd:g}")
    if p.has("min"):
        low = p.scale("min")
    elif p.kind == "number":
        low = -math.inf
    else:  # durations and amounts cannot be negative: clip at 0 unless min is given
        low = 0.0
        p.shown["min"] = p.text(low)
    high = p.scale("max") if p.has("max") else math.inf
    p.check(low <= high, f"min must be <= max; got min={low:g}, max={high:g}")
    return Normal(mu, sd, low, high)


def _build_poisson(p: _Params) -> Distribution:
    p.check(
        p.kind == "number",
        f"gives integer counts, so it is only allowed for plain numbers, not {p.kind} values",
    )
    mean = p.scale("mean")
    p.check(mean >= 0, f"mean must be >= 0; got {mean:g}")
    return Poisson(mean)


_BUILDERS: dict[str, Callable[[_Params], Distribution]] = {
    "constant": _build_constant,
    "empirical": _build_empirical,
    "erlang": _build_erlang,
    "exponential": _build_exponential,
    "gamma": _build_gamma,
    "lognormal": _build_lognormal,
    "normal": _build_normal,
    "poisson": _build_poisson,
    "triangular": _build_triangular,
    "uniform": _build_uniform,
}

_SPEC_HINT = "a mapping such as {dist: exponential, mean: 5 min} or a constant such as '5 min'"


def parse_distribution(spec: Any, kind: Kind, currency: str = "USD") -> Distribution:
    """Check a distribution spec from a scenario file and build the distribution.

    Args:
        spec: A mapping with a ``dist`` key and that distribution's parameters, or a single value
            as shorthand for a constant (a unit string such as ``"5 min"`` / ``"12 USD"``, or a
            bare int/float when ``kind`` is ``"number"``).
        kind: What the values are: ``"duration"`` (unit strings, converted to hours),
            ``"money"`` (amounts in ``currency``) or ``"number"`` (plain int/float).
        currency: The scenario's currency code, for ``kind="money"``.

    Returns:
        The distribution, with ``spec`` set to a copy of the mapping.

    Raises:
        DistributionError: If the spec is invalid; the one-line message says what is wrong and
            what is allowed, without the file or field path (the caller adds those).
        ValueError: If ``kind`` is not one of ``KINDS``.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if isinstance(spec, Mapping):
        mapping = dict(spec)
    elif isinstance(spec, str) or _is_number(spec):
        mapping = {"dist": "constant", "value": spec}
    else:
        raise DistributionError(f"expected {_SPEC_HINT}; got {spec!r}")
    if "dist" not in mapping:
        raise DistributionError(
            f"missing 'dist' (allowed: {', '.join(DIST_NAMES)}); expected {_SPEC_HINT}"
        )
    name = mapping["dist"]
    if not isinstance(name, str) or name.lower() not in _BUILDERS:
        raise DistributionError(f"unknown dist {name!r}; allowed: {', '.join(DIST_NAMES)}")
    params = _Params(name.lower(), mapping, kind, currency)
    dist = _BUILDERS[params.dist](params)
    dist.spec = copy.deepcopy(mapping)
    order = [key for key in mapping if key in params.shown]
    order += [key for key in params.shown if key not in mapping]  # defaults, e.g. normal min
    dist._shown = {key: params.shown[key] for key in order}
    return dist
