"""The distribution families: each samples from a named stream with its scale applied last."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar, Literal

from sim.streams import Stream, cumulative

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
        self.shown = {key: f"{value:g}" for key, value in params.items()}

    def sample(self, stream: Stream) -> float:
        """Draw one value using the stream's buffered draws.

        Args:
            stream: The stream to draw from (one stream per purpose, for CRN).
        """
        raise NotImplementedError

    def describe(self) -> str:
        """Return a short description such as ``"exponential(mean=5 min)"``."""
        args = ", ".join(f"{key}={value}" for key, value in self.shown.items())
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
        self.mode = mode
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
        self.shown = {"values": list_text(values, number_text)}
        if weights is not None:
            self.shown["weights"] = list_text(weights, number_text)
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


def number_text(x: float) -> str:
    """A plain number as a spec shows it (``2``, ``0.35``)."""
    return f"{x:g}"


def list_text(values: list[float], fmt: Callable[[float], str]) -> str:
    """A list of values as a spec shows it (``[1, 2, 5]``)."""
    return "[" + ", ".join(fmt(v) for v in values) + "]"
