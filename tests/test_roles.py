"""Channels and teams by role: a company adds channels and teams under any names in YAML alone.

The journey, the KPIs, the process map and the workshop levers dispatch on a channel's
``role`` (web shop, contact centre, store ...) and a team's ``role`` (collections, credit
control ...), never on its name, so a second web shop or a regional contact centre works
without a code change.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sim.model import OmniModel
from sim.processmap import process_map
from sim.scenario import ScenarioError, load
from sim.workshop import levers as lv

SMALL = Path(__file__).parent / "scenarios" / "small.yaml"

#: a second web shop and a second contact centre, under new names, sharing the consumers'
#: visits and contacts with the classic ones
TWO_OF_EACH = f"""\
extends: {SMALL}
name: two-of-each
horizon: 12 d
channels:
  web_eu:
    role: web_shop
    staffed: false
    service_time: {{dist: lognormal, median: 6 min, sigma: 0.6}}
    page_load: {{dist: lognormal, median: 2 s, sigma: 0.4}}
    checkout_steps: 4
    cost_per_interaction: 0.02 USD
  call_centre_north:
    role: contact_centre
    staffed: true
    staff: 3
    hours: Mon-Sat 08:00-20:00
    service_time: {{dist: lognormal, median: 5 min, sigma: 0.5}}
    cost_per_staff_hour: 30 USD
segments:
  consumer:
    leads_per_day: 600
    channels: {{web: 0.25, web_eu: 0.25, app: 0.3, store: 0.12, call_centre: 0.04,
               call_centre_north: 0.04}}
    after_sale: {{wismo_contact: 1.0, service_contact: 1.0}}
  small_business:
    after_sale: {{wismo_contact: 1.0, service_contact: 1.0, status_lookup: 0.0}}
"""


class Recorder:
    """The event log as (activity, resource, segment) rows."""

    with_objects = False

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str]] = []

    def record(self, case: int, customer: int, segment: str, activity: str, resource: str,
               *rest: Any) -> None:
        self.rows.append((activity, resource, segment))


def _file(tmp_path: Path, text: str, name: str = "company.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def two_of_each(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, OmniModel, Recorder]:
    loaded = load(_file(tmp_path_factory.mktemp("roles"), TWO_OF_EACH))
    rec = Recorder()
    model = OmniModel(loaded.scenario, eventlog=rec)
    model.run()
    return loaded, model, rec


def test_new_names_take_their_role(two_of_each: Any) -> None:
    loaded, _, _ = two_of_each
    sc = loaded.scenario
    assert sc.channels["web_eu"].role == "web_shop"
    assert sc.channels["web"].role == "web_shop"  # a classic name implies its role
    assert sc.channels_of("web_shop") == ["web", "web_eu"]
    assert sc.channels_of("contact_centre") == ["call_centre", "call_centre_north"]


def test_second_web_shop_and_contact_centre_do_work_and_show_in_the_kpis(two_of_each: Any
                                                                        ) -> None:
    _, model, rec = two_of_each
    kpis = model.kpis()
    for name in ("web_eu", "call_centre_north"):
        assert name in kpis["utilisation"]
        assert model.stations[name].arrivals > 0, name
    assert kpis["utilisation"]["call_centre_north"] > 0
    by_resource = Counter(r for a, r, _ in rec.rows if a == "checkout")
    assert by_resource["web_eu"] > 0 and by_resource["web"] > 0
    # call abandonment pools every contact centre's calls
    stats = model.station_stats()
    centres = ("call_centre", "call_centre_north")
    abandoned = sum(stats[n]["abandoned"] for n in centres)
    arrivals = sum(stats[n]["arrivals"] for n in centres)
    assert kpis["call_abandonment_rate"] == pytest.approx(abandoned / arrivals, abs=1e-9)


def test_contacts_split_between_contact_centres_by_the_segments_weights(two_of_each: Any
                                                                       ) -> None:
    """Consumers list both contact centres with weight 0.04: their service contacts (order
    status, returns, questions) go to each with probability 1/2 (binomial test, 0.1%).
    Business buyers list only the classic one, and all theirs go there."""
    from scipy.stats import binomtest  # here, not at collection: scipy.stats takes ~0.5 s

    _, _, rec = two_of_each
    contacts = Counter(r for a, r, seg in rec.rows if a.startswith("contact:")
                       and seg == "consumer" and r != "chatbot")
    business = Counter(r for a, r, seg in rec.rows if a.startswith("contact:")
                       and seg != "consumer" and r != "chatbot")
    assert set(business) == {"call_centre"}, business
    n = contacts["call_centre"] + contacts["call_centre_north"]
    assert n >= 100, contacts
    assert binomtest(contacts["call_centre_north"], n, 0.5).pvalue > 1e-3, contacts


def test_both_show_on_the_process_map_with_their_role(two_of_each: Any) -> None:
    loaded, _, _ = two_of_each
    pm = process_map(loaded.scenario)
    nodes = {n.id: n for n in pm.nodes}
    assert nodes["web_eu"].label == "web eu" and "web shop" in nodes["web_eu"].note
    assert "contact centre" in nodes["call_centre_north"].note
    assert {e.source for e in pm.edges_of("order_intake")} >= {"web", "web_eu"}


def test_both_get_workshop_levers(two_of_each: Any) -> None:
    loaded, _, _ = two_of_each
    keys = {lever.key for lever in lv.levers_for(loaded)}
    assert {"staff.call_centre", "staff.call_centre_north", "page_load_s"} <= keys
    sets = lv.overrides(loaded, {"staff.call_centre_north": 7, "page_load_s": 1.5})
    assert "channels.call_centre_north.staff=7" in sets
    assert sum(s.startswith("channels.web_eu.page_load=") for s in sets) == 1
    again = load(loaded.path, sets).scenario
    assert again.channels["call_centre_north"].staff == 7
    assert math.isclose(again.channels["web_eu"].page_load.median * 3600, 1.5)


def test_a_team_under_another_name_does_its_roles_work(tmp_path: Path) -> None:
    """Collections renamed ``receivables`` (role collections) make the dunning calls and
    resolve the disputes; the order desk's manual link can name any team."""
    text = (f"extends: {SMALL}\nname: renamed\nhorizon: 40 d\nteams:\n  collections: null\n"
            "  receivables: {role: collections, staff: 2, touch_time: 15 min}\n"
            "invoices: {dispute_team: null}\n")  # disputes to the collections role
    model = OmniModel(load(_file(tmp_path, text)).scenario, eventlog=(rec := Recorder()))
    model.run()
    assert "collections" not in model.stations
    done_by = Counter(r for a, r, _ in rec.rows if a in ("dunning", "dispute resolved"))
    assert done_by and set(done_by) == {"receivables"}, done_by


@pytest.mark.parametrize(("text", "needles"), [
    ("channels: {web_eu: {staffed: false, service_time: 1 min}}\n",
     ("channels.web_eu.role", "required", "web_shop", "contact_centre")),
    ("channels: {web: {role: shop}}\n", ("channels.web.role", "must be one of", "'web_shop'")),
    ("channels: {erp: {role: web_shop, staffed: false, service_time: 1 min}}\n",
     ("channels.erp", "taken by a system")),
    ("channels: {web-eu: {role: web_shop, staffed: false, service_time: 1 min}}\n",
     ("channels.web-eu", "a name starts with a letter")),
    ("teams: {collections: null}\n", ("no team has role 'collections'",)),
    ("teams: {cash_team: {staff: 2}}\n", ("teams.cash_team.role", "required", "collections")),
])
def test_role_mistakes_are_one_line_naming_the_field(tmp_path: Path, text: str,
                                                     needles: tuple[str, ...]) -> None:
    path = _file(tmp_path, f"extends: {SMALL}\nname: bad\n{text}")
    with pytest.raises(ScenarioError) as err:
        load(path)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(str(path)), msg
    for needle in needles:
        assert needle in msg, msg
