"""Process-mining export of a run's event log: XES, OCEL 2.0 (JSON or SQLite) and CSV.

:func:`export_run` reads a complete results folder (``omnisim run``) and writes one file that
pm4py, Celonis, Disco or ProM can read. The Parquet event log is streamed in record batches
and the output written as it goes (see :mod:`sim.export.source`), into a hidden partial file
renamed into place at the end, so an interrupted export leaves nothing that looks finished.
Formats: :mod:`sim.export.xes`, :mod:`sim.export.ocel`, :mod:`sim.export.csvlog`; the user
guide is ``docs/export.md``.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sim.export.source import Progress, RunSource
from sim.outfile import OutputError, atomic, inside, refuse_special, safe_name

FORMATS = ("xes", "ocel", "csv")
#: Default file name endings per format.
EXTENSIONS = {"xes": ".xes", "ocel": ".ocel.json", "csv": ".csv"}
#: ``--out`` endings that select OCEL's SQLite container (anything else is JSON).
SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")


@dataclass
class Exported:
    """What an export wrote."""

    path: Path
    fmt: str  # "xes", "ocel-json", "ocel-sqlite" or "csv"
    counts: dict[str, int]  # traces/events, cases/rows, or objects per type and events
    rows: int  # activity rows read from the event log
    seconds: float


def default_path(source: RunSource, fmt: str) -> Path:
    """``<scenario label>-seed-<seed><extension>`` in the current directory.

    The name is built only from checked values (the folder's label a safe name, the
    manifest's seed a non-negative integer: :class:`RunSource` checks it) and must stay in
    the current directory, so a hand-edited manifest cannot send the file elsewhere.
    """
    label = safe_name(source.label, f"{source.folder}: scenario folder name")
    seed = source.seed
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise OutputError(f"{source.folder / 'manifest.json'}: seed {seed!r} is not a "
                          "non-negative integer")
    return inside(Path.cwd(), f"{label}-seed-{seed}{EXTENSIONS[fmt]}")


def export_run(folder: Path, fmt: str, out: Path | None = None,
               progress: Progress | None = None) -> Exported:
    """Export the event log of the run in ``folder``.

    Args:
        folder: A complete run folder, e.g. ``results/baseline/seed-1``.
        fmt: ``xes``, ``ocel`` or ``csv``.
        out: The file to write (its folder must exist); a name ending in ``.gz`` is gzipped,
            and for ``ocel`` a name ending in ``.sqlite``, ``.sqlite3`` or ``.db`` selects
            SQLite. Default: :func:`default_path`.
        progress: Called with ``(rows read, total rows)`` after every batch.

    Returns:
        What was written.

    Raises:
        ResultsError: If ``folder`` is not a complete run folder (one line naming the file).
        ValueError: If ``fmt`` is unknown.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
    t0 = time.perf_counter()
    if out is not None:
        refuse_special(Path(out))
    source = RunSource(Path(folder), need_objects=fmt == "ocel")
    out = Path(out) if out is not None else default_path(source, fmt)
    sqlite = fmt == "ocel" and out.name.lower().endswith(SQLITE_SUFFIXES)
    kind = "ocel-sqlite" if sqlite else "ocel-json" if fmt == "ocel" else fmt
    with atomic(out) as tmp:
        if sqlite:
            counts = _write_sqlite(source, tmp, out, progress)
        else:
            with _text_file(tmp, gzipped=out.name.lower().endswith(".gz")) as handle:
                counts = _write_text(source, fmt, handle, tmp, progress)
    return Exported(path=out, fmt=kind, counts=counts, rows=source.rows,
                    seconds=time.perf_counter() - t0)


def _write_text(source: RunSource, fmt: str, handle: TextIO, tmp: Path,
                progress: Progress | None) -> dict[str, int]:
    if fmt == "xes":
        from sim.export.xes import write_xes

        return write_xes(source, handle, progress)
    if fmt == "csv":
        from sim.export.csvlog import write_csv

        return write_csv(source, handle, progress)
    from sim.export.ocel import write_ocel_json

    staging = tmp.with_name(f"{tmp.name}.objects")  # random like tmp: no name to plant a link
    return dict(write_ocel_json(source, handle, staging, progress))


def _write_sqlite(source: RunSource, tmp: Path, out: Path,
                  progress: Progress | None) -> dict[str, int]:
    import sqlite3

    from sim.export.ocel import write_ocel_sqlite

    try:
        return dict(write_ocel_sqlite(source, tmp, progress))
    except sqlite3.OperationalError as err:  # "database or disk is full", read-only ...
        raise OutputError(f"{out}: cannot write ({err})") from None


@contextmanager
def _text_file(path: Path, gzipped: bool) -> Iterator[TextIO]:
    """A UTF-8 text file with a large buffer, gzipped if asked; "\\n" line ends."""
    if gzipped:
        with gzip.open(path, "wt", encoding="utf-8", newline="", compresslevel=6) as handle:
            yield handle
    else:
        with open(path, "w", encoding="utf-8", newline="", buffering=1 << 20) as handle:
            yield handle
