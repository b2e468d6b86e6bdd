"""Recommendations from a history the shop can see (issue 16, nothing typed per phase).

A phase switches the recommender on (``crm.recommendations``); how strongly a customer
responds is the segment's ``cart.recommendation_response``, a customer parameter the same at
every phase. Whether it acts is a mechanism: only a returning customer has a history to
recommend from (a first-time visitor is a cold start), and the channel sees that history only
with a single customer view or one customer master. The test raises the response to 0.5 so
the effect is large, and checks the add-to-cart shares against theory: a returning
customer's ``repeat_add_to_cart`` x 1.5 where the history is visible, x 1 where it is split
over three masters; a first-time visitor's ``add_to_cart`` in both. Customers come back
every 5 days (45 in the baseline) so that returning visits are many.
"""

from __future__ import annotations

import pytest
from ledger_helpers import pooled_counts

#: the baseline (three customer masters, no single customer view) with the recommender on
BASE = ("crm.recommendations=true", "segments.consumer.cart.recommendation_response=0.5",
        "warmup=2 d",
        # customers come back every 5 days instead of 45, so returning visits are many
        "segments.consumer.after_sale.interpurchase={dist: exponential, mean: 5 d}")
SEEDS = (1, 2)
DAYS = 20.0


def _pooled(extra: tuple[str, ...]) -> tuple[dict[str, int], float, float]:
    counts, sc = pooled_counts("baseline", (*BASE, *extra), SEEDS, DAYS, "intent.")
    cart = sc.segments["consumer"].cart
    return counts, cart.add_to_cart, cart.repeat_add_to_cart


@pytest.mark.slow
@pytest.mark.parametrize(("extra", "factor"), [
    ((), 1.0),                            # history split over three masters: no recommendations
    (("data_masters.customer=1",), 1.5),  # one customer master: the history is seen
])
def test_recommendations_reach_returning_customers_whose_history_is_seen(
        extra: tuple[str, ...], factor: float) -> None:
    from scipy.stats import binomtest

    counts, first, repeat = _pooled(extra)
    for who, p in (("returning", repeat * factor), ("first", first)):
        n, k = counts[f"intent.{who}"], counts.get(f"intent.{who}.added", 0)
        assert n >= 200, (who, n)
        ci = binomtest(k, n, p).proportion_ci(0.99, method="wilson")
        print(f"{extra or 'three masters'} {who}: added {k}/{n} = {k / n:.3f} "
              f"[{ci.low:.3f}, {ci.high:.3f}], theory {p:.3f}")  # pytest -rP
        assert ci.low <= p <= ci.high, (who, k, n, p)
