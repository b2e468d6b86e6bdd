"""KPIs: the counts of a run and the KPIs made from them.

- :mod:`sim.kpis.ledger`: the :class:`Ledger` (window and cohort counts, money),
- :mod:`sim.kpis.formulas`: the declarative formulas (``ratio``, ``mean_of``, ...),
- :mod:`sim.kpis.spec`: what a declaration holds (:class:`~sim.kpis.spec.Kpi`, units, views),
- :mod:`sim.kpis.registry`: every KPI, declared once,
- :mod:`sim.kpis.books`: the formulas of the P&L, cash flow, working capital and unit
  economics per segment,
- :mod:`sim.kpis.compute`: :func:`compute_kpis` and :func:`costs` from the registry,
- :mod:`sim.kpis.docs`: ``docs/kpis.md`` from the registry (``python -m sim.kpis.docs``).
"""

from __future__ import annotations

from sim.kpis.compute import compute_kpis, costs
from sim.kpis.ledger import Ledger

__all__ = ["Ledger", "compute_kpis", "costs"]
