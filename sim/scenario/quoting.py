"""Quotes and invoices as work: the pricing team, quote approvals, billing clerks and the
investigation of a disputed invoice (issue 16, part 1)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.scenario.fields import DurationDist, Money, Prob, Strict, duration_default


class Quoting(Strict):
    """Quotes for configured products: the pricing team prices each line by hand, or CPQ
    prices the standard configurations itself and leaves the pricing team only the
    non-standard lines (``segments.*.nonstandard_share``, a customer parameter)."""

    mode: Literal["cpq", "manual"] = Field(
        description="cpq: configure-price-quote software prices standard lines; manual: the "
                    "pricing team prices every line by hand")
    team: str | None = Field(default=None, description=(
        "the team (a name under teams) that prices lines by hand and checks non-standard "
        "configurations; null: the sales_ops team"))
    touch_time: DurationDist = Field(description=(
        "work of setting up one quote (by the pricing team by hand; elapsed in CPQ)"))
    line_time: DurationDist = Field(default_factory=duration_default("0 s"), description=(
        "pricing-team work per line it prices by hand (looking the price up in the masters)"))
    engineering_time: DurationDist = Field(default_factory=duration_default("0 s"), description=(
        "pricing-team work checking one non-standard line (drawings, bill of materials), on top "
        "of line_time, with or without CPQ"))
    error_per_line: Prob = Field(default=0.0, description=(
        "probability a hand-priced line is priced wrong (0-1); an approver sends it back "
        "(a re-quote), else the quote goes out below margin"))
    approval_over: Money | None = Field(default=None, description=(
        "quotes of this value or more need an approver (links.quote_approval); null: none"))
    below_margin_loss: Prob = Field(default=0.1, description=(
        "share of the order value lost on a below-margin quote that is won (0-1)"))


class Invoices(Strict):
    """Billing work: re-keyed orders are invoiced by hand, disputes are investigated."""

    team: str | None = Field(default=None, description=(
        "the team (a name under teams) that prepares invoices of re-keyed orders by hand; "
        "null: nobody does (the invoice run picks every order up)"))
    touch_time: DurationDist = Field(default_factory=duration_default("0 s"), description=(
        "billing work per invoice prepared by hand"))
    line_time: DurationDist = Field(default_factory=duration_default("0 s"), description=(
        "billing work per order line of an invoice prepared by hand"))
    dispute_team: str | None = Field(default=None, description=(
        "the team (a name under teams) that investigates a disputed invoice; null: the "
        "collections team"))
    investigate_time: DurationDist = Field(default_factory=duration_default("0 s"), description=(
        "work of investigating one disputed invoice, on top of the team's touch time and "
        "costs.error_fix_time of correction"))
