"""A B2B quote as work (issue 16, part 1).

- By hand (``quoting.mode: manual``) the pricing team (``quoting.team``) sets the quote up
  (``touch_time``) and prices every line (``line_time`` each) against the price masters.
- With CPQ the software configures and prices the standard lines itself (the elapsed
  ``touch_time``: the buyer or rep configuring); a line that is a non-standard configuration
  of a configured order (``segments.*.nonstandard_share``, a customer parameter) still goes
  to the pricing team.
  The pricing team checks every non-standard line (``engineering_time``); without CPQ's
  configuration rules, every line of a configured order.
- A hand-priced line is wrong with ``error_per_line``. A quote worth ``approval_over`` or
  more goes to an approver (``links.quote_approval``: a manager's queue, a weekly pricing
  meeting, or rules in real time), who sends a quote with wrong lines back: the pricing team
  re-prices them (a re-quote, counted as rework) and it goes to the approver again. A wrong
  line nobody checks leaves the quote below margin.
- A line priced by hand while a price change is still on its way between the price masters
  (the masters disagree, :meth:`sim.model.OmniModel.price_mismatch`) is priced on a stale
  price: the quote is below margin. CPQ reads its single master, so its lines never are.

Quote turnaround is what all this takes: queues, opening hours, work, approvals and loops.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.journey.common import Lost, Order, system

if TYPE_CHECKING:
    from sim.customers import BusinessBuyer


def quote(c: BusinessBuyer, o: Order) -> Generator[simpy.Event, Any, None]:
    """Prepare the quote by CPQ or by hand; the buyer may go to a competitor meanwhile."""
    model = c.model
    sc = model.scenario
    q = sc.quoting
    L = model.ledger
    c.set_stage("quote")
    t0 = c.env.now
    o.quote_started = t0
    c.relate("quote", o.value)
    streams = model.streams
    team = q.team or sc.team_for("sales_ops")
    cpq = q.mode == "cpq" and "cpq" in sc.systems
    setup = q.touch_time.sample(streams.get("quote.touch"))
    odd = streams.get(f"{c.segment}.quote.nonstandard")
    share = c.seg.nonstandard_share if o.configured else 0.0  # a catalogue order is standard
    nonstandard = [odd.random() < share for _ in o.skus]
    # without CPQ's configuration rules engineering checks every line of a configured order
    checked = nonstandard if cpq else [o.configured] * len(o.skus)
    if cpq:
        yield from system(c, "cpq", "quote configured")
        yield c.env.timeout(setup)
        by_hand = [s for s, n in zip(o.skus, nonstandard, strict=True) if n]
        setup = 0.0
    else:
        by_hand = list(o.skus)
    setup += sum(q.engineering_time.sample(streams.get("quote.engineering"))
                 for n in checked if n)
    stale, wrong = False, list[int]()
    if by_hand or setup > 0:
        stale, wrong = yield from _price_by_hand(c, team, by_hand, setup)
    if q.approval_over is not None and o.value >= q.approval_over:
        approval = model.links["quote_approval"]
        while True:
            yield from approval.transfer(len(o.skus))
            if not wrong:
                break
            L.count("requotes", cohort=c.cohort)
            again, wrong = yield from _price_by_hand(c, team, wrong, 0.0, rework=True)
            stale = stale or again
    turnaround = c.env.now - t0
    if o.configured:  # the turnaround of configured products (F7, the phase table)
        L.observe("quote_turnaround_days", turnaround / 24.0, cohort=c.cohort)
    if stale or wrong:
        o.below_margin = True  # the margin is lost only if the order is won and delivered
        L.count("quotes_below_margin", cohort=c.cohort)
    L.count("quotes", cohort=c.cohort)
    where = "cpq" if cpq else team
    patience = c.seg.funnel.quote_patience.sample(streams.get(f"{c.segment}.patience.quote"))
    if turnaround > patience:
        c.log("quote", where, t0, "too_late")
        raise Lost("quotation")
    c.log("quote", where, t0)


def _price_by_hand(c: BusinessBuyer, team: str, skus: list[int], setup: float,
                   rework: bool = False) -> Generator[simpy.Event, Any, tuple[bool, list[int]]]:
    """One sitting of the pricing team on a quote: ``setup`` plus ``line_time`` per line of
    ``skus``; whether a line was priced while its price masters disagreed, and the lines
    priced wrong."""
    model = c.model
    q = model.scenario.quoting
    streams = model.streams
    line = streams.get("quote.line")
    work = setup + sum(q.line_time.sample(line) for _ in skus)
    t0 = c.env.now
    yield from model.stations[team].serve(work)
    if rework:
        model.ledger.rework(team, work)
        c.log("re-quote", team, t0)
    stale = any(model.price_mismatch(s) for s in skus)
    err = streams.get("quote.errors")
    p = q.error_per_line
    wrong = [s for s in skus if err.random() < p] if p > 0 else []
    return stale, wrong
