"""The engine against queueing theory: the shipped validation scenarios over replications.

The same cases and rule as ``omnisim selfcheck`` (``sim/validation/suite.py``,
``docs/validation.md``): each measure's replication mean must lie within the
Bonferroni-corrected t-interval of the theory plus a 1% allowance. Each test also shows the
check has teeth: the same replications compared with the theory of a scenario a few percent
off (one ``--set``) must fail.
"""

from __future__ import annotations

import pytest

from sim.validation.suite import CASES, Case, Row, comparisons_in, evaluate, run_case

#: per case: a small change of the scenario whose theory the simulation must reject
WRONG_MODEL = {
    "mmc": ["channels.call_centre.service_time.mean=6.12 min"],  # handling 2% longer
    "erlang-a": ["segments.callers.service.call_centre.patience.mean=2.2 min"],  # +10%
    "mm1": ["segments.callers.leads_per_day=150"],  # 4% more arrivals
    "jackson": ["segments.callers.service.billing.next.order_desk=0.25"],  # more rework
}


def _table(rows: list[Row]) -> str:
    return "\n".join(f"{r.check}: theory {r.theory:.4g}, simulated {r.mean:.4g} "
                     f"[{r.low:.4g}, {r.high:.4g}], tolerance {r.tolerance:.3g}, ok={r.ok}"
                     for r in rows)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.key for c in CASES])
def test_engine_matches_theory(case: Case) -> None:
    reps = run_case(case)
    assert len(reps) == case.replications
    k = comparisons_in(CASES)
    rows = evaluate(case, reps, k)
    assert len(rows) == len(case.compare) + 2
    assert all(r.ok for r in rows), _table(rows)
    # Little's law and conservation were checked in every run, on every station
    assert all(r["little_ok"] and r["conservation_ok"] for r in reps)
    assert all(r["customers"] > 1000 for r in reps)
    wrong = evaluate(case, reps, k, WRONG_MODEL[case.key])
    assert not all(r.ok for r in wrong), "a slightly wrong model passed too:\n" + _table(wrong)
