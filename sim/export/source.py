"""A finished run opened for export: checks, calendar time, and the event log case by case.

The event log of a run is written in the order activities *end*, so the rows of one case
(a customer journey) are spread over the whole file, interleaved with every other case. To
hand out whole cases without loading the log, :meth:`RunSource.scan` first reads only the
``case`` column and notes, per case, the row where it ends; :meth:`RunSource.cases` then
streams the log in record batches, keeps the rows of the cases still open, and hands a case
over as soon as its last row has been read. Memory follows the cases open at one point of the
log (work in progress: thousands), not the length of the run.

Rows are plain tuples (fields :data:`IDX` ... :data:`END_ISO`) for speed; timestamps are
turned into ISO 8601 strings per batch by Arrow, from the scenario's ``start_date`` (simulated
time is hours since that date, 00:00). Clock times are the company's local time, written with
offset ``+00:00`` (the scenario has no time zone) so every tool reads the same hours.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from sim.results import ResultsError, load_run

EVENTLOG = "eventlog.parquet"
SCENARIO = "scenario.yaml"
#: Files a run folder must hold to be exported (the manifest is checked first).
REQUIRED = (SCENARIO, "kpis.json", EVENTLOG)
#: Event-log columns every export needs.
COLUMNS = ("case", "customer", "segment", "activity", "resource", "start", "end", "outcome",
           "cost")
#: Columns of logs written with business objects (needed for OCEL).
OBJECT_COLUMNS = ("objects", "value")
#: Offset written after every timestamp.
UTC_OFFSET = "+00:00"

# fields of a row tuple (Final: a type checker then knows each field's type)
IDX: Final = 0
ACTIVITY: Final = 1
RESOURCE: Final = 2
START: Final = 3
END: Final = 4
OUTCOME: Final = 5
COST: Final = 6
OBJECTS: Final = 7
VALUE: Final = 8
START_ISO: Final = 9
END_ISO: Final = 10
Row = tuple[int, str, str, float, float, str, float, str, float, str, str]
Progress = Callable[[int, int], None]

#: Lost steps whose customer ends in another terminal state (see ``sim.customers``).
_LOST_STATES = {"payment": "written_off", "backorder": "cancelled", "credit_hold": "cancelled"}


@dataclass
class Scan:
    """What one pass over the ``case``, ``customer`` and ``activity`` columns finds."""

    rows: int
    last_row: np.ndarray  # per case id: index of its last row (-1: no row)
    max_customer: int
    activities: list[str]


@dataclass
class Case:
    """All rows of one case, in log order, with its case-level attributes."""

    case: int
    customer: int
    segment: str
    rows: list[Row] = field(default_factory=list)
    outcome: str = "open"
    lead: bool = False
    value: float = 0.0


class RunSource:
    """A complete run folder whose event log can be exported.

    Raises:
        ResultsError: (from the constructor) if the folder is not a complete run: a file is
            missing, the manifest is not ``complete``, the event log is unreadable, lacks a
            column or does not match the manifest's checksum, or the scenario has no
            ``start_date``. The message is one line naming the file.
    """

    def __init__(self, folder: Path, *, need_objects: bool = False) -> None:
        """Check ``folder`` and open its event log.

        Args:
            folder: A run folder, e.g. ``results/baseline/seed-1``.
            need_objects: Require the ``objects`` and ``value`` columns (OCEL export).
        """
        folder = Path(folder)
        _refuse_root(folder)
        run = load_run(folder)
        self.folder = folder
        self.manifest: dict[str, Any] = run["manifest"]
        self.kpis: dict[str, Any] = run["kpis"]
        for name in REQUIRED:
            if not (folder / name).is_file():
                raise ResultsError(f"{folder / name}: file is missing; the run folder is "
                                   "incomplete (re-run the scenario)")
        self.path = folder / EVENTLOG
        self._check_sha256()
        try:
            self.file = pq.ParquetFile(self.path)
        except (pa.ArrowException, OSError) as err:
            raise ResultsError(f"{self.path}: not a readable Parquet file "
                               f"({str(err).splitlines()[0]})") from None
        names = self.file.schema_arrow.names
        missing = [c for c in COLUMNS if c not in names]
        if missing:
            raise ResultsError(f"{self.path}: no column {', '.join(missing)}; "
                               "not an omnisim event log")
        self.has_objects = all(c in names for c in OBJECT_COLUMNS)
        if need_objects and not self.has_objects:
            raise ResultsError(f"{self.path}: no 'objects' column (written by an older omnisim "
                               "version); re-run the scenario to export OCEL")
        self.scenario = _read_scenario(folder / SCENARIO)
        self.start = datetime.combine(_start_date(self.scenario, folder / SCENARIO),
                                      datetime.min.time())
        segments = self.scenario.get("segments")
        self.kinds: dict[str, str] = {
            str(name): str(seg.get("kind", "")) for name, seg in segments.items()
            if isinstance(seg, dict)} if isinstance(segments, dict) else {}
        self.label = folder.resolve().parent.name or "run"
        self.seed = self.manifest.get("seed")
        self.rows = self.file.metadata.num_rows
        self._epoch_us = int((self.start - datetime(1970, 1, 1)).total_seconds()) * 1_000_000

    # -- checks -------------------------------------------------------------------------------
    def _check_sha256(self) -> None:
        expected = (self.manifest.get("files") or {}).get(EVENTLOG)
        if not expected:
            return
        digest = hashlib.sha256()
        with open(self.path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != expected:
            raise ResultsError(f"{self.path}: does not match the checksum in manifest.json "
                               "(changed after the run?); re-run the scenario")

    # -- reading ------------------------------------------------------------------------------
    def iso(self, hours: pa.Array) -> list[str]:
        """ISO 8601 timestamps (microseconds, offset ``+00:00``) of simulated ``hours``."""
        micro = np.rint(hours.to_numpy(zero_copy_only=False) * 3.6e9).astype(np.int64)
        micro += self._epoch_us
        text = np.datetime_as_string(micro.astype("datetime64[us]"), unit="us").tolist()
        return [t + UTC_OFFSET for t in text]

    def iso_of(self, hours: float) -> str:
        """:meth:`iso` of one value."""
        return self.iso(pa.array([hours], pa.float64()))[0]

    def batches(self, columns: list[str], batch_size: int = 16_384
                ) -> Iterator[pa.RecordBatch]:
        """The log's ``columns`` in record batches, in file order."""
        yield from self.file.iter_batches(batch_size=batch_size, columns=columns)

    def scan(self) -> Scan:
        """First pass: the last row of every case, the largest customer id, the activities."""
        last = np.full(1024, -1, dtype=np.int64)
        base = 0
        max_customer = 0
        activities: set[str] = set()
        for batch in self.batches(["case", "customer", "activity"]):
            cases = batch.column(0).to_numpy()
            n = len(cases)
            if n == 0:
                continue
            top = int(cases.max())
            if top >= len(last):
                grown = np.full(max(top + 1, 2 * len(last)), -1, dtype=np.int64)
                grown[: len(last)] = last
                last = grown
            # the last occurrence of each case in this batch (later batches overwrite)
            ids, first_in_reversed = np.unique(cases[::-1], return_index=True)
            last[ids] = base + (n - 1 - first_in_reversed)
            # (call_function: pyarrow.compute's own functions are made at run time)
            top_customer = pc.call_function("max", [batch.column(1)]).as_py()
            max_customer = max(max_customer, int(top_customer or 0))
            activities.update(pc.call_function("unique", [batch.column(2).cast(pa.string())])
                              .to_pylist())
            base += n
        return Scan(rows=base, last_row=last, max_customer=max_customer,
                    activities=sorted(activities))

    def rows_with_case(self, progress: Progress | None = None
                       ) -> Iterator[tuple[int, int, str, Row]]:
        """Second pass: ``(case, customer, segment, row)`` for every row, in file order."""
        columns = list(COLUMNS) + (list(OBJECT_COLUMNS) if self.has_objects else [])
        base = 0
        for batch in self.batches(columns):
            n = batch.num_rows
            arrays = {name: batch.column(i) for i, name in enumerate(columns)}
            col = {name: _pylist(a) for name, a in arrays.items()}
            if not self.has_objects:
                col["objects"], col["value"] = [""] * n, [0.0] * n
            fields = zip(range(base, base + n), col["activity"], col["resource"], col["start"],
                         col["end"], col["outcome"], col["cost"], col["objects"], col["value"],
                         self.iso(arrays["start"]), self.iso(arrays["end"]), strict=True)
            yield from zip(col["case"], col["customer"], col["segment"], fields, strict=True)
            base += n
            if progress is not None:
                progress(base, self.rows)

    def cases(self, scan: Scan, progress: Progress | None = None) -> Iterator[Case]:
        """Whole cases, each handed over as soon as its last row has been read."""
        last_row = scan.last_row
        open_cases: dict[int, Case] = {}
        for case_id, customer, segment, row in self.rows_with_case(progress):
            case = open_cases.get(case_id)
            if case is None:
                case = open_cases[case_id] = Case(case_id, customer, segment)
            case.rows.append(row)
            if row[IDX] == last_row[case_id]:
                del open_cases[case_id]
                yield self.summarise(case)
        if open_cases:  # cannot happen for a log that did not change during the export
            raise ResultsError(f"{self.path}: changed while it was being exported")

    def summarise(self, case: Case) -> Case:
        """Set the case's outcome, whether it began with a lead, and its order value.

        The outcome is ``paid`` (a payment was received or a card captured), the customer's
        terminal state if the case ended it (``lost:<step>``, ``cancelled``, ``written_off``;
        a visitor who left on the first page is ``lost:slow_pages``), ``served`` for a service
        request, or ``open`` (still under way at the horizon).
        """
        paid = lost = bounced = False
        step = ""
        lead = case.customer == 0
        value = 0.0
        for row in case.rows:
            activity = row[ACTIVITY]
            tokens = row[OBJECTS]
            if "payment" in tokens.split() or activity in ("card captured", "payment received"):
                paid = True
            elif activity == "lost":
                lost, step = True, row[OUTCOME]
            elif activity == "visit" and row[OUTCOME] == "bounced":
                bounced = True
            if tokens.startswith("lead"):
                lead = True
            if row[VALUE] > value:
                value = row[VALUE]
        if paid:
            outcome = "paid"
        elif lost:
            outcome = _LOST_STATES.get(step, f"lost:{step}")
        elif bounced:
            outcome = "lost:slow_pages"
        elif self.kinds.get(case.segment) == "service":
            outcome = "served"
        else:
            outcome = "open"
        case.outcome, case.lead, case.value = outcome, lead, value
        return case


def _pylist(array: pa.Array) -> list[Any]:
    """A column as a Python list, fast: numbers through NumPy, dictionary strings by index."""
    if pa.types.is_dictionary(array.type):
        words = array.dictionary.to_pylist()
        return [words[i] for i in array.indices.to_numpy(zero_copy_only=False).tolist()]
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        return array.to_numpy(zero_copy_only=False).tolist()
    return array.to_pylist()


def _refuse_root(folder: Path) -> None:
    """A helpful error for a folder that exists but is a results root or a scenario folder."""
    if not folder.is_dir() or (folder / "manifest.json").exists():
        return
    runs = sorted(p.parent for p in folder.glob("seed-*/manifest.json"))
    runs += sorted(p.parent for p in folder.glob("*/seed-*/manifest.json"))
    if runs:
        raise ResultsError(f"{folder}: not a run folder but holds {len(runs)} run(s); "
                           f"pass one of them, e.g. {runs[0]}")


def _read_scenario(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, OverflowError, RecursionError,
            yaml.YAMLError) as err:  # a bad date or '!!int abc' raise ValueError
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ResultsError(f"{path}: cannot read the resolved scenario ({first})") from None
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: expected a mapping (the resolved scenario)")
    return data


def _start_date(scenario: dict[str, Any], path: Path) -> date:
    value = scenario.get("start_date")
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ResultsError(f"{path}: start_date {value!r} is not a date (YYYY-MM-DD)") from None
