"""The theory the engine is validated against, checked on its own (fast).

Each formula is compared with an independent way of computing the same number: Erlang C by
the recursion vs the textbook factorial sum, Erlang A by the birth-death chain vs Mandelbaum &
Zeltyn's incomplete-gamma formulas and vs its limits (patience as fast as service is M/M/inf;
endless patience is Erlang C), Jackson by hand-solved traffic equations.
"""

from __future__ import annotations

import math

import pytest

from sim.runner import prepare
from sim.validation.network import NotAQueueingNetwork, network_of
from sim.validation.theory import (
    Node,
    birth_death,
    erlang_a,
    erlang_a_closed_form,
    erlang_c,
    jackson,
    mm1,
    traffic,
)


def _erlang_c_textbook(lam: float, mu: float, c: int) -> float:
    a = lam / mu
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


@pytest.mark.parametrize(("lam", "mu", "c"), [(1, 2, 1), (1, 1, 2), (100, 10, 12), (8, 1, 10),
                                              (45, 2, 25), (0.5, 1, 3)])
def test_erlang_c_matches_the_textbook_sum(lam: float, mu: float, c: int) -> None:
    t = erlang_c(lam, mu, c)
    assert t.p_wait == pytest.approx(_erlang_c_textbook(lam, mu, c), rel=1e-12)
    assert t.mean_wait == pytest.approx(t.p_wait / (c * mu - lam), rel=1e-12)
    assert t.mean_in_system == pytest.approx(lam * t.mean_sojourn, rel=1e-12)  # Little


def test_known_values() -> None:
    assert erlang_c(1, 1, 2).p_wait == pytest.approx(1 / 3)  # two servers at load 1
    q = mm1(6, 10)
    assert q.p_wait == pytest.approx(0.6)
    assert q.mean_sojourn == pytest.approx(1 / (10 - 6))
    assert q.mean_in_system == pytest.approx(0.6 / 0.4)


def test_unstable_erlang_c_is_refused() -> None:
    with pytest.raises(ValueError, match="unstable"):
        erlang_c(10, 1, 10)


@pytest.mark.parametrize(("lam", "mu", "c", "theta"), [
    (100, 10, 10, 30), (100, 10, 9, 30), (30, 10, 3, 6), (100, 10, 10, 10), (5, 10, 1, 0.01),
    (1000, 10, 80, 0.5), (200, 10, 25, 120)])
def test_erlang_a_chain_matches_mandelbaum_zeltyn(lam: float, mu: float, c: int,
                                                  theta: float) -> None:
    t = erlang_a(lam, mu, c, theta)
    p_wait, p_ab = erlang_a_closed_form(lam, mu, c, theta)
    assert t.p_wait == pytest.approx(p_wait, rel=1e-9)
    assert t.p_abandon == pytest.approx(p_ab, rel=1e-9)
    assert t.mean_wait == pytest.approx(p_ab / theta, rel=1e-9)  # E[W] = P(Ab) / theta
    assert sum(birth_death(lam, mu, c, theta)) == pytest.approx(1.0, abs=1e-12)
    # flow balance: arrivals = served + abandoned
    assert lam == pytest.approx(t.utilisation * c * mu + t.p_abandon * lam, rel=1e-9)


def test_erlang_a_with_patience_as_fast_as_service_is_m_m_infinity() -> None:
    lam, mu, c = 30.0, 4.0, 6
    t = erlang_a(lam, mu, c, mu)
    a = lam / mu
    poisson = [math.exp(-a + n * math.log(a) - math.lgamma(n + 1)) for n in range(200)]
    assert t.p_wait == pytest.approx(sum(poisson[c:]), rel=1e-12)
    assert t.mean_in_system == pytest.approx(a, rel=1e-12)


def test_erlang_a_tends_to_erlang_c_as_patience_grows() -> None:
    lam, mu, c = 100.0, 10.0, 12
    c_theory = erlang_c(lam, mu, c)
    a_theory = erlang_a(lam, mu, c, 1e-5)
    assert a_theory.p_wait == pytest.approx(c_theory.p_wait, rel=1e-4)
    assert a_theory.mean_wait == pytest.approx(c_theory.mean_wait, rel=1e-3)
    assert a_theory.p_abandon < 1e-5


def test_traffic_equations_with_feedback() -> None:
    nodes = [Node("a", 6, 10, 40), Node("b", 2, 12), Node("c", 1, 24)]
    routing = {"a": {"b": 0.3}, "b": {"c": 1.0}, "c": {"b": 0.2}}
    lam = traffic(nodes, routing)
    assert lam == pytest.approx({"a": 40.0, "b": 15.0, "c": 15.0})
    th = jackson(nodes, routing)
    assert th["c"].mean_sojourn == pytest.approx(1 / (24 - 15))


# --------------------------------------------------------------------------- from scenarios
def test_network_is_read_from_the_scenario_file() -> None:
    net = network_of(prepare("validation/jackson").scenario)
    assert [(n.name, n.servers, n.external) for n in net.nodes] == [
        ("call_centre", 6, pytest.approx(40.0)), ("order_desk", 2, 0.0), ("billing", 1, 0.0)]
    assert net.nodes[1].mu == pytest.approx(12.0) and net.nodes[2].mu == pytest.approx(24.0)
    assert net.rates() == pytest.approx({"call_centre": 40.0, "order_desk": 15.0,
                                         "billing": 15.0})
    ea = network_of(prepare("validation/erlang-a").scenario)
    assert ea.theta == {"call_centre": pytest.approx(30.0)}


@pytest.mark.parametrize(("ref", "overrides", "needle"), [
    ("validation/mmc", ["channels.call_centre.service_time={dist: gamma, mean: 6 min, cv: 0.5}"],
     "not exponential"),
    ("validation/mmc", ["calendar.weekly_profile=[1, 1, 1, 1, 1, 2, 1]"], "flat"),
    ("validation/mmc", ["channels.call_centre.hours=Mon-Fri 08:00-18:00"], "24/7"),
    ("validation/jackson",
     ["segments.callers.service.order_desk.patience={dist: exponential, mean: 1 h}"],
     "one-station route"),
    ("baseline", [], "segments"),
])
def test_scenarios_without_a_closed_form_are_named(ref: str, overrides: list[str],
                                                   needle: str) -> None:
    with pytest.raises(NotAQueueingNetwork, match=needle):
        network_of(prepare(ref, overrides).scenario)
