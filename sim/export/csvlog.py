"""CSV: one row per activity, case by case, with the columns process-mining tools map.

Columns (header row first): ``case_id``, ``activity``, ``start_timestamp``, ``timestamp`` (the
end; ISO 8601), ``resource``, ``outcome`` (of the step), ``cost``, ``customer``, ``segment``,
then the case attributes repeated on every row: ``case_outcome``, ``case_lead`` and
``order_value`` (see :mod:`sim.export.xes`). Rows of a case are consecutive, in order of start
time; cases follow in the order they ended. In Disco or Celonis map ``case_id`` to the case,
``activity`` to the activity, ``start_timestamp`` and ``timestamp`` to the start and end
timestamps and ``resource`` to the resource.
"""

from __future__ import annotations

import csv
from typing import TextIO

from sim.export.source import (
    ACTIVITY,
    COST,
    END,
    END_ISO,
    IDX,
    OUTCOME,
    RESOURCE,
    START,
    START_ISO,
    Progress,
    RunSource,
)

HEADER = ("case_id", "activity", "start_timestamp", "timestamp", "resource", "outcome", "cost",
          "customer", "segment", "case_outcome", "case_lead", "order_value")


def write_csv(source: RunSource, handle: TextIO, progress: Progress | None = None
              ) -> dict[str, int]:
    """Write the run's event log to ``handle`` as CSV; returns ``{"cases": n, "rows": n}``."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(HEADER)
    cases = rows = 0
    for case in source.cases(source.scan(), progress):
        lead = "true" if case.lead else "false"
        value = repr(case.value) if case.value > 0 else ""
        customer = case.customer or ""
        ordered = sorted(case.rows, key=lambda r: (r[START], r[END], r[IDX]))
        writer.writerows(
            (case.case, r[ACTIVITY], r[START_ISO], r[END_ISO], r[RESOURCE], r[OUTCOME],
             repr(r[COST]), customer, case.segment, case.outcome, lead, value)
            for r in ordered)
        cases += 1
        rows += len(ordered)
    return {"cases": cases, "rows": rows}
