"""What the model derives once per customer segment for the journeys of its customers.

A :class:`SegmentRuntime` holds a segment's spec, its random streams, its cumulative weights
and the channels of each role its customers use, resolved once when the model is built so a
journey step never searches the scenario by name:

- a role's channel for the segment (sales meetings, the first response, the chatbot, the
  store of pick-ups and returns) is the channel of that role the segment lists with the
  highest weight, else the first channel of that role in the file;
- a service contact goes to one of the contact centres the segment lists, drawn by their
  weights (the first, if there is one), else to the first contact centre of the file;
- a business buyer's portal order is placed on one of the self-service channels (web shop,
  app, partner portal) the segment lists, drawn by their weights, else on the first of the
  file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim.scenario import BusinessSegment, ConsumerSegment
from sim.streams import cumulative

if TYPE_CHECKING:
    from sim.distributions import Distribution
    from sim.scenario import Scenario, Segment
    from sim.streams import Stream, Streams


def _listed(seg: Segment, names: list[str]) -> list[str]:
    """Those of ``names`` the segment lists with a positive weight, in file order."""
    return [n for n in names if seg.channels.get(n, 0.0) > 0]


def preferred(sc: Scenario, seg: Segment, *roles: str) -> str | None:
    """The channel of the first of ``roles`` that the scenario has: among those the segment
    lists, the one with the highest weight (the first in the file on a tie); if it lists
    none, the first in the file. None if the scenario has no channel of any of ``roles``."""
    for role in roles:
        names = sc.channels_of(role)
        if not names:
            continue
        listed = _listed(seg, names)
        return max(listed, key=lambda n: seg.channels[n]) if listed else names[0]
    return None


def _self_service(sc: Scenario, seg: Segment) -> list[str]:
    """The self-service channels (web shop, app, partner portal) of a business segment's
    portal orders: those it lists, else the first web shop, app or partner portal of the
    file (none without any)."""
    names = sc.channels_of("web_shop", "app", "partner_portal")
    return _listed(seg, names) or names[:1]


@dataclass(eq=False)
class SegmentRuntime:
    """One segment's spec, streams and resolved channels (see the module docstring)."""

    name: str
    spec: Segment
    channels: list[str]
    channel_stream: Stream
    bounce_stream: Stream
    account_stream: Stream
    account_share: float
    credit_stream: Stream
    credit_limit: Distribution | None
    #: per lead source: (ledger key of the segment's leads, of the source's, cost per lead)
    lead_keys: dict[str, tuple[str, str, float]]
    intake: list[str] = field(default_factory=list)
    intake_cum: list[float] = field(default_factory=list)
    #: channel of sales meetings (business buyers), of the first response to a lead
    sales: str | None = None
    first_response: str | None = None
    #: chatbot that answers service contacts first; store of pick-ups and store returns
    chatbot: str | None = None
    store: str | None = None
    #: self-service channels where business buyers place portal orders (drawn by the
    #: segment's weights when several), their cumulative weights and stream; the partner
    #: portal, where resellers place their deals' orders when partner_orders is not manual
    portals: list[str] = field(default_factory=list)
    portal_cum: list[float] = field(default_factory=list)
    portal_stream: Stream | None = None
    partner_portal: str | None = None
    #: contact centres taking the segment's service contacts, cumulative weights, stream
    contact_centres: list[str] = field(default_factory=list)
    contact_cum: list[float] = field(default_factory=list)
    contact_stream: Stream | None = None
    #: (from, until, open channels, cumulative weights): the open set, cached until the next
    #: opening or closing of any of the segment's channels (sim.journey.common.pick_channel)
    open_now: tuple[float, float, tuple[str, ...], list[float] | None] | None = None
    #: per station of a service route, what a visit needs (sim.journey.service)
    service_steps: dict[str, tuple[Any, ...]] | None = None

    @classmethod
    def build(cls, name: str, sc: Scenario, streams: Streams) -> SegmentRuntime:
        """Resolve everything a journey of segment ``name`` needs."""
        seg = sc.segments[name]
        rt = cls(
            name=name, spec=seg, channels=list(seg.channels),
            channel_stream=streams.get(f"{name}.channel"),
            bounce_stream=streams.get(f"{name}.bounce"),
            # per-customer draws and ledger keys, made once (Customer.__init__ is hot)
            account_stream=streams.get(f"customer.{seg.kind}.account"),
            account_share=seg.cart.has_account_share if isinstance(seg, ConsumerSegment)
            else 1.0,
            credit_stream=streams.get(f"customer.{name}.credit"),
            credit_limit=seg.credit_limit if isinstance(seg, BusinessSegment) else None,
            lead_keys={src: (f"leads.{name}", f"leads.source.{src}",
                             seg.cost_per_lead.get(src, 0.0))
                       for src in (*seg.lead_sources, "referral", "organic")},
        )
        if isinstance(seg, BusinessSegment):
            rt.intake = list(seg.order_intake)
            rt.intake_cum = cumulative(list(seg.order_intake.values()))
            pref = "field_sales" if seg.kind == "enterprise" else "inside_sales"
            rt.sales = preferred(sc, seg, pref, "inside_sales", "field_sales", "contact_centre")
            rt.first_response = preferred(sc, seg, "inside_sales") or rt.sales
        rt.chatbot = preferred(sc, seg, "chatbot")
        rt.store = preferred(sc, seg, "store")
        if isinstance(seg, BusinessSegment):
            rt.portals = _self_service(sc, seg)
            if len(rt.portals) > 1:
                rt.portal_cum = cumulative([seg.channels[n] for n in rt.portals])
                rt.portal_stream = streams.get(f"{name}.portal")
            rt.partner_portal = next(iter(sc.channels_of("partner_portal")), None)
        rt._contact_centres(sc, streams)
        return rt

    def _contact_centres(self, sc: Scenario, streams: Streams) -> None:
        names = sc.channels_of("contact_centre")
        listed = _listed(self.spec, names)
        self.contact_centres = listed or names[:1]
        if len(self.contact_centres) > 1:
            self.contact_cum = cumulative([self.spec.channels[n] for n in listed])
            self.contact_stream = streams.get(f"{self.name}.contact_centre")

    def portal(self) -> str | None:
        """The self-service channel of one portal order (None if the company has none)."""
        if self.portal_stream is None:
            return self.portals[0] if self.portals else None
        return self.portals[self.portal_stream.choice(self.portal_cum)]

    def contact_centre(self) -> str | None:
        """The contact centre of one service contact (None if the company has none)."""
        if self.contact_stream is None:
            return self.contact_centres[0] if self.contact_centres else None
        return self.contact_centres[self.contact_stream.choice(self.contact_cum)]

