"""The measured warm-up (sim/warmup.py: MSER-5), its manifest record and the run warnings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import SMALL, run_in_process

from analysis.stats import mser
from sim.warmup import daily_series, warmup_record

REPS = 200
T = np.arange(300)


def test_mser5_finds_a_known_transient() -> None:
    """8 exp(-t/15) plus unit noise: the bias falls to the noise of a batch mean of 5
    (sd 0.45) at t = 15 ln(8 / 0.45) = 43. Over 200 series MSER-5 always deletes part of the
    transient and its median lies within a batch or three of that point."""
    rng = np.random.default_rng(11)
    d = np.array([mser(8 * np.exp(-T / 15) + rng.normal(0, 1, T.size)) for _ in range(REPS)])
    assert d.min() >= 20
    assert 30 <= np.median(d) <= 60
    assert (d % 5 == 0).all()


def test_mser5_deletes_almost_nothing_from_a_stationary_series() -> None:
    """i.i.d. and AR(1) (phi 0.7) noise: most series keep everything; the rare long
    truncation stays far from the half-way limit."""
    rng = np.random.default_rng(12)
    iid = np.array([mser(rng.normal(0, 1, T.size)) for _ in range(REPS)])
    ar = []
    for _ in range(REPS):
        e = rng.normal(0, 1, T.size)
        y = np.zeros(T.size)
        for i in range(1, T.size):
            y[i] = 0.7 * y[i - 1] + e[i]
        ar.append(mser(y))
    for d in (iid, np.array(ar)):
        assert np.median(d) == 0
        assert (d == 0).mean() > 0.55
        assert np.percentile(d, 90) <= 50


def test_daily_series_of_counters_and_levels() -> None:
    ts = pd.DataFrame({"time_h": [0, 12, 24, 36, 48], "orders_placed": [5, 8, 15, 15, 20],
                       "receivables": [1.0, 3.0, 5.0, 7.0, 9.0]})
    s = daily_series(ts)
    assert s["orders_placed_per_day"].tolist() == [10.0, 5.0]
    assert s["receivables"].tolist() == [2.0, 6.0]
    rec = warmup_record(ts, used_hours=24.0)
    assert rec["used_days"] == 1.0 and rec["suggested_days"] == 0.0 and rec["covered"]


def test_a_scheduled_peak_is_not_taken_for_a_transient() -> None:
    """Stationary noise with a demand peak at days 70-77 (1.6x) and its 30-day after-effect:
    over 200 series, MSER-5 on the whole 180 days often cuts after the peak; searched up to
    the peak's start (as runs do) it keeps everything in most series, as for stationary
    noise."""
    rng = np.random.default_rng(13)
    t = np.arange(180)
    bump = np.where((t >= 70) & (t < 77), 6.0, 0.0) + np.where(
        t >= 77, 6.0 * np.exp(-(t - 77) / 10.0), 0.0)
    whole, cut = [], []
    for _ in range(REPS):
        y = 10.0 + bump + rng.normal(0, 1, t.size)
        ts = pd.DataFrame({"time_h": np.arange(t.size + 1) * 24.0,
                           "orders_placed": np.concatenate([[0.0], np.cumsum(y)])})
        whole.append(warmup_record(ts, 0.0)["suggested_days"])
        rec = warmup_record(ts, 0.0, stop_hours=70 * 24.0)
        assert rec["searched_days"] == 70.0
        cut.append(rec["suggested_days"])
    assert np.mean(np.array(whole) >= 75) > 0.5, "the peak misleads MSER-5 on the whole run"
    cut_days = np.array(cut)
    assert np.median(cut_days) == 0 and (cut_days == 0).mean() > 0.55
    # too few days before the peak to search: the whole series is searched
    assert warmup_record(ts, 0.0, stop_hours=20 * 24.0)["searched_days"] == 180.0


def test_manifest_records_the_warmup(small_run: Path) -> None:
    man = json.loads((small_run / "manifest.json").read_text())
    w = man["warmup"]
    assert w["method"].startswith("MSER-5")
    assert set(w["series"]) == {"orders_placed_per_day", "receivables", "customers_active",
                                "orders_in_process"}
    assert w["used_days"] == man["warmup_days"] == 1.0
    assert w["covered"] == (w["used_days"] >= w["suggested_days"])
    assert man["opening"] == "steady"
    assert any(text.startswith("DSO: ") for text in man["warnings"]), "a 4-day run is too short"
    assert "dso_days" in man["too_short"]


@pytest.mark.parametrize("days, short", [("30", True), ("130", False)])
def test_run_warns_when_the_window_is_too_short(tmp_path: Path, days: str, short: bool
                                                ) -> None:
    """DSO needs the longest terms plus the mean late delay (45 + 15 = 60 days after the
    warm-up), B2B lead to cash its typical duration (about 82 days)."""
    code, out, err = run_in_process(["run", SMALL, "--days", days, "--set", "warmup=3 d",
                                     "--out", str(tmp_path), "--json"])
    assert code == 0, err
    json.loads(out)  # stdout holds only the JSON
    warned = [line for line in err.splitlines() if "run at least" in line]
    assert bool(warned) == short, err
    if short:
        assert all(line.startswith("omnisim: warning: ") for line in warned)
        assert any(line.startswith("omnisim: warning: DSO: ") and "payment terms" in line
                   for line in warned)


def test_run_warns_when_the_warmup_is_shorter_than_mser5_suggests(tmp_path: Path) -> None:
    code, _, err = run_in_process(["run", SMALL, "--days", "30", "--set", "warmup=1 h",
                                   "--out", str(tmp_path)])
    assert code == 0, err
    (folder,) = tmp_path.glob("small+*/seed-1")
    w = json.loads((folder / "manifest.json").read_text())["warmup"]
    assert ("shorter than MSER-5 suggests" in err) == (not w["covered"])
    assert w["suggested_days"] > 0, "the small company drains from its start: MSER-5 sees it"
