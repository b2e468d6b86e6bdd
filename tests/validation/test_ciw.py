"""Cross-check with Ciw, an independent open-source queueing simulator (test dependency).

The three-node network of ``sim/scenarios/validation/jackson.yaml`` (call centre -> order
desk -> billing, with rework back to the order desk) runs as an omnisim scenario and as a
Ciw network built from the same file (:func:`~sim.validation.network.network_of`). Per node, the
mean wait and the throughput of the statistics window are compared replication by
replication: Welch's two-sample t-test on the replication means, and the two simulators are
called indistinguishable when no p-value falls below 0.05 / 6 (Bonferroni over the six
comparisons). A Ciw network with a 20% slower order desk (fewer, shorter runs) must be told
apart by the same rule, so the test cannot pass by being blind.

Ciw seeds its global random generators (``ciw.seed``); that is Ciw's API, used only here.
"""

from __future__ import annotations

import ciw
import pytest

from sim.runner import prepare
from sim.validation.network import Network, Node, network_of
from sim.validation.suite import CASES, run_case

JACKSON = next(c for c in CASES if c.key == "jackson")
REPLICATIONS = 10
DAYS = 16.0  # per replication: 15,000 calls, 6,000 order-desk visits
MEASURES = ("wait", "throughput")
ALPHA = 0.05


def ciw_replication(net: Network, seed: int, horizon: float, warmup: float
                    ) -> dict[str, dict[str, float]]:
    """One Ciw run of the network: per node, mean wait and throughput of the visits that
    ended in ``[warmup, horizon]`` (the window omnisim's stations use)."""
    names = [n.name for n in net.nodes]
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(n.external) if n.external > 0 else None
                               for n in net.nodes],
        service_distributions=[ciw.dists.Exponential(n.mu) for n in net.nodes],
        routing=[[net.routing.get(a, {}).get(b, 0.0) for b in names] for a in names],
        number_of_servers=[n.servers for n in net.nodes],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(horizon)
    span = horizon - warmup
    records = sim.get_all_records()
    out = {}
    for i, name in enumerate(names, start=1):
        done = [r for r in records if r.node == i and warmup <= r.exit_date <= horizon]
        out[name] = {"wait": sum(r.waiting_time for r in done) / len(done),
                     "throughput": len(done) / span}
    return out


def _slower(net: Network, station: str, factor: float) -> Network:
    nodes = tuple(Node(n.name, n.servers, n.mu * factor if n.name == station else n.mu,
                       n.external) for n in net.nodes)
    return Network(net.segment, nodes, net.routing, net.theta)


def _pvalues(a: list[dict[str, dict[str, float]]], b: list[dict[str, dict[str, float]]],
             stations: list[str]) -> dict[str, float]:
    from scipy.stats import ttest_ind  # here, not at collection: scipy.stats takes ~0.5 s

    return {f"{s} {m}": float(ttest_ind([r[s][m] for r in a], [r[s][m] for r in b],
                                        equal_var=False).pvalue)
            for s in stations for m in MEASURES}


@pytest.mark.slow
def test_omnisim_and_ciw_agree_on_the_jackson_network() -> None:
    sc = prepare(JACKSON.scenario, days=DAYS).scenario
    net = network_of(sc)
    stations = [n.name for n in net.nodes]
    ours = [r["stations"] for r in run_case(JACKSON, REPLICATIONS, DAYS)]
    theirs = [ciw_replication(net, seed, sc.horizon, sc.warmup)
              for seed in range(1, REPLICATIONS + 1)]
    level = ALPHA / (len(stations) * len(MEASURES))
    p = _pvalues(ours, theirs, stations)
    assert min(p.values()) > level, p
    # the same rule tells a 20% slower order desk apart (the test is not blind)
    slower = [ciw_replication(_slower(net, "order_desk", 0.8), seed, sc.horizon / 2, sc.warmup)
              for seed in range(1, REPLICATIONS // 2 + 1)]
    p_slow = _pvalues(ours, slower, stations)
    assert p_slow["order_desk wait"] < level, p_slow
