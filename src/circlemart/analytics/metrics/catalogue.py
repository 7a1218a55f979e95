"""The metric catalogue: every metric the platform computes, with its written definition, its
unit, the dimensions it can be cut by and how its days add up over a range.

`METRICS` holds what dashboards, goals and reports may ask for. `COMPONENTS` holds the
numerators and denominators stored beside the ratios so a range is recomputed from them
(sum of numerators / sum of denominators), never averaged from daily ratios.

Conventions shared by every definition (they are repeated in docs/analytics.md):
- a day is a calendar day in settings.TIME_ZONE;
- events of a tracked session marked as a bot are ignored everywhere;
- money is in minor units of the shop currency (no conversion);
- a buyer/order/visitor is counted once per day for daily distinct counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Group(StrEnum):
    USERS = "users"
    PRODUCTS = "products"
    ORDERS = "orders"
    TRAFFIC = "traffic"


class Unit(StrEnum):
    COUNT = "count"
    MONEY = "money"  # minor units
    RATIO = "ratio"  # 0..1
    SECONDS = "seconds"
    SCORE = "score"  # a 1..5 rating


class RangeRule(StrEnum):
    """How the days of a range make one value."""

    SUM = "sum"  # add the days (events, amounts)
    MEAN = "mean"  # average of the days (daily distinct counts: DAU, UV, MAU…)
    LAST = "last"  # the value of the last day that has one (cumulative stock-like values)
    RATIO = "ratio"  # numerator / denominator, each aggregated by its own rule


CHANNEL = "channel"
CATEGORY = "category"
PRODUCT = "product"
SEGMENT = "segment"
DIMENSIONS = (CHANNEL, CATEGORY, PRODUCT, SEGMENT)


@dataclass(frozen=True)
class MetricDefinition:
    key: str
    label: Promise
    group: Group
    unit: Unit
    definition: Promise
    dimensions: tuple[str, ...] = ()
    rule: RangeRule = RangeRule.SUM
    # RATIO only: metric keys (public or component); the denominator is the sum of its keys.
    numerator: str = ""
    denominator: tuple[str, ...] = ()
    # Rows are written for day D when day D + lag_days is rolled up (retention: the cohort
    # day is known only N days later).
    lag_days: int = 0


def _metric(
    key: str,
    label: Promise,
    group: Group,
    unit: Unit,
    definition: Promise,
    *,
    dimensions: tuple[str, ...] = (),
    rule: RangeRule = RangeRule.SUM,
    ratio: tuple[str, tuple[str, ...]] | None = None,
    lag_days: int = 0,
) -> MetricDefinition:
    numerator, denominator = ratio or ("", ())
    return MetricDefinition(
        key=key,
        label=label,
        group=group,
        unit=unit,
        definition=definition,
        dimensions=dimensions,
        rule=RangeRule.RATIO if ratio else rule,
        numerator=numerator,
        denominator=denominator,
        lag_days=lag_days,
    )


USR, PRD, ORD, TRF = Group.USERS, Group.PRODUCTS, Group.ORDERS, Group.TRAFFIC

_PUBLIC: tuple[MetricDefinition, ...] = (
    # --- users ------------------------------------------------------------------------
    _metric(
        "registered_users",
        _("Registered users"),
        USR,
        Unit.COUNT,
        _(
            "Customer accounts registered up to the end of the day (cumulative; staff "
            "accounts excluded). A user's registration time is the earlier of their "
            "user_registered event and their account's join date."
        ),
        rule=RangeRule.LAST,
    ),
    _metric(
        "new_users",
        _("New users"),
        USR,
        Unit.COUNT,
        _("Accounts whose registration time (see registered users) falls on the day."),
    ),
    _metric(
        "dau",
        _("Daily active users (DAU)"),
        USR,
        Unit.COUNT,
        _(
            "Distinct signed-in users with at least one event that day (any client event, a "
            "login, an order, a payment…), bot sessions excluded; by segment: new (registered "
            "that day) or returning. Over a range: the average of the days."
        ),
        dimensions=(SEGMENT,),
        rule=RangeRule.MEAN,
    ),
    _metric(
        "wau",
        _("Weekly active users (WAU)"),
        USR,
        Unit.COUNT,
        _(
            "Distinct users active (as for DAU) in the 7 days ending on the day. Over a range: "
            "the average of the days."
        ),
        rule=RangeRule.MEAN,
    ),
    _metric(
        "mau",
        _("Monthly active users (MAU)"),
        USR,
        Unit.COUNT,
        _(
            "Distinct users active (as for DAU) in the 30 days ending on the day. Over a "
            "range: the average of the days."
        ),
        rule=RangeRule.MEAN,
    ),
    _metric(
        "retention_d1",
        _("Day-1 retention"),
        USR,
        Unit.RATIO,
        _(
            "Of the users who registered on the day, the share active (as for DAU) on the next "
            "day. Stored on the registration day once that next day is rolled up. Over a "
            "range: retained users / new users of all the range's days."
        ),
        ratio=("retained_d1_users", ("retention_d1_cohort",)),
        lag_days=1,
    ),
    _metric(
        "retention_d7",
        _("Day-7 retention"),
        USR,
        Unit.RATIO,
        _(
            "Of the users who registered on the day, the share active on the 7th day after "
            "it. Stored on the registration day. Over a range: recomputed from the counts."
        ),
        ratio=("retained_d7_users", ("retention_d7_cohort",)),
        lag_days=7,
    ),
    _metric(
        "retention_d30",
        _("Day-30 retention"),
        USR,
        Unit.RATIO,
        _(
            "Of the users who registered on the day, the share active on the 30th day after "
            "it. Stored on the registration day. Over a range: recomputed from the counts."
        ),
        ratio=("retained_d30_users", ("retention_d30_cohort",)),
        lag_days=30,
    ),
    _metric(
        "stickiness",
        _("Activity (DAU/MAU)"),
        USR,
        Unit.RATIO,
        _(
            "DAU / MAU of the day: how many of the month's active users came back that day. "
            "Over a range: sum of DAU / sum of MAU (the ratio of the averages)."
        ),
        ratio=("dau", ("mau",)),
    ),
    _metric(
        "repeat_purchase_rate",
        _("Loyalty (repeat-purchase rate)"),
        USR,
        Unit.RATIO,
        _(
            "Of the buyers with at least one paid order in the 30 days ending on the day, the "
            "share with two or more paid orders in those 30 days. Over a range: recomputed "
            "from the daily counts of repeat buyers and buyers."
        ),
        ratio=("repeat_buyers_30d", ("buyers_30d",)),
    ),
    _metric(
        "orders_per_buyer_30d",
        _("Orders per buyer (30 days)"),
        USR,
        Unit.COUNT,
        _(
            "Paid orders of the 30 days ending on the day divided by the buyers with a paid "
            "order in those 30 days: how often a customer buys in a month. Over a range: "
            "recomputed from the daily sums."
        ),
        ratio=("orders_paid_30d", ("buyers_30d",)),
    ),
    _metric(
        "csat",
        _("Satisfaction (CSAT)"),
        USR,
        Unit.RATIO,
        _(
            "Share of satisfaction surveys (csat_submitted) answered that day with a score of "
            "4 or 5 out of 5. Over a range: satisfied answers / all answers."
        ),
        ratio=("csat_positive", ("csat_responses",)),
    ),
    _metric(
        "review_rating",
        _("Average review rating"),
        USR,
        Unit.SCORE,
        _(
            "Average rating (1–5) of the reviews published that day. Over a range: sum of "
            "ratings / number of reviews."
        ),
        dimensions=(CATEGORY,),
        ratio=("review_rating_sum", ("reviews",)),
    ),
    _metric(
        "ltv",
        _("User value (LTV)"),
        USR,
        Unit.MONEY,
        _(
            "Lifetime value per buyer at the end of the day: everything ever paid minus "
            "everything ever refunded, divided by the users with at least one paid order so "
            "far. Over a range: the value on its last day."
        ),
        rule=RangeRule.LAST,
    ),
    _metric(
        "product_views",
        _("Product views"),
        USR,
        Unit.COUNT,
        _("product_view events of the day (bot sessions excluded)."),
        dimensions=(CATEGORY,),
    ),
    _metric(
        "add_to_carts",
        _("Add-to-cart actions"),
        USR,
        Unit.COUNT,
        _("add_to_cart events of the day (bot sessions excluded)."),
        dimensions=(CATEGORY,),
    ),
    # --- products ---------------------------------------------------------------------
    _metric(
        "gmv",
        _("GMV (gross)"),
        PRD,
        Unit.MONEY,
        _(
            "Paid amount of the order lines paid that day (product_sold events), before "
            "refunds; unpaid and cancelled-before-payment orders never count."
        ),
        dimensions=(CATEGORY, PRODUCT),
    ),
    _metric(
        "net_sales",
        _("Net sales"),
        PRD,
        Unit.MONEY,
        _("GMV of the day minus the money refunded that day (order_refunded amounts)."),
    ),
    _metric(
        "units_sold",
        _("Units sold"),
        PRD,
        Unit.COUNT,
        _("Units on the order lines paid that day (product_sold events)."),
        dimensions=(CATEGORY, PRODUCT),
    ),
    _metric(
        "sell_through",
        _("Sell-through rate (售罄率)"),
        PRD,
        Unit.RATIO,
        _(
            "Units sold / (units sold + stock on hand). Stock on hand is the stock of the "
            "products' SKUs when the day was rolled up. Over a range: units sold in the range "
            "/ (those units + the stock on hand of the range's last day)."
        ),
        dimensions=(CATEGORY,),
        ratio=("units_sold", ("units_sold", "stock_on_hand")),
    ),
    _metric(
        "good_review_rate",
        _("Good review rate"),
        PRD,
        Unit.RATIO,
        _("Share of the day's published reviews rated 4 or 5. Over a range: from the counts."),
        dimensions=(CATEGORY,),
        ratio=("reviews_good", ("reviews",)),
    ),
    _metric(
        "bad_review_rate",
        _("Bad review rate"),
        PRD,
        Unit.RATIO,
        _("Share of the day's published reviews rated 1 or 2. Over a range: from the counts."),
        dimensions=(CATEGORY,),
        ratio=("reviews_bad", ("reviews",)),
    ),
    _metric(
        "reviews",
        _("Reviews"),
        PRD,
        Unit.COUNT,
        _("Reviews published that day (review_published events)."),
        dimensions=(CATEGORY,),
    ),
    _metric(
        "review_follow_ups",
        _("Follow-up reviews"),
        PRD,
        Unit.COUNT,
        _("Follow-up reviews (追评) written that day (review_followed_up events)."),
        dimensions=(CATEGORY,),
    ),
    _metric(
        "moving_rate",
        _("Moving-product rate (动销率)"),
        PRD,
        Unit.RATIO,
        _(
            "Products on sale with at least one unit sold that day / products on sale (on "
            "sale as the catalogue says at rollup time, created by that day). Over a range: "
            "product-days with a sale / product-days on sale (the daily counts summed)."
        ),
        dimensions=(CATEGORY,),
        ratio=("moving_products", ("products_on_sale",)),
    ),
    _metric(
        "new_product_moving_rate",
        _("New-product moving rate"),
        PRD,
        Unit.RATIO,
        _(
            "Among products on sale created in the 30 days ending on the day, the share with "
            "at least one unit sold that day. Over a range: from the daily counts."
        ),
        dimensions=(CATEGORY,),
        ratio=("new_moving_products", ("new_products_on_sale",)),
    ),
    # --- orders -----------------------------------------------------------------------
    _metric(
        "orders_placed",
        _("Orders placed"),
        ORD,
        Unit.COUNT,
        _("Orders placed that day (order_placed events), whatever became of them."),
        dimensions=(CHANNEL,),
    ),
    _metric(
        "orders_paid",
        _("Orders paid (payments)"),
        ORD,
        Unit.COUNT,
        _(
            "Orders paid that day (order_paid events, one per order); by segment: new (the "
            "buyer's first paid order) or returning."
        ),
        dimensions=(CHANNEL, SEGMENT),
    ),
    _metric(
        "orders_valid",
        _("Valid orders"),
        ORD,
        Unit.COUNT,
        _(
            "Orders placed that day that have been paid and are neither cancelled nor fully "
            "refunded, as known when the day was last rolled up."
        ),
        dimensions=(CHANNEL,),
    ),
    _metric(
        "orders_invalid",
        _("Invalid orders"),
        ORD,
        Unit.COUNT,
        _("Orders placed that day that are not valid: never paid, cancelled or fully refunded."),
        dimensions=(CHANNEL,),
    ),
    _metric(
        "orders_refunded",
        _("Refunded orders"),
        ORD,
        Unit.COUNT,
        _("Distinct orders with money refunded that day (partly or fully)."),
        dimensions=(CHANNEL,),
    ),
    _metric(
        "amount_placed",
        _("Total order amount"),
        ORD,
        Unit.MONEY,
        _("Amount of the orders placed that day, paid or not."),
        dimensions=(CHANNEL,),
    ),
    _metric(
        "amount_paid",
        _("Paid amount"),
        ORD,
        Unit.MONEY,
        _("Amount of the payments received that day (order_paid amounts), before refunds."),
        dimensions=(CHANNEL, SEGMENT),
    ),
    _metric(
        "amount_refunded",
        _("Refund amount"),
        ORD,
        Unit.MONEY,
        _("Money refunded that day (order_refunded amounts)."),
        dimensions=(CHANNEL,),
    ),
    _metric(
        "aov",
        _("Average order value (AOV)"),
        ORD,
        Unit.MONEY,
        _("Paid amount / orders paid. Over a range: recomputed from the sums."),
        dimensions=(CHANNEL, SEGMENT),
        ratio=("amount_paid", ("orders_paid",)),
    ),
    _metric(
        "amount_per_buyer",
        _("Amount per paying buyer"),
        ORD,
        Unit.MONEY,
        _(
            "Paid amount / distinct buyers who paid that day. Over a range: paid amount / "
            "buyer-days (a buyer paying on two days counts twice)."
        ),
        dimensions=(CHANNEL, SEGMENT),
        ratio=("amount_paid", ("paying_buyers",)),
    ),
    _metric(
        "ship_time",
        _("Average ship time"),
        ORD,
        Unit.SECONDS,
        _(
            "For orders shipped that day: average seconds from payment to shipment (orders "
            "without a recorded payment are left out)."
        ),
        ratio=("ship_seconds", ("orders_shipped",)),
    ),
    _metric(
        "delivery_time",
        _("Average delivery time"),
        ORD,
        Unit.SECONDS,
        _(
            "For orders delivered that day: average seconds from shipment to delivery "
            "(orders without a recorded shipment are left out)."
        ),
        ratio=("delivery_seconds", ("orders_delivered",)),
    ),
    _metric(
        "order_satisfaction",
        _("Order satisfaction"),
        ORD,
        Unit.SCORE,
        _(
            "Average score (1–5) of the satisfaction surveys on orders answered that day. "
            "Over a range: sum of scores / answers."
        ),
        ratio=("csat_score_sum", ("csat_responses",)),
    ),
    # --- traffic ----------------------------------------------------------------------
    _metric(
        "sessions",
        _("Sessions (source mix)"),
        TRF,
        Unit.COUNT,
        _(
            "Visits started that day, bots excluded; by channel it is the source mix "
            "(direct, search, social, referral, share, campaign, ad)."
        ),
        dimensions=(CHANNEL,),
    ),
    _metric(
        "page_views",
        _("Page views (PV)"),
        TRF,
        Unit.COUNT,
        _("page_view events of the day, bots excluded; by channel: the channel of the visit."),
        dimensions=(CHANNEL,),
    ),
    _metric(
        "unique_visitors",
        _("Unique visitors (UV)"),
        TRF,
        Unit.COUNT,
        _(
            "Distinct anonymous visitor ids with a visit started that day, bots excluded. "
            "Over a range: the average of the days."
        ),
        dimensions=(CHANNEL,),
        rule=RangeRule.MEAN,
    ),
    _metric(
        "pages_per_session",
        _("Pages per session"),
        TRF,
        Unit.COUNT,
        _("Page views of the visits started that day / those visits."),
        dimensions=(CHANNEL,),
        ratio=("session_page_views", ("sessions",)),
    ),
    _metric(
        "dwell_per_session",
        _("Dwell time per session"),
        TRF,
        Unit.SECONDS,
        _(
            "Seconds reported by dwell events of the visits started that day / those visits "
            "(a visit that reported no dwell counts as 0 s)."
        ),
        dimensions=(CHANNEL,),
        ratio=("dwell_seconds", ("sessions",)),
    ),
    _metric(
        "bounce_rate",
        _("Bounce rate"),
        TRF,
        Unit.RATIO,
        _("Share of the visits started that day with at most one page_view event."),
        dimensions=(CHANNEL,),
        ratio=("bounced_sessions", ("sessions",)),
    ),
    _metric(
        "conversion_rate",
        _("Conversion rate"),
        TRF,
        Unit.RATIO,
        _(
            "Share of the visits started that day that led to a paid order: an order_paid "
            "event carrying the visit's id, or by the visit's signed-in user between the "
            "visit's start and its end plus the session idle time."
        ),
        dimensions=(CHANNEL,),
        ratio=("converted_sessions", ("sessions",)),
    ),
    _metric(
        "channel_spend",
        _("Cost per channel"),
        TRF,
        Unit.MONEY,
        _("Ad and promotion spend recorded for the day (ChannelSpend), by channel."),
        dimensions=(CHANNEL,),
    ),
    _metric(
        "new_customers",
        _("New paying customers"),
        TRF,
        Unit.COUNT,
        _(
            "Buyers whose first paid order was paid that day; by channel: the channel of "
            "that order (see orders)."
        ),
        dimensions=(CHANNEL,),
    ),
    _metric(
        "cac",
        _("Customer acquisition cost (CAC)"),
        TRF,
        Unit.MONEY,
        _(
            "Channel spend / new paying customers, overall or per channel. Over a range: "
            "spend of the range / new customers of the range."
        ),
        dimensions=(CHANNEL,),
        ratio=("channel_spend", ("new_customers",)),
    ),
)


def _component(
    key: str,
    group: Group,
    definition: Promise,
    *,
    unit: Unit = Unit.COUNT,
    dimensions: tuple[str, ...] = (),
    rule: RangeRule = RangeRule.SUM,
    lag_days: int = 0,
) -> MetricDefinition:
    return MetricDefinition(
        key=key,
        label=definition,
        group=group,
        unit=unit,
        definition=definition,
        dimensions=dimensions,
        rule=rule,
        lag_days=lag_days,
    )


_COMPONENTS: tuple[MetricDefinition, ...] = (
    *(
        component
        for days in (1, 7, 30)
        for component in (
            _component(
                f"retained_d{days}_users",
                USR,
                _("New users of the day active N days later"),
                lag_days=days,
            ),
            _component(f"retention_d{days}_cohort", USR, _("New users of the day"), lag_days=days),
        )
    ),
    _component("repeat_buyers_30d", USR, _("Buyers with 2+ paid orders in 30 days")),
    _component("buyers_30d", USR, _("Buyers with a paid order in 30 days")),
    _component("orders_paid_30d", USR, _("Paid orders of the buyers of 30 days")),
    _component("csat_positive", USR, _("Survey answers scored 4 or 5")),
    _component("csat_responses", USR, _("Survey answers")),
    _component("csat_score_sum", ORD, _("Sum of survey scores"), unit=Unit.SCORE),
    _component(
        "review_rating_sum",
        USR,
        _("Sum of review ratings"),
        unit=Unit.SCORE,
        dimensions=(CATEGORY,),
    ),
    _component("reviews_good", PRD, _("Reviews rated 4 or 5"), dimensions=(CATEGORY,)),
    _component("reviews_bad", PRD, _("Reviews rated 1 or 2"), dimensions=(CATEGORY,)),
    _component(
        "stock_on_hand", PRD, _("Stock on hand"), dimensions=(CATEGORY,), rule=RangeRule.LAST
    ),
    _component("moving_products", PRD, _("Products with a sale"), dimensions=(CATEGORY,)),
    _component("products_on_sale", PRD, _("Products on sale"), dimensions=(CATEGORY,)),
    _component("new_moving_products", PRD, _("New products with a sale"), dimensions=(CATEGORY,)),
    _component("new_products_on_sale", PRD, _("New products on sale"), dimensions=(CATEGORY,)),
    _component("paying_buyers", ORD, _("Buyers who paid"), dimensions=(CHANNEL, SEGMENT)),
    _component("ship_seconds", ORD, _("Seconds from payment to shipment"), unit=Unit.SECONDS),
    _component("orders_shipped", ORD, _("Orders shipped")),
    _component("delivery_seconds", ORD, _("Seconds from shipment to delivery"), unit=Unit.SECONDS),
    _component("orders_delivered", ORD, _("Orders delivered")),
    _component(
        "session_page_views", TRF, _("Page views of the day's visits"), dimensions=(CHANNEL,)
    ),
    _component("dwell_seconds", TRF, _("Dwell seconds of the day's visits"), dimensions=(CHANNEL,)),
    _component("bounced_sessions", TRF, _("Visits with at most one page"), dimensions=(CHANNEL,)),
    _component("converted_sessions", TRF, _("Visits with a paid order"), dimensions=(CHANNEL,)),
)

METRICS: dict[str, MetricDefinition] = {metric.key: metric for metric in _PUBLIC}
COMPONENTS: dict[str, MetricDefinition] = {metric.key: metric for metric in _COMPONENTS}
STORED: dict[str, MetricDefinition] = {**METRICS, **COMPONENTS}


def metrics_in(group: Group) -> list[MetricDefinition]:
    return [metric for metric in METRICS.values() if metric.group is group]
