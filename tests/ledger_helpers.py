"""Running a shipped scenario in this process and reading its ledger counts, for tests that
compare counted shares with theory."""

from __future__ import annotations

from collections.abc import Iterable

from sim.model import OmniModel
from sim.runner import prepare
from sim.scenario import Scenario


def counts_of_runs(ref: str, sets: tuple[str, ...], seeds: Iterable[int], days: float,
                   prefix: str = "") -> tuple[list[dict[str, int]], Scenario]:
    """The ledger counts (keys starting with ``prefix``) of one run per seed, in seed order,
    and the scenario they ran (the same for every seed)."""
    runs = []
    for seed in seeds:
        loaded = prepare(ref, sets, seed=seed, days=days)
        model = OmniModel(loaded.scenario)
        model.run()
        runs.append({k: v for k, v in model.ledger.n.items() if k.startswith(prefix)})
    return runs, loaded.scenario


def pooled_counts(ref: str, sets: tuple[str, ...], seeds: Iterable[int], days: float,
                  prefix: str = "") -> tuple[dict[str, int], Scenario]:
    """:func:`counts_of_runs` summed over the seeds."""
    runs, scenario = counts_of_runs(ref, sets, seeds, days, prefix)
    pooled: dict[str, int] = {}
    for run in runs:
        for key, value in run.items():
            pooled[key] = pooled.get(key, 0) + value
    return pooled, scenario
