"""Cart abandonment and B2C conversion per Total Commerce phase (CALIBRATION C1).

``python benchmarks/checkout_ladder.py [--days 30] [--seeds 2]`` runs the baseline and each
ladder phase with common random numbers and prints the cart abandonment, the B2C checkouts
per day and the carts per day; ``--set`` applies an override to every scenario (to switch
one mechanism at a time). Not a timing benchmark: a measurement for sim/scenarios/README.md.
"""

from __future__ import annotations

import argparse
import statistics

from sim.model import OmniModel
from sim.runner import prepare

LADDER = ["baseline"] + [f"total-commerce/phase-{i}-{n}" for i, n in enumerate(
    ["siloed", "mapped", "defined", "integrated", "managed", "optimized"], start=1)]


def measure(ref: str, days: float, seeds: int, sets: list[str]) -> dict[str, float]:
    """Mean cart abandonment, checkouts/day and carts/day over ``seeds`` replications."""
    ab, co, ca = [], [], []
    for s in range(seeds):
        model = OmniModel(prepare(ref, sets, seed=s + 1, days=days).scenario)
        model.run()
        n = model.ledger.n
        ab.append(1.0 - n["checkouts"] / max(n["carts"], 1))
        co.append(n.get("checkouts", 0) / days)
        ca.append(n.get("carts", 0) / days)
    return {"abandonment": statistics.fmean(ab), "checkouts_day": statistics.fmean(co),
            "carts_day": statistics.fmean(ca)}


def main() -> None:
    """Print one line per scenario."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("refs", nargs="*")
    a = ap.parse_args()
    for ref in a.refs or LADDER:
        m = measure(ref, a.days, a.seeds, a.set)
        print(f"{ref:40s} abandon {m['abandonment']:.3f}  checkouts/d "
              f"{m['checkouts_day']:7.1f}  carts/d {m['carts_day']:7.1f}")


if __name__ == "__main__":
    main()
