"""Where every customer is now: the data of the workshop's flow view.

:func:`flow_snapshot` reads a running :class:`~sim.model.OmniModel` (public attributes only,
nothing changed): for every station (channel, system, team, warehouse, installers) the work
waiting and in service, and which customers wait in its queue, by segment; for every journey
stage the customers there who are not waiting in a queue. A customer queued at a station is
found through the SimPy request it waits on (``request.proc`` is the customer's journey
process, :attr:`sim.customers.Customer.process`). Work that waits for no single customer
(price changes re-keyed by sales operations, a supplier part on its way) and work held until
a station opens have no customer to name: they are counted as ``unattributed``.

The drawing is :func:`sim.workshop.flowchart.flow_chart`; this module only reads.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim.model import ALL_STAGES
from sim.processmap import NAMES

if TYPE_CHECKING:
    from sim.model import OmniModel

#: Column of the flow view (the process map's columns) of each system and team; channels go
#: left, anything not named here goes to the back office.
COLUMN_OF: dict[str, str] = {
    "crm": "front", "cpq": "front", "pricing": "front", "oms": "front", "order_desk": "front",
    "sales_ops": "front", "erp": "back", "billing": "back", "billing_clerks": "back",
    "payments": "back", "credit_control": "back", "collections": "back", "purchasing": "back",
    "customer_service": "back", "wms": "fulfil", "warehouse": "fulfil",
    "installers": "fulfil",
}
#: Stages the flow view draws as places on the journey (``dormant`` customers, between
#: purchases, are only counted).
JOURNEY = tuple(s for s in ALL_STAGES if s != "dormant")


@dataclass(frozen=True)
class StationNow:
    """One station at one moment.

    Attributes:
        name: the station's name (``call_centre``).
        label: its name on the map (``call centre``).
        kind: ``channel``, ``system``, ``team`` or ``partner``.
        column: ``channel``, ``front``, ``back`` or ``fulfil``.
        waiting: work waiting now (queued, or held until the opening): ``Station.waiting``.
        in_service: work being served now.
        capacity: servers, or None for an unlimited station.
        queued: the customers waiting in its queue, in queue order, as ``(id, segment)``.
    """

    name: str
    label: str
    kind: str
    column: str
    waiting: int
    in_service: int
    capacity: int | None
    queued: tuple[tuple[int, str], ...] = ()

    @property
    def unattributed(self) -> int:
        """Waiting work with no customer to name (see the module's docstring)."""
        return self.waiting - len(self.queued)


@dataclass(frozen=True)
class FlowSnapshot:
    """Where the customers of one company are at one moment.

    Attributes:
        day: simulated days elapsed.
        segments: the scenario's segments, in file order.
        stations: every station, in the model's order.
        at_stage: for each journey stage, the customers there who wait in no station's
            queue, as ``(id, segment)`` in order of arrival.
        stage_counts: customers at each stage (the model's counts, ``dormant`` included).
        journey: the stages drawn, in journey order (``service`` only when the scenario has
            a service segment).
    """

    day: float
    segments: tuple[str, ...]
    stations: dict[str, StationNow]
    at_stage: dict[str, tuple[tuple[int, str], ...]] = field(default_factory=dict)
    stage_counts: dict[str, int] = field(default_factory=dict)
    journey: tuple[str, ...] = JOURNEY

    def queued_by_segment(self) -> Counter[str]:
        """Customers waiting in a queue anywhere, by segment."""
        return Counter(seg for st in self.stations.values() for _, seg in st.queued)

    def longest_queue(self) -> str | None:
        """The station with the most work waiting now (None when nothing waits)."""
        name = max(self.stations, key=lambda n: (self.stations[n].waiting, n), default=None)
        return name if name is not None and self.stations[name].waiting > 0 else None


def column_of(name: str, kind: str) -> str:
    """The flow view's column of a station."""
    return "channel" if kind == "channel" else COLUMN_OF.get(name, "back")


def flow_snapshot(model: OmniModel) -> FlowSnapshot:
    """Where every customer of ``model`` is now (read-only)."""
    agents = list(model.agents)
    by_process: dict[Any, Any] = {getattr(a, "process", None): a for a in agents}
    by_process.pop(None, None)  # customers whose journey has not started wait in no queue
    queued_ids: set[int] = set()
    stations: dict[str, StationNow] = {}
    for name, st in model.stations.items():
        queued = []
        for req in st.queue:
            cust = by_process.get(getattr(req, "proc", None))
            if cust is not None and cust.unique_id not in queued_ids:
                queued.append((int(cust.unique_id), str(cust.segment)))
                queued_ids.add(cust.unique_id)
        stations[name] = StationNow(
            name, NAMES.get(name, name.replace("_", " ")), st.kind, column_of(name, st.kind),
            int(st.waiting), int(st.in_service), None if st.infinite else int(st.capacity),
            tuple(queued))
    at_stage: dict[str, list[tuple[int, str]]] = {s: [] for s in JOURNEY}
    for agent in agents:
        stage = getattr(agent, "stage", None)
        if stage in at_stage and agent.unique_id not in queued_ids:
            at_stage[stage].append((int(agent.unique_id), str(agent.segment)))
    service = any(seg.kind == "service" for seg in model.scenario.segments.values())
    return FlowSnapshot(
        day=model.env.now / 24.0, segments=tuple(model.scenario.segments), stations=stations,
        at_stage={s: tuple(sorted(v)) for s, v in at_stage.items()},
        stage_counts={s: int(n) for s, n in model.stage_counts.items()},
        journey=tuple(s for s in JOURNEY if service or s != "service"))
