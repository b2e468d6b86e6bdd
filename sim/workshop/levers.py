"""The levers a class can pull on the workshop page, as ``--set`` overrides of a phase.

Each lever reads its current value from a loaded scenario (so the sliders start at what the
chosen phase has) and turns a new value into ``--set`` assignments, exactly what a user would
type after ``omnisim run``; only levers moved away from the phase's value produce overrides.
Nothing here imports Solara: the page and the tests use the same functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sim.scenario import Loaded

#: Roles of the staffed channels and teams whose head count is a lever: every channel or team
#: of these roles gets one (in the order of the roles, then of the file).
STAFFED = ("store", "contact_centre", "inside_sales", "field_sales")
TEAMS = ("order_desk",)
#: Links whose mode is a lever, and the spec each mode gets when the lever switches to it
#: (``manual`` keeps the baseline's order-desk touch time and keying error rate).
ORDER_DESK_MODES: dict[str, str] = {
    "manual": "{mode: manual, team: order_desk, touch_time: {dist: gamma, mean: 5 min, "
              "cv: 0.5}, error_per_field: 0.015}",
    "batch": "{mode: batch, interval: 4 h}",
    "realtime": "{mode: realtime, latency: {dist: exponential, mean: 2 s}}",
}
#: Stock sync intervals offered, in hours (0 = real time).
SYNC_TICKS = (0.0, 1 / 60, 5 / 60, 0.25, 0.5, 1.0, 2.0, 4.0, 6.0, 12.0, 24.0)
#: Roles of the digital channels whose page speed moves with the page-speed lever.
PAGED = ("web_shop", "app", "partner_portal")


@dataclass(frozen=True)
class Lever:
    """One control: how to read it from a scenario and how to set it.

    Attributes:
        key: stable name (``staff.call_centre``, ``stock_sync_hours`` ...).
        label: what the page shows.
        kind: ``int``, ``float`` or ``choice``.
        low, high, step: slider range (numbers only).
        choices: allowed values (``choice`` only).
        read: the value in a loaded scenario.
        assign: ``--set`` assignments that give a loaded scenario the value.
        help: one line for the page and the docs.
        show: the value as the page writes it (``24 h``, ``real time``, ``12%``).
        ticks: the values a slider offers (default: ``low`` to ``high`` by ``step``).
    """

    key: str
    label: str
    kind: str
    read: Callable[[Loaded], Any]
    assign: Callable[[Loaded, Any], list[str]]
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0
    choices: tuple[str, ...] = ()
    help: str = ""
    show: Callable[[Any], str] = str
    ticks: tuple[float, ...] = ()

    def grid(self, own: Any) -> list[Any]:
        """The values a slider offers, the scenario's own value included (so showing a
        phase never snaps its value to the grid and changes it)."""
        if self.kind == "choice":
            return list(self.choices)
        if self.ticks:
            pts = list(self.ticks)
        else:
            n = int(round((self.high - self.low) / self.step))
            pts = [round(self.low + k * self.step, 6) for k in range(n + 1)]
        pts.append(self.coerce(own))
        return sorted({self.coerce(x) for x in pts})

    def coerce(self, value: Any) -> Any:
        """The value converted to the lever's type and clamped to its range."""
        if self.kind == "choice":
            if value not in self.choices:
                raise ValueError(f"{self.key}: {value!r} is not one of {', '.join(self.choices)}")
            return value
        x = float(value)
        x = min(max(x, self.low), self.high)
        return int(round(x)) if self.kind == "int" else round(x, 6)


def _num(text: float) -> str:
    return f"{text:g}"


def _staff_lever(name: str, team: bool) -> Lever:
    block = "teams" if team else "channels"

    def read(ld: Loaded) -> int:
        return int(getattr(ld.scenario, block)[name].staff)

    def assign(ld: Loaded, value: Any) -> list[str]:
        # the slider puts that many people there for the whole run: a staffing policy
        # (sim/staffing.py) would otherwise resize the roster after the first weeks
        return [f"{block}.{name}.staff={int(value)}", f"{block}.{name}.staffing={{policy: fixed}}"]

    from sim.processmap import NAMES

    who = NAMES.get(name, name.replace("_", " "))
    return Lever(f"staff.{name}", f"{who[:1].upper()}{who[1:]}: staff", "int",
                 read, assign, low=1, high=40, step=1,
                 help=f"people serving the {who} in its opening hours (a fixed headcount)")


def _show_sync(value: Any) -> str:
    from sim.processmap import interval_text

    hours = float(value)
    return "real time" if hours <= 0 else interval_text(hours)


def _read_stock_sync(ld: Loaded) -> float:
    spec = ld.scenario.links["stock_sync"]
    return round(spec.interval, 6) if spec.mode == "batch" else 0.0


def _assign_stock_sync(ld: Loaded, value: Any) -> list[str]:
    hours = float(value)
    if hours <= 0:
        return ["links.stock_sync={mode: realtime, latency: {dist: exponential, mean: 2 s}}"]
    return [f"links.stock_sync={{mode: batch, interval: {_num(hours)} h}}"]


def _read_chatbot_topics(ld: Loaded) -> int:
    return ld.scenario.channels[ld.scenario.channels_of("chatbot")[0]].topics_covered


def _assign_chatbot_topics(ld: Loaded, value: Any) -> list[str]:
    """Every chatbot gets the new knowledge base."""
    return [f"channels.{name}.topics_covered={int(value)}"
            for name in ld.scenario.channels_of("chatbot")]


def _paged(ld: Loaded) -> list[str]:
    chans = ld.scenario.channels
    return [c for c in ld.scenario.channels_of(*PAGED) if chans[c].page_load is not None]


def _read_page_load(ld: Loaded) -> float:
    first = ld.scenario.channels[_paged(ld)[0]].page_load
    assert first is not None  # _paged lists only channels with a page load
    median = getattr(first, "median", None)
    return round((median if median is not None else first.mean) * 3600.0, 3)


def _assign_page_load(ld: Loaded, value: Any) -> list[str]:
    """Every paged channel gets the new median page load; a channel whose file gives a
    lognormal keeps its spread (sigma)."""
    out = []
    for ch in _paged(ld):
        raw = ld.raw.get("channels", {}).get(ch, {}).get("page_load")
        sigma = raw.get("sigma") if isinstance(raw, Mapping) and raw.get("dist") == \
            "lognormal" else None
        spread = f", sigma: {sigma}" if sigma is not None else ", sigma: 0.4"
        out.append(f"channels.{ch}.page_load={{dist: lognormal, median: {_num(float(value))} s"
                   f"{spread}}}")
    return out


def _read_order_desk(ld: Loaded) -> str:
    return str(ld.scenario.links["order_desk"].mode)


def _assign_order_desk(ld: Loaded, value: Any) -> list[str]:
    return [f"links.order_desk={ORDER_DESK_MODES[value]}"]


def levers_for(ld: Loaded) -> list[Lever]:
    """The levers that apply to a scenario (a lever for a channel it lacks is left out)."""
    sc = ld.scenario
    out = [_staff_lever(n, False) for n in sc.channels_of(*STAFFED) if sc.channels[n].staffed]
    out += [_staff_lever(n, True) for role in TEAMS for n in sc.teams_of(role)]
    out.append(Lever("stock_sync_hours", "Stock sync interval (0 = real time)", "float",
                     _read_stock_sync, _assign_stock_sync, low=0.0, high=24.0, step=0.25,
                     help="how old the stock the channels show is; 0 = real-time API",
                     show=_show_sync, ticks=SYNC_TICKS))
    if sc.channels_of("chatbot"):
        out.append(Lever("chatbot_topics", "Chatbot: topics it answers", "int",
                         _read_chatbot_topics, _assign_chatbot_topics, low=0, high=300,
                         step=5, help="the most asked question topics its knowledge base "
                         "answers; the rest go to an agent",
                         show=lambda v: f"{int(v)} topics"))
    if _paged(ld):
        out.append(Lever("page_load_s", "Page load, median", "float", _read_page_load,
                         _assign_page_load, low=0.5, high=8.0, step=0.25,
                         help="median page load of web shop, app and partner portal",
                         show=lambda v: f"{float(v):g} s"))
    out.append(Lever("order_desk_mode", "Order desk integration", "choice", _read_order_desk,
                     _assign_order_desk, choices=tuple(ORDER_DESK_MODES),
                     help="e-mail, phone and fax orders: re-keyed by clerks (manual), "
                          "imported in batches, or read by a real-time service"))
    return out


def phase_values(ld: Loaded) -> dict[str, Any]:
    """Every lever's value in the scenario as loaded."""
    return {lv.key: lv.read(ld) for lv in levers_for(ld)}


def overrides(ld: Loaded, values: Mapping[str, Any]) -> list[str]:
    """``--set`` assignments for the levers in ``values`` that differ from the scenario's own
    value; unknown keys are errors (naming the known ones)."""
    by_key = {lv.key: lv for lv in levers_for(ld)}
    unknown = sorted(set(values) - set(by_key))
    if unknown:
        raise ValueError(f"unknown lever(s) {', '.join(unknown)} for {ld.scenario.name} "
                         f"(known: {', '.join(by_key)})")
    out: list[str] = []
    for key, lever in by_key.items():
        if key not in values:
            continue
        value = lever.coerce(values[key])
        if value != lever.read(ld):
            out += lever.assign(ld, value)
    return out
