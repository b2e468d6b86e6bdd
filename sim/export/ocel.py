"""OCEL 2.0: the run as an object-centric event log, in the standard's JSON or SQLite format.

Every activity row is one event (id ``e<row>``, type = the activity, time = its end) with the
attributes ``resource``, ``outcome``, ``cost`` and ``start`` (its start time), related to the
objects it touches. Objects come from the row's customer and its object tokens (see
:mod:`sim.eventlog`); ids are built from the case, so one journey's objects share its number:

==============  ============================  ==========================================
object type     id                            attributes; relations to other objects
==============  ============================  ==========================================
customer        ``customer-<customer>``       segment
lead            ``lead-<case>``               segment; ``converted to`` the customer
quote           ``quote-<case>``              value; ``for`` the customer
order           ``order-<case>``              value; ``placed by`` the customer,
                                              ``from quote`` its quote
order line      ``line-<case>-<n>``           line; ``line of`` the order
bundle part     ``part-<case>-<supplier>``    supplier; ``part of`` the order
purchase order  ``po-<case>-<supplier>``      supplier; ``orders`` the part, ``for`` the order
delivery        ``delivery-<case>-<n>``       ``ships`` the order (n counts re-shipments)
invoice         ``invoice-<case>``            amount; ``bills`` the order
payment         ``payment-<case>``            amount; ``pays`` the invoice
==============  ============================  ==========================================

A visitor who left on the first page never became a customer (customer id 0): the event is
related to a lead only. A consumer's card capture is both the invoice (receipt) and the
payment. The event-to-object qualifier is the object type.

Objects are written the first time an event touches them; per case only the ids already seen
are kept, and dropped when the case's last row has been read, so memory follows the open cases
(see :mod:`sim.export.source`). JSON is written as one stream of events, then the objects
(collected in a temporary file next to the output); SQLite is filled table by table with the
tables the standard defines (``event``, ``object``, ``event_object``, ``object_object``,
``event_map_type``, ``object_map_type``, one ``event_<Type>`` and ``object_<Type>`` table per
type).
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any, Protocol, TextIO

import numpy as np

from sim.export.source import (
    ACTIVITY,
    COST,
    END_ISO,
    IDX,
    OBJECTS,
    OUTCOME,
    RESOURCE,
    START_ISO,
    VALUE,
    Progress,
    RunSource,
    Scan,
)

#: Object types and their attributes (name, OCEL attribute type).
OBJECT_TYPES: dict[str, tuple[tuple[str, str], ...]] = {
    "customer": (("segment", "string"),),
    "lead": (("segment", "string"),),
    "quote": (("value", "float"),),
    "order": (("value", "float"),),
    "order line": (("line", "integer"),),
    "bundle part": (("supplier", "string"),),
    "purchase order": (("supplier", "string"),),
    "delivery": (),
    "invoice": (("amount", "float"),),
    "payment": (("amount", "float"),),
}
#: Attributes of every event type (name, OCEL attribute type).
EVENT_ATTRIBUTES = (("resource", "string"), ("outcome", "string"), ("cost", "float"),
                    ("start", "time"))
#: Time of an object's initial attribute values (the standard's convention).
INITIAL = "1970-01-01T00:00:00Z"

Obj = tuple[str, str, list[tuple[str, Any]], list[tuple[str, str]]]  # id, type, attrs, o2o
Event = tuple[str, str, str, str, str, float, str, list[tuple[str, str]]]
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class Sink(Protocol):
    """Where events and objects go (the JSON or SQLite writer)."""

    def event(self, ev: Event) -> None:
        """``(id, type, time, resource, outcome, cost, start, [(object id, qualifier)])``."""

    def object(self, obj: Obj) -> None:
        """``(id, type, [(attribute, value)], [(target object id, qualifier)])``."""


def _parse(tokens: str) -> tuple[tuple[str, str], ...]:
    out = []
    for token in tokens.split():
        kind, _, arg = token.partition(":")
        out.append((kind, arg))
    return tuple(out)


def build(source: RunSource, sink: Sink, scan: Scan, progress: Progress | None = None
          ) -> Counter[str]:
    """Stream the run's events and objects into ``sink`` (``scan`` from
    :meth:`RunSource.scan`); returns counts per object type and ``events``."""
    last_row = scan.last_row
    seen_customer = np.zeros(scan.max_customer + 1, dtype=bool)
    state: dict[int, tuple[set[str], list[int]]] = {}  # case -> (object ids seen, deliveries)
    parsed: dict[str, tuple[tuple[str, str], ...]] = {}
    counts: Counter[str] = Counter()
    for case, customer, segment, row in source.rows_with_case(progress):
        st = state.get(case)
        if st is None:
            st = state[case] = (set(), [0])
        seen, deliveries = st
        rels: list[tuple[str, str]] = []
        cust = f"customer-{customer}" if customer else ""
        if customer:
            rels.append((cust, "customer"))
            if not seen_customer[customer]:
                seen_customer[customer] = True
                sink.object((cust, "customer", [("segment", segment)], []))
                counts["customer"] += 1
        tokens = parsed.get(row[OBJECTS])
        if tokens is None:
            tokens = parsed[row[OBJECTS]] = _parse(row[OBJECTS])
        if not customer and ("lead", "") not in tokens:
            tokens = (("lead", ""), *tokens)
        for kind, arg in tokens:
            for obj in _objects(kind, arg, case, cust, segment, row[VALUE], seen, deliveries):
                oid, otype = obj[0], obj[1]
                rels.append((oid, otype))
                if oid not in seen:
                    seen.add(oid)
                    sink.object(obj)
                    counts[otype] += 1
        sink.event((f"e{row[IDX]}", row[ACTIVITY], row[END_ISO], row[RESOURCE], row[OUTCOME],
                    row[COST], row[START_ISO], rels))
        counts["events"] += 1
        if row[IDX] == last_row[case]:
            del state[case]
    return counts


def _objects(kind: str, arg: str, case: int, cust: str, segment: str, value: float,
             seen: set[str], deliveries: list[int]) -> list[Obj]:
    """The objects one token names (with their attributes and relations)."""
    to_customer = [(cust, "for")] if cust else []
    order = f"order-{case}"
    if kind == "lead":
        return [(f"lead-{case}", "lead", [("segment", segment)],
                 [(cust, "converted to")] if cust else [])]
    if kind == "quote":
        return [(f"quote-{case}", "quote", [("value", value)], to_customer)]
    if kind == "order":
        o2o = [(cust, "placed by")] if cust else []
        if f"quote-{case}" in seen:
            o2o.append((f"quote-{case}", "from quote"))
        return [(order, "order", [("value", value)], o2o)]
    if kind == "lines":
        return [(f"line-{case}-{n}", "order line", [("line", n)], [(order, "line of")])
                for n in range(1, int(arg) + 1)]
    if kind == "part":
        return [(f"part-{case}-{arg}", "bundle part", [("supplier", arg)],
                 [(order, "part of")])]
    if kind == "po":
        return [(f"po-{case}-{arg}", "purchase order", [("supplier", arg)],
                 [(f"part-{case}-{arg}", "orders"), (order, "for")])]
    if kind == "delivery":
        deliveries[0] += 1
        return [(f"delivery-{case}-{deliveries[0]}", "delivery", [], [(order, "ships")])]
    if kind == "invoice":
        return [(f"invoice-{case}", "invoice", [("amount", value)], [(order, "bills")])]
    if kind == "payment":
        return [(f"payment-{case}", "payment", [("amount", value)],
                 [(f"invoice-{case}", "pays")])]
    # a token this exporter does not know (a newer simulator): keep it as its own type
    return [(f"{kind}-{case}" + (f"-{arg}" if arg else ""), kind, [], [])]


# -- JSON ---------------------------------------------------------------------------------------
class JsonSink:
    """OCEL 2.0 JSON: ``objectTypes``, ``eventTypes``, ``events`` (streamed), ``objects``."""

    def __init__(self, handle: TextIO, objects_tmp: Path, activities: list[str]) -> None:
        self._out = handle
        self._tmp_path = objects_tmp
        self._tmp = open(objects_tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115
        types = {
            "objectTypes": [{"name": t, "attributes": [{"name": n, "type": k} for n, k in a]}
                            for t, a in OBJECT_TYPES.items()],
            "eventTypes": [{"name": act, "attributes": [{"name": n, "type": k}
                                                        for n, k in EVENT_ATTRIBUTES]}
                           for act in activities],
        }
        head = _encode(types)
        handle.write(head[:-1] + ',\n"events":[\n')
        self._sep = ""
        self._obj_sep = ""

    def event(self, ev: Event) -> None:
        """One event, written at once."""
        eid, etype, time, resource, outcome, cost, start, rels = ev
        attrs = [{"name": "outcome", "value": outcome}, {"name": "cost", "value": cost},
                 {"name": "start", "value": start}]
        if resource:
            attrs.insert(0, {"name": "resource", "value": resource})
        doc = {"id": eid, "type": etype, "time": time, "attributes": attrs,
               "relationships": [{"objectId": o, "qualifier": q} for o, q in rels]}
        self._out.write(self._sep + _encode(doc))
        self._sep = ",\n"

    def object(self, obj: Obj) -> None:
        """One object, kept in the temporary file until the events are done."""
        oid, otype, attrs, rels = obj
        doc: dict[str, Any] = {
            "id": oid, "type": otype,
            "attributes": [{"name": n, "time": INITIAL, "value": v} for n, v in attrs]}
        if rels:
            doc["relationships"] = [{"objectId": o, "qualifier": q} for o, q in rels]
        self._tmp.write(self._obj_sep + _encode(doc))
        self._obj_sep = ",\n"

    def close(self) -> None:
        """Append the objects and close the document."""
        self._tmp.close()
        self._out.write('\n],\n"objects":[\n')
        with open(self._tmp_path, encoding="utf-8", newline="") as tmp:
            shutil.copyfileobj(tmp, self._out, 1 << 20)
        self._out.write("\n]}\n")
        self._tmp_path.unlink()


def write_ocel_json(source: RunSource, handle: TextIO, objects_tmp: Path,
                    progress: Progress | None = None) -> Counter[str]:
    """Write the run as OCEL 2.0 JSON to ``handle`` (objects staged in ``objects_tmp``)."""
    scan = source.scan()
    sink = JsonSink(handle, objects_tmp, scan.activities)
    try:
        counts = build(source, sink, scan, progress)
        sink.close()
    finally:
        if objects_tmp.exists():
            objects_tmp.unlink()
    return counts


# -- SQLite -------------------------------------------------------------------------------------
_SQL_TYPES = {"string": "TEXT", "float": "REAL", "integer": "INTEGER", "time": "TIMESTAMP"}
_BATCH = 20_000


def table_names(types: list[str]) -> dict[str, str]:
    """The standard's type map: names reduced to letters and digits in CamelCase, unique."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for name in types:
        base = "".join(p[:1].upper() + p[1:] for p in re.split(r"[^0-9A-Za-z]+", name) if p)
        base = base or "Type"
        candidate, n = base, 2
        while candidate.casefold() in used:
            candidate, n = f"{base}{n}", n + 1
        used.add(candidate.casefold())
        names[name] = candidate
    return names


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class SqliteSink:
    """OCEL 2.0 SQLite, inserted in batches."""

    def __init__(self, path: Path, activities: list[str]) -> None:
        self.conn = sqlite3.connect(path)
        cur = self.conn.cursor()
        cur.execute("PRAGMA journal_mode=OFF")
        cur.execute("PRAGMA synchronous=OFF")
        self.event_tables = table_names(activities)
        self.object_tables = table_names(list(OBJECT_TYPES))
        script = [
            "CREATE TABLE event_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT)",
            "CREATE TABLE object_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT)",
            "CREATE TABLE event (ocel_id TEXT PRIMARY KEY, ocel_type TEXT, "
            "FOREIGN KEY (ocel_type) REFERENCES event_map_type (ocel_type))",
            "CREATE TABLE object (ocel_id TEXT PRIMARY KEY, ocel_type TEXT, "
            "FOREIGN KEY (ocel_type) REFERENCES object_map_type (ocel_type))",
            "CREATE TABLE event_object (ocel_event_id TEXT, ocel_object_id TEXT, "
            "ocel_qualifier TEXT, PRIMARY KEY (ocel_event_id, ocel_object_id, ocel_qualifier), "
            "FOREIGN KEY (ocel_event_id) REFERENCES event (ocel_id), "
            "FOREIGN KEY (ocel_object_id) REFERENCES object (ocel_id))",
            "CREATE TABLE object_object (ocel_source_id TEXT, ocel_target_id TEXT, "
            "ocel_qualifier TEXT, PRIMARY KEY (ocel_source_id, ocel_target_id, ocel_qualifier), "
            "FOREIGN KEY (ocel_source_id) REFERENCES object (ocel_id), "
            "FOREIGN KEY (ocel_target_id) REFERENCES object (ocel_id))",
        ]
        ev_cols = ", ".join(f"{_q(n)} {_SQL_TYPES[k]}" for n, k in EVENT_ATTRIBUTES)
        for table in self.event_tables.values():
            script.append(f"CREATE TABLE {_q('event_' + table)} (ocel_id TEXT PRIMARY KEY, "
                          f"ocel_time TIMESTAMP, {ev_cols}, "
                          "FOREIGN KEY (ocel_id) REFERENCES event (ocel_id))")
        for otype in self.object_tables:
            script.append(self._object_table(otype))
        for statement in script:
            cur.execute(statement)
        cur.executemany("INSERT INTO event_map_type VALUES (?, ?)", self.event_tables.items())
        cur.executemany("INSERT INTO object_map_type VALUES (?, ?)", self.object_tables.items())
        self._events: list[tuple[str, str]] = []
        self._typed_events: dict[str, list[tuple[Any, ...]]] = {a: [] for a in activities}
        self._e2o: list[tuple[str, str, str]] = []
        self._objects: list[tuple[str, str]] = []
        self._typed_objects: dict[str, list[tuple[Any, ...]]] = {t: [] for t in OBJECT_TYPES}
        self._o2o: list[tuple[str, str, str]] = []

    def event(self, ev: Event) -> None:
        """Buffer one event and its relations."""
        eid, etype, time, resource, outcome, cost, start, rels = ev
        self._events.append((eid, etype))
        self._typed_events[etype].append((eid, time, resource or None, outcome, cost, start))
        self._e2o.extend((eid, o, q) for o, q in rels)
        if len(self._events) >= _BATCH:
            self.flush()

    def object(self, obj: Obj) -> None:
        """Buffer one object and its relations."""
        oid, otype, attrs, rels = obj
        self._objects.append((oid, otype))
        self._typed_objects.setdefault(otype, []).append(
            (oid, "1970-01-01 00:00:00", None, *(v for _, v in attrs)))
        self._o2o.extend((oid, o, q) for o, q in rels)

    def flush(self) -> None:
        """Insert everything buffered."""
        cur = self.conn.cursor()
        cur.executemany("INSERT INTO event VALUES (?, ?)", self._events)
        for act, rows in self._typed_events.items():
            if rows:
                cur.executemany(f"INSERT INTO {_q('event_' + self.event_tables[act])} "
                                "VALUES (?, ?, ?, ?, ?, ?)", rows)
                rows.clear()
        cur.executemany("INSERT INTO event_object VALUES (?, ?, ?)", self._e2o)
        cur.executemany("INSERT INTO object VALUES (?, ?)", self._objects)
        for otype, rows in self._typed_objects.items():
            if rows:
                if otype not in self.object_tables:  # a type this exporter does not know
                    self._add_object_type(otype)
                marks = ", ".join("?" * len(rows[0]))
                cur.executemany(f"INSERT INTO {_q('object_' + self.object_tables[otype])} "
                                f"VALUES ({marks})", rows)
                rows.clear()
        cur.executemany("INSERT OR IGNORE INTO object_object VALUES (?, ?, ?)", self._o2o)
        for buffer in (self._events, self._e2o, self._objects, self._o2o):
            buffer.clear()

    def _object_table(self, otype: str) -> str:
        cols = "".join(f", {_q(n)} {_SQL_TYPES[k]}" for n, k in OBJECT_TYPES.get(otype, ()))
        return (f"CREATE TABLE {_q('object_' + self.object_tables[otype])} (ocel_id TEXT, "
                f"ocel_time TIMESTAMP, ocel_changed_field TEXT{cols}, "
                "FOREIGN KEY (ocel_id) REFERENCES object (ocel_id))")

    def _add_object_type(self, otype: str) -> None:
        self.object_tables[otype] = table_names([*self.object_tables, otype])[otype]
        self.conn.execute(self._object_table(otype))
        self.conn.execute("INSERT INTO object_map_type VALUES (?, ?)",
                          (otype, self.object_tables[otype]))

    def close(self) -> None:
        """Insert the rest and commit."""
        self.flush()
        self.conn.commit()
        self.conn.close()


def write_ocel_sqlite(source: RunSource, path: Path, progress: Progress | None = None
                      ) -> Counter[str]:
    """Write the run as an OCEL 2.0 SQLite database at ``path`` (a new file)."""
    scan = source.scan()
    sink = SqliteSink(path, scan.activities)
    try:
        counts = build(source, sink, scan, progress)
    finally:
        sink.close()
    return counts
