"""Counting what happens: the :class:`Ledger` of one run.

Two kinds of counts:

- *window* counts: events after the warm-up (orders, deliveries, costs, contacts),
- *cohort* counts: what happened to customers whose lead arrived after the warm-up
  (leads, carts, funnel stages, lead-to-cash times), wherever in the run it happened.

Conservation totals (orders placed/closed, money invoiced/paid/written off, revenue and
cost of goods, stock at cost, supplier payables) cover the whole run. The KPIs made from these
counts are declared in :mod:`sim.kpis.registry` and listed in ``docs/kpis.md``.

The books (the P&L and the working capital):

- revenue is recognised at delivery, and its cost of goods (COGS) with it: order value x
  (1 - ``catalog.gross_margin``), booked by the journey through :meth:`Ledger.cost_of_goods`;
  a refunded return reverses both (the goods come back to stock).
- Stock is valued at a standard cost per unit (``catalog.unit_cost``): supplier receipts are
  purchases (:meth:`Ledger.purchase`), units taken for orders are issues at cost and returned
  units come back at cost (:meth:`Ledger.stock_issue`, :meth:`Ledger.stock_return`), so
  ``inventory_value`` = opening value + purchases - issues + returns. COGS (margin basis) and
  issues (standard-cost basis) are two measures of the same goods; their ratio is reported
  in ``docs/architecture.md``.
- Purchases are payables until the supplier is paid (:meth:`Ledger.pay_supplier`).
- Money and counts by segment (``by_segment``, keys ``"<what>.<segment>"``: revenue,
  refunds, cogs and the acquisition and marketing costs) feed the unit economics per segment.
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
        #: window money by segment: ``"revenue.<segment>"``, ``"refunds.<segment>"``,
        #: ``"cogs.<segment>"``, ``"<cost bucket>.<segment>"`` (acquisition, marketing)
        self.by_segment = Amounts()
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
        self.revenue_all = 0.0
        self.refunds_all = 0.0
        self.cogs_all = 0.0
        # stock at standard cost and supplier payables (whole run)
        self.inventory_opening = 0.0
        self.purchases_all = 0.0
        self.issues_all = 0.0
        self.returns_all = 0.0
        self.supplier_paid_all = 0.0
        self.payables = 0.0
        self._ar_sum = 0.0
        self._ar_samples = 0
        #: sums of the sampled balances (``receivables``, ``unbilled``, ``inventory``,
        #: ``payables``) over the window samples
        self._balance_sums = Amounts()

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

    def cost(self, bucket: str, amount: float, segment: str | None = None) -> None:
        """Add a cost in the window to a cost bucket (and to ``segment``'s, if given: the
        acquisition and marketing costs of the unit economics per segment)."""
        if self.active and amount:
            self.costs[bucket] += amount
            if segment is not None:
                self.by_segment[f"{bucket}.{segment}"] += amount

    def rework(self, team: str, hours: float) -> None:
        """``team`` spent ``hours`` of work putting an error right (in the window)."""
        if self.active:
            self.rework_hours[team] += hours

    def revenue(self, amount: float, source: str, segment: str) -> None:
        """Recognise revenue (at delivery)."""
        self.revenue_all += amount
        if self.active:
            self.money["revenue"] += amount
            self.revenue_by_source[source] += amount
            self.by_segment[f"revenue.{segment}"] += amount

    def refund(self, amount: float, segment: str) -> None:
        """A return reverses revenue (the refund is paid back to the customer)."""
        self.refunds_all += amount
        if self.active:
            self.money["refunds"] += amount
            self.by_segment[f"refunds.{segment}"] += amount

    def cost_of_goods(self, amount: float, segment: str) -> None:
        """Book the cost of goods of delivered revenue; a negative ``amount`` reverses it
        (a refunded return: the goods come back to stock)."""
        self.cogs_all += amount
        if self.active:
            self.money["cogs"] += amount
            self.by_segment[f"cogs.{segment}"] += amount

    # -- stock at standard cost and supplier payables -----------------------------------------
    def open_inventory(self, value: float) -> None:
        """The stock on hand at the start, at cost."""
        self.inventory_opening += value

    @property
    def inventory_value(self) -> float:
        """Stock at cost by the ledger's flows: opening + purchases - issues + returns (net
        of backordered lines, which are issued before their unit arrives)."""
        return self.inventory_opening + self.purchases_all - self.issues_all + self.returns_all

    def purchase(self, amount: float, payable: bool) -> None:
        """Goods received from a supplier, at cost (a payable if ``payable``: not paid on
        receipt)."""
        self.purchases_all += amount
        if self.active:
            self.money["purchases"] += amount
        if payable:
            self.payables += amount
        else:
            self.pay_supplier(amount, payable=False)

    def pay_supplier(self, amount: float, payable: bool = True) -> None:
        """A supplier is paid (``payable``: settling a payable)."""
        self.supplier_paid_all += amount
        if payable:
            self.payables -= amount
        if self.active:
            self.money["supplier_payments"] += amount

    def stock_issue(self, amount: float) -> None:
        """Units taken from stock for an order, at cost; negative when an order is cancelled
        and its units go back on the shelf."""
        self.issues_all += amount

    def stock_return(self, amount: float) -> None:
        """A customer's returned unit goes back on the shelf, at cost."""
        self.returns_all += amount

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

    def sample_balances(self, inventory_on_hand: float) -> None:
        """Sample the balances of the working capital in the window: receivables (billed),
        unbilled deliveries, stock on hand at cost (given: the inventory knows its on-hand
        units) and supplier payables. The receivables with the unbilled part give DSO."""
        if self.active:
            self._ar_sum += self.ar + self.unbilled
            self._ar_samples += 1
            sums = self._balance_sums
            sums["receivables"] += self.ar
            sums["unbilled"] += self.unbilled
            sums["inventory"] += inventory_on_hand
            sums["payables"] += self.payables

    @property
    def mean_ar(self) -> float:
        """Mean receivables balance (billed and unbilled) over the window samples."""
        return self._ar_sum / self._ar_samples if self._ar_samples else 0.0

    def mean_balance(self, key: str) -> float:
        """Mean of a sampled balance over the window samples (``receivables``, ``unbilled``,
        ``inventory``, ``payables``; see :meth:`sample_balances`); 0 without a sample."""
        n = self._ar_samples
        return self._balance_sums[key] / n if n else 0.0
