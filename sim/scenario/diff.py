"""What one scenario changes against another: the resolved, validated models compared as
flat dotted paths (``links.stock_sync.interval``), with the unit each value is in.

Both sides are compared after ``extends:`` and validation, so a field one file inherits
unchanged is no difference, and a field set to the value it already had is none either.
Durations are in hours and amounts in the scenario's currency (the units of the model);
distributions and opening hours are shown as written, their units inside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

from pydantic import BaseModel, BeforeValidator
from pydantic.fields import FieldInfo

from sim.scenario.model import Scenario

#: what a side shows for a field the other side has and it has not (a link in another mode,
#: a system the other scenario does not run)
ABSENT = "(none)"


@dataclass(frozen=True)
class Change:
    """One field whose value differs: its dotted path, both values as text, and the unit."""

    field: str
    a: str
    b: str
    unit: str


def _validators(tp: Any) -> set[str]:
    """The names of the ``BeforeValidator`` functions anywhere in an annotation."""
    out: set[str] = set()
    for meta in getattr(tp, "__metadata__", ()):
        if isinstance(meta, BeforeValidator):
            out.add(getattr(meta.func, "__name__", ""))
    for arg in get_args(tp):
        out |= _validators(arg)
    return out


def _unit(info: FieldInfo, currency: str) -> str:
    """``h`` for a duration field, the currency for an amount, else ``""``."""
    names = _validators(info.annotation)
    for meta in info.metadata:
        if isinstance(meta, BeforeValidator):
            names.add(getattr(meta.func, "__name__", ""))
    if "_duration" in names:
        return "h"
    if "_money" in names:
        return currency
    return ""


def _text(value: Any) -> str:
    """A leaf as text: numbers in short form, a distribution or opening hours as written."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, (int, str)):
        return str(value)
    text = repr(value)
    if text.endswith("')") and "('" in text:  # OpeningHours('Mon-Fri 08:00-17:00')
        return text.split("('", 1)[1][:-2]
    if text.startswith("<") and text.endswith(">") and " " in text:  # <Gamma gamma(...)>
        return text[1:-1].split(" ", 1)[1]
    return text


def flatten(sc: Scenario) -> dict[str, tuple[str, str]]:
    """Every leaf of a validated scenario as ``{dotted path: (value as text, unit)}``."""
    out: dict[str, tuple[str, str]] = {}

    def walk(node: Any, path: str, unit: str) -> None:
        if isinstance(node, BaseModel):
            for name, info in type(node).model_fields.items():
                walk(getattr(node, name), f"{path}.{name}" if path else name,
                     _unit(info, sc.currency))
        elif isinstance(node, dict):
            if not node:
                out[path] = ("{}", "")
            for key, value in node.items():
                walk(value, f"{path}.{key}", unit)
        elif isinstance(node, (list, tuple)):
            if not node:
                out[path] = ("[]", "")
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]", unit)
        else:
            numeric = isinstance(node, (int, float)) and not isinstance(node, bool)
            out[path] = (_text(node), unit if numeric else "")

    walk(sc, "", "")
    return out


def diff(a: Scenario, b: Scenario) -> list[Change]:
    """The fields whose values differ between ``a`` and ``b``, in ``a``'s order (a field only
    ``b`` has comes after the field it follows in ``b``); a field one side lacks shows
    :data:`ABSENT` there."""
    fa, fb = flatten(a), flatten(b)
    index = {p: i for i, p in enumerate(fa)}
    keys: dict[str, tuple[int, int]] = {p: (i, 0) for p, i in index.items()}
    anchor = -1
    for j, p in enumerate(fb):
        if p in index:
            anchor = index[p]
        else:
            keys[p] = (anchor, j + 1)
    out: list[Change] = []
    for path in sorted(keys, key=keys.__getitem__):
        block = _missing_block(path, fb if path in fa else fa)
        if block is not None:  # a segment, channel or system only one side has: one row
            if not out or out[-1].field != block:
                n = sum(1 for p in (fa if path in fa else fb) if _under(p, block))
                have = f"({n} fields)"
                out.append(Change(block, have, ABSENT, "") if path in fa
                           else Change(block, ABSENT, have, ""))
            continue
        va, ua = fa.get(path, (ABSENT, ""))
        vb, ub = fb.get(path, (ABSENT, ""))
        if va != vb:
            out.append(Change(path, va, vb, ua or ub))
    return out


def _under(path: str, block: str) -> bool:
    return path.startswith(block) and path[len(block):len(block) + 1] in (".", "[")


def _missing_block(path: str, other: dict[str, tuple[str, str]]) -> str | None:
    """The shortest block above ``path`` (at least two levels down, as
    ``segments.enterprise``) of which ``other`` has no field at all, or None."""
    parts = path.split(".")
    for n in range(2, len(parts)):
        block = ".".join(parts[:n])
        if not any(_under(p, block) or p == block for p in other):
            return block
    return None
