"""What :func:`analysis.results.load` accepts: the shape of every file of a results folder.

A folder omnisim wrote always passes. A hand-edited or damaged one (``kpis.json`` holding a
list, a Parquet table with a missing or duplicated column, a manifest without its
``parameters``, a truncated event log ...) fails here with one :class:`ResultsError` line
naming the file and what is wrong, before a figure, the report or an export reads it; never a
traceback from deep inside pandas or matplotlib. The checks are about shape (types, columns,
keys), not about numbers: a run's numbers are the run's.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from sim.results import COMPLETE, ResultsError

#: ``kind`` values of a manifest
KINDS = ("run", "compare", "sweep")
#: columns of the tidy compare table (``replications.parquet``) and their kinds
COMPARE_COLUMNS = {"scenario_index": "integer", "scenario": "text", "replication": "integer",
                   "seed": "integer", "kpi": "text", "value": "number"}
#: columns every sweep table (``results.parquet``) has, besides its parameters and KPIs
SWEEP_COLUMNS = {"point": "integer", "replication": "integer", "seed": "integer",
                 "params": "text", "checks_ok": "boolean"}
#: columns of ``summary.csv`` the figures and the report read
SUMMARY_COLUMNS = {"scenario": "text", "scenario_index": "integer", "kpi": "text",
                   "mean": "number", "ci_low": "number", "ci_high": "number",
                   "diff_mean": "number", "diff_ci_low": "number", "diff_ci_high": "number"}
#: event-log columns the figures read
EVENTLOG_COLUMNS = {"case": "integer", "segment": "text", "activity": "text",
                    "start": "number", "end": "number"}


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def read_json(path: Path) -> Any:
    """A JSON file, or one line naming it (missing, unreadable, bad JSON, NaN spelled out)."""
    def constant(word: str) -> float:
        raise ValueError(f"{word} is not JSON")

    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_constant=constant)
    except FileNotFoundError:
        raise ResultsError(f"{path}: missing") from None
    except IsADirectoryError:
        raise ResultsError(f"{path}: is a folder, not a file") from None
    except OSError as err:
        raise ResultsError(f"{path}: cannot read ({err.strerror})") from None
    except (ValueError, RecursionError) as err:  # UnicodeDecodeError is a ValueError
        raise ResultsError(f"{path}: bad JSON ({str(err)[:120]})") from None


def read_yaml(path: Path) -> dict[str, Any]:
    """A resolved scenario kept in a folder (``scenario.yaml``), or one line naming it."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, OverflowError, RecursionError,
            yaml.YAMLError) as err:  # a bad date or '!!int abc' raise ValueError
        first = (str(err).splitlines() or [""])[0][:120] or type(err).__name__
        raise ResultsError(f"{path}: cannot read the resolved scenario ({first})") from None
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: expected a mapping (the resolved scenario), "
                           f"found {type(data).__name__}")
    return data


def read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet table with unique column names, or one line naming the file."""
    if not path.is_file():
        raise ResultsError(f"{path}: missing")
    try:
        import pyarrow.parquet as pq

        table = pq.read_table(path)
    except Exception as err:  # noqa: BLE001 - pyarrow raises many kinds; one line for the user
        raise ResultsError(f"{path}: not a readable Parquet file ({type(err).__name__})") \
            from None
    twice = sorted({n for n in table.column_names if table.column_names.count(n) > 1})
    if twice:
        raise ResultsError(f"{path}: column {', '.join(map(repr, twice))} appears twice")
    try:
        return table.to_pandas()
    except Exception as err:  # noqa: BLE001 - e.g. a pandas metadata block edited by hand
        raise ResultsError(f"{path}: cannot be read as a table ({type(err).__name__})") \
            from None


def read_csv(path: Path) -> pd.DataFrame:
    """A CSV table with unique column names, or one line naming the file."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), [])
        frame = pd.read_csv(path)
    except (OSError, ValueError, csv.Error, pd.errors.ParserError) as err:
        first = (str(err).splitlines() or [type(err).__name__])[0][:120]
        raise ResultsError(f"{path}: not a readable CSV table ({first})") from None
    twice = sorted({n for n in header if header.count(n) > 1})
    if twice:
        raise ResultsError(f"{path}: column {', '.join(map(repr, twice))} appears twice")
    return frame


def check_manifest(manifest: Any, path: Path) -> str:
    """The manifest's kind, after checking the fields :func:`load` and the figures read."""
    if not isinstance(manifest, dict):
        raise ResultsError(f"{path}: expected a JSON object, found {type(manifest).__name__}")
    if manifest.get("status") != COMPLETE:
        raise ResultsError(f"{path}: not complete (status {manifest.get('status')!r})")
    kind = manifest.get("kind", "run")
    if kind not in KINDS:
        raise ResultsError(f"{path}: unknown kind {kind!r} (run, compare or sweep)")
    _field(manifest, path, "scenario", str, required=kind != "compare")
    for key in ("days", "warmup_days"):
        if not _is_number(manifest.get(key)) or _bad_float(manifest.get(key)):
            raise ResultsError(f"{path}: {key} {manifest.get(key)!r} is not a number")
    _field(manifest, path, "bottleneck", str)
    if kind == "run":
        seed = manifest.get("seed")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ResultsError(f"{path}: seed {seed!r} is not a non-negative integer")
    else:
        reps = manifest.get("replications")
        if reps is not None and (isinstance(reps, bool) or not isinstance(reps, int)
                                 or reps < 1):
            raise ResultsError(f"{path}: replications {reps!r} is not a positive integer")
    if kind == "compare":
        _texts(manifest.get("scenarios"), path, "scenarios", required=True)
    if kind == "sweep":
        _texts(manifest.get("parameters"), path, "parameters", required=True)
        _texts(manifest.get("vary", []), path, "vary")
        _field(manifest, path, "design", str)
    _texts(manifest.get("overrides", []), path, "overrides")
    _texts(manifest.get("warnings", []), path, "warnings", what="sentences")
    return str(kind)


def _bad_float(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _field(manifest: dict[str, Any], path: Path, key: str, kind: type,
           required: bool = False) -> None:
    value = manifest.get(key)
    if (value is None and required) or (value is not None and not isinstance(value, kind)):
        raise ResultsError(f"{path}: {key} {value!r} is not a {kind.__name__}"
                           + (" (required)" if required else ""))


def _texts(value: Any, path: Path, key: str, required: bool = False,
           what: str = "names") -> None:
    if value is None and not required:
        return
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or \
            (required and not value):
        raise ResultsError(f"{path}: {key} must be a list of {what}, found {value!r:.80}")


def check_numbers(tree: Any, path: Path, what: str = "KPIs") -> dict[str, Any]:
    """A nested object whose every leaf is a number or null (``kpis.json``)."""
    if not isinstance(tree, dict):
        raise ResultsError(f"{path}: expected a JSON object of {what}, "
                           f"found {type(tree).__name__}")
    stack: list[tuple[str, Any]] = list(tree.items())
    while stack:
        key, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((f"{key}.{k}", v) for k, v in value.items())
        elif not _is_number(value):
            raise ResultsError(f"{path}: {key} is {value!r:.60}, not a number or null")
    return tree


def check_stations(stations: Any, path: Path) -> dict[str, dict[str, Any]]:
    """``stations.json``: an object of stations, each an object of numbers."""
    if not isinstance(stations, dict):
        raise ResultsError(f"{path}: expected a JSON object of stations, "
                           f"found {type(stations).__name__}")
    for name, stats in stations.items():
        if not isinstance(stats, dict):
            raise ResultsError(f"{path}: station {name!r} is {stats!r:.60}, not an object")
        check_numbers(stats, path, f"statistics of {name}")
    return stations


def check_columns(frame: pd.DataFrame, path: Path, required: dict[str, str],
                  text: Iterable[str] = (), rows: bool = True) -> pd.DataFrame:
    """Required columns of the right kind; every other column numeric unless in ``text``;
    at least one row unless ``rows`` is False."""
    if rows and len(frame) == 0:
        raise ResultsError(f"{path}: the table has no rows")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ResultsError(f"{path}: no column {', '.join(map(repr, missing))}")
    texts = set(text)
    for col in frame.columns:
        kind = required.get(col, "any text" if col in texts else "number")
        if kind == "text" and frame[col].isna().any():
            raise ResultsError(f"{path}: column {col!r} has empty cells")
        if not _of_kind(frame[col], kind):
            raise ResultsError(f"{path}: column {col!r} should hold {kind}s, "
                               f"not {frame[col].dtype}")
    return frame


def _of_kind(column: pd.Series, kind: str) -> bool:
    api = pd.api.types
    if kind in ("text", "any text"):
        return True  # figures format labels with str(); any value reads as text
    if kind == "boolean":
        return bool(api.is_bool_dtype(column)) or bool(column.dropna().isin([0, 1]).all())
    if kind == "integer":
        return bool(api.is_integer_dtype(column))
    return (bool(api.is_numeric_dtype(column)) or bool(api.is_bool_dtype(column))) \
        and not api.is_complex_dtype(column)


def check_schema(path: Path, required: Iterable[str]) -> None:
    """A Parquet file's footer: readable, unique column names, the ``required`` ones there
    (cheap: the data is not read)."""
    if not path.is_file():
        raise ResultsError(f"{path}: missing")
    try:
        import pyarrow.parquet as pq

        names = pq.read_schema(path).names
    except Exception as err:  # noqa: BLE001 - pyarrow raises many kinds; one line for the user
        raise ResultsError(f"{path}: not a readable Parquet file ({type(err).__name__})") \
            from None
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ResultsError(f"{path}: column {', '.join(map(repr, twice))} appears twice")
    missing = [c for c in required if c not in names]
    if missing:
        raise ResultsError(f"{path}: no column {', '.join(map(repr, missing))}")


def check_unique(frame: pd.DataFrame, path: Path, keys: list[str]) -> None:
    """No two rows with the same ``keys`` (a replication written twice)."""
    twice = frame.duplicated(keys)
    if twice.any():
        row = frame.loc[twice, keys].iloc[0].to_dict()
        raise ResultsError(f"{path}: two rows for {row}")
