"""The workshop's model-stepping helpers, levers, lessons and chart data (no browser, no
Solara): stepping day by day must end exactly where ``OmniModel.run`` ends, levers must turn
into the ``--set`` overrides a user would type, and charts must show the run's own numbers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from cli_helpers import run_in_process

from sim.model import OmniModel
from sim.scenario import SCENARIO_DIR, ScenarioError, load
from sim.workshop import charts
from sim.workshop import levers as lv
from sim.workshop.company import STEP_HOURS, Company, Workshop, advance
from sim.workshop.lessons import load_lessons, parse

SMALL = str(Path(__file__).parent / "scenarios" / "small.yaml")


def _small(days: int, warmup: str = "1 d"):
    return load(SMALL, [f"horizon={days} d", f"warmup={warmup}"]).scenario


# --------------------------------------------------------------------------- stepping
@pytest.mark.parametrize("hours", [6.0, 7.0, STEP_HOURS])
def test_stepping_ends_exactly_where_run_ends(hours):
    sc = _small(4)
    whole = OmniModel(sc)
    whole.run()
    stepped = OmniModel(sc)
    steps = 0
    while advance(stepped, hours):
        steps += 1
    assert steps == math.ceil(sc.horizon / hours) - 1
    assert stepped.env.now == whole.env.now == sc.horizon
    assert stepped.kpis() == whole.kpis()
    assert dict(stepped.terminal) == dict(whole.terminal)
    assert stepped.in_flight == whole.in_flight
    assert stepped.timeseries().equals(whole.timeseries())


def test_advance_stops_at_the_horizon_and_rejects_no_time():
    m = OmniModel(_small(2))
    with pytest.raises(ValueError, match="hours must be > 0"):
        advance(m, 0)
    assert advance(m, 30.0) is True and m.env.now == 30.0
    assert advance(m, 30.0) is False and m.env.now == 48.0  # clipped to the horizon
    agents = len(m.agents)
    assert agents == 0  # finished: everyone still travelling ended as in_flight
    assert advance(m, 24.0) is False and m.env.now == 48.0  # nothing more happens


def test_company_history_counts_the_ledger_day_by_day():
    c = Company.build(SMALL, label="A", seed=5)
    assert c.model.scenario.warmup == 0 and c.model.scenario.seed == 5
    for _ in range(3):
        c.step()
    assert [d.day for d in c.history] == [0.0, 1.0, 2.0, 3.0]
    last = c.history[-1]
    assert last.orders == c.model.ledger.n["orders"] > 0
    orders = [d.orders for d in c.history]
    assert orders == sorted(orders)  # cumulative
    t = c.totals()
    assert t["orders_per_day"] == pytest.approx(last.orders / 3.0)
    assert t["cost_per_order"] == pytest.approx(last.cost / last.orders)
    assert sum(c.funnel().values()) == len(c.model.agents)  # every customer is at one stage
    assert c.queues().keys() == c.model.stations.keys()
    name, sentence = c.bottleneck()
    assert name in c.model.stations and "bottleneck" in sentence


def test_side_by_side_with_the_same_phase_is_identical_and_seeded_together():
    w = Workshop(SMALL, compare=SMALL, seed=3)
    for _ in range(2):
        w.step()
    a, b = w.companies
    assert (a.label, b.label) == ("A", "B") and w.steps == 2 and w.day == 2.0
    assert a.history == b.history  # same phase, same seed: common random numbers
    other = Workshop(SMALL, seed=4)
    other.step()
    assert other.companies[0].history[1] != a.history[1]


def test_workshop_runs_to_the_horizon_and_then_stops():
    w = Workshop(SMALL, seed=1)
    days = w.companies[0].horizon_days
    for _ in range(int(days) + 2):
        w.step()
    assert not w.running and w.day == days
    assert len(w.companies[0].history) == int(days) + 1


def test_a_lever_restarts_the_company_with_its_override():
    w = Workshop(SMALL, seed=1, levers={"staff.call_centre": 7, "order_desk_mode": "realtime"})
    c = w.companies[0]
    assert c.model.scenario.channels["call_centre"].staff == 7
    assert c.model.scenario.links["order_desk"].mode == "realtime"
    assert c.model.stations["call_centre"].capacity == 7
    with pytest.raises(ValueError, match="unknown lever"):
        Workshop(SMALL, levers={"staff.nobody": 1})
    with pytest.raises(ScenarioError):
        Workshop("no-such-phase")


# --------------------------------------------------------------------------- levers
def test_levers_start_at_the_phases_own_values():
    ld = load("total-commerce/phase-1-siloed")
    sc = ld.scenario
    v = lv.phase_values(ld)
    assert v["staff.call_centre"] == sc.channels["call_centre"].staff
    assert v["staff.order_desk"] == sc.teams["order_desk"].staff
    assert v["stock_sync_hours"] == sc.links["stock_sync"].interval
    assert v["chatbot_topics"] == sc.channels["chatbot"].topics_covered
    assert v["page_load_s"] == pytest.approx(sc.channels["web"].page_load.median * 3600)
    assert v["order_desk_mode"] == sc.links["order_desk"].mode
    assert lv.overrides(ld, v) == [] and lv.overrides(ld, {}) == []


def test_levers_become_the_overrides_a_user_would_type():
    ld = load("total-commerce/phase-4-integrated")
    sets = lv.overrides(ld, {"staff.call_centre": 5, "stock_sync_hours": 0, "page_load_s": 1.5,
                             "chatbot_topics": 60, "order_desk_mode": "batch"})
    assert "channels.call_centre.staff=5" in sets
    sc = load("total-commerce/phase-4-integrated", sets).scenario
    assert sc.channels["call_centre"].staff == 5
    assert sc.links["stock_sync"].mode == "realtime"
    assert sc.links["order_desk"].mode == "batch"
    assert sc.channels["chatbot"].topics_covered == 60
    for ch in ("web", "app", "partner_portal"):
        old = ld.scenario.channels[ch].page_load
        assert sc.channels[ch].page_load.median == pytest.approx(1.5 / 3600)
        assert sc.channels[ch].page_load.sigma == old.sigma  # the spread is kept
    back = load("total-commerce/phase-4-integrated", lv.overrides(ld, {"stock_sync_hours": 2}))
    assert back.scenario.links["stock_sync"].interval == 2.0


def test_levers_clamp_and_reject_what_the_page_cannot_offer():
    ld = load("total-commerce/phase-1-siloed")
    by = {x.key: x for x in lv.levers_for(ld)}
    assert by["staff.store"].coerce(999) == by["staff.store"].high
    assert by["chatbot_topics"].coerce(-1) == 0
    with pytest.raises(ValueError, match="not one of"):
        by["order_desk_mode"].coerce("telepathy")
    assert by["stock_sync_hours"].show(0) == "real time"
    assert by["stock_sync_hours"].show(24) == "24 h"
    small_company = load("validation/mm1")
    keys = {x.key for x in lv.levers_for(small_company)}
    assert "staff.store" not in keys and "page_load_s" not in keys  # it has neither


# --------------------------------------------------------------------------- lessons
def test_every_ladder_step_has_a_lesson_from_the_readme():
    lessons = load_lessons()
    for ladder in ("total-commerce", "omnichannel"):
        for path in sorted((SCENARIO_DIR / ladder).glob("*.yaml")):
            lesson = lessons[f"{ladder}/{path.stem}"]
            assert lesson.changed and lesson.look_for, path.stem
            n = path.stem.split("-")[1]
            assert lesson.title.split()[1] == n  # "Phase 4 - integrated" <-> phase-4-...


def test_lesson_parsing_splits_change_and_what_to_look_for(tmp_path):
    (tmp_path / "lad").mkdir()
    (tmp_path / "lad" / "step-2-better.yaml").write_text("{}")
    text = ("# Title\n\n## A ladder (`lad/`)\n\nIntro text.\n\n"
            "**Stage 2 - better.** Things\nimprove. *Look for:* fewer queues.\n\n"
            "**Stage 3 - missing.** No file for this one.\n")
    lessons = parse(text, tmp_path)
    assert list(lessons) == ["lad/step-2-better"]
    lesson = lessons["lad/step-2-better"]
    assert lesson.title == "Stage 2 - better"
    assert lesson.changed == "Things improve."
    assert lesson.look_for == "fewer queues."


# --------------------------------------------------------------------------- charts
@pytest.fixture(scope="module")
def two_days() -> Workshop:
    w = Workshop(SMALL, compare="validation/mm1", seed=2)
    w.step()
    w.step()
    return w


def test_chart_options_are_json_and_show_the_runs_own_numbers(two_days):
    companies = two_days.companies
    opts = {name: make(companies) for name, make in charts.ALL.items()}
    json.dumps(opts, allow_nan=False)  # the browser gets valid JSON, no NaN
    a = companies[0]
    funnel = opts["funnel"]["series"][0]["data"]
    assert funnel == [a.funnel()[s] for s in charts.STAGE_LABELS]
    orders = opts["orders_per_day"]["series"][0]["data"]
    h = a.history
    assert orders == [[d1.day, d1.orders - d0.orders] for d0, d1 in zip(h, h[1:], strict=False)]
    names = charts.busiest(companies)
    worst = {n: max(c.queues().get(n, 0) for c in companies) for n in names}
    assert list(worst.values()) == sorted(worst.values(), reverse=True)
    assert [s["name"] for s in opts["queues"]["series"]] == [charts.legend_name(c)
                                                            for c in companies]
    cash = opts["cash"]["series"][0]["data"]
    assert cash[-1][1] == pytest.approx(a.history[-1].cash / 1000.0, abs=0.01)


# --------------------------------------------------------------------------- command line
def test_workshop_command_rejects_bad_input_in_one_line(tmp_path):
    import socket
    import subprocess
    import sys

    def omnisim(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "sim.cli", "workshop", *args],
                              cwd=tmp_path, text=True, capture_output=True, timeout=120)

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        taken = omnisim("--port", str(port))  # a real process: a real server socket
    code, out, err = run_in_process(["workshop", "no-such-phase"])
    missing = subprocess.CompletedProcess([], code, out, err)
    for r, words in ((taken, "Address already in use"), (missing, "no such file or shipped")):
        assert r.returncode == 2, r.stderr
        assert r.stderr.startswith("omnisim: error: ") and r.stderr.count("\n") == 1
        assert words in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("host", ["no-such-host.invalid", "class-room", "127.0.0.1.nip.io"])
def test_workshop_refuses_a_host_name_without_looking_it_up(monkeypatch, host):
    import socket

    def no_dns(*args, **kwargs):
        raise AssertionError(f"a DNS query for {args[0]!r}")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    monkeypatch.setattr(socket, "gethostbyname", no_dns)
    code, out, err = run_in_process(["workshop", "--host", host])
    assert code == 2 and out == "", err
    assert len(err.strip().splitlines()) == 1 and "--host" in err and "IP address" in err


def test_workshop_takes_addresses_and_localhost():
    from sim.cli.workshop import listen_address

    assert listen_address("localhost") == listen_address("LOCALHOST") == "127.0.0.1"
    assert listen_address("0.0.0.0") == "0.0.0.0"
    assert listen_address("::1") == "::1" and listen_address("192.168.1.20") == "192.168.1.20"


# --------------------------------------------------------------------------- rolling window
def test_rolling_window_is_the_difference_of_cumulative_counts(two_days):
    from sim.workshop.company import Company

    c = Company.build(SMALL, label="A", seed=5)
    for _ in range(10):
        c.step()
    h = c.history
    parts = charts.window_parts(h, "cost_per_order", days=3)
    for i, (day, num, den) in enumerate(parts):
        n1, d1 = h[i].parts("cost_per_order")
        if day < 3:
            assert (num, den) == (n1, d1)  # fewer days than the window: since day 0
        else:
            n0, d0 = h[i - 3].parts("cost_per_order")
            assert num == pytest.approx(n1 - n0) and den == pytest.approx(d1 - d0)
    pts = charts.rolling(h, "cost_per_order", days=3)
    assert [p[0] for p in pts] == [d.day for d in h]


# --------------------------------------------------------------------------- flow view
def test_flow_snapshot_counts_match_the_model_and_dots_sit_in_their_boxes():
    from sim.workshop.company import Company
    from sim.workshop.flowchart import flow_chart, station_boxes, station_dots

    c = Company.build("total-commerce/phase-1-siloed", label="A", seed=1)
    for _ in range(3):
        c.step()
    snap = c.flow()
    m = c.model
    for name, st in m.stations.items():
        assert snap.stations[name].waiting == st.waiting
        assert snap.stations[name].in_service == st.in_service
        assert len(snap.stations[name].queued) <= st.waiting
    stage_of = {a.unique_id: a.stage for a in m.agents}
    queued = [i for st in snap.stations.values() for i, _ in st.queued]
    for stage, here in snap.at_stage.items():
        n_queued = sum(1 for i in queued if stage_of[i] == stage)
        assert len(here) + n_queued == m.stage_counts[stage], stage
    assert sum(st.waiting for st in snap.stations.values()) > 0
    boxes = station_boxes(snap)
    for name, box in boxes.items():
        for _, _, (x, y) in station_dots(snap.stations[name], box):
            assert box[0] <= x <= box[2] and box[1] <= y <= box[3]
    json.dumps(flow_chart(snap, "A"), allow_nan=False)
