"""The Mesa model that owns the SimPy clock, the random streams and every resource.

``OmniModel`` builds one company from a validated :class:`~sim.scenario.Scenario`:

- a ``simpy.Environment`` (the clock; simulated time in hours),
- named random streams from one seed (:mod:`sim.streams`), one per source of randomness,
- a :class:`~sim.resources.Station` per channel, system, team and partner,
- a :class:`~sim.links.Link` per integration link, the inventory and the price masters,
- lead arrival processes per segment and source (non-homogeneous Poisson by inversion),
- a Mesa ``DataCollector`` sampled every ``sample_interval``.

Customers are Mesa agents (:mod:`sim.customers`); each runs its journey as a SimPy process and
leaves the model when its relationship ends, so memory stays flat over long horizons.
"""

from __future__ import annotations

import gc
import math
import threading
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any

import mesa
import pandas as pd
import simpy
from mesa.agent import AgentSet

from sim.calendar import DemandProfile
from sim.checks import scan_in_flight
from sim.eventlog import EventLog
from sim.installers import InstallerCalendar
from sim.inventory import Inventory
from sim.journey import shop
from sim.kpis import Ledger, compute_kpis
from sim.links import Link
from sim.opening import OpeningBalances
from sim.resources import INFINITE, Station
from sim.scenario import Scenario, ServiceSegment
from sim.segments import SegmentRuntime
from sim.staffing import start_planners
from sim.streams import Streams

#: Journey stages shown in the time series (customers currently at each).
STAGES = ("lead", "sales", "quote", "cart", "order", "fulfilment", "invoice", "payment",
          "after_sale", "dormant")
#: Every stage a customer can be at: the journey stages and ``service`` (a service request on
#: its route, :mod:`sim.journey.service`).
ALL_STAGES = (*STAGES, "service")


def station_capacity(sc: Scenario, station: str) -> int:
    """Servers of a station: a staffed channel's staff (an unstaffed one is unlimited), a
    system's capacity, a team's staff, the warehouse's pickers, the installers' teams."""
    if station in sc.channels:
        ch = sc.channels[station]
        return ch.staff if ch.staffed else INFINITE
    if station in sc.systems:
        return sc.systems[station].capacity
    if station in sc.teams:
        return sc.teams[station].staff
    if station == "warehouse":
        return sc.warehouse.pickers
    if station == "installers" and sc.partners.installers is not None:
        return sc.partners.installers.teams
    raise KeyError(f"no station {station!r} in scenario {sc.name!r}")


#: garbage-collector thresholds while a run is in progress (see fewer_gc_passes)
GC_THRESHOLDS = (50_000, 50, 100)
_gc_lock = threading.Lock()
_gc_users = 0
_gc_saved: tuple[int, int, int] | None = None


@contextmanager
def fewer_gc_passes() -> Iterator[None]:
    """Run with rarer cyclic garbage collections, restoring the thresholds afterwards.

    A run allocates millions of short-lived objects (events, generators, customers) that
    reference counting frees; Python's default thresholds then trigger full collections over
    an ever larger live heap, which made run time grow faster than demand (benchmarks/
    scaling.py: exponent 1.19 with the defaults, 1.07 with these). Nested and concurrent runs
    (threads of the workshop server) share one saved setting.
    """
    global _gc_users, _gc_saved
    with _gc_lock:
        if _gc_users == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(*GC_THRESHOLDS)
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0 and _gc_saved is not None:
                gc.set_threshold(*_gc_saved)


class OmniModel(mesa.Model):
    """One simulated company.

    Args:
        scenario: the validated scenario.
        seed: overrides ``scenario.seed``.
        eventlog: where activity rows go (``EventLog(None)`` counts only).
    """

    def __init__(self, scenario: Scenario, *, seed: int | None = None,
                 eventlog: EventLog | None = None):
        self.scenario = scenario
        self.seed_value = scenario.seed if seed is None else int(seed)
        # Mesa's own generators are seeded too, but no model code draws from them: every
        # draw comes from a named stream so that scenarios share common random numbers.
        super().__init__(seed=self.seed_value)
        self.env = simpy.Environment()
        self.streams = Streams(self.seed_value)
        self.eventlog = eventlog if eventlog is not None else EventLog(None)
        #: whether event-log rows carry business objects (Customer.log)
        self.log_objects: bool = getattr(self.eventlog, "with_objects", False)
        self.offset = scenario.start_date.weekday() * 24.0
        self.warmup = scenario.warmup
        self.ledger = Ledger()
        #: customers at each stage now (a plain dict: Customer.set_stage runs a few times per
        #: customer, and an unknown stage raises KeyError)
        self.stage_counts: dict[str, int] = dict.fromkeys(ALL_STAGES, 0)
        self.terminal: Counter[str] = Counter()
        self.dormant: dict[int, Any] = {}
        self.network: dict[int, list[int]] = {}
        self.market_stream = self.streams.get("market.member")  # who a new lead is
        self.market_size = scenario.market.addressable_customers
        self.customers_ever: set[int] = set()
        #: the customer base per segment: customers who have ordered and are still customers
        #: (the opening base from the start); joins and leaves since the start (sim.steady)
        self.base: Counter[str] = Counter()
        self.base_joins: Counter[str] = Counter()
        self.base_leaves: Counter[str] = Counter()
        self._case = 0
        self.created = 0
        self._build_stations()
        self.links = {name: Link(self, name, spec) for name, spec in scenario.links.items()}
        self.inventory = Inventory(self)
        self.opening = OpeningBalances(self)
        self._build_prices()
        self._build_segments()
        self.datacollector = mesa.DataCollector(model_reporters=self._reporters())
        self.env.process(self._sampler())
        self.env.process(self._warmup_end())
        if scenario.crm.promotions is not None:
            self.env.process(self._promotions())

    # -- construction -------------------------------------------------------------------------
    def _build_stations(self) -> None:
        sc, env, off = self.scenario, self.env, self.offset
        st: dict[str, Station] = {}
        for name, ch in sc.channels.items():
            st[name] = Station(env, name, "channel", station_capacity(sc, name), ch.hours, off,
                               ch.cost_per_staff_hour if ch.staffed else 0.0,
                               pause_when_closed=False)
        for name in sc.systems:
            st[name] = Station(env, name, "system", station_capacity(sc, name), None, off)
        for name, tm in sc.teams.items():
            st[name] = Station(env, name, "team", station_capacity(sc, name), tm.hours, off,
                               tm.cost_per_staff_hour)
        wh = sc.warehouse
        st["warehouse"] = Station(env, "warehouse", "team", station_capacity(sc, "warehouse"),
                                  wh.hours, off, wh.cost_per_picker_hour)
        inst = sc.partners.installers
        if inst is not None:
            st["installers"] = Station(env, "installers", "partner",
                                       station_capacity(sc, "installers"), inst.hours, off)
            self.installer_calendar = InstallerCalendar(inst, off)
        self.stations = st
        #: the staffing planners of the stations staffed by a policy (sim/staffing.py)
        self.planners = start_planners(env, st, sc)

    def _build_prices(self) -> None:
        """Price changes made in one master reach the others through ``master_sync``; while a
        change is on its way, channels quote different prices for that SKU. Product-data
        changes (``catalog.product_changes_per_day``) travel the same way between product
        masters; an order line taken on a SKU whose change is still on its way carries the
        wrong item data (:meth:`item_data_stale`)."""
        n = self.scenario.catalog.skus
        self.price_pending = [0] * n
        self.item_pending = [0] * n
        self.price_changes = 0
        cat, masters = self.scenario.catalog, self.scenario.data_masters
        if masters.price > 1 and cat.price_changes_per_day:
            self.env.process(self._master_changes(
                "prices", cat.price_changes_per_day, masters.price, self.price_pending))
        if masters.product > 1 and cat.product_changes_per_day:
            self.env.process(self._master_changes(
                "items", cat.product_changes_per_day, masters.product, self.item_pending))

    def _build_segments(self) -> None:
        from sim.customers import Customer

        self.segment_runtime: dict[str, SegmentRuntime] = {}
        cal = self.scenario.calendar
        peaks = [(p.start, p.start + p.length, p.factor) for p in cal.peaks]
        self.profile = DemandProfile(cal.hourly_profile, cal.weekly_profile, peaks, self.offset)
        for name, seg in self.scenario.segments.items():
            self.segment_runtime[name] = SegmentRuntime.build(name, self.scenario, self.streams)
            if not isinstance(seg, ServiceSegment):
                owned = round(seg.existing_customers * getattr(seg, "reseller_share", 0.0))
                for i in range(seg.existing_customers):  # the first ``owned`` are resellers'
                    Customer(self, name, "reseller" if i < owned else "organic", existing=True)
            total = sum(seg.lead_sources.values())
            for source, share in seg.lead_sources.items():
                if source == "referral":
                    continue  # referrals arise from word of mouth, not from a rate
                rate = seg.leads_per_day * share / total / 24.0
                if rate > 0:
                    self.env.process(self._arrivals(name, source, rate))

    def _reporters(self) -> dict[str, Callable[[OmniModel], Any]]:
        rep: dict[str, Callable[[OmniModel], Any]] = {
            "time_h": lambda m: m.env.now,
            "customers_active": lambda m: len(m._agents),
            "orders": lambda m: m.ledger.n["orders"],
            "cash_collected": lambda m: m.ledger.money["cash"],
            "receivables": lambda m: m.ledger.ar,
            "orders_placed": lambda m: m.ledger.orders_opened_all,
            "orders_open": lambda m: m.ledger.orders_open,
        }
        for stage in STAGES:
            rep[f"stage.{stage}"] = (lambda s: lambda m: m.stage_counts[s])(stage)
        for name in self.stations:
            rep[f"queue.{name}"] = (lambda n: lambda m: len(m.stations[n].queue))(name)
            rep[f"busy.{name}"] = (lambda n: lambda m: m.stations[n].in_service)(name)
        return rep

    # -- Mesa's agent registry ----------------------------------------------------------------
    # Customers come and go by the hundred thousand. For every agent Mesa's Model adds an entry
    # to its dict of agents and to two weak AgentSets (all agents, agents by type), removes all
    # three again when the agent leaves, and formats a debug message both times: about 9% of the
    # instructions of benchmarks/engine.py's omnisim run. OmniModel keeps only Mesa's dict
    # (hard references, in order of arrival) and builds the AgentSets when they are asked for
    # (the sampler, the in-flight scan, tests), which is rare.
    def register_agent(self, agent: mesa.Agent) -> None:
        """Register an agent (called by ``mesa.Agent.__init__``)."""
        self._agents[agent] = None

    def deregister_agent(self, agent: mesa.Agent) -> None:
        """Deregister an agent (called by ``mesa.Agent.remove``)."""
        del self._agents[agent]

    @property
    def agents(self) -> AgentSet:
        """An AgentSet of the agents in the model now (built on each access)."""
        return AgentSet(self._agents, random=self.random)

    @property
    def agents_by_type(self) -> dict[type[mesa.Agent], AgentSet]:
        """An AgentSet per agent class (built on each access)."""
        by: dict[type[mesa.Agent], list[mesa.Agent]] = {}
        for agent in self._agents:
            by.setdefault(type(agent), []).append(agent)
        return {t: AgentSet(a, random=self.random) for t, a in by.items()}

    @property
    def agent_types(self) -> list[type]:
        """The agent classes present in the model."""
        return list(self.agents_by_type)

    # -- processes ----------------------------------------------------------------------------
    def _arrivals(self, segment: str, source: str, rate_per_hour: float
                  ) -> Generator[simpy.Event, Any, None]:
        from sim.customers import Customer

        env = self.env
        gap = self.streams.get(f"arrivals.{segment}.{source}")
        advance = self.profile.advance
        b2c = self.scenario.segments[segment].kind == "b2c"
        while True:
            t = advance(env.now, gap.exponential(1.0) / rate_per_hour)
            yield env.timeout(t - env.now)
            if not b2c:
                Customer(self, segment, source)
                continue
            cohort = self.in_window(t)
            channel, lost = shop.landing(self, segment, cohort)
            if lost is None:
                Customer(self, segment, source, channel=channel)
            else:  # left on the first page: a lead that never becomes a customer agent
                self.count_lead(segment, source, cohort)
                self.created += 1
                self.terminal[f"lost:{lost}"] += 1
                if channel is not None:
                    case = self.next_case()
                    self.eventlog.record(case, 0, segment, "visit", channel, t, t, "bounced")

    def count_lead(self, segment: str, source: str, cohort: bool) -> None:
        """A lead arrived: counted for its segment and source, and its acquisition cost."""
        if not cohort:  # only leads of the statistics window are counted
            return
        keys = self.segment_runtime[segment].lead_keys[source]  # every source has its keys
        n = self.ledger.n
        n["leads"] += 1
        n[keys[0]] += 1
        n[keys[1]] += 1
        self.ledger.cost("acquisition", keys[2], segment)

    def _warmup_end(self) -> Generator[simpy.Event, Any, None]:
        if self.warmup > 0:
            yield self.env.timeout(self.warmup)
        for s in self.stations.values():
            s.reset_stats()
        for link in self.links.values():
            link.reset_stats()
        self.ledger.start_window(self.env.now, self)

    def _sampler(self) -> Generator[simpy.Event, Any, None]:
        while True:
            self.datacollector.collect(self)
            self.ledger.sample_balances(self.inventory.value)
            yield self.env.timeout(self.scenario.sample_interval)

    def _master_changes(self, kind: str, per_day: float, masters: int, pending: list[int]
                        ) -> Generator[simpy.Event, Any, None]:
        """Changes of ``kind`` (``prices``, ``items``) at ``per_day``, each copied to the
        other ``masters - 1`` masters through ``master_sync``."""
        gap = self.streams.get(f"{kind}.change_gap")
        pick = self.streams.get(f"{kind}.sku")
        rate = per_day / 24.0
        n = self.scenario.catalog.skus
        while True:
            yield self.env.timeout(gap.exponential(1.0 / rate))
            if kind == "prices":
                self.price_changes += 1
            self.env.process(self._propagate(pick.integers(n), masters, pending))

    def _propagate(self, sku: int, masters: int, pending: list[int]
                   ) -> Generator[simpy.Event, Any, None]:
        pending[sku] += 1
        link = self.links["master_sync"]
        for _ in range(masters - 1):
            yield from link.transfer()
        pending[sku] -= 1

    def _promotions(self) -> Generator[simpy.Event, Any, None]:
        """The CRM sends offers to dormant customers; a response brings the next purchase
        forward. With a single customer view, offers are targeted (``targeted_lift``)."""
        promo = self.scenario.crm.promotions
        assert promo is not None
        resp = self.streams.get("crm.promotion_response")
        p = self.scenario.crm.offer_response
        while True:
            yield self.env.timeout(promo.interval)
            for cust in list(self.dormant.values()):
                self.ledger.count("promotions_sent")
                self.ledger.cost("marketing", promo.cost_per_offer, cust.segment)
                if resp.random() < p:
                    self.ledger.count("promotion_responses")
                    cust.wake()

    # -- services used by journeys ------------------------------------------------------------
    def next_case(self) -> int:
        """A new journey (case) id."""
        self._case += 1
        return self._case

    def price_mismatch(self, sku: int) -> bool:
        """Whether channels currently disagree on the SKU's price."""
        return self.price_pending[sku] > 0

    def item_data_stale(self, sku: int) -> bool:
        """Whether the product masters currently disagree on the SKU's item data."""
        return self.item_pending[sku] > 0

    def in_window(self, t: float) -> bool:
        """Whether ``t`` is after the warm-up (counted in statistics)."""
        return t >= self.warmup

    def neighbours(self, market_id: int) -> list[int]:
        """Word-of-mouth neighbours of a market member (adjacency list, made on first use)."""
        nb = self.network.get(market_id)
        if nb is None:
            rnd = self.streams.get("market.network")
            n = self.scenario.market.addressable_customers
            nb = [rnd.integers(n) for _ in range(self.scenario.market.network_degree)]
            self.network[market_id] = nb
        return nb

    # -- running ------------------------------------------------------------------------------
    def run(self, days: float | None = None,
            progress: Callable[[float, float], None] | None = None) -> None:
        """Run to the horizon (or ``days``), calling ``progress(now, end)`` every simulated day."""
        end = self.scenario.horizon if days is None else days * 24.0
        if end <= self.warmup:
            raise ValueError(f"run length {end / 24:g} d must exceed the warm-up "
                             f"{self.warmup / 24:g} d")
        self.horizon = end
        step = 24.0
        t = 0.0
        with fewer_gc_passes():
            while t < end:
                t = min(t + step, end)
                self.env.run(until=t)
                if progress is not None:
                    progress(t, end)
        self.finish_run()

    def finish_run(self) -> None:
        """End the run at the current time: a last DataCollector sample, the in-flight scan
        (``self.in_flight``) and the ``in_flight`` terminal state of every customer still on
        a journey. :meth:`run` calls it at its end; the workshop at the horizon."""
        self.datacollector.collect(self)
        self.in_flight = scan_in_flight(self)
        self.finish_in_flight()

    def finish_in_flight(self) -> None:
        """Customers still on a journey at the horizon end in the ``in_flight`` state."""
        for agent in list(self._agents):
            agent.finish("in_flight")

    def kpis(self) -> dict[str, Any]:
        """KPIs of the statistics window (see ``docs/kpis.md``)."""
        return compute_kpis(self)

    def timeseries(self) -> pd.DataFrame:
        """The DataCollector's samples as a tidy frame (one row per sample time)."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        return df

    def waiting(self) -> dict[str, dict[str, float]]:
        """Hours of waiting in the window by cause: for the opening (``closed``, per station),
        for a busy server (``busy``, per station) and for a batch run (``batch``, per batch
        link); only the busy-server waits point at a resource short of capacity."""
        stats = self.station_stats()
        return {
            "busy": {n: s["wait_busy_hours"] for n, s in stats.items() if s["wait_busy_hours"]},
            "closed": {n: s["wait_closed_hours"] for n, s in stats.items()
                       if s["wait_closed_hours"]},
            "batch": {n: link.batch_wait_hours for n, link in self.links.items()
                      if link.batch_wait_hours},
        }

    def station_stats(self) -> dict[str, dict[str, float]]:
        """Window statistics of every station."""
        return {n: s.snapshot(self.env.now) for n, s in self.stations.items()}


def bottleneck(stats: dict[str, dict[str, float]]) -> tuple[str, float]:
    """Name and utilisation of the resource that limits flow: the station with servers (not
    unlimited) and work in the window that is busiest while open (work / open capacity,
    ``utilisation``); on a tie the one where more hours were spent waiting for a busy server
    (``wait_busy_hours``). Waiting for the opening (``wait_closed_hours``) or for a batch
    run (a link's ``batch_wait_hours``) is not a sign of a resource short of capacity and
    does not count. ``("", 0.0)`` if no station with servers had work."""
    cand = [(s["utilisation"], s.get("wait_busy_hours", 0.0), name)
            for name, s in stats.items()
            if s.get("capacity") is not None and s.get("arrivals", 0) > 0]
    if not cand:
        return "", 0.0
    util, _, name = max(cand)
    return name, util


def finite(x: float) -> float:
    """NaN/inf to 0.0 for counters that may be empty."""
    return x if math.isfinite(x) else 0.0
