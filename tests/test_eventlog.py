"""Tests of the streamed activity log (sim.eventlog)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.eventlog import SCHEMA, EventLog, read_eventlog

COLUMNS = ["case", "customer", "segment", "activity", "resource", "start", "end", "outcome", "cost"]


def _rows(n: int) -> list[tuple]:
    activities = ["browse", "order", "pay", "ship"]
    outcomes = ["ok", "abandoned", "error", "lost"]
    return [
        (
            i // 3,
            1000 + i % 4,
            "retail" if i % 2 else "b2b",
            activities[i % 4],
            "" if i % 5 == 0 else f"channel-{i % 3}",
            i * 0.25,
            i * 0.25 + 1.0 / 3.0,
            outcomes[i % 4],
            round(i * 1.1, 2),
        )
        for i in range(n)
    ]


def test_rows_round_trip_through_several_row_groups(tmp_path: Path) -> None:
    path = tmp_path / "eventlog.parquet"
    rows = _rows(10)
    with EventLog(path, chunk_rows=3) as log:
        for row in rows:
            log.record(*row)
        assert log.rows == 10
    assert log.closed

    assert pq.ParquetFile(path).num_row_groups == 4
    assert pq.read_schema(path).remove_metadata().equals(SCHEMA)

    frame = read_eventlog(path)
    assert list(frame.columns) == COLUMNS
    for column in ("case", "customer"):
        assert frame[column].dtype == "int64"
    for column in ("start", "end", "cost"):
        assert frame[column].dtype == "float64"
    for column in ("segment", "activity", "resource", "outcome"):
        assert isinstance(frame[column].dtype, pd.CategoricalDtype)
    as_tuples = [
        (int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), r[5], r[6], str(r[7]), r[8])
        for r in frame.itertuples(index=False)
    ]
    assert as_tuples == rows  # floats compared exactly


def test_default_cost_and_activity_counts(tmp_path: Path) -> None:
    with EventLog(tmp_path / "log.parquet", chunk_rows=2) as log:
        for activity in ["order", "pay", "order", "ship", "order"]:
            log.record(1, 2, "retail", activity, "web", 0.0, 1.0, "ok")
        assert log.activity_counts() == {"order": 3, "pay": 1, "ship": 1}
    assert read_eventlog(tmp_path / "log.parquet")["cost"].tolist() == [0.0] * 5


def test_path_none_counts_but_keeps_nothing(tmp_path: Path) -> None:
    with EventLog(None, chunk_rows=3) as log:
        for row in _rows(10):
            log.record(*row)
        assert log.buffered_rows == 0
    assert log.rows == 10
    assert log.activity_counts() == {"browse": 3, "order": 3, "pay": 2, "ship": 2}
    assert list(tmp_path.iterdir()) == []


def test_empty_log_writes_valid_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    log = EventLog(path)
    log.close()
    log.close()  # idempotent
    assert pq.ParquetFile(path).metadata.num_rows == 0
    frame = read_eventlog(path)
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 0
    assert frame["case"].dtype == "int64"


def test_record_after_close_raises(tmp_path: Path) -> None:
    for path in (tmp_path / "log.parquet", None):
        log = EventLog(path)
        log.close()
        with pytest.raises(RuntimeError, match="closed"):
            log.record(1, 2, "retail", "order", "web", 0.0, 1.0, "ok")


class _Interrupting(dict):
    """A Counter stand-in whose update is interrupted (Ctrl-C in the middle of a flush)."""

    def update(self, *args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt


def test_interrupt_during_a_flush_propagates_as_itself(tmp_path: Path) -> None:
    # Ctrl-C can land inside a flush, after the row group is written and before the buffers
    # are cleared; leaving the `with` block must not write again (which found columns of
    # different lengths and replaced the interrupt by an ArrowInvalid traceback)
    log = EventLog(tmp_path / "log.parquet", chunk_rows=3, objects=True)
    log._counts = _Interrupting()  # type: ignore[assignment]
    with pytest.raises(KeyboardInterrupt), log:
        for row in _rows(5):
            log.record(*row, "order", 1.0)
    with pytest.raises(RuntimeError, match="closed"):
        log.record(*_rows(1)[0])
    log.close()  # closing again is a no-op


def test_error_inside_the_block_skips_the_buffered_rows(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    with pytest.raises(ValueError, match="boom"), EventLog(path, chunk_rows=4) as log:
        for row in _rows(6):  # one row group of 4 written, 2 rows buffered
            log.record(*row)
        raise ValueError("boom")
    assert pq.ParquetFile(path).metadata.num_rows == 4


def test_invalid_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="chunk_rows"):
        EventLog(tmp_path / "log.parquet", chunk_rows=0)
    with pytest.raises(FileNotFoundError):
        EventLog(tmp_path / "missing" / "log.parquet")


def test_memory_stays_flat(tmp_path: Path) -> None:
    path = tmp_path / "big.parquet"
    max_buffered = 0
    with EventLog(path, chunk_rows=10_000) as log:
        record = log.record
        for i in range(300_000):
            record(i, i, "retail", "order", "web", 0.0, 1.0, "ok", 1.0)
            if i % 997 == 0:
                max_buffered = max(max_buffered, log.buffered_rows)
        max_buffered = max(max_buffered, log.buffered_rows)
    assert max_buffered <= 10_000
    metadata = pq.ParquetFile(path).metadata
    assert metadata.num_rows == 300_000
    assert metadata.num_row_groups == 30
