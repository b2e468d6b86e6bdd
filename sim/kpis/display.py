"""How a KPI's numbers are written for people: compact numbers (``1.10M``, ``12.3%``), the
unit and the scenario currency in headings, intervals and paired differences, and the
matching Excel number formats.

The terminal tables of ``compare`` and ``sweep`` and the ``--xlsx`` workbooks read this
module, so a heading says the same everywhere: the registry's label with its unit, money in
the scenario's currency (``"Revenue (EUR)"``, ``"Cart abandonment (%)"``, ``"DSO (days)"``).
Numbers keep three significant digits and never an exponent (``7.57k``, ``1.10M``,
``0.003``); shares are percent and their half-widths and differences percentage points.

>>> from sim.kpis.registry import describe
>>> heading(describe("revenue"), "EUR"), compact(1_102_437.0), compact(-16907.4)
('Revenue (EUR)', '1.10M', '-16.9k')
>>> interval(describe("cart_abandonment_rate"), 0.867, 0.443, 1.291)
'86.7% ±42.4'
>>> interval(describe("order_accuracy"), 0.913, 0.85, 0.951)
'91.3% (85.0–95.1)'
>>> difference(describe("revenue"), -1008.0, -1500.0, -500.0)
'Δ -1.01k*'
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from sim.kpis.spec import Kpi, Unit

#: the suffixes of thousands, millions, billions and trillions
_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))

#: a unit's words in a heading where the registry's suffix leaves them out
_HEADING_UNIT = {Unit.SHARE: "%"}


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def compact(x: float | None, signed: bool = False) -> str:
    """``x`` with three significant digits and a k/M/B/T suffix from a thousand on; below a
    thousand at most three decimals; never an exponent; ``"n/a"`` for a missing value.

    >>> [compact(v) for v in (0, 2.213, 14.737, 456.2, 9999.6, 999_960, 0.000012)]
    ['0', '2.21', '14.7', '456', '10.0k', '1.00M', '0.000']
    >>> compact(756.0, signed=True), compact(float("inf"))
    ('+756', 'inf')
    """
    if _missing(x):
        return "n/a"
    assert x is not None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    sign = "+" if signed and x > 0 else ("-" if x < 0 else "")
    a = abs(x)
    for scale, suffix in _SCALES:
        if a >= scale * 0.9995:  # 999,600 is 1.00M, not 1000k
            return sign + _three(a / scale) + suffix
    if a == 0:
        return "0"
    decimals = min(3, max(0, 2 - math.floor(math.log10(a))))
    return sign + f"{a:.{decimals}f}"


def _three(v: float) -> str:
    """``v`` in [1, 1000) with three significant digits."""
    return f"{v:.2f}" if v < 9.995 else f"{v:.1f}" if v < 99.95 else f"{v:.0f}"


def value(spec: Kpi, x: float | None, signed: bool = False) -> str:
    """One value: a share in percent with one decimal, a score with one, others compact."""
    if _missing(x):
        return "n/a"
    assert x is not None
    if spec.unit is Unit.SHARE:
        return f"{x * 100:+.1f}%" if signed else f"{x * 100:.1f}%"
    if spec.unit is Unit.SCORE:
        return f"{x:+.1f}" if signed else f"{x:.1f}"
    return compact(x, signed)


def _spread(spec: Kpi, x: float) -> str:
    """A half-width or a bound without the share's % sign (points)."""
    return f"{x * 100:.1f}" if spec.unit is Unit.SHARE else \
        f"{x:.1f}" if spec.unit is Unit.SCORE else compact(x)


def symmetric(mean: float, low: float, high: float) -> bool:
    """Whether an interval is centred on its mean (a t interval), up to rounding."""
    return abs((high - mean) - (mean - low)) <= 1e-9 * max(1.0, abs(mean)) + 0.01 * (high - low)


def interval(spec: Kpi, mean: float | None, low: float | None = None,
             high: float | None = None) -> str:
    """A mean with its interval: ``"86.7% ±42.4"`` (symmetric: the half-width, shares in
    points) or ``"91.3% (85.0–95.1)"`` (a bounded share's asymmetric interval: its ends);
    the mean alone when there is no interval, ``"n/a"`` without a mean."""
    text = value(spec, mean)
    if _missing(mean) or _missing(low) or _missing(high):
        return text
    assert mean is not None and low is not None and high is not None
    if symmetric(mean, low, high):
        half = (high - low) / 2
        return text if half == 0 else f"{text} ±{_spread(spec, half)}"
    return f"{text} ({_spread(spec, low)}–{_spread(spec, high)})"


def clear(low: float | None, high: float | None) -> bool:
    """Whether a difference's interval excludes zero."""
    return not (_missing(low) or _missing(high)) and not (low <= 0 <= high)  # type: ignore[operator]


def difference(spec: Kpi, d: float | None, low: float | None, high: float | None) -> str:
    """A paired difference: ``"Δ +1.2 pts"``, ``"Δ -1.01k*"`` (``*``: its interval excludes
    zero); empty without a difference or an interval."""
    if _missing(d) or _missing(low) or _missing(high):
        return ""
    assert d is not None
    mark = "*" if clear(low, high) else ""
    if spec.unit is Unit.SHARE:
        return f"Δ {d * 100:+.1f} pts{mark}"
    return f"Δ {value(spec, d, signed=True)}{mark}"


def unit_words(spec: Kpi, currency: str) -> str:
    """The unit in words for a heading or a column: the currency for money, ``%`` for a
    share, the registry's suffix otherwise (may be empty: a count, a per-day rate whose
    label says it)."""
    if spec.unit is Unit.MONEY:
        return currency
    return _HEADING_UNIT.get(spec.unit, spec.unit.suffix)


def heading(spec: Kpi, currency: str) -> str:
    """The registry's label with its unit: ``"Revenue (EUR)"``, ``"DSO (days)"``."""
    words = unit_words(spec, currency)
    said = words and re.search(rf"(?<!\w){re.escape(words)}(?!\w)", spec.label, re.IGNORECASE)
    return f"{spec.label} ({words})" if words and not said else spec.label


def excel_format(spec: Kpi, currency: str, signed: bool = False) -> str:
    """The Excel number format of a KPI's values (``signed``: of its differences)."""
    d = spec.unit.decimals if spec.decimals is None else spec.decimals
    frac = "." + "0" * d if d else ""
    if spec.unit is Unit.SHARE:
        base = f"0{frac}%"
    elif spec.unit is Unit.MONEY:
        base = f'#,##0{frac} "{currency}"'
    else:
        base = f"#,##0{frac}"
    return f"+{base};-{base};{base}" if signed else base


def registry_order(keys: Iterable[str]) -> list[str]:
    """``keys`` in the order of the registry (the lead-to-cash order of the docs), a
    family's children together in their own order; unknown keys last, sorted."""
    from sim.kpis.registry import KPIS
    from sim.kpis.spec import Family

    def rank(key: str) -> tuple[int, str]:
        parent = key.partition(".")[0]
        for i, entry in enumerate(KPIS):
            if entry.key == key or (isinstance(entry, Family) and
                                    entry.match(parent) is not None and "." in key):
                return i, ""
        return len(KPIS), key

    listed = list(dict.fromkeys(keys))
    return sorted(listed, key=lambda k: (*rank(k), listed.index(k)))
