"""No ladder file types an outcome (issue 16, acceptance): a phase or stage file sets physical
things (touch times, error rates, capacities, intervals, switches), never a delay, share of
bad outcomes, lift or accuracy that the model should produce from queues and work.

Every field a ladder file sets is read from the raw YAML (before ``extends:`` is merged), so
what the baseline sets for every phase is not counted. A field whose name says it is an
outcome fails the test unless it is on ``KNOWN_OUTCOMES`` with the reason and the part of
issue 16 that will remove it; an entry no file sets any more fails too, so the list shrinks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from sim.scenario import SCENARIO_DIR

LADDERS = ("total-commerce", "omnichannel")

#: names that say "an outcome": a delay that is not a physical transport time, a share of
#: bad outcomes or of work done by itself, a lift, an accuracy, a forecast error
OUTCOME = re.compile(r"(_delay|_lift|_accuracy|forecast_error|self_service|below_margin_share"
                     r"|_bad_share|_late_share)$")

#: physical times whose names end like an outcome: the carrier's transit delays are its work
PHYSICAL = {"partners.carrier.late_delay"}

#: field (the dotted path's last two parts) -> why it is still typed and what removes it
KNOWN_OUTCOMES: dict[str, str] = {
    # crm.promotions.targeted_lift and crm.loyalty.repeat_lift are set by the baseline only
    # (every phase has them; single_customer_view switches targeting on): issue 16 (CRM
    # part) replaces them; this test covers what phase files set
}


def _leaves(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, f"{prefix}{key}.")
        if not data and prefix:
            yield prefix[:-1], data
    else:
        yield prefix[:-1], data


def _ladder_files() -> list[Path]:
    files = sorted(p for ladder in LADDERS for p in (SCENARIO_DIR / ladder).glob("*.yaml"))
    assert len(files) >= 11, files
    return files


def _set_outcomes() -> dict[str, list[str]]:
    """Outcome-named fields a ladder file sets to a value: ``last two parts`` -> files."""
    found: dict[str, list[str]] = {}
    for path in _ladder_files():
        data = yaml.safe_load(path.read_text())
        for dotted, value in _leaves(data):
            name = dotted.rsplit(".", 1)[-1]
            if value is None or dotted in PHYSICAL or not OUTCOME.search(name):
                continue
            key = ".".join(dotted.split(".")[-2:])
            found.setdefault(key, []).append(f"{path.parent.name}/{path.name}: {dotted}")
    return found


def test_no_phase_file_sets_an_outcome() -> None:
    found = _set_outcomes()
    typed = {k: v for k, v in found.items() if k not in KNOWN_OUTCOMES}
    assert not typed, ("ladder files set outcomes (replace them with the mechanism, or list "
                       f"them in KNOWN_OUTCOMES with the part that removes them): {typed}")


def test_known_outcomes_are_still_set() -> None:
    found = _set_outcomes()
    stale = sorted(k for k in KNOWN_OUTCOMES if k not in found)
    assert not stale, f"no ladder file sets these any more: take them off KNOWN_OUTCOMES: {stale}"


def test_the_check_sees_a_typed_delay() -> None:
    """The pattern catches the typed outcomes this issue removed (so the test can fail)."""
    for dotted in ("links.invoicing.extra_delay", "quoting.engineering_delay",
                   "quoting.below_margin_share", "crm.promotions.targeted_lift"):
        assert OUTCOME.search(dotted.rsplit(".", 1)[-1]), dotted
    data = {"links": {"invoicing": {"extra_delay": "1 d"}}, "quoting": {"touch_time": "1 h"}}
    names = [d for d, v in _leaves(data) if OUTCOME.search(d.rsplit(".", 1)[-1])]
    assert names == ["links.invoicing.extra_delay"]
