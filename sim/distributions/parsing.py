"""Parsing distribution specs from scenario files: check parameters, convert units."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

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
    list_text,
    number_text,
)
from sim.units import UnitError, format_duration, parse_duration, parse_money

# ---------------------------------------------------------------------------------------------
# Parsing

#: Bounds on shape parameters, beyond which a distribution cannot be sampled meaningfully
#: in a run: a lognormal with sigma above 4 (cv above 1000) holds nearly all its mean in
#: draws too rare to occur (its sample mean over a run is nowhere near the mean), and its
#: mean overflows from sigma 38; a gamma's shape 1/cv^2 outside [1e-4, 1e6] underflows
#: every draw to 0 or divides by 0; an Erlang draws ``k`` exponentials per sample.
MAX_SIGMA = 4.0
MAX_LOGNORMAL_CV = 1000.0
GAMMA_CV = (1e-3, 100.0)
GAMMA_SHAPE = (1e-4, 1e6)
MAX_ERLANG_K = 1000
#: The largest magnitude of a plain-number location or scale (durations and money have
#: their own bounds in sim.units).
MAX_NUMBER = 1e9


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
        x = self._plain(key, value)
        self.check(abs(x) <= MAX_NUMBER, f"{key} must be between -1e9 and 1e9; got {x:g}")
        return x

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
        self.shown[key] = number_text(x)
        return x

    def scale_list(self, key: str) -> list[float]:
        items = self._list(key)
        values = [self._convert(f"{key}[{i}]", v) for i, v in enumerate(items)]
        self.shown[key] = list_text(values, self.text)
        return values

    def shape_list(self, key: str) -> list[float]:
        items = self._list(key)
        values = [self._plain(f"{key}[{i}]", v) for i, v in enumerate(items)]
        self.shown[key] = list_text(values, number_text)
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
        p.check(0 < sigma <= MAX_SIGMA, f"sigma must be > 0 and at most {MAX_SIGMA:g}; "
                f"got {sigma:g}")
        return Lognormal(median, sigma)
    mean = p.scale("mean")
    cv = p.shape("cv")
    p.check(mean > 0, f"mean must be > 0; got {mean:g}")
    p.check(0 <= cv <= MAX_LOGNORMAL_CV, f"cv must be from 0 to {MAX_LOGNORMAL_CV:g}; "
            f"got {cv:g}")
    dist = Lognormal(mean / math.sqrt(1 + cv * cv), math.sqrt(math.log1p(cv * cv)))
    dist.mean = mean
    return dist


def _build_gamma(p: _Params) -> Distribution:
    mean = p.scale("mean")
    p.check(mean >= 0, f"mean must be >= 0; got {mean:g}")
    if p.either(("cv",), ("shape",)) == ("cv",):
        cv = p.shape("cv")
        lo, hi = GAMMA_CV
        p.check(lo <= cv <= hi, f"cv must be from {lo:g} to {hi:g}; got {cv:g}")
        shape = 1 / (cv * cv)
    else:
        shape = p.shape("shape")
        lo, hi = GAMMA_SHAPE
        p.check(lo <= shape <= hi, f"shape must be from {lo:g} to {hi:g}; got {shape:g}")
    dist = Gamma(shape, mean / shape)
    dist.mean = mean
    return dist


def _build_erlang(p: _Params) -> Distribution:
    mean = p.scale("mean")
    p.check(mean >= 0, f"mean must be >= 0; got {mean:g}")
    p.shape("k")
    k = p.mapping["k"]
    p.check(isinstance(k, int) and 1 <= k <= MAX_ERLANG_K,
            f"k must be an integer from 1 to {MAX_ERLANG_K}; got {k!r}")
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
    dist.shown = {key: params.shown[key] for key in order}
    return dist
