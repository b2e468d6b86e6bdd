"""Streamed activity log: one row per activity of a customer journey, written to Parquet.

The simulation calls :meth:`EventLog.record` in its hot loop, possibly millions of times, so a
row is only appended to one plain Python list per column. Every ``chunk_rows`` rows the lists
are converted to Arrow arrays, written as one Parquet row group and cleared: memory stays flat
however long the run is.

Columns (in this order, see :data:`SCHEMA`; a log made with ``objects=True``, as every run
folder's is, adds the two columns of :data:`SCHEMA_OBJECTS`):

============  ====================  =====================================================
column        Arrow type            meaning
============  ====================  =====================================================
case          int64                 journey id
customer      int64                 customer id
segment       dictionary<string>    customer segment
activity      dictionary<string>    activity name
resource      dictionary<string>    channel, system, team or partner ("" if none)
start         float64               simulated hours since the scenario start
end           float64               simulated hours since the scenario start
outcome       dictionary<string>    e.g. "ok", "abandoned", "error", "lost"
cost          float64               cost in the scenario currency
objects       dictionary<string>    business objects the activity touches besides the
                                    customer, space-separated tokens (see below)
value         float64               value of the case's quote or order (0 before it exists)
============  ====================  =====================================================

Object tokens name objects relative to the row's case (one case holds at most one quote and
one order): ``lead`` (the prospect's first journey), ``quote``, ``order``, ``lines:N`` (the
order's N lines), ``po:S`` and ``part:S`` (the purchase order to supplier S and the bundle part
it buys), ``delivery`` (one shipment, hand-over or pick-up; each row is a new one),
``invoice`` and ``payment``. :mod:`sim.export` turns them into OCEL object ids.

Values are not checked per row (that would slow the hot loop); a value of the wrong type makes
the next flush raise (``pyarrow.ArrowInvalid`` or ``TypeError``).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from types import TracebackType

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

_DICT_STRING = pa.dictionary(pa.int32(), pa.string())

#: Arrow schema of the event log, column order included.
SCHEMA: pa.Schema = pa.schema(
    [
        ("case", pa.int64()),
        ("customer", pa.int64()),
        ("segment", _DICT_STRING),
        ("activity", _DICT_STRING),
        ("resource", _DICT_STRING),
        ("start", pa.float64()),
        ("end", pa.float64()),
        ("outcome", _DICT_STRING),
        ("cost", pa.float64()),
    ]
)

#: Arrow schema of a log that also records business objects (``EventLog(..., objects=True)``).
SCHEMA_OBJECTS: pa.Schema = SCHEMA.append(pa.field("objects", _DICT_STRING)).append(
    pa.field("value", pa.float64())
)

#: Parquet compression codec of the event log.
COMPRESSION = "zstd"


def _dict_array(values: list[str]) -> pa.DictionaryArray:
    # Several times faster than pa.array(values, type=_DICT_STRING).
    return pa.array(values, type=pa.string()).dictionary_encode()


class EventLog:
    """Buffered writer of the activity log, one Parquet row group per ``chunk_rows`` rows.

    With ``path=None`` rows and activity counts are counted but nothing is kept or written
    (for fast replications). With ``objects=True`` the ``objects`` and ``value`` columns are
    written too (:data:`SCHEMA_OBJECTS`); callers check :attr:`with_objects` before building
    object tokens. Use as a context manager, or call :meth:`close` when done.

    Example:
        >>> with EventLog(None) as log:
        ...     log.record(1, 42, "retail", "order", "web", 0.0, 0.1, "ok", 1.5)
        >>> log.rows
        1
    """

    def __init__(self, path: str | os.PathLike[str] | None, chunk_rows: int = 65_536,
                 objects: bool = False) -> None:
        """Prepare the log; the Parquet file is created on the first flush or on close.

        Args:
            path: Parquet file to write (its folder must exist), or None to write nothing.
            chunk_rows: Rows buffered before they are written as one row group (>= 1).
            objects: Also write the ``objects`` and ``value`` columns (ignored without a path).

        Raises:
            ValueError: If ``chunk_rows`` is smaller than 1.
            FileNotFoundError: If the folder of ``path`` does not exist.
        """
        if chunk_rows < 1:
            raise ValueError(f"chunk_rows must be >= 1, got {chunk_rows}")
        self._path = Path(path) if path is not None else None
        if self._path is not None and not self._path.parent.is_dir():
            raise FileNotFoundError(f"event log folder {self._path.parent} does not exist")
        self._chunk_rows = chunk_rows
        self._writer: pq.ParquetWriter | None = None
        self._closed = False
        self._written = 0  # rows already flushed (or, with path=None, counted)
        self._counts: Counter[str] = Counter()  # activity counts of the flushed rows
        self._case: list[int] = []
        self._customer: list[int] = []
        self._segment: list[str] = []
        self._activity: list[str] = []
        self._resource: list[str] = []
        self._start: list[float] = []
        self._end: list[float] = []
        self._outcome: list[str] = []
        self._cost: list[float] = []
        self._objects: list[str] | None = None
        self._value: list[float] = []
        if objects and self._path is not None:
            self._objects = []
            self.record = self._record_objects  # type: ignore[method-assign]
        if self._path is None:
            # Shadow the method on the instance (no per-row branch); close() does the same.
            self.record = self._count_only  # type: ignore[method-assign]

    @property
    def path(self) -> Path | None:
        """The Parquet file written, or None if nothing is written."""
        return self._path

    @property
    def with_objects(self) -> bool:
        """True if rows keep their object tokens and value (the file has :data:`SCHEMA_OBJECTS`)."""
        return self._objects is not None

    @property
    def schema(self) -> pa.Schema:
        """Arrow schema of the file written."""
        return SCHEMA if self._objects is None else SCHEMA_OBJECTS

    @property
    def rows(self) -> int:
        """Total number of rows recorded so far."""
        return self._written + len(self._case)

    @property
    def buffered_rows(self) -> int:
        """Rows held in memory, not yet written (always < ``chunk_rows`` between calls)."""
        return len(self._case)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
        return self._closed

    def record(
        self,
        case: int,
        customer: int,
        segment: str,
        activity: str,
        resource: str,
        start: float,
        end: float,
        outcome: str,
        cost: float = 0.0,
        objects: str = "",
        value: float = 0.0,
    ) -> None:
        """Append one activity row (hot loop: list appends only).

        Args:
            case: Journey id.
            customer: Customer id.
            segment: Customer segment.
            activity: Activity name.
            resource: Channel, system, team or partner; "" if none.
            start: Start, in simulated hours since the scenario start.
            end: End, in simulated hours since the scenario start.
            outcome: Outcome, e.g. "ok", "abandoned", "error", "lost".
            cost: Cost in the scenario currency.
            objects: Object tokens (see the module docstring); kept only if
                :attr:`with_objects`.
            value: Value of the case's quote or order; kept only if :attr:`with_objects`.

        Raises:
            RuntimeError: If the log is closed.
        """
        self._case.append(case)
        self._customer.append(customer)
        self._segment.append(segment)
        self._activity.append(activity)
        self._resource.append(resource)
        self._start.append(start)
        self._end.append(end)
        self._outcome.append(outcome)
        self._cost.append(cost)
        if len(self._case) >= self._chunk_rows:
            self._flush()

    def _record_objects(
        self,
        case: int,
        customer: int,
        segment: str,
        activity: str,
        resource: str,
        start: float,
        end: float,
        outcome: str,
        cost: float = 0.0,
        objects: str = "",
        value: float = 0.0,
    ) -> None:
        """``record`` when ``objects=True``: the row with its object tokens and value."""
        assert self._objects is not None
        self._objects.append(objects)
        self._value.append(value)
        self._case.append(case)
        self._customer.append(customer)
        self._segment.append(segment)
        self._activity.append(activity)
        self._resource.append(resource)
        self._start.append(start)
        self._end.append(end)
        self._outcome.append(outcome)
        self._cost.append(cost)
        if len(self._case) >= self._chunk_rows:
            self._flush()

    def _count_only(
        self,
        case: int,
        customer: int,
        segment: str,
        activity: str,
        resource: str,
        start: float,
        end: float,
        outcome: str,
        cost: float = 0.0,
        objects: str = "",
        value: float = 0.0,
    ) -> None:
        """``record`` when ``path`` is None: count the row and its activity, keep nothing."""
        self._written += 1
        self._counts[activity] += 1

    def activity_counts(self) -> dict[str, int]:
        """Number of rows recorded per activity."""
        counts = self._counts.copy()
        counts.update(self._activity)
        return dict(counts)

    def flush(self) -> None:
        """Write the buffered rows as one row group now (no-op if none are buffered)."""
        if self._case:
            self._flush()

    def _flush(self) -> None:
        arrays = [
            pa.array(self._case, type=pa.int64()),
            pa.array(self._customer, type=pa.int64()),
            _dict_array(self._segment),
            _dict_array(self._activity),
            _dict_array(self._resource),
            pa.array(self._start, type=pa.float64()),
            pa.array(self._end, type=pa.float64()),
            _dict_array(self._outcome),
            pa.array(self._cost, type=pa.float64()),
        ]
        if self._objects is not None:
            arrays += [_dict_array(self._objects), pa.array(self._value, type=pa.float64())]
        table = pa.Table.from_arrays(arrays, schema=self.schema)
        self._writer_or_open().write_table(table, row_group_size=len(table))
        self._counts.update(self._activity)
        self._written += len(table)
        for column in (
            self._case,
            self._customer,
            self._segment,
            self._activity,
            self._resource,
            self._start,
            self._end,
            self._outcome,
            self._cost,
            *((self._objects, self._value) if self._objects is not None else ()),
        ):
            column.clear()

    def _writer_or_open(self) -> pq.ParquetWriter:
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._path, self.schema, compression=COMPRESSION)
        return self._writer

    def close(self) -> None:
        """Flush the buffered rows and close the file (idempotent).

        If no row was ever recorded, a valid Parquet file with the schema and no rows is still
        written (unless ``path`` is None).
        """
        if self._closed:
            return
        if self._path is not None:
            self.flush()
            self._writer_or_open().close()
        self._closed = True
        self.record = self._reject  # type: ignore[method-assign]

    def abandon(self) -> None:
        """Close the file without writing the buffered rows (idempotent): the run failed or
        was interrupted, perhaps in the middle of a flush, and its folder is thrown away."""
        if self._closed:
            return
        self._closed = True
        self.record = self._reject  # type: ignore[method-assign]
        if self._writer is not None:
            self._writer.close()

    def _reject(self, *args: object, **kwargs: object) -> None:
        """``record`` once the log is closed."""
        raise RuntimeError("event log is closed")

    def __enter__(self) -> EventLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:  # writing now could only add a second error to the first (or to Ctrl-C)
            self.abandon()


def read_eventlog(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read an event log written by :class:`EventLog`.

    Args:
        path: The Parquet file.

    Returns:
        One row per activity, columns as in :data:`SCHEMA` (plus ``objects`` and ``value`` if
        the log has them): ``case`` and ``customer`` int64, ``start``, ``end``, ``cost`` and
        ``value`` float64, the string columns as pandas ``category``.
    """
    return pq.read_table(path).to_pandas()
