"""Loading a scenario: shipped names, files, ``extends:`` chains, overrides and validation."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.distributions import DistributionError
from sim.scenario.errors import ScenarioError, did_you_mean, explain
from sim.scenario.files import read_yaml
from sim.scenario.model import Scenario
from sim.scenario.overrides import apply_override
from sim.units import UnitError

#: The shipped scenarios: package data inside the ``sim`` package (``sim/scenarios/``), so an
#: installed wheel finds them too.
SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
MAX_EXTENDS_DEPTH = 16


def deep_merge(base: dict[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated by ``child``: mappings merge key by key, anything else replaces.

    A value of ``null`` in the child removes the key (so a child can drop an optional block).
    A mapping that names a different ``mode`` (a link), ``dist`` (a distribution) or
    ``policy`` (a staffing policy) than the one it replaces is taken whole, since its fields
    belong to the new kind.
    """
    out = copy.deepcopy(base)
    for key, value in child.items():
        old = out.get(key)
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(old, dict) and not any(
                tag in value and value[tag] != old.get(tag) for tag in ("mode", "dist", "policy")):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def is_file(path: Path) -> bool:
    """``path.is_file()``, False where the path cannot name a file at all (a symlink loop, a
    name longer than the file system allows, a NUL byte)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def shipped_paths() -> dict[str, Path]:
    """The shipped scenarios by name (``total-commerce/phase-4-integrated``) and, for those
    in a ladder folder, by their file name alone (``phase-4-integrated``; the first in name
    order where two folders hold the same file name)."""
    out: dict[str, Path] = {}
    files = sorted(SCENARIO_DIR.rglob("*.yaml"))
    for p in files:
        out[p.relative_to(SCENARIO_DIR).with_suffix("").as_posix()] = p
    for p in files:
        out.setdefault(p.stem, p)
    return out


def resolve_path(ref: str | Path) -> Path:
    """A path, or the name of a shipped scenario (``baseline``, ``total-commerce/phase-4-...``).

    A name is looked up among the shipped names exactly, never as a pattern, so ``*`` or
    ``**`` is no scenario at all rather than the first one a glob finds.
    """
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or is_file(p):
        return p
    return shipped(str(ref))


def shipped(name: str) -> Path:
    """The shipped scenario called ``name`` (``baseline``, ``total-commerce/phase-4-...``),
    looked up exactly (:func:`shipped_paths`)."""
    found = shipped_paths().get(name)
    if found is not None:
        return found
    known = [n for n, _, _ in list_shipped()]
    names = ", ".join(known) or "none"
    shown = name if name.isprintable() else repr(name)
    shown = shown if len(shown) <= 200 else f"{shown[:200]}..."
    hint = did_you_mean(name, shipped_paths()) if len(name) <= 200 else ""
    raise ScenarioError(f"{shown}: no such file or shipped scenario{hint} (shipped: {names})")


def load_raw(path: Path, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a scenario file and everything it ``extends:``, merged, not yet validated."""
    try:
        path = path.resolve()
    except (OSError, RuntimeError, ValueError):  # RuntimeError: a symlink loop (Python 3.11)
        raise ScenarioError(f"{path}: cannot resolve the path (a symlink loop?)") from None
    if path in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, path))
        raise ScenarioError(f"{_chain[0]}: extends: cycle {cycle}")
    if len(_chain) >= MAX_EXTENDS_DEPTH:
        raise ScenarioError(f"{_chain[0]}: extends: chain deeper than {MAX_EXTENDS_DEPTH} files")
    data = read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: field extends: expected a file path or scenario name")
    return deep_merge(load_raw(_parent_file(path, parent), (*_chain, path)), data)


def _parent_file(path: Path, parent: str) -> Path:
    """The file ``extends: parent`` of ``path`` names: a path relative to ``path``'s folder,
    or a name without extension: ``parent.yaml`` (``.yml``) in that folder, else a shipped
    scenario. Never a file of the working directory (``extends: base`` found ./base there)."""
    parent_path = Path(parent) if Path(parent).is_absolute() else path.parent / parent
    if is_file(parent_path):
        return parent_path
    if parent.endswith((".yaml", ".yml")):
        raise ScenarioError(f"{path}: field extends: no file {parent_path} "
                            "(paths are relative to the extending file)")
    for sibling in (parent_path.with_name(parent_path.name + ".yaml"),
                    parent_path.with_name(parent_path.name + ".yml")):
        if is_file(sibling):
            return sibling
    try:
        return shipped(parent)
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: field extends: {exc}") from None


def validate(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate merged scenario data; raise ScenarioError with a one-line message."""
    currency = data.get("currency", "USD") if isinstance(data, dict) else "USD"
    if not isinstance(currency, str):
        currency = "USD"
    try:
        return Scenario.model_validate(data, context={"currency": currency})
    except ValidationError as exc:
        raise explain(exc, source, Scenario) from None
    except (UnitError, DistributionError) as exc:  # raised outside pydantic's wrapping
        raise ScenarioError(f"{source}: {exc}") from None
    except RecursionError:
        raise ScenarioError(f"{source}: structure nested too deeply") from None


class Loaded:
    """A validated scenario with the merged raw data it came from (units as written)."""

    def __init__(self, scenario: Scenario, raw: dict[str, Any], path: Path | None):
        self.scenario = scenario
        self.raw = raw
        self.path = path

    def resolved_yaml(self) -> str:
        """The resolved scenario (extends and overrides applied) as YAML, units kept."""
        return yaml.safe_dump(self.raw, sort_keys=False, allow_unicode=True, width=100)


def load(ref: str | Path, overrides: Sequence[str] = ()) -> Loaded:
    """Load a scenario file or shipped name, apply ``extends:`` and ``--set`` overrides."""
    path = resolve_path(ref)
    try:
        raw = load_raw(path)
    except RecursionError:
        raise ScenarioError(f"{path}: structure nested too deeply") from None
    for assignment in overrides:
        raw = apply_override(raw, assignment)
    return Loaded(validate(raw, str(path)), raw, path)


def load_scenario(ref: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Shortcut: the validated :class:`Scenario` only."""
    return load(ref, overrides).scenario


def list_shipped() -> list[tuple[str, Path, str]]:
    """Shipped scenarios as (name, path, first line of description)."""
    out = []
    for p in sorted(SCENARIO_DIR.rglob("*.yaml")):
        rel = p.relative_to(SCENARIO_DIR).with_suffix("")
        name = str(rel) if rel.parent != Path(".") else rel.name
        desc = ""
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
            lines = str(data.get("description", "")).strip().splitlines()
            desc = lines[0] if lines else ""
        except (yaml.YAMLError, OSError, AttributeError):
            desc = "(unreadable)"
        out.append((name, p, desc))
    return out
