"""Reading scenario YAML safely: plain data only, no duplicate keys, bounded size and aliases."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from sim.scenario.errors import ScenarioError

MAX_FILE_BYTES = 2_000_000
MAX_ALIASES = 64

#: libyaml's safe loader when available (ten times faster), else PyYAML's; both build only
#: plain data (no object construction from tags)
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UniqueKeyLoader(_SAFE_LOADER):  # type: ignore[valid-type, misc]
    """The safe loader, refusing a key written twice in one mapping (plain YAML keeps the
    last one silently, so a typo'd copy of a block would quietly win)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # '<<: *base' merges; keys written after it override on purpose
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                continue  # an unhashable key: the base class reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (each key may appear once in a mapping)",
                    key_node.start_mark)
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A standard tag with content it cannot hold (``!!int abc``, ``!!float x``), a date
        that does not exist (``2026-02-30``) or an integer longer than Python converts
        (4,300 digits) is a YAML error at the value's line, not an exception from deep
        inside the constructor."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as exc:
            problem = str(exc).split(";")[0]
            raise yaml.constructor.ConstructorError(
                None, None, f"bad value for {node.tag.rsplit(':', 1)[-1]}: {problem}",
                node.start_mark) from None


#: parsed files by (path, mtime, size): a sweep or compare loads the same files many times
_PARSED: dict[tuple[str, int, int], dict[str, Any]] = {}


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    except (OSError, RuntimeError, ValueError):  # RuntimeError: a symlink loop (Python 3.11)
        key = None
    if key is not None and key in _PARSED:
        return copy.deepcopy(_PARSED[key])
    data = _parse_yaml(path)
    if key is not None:
        if len(_PARSED) > 64:
            _PARSED.clear()
        _PARSED[key] = copy.deepcopy(data)
    return data


def _parse_yaml(path: Path) -> dict[str, Any]:
    try:  # read at most one byte past the limit: a 1 GB file is refused without reading it
        if not path.is_file():
            raise ScenarioError(f"{path}: " + ("is not a file" if path.exists()
                                               else "no such scenario file"))
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except (OSError, ValueError) as exc:  # a symlink loop, a name too long, a NUL byte
        raise ScenarioError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})"
                            ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(f"{path}: file is larger than {MAX_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        aliases = sum(isinstance(ev, yaml.AliasEvent) for ev in yaml.parse(text, _SAFE_LOADER))
        if aliases > MAX_ALIASES:
            raise ScenarioError(f"{path}: {aliases} YAML aliases; at most {MAX_ALIASES} allowed "
                                "(aliases can expand exponentially)")
        data = yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - safe (no tags)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(f"{path}: malformed YAML{where}: {problem}") from None
    if data is None:
        raise ScenarioError(f"{path}: empty file (a scenario is a YAML mapping)")
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: top level must be a mapping of fields, "
                            f"got {type(data).__name__}")
    return data


