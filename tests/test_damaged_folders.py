"""Hand-edited and damaged results folders never give a traceback.

A table of damages, each applied to every file of a run, a compare and a sweep folder it fits
(``kpis.json`` holding a list, a Parquet table with a missing or doubled column, a manifest
without ``parameters``, a truncated event log, a bad date in ``scenario.yaml`` ...), on a copy
of the shared session folders (``tests/conftest.py``). Every command that reads the damaged
file (``plot``, ``report``, ``export``; ``analysis.load`` and ``load_run`` for the API) must
end with exit code 2 and exactly one line ``omnisim: error: ...`` naming the file (the API:
one :class:`ResultsError` line), write nothing (no figure, no report, no export, no partial
file), and never let an exception escape ``sim.cli.main``.
Writers on a full disk or a read-only folder: tests/test_outputs.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_helpers import copy_of, run_in_process

import analysis
from sim.results import ResultsError

Damage = Callable[[Path], None]


# ------------------------------------------------------------------------- ways to damage
def _json(edit: Callable[[Any], Any]) -> Damage:
    def damage(path: Path) -> None:
        path.write_text(json.dumps(edit(json.loads(path.read_text()))))
    return damage


def _set(key: str, value: Any) -> Damage:
    return _json(lambda d: {**d, key: value})


def _drop(key: str) -> Damage:
    return _json(lambda d: {k: v for k, v in d.items() if k != key})


def _text(text: str | bytes) -> Damage:
    def damage(path: Path) -> None:
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
    return damage


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _table(edit: Callable[[pa.Table], pa.Table]) -> Damage:
    def damage(path: Path) -> None:
        pq.write_table(edit(pq.read_table(path)).replace_schema_metadata(None), path)
    return damage


def _no_column(name: str) -> Damage:
    return _table(lambda t: t.drop_columns([name]))


def _twice(name: str) -> Damage:
    return _table(lambda t: t.append_column(name, t.column(name)))


def _as_text(name: str) -> Damage:
    return _table(lambda t: t.set_column(t.column_names.index(name), name,
                                         pa.array(["x"] * len(t))))


def _no_rows(t: pa.Table) -> pa.Table:
    return t.slice(0, 0)


def _repeat_rows(t: pa.Table) -> pa.Table:
    return pa.concat_tables([t, t.slice(0, 1)])


def _first_station(key: str, value: Any) -> Damage:
    def edit(d: dict[str, Any]) -> dict[str, Any]:
        first = next(iter(d))
        return {**d, first: {**d[first], key: value}}
    return _json(edit)


# ------------------------------------------------------------------------- the table
#: commands that read each folder kind (export: run folders only)
PLOT, REPORT, EXPORT, LOAD = "plot", "report", "export", "load"
ALL_RUN = (PLOT, REPORT, EXPORT, LOAD)
READERS = (PLOT, REPORT, LOAD)


@dataclass(frozen=True)
class Case:
    """A damage to one file of one shared folder and the commands that must refuse it."""

    folder: str  # fixture: small_run, small_compare, small_sweep
    file: str
    damage: Damage
    what: str
    commands: tuple[str, ...]


CASES = [
    # manifest.json of a run (every reader starts there)
    Case("small_run", "manifest.json", _truncate, "truncated JSON", ALL_RUN),
    Case("small_run", "manifest.json", _text(b"\xff\xfe{}"), "not UTF-8", ALL_RUN),
    Case("small_run", "manifest.json", _json(lambda d: [d]), "a list", ALL_RUN),
    Case("small_run", "manifest.json", _text('{"status": NaN}'), "NaN", ALL_RUN),
    Case("small_run", "manifest.json", _drop("status"), "no status", ALL_RUN),
    Case("small_run", "manifest.json", _set("kind", "banana"), "unknown kind", READERS),
    Case("small_run", "manifest.json", _set("kind", ["run"]), "kind a list", READERS),
    Case("small_run", "manifest.json", _set("seed", "/../../../../elsewhere/x"),
         "seed a path", ALL_RUN),
    Case("small_run", "manifest.json", _set("seed", -3), "negative seed", ALL_RUN),
    Case("small_run", "manifest.json", _set("seed", 1.5), "seed a fraction", ALL_RUN),
    Case("small_run", "manifest.json", _set("scenario", 7), "scenario a number", ALL_RUN),
    Case("small_run", "manifest.json", _set("scenario", "../x"), "scenario a path", (EXPORT,)),
    Case("small_run", "manifest.json", _set("warmup_days", "two"), "text warm-up", READERS),
    Case("small_run", "manifest.json", _set("bottleneck", ["web"]), "list bottleneck",
         READERS),
    # kpis.json
    Case("small_run", "kpis.json", _json(lambda d: list(d)), "a list", ALL_RUN),
    Case("small_run", "kpis.json", _set("orders", "many"), "a KPI as text", READERS),
    Case("small_run", "kpis.json", _set("funnel", [1, 2]), "a KPI as a list", READERS),
    Case("small_run", "kpis.json", _truncate, "truncated JSON", ALL_RUN),
    Case("small_run", "kpis.json", _folder, "a folder", ALL_RUN),
    # stations.json
    Case("small_run", "stations.json", _json(lambda d: list(d)), "a list", READERS),
    Case("small_run", "stations.json", _json(lambda d: {**d, "web": 3}), "a number",
         READERS),
    Case("small_run", "stations.json", _first_station("capacity", "two"), "text capacity",
         READERS),
    Case("small_run", "stations.json", _text(""), "empty", READERS),
    # timeseries.parquet
    Case("small_run", "timeseries.parquet", _truncate, "truncated", READERS),
    Case("small_run", "timeseries.parquet", _text(""), "empty", READERS),
    Case("small_run", "timeseries.parquet", _text("time_h\n1\n"), "CSV", READERS),
    Case("small_run", "timeseries.parquet", _no_column("time_h"), "no time_h", READERS),
    Case("small_run", "timeseries.parquet", _table(_no_rows), "no rows", READERS),
    Case("small_run", "timeseries.parquet", _twice("queue.web"), "a column twice", READERS),
    Case("small_run", "timeseries.parquet", _as_text("busy.web"), "a column of text",
         READERS),
    # eventlog.parquet (plot's ecdf and the report read it; export checks its checksum)
    Case("small_run", "eventlog.parquet", _truncate, "truncated", (PLOT, REPORT, EXPORT)),
    Case("small_run", "eventlog.parquet", _no_column("activity"), "no activity",
         (PLOT, REPORT, EXPORT)),
    Case("small_run", "eventlog.parquet", _twice("case"), "a column twice",
         (PLOT, REPORT, EXPORT)),
    Case("small_run", "eventlog.parquet", Path.unlink, "missing", (PLOT, REPORT, EXPORT)),
    # scenario.yaml (the currency of the cost figure, the calendar of the export)
    Case("small_run", "scenario.yaml", _text("start_date: 2026-02-30\n"), "bad date",
         ALL_RUN),
    Case("small_run", "scenario.yaml", _text("- a list\n"), "a list", ALL_RUN),
    Case("small_run", "scenario.yaml", _text("seed: !!int abc\n"), "bad tag", ALL_RUN),
    Case("small_run", "scenario.yaml", _text("a: [1\n"), "bad YAML", ALL_RUN),
    Case("small_run", "scenario.yaml", _text("start_date: someday\nsegments: {}\n"),
         "not a date", (EXPORT,)),
    # a compare folder
    Case("small_compare", "manifest.json", _drop("scenarios"), "no scenarios", READERS),
    Case("small_compare", "manifest.json", _set("replications", "2"), "text replications",
         READERS),
    Case("small_compare", "replications.parquet", _no_column("value"), "no value", READERS),
    Case("small_compare", "replications.parquet", _twice("kpi"), "a column twice", READERS),
    Case("small_compare", "replications.parquet", _table(_repeat_rows), "a row twice",
         READERS),
    Case("small_compare", "replications.parquet", _as_text("value"), "text values", READERS),
    Case("small_compare", "replications.parquet", _truncate, "truncated", READERS),
    Case("small_compare", "replications.parquet", _table(_no_rows), "no rows", READERS),
    Case("small_compare", "summary.csv", _text(b"\x00\xff\x00"), "binary", READERS),
    Case("small_compare", "summary.csv", _text(""), "empty", READERS),
    Case("small_compare", "summary.csv", _text("scenario,kpi\na,b\n"), "no mean", READERS),
    Case("small_compare", "summary.csv", lambda p: p.write_text(p.read_text().split("\n")[0]),
         "only its header", READERS),
    Case("small_compare", "summary.csv", _text("scenario,scenario\na,b\n"), "a column twice",
         READERS),
    Case("small_compare", "summary.json", _json(lambda d: d["scenarios"]), "a list",
         (REPORT,)),
    Case("small_compare", "summary.json", _truncate, "truncated", (REPORT,)),
    Case("small_compare", "scenario-1-small.yaml", _text("a: [1\n"), "bad YAML", READERS),
    # a sweep folder
    Case("small_sweep", "manifest.json", _drop("parameters"), "no parameters", READERS),
    Case("small_sweep", "manifest.json", _set("parameters", "staff"), "parameters a text",
         READERS),
    Case("small_sweep", "manifest.json", _set("parameters", ["no.such.column"]),
         "an unknown parameter", READERS),
    Case("small_sweep", "manifest.json", _set("parameters", ["params"]), "a fixed column",
         READERS),
    Case("small_sweep", "manifest.json", _set("vary", {"a": 1}), "vary a mapping", READERS),
    Case("small_sweep", "results.parquet", _no_column("point"), "no point", READERS),
    Case("small_sweep", "results.parquet", _twice("cost_per_order"), "a column twice",
         READERS),
    Case("small_sweep", "results.parquet", _table(_repeat_rows), "a row twice", READERS),
    Case("small_sweep", "results.parquet", _table(_no_rows), "no rows", READERS),
    Case("small_sweep", "results.parquet", _as_text("cost_per_order"), "text KPI", READERS),
    Case("small_sweep", "results.parquet", _truncate, "truncated", READERS),
    Case("small_sweep", "scenario.yaml", _text("currency: [USD\n"), "bad YAML", READERS),
]
LOAD_RUN = "load_run"  # analysis.load_run: the manifest, kpis.json and the time series


def _commands(case: Case) -> tuple[str, ...]:
    structural = case.file in ("manifest.json", "kpis.json") and EXPORT in case.commands
    if case.folder == "small_run" and (structural or case.file == "timeseries.parquet"):
        return (*case.commands, LOAD_RUN)
    return case.commands


#: one test per damage and command
PAIRS = [(case, command) for case in CASES for command in _commands(case)]


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


@pytest.mark.parametrize(("case", "command"), PAIRS,
                         ids=[f"{c.folder[6:]}-{c.file}-{c.what}-{cmd}" for c, cmd in PAIRS])
def test_a_damaged_file_gives_one_line_naming_it(case: Case, command: str,
                                                 request: pytest.FixtureRequest,
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    folder = copy_of(request.getfixturevalue(case.folder), tmp_path / "copy")
    case.damage(folder / case.file)
    work = tmp_path / "work"  # the current directory: export's default file goes here
    work.mkdir()
    monkeypatch.chdir(work)
    before = _files(tmp_path)
    if command in (LOAD, LOAD_RUN):
        with pytest.raises(ResultsError) as err:
            (analysis.load if command == LOAD else analysis.load_run)(folder)
        message = str(err.value)
        assert "\n" not in message
    else:
        code, out, err_text = run_in_process([command, str(folder)])
        lines = err_text.strip().splitlines()
        assert code == 2, f"exit {code}: {err_text}"
        assert len(lines) == 1 and lines[0].startswith("omnisim: error: "), err_text
        message = lines[0]
    assert case.file in message, message
    assert _files(tmp_path) == before, "the failed command wrote something"


def test_the_table_covers_every_file_of_every_folder(small_run: Path, small_compare: Path,
                                                     small_sweep: Path) -> None:
    """Every file omnisim writes into a run, compare or sweep folder that a reader reads
    has at least one damage in the table (``results.csv``, ``replications.csv``,
    ``ladder.png``, ``sweep.json`` and the point files are read by no command above)."""
    unread = {"results.csv", "replications.csv", "ladder.png", "sweep.json",
              "scenario-2-small-integrated.yaml"}
    for name, folder in (("small_run", small_run), ("small_compare", small_compare),
                         ("small_sweep", small_sweep)):
        written = {p.name for p in folder.iterdir() if p.is_file()} - unread
        damaged = {c.file for c in CASES if c.folder == name}
        assert written <= damaged, f"{name}: no damage for {sorted(written - damaged)}"


def test_an_intact_copy_passes(small_run: Path, tmp_path: Path) -> None:
    """The checks refuse only damage: the copy the table starts from is read as it is."""
    folder = copy_of(small_run, tmp_path)
    res = analysis.load(folder)
    res.check_eventlog()
    assert res.kind == "run" and len(res.eventlog()) > 0
