"""Every KPI of omnisim, declared once: label, sentence name, unit, direction, formula,
window or cohort, definition and the views that show it.

Everything that computes, prints, plots, words or documents a KPI reads this module:
:func:`sim.kpis.compute.compute_kpis` evaluates the formulas, the CLI tables, the report,
the figures and the workshop ask :func:`shown_in` which KPIs they show, the statistics
layer asks :func:`describe` for units and names, and :mod:`sim.kpis.docs` writes
``docs/kpis.md`` from it. Adding a KPI is one count in the journey (``ledger.count(...)``)
and one entry in :data:`KPIS`.

Views list their KPIs in the order of :data:`KPIS` (the lead-to-cash order of the docs).

>>> [k.key for k in shown_in(View.SWEEP)]  # doctest: +NORMALIZE_WHITESPACE
['throughput_orders_per_day', 'cart_abandonment_rate', 'call_abandonment_rate',
 'cost_per_order']
>>> describe("cost_breakdown.staff").label, describe("cost_breakdown.staff").unit
('Staff cost', <Unit.MONEY: ('money', '', '', 0)>)
"""

from __future__ import annotations

from typing import Any

from sim.journey.shop import CART_REASONS
from sim.kpis import books, operations
from sim.kpis.formulas import (
    by_segment,
    calls,
    count,
    function,
    kpi,
    mean_of,
    money,
    p90_of,
    per_day,
    ratio,
    revenue_from,
    value,
)
from sim.kpis.horizon import dso_min_days, lead_to_cash_min_days, quote_to_cash_min_days
from sim.kpis.spec import Better, Family, Kpi, Part, Scope, Unit, View

SHARE, DAYS, HOURS, MONEY, COUNT = Unit.SHARE, Unit.DAYS, Unit.HOURS, Unit.MONEY, Unit.COUNT
HIGHER, LOWER, NEITHER = Better.HIGHER, Better.LOWER, Better.NEITHER
COHORT = Scope.COHORT
RUN, COMPARE, SWEEP, REPORT, SLIDE, WORKSHOP = (View.RUN, View.COMPARE, View.SWEEP,
                                                View.REPORT, View.SLIDE, View.WORKSHOP)
SWEEP_FIGURE = View.SWEEP_FIGURE
#: the views of the strategists' headline KPIs (compare table, report)
HEADLINE = {COMPARE, REPORT}


# --------------------------------------------------------------------------- helpers
def _labour(key: str) -> Any:
    """Per staffed station, one of :func:`sim.kpis.compute.labour`'s numbers."""
    return lambda ctx: {name: s[key] for name, s in sorted(ctx.labour.items())}


def _labour_family(key: str, label: str, short: str, unit: Unit, better: Better,
                   definition: str) -> Family:
    """A family of one of :func:`sim.kpis.compute.labour`'s numbers per staffed station."""
    name = label.lower()
    return Family(key, label, name, unit, better, definition, values=_labour(key),
                  shown={RUN}, child_label=short + ": {name}", child_name="{name} " + name)


def _rework_hours(ctx: Any) -> dict[str, float]:
    return {name: ctx.ledger.rework_hours[name] for name in sorted(ctx.scenario.teams)}


def _b2b_segments(ctx: Any) -> list[str]:
    return [name for name, seg in ctx.scenario.segments.items()
            if seg.kind not in ("b2c", "service")]  # the B2B sales funnel only


def _buyer_segments(ctx: Any) -> list[str]:
    return [name for name, seg in ctx.scenario.segments.items()
            if seg.kind != "service"]  # segments whose customers buy


# --------------------------------------------------------------------------- the registry
COST_PARTS = (
    Part("staff", definition="every server on the roster of every staffed station, paid for "
                             "open hours, plus overtime (`labour_cost` summed)"),
    Part("systems", definition="instances x daily cost + IT staff, channel fixed costs"),
    Part("transactions", definition="per interaction / system transaction"),
    Part("logistics", definition="pick/pack, parcels, returns"),
    Part("rework", definition="out-of-pocket cost of errors: re-shipments and the return of "
                              "wrong items (the work of putting them right is labour cost)"),
    Part("partners", definition="reseller commission, installation jobs"),
    Part("coop_funds", "Co-op funds", definition="co-op marketing earned by resellers' volume"),
    Part("marketing", definition="promotions"),
    Part("acquisition", definition="cost per lead"),
    Part("leakage", definition="margin lost on delivered orders quoted below margin"),
    Part("bad_debt", definition="write-offs"),
)

KPIS: tuple[Kpi | Family, ...] = (
    Kpi("leads", "Leads", "the number of leads", COUNT, HIGHER, count("leads"),
        "leads that arrived in the window (B2C shopping visits, B2B leads, referrals)",
        COHORT, {RUN}),
    Kpi("orders", "Orders placed", "the number of orders", COUNT, HIGHER, count("orders"),
        "orders placed (validated, accepted) in the window", shown={RUN, WORKSHOP}),
    Kpi("orders_per_day", "Orders placed per day", "orders placed per day", Unit.PER_DAY,
        HIGHER, per_day("orders"), "`orders` per day of the window (the workshop's headline; not "
        "in `kpis.json`)", shown={WORKSHOP}, in_results=False),
    Kpi("conversion_rate", "Lead to first order", "lead conversion", SHARE, HIGHER,
        ratio("orders_first", "leads"), "first orders of the cohort / `leads`", COHORT,
        {RUN, *HEADLINE}, decimals=2),
    Kpi("b2c_session_conversion", "B2C session to order", "B2C session conversion", SHARE,
        HIGHER, ratio("checkouts", "visits"),
        "B2C visits ending in an order / B2C visits (sessions to orders, CALIBRATION C6-C8)",
        COHORT, {RUN}, decimals=2),
    Kpi("throughput_orders_per_day", "Orders delivered per day", "throughput (orders per day)",
        Unit.PER_DAY, HIGHER, per_day("delivered"), "orders delivered per day of the window",
        shown={RUN, *HEADLINE, SWEEP, SWEEP_FIGURE, SLIDE}),
    Kpi("cart_abandonment_rate", "Cart abandonment", "cart abandonment", SHARE, LOWER,
        ratio("carts_abandoned", "carts"), "carts abandoned / carts created (digital B2C)",
        COHORT, {RUN, *HEADLINE, SWEEP, SWEEP_FIGURE, SLIDE, WORKSHOP}),
    Family("cart_abandonment_reasons", "Cart abandonment by reason",
           "cart abandonment by reason", SHARE, LOWER,
           "per reason, abandoned carts / carts (the reasons add up to the rate)", COHORT,
           parts=tuple(Part(r, formula=ratio(f"cart_reason.{r}", "carts"))
                       for r in CART_REASONS),
           child_label="Cart abandonment: {name}", child_name="cart abandonment for {name}"),
    Kpi("call_abandonment_rate", "Call abandonment", "call abandonment", SHARE, LOWER,
        ratio(calls("abandoned"), calls("arrivals")),
        "callers who hung up before an agent answered / calls, contact centres pooled",
        shown={RUN, *HEADLINE, SWEEP, SWEEP_FIGURE, WORKSHOP}),
    Kpi("call_service_level", "Calls answered in 20 s", "the call service level", SHARE,
        HIGHER, operations.call_service_level, "calls answered within 20 s / calls offered (the "
        "\"80/20\" service level, W1), contact centres pooled"),
    Kpi("order_accuracy", "Order accuracy", "order accuracy", SHARE, HIGHER,
        ratio("orders_accurate", "orders_closed"),
        "paid orders with no keying error and no price mismatch / paid orders (orders of the "
        "opening balances, entered before the run, are left out)",
        shown={RUN, *HEADLINE, SLIDE}),
    Kpi("perfect_order_rate", "Perfect orders", "the perfect-order rate", SHARE, HIGHER,
        ratio("orders_perfect", "orders_closed"), "paid orders that were accurate, on time, "
        "complete (no backorder) and not disputed / paid orders (APQC, P4; opening orders "
        "left out)",
        shown={RUN, *HEADLINE}),
    Kpi("oversell_rate", "Oversold orders", "overselling", SHARE, LOWER,
        ratio("oversells", "orders"),
        "orders accepted against a stale stock view while the truth had none / orders",
        shown={RUN, *HEADLINE, SWEEP_FIGURE, SLIDE}, decimals=2),
    Kpi("backorder_rate", "Backordered orders", "the backorder rate", SHARE, LOWER,
        ratio("backorders", "orders"), "backordered / orders"),
    Kpi("forecast_error", "Forecast error", "the demand-forecast error", SHARE, LOWER,
        ratio("forecast_abs_error", "forecast_demand"),
        "sum over SKUs and reviews of |forecast x 7 days - units sold in the 7 days after "
        "the review| / units sold (WAPE; the planner's smoothed forecast of what it sees "
        "through `stock_sync` and its product master, CALIBRATION I5)"),
    Kpi("late_delivery_rate", "Late deliveries", "late delivery", SHARE, LOWER,
        ratio("late_deliveries", "delivered"), "late / delivered"),
    Kpi("return_rate", "Returns", "the return rate", SHARE, LOWER,
        ratio("returns", "delivered"), "returned / delivered"),
    Kpi("dispute_rate", "Disputed orders", "the dispute rate", SHARE, LOWER,
        ratio("disputes", "orders_paid"), "disputed / paid"),
    Kpi("keying_errors_per_order", "Keying errors per order", "keying errors per order",
        Unit.RATIO, LOWER, ratio("keying_errors", "orders"), "keyed-field errors / orders"),
    Kpi("wrong_item_rate", "Wrong items delivered", "wrong-item deliveries", SHARE, LOWER,
        ratio("wrong_items", "delivered"), "deliveries of a wrong item (a keying error), "
        "sent back and re-shipped / delivered; they count as returns too"),
    Kpi("price_mismatch_rate", "Price mismatches", "price mismatches", SHARE, LOWER,
        ratio("price_mismatches", "orders"), "orders priced while a price change was still "
        "on its way between price masters / orders"),
    Kpi("price_mismatch_disputes", "Price-mismatch disputes", "price-mismatch disputes",
        COUNT, LOWER, count("disputes_price_mismatch"), "the disputes price mismatches caused"),
    Kpi("wismo_contacts_per_order", "Where-is-my-order contacts per order",
        "where-is-my-order contacts per order", Unit.RATIO, LOWER,
        ratio("contacts.order_status", "delivered"),
        "\"where is my order\" contacts / delivered orders"),
    Kpi("lead_to_cash_days_mean", "Lead to cash, mean", "mean lead-to-cash time", DAYS, LOWER,
        mean_of("lead_to_cash_days"), "lead arrival to cash received, first purchases of the "
        "cohort (B2C cash is captured at shipment)", COHORT, {RUN, REPORT}),
    Kpi("lead_to_cash_days_p90", "Lead to cash, p90", "90th-percentile lead-to-cash time",
        DAYS, LOWER, p90_of("lead_to_cash_days"), "the 90th percentile of the same", COHORT,
        {RUN}),
    Kpi("lead_to_cash_days_mean_b2b", "B2B lead to cash, mean", "mean B2B lead-to-cash time",
        DAYS, LOWER, mean_of("lead_to_cash_days_b2b"),
        "lead to cash of business customers only", COHORT, {*HEADLINE, SLIDE},
        min_days=lead_to_cash_min_days),
    Kpi("quote_to_cash_days_mean", "Quote to cash, mean", "mean quote-to-cash time", DAYS,
        LOWER, mean_of("quote_to_cash_days"), "quote started to cash received (B2B)", COHORT,
        {RUN}, min_days=quote_to_cash_min_days),
    Kpi("quote_turnaround_days_mean", "Quote turnaround, mean", "mean quote turnaround", DAYS,
        LOWER, mean_of("quote_turnaround_days"),
        "quote started to quote ready, quotes of configured products (priced, "
        "engineered and approved; B2B)", COHORT, HEADLINE),
    Kpi("order_to_delivery_days_mean", "Order to delivery, mean",
        "mean order-to-delivery time", DAYS, LOWER, mean_of("order_to_delivery_days"),
        "order placed to delivered"),
    Kpi("ship_to_invoice_days_mean", "Ship to invoice, mean", "mean ship-to-invoice time",
        DAYS, LOWER, mean_of("ship_to_invoice_days"), "delivered to invoiced"),
    Kpi("below_margin_quote_rate", "Below-margin quotes", "the share of below-margin quotes",
        SHARE, LOWER, ratio("quotes_below_margin", "quotes"), "quotes with a line priced by "
        "hand on a stale price (price masters disagreeing) or priced wrong and not caught by "
        "an approver / quotes (B2B)", COHORT),
    Kpi("requote_rate", "Re-quotes", "re-quotes per quote", Unit.RATIO, LOWER,
        ratio("requotes", "quotes"), "quotes an approver sent back for re-pricing / quotes",
        COHORT),
    Kpi("dispute_days_mean", "Dispute resolution, mean", "mean dispute resolution time", DAYS,
        LOWER, mean_of("dispute_days"), "invoice disputed to investigated and corrected (the "
        "dispute team's queue and work)"),
    Kpi("lead_response_hours_mean", "Lead response, mean", "mean lead response time", HOURS,
        LOWER, mean_of("lead_response_hours"), "B2B lead arrival to the first response of sales",
        COHORT, {COMPARE}),
    Kpi("average_time_to_purchase_days", "Time to purchase, mean", "mean time to purchase",
        DAYS, LOWER, mean_of("time_to_purchase_days"), "lead arrival to first order", COHORT),
    Kpi("dso_days", "DSO", "DSO", DAYS, LOWER, operations.dso, "mean receivables balance (sampled; "
        "billed invoices plus delivered-but-not-yet-invoiced amounts, so a slow "
        "ship-to-invoice lag shows) / credit sales per day (invoices on payment terms)",
        shown={RUN, *HEADLINE, SWEEP_FIGURE, SLIDE}, min_days=dso_min_days),
    Kpi("revenue", "Revenue", "revenue", MONEY, HIGHER, operations.net_revenue,
        "revenue recognised at delivery, less refunds of returns", shown={RUN, *HEADLINE}),
    Kpi("cogs", "Cost of goods", "the cost of goods sold", MONEY, LOWER, value(money("cogs")),
        "cost of the goods delivered, recognised with their revenue at delivery: order value "
        "x (1 - `catalog.gross_margin`); a refunded return reverses it (the goods come back "
        "to stock)", shown={RUN}),
    Kpi("gross_profit", "Gross profit", "gross profit", MONEY, HIGHER,
        function(books.gross_profit, "`kpi.revenue` - `kpi.cogs`"), "`revenue` - `cogs`",
        shown={RUN}),
    Kpi("gross_margin", "Gross margin", "the gross margin", SHARE, HIGHER,
        ratio(kpi("gross_profit"), kpi("revenue")),
        "realised gross margin: `gross_profit` / `revenue` (the catalogue's margin, as long "
        "as every delivery and return books its cost of goods)", shown={RUN}),
    Kpi("cash_collected", "Cash collected", "cash collected", MONEY, HIGHER,
        value(money("cash")), "cash received in the window", shown={WORKSHOP}),
    Kpi("total_cost", "Cost to serve", "total cost to serve", MONEY, LOWER, operations.total_cost,
        "cost to serve (COGS excluded): `cost_breakdown` summed", shown={RUN, WORKSHOP}),
    Family("cost_breakdown", "Cost by bucket", "cost by bucket", MONEY, LOWER,
           "cost to serve by bucket", parts=COST_PARTS, values=lambda ctx: ctx.cost,
           child_label="{label} cost", child_name="{name} cost"),
    Kpi("cost_per_order", "Cost per order", "cost per order", MONEY, LOWER,
        ratio(kpi("total_cost"), "orders"), "`total_cost` / `orders`",
        shown={RUN, *HEADLINE, SWEEP, SWEEP_FIGURE, SLIDE, WORKSHOP}, decimals=2),
    Kpi("ebit", "EBIT", "operating profit (EBIT)", MONEY, HIGHER,
        function(books.ebit, "`kpi.gross_profit` - `kpi.total_cost`"),
        "operating profit: `revenue` - `cogs` - `total_cost` (cost to serve, every bucket "
        "of `cost_breakdown`)", shown={RUN, *HEADLINE}, signed=True),
    Kpi("ebit_margin", "EBIT margin", "the EBIT margin", SHARE, HIGHER,
        ratio(kpi("ebit"), kpi("revenue")), "`ebit` / `revenue` (negative for a loss)",
        shown={RUN, *HEADLINE, SLIDE}, bounded=False),
    Kpi("operating_cash_flow", "Operating cash flow", "operating cash flow", MONEY, HIGHER,
        function(books.operating_cash_flow, "`money.cash` - `money.refunds` - (`kpi.total_cost` - "
                 "`cost_breakdown.bad_debt`) - `money.supplier_payments`"),
        "cash collected in the window - refunds paid back - cash operating costs (`total_cost` "
        "less its non-cash bucket `bad_debt`; price concessions such as `leakage` and loyalty "
        "discounts count as cash: the customer pays that much less) - payments to suppliers "
        "for stock received (purchases at `catalog.unit_cost`, paid after "
        "`catalog.supplier_terms`)", shown={RUN, *HEADLINE}, signed=True),
    Kpi("working_capital", "Working capital", "working capital", MONEY, LOWER,
        function(books.working_capital, "receivables + unbilled + inventory_value - payables"),
        "mean over the window (sampled every `sample_interval`, like DSO's receivables) of "
        "receivables (billed) + unbilled deliveries + stock on hand at `catalog.unit_cost` - "
        "payables to suppliers: see `working_capital_parts`", shown={RUN}, signed=True),
    Family("working_capital_parts", "Working capital by part", "working capital by part",
           MONEY, LOWER, "mean balances over the window (sampled every `sample_interval`)",
           parts=(Part("receivables", formula=function(books.balance("receivables"),
                                                       "mean of the receivables balance"),
                       definition="invoices issued and not yet paid or written off "
                                  "(card captures are paid at once)"),
                  Part("unbilled", formula=function(books.balance("unbilled"),
                                                    "mean of the unbilled balance"),
                       definition="delivered (revenue recognised) but not invoiced yet"),
                  Part("inventory_value", "Inventory", "inventory at cost",
                       function(books.balance("inventory"), "mean of on-hand units x unit_cost"),
                       "stock on hand at `catalog.unit_cost` per unit"),
                  Part("payables", formula=function(books.balance("payables"),
                                                    "mean of the payables balance"),
                       definition="supplier receipts not paid yet (`catalog.supplier_terms`)",
                       better=NEITHER)),
           child_label="Working capital: {label}", child_name="working capital in {name}"),
    Kpi("opex_per_million_revenue", "Opex per 1M revenue", "opex per million of revenue",
        MONEY, LOWER, ratio(kpi("total_cost"), kpi("revenue"), scale=1e6),
        "`total_cost` x 1e6 / `revenue`", shown={RUN}),
    Family("funnel", "Lead-to-cash funnel", "the funnel", COUNT, HIGHER,
           "counts of the window along lead to cash; each stage counts what happened in the "
           "window, so late stages include orders whose leads came before it",
           parts=(Part("leads", formula=count("leads")),
                  Part("carts_and_quotes", "Carts + quotes", "carts and quotes",
                       count("carts", "quotes"), "B2C baskets plus B2B quotes"),
                  Part("orders", formula=count("orders")),
                  Part("delivered", formula=count("delivered")),
                  Part("paid", formula=count("orders_paid"), definition="orders fully paid")),
           child_label="Funnel: {name}", child_name="the funnel's {name}"),
    Kpi("customer_satisfaction", "Customer satisfaction", "customer satisfaction",
        Unit.SCORE, HIGHER, mean_of("satisfaction", scale=100.0),
        "mean satisfaction x 100 at the repeat decision; satisfaction starts at 1 and is "
        "multiplied by (1 - penalty) for each late delivery, wrong order, dispute and long "
        "wait (CALIBRATION I9, discounted)", shown={RUN, *HEADLINE, SLIDE}),
    Kpi("retention_rate", "Retention", "retention", SHARE, HIGHER,
        ratio("retained", "retention_decisions"),
        "customers who buy again / customers at a repeat decision", shown={RUN}),
    Kpi("churn_rate", "Churn", "churn", SHARE, LOWER, operations.churn, "1 - `retention_rate`"),
    Kpi("customer_acquisition_cost", "Customer acquisition cost, pooled",
        "customer acquisition cost pooled over segments", MONEY, LOWER,
        operations.pooled_acquisition_cost,
        "(acquisition + marketing cost) / new customers in the window, pooled over every "
        "segment (per segment: `unit_economics_<segment>.acquisition_cost`)", decimals=2),
    Kpi("market_penetration", "Market penetration", "market penetration", SHARE, HIGHER,
        operations.penetration, "distinct market members who ever bought / "
        "`market.addressable_customers`", decimals=2),
    Family("revenue_by_source", "Revenue by lead source", "revenue by lead source", MONEY,
           HIGHER, "revenue by the lead source of the customer",
           parts=tuple(Part(s, formula=value(revenue_from(s)))
                       for s in ("ads", "organic", "trade_show", "referral", "reseller")),
           child_label="Revenue from {name}", child_name="revenue from {name}"),
    Kpi("referrals", "Referrals", "referrals", COUNT, HIGHER, count("referrals"),
        "word-of-mouth leads"),
    Kpi("loyalty_signups", "Loyalty sign-ups", "loyalty sign-ups", COUNT, HIGHER,
        count("loyalty_signups"), "loyalty programme sign-ups"),
    Kpi("promotion_response_rate", "Promotion response", "promotion response", SHARE, HIGHER,
        ratio("promotion_responses", "promotions_sent"), "promotion responses / offers"),
    Family("funnel_{segment}", "B2B funnel of a segment", "the B2B funnel", SHARE, HIGHER,
           "B2B stage rates of each B2B segment (CALIBRATION F1, F2)", COHORT,
           parts=(Part("lead_to_mql", "Lead to MQL", "lead-to-MQL",
                       ratio("funnel.{segment}.mql", "leads.{segment}")),
                  Part("mql_to_sql", "MQL to SQL", "MQL-to-SQL",
                       ratio("funnel.{segment}.sql", "funnel.{segment}.mql")),
                  Part("sql_to_opportunity", "SQL to opportunity", "SQL-to-opportunity",
                       ratio("funnel.{segment}.opportunity", "funnel.{segment}.sql")),
                  Part("opportunity_to_won", "Opportunity to won", "opportunity-to-won",
                       ratio("funnel.{segment}.won", "funnel.{segment}.opportunity"))),
           instances=_b2b_segments, child_label="Funnel {instance}: {label}",
           child_name="the {instance} funnel's {name} rate"),
    Family("unit_economics_{segment}", "Unit economics of a segment",
           "the unit economics", MONEY, HIGHER,
           "customer lifetime value and acquisition cost of each buyer segment, from that "
           "segment's own orders, repeat decisions, new customers and costs",
           parts=(Part("average_order_value", formula=ratio(by_segment("revenue.{segment}"),
                                                             "delivered.{segment}"),
                       definition="revenue at delivery / delivered orders of the segment"),
                  Part("gross_margin_per_order", formula=function(
                      books.gross_profit_per_order, "(`by_segment.revenue.{segment}` - "
                      "`by_segment.refunds.{segment}` - `by_segment.cogs.{segment}`) / "
                      "`delivered.{segment}`"),
                       definition="gross profit (revenue less refunds and cost of goods) per "
                                  "delivered order: the average order value x the gross "
                                  "margin, less what returns take back"),
                  Part("retention", formula=ratio("retained.{segment}",
                                                  "retention_decisions.{segment}"),
                       definition="customers of the segment who buy again / those at a "
                                  "repeat decision", unit=SHARE),
                  Part("expected_purchases", formula=function(
                      books.expected_purchases, "1 / (1 - retention)"),
                       definition="purchases over a customer's life (geometric)",
                       unit=Unit.RATIO),
                  Part("lifetime_value", "Lifetime value", "lifetime value", function(
                      books.lifetime_value, "gross_margin_per_order x expected_purchases"),
                       "gross profit over a customer's expected purchases (undiscounted)"),
                  Part("acquisition_cost", "Acquisition cost", "acquisition cost", function(
                      books.acquisition_cost, "(`by_segment.acquisition.{segment}` + "
                      "`by_segment.marketing.{segment}`) / `new_customers.{segment}`"),
                       "acquisition (cost per lead) + marketing (promotions, loyalty "
                       "discounts) cost of the segment / its new customers in the window",
                       better=LOWER),
                  Part("lifetime_value_to_cac", "CLV/CAC", "CLV to CAC", function(
                      books.lifetime_value_to_cac, "lifetime_value / acquisition_cost"),
                       "lifetime value / acquisition cost", unit=Unit.RATIO)),
           instances=_buyer_segments, child_label="{instance}: {label}",
           child_name="the {instance} {name}"),
    Family("utilisation", "Utilisation", "utilisation", SHARE, NEITHER,
           "per station: busy server-hours / paid server-hours (servers on the roster x open "
           "hours, plus overtime)", values=operations.utilisation_by_station,
           child_label="Utilisation: {name}", child_name="{name} utilisation"),
    _labour_family("staff_hours", "Paid staff-hours", "Staff-hours", HOURS, NEITHER,
                   "per staffed station (staffed channels, teams, warehouse): headcount on the "
                   "roster x open hours, summed piecewise over the staffing decisions, plus "
                   "overtime (calls and sales finished after closing)"),
    _labour_family("labour_cost", "Labour cost", "Labour cost", MONEY, LOWER,
                   "per staffed station: its hourly rate x its paid staff-hours (they add up "
                   "to `cost_breakdown.staff`)"),
    _labour_family("headcount", "Mean headcount", "Headcount", Unit.RATIO, NEITHER,
                   "per staffed station: roster staff-hours / open hours of the window (the "
                   "roster's mean; it follows the work under an occupancy or service-level "
                   "staffing policy)"),
    Family("rework_hours", "Rework hours", "rework hours", HOURS, LOWER,
           "per team: hours of work putting errors right in the window (customer service: a "
           "wrong item or address, `costs.error_fix_time` each; collections: a disputed "
           "invoice, touch time plus `costs.error_fix_time`)", values=_rework_hours,
           shown={RUN}, child_label="Rework hours: {name}", child_name="{name} rework hours"),
)


# --------------------------------------------------------------------------- queries
_index_of: tuple[Any, dict[str, Kpi | Family]] = ((), {})


def _index() -> dict[str, Kpi | Family]:
    """Entries by key (rebuilt when :data:`KPIS` is replaced, e.g. by a test)."""
    global _index_of
    if _index_of[0] is not KPIS:
        _index_of = (KPIS, {e.key: e for e in KPIS})
    return _index_of[1]


def kpis() -> list[Kpi]:
    """Every top-level KPI, in registry order."""
    return [e for e in KPIS if isinstance(e, Kpi)]


def families() -> list[Family]:
    """Every family of nested KPIs, in registry order."""
    return [e for e in KPIS if isinstance(e, Family)]


def get(key: str) -> Kpi:
    """The top-level KPI ``key``.

    Raises:
        KeyError: If the registry declares no top-level KPI ``key``.
    """
    entry = _index().get(key)
    if not isinstance(entry, Kpi):
        raise KeyError(f"no KPI {key!r} in the registry")
    return entry


def family(key: str) -> Family:
    """The family declared under ``key`` (``"cost_breakdown"``, ``"funnel_{segment}"``)."""
    entry = _index().get(key)
    if not isinstance(entry, Family):
        raise KeyError(f"no KPI family {key!r} in the registry")
    return entry


def shown_in(view: View) -> list[Kpi]:
    """The KPIs a view shows, in registry order: ``shown_in(View.COMPARE)``."""
    return [k for k in kpis() if view in k.shown]


def cost_buckets() -> list[str]:
    """The declared cost buckets, in order (``cost_breakdown``'s parts)."""
    return [p.key for p in family("cost_breakdown").parts]


def lookup(key: str) -> Kpi | Family | None:
    """The declaration of any key of a results table: a KPI, a family, or a family's child
    (``cost_breakdown.staff``, ``utilisation.call_centre``, ``funnel_b2b.mql_to_sql``);
    None for a key the registry does not know."""
    index = _index()
    if key in index:
        return index[key]
    parent, _, child = key.partition(".")
    for fam in families():
        instance = fam.match(parent if child else key)
        if instance is None:
            continue
        return fam.member(child, instance) if child else fam
    return None


def describe(key: str) -> Kpi:
    """The description of any key: its declaration (a family's as a KPI of the children's
    unit), or for an unknown key a guess from its name (see :func:`guess`)."""
    found = lookup(key)
    if isinstance(found, Family):
        return Kpi(key, found.label, found.name, found.unit, found.better, None,
                   found.definition, found.scope)
    return found if found is not None else guess(key)


def guess(key: str) -> Kpi:
    """A description of a key the registry does not know (an older folder, a user's column):
    a share if the name ends in ``_rate``, ``_share``, ``conversion`` or ``accuracy``, days or
    hours if the name says so, else a plain number; named after the key."""
    parent, _, child = key.partition(".")
    if key.endswith(("_rate", "_share", "conversion", "accuracy")):
        unit = SHARE
    elif "days" in key.replace(".", "_").split("_"):
        unit = DAYS
    elif "hours" in key.replace(".", "_").split("_"):
        unit = HOURS
    else:
        unit = Unit.RATIO
    if child:
        name = f"{describe(parent).name} ({child.replace('_', ' ').replace('.', ' ')})"
    else:
        name = (key[: -len("_rate")] if key.endswith("_rate") else key).replace("_", " ")
    return Kpi(key, name[:1].upper() + name[1:], name, unit, NEITHER, None,
               "not declared in the registry")
