"""The KPI registry: every KPI declared once, and everything that shows a KPI reads it.

Adding a KPI must be one entry in ``sim.kpis.registry.KPIS``: the test that adds one in a
fixture finds it in ``omnisim run``, ``omnisim compare``, ``omnisim report`` and the
generated ``docs/kpis.md``.
"""

from __future__ import annotations

import json
import math
import re

import pytest
from cli_helpers import SMALL, run_in_process

from analysis.stats import describe_difference, is_rate, kpi_unit
from sim.kpis import compute, docs, registry
from sim.kpis.compute import Context, compute_kpis, contact_centres, snapshot
from sim.kpis.formulas import Ratio, calls, counted, is_interval, kpi, ratio
from sim.kpis.spec import Better, Family, Kpi, Unit, View
from sim.model import OmniModel
from sim.replicate import flatten
from sim.scenario import load
from sim.workshop.company import Company, headline_kpis


def _model(*overrides: str, days: int = 3) -> OmniModel:
    m = OmniModel(load(SMALL, [f"horizon={days} d", *overrides]).scenario)
    m.run()
    return m


@pytest.fixture(scope="module")
def small_run() -> OmniModel:
    return _model()


# --------------------------------------------------------------------------- declarations
def test_docs_kpis_md_is_generated_from_the_registry():
    assert docs.DOC.read_text(encoding="utf-8") == docs.render(), (
        f"docs/kpis.md differs from the KPI registry: run `{docs.COMMAND}` and commit it")


def test_every_kpi_is_declared_once_with_what_a_view_needs():
    keys = [e.key for e in registry.KPIS]
    assert len(keys) == len(set(keys)), "a key is declared twice"
    for k in registry.kpis():
        assert k.label and k.name and k.definition and k.formula is not None, k.key
        # shares lie in [0, 1], except the EBIT margin, which is negative for a loss
        assert k.bounded == (k.unit is Unit.SHARE and k.key != "ebit_margin"), k.key
        assert k.name == k.name.strip() and not k.name.endswith("."), k.key
    for fam in registry.families():
        assert fam.parts or fam.values is not None, fam.key
        assert (fam.param is None) == (fam.instances is None), fam.key
    for view in View:
        assert registry.shown_in(view), f"no KPI is shown in {view}"
    # every workshop number can be taken from a snapshot, and the charts' ratios are ratios
    for k in registry.shown_in(View.WORKSHOP):
        assert k.formula is not None
    for key in ("cart_abandonment_rate", "call_abandonment_rate", "cost_per_order"):
        assert isinstance(registry.get(key).formula, Ratio)


def test_every_number_of_a_run_is_declared_and_every_declared_kpi_is_computed(small_run):
    kpis = compute_kpis(small_run)
    for key in flatten(kpis):
        found = registry.lookup(key)
        assert found is not None, f"{key} is in kpis.json but not in the registry"
        # a family computed as one mapping (utilisation, cost_breakdown, staff_hours ...)
        computed_whole = any(f.values is not None and f.match(key.partition(".")[0]) is not None
                             for f in registry.families())
        assert isinstance(found, Kpi) and (found.formula is not None or computed_whole), key
    declared = {k.key for k in registry.kpis() if k.in_results}
    assert declared <= set(kpis)
    assert "orders_per_day" not in kpis  # a workshop-only number
    assert list(kpis["cost_breakdown"]) == registry.cost_buckets()
    for key, v in flatten(kpis).items():
        if registry.describe(key).bounded and not math.isnan(v):
            assert 0.0 <= v <= 1.0 + 1e-9, (key, v)


def test_nested_keys_have_labels_units_and_directions():
    staff = registry.describe("cost_breakdown.staff")
    assert (staff.label, staff.name, staff.unit, staff.better) == \
        ("Staff cost", "staff cost", Unit.MONEY, Better.LOWER)
    util = registry.describe("utilisation.call_centre")
    assert util.unit is Unit.SHARE and util.name == "call centre utilisation"
    stage = registry.describe("funnel_small_business.mql_to_sql")
    assert stage.unit is Unit.SHARE and stage.formula == \
        ratio("funnel.small_business.sql", "funnel.small_business.mql")
    assert isinstance(registry.lookup("funnel"), Family)
    assert registry.describe("funnel.carts_and_quotes").unit is Unit.COUNT
    unknown = registry.describe("gift_wrap_rate")  # not declared: guessed from the name
    assert unknown.unit is Unit.SHARE and unknown.name == "gift wrap"


def test_the_statistics_layer_reads_units_and_names_from_the_registry():
    assert is_rate("call_service_level")  # a share, whatever its name says
    assert not is_rate("customer_satisfaction") and not is_rate("funnel.leads")
    assert kpi_unit("lead_response_hours_mean") == "hours"
    assert kpi_unit("dso_days") == "days" and kpi_unit("revenue_by_source.ads") == ""
    row = {"diff_mean": -0.02, "diff_ci_low": -0.03, "diff_ci_high": -0.01}
    assert describe_difference("call_service_level", row, reference="p1") == \
        "the call service level falls by 2.0 points (95% CI 1.0 to 3.0) against p1"


# --------------------------------------------------------------------------- contact centres
def test_one_contact_centre_gives_its_own_numbers(small_run):
    cc = small_run.station_stats()["call_centre"]
    kpis = compute_kpis(small_run)
    assert contact_centres(small_run) == ["call_centre"]
    assert kpis["call_service_level"] == round(cc["service_level"], 10)
    expected = cc["abandoned"] / cc["arrivals"] if cc["arrivals"] else None
    assert kpis["call_abandonment_rate"] == (None if expected is None else round(expected, 10))


def test_several_contact_centres_pool_their_counts(monkeypatch):
    m = _model("channels.call_centre.staff=1")
    centres = ["call_centre", "order_desk"]
    monkeypatch.setattr(compute, "contact_centres", lambda model: centres)
    st = [m.stations[c] for c in centres]
    arrivals = sum(s.arrivals for s in st)
    assert arrivals > 0
    kpis = compute_kpis(m)
    assert kpis["call_abandonment_rate"] == \
        round(sum(s.abandoned for s in st) / arrivals, 10)
    assert kpis["call_service_level"] == \
        round(sum(s.answered_in_target for s in st) / arrivals, 10)
    monkeypatch.setattr(compute, "contact_centres", lambda model: [])
    kpis = compute_kpis(m)
    assert kpis["call_abandonment_rate"] is None and kpis["call_service_level"] is None


# --------------------------------------------------------------------------- snapshots
def test_a_snapshot_evaluates_kpis_like_the_run_and_ratios_over_intervals(small_run):
    ctx = Context(small_run)
    keys = ["orders", "cart_abandonment_rate", "cost_per_order", "total_cost"]
    snap = snapshot(small_run, [registry.get(k) for k in keys])
    for k in keys:
        assert snap.value(registry.get(k)) == ctx.value(k), k
    assert snap.read(kpi("total_cost")) == ctx.value("total_cost")
    assert not is_interval(registry.get("total_cost").formula)
    rate = registry.get("cart_abandonment_rate").formula
    assert (rate.numerator, rate.denominator) == (counted("carts_abandoned"), counted("carts"))
    calls_rate = registry.get("call_abandonment_rate").formula
    assert calls_rate.quantities == (calls("abandoned"), calls("arrivals"))


def test_the_workshop_headline_is_the_registry_kpis_of_the_run():
    c = Company.build(SMALL, label="A", seed=2)
    while c.running:
        c.step()
    totals = c.totals()
    kpis = c.model.kpis()  # no warm-up in the workshop: the window is the whole run
    assert [k for k in totals if k != "days"] == [k.key for k in headline_kpis()]
    for k in headline_kpis():
        if k.in_results:
            v = totals[k.key]
            assert (None if math.isnan(v) else round(v, 10)) == kpis[k.key], k.key
    assert totals["orders_per_day"] == pytest.approx(kpis["orders"] / c.horizon_days)


# --------------------------------------------------------------------------- adding a KPI
NEW = Kpi("carts_per_visit", "Carts per visit", "carts per visit", Unit.SHARE, Better.HIGHER,
          ratio("carts", "visits"), "B2C carts / B2C visits (a KPI added by a test)",
          shown={View.RUN, View.COMPARE, View.REPORT})


@pytest.fixture
def with_new_kpi(monkeypatch) -> Kpi:
    monkeypatch.setattr(registry, "KPIS", (*registry.KPIS, NEW))
    return NEW


def _omnisim(*args: str) -> str:
    code, out, err = run_in_process(list(args))
    assert code == 0, err
    return out


def test_a_kpi_added_to_the_registry_reaches_every_view(with_new_kpi, tmp_path):
    out = str(tmp_path)
    table = _omnisim("run", SMALL, "--days", "2", "--out", out)
    assert "Carts per visit" in table and "carts_per_visit" in table
    kpis = json.loads(_omnisim("run", SMALL, "--days", "2", "--out", out, "--json"))["kpis"]
    assert 0.0 < kpis["carts_per_visit"] < 1.0

    variant = tmp_path / "small-b.yaml"
    variant.write_text(f"extends: {SMALL}\nname: small-b\n"
                       "channels: {call_centre: {staff: 6}}\n", encoding="utf-8")
    compare = ("compare", SMALL, str(variant), "-r", "2", "--days", "2", "--workers", "1",
               "--out", out)
    assert "Carts per visit" in _omnisim(*compare)
    summary = json.loads(_omnisim(*compare, "--json"))
    assert all("carts_per_visit" in s["kpis"] for s in summary["scenarios"])

    (folder,) = tmp_path.glob("compare-*/seed-1")
    report = tmp_path / "report.html"
    _omnisim("report", str(folder), "--out", str(report))
    html = report.read_text(encoding="utf-8")
    assert "Carts per visit" in html  # the table's row
    assert re.search(r"<li>([^<:]+: )?carts per visit ", html)  # folded: scenario first

    text = docs.render()
    assert "| Carts per visit | `carts_per_visit` | share |" in text
    assert "B2C carts / B2C visits (a KPI added by a test)" in text
