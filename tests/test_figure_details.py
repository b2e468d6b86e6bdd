"""What the figures say beyond rendering: units on every KPI axis (from the registry), the
tornado's intervals over replications, a compare's ``kpi.png`` that is not the slide, and a
manifest's ``warnings`` read as sentences or refused in one line."""

from __future__ import annotations

import json

import pytest
from cli_helpers import copy_of

from analysis import ResultsError, load
from analysis.figures import draw, param_label, tornado_rows
from analysis.plots import axis_label, ladder_figure, unit_of
from analysis.stats import kpi_ci
from sim.kpis.registry import View, kpis, shown_in
from sim.kpis.spec import Unit


def test_every_registry_unit_has_words_on_an_axis():
    for k in kpis():
        assert unit_of(k.key, "EUR"), k.key
    assert axis_label("cart_abandonment_rate") == "Cart abandonment (%)"
    assert axis_label("ebit", "EUR") == "EBIT (EUR)"
    assert axis_label("lead_to_cash_days_mean") == "Lead to cash, mean (days)"
    assert {unit_of(k.key) for k in kpis() if k.unit is Unit.MONEY} == {"USD"}


def test_swept_parameters_carry_their_units(small_sweep):
    res = load(small_sweep)
    assert param_label(res, "links.stock_sync.interval") == "stock_sync.interval (hours)"
    assert param_label(res, "channels.call_centre.staff") == "call_centre.staff"


def test_tornado_ends_carry_intervals_over_replications(small_sweep):
    res = load(small_sweep)
    rows = {r[0]: r for r in tornado_rows(res, "cost_per_order")}
    _, (lo_m, lo_a, lo_b), (hi_m, hi_a, hi_b), lo_l, hi_l = rows["call_centre.staff"]
    t = res.table
    for level, (m, a, b) in ((1, (lo_m, lo_a, lo_b)), (3, (hi_m, hi_a, hi_b))):
        per_rep = t[t["channels.call_centre.staff"] == level].groupby("replication")[
            "cost_per_order"].mean()
        assert (m, a, b) == pytest.approx(kpi_ci(per_rep.tolist(), "cost_per_order")[:3])
        assert a < m < b or a == m == b
    assert (lo_l, hi_l) == ("1", "3")


def test_compare_kpi_figure_is_not_the_slide(small_compare, tmp_path):
    res = load(small_compare)
    assert res.summary is not None
    slide = ladder_figure(res.summary, [k.key for k in shown_in(View.SLIDE)],
                          tmp_path / "slide.png", "slide")
    spread = draw(res, "kpi", tmp_path / "kpi.png")
    assert spread.read_bytes() != slide.read_bytes()
    assert spread.stat().st_size > 10_000


def test_manifest_warnings_must_be_sentences(small_run, tmp_path):
    folder = copy_of(small_run, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["warnings"] = ["fine", {"not": "a sentence"}]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ResultsError, match="warnings must be a list of sentences"):
        load(folder)
    manifest["warnings"] = ["fine"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert load(folder).manifest["warnings"] == ["fine"]
