"""Opening balances (sim/opening.py): the run starts at a stationary point of its own cycles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.distributions import (
    Constant,
    Empirical,
    Erlang,
    Exponential,
    Gamma,
    Lognormal,
    Poisson,
    Triangular,
    Uniform,
)
from sim.model import OmniModel
from sim.opening import equilibrium_residual, gap_until_offer, length_biased
from sim.runner import prepare, run_replication
from sim.scenario import load
from sim.streams import Streams

N = 20_000


def _mean_ci(x: np.ndarray) -> tuple[float, float]:
    """Mean and the half-width of its 99.9% normal interval."""
    return float(x.mean()), 3.29 * float(x.std(ddof=1)) / math.sqrt(len(x))


@pytest.mark.parametrize("cv", [0.3, 0.6, 1.5])
def test_equilibrium_residual_of_a_gamma_gap_has_the_theoretical_mean(cv: float) -> None:
    """Renewal theory: the residual of an interval under way at a random moment has mean
    E[G^2] / (2 E[G]) = (1 + cv^2) / 2 x mean."""
    mean = 30.0
    shape = 1.0 / cv ** 2
    dist = Gamma(shape, mean / shape)
    s = Streams(7).get("test.residual")
    x = np.array([equilibrium_residual(dist, s) for _ in range(N)])
    m, half = _mean_ci(x)
    expected = (1 + cv * cv) / 2 * mean
    assert abs(m - expected) < half, f"{m:.3f} vs {expected:.3f} +/- {half:.3f}"


@pytest.mark.parametrize("dist", [Lognormal(10.0, 0.8), Uniform(2.0, 12.0),
                                  Triangular(1.0, 2.0, 9.0)], ids=lambda d: d.name)
def test_length_biased_draws_have_mean_second_moment_over_first(dist: object) -> None:
    """Closed form (lognormal) and rejection sampling (uniform, triangular) alike: the
    length-biased mean is E[X^2] / E[X], estimated from plain draws of the same family."""
    plain_s, biased_s = Streams(3).get("test.plain"), Streams(3).get("test.biased")
    plain = np.array([dist.sample(plain_s) for _ in range(4 * N)])  # type: ignore[attr-defined]
    expected = float((plain ** 2).mean() / plain.mean())
    biased = np.array([length_biased(dist, biased_s) for _ in range(N)])  # type: ignore[arg-type]
    m, half = _mean_ci(biased)
    assert abs(m - expected) < half + 0.01 * expected


def _opened(seed: int = 1) -> OmniModel:
    """The baseline just after t=0: every existing customer has taken its opening state."""
    model = OmniModel(load("baseline").scenario, seed=seed)
    model.env.run(until=1e-6)
    return model


@pytest.mark.parametrize("gap", [Constant(30.0), Exponential(30.0), Gamma(4.0, 7.5),
                                 Erlang(30.0, 3), Uniform(10.0, 50.0), Poisson(30.0),
                                 Empirical([10.0, 40.0], [1.0, 3.0]),
                                 Lognormal(25.0, 0.6), Triangular(5.0, 20.0, 60.0)],
                         ids=lambda d: d.name)
def test_gap_cut_short_by_an_offer_has_the_mean_of_the_minimum(gap: object) -> None:
    """E[min(G, W)] with W exponential (a promotion's wake-up) against simulation; the
    closed forms are exact (99.9% interval), the gamma stand-ins of lognormal and triangular
    gaps within 3%."""
    rnd = Streams(11).get("test.gap")
    wake = 50.0
    x = np.array([min(gap.sample(rnd), rnd.exponential(wake)) for _ in range(N)])
    mean, half = _mean_ci(x)
    expected = gap_until_offer(gap, wake)
    tol = 0.03 * mean if isinstance(gap, Lognormal | Triangular) else half
    assert abs(expected - mean) <= tol, (expected, mean, half)
    assert gap_until_offer(gap, math.inf) == gap.mean


def test_receivables_exist_at_the_start_with_ages_spread_over_the_terms() -> None:
    """Receivables at t=0; the ages of opening invoices (drawn again here for customers of
    each business segment) spread from 0 past the terms, up to the write-off."""
    model = _opened()
    assert model.ledger.ar > 0
    assert model.ledger.invoiced_all == pytest.approx(model.ledger.ar)
    sc = model.scenario
    for name in ("small_business", "enterprise"):
        buyer = next(a for a in model.agents if a.segment == name)
        starts = [model.opening.start(buyer) for _ in range(4000)]
        ages = np.array([s.age for s in starts if s.plan is not None]) / 24.0
        terms = sc.segments[name].payment.terms / 24.0
        assert ages.min() < 1.0
        assert 0.3 * terms < np.median(ages) < terms
        assert (ages > terms).mean() > 0.05, "late payers' invoices are older than the terms"
        assert ages.max() < terms + sc.costs.write_off_after / 24.0 + 1.0


def test_share_of_business_customers_holding_an_invoice_matches_the_cycle() -> None:
    """Binomial: each existing business customer holds an invoice with probability
    (mean open time) / (mean cycle), its retention scaled by its opening satisfaction (the
    mean over the segment's equally likely values); 4 standard errors."""
    for seed in (1, 2):
        model = _opened(seed)
        for name in ("small_business", "enterprise"):
            seg = model.scenario.segments[name]
            n = seg.existing_customers
            cycle = model.opening.cycles[name]
            values = seg.opening_satisfaction
            p = sum(cycle.satisfied(v).shares[2] for v in values) / len(values)
            k = sum(1 for a in model.agents if a.segment == name and a.receivable > 0)
            assert abs(k - n * p) <= 4 * math.sqrt(n * p * (1 - p)), (name, k, n * p)


def test_orders_in_flight_and_stock_on_order_at_the_start() -> None:
    model = _opened()
    assert model.ledger.orders_open > 0
    inv = model.inventory
    assert inv.on_order.sum() > 0, "replenishments are on their way at t=0"
    assert (inv.stock >= 0).all()


def test_empty_opening_keeps_the_old_start() -> None:
    model = OmniModel(load("baseline", ["opening={state: empty}"]).scenario)
    model.env.run(until=1e-6)
    assert model.ledger.ar == 0 and model.ledger.orders_open == 0
    inv = model.inventory  # no pipeline: only what the first review (t=0) ordered
    cover = model.scenario.catalog.order_up_to_cover / 24.0
    first = np.maximum(np.ceil(inv.planned_daily * cover).astype(np.int64) - inv.stock, 0)
    assert inv.on_order.tolist() == first.tolist()
    assert model.stage_counts["dormant"] == sum(
        s.existing_customers for s in model.scenario.segments.values()
        if s.kind != "service")


def test_conservation_holds_with_the_opening_balances() -> None:
    rep = run_replication(prepare("baseline", days=20, overrides=["warmup=2 d"]))
    con = rep.checks["conservation"]
    assert all(v["ok"] for v in con.values()), con
    assert con["money"]["invoiced"] > con["money"]["paid"] > 0


def test_same_seed_same_opening() -> None:
    a, b = _opened(4), _opened(4)
    assert a.ledger.ar == b.ledger.ar
    assert a.inventory.stock.tolist() == b.inventory.stock.tolist()
    assert a.inventory.on_order.tolist() == b.inventory.on_order.tolist()
    assert _opened(5).ledger.ar != a.ledger.ar


def test_opening_customers_start_with_the_measured_satisfaction() -> None:
    """Each existing customer starts with one of its segment's ``opening_satisfaction``
    values, equally likely (chi-square-free check: each value's count within 4 binomial
    standard errors of n / k), and a less satisfied customer is dormant less often: the
    dormant share of customers at satisfaction s matches the cycle with retention x s
    (4 standard errors)."""
    values = [0.4, 0.7, 1.0]
    sc = load("baseline", ("segments.small_business.opening_satisfaction=[0.4, 0.7, 1.0]",)
               ).scenario
    model = OmniModel(sc, seed=3)
    model.env.run(until=1e-6)
    buyer = next(a for a in model.agents if a.segment == "small_business")
    cycle = model.opening.cycles["small_business"]
    n = 6000
    seen: dict[float, list[bool]] = {v: [] for v in values}
    for _ in range(n):
        start = model.opening.start(buyer)
        seen[buyer.satisfaction].append(start.order is None)
    for v in values:
        k = len(seen[v])
        assert abs(k - n / 3) <= 4 * math.sqrt(n * (1 / 3) * (2 / 3)), (v, k)
        p = cycle.satisfied(v).shares[0]
        got = sum(seen[v]) / k
        assert abs(got - p) <= 4 * math.sqrt(p * (1 - p) / k), (v, got, p)
    assert cycle.satisfied(0.4).shares[0] < cycle.satisfied(1.0).shares[0] - 0.05
