"""XES (IEEE 1849-2016): one trace per customer journey, written case by case.

Every activity row becomes two events sharing a ``concept:instance``: ``lifecycle:transition``
``start`` at its start and ``complete`` at its end, each with ``concept:name`` (the journey
step), ``time:timestamp`` and ``org:resource`` (channel, system, team or partner; left out if
none); the ``complete`` event also carries the step's ``outcome`` and ``cost:total``. Events of
a trace are in time order (ties: log order, start before complete of the same activity).

Trace attributes: ``concept:name`` (the case id), ``customer``, ``segment``, ``outcome``
(see :meth:`~sim.export.source.RunSource.summarise`), ``lead`` (the journey began with a new
lead, i.e. it is a first purchase) and ``order_value`` (the quote or order value, if any).
"""

from __future__ import annotations

from typing import TextIO
from xml.sax.saxutils import quoteattr

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
    Case,
    Progress,
    RunSource,
)

XES_VERSION = "1849-2016"

_HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <extension name="Lifecycle" prefix="lifecycle" \
uri="http://www.xes-standard.org/lifecycle.xesext"/>
  <extension name="Cost" prefix="cost" uri="http://www.xes-standard.org/cost.xesext"/>
  <global scope="trace">
    <string key="concept:name" value="__INVALID__"/>
  </global>
  <global scope="event">
    <string key="concept:name" value="__INVALID__"/>
    <string key="lifecycle:transition" value="complete"/>
    <date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
  </global>
  <classifier name="Activity" keys="concept:name"/>
  <classifier name="Activity and lifecycle" keys="concept:name lifecycle:transition"/>
  <classifier name="Resource" keys="org:resource"/>
"""


class _Quote(dict[str, str]):
    """Memoised XML attribute quoting (the same few hundred strings recur millions of times)."""

    def __missing__(self, key: str) -> str:
        value = self[key] = quoteattr(key)
        return value


def write_xes(source: RunSource, handle: TextIO, progress: Progress | None = None
              ) -> dict[str, int]:
    """Write the run's event log to ``handle`` as XES; returns ``{"traces": n, "events": n}``."""
    q = _Quote()
    write = handle.write
    write(_HEADER)
    write(f'  <string key="concept:name" value={q[f"{source.label} seed {source.seed}"]}/>\n')
    write(f'  <string key="scenario" value={q[source.label]}/>\n')
    write(f'  <date key="start_date" value="{source.iso_of(0.0)}"/>\n')
    traces = events = 0
    for case in source.cases(source.scan(), progress):
        write(_trace(case, q))
        traces += 1
        events += 2 * len(case.rows)
    write("</log>\n")
    return {"traces": traces, "events": events}


def _trace(case: Case, q: _Quote) -> str:
    out = ["  <trace>\n",
           f'    <string key="concept:name" value="{case.case}"/>\n',
           f'    <string key="segment" value={q[case.segment]}/>\n',
           f'    <string key="outcome" value={q[case.outcome]}/>\n',
           f'    <boolean key="lead" value="{"true" if case.lead else "false"}"/>\n']
    if case.customer:
        out.append(f'    <string key="customer" value="{case.customer}"/>\n')
    if case.value > 0:
        out.append(f'    <float key="order_value" value="{case.value!r}"/>\n')
    # (time, log order, 0 = start / 1 = complete): a zero-length step logged inside a longer
    # one opens and closes before the longer one closes
    events = [(row[START], row[IDX], 0, row) for row in case.rows]
    events += [(row[END], row[IDX], 1, row) for row in case.rows]
    events.sort(key=lambda e: e[:3])
    for _, _, complete, row in events:
        out.append("    <event>\n"
                   f'      <string key="concept:name" value={q[row[ACTIVITY]]}/>\n')
        if complete:
            out.append('      <string key="lifecycle:transition" value="complete"/>\n'
                       f'      <date key="time:timestamp" value="{row[END_ISO]}"/>\n')
        else:
            out.append('      <string key="lifecycle:transition" value="start"/>\n'
                       f'      <date key="time:timestamp" value="{row[START_ISO]}"/>\n')
        out.append(f'      <string key="concept:instance" value="{row[IDX]}"/>\n')
        if row[RESOURCE]:
            out.append(f'      <string key="org:resource" value={q[row[RESOURCE]]}/>\n')
        if complete:
            out.append(f'      <string key="outcome" value={q[row[OUTCOME]]}/>\n'
                       f'      <float key="cost:total" value="{row[COST]!r}"/>\n')
        out.append("    </event>\n")
    out.append("  </trace>\n")
    return "".join(out)
