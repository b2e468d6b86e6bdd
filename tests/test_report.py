"""The HTML report's opening summary, its structure and its wording (``analysis.report``,
``analysis.findings``): the three largest credible differences, the bottleneck and the
business case in words with the registry's labels, "Read with care" from the manifest's
warnings, folded "no clear difference" items, responsive tables, definitions inside, no raw
KPI keys and no link to files the reader does not have."""

from __future__ import annotations

import json
import math
import re

import pandas as pd
import pytest
from cli_helpers import copy_of

from analysis import load
from analysis.findings import (
    business_case,
    credible,
    difference_text,
    largest,
    paired_summary,
)
from analysis.report import write_report
from analysis.stats import mean_ci
from sim.kpis.registry import describe, kpis


def _row(scenario: str, index: int, kpi: str, mean: float, diff: float = 0.0,
         low: float = 0.0, high: float = 0.0) -> dict:
    return {"scenario": scenario, "scenario_index": index, "kpi": kpi, "n": 3, "mean": mean,
            "ci_low": mean, "ci_high": mean, "diff_mean": diff, "diff_ci_low": low,
            "diff_ci_high": high}


def _summary() -> pd.DataFrame:
    """Phase 1 against phase 6 and phase 3, with known credible and unclear differences."""
    rows = [_row("p1", 0, "ebit_margin", -0.05), _row("p1", 0, "cost_per_order", 400.0),
            _row("p1", 0, "cart_abandonment_rate", 0.80), _row("p1", 0, "dso_days", 50.0),
            _row("p1", 0, "ebit", 1000.0), _row("p1", 0, "operating_cash_flow", 500.0),
            # EBIT margin -5% -> +14%: +19 points [16, 22], relative 0.19 / 0.14 > 1
            _row("p6", 2, "ebit_margin", 0.14, 0.19, 0.16, 0.22),
            # cost per order 400 -> 300: -100 [-120, -80], relative 0.25
            _row("p6", 2, "cost_per_order", 300.0, -100.0, -120.0, -80.0),
            # cart abandonment 80% -> 70%: relative 0.125
            _row("p6", 2, "cart_abandonment_rate", 0.70, -0.10, -0.12, -0.08),
            # DSO: an interval across 0 is not credible, however large
            _row("p6", 2, "dso_days", 10.0, -40.0, -90.0, 10.0),
            _row("p6", 2, "ebit", 9000.0, 8000.0, 7000.0, 9000.0),
            _row("p6", 2, "operating_cash_flow", 600.0, 100.0, -50.0, 250.0),
            # phase 3 improves the margin less: phase 6 is the one the summary names
            _row("p3", 1, "ebit_margin", 0.0, 0.05, 0.03, 0.07),
            _row("p3", 1, "cost_per_order", 390.0, -10.0, math.nan, math.nan),
            _row("p3", 1, "ebit", 1500.0, 500.0, -100.0, 1100.0),
            _row("p3", 1, "operating_cash_flow", 500.0, 0.0, -10.0, 10.0)]
    return pd.DataFrame(rows)


def test_credible_keeps_intervals_that_exclude_zero_ranked_by_relative_size():
    found = credible(_summary())
    pairs = [(f.scenario, f.kpi) for f in found]
    assert ("p6", "dso_days") not in pairs  # crosses 0
    assert ("p3", "cost_per_order") not in pairs  # no interval (NaN)
    assert ("p6", "operating_cash_flow") not in pairs
    rel = [f.relative for f in found]
    assert rel == sorted(rel, reverse=True)
    cost = next(f for f in found if f.kpi == "cost_per_order")
    assert cost.relative == pytest.approx(100.0 / 400.0)  # against the larger level


def test_largest_names_three_kpis_once_each_with_labels_and_units():
    top = largest(_summary(), ["ebit_margin", "cost_per_order", "cart_abandonment_rate",
                               "dso_days", "ebit"])
    assert [f.kpi for f in top] == ["ebit_margin", "ebit", "cost_per_order"]
    assert top[0].scenario == "p6"  # phase 6's margin change, not phase 3's smaller one
    assert top[0].text() == "EBIT margin: p6 +19 points [16, 22] over p1 (better)"
    assert top[2].text("EUR") == "Cost per order: p6 -100 EUR [-120, -80] over p1 (better)"


def test_difference_text_rounds_to_the_intervals_precision():
    assert difference_text("lead_to_cash_days_mean", 2.345, 2.0, 2.7) == \
        "+2.3 days [2.0, 2.7]"
    assert difference_text("cart_abandonment_rate", -0.0123, -0.0150, -0.0096) == \
        "-1.2 points [-1.5, -1.0]"
    assert difference_text("ebit", 1234.0, 1234.0, 1234.0) == "+1,234 USD [1,234, 1,234]"


def test_business_case_names_ebit_and_cash_or_says_there_is_none(small_compare):
    res = load(small_compare)
    text = business_case(res, _summary())
    assert text.startswith("p6 against p1")
    assert "EBIT +8,000 USD [7,000, 9,000]" in text
    assert "Operating cash flow +100 USD [-50, 250] (no clear difference)" in text
    none = _summary()
    none.loc[none["kpi"] == "ebit", ["diff_ci_low", "diff_ci_high"]] = [-1.0, 1.0]
    assert business_case(res, none).startswith("No business case in these results")
    without = _summary()[lambda d: d["kpi"] != "ebit"]
    assert business_case(res, without) == \
        "No business case: these results hold no EBIT or cash figures."


def _text(html: str) -> str:
    """The report's visible text and attributes, without the embedded images."""
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)


@pytest.fixture(scope="module")
def compare_report(small_compare, tmp_path_factory) -> str:
    folder = copy_of(small_compare, tmp_path_factory.mktemp("report"))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["warnings"] = ["DSO needs a statistics window of at least 60 days; this run "
                            "has 1 (raise --days)", "only <2> replications"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    path, kinds = write_report(load(folder), folder / "r.html")
    assert kinds[0] == "slide" and "kpi" in kinds
    return path.read_text(encoding="utf-8")


def test_report_opens_with_warnings_then_summary_then_figures_then_table(compare_report):
    text = compare_report
    at = [text.index(s) for s in ("Read with care", "id=summary", "id=figures", "id=kpis",
                                  "Differences to the first scenario", "id=definitions")]
    assert at == sorted(at)
    assert "<li>only &lt;2&gt; replications</li>" in text  # escaped, one item per warning
    summary = text[text.index("id=summary"):text.index("id=figures")]
    assert "Bottleneck:" in summary and "Business case:" in summary
    assert re.search(r"the [a-z ]+ in (every scenario|small)", summary)


def test_summary_lists_the_largest_credible_differences_of_the_run(small_compare):
    res = load(small_compare)
    summary = paired_summary(res)
    assert summary is not None
    top = largest(summary, list(summary["kpi"].unique()))
    for f in top:  # every named difference is credible in the folder's own numbers
        row = summary[(summary["scenario"] == f.scenario) & (summary["kpi"] == f.kpi)].iloc[0]
        assert row["diff_ci_low"] > 0 or row["diff_ci_high"] < 0
    # and recomputed from the replications: the paired interval of the differences
    if top:
        f = top[0]
        t = res.table.set_index("replication")
        diffs = (t.loc[t["scenario"] == f.scenario, f.kpi]
                 - t.loc[t["scenario"] == f.reference, f.kpi]).tolist()
        m, lo, hi, _ = mean_ci(diffs)
        assert (f.diff, f.low, f.high) == pytest.approx((m, lo, hi))


def test_no_clear_difference_items_fold_into_one_details_with_their_count(compare_report):
    text = compare_report
    found = re.findall(r"<details><summary>No clear difference: (\d+) more</summary>"
                       r"<ul>(.*?)</ul></details>", text)
    assert len(found) <= 1
    if found:
        count, items = found[0]
        assert int(count) == items.count("<li>") > 0
        assert "no clear difference" in items or "cannot be compared" in items


def test_no_raw_keys_definitions_inside_and_no_links_to_missing_files(compare_report):
    text = _text(compare_report)
    visible = re.sub(r"id=[\w-]+|alt='[^']*'", "", text)
    keys = [k.key for k in kpis() if "_" in k.key]
    assert [k for k in keys if re.search(rf"\b{k}\b", visible)] == []
    assert "docs/" not in text and ".md" not in text
    assert "<dt>Cart abandonment</dt><dd>carts abandoned / carts created" in text
    assert f"title='{describe('cart_abandonment_rate').definition}" in text  # as a tooltip
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)


def test_tables_scroll_in_their_own_box(small_sweep, tmp_path):
    path, _ = write_report(load(small_sweep), tmp_path / "sweep.html")
    text = path.read_text(encoding="utf-8")
    assert ".scroll{overflow-x:auto;max-width:100%}" in text
    tables = text.count("<table>")
    assert tables >= 2 and text.count("<div class=scroll><table>") == tables
    assert "<th>staff=1, interval=1 h</th>" in text  # the points by their parameters


def test_a_run_says_plainly_there_is_no_business_case(small_run, tmp_path):
    path, _ = write_report(load(small_run), tmp_path / "run.html")
    text = path.read_text(encoding="utf-8")
    assert "No business case: one run has nothing to compare against" in text
    assert "Customers and orders wait longest at the " in text or \
        "records no bottleneck" in text
    assert "Read with care" in text  # a 4-day run's own horizon warnings
    assert "(dso_days)" not in text  # the warning's raw key is left out
