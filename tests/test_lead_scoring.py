"""Lead scoring from the data the CRM sees (issue 16, CRM part).

A scored lead's score is its latent quality (1: it will become sales-qualified, 0: it will
not) plus a normal error of ``crm.scoring_noise`` on a whole customer record, sqrt(m) times
that when the record is split over m customer masters without a single customer view; below
``crm.scoring_threshold`` the lead gets no sales time. No accuracy is typed: the share of
leads screened out follows from the threshold and the noise, so theory gives it exactly:
Phi(threshold / sd) of the leads that will not qualify, Phi((threshold - 1) / sd) of those
that would. The test moves the cause (1 -> 4 customer masters) and checks both shares, and
their change, against that theory over pooled replications.
"""

from __future__ import annotations

import pytest
from ledger_helpers import pooled_counts

from sim.journey.sales import screened_share
from sim.model import OmniModel
from sim.runner import prepare

#: business leads are what is scored; a tenth of the consumer visits keeps the run short
BASE = ("segments.consumer.leads_per_day=15", "crm.lead_scoring=true")
SEEDS = range(1, 5)
DAYS = 45.0


def _pooled(masters: int) -> tuple[dict[str, int], float, float]:
    """Scored and screened leads over the seeds, and theory's two screened shares."""
    counts, sc = pooled_counts("baseline", (*BASE, f"data_masters.customer={masters}"), SEEDS,
                               DAYS, "scoring.")
    return counts, screened_share(sc, False), screened_share(sc, True)


@pytest.mark.slow
def test_screened_shares_follow_the_noise_of_split_customer_records() -> None:
    from scipy.stats import binomtest

    found = {}
    for masters in (1, 4):
        counts, p_bad, p_good = _pooled(masters)
        for kind, p in (("not_qualifying", p_bad), ("qualifying", p_good)):
            n, k = counts[f"scoring.{kind}"], counts.get(f"scoring.{kind}.screened", 0)
            assert n >= 500, (masters, kind, n)
            test = binomtest(k, n, p)
            ci = test.proportion_ci(0.99, method="wilson")
            print(f"{masters} customer master(s), {kind}: screened {k}/{n} = {k / n:.3f} "
                  f"[{ci.low:.3f}, {ci.high:.3f}], theory {p:.3f}")  # pytest -rP
            assert ci.low <= p <= ci.high, (masters, kind, k, n, p)
            found[masters, kind] = (k / n, p)
    # the cause moved: a split record screens out fewer leads that will not qualify and loses
    # more that would, by theory's amounts (each share already checked above)
    assert found[4, "not_qualifying"][0] < found[1, "not_qualifying"][0]
    assert found[4, "qualifying"][0] > found[1, "qualifying"][0]
    assert found[1, "not_qualifying"][1] - found[4, "not_qualifying"][1] == pytest.approx(
        0.098, abs=0.002)  # Phi(0.16/0.3) - Phi(0.16/0.6)


def test_scoring_switched_off_or_without_noise() -> None:
    """No scoring model, no screening; a noiseless score screens exactly the leads below the
    threshold (every lead that will not qualify, none that will)."""
    off = prepare("baseline", (*BASE, "crm.lead_scoring=false"), seed=1, days=20).scenario
    exact = prepare("baseline", ("crm.scoring_noise=0",), seed=1, days=20).scenario
    assert screened_share(exact, False) == 1.0 and screened_share(exact, True) == 0.0
    model = OmniModel(off)
    model.run()
    assert model.ledger.n["funnel.small_business.mql"] > 0, "leads were qualified"
    assert not any(k.startswith("scoring.") for k in model.ledger.n)
