"""Nothing idle: every declared station of a shipped scenario gets work, and
``scenarios validate`` warns about a resource that nothing can reach."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import run_in_process

from sim.model import OmniModel
from sim.runner import prepare
from sim.scenario import list_shipped, load
from sim.scenario.reach import idle_resources

#: reachable, but whose work is too rare or comes too late for a 5-day run (name: why)
RARE = {
    "installers": "an installation follows the quote, supplier parts and the booking lead "
                  "time: about four weeks after the deal",
    "credit_control": "a review only when an order takes a buyer over its credit limit",
    "purchasing": "component purchase orders only for configured business orders",
    "billing_clerks": "re-keyed business orders are invoiced by hand after delivery: in a "
                      "slow phase (phase 1) or a small company (storage-maker) the first new "
                      "ones of a 5-day run are still in fulfilment",
    "partner_portal": "enterprise portal orders (and resellers' once integrated): a few a "
                      "week at the shipped volumes",
}
#: the same, in one scenario only
RARE_IN = {
    "examples/storage-maker": {"web": "only business portal orders (2 in 7 of them) and no "
                                      "consumers: a few a week"},
}


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n, _, _ in list_shipped()
                                  if not n.startswith("validation/")])
def test_every_declared_station_gets_work(name: str) -> None:
    """5 days from the steady opening state (no warm-up, so every arrival counts)."""
    sc = prepare(name, ["warmup=0 d"], days=5).scenario
    model = OmniModel(sc)
    model.run()
    exempt = {**idle_resources(sc), **RARE, **RARE_IN.get(name, {})}
    idle = [n for n, st in model.stations.items() if st.arrivals == 0 and n not in exempt]
    assert idle == [], f"{name}: no work at {idle}"


def test_validate_warns_one_line_per_unreachable_resource(tmp_path: Path) -> None:
    f = tmp_path / "nobot.yaml"
    f.write_text("extends: baseline\n"
                 "segments:\n"
                 + "".join(f"  {s}:\n    after_sale: {{chatbot_first: 0}}\n"
                           for s in ("consumer", "small_business", "enterprise")))
    code, out, err = run_in_process(["scenarios", "validate", str(f)])
    assert code == 0 and "ok" in out, err
    lines = err.splitlines()
    assert sorted(line.split(": ")[3].split()[0] for line in lines) == ["chatbot", "cpq"], err
    assert all(line.startswith(f"omnisim: warning: {f}: ") for line in lines), err
    assert "quoting.mode is manual" in err


def test_reach_rules_follow_the_mechanisms() -> None:
    sc = load("baseline").scenario
    assert set(idle_resources(sc)) == {"cpq"}
    cpq = load("baseline", ["quoting.mode=cpq"]).scenario
    assert "cpq" not in idle_resources(cpq) and "sales_ops" in idle_resources(
        load("baseline", ["quoting.mode=cpq",
                          "links.installer_booking={mode: realtime}"]).scenario)
    retailer = idle_resources(load("examples/retailer").scenario)
    assert {"crm", "billing", "credit_control", "collections"} <= set(retailer)
