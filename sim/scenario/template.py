"""A commented starting scenario (``omnisim scenarios init``): a short file that ``extends``
a shipped scenario (the baseline by default) and keeps some of its segments and channels at
the sizes asked for. Everything the file does not write comes from the scenario it extends;
``omnisim scenarios show FILE`` prints the whole, resolved result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from sim.scenario.errors import ScenarioError, did_you_mean
from sim.scenario.loading import load_raw, resolve_path

#: shorthands for --segments: every segment of the parent of these kinds
GROUPS: dict[str, tuple[str, ...]] = {"consumer": ("b2c",), "b2b": ("smb", "enterprise")}


@dataclass(frozen=True)
class Template:
    """What ``init`` was asked for; an empty tuple or ``None`` keeps the parent's."""

    name: str
    extends: str = "baseline"
    segments: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    leads_per_day: float | None = None
    existing_customers: int | None = None
    days: float | None = None


def parent_choices(extends: str) -> tuple[dict[str, str], list[str]]:
    """The parent's segments (name -> kind) and channel names, for the questions."""
    raw = load_raw(resolve_path(extends))
    segments = {str(k): str((v or {}).get("kind", "")) for k, v in
                (raw.get("segments") or {}).items()}
    return segments, [str(c) for c in (raw.get("channels") or {})]


def _pick(asked: Sequence[str], known: dict[str, str]) -> list[str]:
    """Segment names from names or the shorthands of :data:`GROUPS`, in the parent's order."""
    chosen: set[str] = set()
    for word in asked:
        if word in known:
            chosen.add(word)
        elif word in GROUPS:
            hit = {n for n, kind in known.items() if kind in GROUPS[word]}
            if not hit:
                raise ScenarioError(f"--segments {word}: the parent has no segment of kind "
                                    f"{' or '.join(GROUPS[word])}")
            chosen |= hit
        else:
            raise ScenarioError(f"--segments {word}: no such segment{did_you_mean(word, known)} "
                                f"(allowed: {', '.join(dict.fromkeys([*known, *GROUPS]))})")
    return [n for n in known if n in chosen]


def _split(total: float, weights: dict[str, float]) -> dict[str, float]:
    """``total`` shared in proportion to ``weights`` (equally if they are all zero)."""
    s = sum(weights.values())
    return {k: total * (w / s if s > 0 else 1 / len(weights)) for k, w in weights.items()}


def _c(text: str, comment: str) -> str:
    """``text`` with ``# comment`` aligned at column 34 (or one space after a long text)."""
    return f"{text.ljust(33)} # {comment}"


def _header(t: Template) -> str:
    today = dt.date.today().isoformat()
    return (f"# {t.name}: a starting scenario written by 'omnisim scenarios init' on {today}.\n"
            f"# It extends '{t.extends}': every field not written here is the parent's\n"
            f"# ('omnisim scenarios show {t.extends}' prints them all). Check with\n"
            "# 'omnisim scenarios validate FILE', run with 'omnisim run FILE', and see what\n"
            f"# it changes with 'omnisim scenarios diff {t.extends} FILE'. Fields, units and\n"
            "# allowed values: docs/scenarios.md. Tag every number you set: S (a source),\n"
            "# I (inferred) or A (an assumption about the customer), as the shipped files do.\n")


def render(t: Template) -> str:
    """The commented YAML text of the starting scenario (not yet checked)."""
    raw = load_raw(resolve_path(t.extends))
    known, channels = parent_choices(t.extends)
    segments = _pick(t.segments, known) if t.segments else list(known)
    kept_channels = list(channels)
    if t.channels:
        for c in t.channels:
            if c not in channels:
                raise ScenarioError(f"--channels {c}: no such channel"
                                    f"{did_you_mean(c, channels)} (allowed: {', '.join(channels)})")
        kept_channels = [c for c in channels if c in t.channels]
    segs: dict[str, Any] = raw["segments"]
    leads = _split(t.leads_per_day, {s: float(segs[s].get("leads_per_day", 0)) for s in segments}
                   ) if t.leads_per_day is not None else None
    existing = _split(t.existing_customers, {s: float(segs[s].get("existing_customers", 0))
                                             for s in segments}) \
        if t.existing_customers is not None else None
    name = yaml.safe_dump(t.name).splitlines()[0]
    out = [_header(t), _c("schema_version: 1", "the file format; always 1"),
           _c(f"extends: {t.extends}", "the scenario this one starts from (shipped name or path)"),
           _c(f"name: {name}", "shown in tables and figures; names the results folder"),
           "description: A starting scenario; say here what this company is.",
           _c("seed: 1", "random seed: the same seed gives the same numbers")]
    if t.days is not None:
        out.append(_c(f"horizon: {t.days:g} d", "simulated time (units: d, h, min or s)"))
    out += ["", _c("segments:", "groups of customers who buy alike")]
    out += _segment_lines(segments, known, segs, kept_channels, leads, existing)
    dropped = [c for c in channels if c not in kept_channels]
    if dropped:
        out += ["", _c("channels:", "where customers meet the company")]
        out += [_c(f"  {c}: null", "removed (null removes the parent's)") for c in dropped]
    return "\n".join(out) + "\n"


def _segment_lines(segments: list[str], known: dict[str, str], segs: dict[str, Any],
                   channels: list[str], leads: dict[str, float] | None,
                   existing: dict[str, float] | None) -> list[str]:
    out: list[str] = []
    for name in segments:
        seg = segs[name]
        mix = {c: w for c, w in (seg.get("channels") or {}).items() if c in channels}
        if not mix or not any(float(w) > 0 for w in mix.values()):
            raise ScenarioError(f"--channels: segment {name} would have no channel left "
                                f"(it uses {', '.join(seg.get('channels') or {})})")
        out.append(_c(f"  {name}:", f"a segment of kind {known[name]} (as in the parent)"))
        n_leads = leads[name] if leads is not None else float(seg.get("leads_per_day", 0))
        out.append(_c(f"    leads_per_day: {n_leads:.6g}",
                      "new prospects per day (>= 0; b2c: visits with intent)"))
        n_old = round(existing[name]) if existing is not None else \
            int(seg.get("existing_customers", 0))
        out.append(_c(f"    existing_customers: {n_old}",
                      "customers at the start who buy again (whole number)"))
        # the parent's weights merge key by key: a channel left out is removed with null
        weights = ", ".join([*(f"{c}: {w}" for c, w in mix.items()),
                             *(f"{c}: null" for c in seg["channels"] if c not in mix)])
        out.append(f"    channels: {{{weights}}}")
        out.append("    #   where its prospects start: weights (normalised to shares); "
                   "null removes one")
    out += [_c(f"  {name}: null", "removed (the parent's segment)")
            for name in known if name not in segments]
    return out
