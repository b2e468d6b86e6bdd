"""The data and process map of a scenario: who passes work to whom, and how.

Channels, systems and partners are the nodes; the scenario's integration ``links`` are the
edges, each labelled with its mode: ``manual (order desk)``, ``batch every 6 h`` or
``real-time``. A class sees a phase's architecture before running it: where clerks re-key,
where data waits for the next file, where an API call carries it on.

:func:`process_map` builds the map as data (no drawing library needed, so it is cheap to
test); :func:`draw` lays it out with matplotlib in fixed columns (channels, front office, back
office, fulfilment and partners) and writes SVG or PNG without any graphviz binary.
Matplotlib is imported inside :func:`draw` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.outfile import atomic
from sim.scenario import CHANNEL_ROLES, DIGITAL_ROLES, UNSTRUCTURED, BusinessSegment
from sim.scenario.fields import DEFAULT_CHANNEL_ROLES as CLASSIC_ROLES
from sim.scenario.fields import SystemName
from sim.units import format_duration

if TYPE_CHECKING:
    from sim.scenario import Scenario

#: Display names of stations, channels, systems, teams and partners.
NAMES: dict[str, str] = {
    "web": "web shop", "app": "mobile app", "store": "stores", "call_centre": "call centre",
    "chatbot": "chatbot", "inside_sales": "inside sales", "field_sales": "field sales",
    "partner_portal": "partner portal", "marketplace": "marketplace",
    "crm": "CRM", "cpq": "CPQ", "oms": "OMS (orders)", "erp": "ERP", "wms": "WMS",
    "billing": "billing", "payments": "payments",
    "order_desk": "order desk", "credit_control": "credit control",
    "collections": "collections", "purchasing": "purchasing", "sales_ops": "sales operations",
    "customer_service": "customer service", "warehouse": "warehouse pickers",
    "pricing": "pricing", "billing_clerks": "billing clerks",
    "installers": "installers", "inbox": "e-mail / phone / fax", "resellers": "resellers",
    "suppliers": "component suppliers", "carrier": "carrier",
}

#: Column of each node kind, left to right.
COLUMNS = ("channel", "front", "back", "fulfil")
COLUMN_TITLES = {"channel": "Channels and partners' orders", "front": "Front office",
                 "back": "Back office", "fulfil": "Fulfilment and partners"}
#: What each channel role is called on the map (a channel under its classic name shows the
#: name of :data:`NAMES`; any other channel shows its own name and, as a note, its role).
ROLE_NAMES: dict[str, str] = {
    "web_shop": "web shop", "app": "mobile app", "marketplace": "marketplace",
    "store": "stores", "contact_centre": "contact centre", "chatbot": "chatbot",
    "inside_sales": "inside sales", "field_sales": "field sales",
    "partner_portal": "partner portal",
}
MODE_COLOURS = {"manual": "#c0392b", "batch": "#e67e22", "realtime": "#27ae60"}
MODE_WORDS = {"manual": "manual", "batch": "batch", "realtime": "real-time"}
KIND_COLOURS = {"channel": "#dbe9f6", "system": "#eeeeee", "partner": "#dff0d8"}

#: What each link carries and between which nodes: (title, source, target). A source or
#: target in parentheses is resolved by :func:`_ends` against what the scenario has.
LINK_ENDS: dict[str, tuple[str, str, str]] = {
    "lead_routing": ("lead routing", "crm", "(sales)"),
    "order_intake": ("digital orders", "(digital)", "oms"),
    "order_desk": ("re-keyed orders", "inbox", "oms"),
    "partner_orders": ("partner orders", "resellers", "oms"),
    "oms_to_erp": ("orders to ERP", "oms", "erp"),
    "erp_to_wms": ("pick lists", "erp", "wms"),
    "stock_sync": ("stock views", "erp", "(first_digital)"),
    "supplier_po": ("purchase orders", "erp", "suppliers"),
    "carrier_booking": ("carrier booking", "wms", "carrier"),
    "installer_booking": ("installation booking", "oms", "installers"),
    "invoicing": ("invoices", "erp", "billing"),
    "cash_posting": ("cash posting", "payments", "billing"),
    "master_sync": ("master data", "crm", "erp"),
    "order_status": ("order status", "oms", "(first_digital)"),
}


@dataclass(frozen=True)
class Node:
    """A box on the map."""

    id: str
    label: str
    kind: str  # channel | system | partner
    column: str  # one of COLUMNS
    note: str = ""


@dataclass(frozen=True)
class Edge:
    """One flow of a link; a link drawn as several flows labels only one of them."""

    link: str
    source: str
    target: str
    mode: str  # manual | batch | realtime
    label: str
    title: str
    labelled: bool = True


@dataclass
class ProcessMap:
    """Nodes and edges of one scenario."""

    name: str
    description: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def node_ids(self) -> set[str]:
        """Ids of all nodes."""
        return {n.id for n in self.nodes}

    def edges_of(self, link: str) -> list[Edge]:
        """The flows drawn for one scenario link."""
        return [e for e in self.edges if e.link == link]


def interval_text(hours: float) -> str:
    """A sync interval as people say it: ``15 min``, ``6 h``, ``24 h``, ``7 d``."""
    if 1.0 <= hours <= 48.0:
        return f"{hours:.2f}".rstrip("0").rstrip(".") + " h"
    return format_duration(hours)


def mode_label(spec: Any) -> str:
    """The integration mode in words: ``manual (order desk)``, ``batch every 6 h``,
    ``real-time``; an ``extra_delay`` adds ``+ <mean>``."""
    mode = spec.mode
    if mode == "manual":
        text = f"manual ({NAMES.get(spec.team, spec.team)})"
    elif mode == "batch":
        text = f"batch every {interval_text(spec.interval)}"
    else:
        text = "real-time"
    extra = getattr(spec, "extra_delay", None)
    if extra is not None and extra.mean > 0:
        text += f" + {format_duration(extra.mean)}"
    return text


def channel_label(name: str, role: str) -> tuple[str, str]:
    """A channel's box title, and a note naming its role unless the name says it already
    (``call_centre`` is "call centre"; a channel ``web_eu`` is "web eu" with note "web
    shop")."""
    if CLASSIC_ROLES.get(name) == role:  # a classic name, or the role's own name
        return NAMES.get(name, ROLE_NAMES[role]), ""
    return name.replace("_", " "), ROLE_NAMES[role]


def _channel_nodes(sc: Scenario) -> list[Node]:
    """Every channel, grouped by role (in the order of the roles), then in file order."""
    nodes = []
    for ch in sc.channels_of(*CHANNEL_ROLES):
        spec = sc.channels[ch]
        label, role_note = channel_label(ch, spec.role)
        note = f"{spec.staff} staff" if spec.staffed else ""
        if spec.role == "chatbot" and spec.topics_covered > 0:
            note = f"answers {spec.topics_covered} topics"
        note = ", ".join(x for x in (role_note, note) if x)
        nodes.append(Node(ch, label, "channel", "channel", note))
    return nodes


def _nodes(sc: Scenario) -> list[Node]:
    nodes = _channel_nodes(sc)
    business = [seg for seg in sc.segments.values() if isinstance(seg, BusinessSegment)]
    if any(r in UNSTRUCTURED and w > 0 for seg in business for r, w in seg.order_intake.items()):
        nodes.append(Node("inbox", NAMES["inbox"], "channel", "channel", "B2B orders"))
    if any(seg.reseller_share > 0 for seg in business):
        nodes.append(Node("resellers", NAMES["resellers"], "partner", "channel"))
    masters = sc.data_masters
    # front- and back-office systems; the first of each lane holds a data master
    lanes: tuple[tuple[str, tuple[SystemName, ...], str], ...] = (
        ("front", ("crm", "cpq", "oms"), f"{masters.customer} customer master(s)"),
        ("back", ("erp", "billing", "payments"), f"{masters.price} price master(s)"))
    for lane, names, master in lanes:
        for name in names:
            if name in sc.systems:
                note = _instances(sc, name)
                if name == names[0]:
                    note = f"{note}, {master}".lstrip(", ")
                nodes.append(Node(name, NAMES[name], "system", lane, note))
    if "wms" in sc.systems:
        nodes.append(Node("wms", NAMES["wms"], "system", "fulfil", _instances(sc, "wms")))
    nodes.append(Node("carrier", NAMES["carrier"], "partner", "fulfil"))
    if sc.partners.installers is not None:
        nodes.append(Node("installers", NAMES["installers"], "partner", "fulfil",
                          f"{sc.partners.installers.teams} teams"))
    if sc.partners.suppliers:
        nodes.append(Node("suppliers", NAMES["suppliers"], "partner", "fulfil",
                          ", ".join(sorted(sc.partners.suppliers))))
    return nodes


def _instances(sc: Scenario, name: SystemName) -> str:
    n = sc.systems[name].instances
    return f"{n} instances" if n > 1 else ""


def _ends(end: str, have: set[str], sc: Scenario) -> list[str]:
    """Resolve a link end to the nodes the scenario has (empty: the flow is not drawn)."""
    digital = sc.channels_of(*DIGITAL_ROLES)
    if end == "(digital)":
        shops = [c for c in digital if sc.channels[c].role != "partner_portal"]
        return shops or digital
    if end == "(first_digital)":
        return digital[:1]
    if end == "(sales)":
        return sc.channels_of("inside_sales", "field_sales")
    return [end] if end in have else []


def process_map(sc: Scenario) -> ProcessMap:
    """The map of a validated scenario: nodes, and one or more flows per integration link."""
    pm = ProcessMap(sc.name, sc.description, _nodes(sc))
    have = pm.node_ids()
    for link, spec in sc.links.items():
        title, src, dst = LINK_ENDS.get(link, (link.replace("_", " "), "", ""))
        pairs = [(s, t) for s in _ends(src, have, sc) for t in _ends(dst, have, sc) if s != t]
        label = mode_label(spec)
        for i, (s, t) in enumerate(pairs):
            pm.edges.append(Edge(link, s, t, spec.mode, label, title, labelled=i == 0))
    return pm


# --------------------------------------------------------------------------- drawing
def _positions(pm: ProcessMap) -> dict[str, tuple[float, float]]:
    pos: dict[str, tuple[float, float]] = {}
    for ci, col in enumerate(COLUMNS):
        ids = [n.id for n in pm.nodes if n.column == col]
        for ri, nid in enumerate(ids):
            y = 1.0 - (ri + 0.5) / max(len(ids), 1)
            pos[nid] = (0.08 + ci * 0.28, 0.04 + 0.86 * y)
    return pos


def _anchors(p0: tuple[float, float], p1: tuple[float, float], bw: float, bh: float
             ) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where a flow leaves its source box and enters its target box: the facing sides of
    boxes in different columns, top and bottom of boxes in the same column."""
    (x0, y0), (x1, y1) = p0, p1
    if abs(x1 - x0) < 1e-9:
        s = 1.0 if y1 > y0 else -1.0
        return (x0, y0 + s * bh / 2), (x1, y1 - s * bh / 2)
    s = 1.0 if x1 > x0 else -1.0
    return (x0 + s * bw / 2, y0), (x1 - s * bw / 2, y1)


#: width and height of a box, in axes units
BOX = (0.15, 0.05)


def _draw_boxes(ax: Any, pm: ProcessMap, pos: dict[str, tuple[float, float]]) -> None:
    """Column titles, and a box per node with its label and note."""
    from matplotlib.patches import FancyBboxPatch

    bw, bh = BOX
    for ci, col in enumerate(COLUMNS):
        ax.text(0.08 + ci * 0.28, 0.985, COLUMN_TITLES[col], ha="center", va="top",
                fontsize=11, fontweight="bold", color="#444444")
    for n in pm.nodes:
        x, y = pos[n.id]
        ax.add_patch(FancyBboxPatch((x - bw / 2, y - bh / 2), bw, bh,
                                    boxstyle="round,pad=0.004,rounding_size=0.01",
                                    facecolor=KIND_COLOURS[n.kind], edgecolor="#555555",
                                    linewidth=1.0, zorder=3))
        ax.text(x, y + (0.008 if n.note else 0), n.label, ha="center", va="center",
                fontsize=9.5, fontweight="bold", zorder=4)
        if n.note:
            ax.text(x, y - 0.014, n.note, ha="center", va="center", fontsize=7,
                    color="#333333", zorder=4)


#: where along a flow its label may sit (share of the curve from its source), tried in
#: order after the preferred place until the label overlaps no box and no other label
_ALONG = (0.5, 0.4, 0.6, 0.3, 0.7, 0.25, 0.75, 0.2, 0.8, 0.15, 0.85, 0.1, 0.9)
#: vertical nudges (points) tried at each place when no place on the curve is free
_NUDGES = (0.0, 14.0, -14.0, 28.0, -28.0, 42.0, -42.0)


def _curve_point(ax: Any, a: tuple[float, float], b: tuple[float, float], rad: float,
                 t: float) -> tuple[float, float]:
    """A point of matplotlib's arc3 curve: a quadratic Bezier whose control point it puts
    in display space."""
    to_display, to_data = ax.transData.transform, ax.transData.inverted().transform
    (dx0, dy0), (dx1, dy1) = to_display(a), to_display(b)
    cx = (dx0 + dx1) / 2 + rad * (dy1 - dy0)
    cy = (dy0 + dy1) / 2 - rad * (dx1 - dx0)
    w0, w1, w2 = (1 - t) ** 2, 2 * t * (1 - t), t * t
    x, y = to_data((w0 * dx0 + w1 * cx + w2 * dx1, w0 * dy0 + w1 * cy + w2 * dy1))
    return float(x), float(y)


def _place_label(ax: Any, renderer: Any, e: Edge, points: list[tuple[float, float]],
                 taken: list[Any]) -> None:
    """Put the flow's label at the first of ``points`` (then nudged up or down) where it
    overlaps no box and no label placed before; the preferred point if none is free."""
    from matplotlib.transforms import offset_copy

    colour = MODE_COLOURS[e.mode]
    style = {"ha": "center", "va": "center", "fontsize": 7.5, "color": colour, "zorder": 5,
             "linespacing": 1.1, "bbox": {"boxstyle": "round,pad=0.2", "facecolor": "white",
                                          "edgecolor": colour, "linewidth": 0.6,
                                          "alpha": 0.92}}
    for dy in _NUDGES:
        shift = offset_copy(ax.transData, fig=ax.figure, y=dy, units="points")
        for x, y in points:
            text = ax.text(x, y, f"{e.title}\n{e.label}", transform=shift, **style)
            ext = text.get_window_extent(renderer).expanded(1.08, 1.25)
            if not any(ext.overlaps(o) for o in taken):
                taken.append(ext)
                return
            text.remove()
    x, y = points[0]
    taken.append(ax.text(x, y, f"{e.title}\n{e.label}", **style).get_window_extent(renderer))


def _draw_edges(ax: Any, pm: ProcessMap, pos: dict[str, tuple[float, float]]) -> None:
    """Every flow as an arrow coloured by its mode; the labelled flow of each link gets its
    title and mode, placed where it hides no box and no other label."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.patches import FancyArrowPatch

    renderer = FigureCanvasAgg(ax.figure).get_renderer()
    taken = [p.get_window_extent(renderer) for p in ax.patches]
    taken += [t.get_window_extent(renderer) for t in ax.texts]
    bw, bh = BOX
    cols = {n.id: COLUMNS.index(n.column) for n in pm.nodes}
    for i, e in enumerate(pm.edges):
        a, b = _anchors(pos[e.source], pos[e.target], bw, bh)
        span = abs(cols[e.target] - cols[e.source])
        back = b[0] < a[0]
        # long flows arc over the column between, bulging upwards
        rad = (0.22 if back else -0.22) if span >= 2 else (0.15 if i % 2 else -0.15)
        ax.add_patch(FancyArrowPatch(
            a, b, connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>", mutation_scale=12,
            color=MODE_COLOURS[e.mode], linewidth=1.8 if e.labelled else 1.0,
            linestyle="--" if e.mode == "manual" else "-", shrinkA=2, shrinkB=2,
            alpha=1.0 if e.labelled else 0.5, zorder=2))
        if e.labelled:
            # flows back to the channels are labelled nearer their source, away from the
            # crowded channel column
            first = 0.5 if span >= 2 and back else 0.3 if back else 0.75 if span >= 2 else 0.5
            along = [first, *(t for t in _ALONG if t != first)]
            _place_label(ax, renderer, e, [_curve_point(ax, a, b, rad, t) for t in along],
                         taken)


def _legends(ax: Any) -> None:
    """What the boxes' colours and the arrows' colours and strokes mean, under the map."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    kinds = [Patch(facecolor=KIND_COLOURS[k], edgecolor="#555555", label=w) for k, w in
             (("channel", "channel (where customers order)"),
              ("system", "system (software)"), ("partner", "partner (outside the company)"))]
    flows = [Line2D([], [], color=MODE_COLOURS[m], linestyle="--" if m == "manual" else "-",
                    linewidth=2, label=w) for m, w in
             (("manual", "manual: a clerk re-keys it"), ("batch", "batch: waits for a file"),
              ("realtime", "real-time: API call"))]
    flows.append(Line2D([], [], color="0.45", linewidth=1.0, alpha=0.5,
                        label="faint: the same link to further channels"))
    first = ax.legend(handles=kinds, loc="lower left", bbox_to_anchor=(0.0, 0.0), ncol=1,
                      frameon=False, fontsize=8.5, title="Boxes", title_fontsize=8.5,
                      alignment="left")
    ax.add_artist(first)
    ax.legend(handles=flows, loc="lower right", bbox_to_anchor=(1.0, 0.0), ncol=2,
              frameon=False, fontsize=8.5, title="Arrows: data flows from box to box; "
              "colour and stroke: how", title_fontsize=8.5, alignment="left")


def figure(pm: ProcessMap, *, width: float = 15.0, height: float = 9.5) -> Any:
    """A matplotlib ``Figure`` of the map (nothing is written): boxes in their columns,
    flows labelled without overlapping boxes or each other, and legends of box kinds and
    flow modes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(-0.02, 1.01)
    ax.set_ylim(-0.13, 1.04)
    ax.axis("off")
    pos = _positions(pm)
    _draw_boxes(ax, pm, pos)
    _draw_edges(ax, pm, pos)
    _legends(ax)
    return fig


def draw(pm: ProcessMap, out: Path, fmt: str = "svg") -> Path:
    """Write the map to ``out`` as ``svg`` or ``png`` (:func:`sim.outfile.atomic`: a temporary
    file is renamed into place, so a crash never leaves half a picture; a link or device at
    ``out`` is refused)."""
    if fmt not in ("svg", "png"):
        raise ValueError(f"format must be svg or png, not {fmt!r}")
    import matplotlib

    fig = figure(pm)
    fig.suptitle(f"{pm.name}: data and process map", x=0.5, y=0.012, ha="center",
                 va="bottom", fontsize=9, color="#666666")
    out.parent.mkdir(parents=True, exist_ok=True)
    # SVG keeps its text as text (searchable, selectable, smaller), not as outlines
    with atomic(out) as tmp, matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(tmp, format=fmt, dpi=110, metadata=_metadata(fmt))
    return out


def _metadata(fmt: str) -> dict[str, Any]:
    # no creation date, so the same scenario always gives the same file
    return {"Date": None} if fmt == "svg" else {"Software": None}


def render_bytes(pm: ProcessMap, fmt: str = "png", dpi: int = 80) -> bytes:
    """The map as image bytes (for the workshop page)."""
    import io

    buf = io.BytesIO()
    figure(pm).savefig(buf, format=fmt, dpi=dpi, metadata=_metadata(fmt))
    return buf.getvalue()
