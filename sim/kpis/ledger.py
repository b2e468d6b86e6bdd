"""Counting what happens: the :class:`Ledger` of one run.

Two kinds of counts:

- *window* counts: events after the warm-up (orders, deliveries, costs, contacts),
- *cohort* counts: what happened to customers whose lead arrived after the warm-up
  (leads, carts, funnel stages, lead-to-cash times), wherever in the run it happened.

Conservation totals (orders placed/closed, money invoiced/paid/written off) cover the whole
run. The KPIs made from these counts are declared in :mod:`sim.kpis.registry` and listed in
``docs/kpis.md``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model import OmniModel


class Amounts(dict[str, float]):
    """Sums of money by key; a key never added reads as 0 without being inserted (as a
    ``Counter`` does, which is typed for whole counts only)."""

    def __missing__(self, key: str) -> float:
        return 0


class Ledger:
    """Counters, observations and money of one run."""

    def __init__(self) -> None:
        self.active = False
        self.window_start = 0.0
        self.n: Counter[str] = Counter()
        self.n_all: Counter[str] = Counter()
        self.money = Amounts()
        self.costs = Amounts()
        self.obs: defaultdict[str, list[float]] = defaultdict(list)
        self.revenue_by_source = Amounts()
        self.revenue_by_segment = Amounts()
        #: hours of rework (putting errors right) each team did in the window
        self.rework_hours = Amounts()
        # whole-run totals for conservation checks
        self.invoiced_all = 0.0
        self.paid_all = 0.0
        self.written_off_all = 0.0
        self.ar = 0.0
        self.unbilled = 0.0  # delivered (revenue recognised) but not invoiced yet
        self.orders_open = 0
        self.orders_opened_all = 0
        self.orders_closed_all = 0
        self._ar_sum = 0.0
        self._ar_samples = 0

    def start_window(self, now: float, model: OmniModel) -> None:
        """The warm-up is over: start counting window statistics."""
        self.active = True
        self.window_start = now

    def count(self, key: str, k: int = 1, *, cohort: bool | None = None) -> None:
        """Count ``k`` of ``key``: in the window, or for an in-window cohort if given."""
        if self.active if cohort is None else cohort:
            self.n[key] += k

    def observe(self, key: str, value: float, *, cohort: bool | None = None) -> None:
        """Record one observation (a duration, a score)."""
        if self.active if cohort is None else cohort:
            self.obs[key].append(value)

    def cost(self, bucket: str, amount: float) -> None:
        """Add a cost in the window to a cost bucket."""
        if self.active and amount:
            self.costs[bucket] += amount

    def rework(self, team: str, hours: float) -> None:
        """``team`` spent ``hours`` of work putting an error right (in the window)."""
        if self.active:
            self.rework_hours[team] += hours

    def revenue(self, amount: float, source: str, segment: str) -> None:
        """Recognise revenue (at delivery)."""
        if self.active:
            self.money["revenue"] += amount
            self.revenue_by_source[source] += amount
            self.revenue_by_segment[segment] += amount

    def refund(self, amount: float) -> None:
        """A return reverses revenue."""
        if self.active:
            self.money["refunds"] += amount

    def invoice(self, amount: float, credit: bool) -> None:
        """An invoice (``credit``: payable later, a receivable) or a card capture is issued."""
        self.n_all["invoices"] += 1
        self.invoiced_all += amount
        self.ar += amount
        if self.active:
            self.money["invoiced"] += amount
            if credit:
                self.money["invoiced_credit"] += amount

    def pay(self, amount: float) -> None:
        """Cash received and applied."""
        self.n_all["payments"] += 1
        self.paid_all += amount
        self.ar -= amount
        if self.active:
            self.money["cash"] += amount

    def write_off(self, amount: float) -> None:
        """A receivable is written off as bad debt."""
        self.written_off_all += amount
        self.ar -= amount
        if self.active:
            self.money["written_off"] += amount
            self.costs["bad_debt"] += amount

    def open_order(self) -> None:
        """An order was placed."""
        self.orders_open += 1
        self.orders_opened_all += 1

    def count_all(self, key: str) -> None:
        """Count ``key`` over the whole run, warm-up included (business objects such as
        ``orders_received`` and ``purchase_orders``, recorded in the manifest's ``counts``)."""
        self.n_all[key] += 1

    def close_order(self, how: str) -> None:
        """An order was ``delivered`` or ``cancelled``."""
        self.orders_open -= 1
        self.orders_closed_all += 1
        self.n_all[how] += 1

    def sample_ar(self) -> None:
        """Sample the receivables balance, unbilled deliveries included (for DSO)."""
        if self.active:
            self._ar_sum += self.ar + self.unbilled
            self._ar_samples += 1

    @property
    def mean_ar(self) -> float:
        """Mean receivables balance (billed and unbilled) over the window samples."""
        return self._ar_sum / self._ar_samples if self._ar_samples else 0.0
