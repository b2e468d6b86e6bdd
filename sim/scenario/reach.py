"""Declared resources that nothing in a scenario can send work to (``scenarios validate``).

The rules follow where the journey sends work (:mod:`sim.journey`, :mod:`sim.segments`):

- a channel gets work when a segment lists it, when a service route visits it, or as the
  fallback of its role: the first contact centre takes the contacts of segments that list
  none; the first chatbot the contacts customers start there (``after_sale.chatbot_first``);
  inside and field sales a business segment's first response and meetings; the first web
  shop, app or partner portal a business segment's portal orders when it lists none; the
  first partner portal the resellers' orders when ``partner_orders`` is integrated;
- a team gets work when a manual link that work crosses (:func:`used_links`) names it, or
  the journey sends its role's work there (the first team of a role): credit control,
  collections for business buyers, sales ops their quotes by hand (no CPQ), customer
  service for any buyer; with business buyers, the teams ``quoting.team``,
  ``invoices.team`` and ``invoices.dispute_team`` name;
- ``cpq`` quotes only with ``quoting.mode: cpq``; ``crm`` and ``billing`` serve business
  buyers; installers need business orders with installation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.scenario.company import ManualLink
from sim.scenario.segments import BusinessSegment, ServiceSegment

if TYPE_CHECKING:
    from sim.scenario.model import Scenario

#: team roles whose work comes from business buyers only
BUSINESS_TEAM_ROLES = ("credit_control", "collections")
SELF_SERVICE = ("web_shop", "app", "partner_portal")


def _first(sc: Scenario, *roles: str) -> str | None:
    names = sc.channels_of(*roles)
    return names[0] if names else None


def _fallback_channels(sc: Scenario) -> set[str]:
    """Channels that get work as the fallback of their role (see the module docstring)."""
    buyers = [s for s in sc.segments.values() if not isinstance(s, ServiceSegment)]
    business = [s for s in buyers if isinstance(s, BusinessSegment)]
    out: set[str] = set()
    if buyers:
        out.add(_first(sc, "contact_centre") or "")
        if any(s.after_sale.chatbot_first > 0 for s in buyers):
            out.add(_first(sc, "chatbot") or "")
    if business:
        out.update(sc.channels_of("inside_sales")[:1])
        if not sc.channels_of("inside_sales"):
            out.update(sc.channels_of("field_sales")[:1])
        own = set(sc.channels_of(*SELF_SERVICE))
        if any(s.order_intake.get("portal", 0) > 0
               and not any(s.channels.get(n, 0) > 0 for n in own) for s in business):
            out.add(_first(sc, *SELF_SERVICE) or "")
        resellers = any(s.lead_sources.get("reseller", 0) > 0 for s in business)
        if resellers and not isinstance(sc.links.get("partner_orders"), ManualLink):
            out.add(_first(sc, "partner_portal") or "")
    out.discard("")
    return out


def _routed(sc: Scenario) -> set[str]:
    """Stations a service segment's route visits."""
    out: set[str] = set()
    for seg in sc.segments.values():
        if isinstance(seg, ServiceSegment):
            out.update(seg.service)
            for step in seg.service.values():
                out.update(step.next)
    return out


def _idle_channels(sc: Scenario, routed: set[str]) -> dict[str, str]:
    fallback = _fallback_channels(sc)
    out = {}
    for name, ch in sc.channels.items():
        listed = any(s.channels.get(name, 0) > 0 for s in sc.segments.values())
        if not (listed or name in routed or name in fallback):
            out[name] = (f"no segment lists this {ch.role.replace('_', ' ')} and no other "
                         "work of its role falls to it")
    return out


def used_links(sc: Scenario) -> set[str]:
    """Links that some work crosses in ``sc`` (a manual link's team gets work only then)."""
    buyers = [s for s in sc.segments.values() if not isinstance(s, ServiceSegment)]
    business = [s for s in buyers if isinstance(s, BusinessSegment)]
    out = {"oms_to_erp", "erp_to_wms", "stock_sync", "order_intake", "carrier_booking",
           "order_status"} if buyers else set()
    if business:
        out.update(("lead_routing", "invoicing", "cash_posting"))
    if any(s.order_intake.get(r, 0) > 0 for s in business for r in ("email", "phone", "fax")):
        out.add("order_desk")
    if any(s.lead_sources.get("reseller", 0) > 0 for s in business):
        out.add("partner_orders")
    if sc.partners.suppliers and any(s.configured_share > 0 for s in business):
        out.add("supplier_po")
    if sc.partners.installers is not None and any(
            s.configured_share > 0 and s.installation_share > 0 for s in business):
        out.add("installer_booking")
    masters = sc.data_masters
    if (business and masters.customer > 1) or (
            buyers and masters.price > 1 and sc.catalog.price_changes_per_day > 0):
        out.add("master_sync")
    return out


def _idle_teams(sc: Scenario, routed: set[str]) -> dict[str, str]:
    buyers = any(not isinstance(s, ServiceSegment) for s in sc.segments.values())
    business = any(isinstance(s, BusinessSegment) for s in sc.segments.values())
    used = used_links(sc)
    linked = {link.team for name, link in sc.links.items()
              if isinstance(link, ManualLink) and name in used}
    # the teams the quoting and invoices blocks name: business quotes, invoices and disputes
    named = {t for t in (sc.quoting.team, sc.invoices.team, sc.invoices.dispute_team)
             if t} if business else set()
    out = {}
    for name, team in sc.teams.items():
        if name in linked or name in routed or name in named:
            continue
        first = sc.teams_of(team.role)[0] == name
        by_hand = sc.quoting.mode != "cpq" or "cpq" not in sc.systems
        gets = first and ((team.role == "customer_service" and buyers)
                          or (team.role in BUSINESS_TEAM_ROLES and business)
                          or (team.role == "sales_ops" and business and by_hand))
        if not gets:
            why = ("another team of its role is first" if not first
                   else "no manual link that work crosses names it, and no segment sends "
                        "its role's work")
            out[name] = f"team ({team.role.replace('_', ' ')}): {why}"
    return out


def idle_resources(sc: Scenario) -> dict[str, str]:
    """Declared stations that can get no work in ``sc``: name -> why (in file order)."""
    routed = _routed(sc)
    business = [s for s in sc.segments.values() if isinstance(s, BusinessSegment)]
    out = {**_idle_channels(sc, routed), **_idle_teams(sc, routed)}
    if "cpq" in sc.systems and sc.quoting.mode != "cpq" and "cpq" not in routed:
        out["cpq"] = "system: quoting.mode is manual, so no quote goes through the CPQ"
    for name in ("crm", "billing"):
        if name in sc.systems and not business and name not in routed:
            out[name] = "system: it serves business buyers and the scenario has none"
    if (sc.partners.installers is not None and "installers" not in routed
            and not any(s.configured_share > 0 and s.installation_share > 0 for s in business)):
        out["installers"] = "partner: no business segment orders installed products"
    return out
