"""The validation suite: shipped scenarios vs queueing theory, with replications and intervals.

Each :class:`Case` names a shipped validation scenario (``sim/scenarios/validation/``) and the
measures to compare; the theory comes from the scenario itself (:mod:`sim.validation.network`).
Every replication runs the ordinary engine (:class:`~sim.model.OmniModel` on the loaded
scenario, seed ``r + 1``) and reads the stations' window statistics.

The rule for a comparison (``docs/validation.md``): with ``R`` replication values of mean
``m`` and standard error ``se``, the check passes when

    ``|m - theory| <= t(1 - alpha / (2 k), R - 1) * se + allowance * |theory|``

with ``alpha = 0.05`` for the whole suite and ``k`` its number of comparisons (Bonferroni: a
correct engine fails some comparison with probability at most 5%), and ``allowance`` a small
relative margin for the bias of finite runs (a warm-up that does not start in steady state).
The 95% interval ``m +- t(0.975, R - 1) * se`` is what the table shows. Little's law and the
conservation laws are identities of every run and are checked exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sim.scenario import ServiceSegment
from sim.workers import run_all

ALPHA = 0.05  #: family-wise error rate of the statistical comparisons

#: how a measure is shown: label, unit, display factor
MEASURES: dict[str, tuple[str, str, float]] = {
    "wait": ("wait", "s", 3600.0),
    "p_wait": ("P(wait)", "%", 100.0),
    "p_abandon": ("P(abandon)", "%", 100.0),
    "sojourn": ("sojourn", "min", 60.0),
    "in_system": ("number in system", "", 1.0),
    "throughput": ("throughput", "/h", 1.0),
}


@dataclass(frozen=True)
class Case:
    """One validation scenario, how long and how often to run it, and what to compare."""

    key: str
    title: str
    scenario: str
    days: float
    replications: int
    compare: tuple[tuple[str, str], ...]  #: (station, measure) pairs
    allowance: float = 0.01


CASES: tuple[Case, ...] = (
    Case("mmc", "M/M/c call centre vs Erlang C", "validation/mmc", 12, 16,
         (("call_centre", "wait"), ("call_centre", "p_wait"))),
    Case("erlang-a", "M/M/c+M call centre vs Erlang A", "validation/erlang-a", 6, 12,
         (("call_centre", "p_abandon"), ("call_centre", "wait"), ("call_centre", "p_wait"))),
    Case("mm1", "M/M/1 vs 1/(mu - lambda)", "validation/mm1", 80, 12,
         (("call_centre", "sojourn"), ("call_centre", "in_system"))),
    Case("jackson", "Jackson network vs product form", "validation/jackson", 24, 12,
         (("call_centre", "sojourn"), ("order_desk", "sojourn"), ("billing", "sojourn"),
          ("call_centre", "throughput"), ("order_desk", "throughput"),
          ("billing", "throughput"))),
)


# --------------------------------------------------------------------------- one replication
def replicate(scenario: str, seed: int, days: float | None = None) -> dict[str, Any]:
    """Run one replication and return its measures per station and its self-checks.

    Returns:
        ``{"stations": {name: {measure: value}}, "little_max_rel_error": float,
        "little_ok": bool, "conservation_ok": bool, "customers": int}``; the station
        measures cover the stations of the service route.
    """
    from sim import checks
    from sim.model import OmniModel
    from sim.runner import prepare

    sc = prepare(scenario, seed=seed, days=days).scenario
    model = OmniModel(sc)
    model.run()
    stats = model.station_stats()
    n = model.ledger.n
    out: dict[str, dict[str, float]] = {}
    for seg in sc.segments.values():
        for station in seg.service if isinstance(seg, ServiceSegment) else {}:
            s = stats[station]
            visits = n[f"service.{station}.visits"]
            out[station] = {
                "wait": s["mean_wait_hours"], "sojourn": s["mean_sojourn_hours"],
                "in_system": s["mean_in_system"], "throughput": s["throughput_per_hour"],
                "utilisation": s["utilisation"],
                "p_wait": n[f"service.{station}.delayed"] / visits if visits else math.nan,
                "p_abandon": n[f"service.{station}.abandoned"] / visits if visits else math.nan,
            }
    little = checks.little(model)
    cons = checks.conservation(model, model.in_flight)
    worst = max((v["rel_error"] for v in little["stations"].values()), default=0.0)
    return {"stations": out, "little_max_rel_error": worst, "little_ok": little["ok"],
            "conservation_ok": all(v["ok"] for v in cons.values()),
            "customers": cons["customers"]["created"]}


def _job(args: tuple[str, int, float]) -> dict[str, Any]:
    return replicate(*args)


def run_case(case: Case, replications: int | None = None, days: float | None = None
             ) -> list[dict[str, Any]]:
    """All replications of one case (seeds 1..R), in this process."""
    return run_suite([case], replications=replications, days=days)[case.key]


def run_suite(cases: Sequence[Case], workers: int = 1, replications: int | None = None,
              days: float | None = None, done: Callable[[], None] | None = None
              ) -> dict[str, list[dict[str, Any]]]:
    """Replications of every case (seeds 1..R), serially or in one process pool.

    Args:
        cases: the cases to run.
        workers: processes (1: run here).
        replications: overrides each case's number of replications.
        days: overrides each case's run length.
        done: called after every finished replication (a progress bar).
    """
    jobs = [(c.key, (c.scenario, seed, days or c.days)) for c in cases
            for seed in range(1, (replications or c.replications) + 1)]
    jobs.sort(key=lambda j: -j[1][2])  # the long runs first, so the pool ends together
    out: dict[str, list[dict[str, Any]]] = {c.key: [] for c in cases}
    results = run_all(_job, [args for _, args in jobs], workers,
                      None if done is None else lambda _i, _r: done())
    for (key, _), rep in zip(jobs, results, strict=True):
        out[key].append(rep)
    return out


# --------------------------------------------------------------------------- statistics
@dataclass(frozen=True)
class Row:
    """One line of the validation table (values in display units)."""

    case: str
    check: str
    unit: str
    theory: float
    mean: float
    low: float  #: 95% interval
    high: float
    tolerance: float  #: allowed |mean - theory|
    ok: bool
    n: int


def t_quantile(p: float, df: int) -> float:
    """Student-t quantile (scipy)."""
    from scipy.stats import t

    return float(t.ppf(p, df))


def compare(case: str, check: str, unit: str, theory: float, values: Sequence[float],
            comparisons: int, allowance: float, scale: float = 1.0) -> Row:
    """Compare replication values with a theoretical value by the suite's rule."""
    x = [v for v in values if not math.isnan(v)]
    n = len(x)
    mean = sum(x) / n
    se = math.sqrt(sum((v - mean) ** 2 for v in x) / (n - 1) / n)
    half95 = t_quantile(0.975, n - 1) * se
    tol = t_quantile(1 - ALPHA / (2 * comparisons), n - 1) * se + allowance * abs(theory)
    return Row(case, check, unit, theory * scale, mean * scale, (mean - half95) * scale,
               (mean + half95) * scale, tol * scale, abs(mean - theory) <= tol, n)


def comparisons_in(cases: Iterable[Case]) -> int:
    """Number of statistical comparisons (for the Bonferroni level)."""
    return sum(len(c.compare) for c in cases)


def theory_value(case: Case, station: str, measure: str, overrides: Sequence[str] = ()
                 ) -> float:
    """The theoretical value of a measure, from the case's scenario with ``--set``-style
    ``overrides`` applied (hours, probabilities)."""
    from sim.runner import prepare
    from sim.validation.network import network_of

    net = network_of(prepare(case.scenario, overrides).scenario)
    if measure == "throughput":
        return net.rates()[station]
    attr = {"wait": "mean_wait", "p_wait": "p_wait", "p_abandon": "p_abandon",
            "sojourn": "mean_sojourn", "in_system": "mean_in_system"}[measure]
    return float(getattr(net.theory()[station], attr))


def evaluate(case: Case, reps: Sequence[dict[str, Any]], comparisons: int,
             overrides: Sequence[str] = ()) -> list[Row]:
    """Rows of one case: each comparison, then Little's law and conservation.

    Args:
        case: the case.
        reps: its replications (:func:`run_suite`).
        comparisons: the number of comparisons run together (Bonferroni).
        overrides: compare with the theory of the scenario changed by these ``--set``
            assignments instead (the tests show that a slightly wrong model is rejected).
    """
    from sim.checks import LITTLE_RTOL

    rows = []
    for station, measure in case.compare:
        label, unit, scale = MEASURES[measure]
        value = theory_value(case, station, measure, overrides)
        rows.append(compare(case.key, f"{station} {label}", unit, value,
                            [r["stations"][station][measure] for r in reps], comparisons,
                            case.allowance, scale))
    worst = max(r["little_max_rel_error"] for r in reps)
    rows.append(Row(case.key, "Little's law, all stations", "rel. error", 0.0,
                    worst, 0.0, worst, LITTLE_RTOL, all(r["little_ok"] for r in reps),
                    len(reps)))
    rows.append(Row(case.key, "customers conserved", "runs ok", len(reps),
                    sum(r["conservation_ok"] for r in reps), math.nan, math.nan, 0.0,
                    all(r["conservation_ok"] for r in reps), len(reps)))
    return rows
