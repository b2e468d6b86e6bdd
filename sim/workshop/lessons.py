"""Lesson texts per ladder step, taken from ``sim/scenarios/README.md`` (package data).

The README describes every step in one paragraph that starts with its name in bold, under a
heading that names the ladder's folder::

    ## Total Commerce ladder (`total-commerce/`)
    **Phase 1 - siloed.** Every business unit runs ... *Look for:* the most keying errors ...

The paragraph's number ``N`` matches the file ``<folder>/<prefix>-N-*.yaml``. Example
companies are introduced as ``**`storage-maker.yaml`**`` under a heading naming
``examples/``. The text before ``*Look for:*`` says what changed; the rest what to watch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sim.scenario import SCENARIO_DIR

_HEADING = re.compile(r"^##\s+.*\(`(?P<folder>[\w.-]+)/`\)\s*$")
_STEP = re.compile(r"^\*\*(?P<title>(?:Phase|Stage)\s+(?P<n>\d+)\s*-\s*[^*]*?)\.?\*\*"
                   r"\s*(?P<rest>.*)$")
_EXAMPLE = re.compile(r"^\*\*`(?P<file>[\w.-]+)\.yaml`\*\*\s*-?\s*(?P<rest>.*)$")
_LOOK_FOR = re.compile(r"\*Look for:\*\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Lesson:
    """What a ladder step changes and what the class should look for."""

    ref: str  # shipped scenario name, e.g. ``total-commerce/phase-1-siloed``
    title: str
    changed: str
    look_for: str


def _paragraphs(text: str) -> list[tuple[str | None, str]]:
    """(folder of the current heading, paragraph) for every paragraph of the README."""
    folder: str | None = None
    out: list[tuple[str | None, str]] = []
    block: list[str] = []

    def flush() -> None:
        if block:
            out.append((folder, " ".join(s.strip() for s in block)))
            block.clear()

    for line in text.splitlines():
        if line.startswith("#"):
            flush()
            m = _HEADING.match(line)
            folder = m["folder"] if m else None
            continue
        if not line.strip():
            flush()
            continue
        block.append(line)
    flush()
    return out


def _step_file(folder: Path, n: str) -> str | None:
    hits = sorted(p for p in folder.glob(f"*-{n}-*.yaml"))
    return hits[0].stem if hits else None


def parse(text: str, scenario_dir: Path = SCENARIO_DIR) -> dict[str, Lesson]:
    """Lessons by shipped scenario name, from the README's text."""
    lessons: dict[str, Lesson] = {}
    for folder, para in _paragraphs(text):
        if folder is None:
            continue
        m = _STEP.match(para)
        if m:
            stem = _step_file(scenario_dir / folder, m["n"])
            title, rest = m["title"].strip(), m["rest"]
        else:
            m = _EXAMPLE.match(para)
            if not m:
                continue
            stem = m["file"] if (scenario_dir / folder / f"{m['file']}.yaml").is_file() \
                else None
            title, rest = m["file"], m["rest"]
        if stem is None:
            continue
        parts = _LOOK_FOR.split(rest, maxsplit=1)
        changed = parts[0].strip()
        look = parts[1].strip() if len(parts) > 1 else ""
        ref = f"{folder}/{stem}"
        lessons[ref] = Lesson(ref, title, changed, look)
    return lessons


def load_lessons(readme: Path | None = None) -> dict[str, Lesson]:
    """Lessons from the shipped README (``SCENARIO_DIR / "README.md"``), or ``readme``;
    empty if the file is missing."""
    path = readme or SCENARIO_DIR / "README.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    return parse(text, path.parent)
