"""The data and process map (``omnisim map``): nodes, flows and mode labels come from the
scenario's own channels, systems, partners and links; SVG and PNG are written atomically."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cli_helpers import run_in_process

from sim.processmap import (
    KIND_COLOURS,
    LINK_ENDS,
    MODE_WORDS,
    NAMES,
    draw,
    figure,
    interval_text,
    mode_label,
    process_map,
)
from sim.scenario import list_shipped, load

REPO = Path(__file__).resolve().parents[1]
SHIPPED = [name for name, _, _ in list_shipped()]


@pytest.fixture(scope="module")
def maps() -> dict:
    scenarios = {name: load(name).scenario for name in SHIPPED}
    return {name: (sc, process_map(sc)) for name, sc in scenarios.items()}


@pytest.mark.parametrize("name", SHIPPED)
def test_every_link_is_one_labelled_flow_naming_its_mode(maps, name):
    sc, pm = maps[name]
    ids = pm.node_ids()
    assert {e.link for e in pm.edges} <= set(sc.links)
    for link, spec in sc.links.items():
        flows = pm.edges_of(link)
        if not flows:  # only when one end is missing from the company (e.g. no suppliers)
            continue
        assert sum(e.labelled for e in flows) == 1, link
        for e in flows:
            assert e.source in ids and e.target in ids and e.source != e.target
            assert e.mode == spec.mode
            assert e.label == mode_label(spec)
            assert e.title == LINK_ENDS[link][0]


@pytest.mark.parametrize("name", SHIPPED)
def test_nodes_are_the_scenarios_channels_systems_and_partners(maps, name):
    sc, pm = maps[name]
    by_kind: dict[str, set[str]] = {}
    for n in pm.nodes:
        by_kind.setdefault(n.kind, set()).add(n.id)
        assert n.label == NAMES[n.id]
    channels = by_kind["channel"] - {"inbox"}
    assert channels == set(sc.channels)
    systems = {s for s in sc.systems if s in NAMES}
    assert by_kind["system"] == systems
    assert ("installers" in by_kind.get("partner", set())) == (sc.partners.installers is not None)
    assert ("suppliers" in by_kind.get("partner", set())) == bool(sc.partners.suppliers)
    assert len(pm.node_ids()) == len(pm.nodes)  # ids are unique


def test_the_ladder_shows_what_each_phase_changed(maps):
    p1 = maps["total-commerce/phase-1-siloed"][1]
    p4 = maps["total-commerce/phase-4-integrated"][1]
    label = {(pm.name, e.link): e.label for pm in (p1, p4) for e in pm.edges if e.labelled}
    assert label[("phase-1-siloed", "oms_to_erp")] == "batch every 24 h"
    assert label[("phase-4-integrated", "oms_to_erp")] == "real-time"
    assert label[("phase-1-siloed", "partner_orders")] == "manual (order desk)"
    assert label[("phase-1-siloed", "invoicing")] == "batch every 7 d"
    assert "cpq" not in p1.node_ids() and "cpq" in p4.node_ids()  # phase 1 has no CPQ


def test_mode_label_words_and_intervals():
    sc = load("baseline", ["links.stock_sync={mode: batch, interval: 15 min}",
                           "links.order_status={mode: batch, interval: 3 d}"]).scenario
    assert mode_label(sc.links["stock_sync"]) == "batch every 15 min"
    assert mode_label(sc.links["order_status"]) == "batch every 3 d"
    assert mode_label(sc.links["order_desk"]) == "manual (order desk)"
    assert mode_label(sc.links["carrier_booking"]) == "real-time"
    assert [interval_text(h) for h in (0.5, 1, 6, 24, 48, 72)] == [
        "30 min", "1 h", "6 h", "24 h", "48 h", "3 d"]
    assert set(MODE_WORDS) == {"manual", "batch", "realtime"}


def test_svg_keeps_every_label_as_text_and_png_is_a_picture(tmp_path, maps):
    pm = maps["total-commerce/phase-1-siloed"][1]
    svg = draw(pm, tmp_path / "map.svg", "svg")
    texts = " ".join(t.text or "" for t in ET.parse(svg).iter("{http://www.w3.org/2000/svg}text"))
    for e in pm.edges:
        if e.labelled:
            assert e.label in texts and e.title in texts, e.link
    for n in pm.nodes:
        assert n.label in texts
    png = draw(pm, tmp_path / "map.png", "png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.png", "map.svg"]  # no temp left
    with pytest.raises(ValueError, match="svg or png"):
        draw(pm, tmp_path / "map.pdf", "pdf")


def _omnisim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=120)


def test_cli_writes_the_map_and_rejects_bad_input_in_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default --out is relative: results/maps/
    code, stdout, stderr = run_in_process(["map", "total-commerce/phase-4-integrated",
                                           "--format", "png"])
    assert code == 0, stderr
    out = tmp_path / "results" / "maps" / "phase-4-integrated.png"
    assert stdout.strip() == str(out.relative_to(tmp_path))
    assert out.read_bytes()[:4] == b"\x89PNG"
    # the real entry point: exit code 2, one line, no traceback
    bad = _omnisim("map", "baseline", "--format", "svg", "--out", "x.png", cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and bad.stderr.startswith("omnisim: error: --out x.png")
    assert "Traceback" not in bad.stderr and not (tmp_path / "x.png").exists()


def _extents(pm) -> tuple[list, list, list]:
    """Window extents of the map's boxes, of its texts (with their frames) and its legends."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = figure(pm)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    boxes = [p.get_window_extent(renderer) for p in ax.patches
             if type(p).__name__ == "FancyBboxPatch"]
    texts = [(t.get_text(), (t.get_bbox_patch() or t).get_window_extent(renderer))
             for t in ax.texts if t.get_text().strip()]
    legends = [leg for leg in ax.get_children() if type(leg).__name__ == "Legend"]
    return boxes, texts, legends


@pytest.mark.parametrize("name", SHIPPED)
def test_map_labels_overlap_no_box_and_no_other_label(maps, name):
    _sc, pm = maps[name]
    boxes, texts, _ = _extents(pm)
    flows = {f"{e.title}\n{e.label}" for e in pm.edges if e.labelled}
    clash = [(a, b) for i, (a, ea) in enumerate(texts) for b, eb in texts[i + 1:]
             if ea.overlaps(eb) and (a in flows or b in flows)]
    assert clash == []
    hidden = [t for t, ext in texts if t in flows and any(ext.overlaps(b) for b in boxes)]
    assert hidden == []
    assert len([t for t, _ in texts if t in flows]) == len(flows)  # every link is labelled


def test_map_has_legends_for_box_kinds_and_flow_modes(maps):
    _sc, pm = maps["total-commerce/phase-1-siloed"]
    _, _, legends = _extents(pm)
    words = [t.get_text() for leg in legends for t in leg.get_texts()]
    assert len(legends) == 2
    fig = legends[0].figure
    for leg in legends:  # on the picture, not below its edge
        ext = leg.get_window_extent()
        assert ext.y0 >= 0 and ext.x0 >= 0 and ext.x1 <= fig.bbox.x1, ext
    for kind in KIND_COLOURS:
        assert any(w.startswith(kind) for w in words), kind
    for mode in MODE_WORDS.values():
        assert any(w.startswith(mode) for w in words), mode
