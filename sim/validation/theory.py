"""Queueing theory the engine is validated against: Erlang C, Erlang A, M/M/1, Jackson networks.

Rates are per hour and times in hours. Everything here is exact (no heavy-traffic or
other approximation):

- Erlang C (M/M/c): the probability of waiting by the stable recursion of the Erlang-B formula,
  ``B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1))``, then ``C = c B / (c - a (1 - B))``.
- Erlang A (M/M/c+M, Palm's model): the stationary distribution of the birth-death chain of
  the number in system (births ``lambda``; deaths ``min(n, c) mu + max(n - c, 0) theta``),
  truncated where the neglected tail is below ``1e-16`` of the total (past ``c`` the ratio
  of successive terms ``lambda / (c mu + k theta)`` only falls, so once it is below 1 the
  tail is bounded by a geometric series). From it, with PASTA and
  Little's law: ``P(wait) = P(N >= c)``, ``E[Q] = sum (n - c)+ p_n``,
  ``P(abandon) = theta E[Q] / lambda`` and the mean wait of all callers ``E[Q] / lambda``.
  :func:`erlang_a_closed_form` gives the same numbers from Mandelbaum & Zeltyn's incomplete
  gamma formulas, as an independent check.
- Jackson networks: the traffic equations ``lambda = gamma + P^T lambda`` and, per node, the
  M/M/c sojourn ``W_q + 1 / mu`` (product form).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class QueueTheory:
    """Stationary measures of one queue (hours, probabilities)."""

    p_wait: float  #: probability an arrival finds every server busy
    mean_wait: float  #: mean time in queue of all arrivals (abandoning ones included)
    mean_sojourn: float  #: mean time in the station (wait plus service, or wait to abandon)
    mean_in_system: float  #: time-average number in the station
    p_abandon: float = 0.0  #: probability an arrival gives up waiting
    utilisation: float = 0.0  #: busy servers / servers


def _check(lam: float, mu: float, c: int) -> None:
    if not (lam > 0 and mu > 0 and c >= 1 and int(c) == c):
        raise ValueError(f"need lambda > 0, mu > 0 and an integer c >= 1 (got {lam}, {mu}, {c})")


def erlang_b(c: int, a: float) -> float:
    """Erlang-B blocking probability of ``c`` servers at offered load ``a`` erlangs."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(lam: float, mu: float, c: int) -> QueueTheory:
    """M/M/c: Poisson arrivals ``lam``, exponential service rate ``mu``, ``c`` servers.

    Raises:
        ValueError: if the queue is unstable (``lam >= c mu``).
    """
    _check(lam, mu, c)
    a = lam / mu
    if a >= c:
        raise ValueError(f"unstable: offered load {a:g} >= {c} servers")
    b = erlang_b(c, a)
    p_wait = c * b / (c - a * (1.0 - b))
    wq = p_wait / (c * mu - lam)
    return QueueTheory(p_wait=p_wait, mean_wait=wq, mean_sojourn=wq + 1.0 / mu,
                       mean_in_system=lam * (wq + 1.0 / mu), utilisation=a / c)


def mm1(lam: float, mu: float) -> QueueTheory:
    """M/M/1 (Erlang C with one server): sojourn ``1 / (mu - lambda)``."""
    return erlang_c(lam, mu, 1)


def birth_death(lam: float, mu: float, c: int, theta: float, tol: float = 1e-16
                ) -> list[float]:
    """Stationary probabilities ``p_0, p_1, ...`` of the M/M/c+M chain, truncated where the
    neglected tail (bounded by a geometric series) is below ``tol`` of the sum."""
    _check(lam, mu, c)
    if not theta > 0:
        raise ValueError(f"need theta > 0 (got {theta})")
    weights = [1.0]
    total = 1.0
    n = 0
    while True:
        n += 1
        death = min(n, c) * mu + max(n - c, 0) * theta
        w = weights[-1] * lam / death
        if w > 1e250:  # rescale to stay finite for very large loads
            weights = [x / w for x in weights]
            total /= w
            w = 1.0
        weights.append(w)
        total += w
        ratio = lam / (min(n + 1, c) * mu + max(n + 1 - c, 0) * theta)  # next term / this
        if ratio < 1.0 and n >= c and w * ratio / (1.0 - ratio) < tol * total:
            break  # the ratios only fall from here: the tail is below a geometric series
        if n > 10_000_000:  # pragma: no cover - needs absurd parameters
            raise ValueError("birth-death chain did not converge")
    return [w / total for w in weights]


def erlang_a(lam: float, mu: float, c: int, theta: float) -> QueueTheory:
    """M/M/c+M (Erlang A, Palm): exponential patience with rate ``theta`` (mean ``1/theta``).

    Exact from the truncated birth-death chain (module docstring).
    """
    p = birth_death(lam, mu, c, theta)
    p_wait = sum(p[c:])
    eq = sum((n - c) * pn for n, pn in enumerate(p) if n > c)
    en = sum(n * pn for n, pn in enumerate(p))
    busy = sum(min(n, c) * pn for n, pn in enumerate(p))
    return QueueTheory(p_wait=p_wait, mean_wait=eq / lam, mean_sojourn=en / lam,
                       mean_in_system=en, p_abandon=theta * eq / lam, utilisation=busy / c)


def erlang_a_closed_form(lam: float, mu: float, c: int, theta: float) -> tuple[float, float]:
    """``(P(wait), P(abandon))`` of M/M/c+M by Mandelbaum & Zeltyn's formulas.

    With ``A(x, y) = x e^y y^-x gamma(x, y)`` (lower incomplete gamma), ``E`` the Erlang-B
    probability of ``c`` servers and ``rho = lambda / (c mu)``:
    ``P(wait) = A E / (1 + (A - 1) E)`` and
    ``P(abandon | wait) = 1 / (rho A) + 1 - 1 / rho``, with ``A = A(c mu / theta,
    lambda / theta)``. Needs scipy (an independent check of :func:`erlang_a`).
    """
    from scipy.special import gammainc, gammaln

    x, y = c * mu / theta, lam / theta
    log_a = math.log(x) + y - x * math.log(y) + gammaln(x) + math.log(gammainc(x, y))
    big_a = math.exp(log_a)
    e = erlang_b(c, lam / mu)
    p_wait = big_a * e / (1.0 + (big_a - 1.0) * e)
    rho = lam / (c * mu)
    p_ab_given_wait = 1.0 / (rho * big_a) + 1.0 - 1.0 / rho
    return p_wait, p_wait * p_ab_given_wait


@dataclass(frozen=True)
class Node:
    """One node of an open Jackson network."""

    name: str
    servers: int
    mu: float  #: service rate per server (per hour)
    external: float = 0.0  #: Poisson arrivals from outside (per hour)


def traffic(nodes: Sequence[Node], routing: dict[str, dict[str, float]]) -> dict[str, float]:
    """Solve the traffic equations ``lambda_j = gamma_j + sum_i lambda_i P_ij``.

    Args:
        nodes: the nodes with their external arrival rates.
        routing: ``routing[i][j]`` is the probability of going from ``i`` to ``j``.
    """
    import numpy as np

    names = [n.name for n in nodes]
    idx = {n: i for i, n in enumerate(names)}
    p = np.zeros((len(names), len(names)))
    for i, row in routing.items():
        for j, prob in row.items():
            p[idx[i], idx[j]] = prob
    gamma = np.array([n.external for n in nodes])
    lam = np.linalg.solve(np.eye(len(names)) - p.T, gamma)
    return {name: float(x) for name, x in zip(names, lam, strict=True)}


def jackson(nodes: Sequence[Node], routing: dict[str, dict[str, float]]
            ) -> dict[str, QueueTheory]:
    """Per node of an open Jackson network: the M/M/c measures at its total arrival rate."""
    lam = traffic(nodes, routing)
    return {n.name: erlang_c(lam[n.name], n.mu, n.servers) for n in nodes}
