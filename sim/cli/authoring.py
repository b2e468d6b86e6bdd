"""``omnisim scenarios init`` (a commented starting file) and ``omnisim scenarios diff``
(what one scenario changes against another)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from sim.cli.common import CliError, console


def _words(text: str | None) -> tuple[str, ...]:
    """``"web, app"`` -> ``("web", "app")``."""
    return tuple(w.strip() for w in (text or "").split(",") if w.strip())


@click.command("init")
@click.argument("path", type=click.Path(path_type=Path), default=Path("my-scenario.yaml"))
@click.option("--name", default=None, help="The scenario's name (default: the file's stem).")
@click.option("--extends", "parent", default="baseline", show_default=True,
              help="The scenario it starts from: a shipped name or a path.")
@click.option("--segments", default=None, metavar="NAMES",
              help="Segments of the parent to keep, comma-separated (names, or 'consumer' / "
                   "'b2b' for all of that kind; default: all).")
@click.option("--channels", default=None, metavar="NAMES",
              help="Channels of the parent to keep, comma-separated (default: all).")
@click.option("--leads-per-day", type=click.FloatRange(0, 1e6), default=None,
              help="New prospects per day over all kept segments, shared as in the parent "
                   "(default: the parent's).")
@click.option("--existing-customers", type=click.IntRange(0, 1_000_000), default=None,
              help="Customers at the start over all kept segments, shared as in the parent "
                   "(default: the parent's).")
@click.option("--days", type=click.FloatRange(1, 100_000), default=None,
              help="Horizon in days (default: the parent's).")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def init(path: Path, name: str | None, parent: str, segments: str | None,
         channels: str | None, leads_per_day: float | None, existing_customers: int | None,
         days: float | None, force: bool) -> None:
    """Write a commented starting scenario to PATH (default my-scenario.yaml).

    The file extends a shipped scenario (the baseline unless --extends) and keeps the
    segments and channels asked for at the sizes asked for; it is validated before it is
    written. On a terminal, what the flags leave open is asked, with the parent's values
    as defaults.

    \b
    Examples:
      omnisim scenarios init shop.yaml --segments consumer --channels web,app,call_centre
      omnisim scenarios init b2b.yaml --segments b2b --leads-per-day 50 --days 60
    """
    from sim.scenario.template import Template, parent_choices, render

    if (path.exists() or path.is_symlink()) and not force:
        raise CliError(f"{path}: exists; use --force to overwrite it")
    if not path.parent.is_dir():
        raise CliError(f"{path}: no folder {path.parent}")
    if sys.stdin.isatty():
        known, names = parent_choices(parent)
        segments = segments or click.prompt("Segments (comma-separated, or consumer / b2b)",
                                            default=",".join(known))
        channels = channels or click.prompt("Channels (comma-separated)",
                                            default=",".join(names))
        if leads_per_day is None:
            leads_per_day = _ask("Leads per day over those segments", float)
        if existing_customers is None:
            existing_customers = _ask("Existing customers over those segments", int)
    t = Template(name=name or path.stem, extends=parent, segments=_words(segments),
                 channels=_words(channels), leads_per_day=leads_per_day,
                 existing_customers=existing_customers, days=days)
    _write_checked(path, render(t))
    click.echo(f"wrote {path}; next: omnisim scenarios validate {path}; "
               f"omnisim run {path}")


def _ask(question: str, kind: type) -> Any:
    """A number asked on the terminal; empty keeps the parent's (None)."""
    answer = click.prompt(f"{question} (empty: as in the parent)", default="",
                          show_default=False).strip()
    if not answer:
        return None
    try:
        value = kind(answer)
    except ValueError:
        raise CliError(f"{question}: expected a number >= 0, got {answer!r}") from None
    if not value >= 0:
        raise CliError(f"{question}: expected a number >= 0, got {answer!r}")
    return value


def _write_checked(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` only if it validates (next to ``path``, so ``extends``
    resolves as it will)."""
    from sim.outfile import atomic
    from sim.scenario import ScenarioError, load

    with atomic(path, "init PATH") as tmp:
        tmp.write_text(text, encoding="utf-8")
        try:
            load(tmp)
        except ScenarioError as exc:
            raise ScenarioError(str(exc).replace(str(tmp), str(path))) from None


@click.command("diff")
@click.argument("a")
@click.argument("b")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object (a, b, changes: field, a, b, unit) and nothing else.")
def diff(a: str, b: str, as_json: bool) -> None:
    """The fields scenario B changes against scenario A (files or shipped names).

    Both are compared resolved (extends applied) and validated, field by field as dotted
    paths, so an inherited or restated value is no change. Durations are in hours, amounts
    in the scenario's currency; distributions show their own units. '(none)' marks a field
    one side does not have (a link in another mode, a removed system).
    """
    from rich.table import Table

    from sim.scenario import load
    from sim.scenario.diff import diff as changes_of

    changes = changes_of(load(a).scenario, load(b).scenario)
    if as_json:
        click.echo(json.dumps({"a": a, "b": b, "changes": [
            {"field": c.field, "a": c.a, "b": c.b, "unit": c.unit} for c in changes]}))
        return
    if not changes:
        click.echo(f"{b} changes nothing against {a}")
        return
    con = console()
    t = Table(title=f"{len(changes)} field{'s' if len(changes) != 1 else ''} differ",
              title_justify="left", expand=con.width < 120)
    t.add_column("field", overflow="fold", ratio=3)
    for col in (a, b):
        t.add_column(col, overflow="fold", ratio=2)
    t.add_column("unit", overflow="fold", width=max(4, len(changes[0].unit), *(
        len(c.unit) for c in changes)))
    for c in changes:
        t.add_row(c.field, c.a, c.b, c.unit)
    con.print(t)
