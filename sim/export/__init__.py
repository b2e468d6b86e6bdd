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
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sim.export.source import Progress, RunSource

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
    """``<scenario label>-seed-<seed><extension>`` in the current directory."""
    return Path.cwd() / f"{source.label}-seed-{source.seed}{EXTENSIONS[fmt]}"


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
    source = RunSource(Path(folder), need_objects=fmt == "ocel")
    out = Path(out) if out is not None else default_path(source, fmt)
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    kind = fmt
    try:
        if fmt == "ocel" and out.name.lower().endswith(SQLITE_SUFFIXES):
            from sim.export.ocel import write_ocel_sqlite

            kind = "ocel-sqlite"
            counts = dict(write_ocel_sqlite(source, tmp, progress))
        else:
            with _text_file(tmp, gzipped=out.name.lower().endswith(".gz")) as handle:
                if fmt == "xes":
                    from sim.export.xes import write_xes

                    counts = write_xes(source, handle, progress)
                elif fmt == "csv":
                    from sim.export.csvlog import write_csv

                    counts = write_csv(source, handle, progress)
                else:
                    from sim.export.ocel import write_ocel_json

                    kind = "ocel-json"
                    staging = out.with_name(f".{out.name}.objects-{os.getpid()}")
                    counts = dict(write_ocel_json(source, handle, staging, progress))
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return Exported(path=out, fmt=kind, counts=counts, rows=source.rows,
                    seconds=time.perf_counter() - t0)


@contextmanager
def _text_file(path: Path, gzipped: bool) -> Iterator[TextIO]:
    """A UTF-8 text file with a large buffer, gzipped if asked; "\\n" line ends."""
    if gzipped:
        with gzip.open(path, "wt", encoding="utf-8", newline="", compresslevel=6) as handle:
            yield handle
    else:
        with open(path, "w", encoding="utf-8", newline="", buffering=1 << 20) as handle:
            yield handle
