"""Tests of analysis.plots: the ladder figure is written as a valid PNG or SVG."""

from __future__ import annotations

import struct

import numpy as np
import pandas as pd
import pytest

from analysis.plots import LABELS, LADDER_KPIS, ladder_figure, short_labels
from analysis.stats import summarise

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SCENARIOS = ["phase-0-paper", "phase-1-siloed", "phase-2-connected", "phase-3-integrated"]


def _summary(reps: int = 6) -> pd.DataFrame:
    """A summarise() table for 4 scenarios and the 8 ladder KPIs (synthetic, seeded)."""
    rng = np.random.default_rng(5)
    levels = {"throughput_orders_per_day": (300, 10), "cart_abandonment_rate": (0.7, -0.03),
              "lead_to_cash_days_mean_b2b": (40, -4), "order_accuracy": (0.93, 0.01),
              "oversell_rate": (0.02, -0.004), "dso_days": (50, -3), "cost_per_order": (38, -2),
              "customer_satisfaction": (70, 3)}
    rows = []
    for r in range(reps):
        shared = rng.normal(size=len(levels))
        for i, name in enumerate(SCENARIOS):
            for k, (kpi, (level, step)) in enumerate(levels.items()):
                scale = abs(step)
                value = level + step * i + scale * (shared[k] + 0.3 * rng.normal())
                rows.append((name, i, r, 100 + r, kpi, value))
    tidy = pd.DataFrame(rows, columns=["scenario", "scenario_index", "replication", "seed",
                                       "kpi", "value"])
    return summarise(tidy)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_ladder_png(tmp_path):
    out = ladder_figure(_summary(), LADDER_KPIS, tmp_path / "ladder.png", "Maturity ladder")
    assert out == tmp_path / "ladder.png"
    data = out.read_bytes()
    assert len(data) > 10_000
    width, height = _png_size(data)
    assert 1200 <= width <= 4000 and 600 <= height <= 3000  # 2 x 5 panels, 150 dpi
    assert width > height


def test_ladder_svg_with_labels_and_missing_kpi(tmp_path):
    kpis = ["order_accuracy", "dso_days", "not_a_kpi"]
    out = ladder_figure(_summary(), kpis, tmp_path / "ladder.svg", "Three panels",
                        labels={"order_accuracy": "Accuracy of orders"})
    text = out.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert "Accuracy of orders" in text  # the custom label
    assert "DSO (days)" in text  # no label given: the registry's label and unit
    assert "Not a kpi" in text  # unknown to the registry: the key in words
    assert "no data" in text  # not_a_kpi has no rows
    assert "Three panels" in text


def test_ladder_leaves_global_matplotlib_state_alone(tmp_path):
    import matplotlib

    before = dict(matplotlib.rcParams)
    ladder_figure(_summary(), LADDER_KPIS[:2], tmp_path / "two.png", "Two")
    after = dict(matplotlib.rcParams)
    changed = [k for k in before if str(before[k]) != str(after[k])]
    assert changed == []


def test_ladder_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="format"):
        ladder_figure(_summary(), LADDER_KPIS, tmp_path / "ladder.jpg", "x")
    with pytest.raises(ValueError, match="no KPIs"):
        ladder_figure(_summary(), [], tmp_path / "ladder.png", "x")
    with pytest.raises(ValueError, match="lacks columns"):
        ladder_figure(_summary().drop(columns="ci_low"), LADDER_KPIS, tmp_path / "l.png", "x")


def test_short_labels_and_default_labels():
    assert short_labels(SCENARIOS) == ["0-paper", "1-siloed", "2-connected", "3-integrated"]
    assert short_labels(["baseline", "total-commerce"]) == ["baseline", "total-commerce"]
    assert short_labels(["phase-", "phase-2"]) == ["phase-", "phase-2"]  # would empty one
    assert short_labels(["only"]) == ["only"]
    assert set(LABELS) == set(LADDER_KPIS)
