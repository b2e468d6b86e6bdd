"""``--set path.to.field=value``: overrides applied to a scenario's merged data."""

from __future__ import annotations

import re
from typing import Any

import yaml

from sim.scenario.errors import ScenarioError, did_you_mean, set_path
from sim.scenario.files import UniqueKeyLoader

_SET_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])*"
                     r"(?:\.[A-Za-z0-9_-]+(?:\[\d+\])*)*)=(.*)$", re.S)
_SET_PART = re.compile(r"([A-Za-z0-9_-]+)|\[(\d+)\]")


def apply_override(data: dict[str, Any], assignment: str) -> dict[str, Any]:
    """Apply one ``path.to.field=value`` override; the value is parsed as a YAML scalar/list.

    ``[i]`` indexes a list (``calendar.hourly_profile[8]=1.4``, ``calendar.peaks[0].factor=2``).
    The path must already exist in the scenario (or name a field of its schema, which the
    validation then type-checks), so typos are caught; nothing is ever evaluated as code.
    """
    m = _SET_RE.match(assignment.strip())
    if not m:
        raise ScenarioError(f"--set {assignment!r}: expected path.to.field=value "
                            "(list items as path.to.list[0]=value)")
    dotted, text = m.groups()
    try:
        value = yaml.load(text, Loader=UniqueKeyLoader) if text.strip() else ""  # noqa: S506
    except yaml.YAMLError:
        value = text
    parts: list[str | int] = [int(i) if i else k for k, i in _SET_PART.findall(dotted)]
    node: Any = data
    for n, key in enumerate(parts):
        where = set_path(parts[: n + 1])
        last = n == len(parts) - 1
        if isinstance(key, int):
            if not isinstance(node, list):
                raise ScenarioError(f"--set {dotted}: '{set_path(parts[:n])}' is not a list")
            if key >= len(node):
                raise ScenarioError(f"--set {dotted}: index {key} is out of range "
                                    f"('{set_path(parts[:n])}' has {len(node)} items)")
        elif not isinstance(node, dict):
            raise ScenarioError(f"--set {dotted}: '{set_path(parts[:n])}' is not a mapping")
        elif not last and key not in node:
            have = ", ".join(map(str, node)) or "nothing"
            hint = did_you_mean(str(key), map(str, node))
            raise ScenarioError(f"--set {dotted}: no field '{where}' in the scenario{hint} "
                                f"(has: {have})")
        if last:
            old = node[key] if isinstance(key, int) else node.get(key)
            if isinstance(old, dict) and not isinstance(value, dict):
                raise ScenarioError(f"--set {dotted}: is a block; set one of its fields "
                                    f"({', '.join(map(str, old))})")
            node[key] = value
        else:
            node = node[key]
    return data


