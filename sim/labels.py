"""Readable names of runs: what made a run, as a label people read and a folder name.

A run's **label** is built from what made it: the scenario name, then every ``--set``
override as typed (whitespace around ``=`` removed) and the horizon when ``--days`` differs
from the scenario's own, joined by ``", "``::

    >>> run_label("baseline", ["channels.call_centre.staff = 9"], None)
    'baseline, channels.call_centre.staff=9'
    >>> run_label("baseline", [], 60, default_days=90)
    'baseline, 60 d'

The label is what titles, tables and ``analysis.load`` rows show; it never holds a hash.
Its **folder name** (:func:`folder_name`) keeps only letters, digits and ``_ . + -`` (the
characters :func:`sim.outfile.safe_name` allows), so it is safe whatever was typed:
``baseline+channels.call_centre.staff-9``, ``baseline+60d``. A name longer than
:data:`MAX_FOLDER` characters is cut and given a short suffix from the label's SHA-256;
:func:`unique_folder` adds the same suffix when a folder of that name already holds runs
of another label (``1 h`` and ``1h`` give the same folder name).

The manifest records both (:func:`made_by`): ``label`` and ``made_by`` (scenario,
overrides as a dict, days, seed, replications, the command), so every results folder says
what made it.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

#: longest folder name made from a label (a longer one is cut and given a suffix)
MAX_FOLDER = 80
#: what a label's pieces are joined with, in the label and in the folder name
SEPARATOR, FOLDER_SEPARATOR = ", ", "+"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.+-]+")
_UNIT_SPACE = re.compile(r"(?<=\d) +(?=[A-Za-z])")


def assignment(text: str) -> tuple[str, str]:
    """``"a.b = 9"`` as ``("a.b", "9")`` (the value as typed, stripped)."""
    path, _, value = text.partition("=")
    return path.strip(), value.strip()


def overrides_dict(overrides: Sequence[str]) -> dict[str, Any]:
    """``--set`` assignments as a dict of path to value, the value read as YAML (as the
    scenario loader reads it: ``9`` is a number, ``'1 h'`` a string); a later assignment of
    the same path wins, as it does in the scenario."""
    out: dict[str, Any] = {}
    for text in overrides:
        path, value = assignment(text)
        try:
            parsed = yaml.safe_load(value) if value else ""
        except yaml.YAMLError:
            parsed = value
        # a date, a mapping or a list stays as typed: the manifest and --json hold plain values
        plain = isinstance(parsed, str | int | float | bool) or parsed is None
        out[path] = parsed if plain else value
    return out


def _days(days: float) -> str:
    return f"{days:g} d"


def run_label(scenario: str, overrides: Sequence[str] = (), days: float | None = None, *,
              default_days: float | None = None) -> str:
    """The readable label of a run (see the module docstring).

    Args:
        scenario: The scenario's name.
        overrides: ``--set`` assignments, in the order given.
        days: ``--days``, or None.
        default_days: The scenario's own horizon in days; ``days`` equal to it is left out.
    """
    parts = [scenario] + ["=".join(assignment(o)) for o in overrides]
    if days is not None and days != default_days:
        parts.append(_days(days))
    return SEPARATOR.join(parts)


def compare_label(names: Sequence[str], ladder: str | None, overrides: Sequence[str] = (),
                  days: float | None = None) -> str:
    """The label of a comparison: the ladder's name (or the scenarios joined by "vs"), then
    the overrides and days every scenario ran with."""
    head = ladder if ladder else " vs ".join(names)
    return run_label(head, overrides, days)


def _suffix(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()[:6]


def folder_name(label: str, prefix: str = "") -> str:
    """A safe folder name for ``label``: pieces joined by ``+``, ``=`` as ``-``, a space
    after a number dropped, other spaces as ``_``, other characters dropped; cut to
    :data:`MAX_FOLDER` characters with a short suffix.

    >>> folder_name("baseline, links.stock_sync.interval='1 h', 60 d")
    'baseline+links.stock_sync.interval-1h+60d'
    >>> folder_name("baseline vs phase-4-integrated", "compare-")
    'compare-baseline_vs_phase-4-integrated'
    """
    pieces = []
    for piece in label.split(SEPARATOR):
        piece = _UNIT_SPACE.sub("", piece.replace("=", "-").replace("/", ".")).replace(" ", "_")
        slug = _UNSAFE.sub("", piece)
        pieces.append(slug.strip(".-") or "x")
    name = prefix + FOLDER_SEPARATOR.join(pieces)
    name = name.lstrip(".-") or "run"
    if len(name) > MAX_FOLDER:
        name = f"{name[: MAX_FOLDER - 7].rstrip('.+-')}-{_suffix(label)}"
    return name


def folder_label(folder: Path) -> str | None:
    """The label recorded by a run under ``folder`` (``<root>/<name>``), None if none is."""
    for manifest in sorted(Path(folder).glob("*/manifest.json")):
        try:
            found = json.loads(manifest.read_text(encoding="utf-8")).get("label")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(found, str):
            return found
    return None


def unique_folder(root: Path, label: str, prefix: str = "") -> str:
    """:func:`folder_name` of ``label``, with a short suffix if ``root`` already has a folder
    of that name holding runs of another label (runs of the same label replace each other,
    as re-running the same scenario and seed always did)."""
    name = folder_name(label, prefix)
    found = folder_label(Path(root) / name)
    if found is None or found == label:
        return name
    return f"{name[: MAX_FOLDER - 7].rstrip('.+-')}-{_suffix(label)}"


def command_line(command: str, refs: Sequence[str], overrides: Sequence[str] = (), *,
                 days: float | None = None, seed: int | None = None,
                 replications: int | None = None, options: Sequence[str] = ()) -> str:
    """The ``omnisim`` command that makes the same results (shell-quoted)."""
    words = ["omnisim", command, *refs, *options]
    if days is not None:
        words += ["--days", f"{days:g}"]
    if seed is not None:
        words += ["--seed", str(seed)]
    if replications is not None:
        words += ["-r", str(replications)]
    for o in overrides:
        words += ["--set", "=".join(assignment(o))]
    return shlex.join(words)


def made_by(scenario: str | list[str], overrides: Sequence[str], days: float | None,
            seed: int, replications: int, command: str) -> dict[str, Any]:
    """The manifest's ``made_by`` record."""
    return {"scenario": scenario, "overrides": overrides_dict(overrides), "days": days,
            "seed": seed, "replications": replications, "command": command}
