"""The ``--kpi KEY`` option of ``compare`` and ``sweep``: which KPIs a table or JSON shows.

A KEY is a KPI of the registry (``revenue``), a family (``utilisation``, ``cost_breakdown``:
all of its children in the results) or one child (``utilisation.call_centre``). A key the
registry does not know is refused before anything runs, in one line with the nearest keys
("did you mean"); a child the registry cannot know in advance (a station of the run) is
checked against the results after the run.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from sim.cli.common import CliError


def known_keys() -> list[str]:
    """Every key the registry declares: top-level KPIs, families and declared children."""
    from sim.kpis.registry import families, kpis

    keys = [k.key for k in kpis()]
    for fam in families():
        if fam.param is None:
            keys.append(fam.key)
            keys += [f"{fam.key}.{p.key}" for p in fam.parts]
    return keys


def _hint(key: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(candidates), n=3, cutoff=0.6)
    if not close:
        return "see docs/kpis.md for the keys"
    return "did you mean " + " or ".join(repr(c) for c in close) + "?"


def check_keys(keys: Sequence[str], what: str = "--kpi", also: tuple[str, ...] = ()) -> None:
    """Refuse a key the registry does not know (``also``: prefixes of other columns a table
    holds, such as a sweep's ``wait_hours.``).

    Raises:
        CliError: ``--kpi revnue: not a KPI; did you mean 'revenue'?``
    """
    from sim.kpis.registry import lookup

    for k in keys:
        if lookup(k) is None and not k.startswith(also):
            raise CliError(f"{what} {k}: not a KPI; {_hint(k, known_keys())}")


def select(keys: Sequence[str], available: Sequence[str], what: str = "--kpi") -> list[str]:
    """The available keys that ``keys`` name, in the order asked (a family's children in
    ``available``'s order); every key of ``keys`` must name at least one.

    Raises:
        CliError: A key that names nothing in the results, with the nearest that do.
    """
    chosen: list[str] = []
    for k in keys:
        found = [a for a in available if a == k or a.startswith(k + ".")]
        if not found:
            raise CliError(f"{what} {k}: not in these results; {_hint(k, available)}")
        chosen += [f for f in found if f not in chosen]
    return chosen
