"""The set-based SQL of the daily rollup, per source of data (users, products, orders,
traffic), computing every day of a range at once.

A source is shared steps (named SELECTs, written like CTEs, materialised once as temporary
tables) followed by blocks. A block is a SELECT with the columns `day, dimension,
dimension_value` and one DOUBLE column per metric key; blocks are UNPIVOTed into long rows
`(day, dimension, dimension_value, metric, value)` and a NULL (a ratio with an empty
denominator) yields no row.

Parameters: $lo, $hi (DATE: the days rolled up), $tz (settings.TIME_ZONE), $idle (session
idle minutes). Views: events, sessions, products, users (warehouse.duck) and channel_spend
(registered by the rollup from the ChannelSpend table).
"""

from __future__ import annotations

import re

from circlemart.analytics.models import TrackedSession

# The traffic sources a channel dimension takes its values from.
_SOURCES = ", ".join(f"'{source}'" for source in TrackedSession.Source.values)

# Local calendar day of a TIMESTAMPTZ.
_DAY = "CAST(timezone($tz, {0}) AS DATE)"


def _clean(name: str = "clean", *, days_before: int | None = 1, names: tuple[str, ...] = ()) -> str:
    """Events of non-bot visits with their local day `d`, from `days_before` days before $lo
    to the day after $hi (None: all of history). The UTC folder `e.day` bounds the files read;
    one day of margin either side covers any time zone."""
    window = (
        ""
        if days_before is None
        else f"AND e.day BETWEEN CAST($lo AS DATE) - {days_before + 1} AND CAST($hi AS DATE) + 1"
    )
    if names:
        window += " AND e.name IN (" + ", ".join(f"'{event}'" for event in names) + ")"
    return f"""
{name} AS (
    SELECT e.event_id, e.name, e.user_id, e.anonymous_id, e.session_id, e.object_id, e.amount,
           e.properties, e.occurred_at, {_DAY.format("e.occurred_at")} AS d
    FROM events e
    LEFT JOIN sessions bot ON bot.session_id = e.session_id AND e.session_id <> ''
        AND bot.is_bot
    WHERE bot.session_id IS NULL {window}
)"""


_CALENDAR = """
calendar AS (
    SELECT CAST(generate_series AS DATE) AS day
    FROM generate_series(CAST($lo AS TIMESTAMP), CAST($hi AS TIMESTAMP), INTERVAL 1 DAY)
)"""

_PRODUCTS = f"""
product AS (
    SELECT CAST(id AS VARCHAR) AS product_id, category_id, is_on_sale, stock_on_hand,
           {_DAY.format("created_at")} AS created_day
    FROM products
)"""


def _overall_or(dimension: str, column: str) -> str:
    """`dimension, dimension_value` columns of a GROUPING SETS ((d), (d, column)) query."""
    return (
        f"CASE WHEN grouping({column}) = 0 THEN '{dimension}' ELSE '' END AS dimension, "
        f"CASE WHEN grouping({column}) = 0 THEN CAST({column} AS VARCHAR) ELSE '' END "
        "AS dimension_value"
    )


def _real_group(column: str) -> str:
    """HAVING clause dropping the (d, column) group of rows whose column is unknown."""
    return f"HAVING grouping({column}) = 1 OR {column} IS NOT NULL"


def _active_in_window(name: str, days: int) -> str:
    """Distinct users active in the `days` days ending on each calendar day. Each active day
    covers itself and the `days - 1` days after it; a user's overlapping covers are merged
    into disjoint spans (gaps and islands), so a day's count is the spans covering it —
    no DISTINCT over a days × activity join."""
    return f"""
{name}_start AS (
    SELECT user_id, d, CASE WHEN d - lag(d) OVER (PARTITION BY user_id ORDER BY d) <= {days}
        THEN 0 ELSE 1 END AS is_start
    FROM active
),
{name}_span AS (
    SELECT user_id, min(d) AS first_day, max(d) + {days - 1} AS last_day
    FROM (
        SELECT user_id, d, sum(is_start) OVER (PARTITION BY user_id ORDER BY d) AS span
        FROM {name}_start
    ) GROUP BY user_id, span
),
{name} AS (
    SELECT c.day, count(s.user_id) AS n
    FROM calendar c LEFT JOIN {name}_span s ON c.day BETWEEN s.first_day AND s.last_day
    GROUP BY c.day
)"""


USERS_CTES = f"""
{_clean(days_before=29)},
{_CALENDAR},
registration AS (
    SELECT user_id, {_DAY.format("min(t)")} AS d
    FROM (
        SELECT user_id, occurred_at AS t FROM events
        WHERE name = 'user_registered' AND user_id IS NOT NULL
        UNION ALL
        SELECT id, date_joined FROM users WHERE NOT is_staff
    ) GROUP BY user_id
),
registered_per_day AS (SELECT d, count(*) AS n FROM registration GROUP BY d),
active AS (
    SELECT DISTINCT user_id, d FROM clean
    WHERE user_id IS NOT NULL AND d BETWEEN CAST($lo AS DATE) - 29 AND CAST($hi AS DATE)
),
dau AS (
    SELECT c.day, count(a.user_id) AS n FROM calendar c LEFT JOIN active a ON a.d = c.day
    GROUP BY c.day
),
{_active_in_window("wau", 7)},
{_active_in_window("mau", 30)}"""

USERS_BLOCKS = [
    # DAU by segment: new (registered that day) or returning
    """
    SELECT a.d AS day, 'segment' AS dimension,
        CASE WHEN r.d = a.d THEN 'new' ELSE 'returning' END AS dimension_value,
        CAST(count(*) AS DOUBLE) AS dau
    FROM active a LEFT JOIN registration r USING (user_id)
    WHERE a.d BETWEEN CAST($lo AS DATE) AND CAST($hi AS DATE)
    GROUP BY ALL
    """,
    # registered (cumulative) and new users
    """
    SELECT c.day, '' AS dimension, '' AS dimension_value,
        CAST(coalesce(sum(r.n), 0) AS DOUBLE) AS registered_users,
        CAST(coalesce(sum(r.n) FILTER (WHERE r.d = c.day), 0) AS DOUBLE) AS new_users
    FROM calendar c LEFT JOIN registered_per_day r ON r.d <= c.day
    GROUP BY c.day
    """,
    # DAU, WAU, MAU, stickiness
    """
    SELECT dau.day, '' AS dimension, '' AS dimension_value,
        CAST(dau.n AS DOUBLE) AS dau,
        CAST(wau.n AS DOUBLE) AS wau,
        CAST(mau.n AS DOUBLE) AS mau,
        dau.n / NULLIF(mau.n, 0) AS stickiness
    FROM dau JOIN mau USING (day) JOIN wau USING (day)
    """,
    *(
        f"""
        SELECT r.d AS day, '' AS dimension, '' AS dimension_value,
            CAST(count(*) AS DOUBLE) AS retention_d{n}_cohort,
            CAST(count(a.user_id) AS DOUBLE) AS retained_d{n}_users,
            count(a.user_id) / count(*) AS retention_d{n}
        FROM registration r
        LEFT JOIN active a ON a.user_id = r.user_id AND a.d = r.d + {n}
        WHERE r.d BETWEEN CAST($lo AS DATE) - {n} AND CAST($hi AS DATE) - {n}
        GROUP BY r.d
        """
        for n in (1, 7, 30)
    ),
]

PRODUCTS_CTES = f"""
{_clean()},
{_clean("reviews_ever", days_before=None, names=("review_published", "review_followed_up"))},
{_CALENDAR},
{_PRODUCTS},
sold AS (
    SELECT s.d, s.object_id AS product_id, coalesce(s.amount, 0) AS amount,
        coalesce(TRY_CAST(s.properties->>'units' AS BIGINT), 0) AS units,
        coalesce(TRY_CAST(s.properties->>'category' AS BIGINT), p.category_id) AS category,
        coalesce(p.is_on_sale, false) AS is_on_sale,
        p.created_day
    FROM clean s LEFT JOIN product p ON p.product_id = s.object_id
    WHERE s.name = 'product_sold' AND s.d BETWEEN CAST($lo AS DATE) AND CAST($hi AS DATE)
),
reviewed AS (
    -- a review shown again after an unhide publishes again: count each review once
    SELECT * FROM (
        SELECT r.d, r.name, TRY_CAST(r.properties->>'rating' AS BIGINT) AS rating,
            p.category_id AS category
        FROM reviews_ever r LEFT JOIN product p ON p.product_id = r.object_id
        WHERE r.name IN ('review_published', 'review_followed_up')
        QUALIFY row_number() OVER (
            PARTITION BY r.name, coalesce(r.properties->>'review', r.event_id)
            ORDER BY r.occurred_at
        ) = 1
    ) WHERE d BETWEEN CAST($lo AS DATE) AND CAST($hi AS DATE)
),
on_sale AS (
    -- every (day, product) that existed that day; on sale as the snapshot says
    SELECT c.day, p.product_id, p.category_id AS category, p.is_on_sale, p.stock_on_hand,
        p.created_day > c.day - 30 AS is_new
    FROM calendar c JOIN product p ON p.created_day <= c.day
),
sale_days AS (SELECT DISTINCT d AS day, product_id FROM sold WHERE units > 0)"""

PRODUCTS_BLOCKS = [
    # GMV and units, overall / by category / by product
    """
    SELECT d AS day,
        CASE WHEN grouping(category) = 0 THEN 'category'
             WHEN grouping(product_id) = 0 THEN 'product' ELSE '' END AS dimension,
        CASE WHEN grouping(category) = 0 THEN CAST(category AS VARCHAR)
             WHEN grouping(product_id) = 0 THEN product_id ELSE '' END AS dimension_value,
        CAST(sum(amount) AS DOUBLE) AS gmv,
        CAST(sum(units) AS DOUBLE) AS units_sold
    FROM sold
    GROUP BY GROUPING SETS ((d), (d, category), (d, product_id))
    HAVING grouping(category) = 1 OR category IS NOT NULL
    """,
    # net sales: GMV minus the day's refunds
    """
    SELECT c.day, '' AS dimension, '' AS dimension_value,
        CAST(coalesce(g.gmv, 0) - coalesce(r.refunded, 0) AS DOUBLE) AS net_sales
    FROM calendar c
    LEFT JOIN (SELECT d, sum(amount) AS gmv FROM sold GROUP BY d) g ON g.d = c.day
    LEFT JOIN (
        SELECT d, sum(coalesce(amount, 0)) AS refunded FROM clean
        WHERE name = 'order_refunded' AND d BETWEEN CAST($lo AS DATE) AND CAST($hi AS DATE)
        GROUP BY d
    ) r ON r.d = c.day
    """,
    # stock, products on sale, moving products (new and all), sell-through
    f"""
    SELECT o.*,
        coalesce(u.units, 0) / NULLIF(coalesce(u.units, 0) + o.stock_on_hand, 0)
            AS sell_through
    FROM (
        SELECT o.day, {_overall_or("category", "o.category")},
            CAST(sum(o.stock_on_hand) AS DOUBLE) AS stock_on_hand,
            CAST(count(*) FILTER (WHERE o.is_on_sale) AS DOUBLE) AS products_on_sale,
            CAST(count(s.product_id) FILTER (WHERE o.is_on_sale) AS DOUBLE)
                AS moving_products,
            CAST(count(*) FILTER (WHERE o.is_on_sale AND o.is_new) AS DOUBLE)
                AS new_products_on_sale,
            CAST(count(s.product_id) FILTER (WHERE o.is_on_sale AND o.is_new) AS DOUBLE)
                AS new_moving_products,
            count(s.product_id) FILTER (WHERE o.is_on_sale)
                / NULLIF(count(*) FILTER (WHERE o.is_on_sale), 0) AS moving_rate,
            count(s.product_id) FILTER (WHERE o.is_on_sale AND o.is_new)
                / NULLIF(count(*) FILTER (WHERE o.is_on_sale AND o.is_new), 0)
                AS new_product_moving_rate
        FROM on_sale o
        LEFT JOIN sale_days s ON s.day = o.day AND s.product_id = o.product_id
        GROUP BY GROUPING SETS ((o.day), (o.day, o.category))
        {_real_group("o.category")}
    ) o
    LEFT JOIN (
        SELECT d AS day, {_overall_or("category", "category")}, sum(units) AS units
        FROM sold GROUP BY GROUPING SETS ((d), (d, category))
    ) u USING (day, dimension, dimension_value)
    """,
    # reviews and follow-ups
    f"""
    SELECT d AS day, {_overall_or("category", "category")},
        CAST(count(*) FILTER (WHERE name = 'review_published') AS DOUBLE) AS reviews,
        CAST(count(*) FILTER (WHERE name = 'review_followed_up') AS DOUBLE) AS review_follow_ups,
        CAST(count(*) FILTER (WHERE name = 'review_published' AND rating >= 4) AS DOUBLE)
            AS reviews_good,
        CAST(count(*) FILTER (WHERE name = 'review_published' AND rating <= 2) AS DOUBLE)
            AS reviews_bad,
        CAST(sum(rating) FILTER (WHERE name = 'review_published') AS DOUBLE)
            AS review_rating_sum,
        count(*) FILTER (WHERE name = 'review_published' AND rating >= 4)
            / NULLIF(count(*) FILTER (WHERE name = 'review_published'), 0) AS good_review_rate,
        count(*) FILTER (WHERE name = 'review_published' AND rating <= 2)
            / NULLIF(count(*) FILTER (WHERE name = 'review_published'), 0) AS bad_review_rate,
        sum(rating) FILTER (WHERE name = 'review_published')
            / NULLIF(count(*) FILTER (WHERE name = 'review_published'), 0) AS review_rating
    FROM reviewed
    GROUP BY GROUPING SETS ((d), (d, category))
    {_real_group("category")}
    """,
    # product views and add-to-cart
    f"""
    SELECT d AS day, {_overall_or("category", "category")},
        CAST(count(*) FILTER (WHERE name = 'product_view') AS DOUBLE) AS product_views,
        CAST(count(*) FILTER (WHERE name = 'add_to_cart') AS DOUBLE) AS add_to_carts
    FROM (
        SELECT v.d, v.name, p.category_id AS category
        FROM clean v LEFT JOIN product p ON p.product_id = v.object_id
        WHERE v.name IN ('product_view', 'add_to_cart')
            AND v.d BETWEEN CAST($lo AS DATE) AND CAST($hi AS DATE)
    )
    GROUP BY GROUPING SETS ((d), (d, category))
    {_real_group("category")}
    """,
]

ORDERS_CTES = f"""
{_clean(days_before=None)},
{_CALENDAR},
-- one row per order and kind of event: the first such event counts
firsts AS (
    SELECT object_id AS order_id, name, min(occurred_at) AS t,
        arg_min(user_id, occurred_at) AS user_id,
        arg_min(session_id, occurred_at) AS session_id,
        arg_min(properties->>'channel', occurred_at) AS channel,
        arg_min(amount, occurred_at) AS amount
    FROM clean
    WHERE name IN ('order_placed', 'order_paid', 'order_shipped', 'order_delivered',
                   'order_cancelled')
    GROUP BY object_id, name
),
placed AS (SELECT *, {_DAY.format("t")} AS d FROM firsts WHERE name = 'order_placed'),
paid AS (SELECT *, {_DAY.format("t")} AS d FROM firsts WHERE name = 'order_paid'),
refunds AS (
    SELECT object_id AS order_id, d, coalesce(amount, 0) AS amount,
        coalesce(TRY_CAST(properties->>'fully' AS BOOLEAN), false) AS fully
    FROM clean WHERE name = 'order_refunded'
),
fully_refunded AS (
    SELECT r.order_id FROM refunds r LEFT JOIN paid p USING (order_id)
    GROUP BY r.order_id
    HAVING bool_or(r.fully) OR sum(r.amount) >= coalesce(max(p.amount), 0)
),
-- where an order came from: the channel checkout recorded when it is a traffic source, else
-- the source of the visit it was placed in, else of the buyer's latest visit before it,
-- else direct
order_start AS (
    SELECT order_id, arg_min(user_id, t) AS user_id, min(t) AS t,
        arg_min(session_id, t) AS session_id, arg_min(channel, t) AS channel
    FROM firsts WHERE name IN ('order_placed', 'order_paid') GROUP BY order_id
),
order_channel AS (
    SELECT o.order_id,
        coalesce(CASE WHEN o.channel IN ({_SOURCES}) THEN o.channel END,
                 own.source, latest.source, 'direct') AS channel
    FROM order_start o
    LEFT JOIN sessions own ON own.session_id = o.session_id AND o.session_id <> ''
        AND NOT own.is_bot
    ASOF LEFT JOIN (
        SELECT user_id, started_at, source FROM sessions
        WHERE NOT is_bot AND user_id IS NOT NULL
    ) latest ON latest.user_id = o.user_id AND o.t >= latest.started_at
),
buyer_first AS (SELECT user_id, arg_min(order_id, t) AS order_id, min(d) AS d FROM paid
    WHERE user_id IS NOT NULL GROUP BY user_id),
paid_per_day AS (SELECT d, sum(coalesce(amount, 0)) AS amount FROM paid GROUP BY d),
refunded_per_day AS (SELECT d, sum(amount) AS amount FROM refunds GROUP BY d),
buyers_per_day AS (SELECT d, count(*) AS n FROM buyer_first GROUP BY d),
spend AS (
    SELECT day, channel, sum(amount) AS amount FROM channel_spend
    WHERE day BETWEEN CAST($lo AS DATE) AND CAST($hi AS DATE) GROUP BY day, channel
),
new_customers AS (
    SELECT b.d AS day, c.channel FROM buyer_first b JOIN order_channel c USING (order_id)
    WHERE b.d BETWEEN CAST($lo AS DATE) AND CAST($hi AS DATE)
)"""

ORDERS_BLOCKS = [
    # placed orders: count, amount, valid / invalid
    f"""
    SELECT p.d AS day, {_overall_or("channel", "c.channel")},
        CAST(count(*) AS DOUBLE) AS orders_placed,
        CAST(coalesce(sum(p.amount), 0) AS DOUBLE) AS amount_placed,
        CAST(count(*) FILTER (WHERE valid) AS DOUBLE) AS orders_valid,
        CAST(count(*) FILTER (WHERE NOT valid) AS DOUBLE) AS orders_invalid
    FROM (
        SELECT p.*, (
            p.order_id IN (SELECT order_id FROM paid)
            AND p.order_id NOT IN (SELECT order_id FROM firsts WHERE name = 'order_cancelled')
            AND p.order_id NOT IN (SELECT order_id FROM fully_refunded)
        ) AS valid
        FROM placed p
    ) p
    JOIN order_channel c USING (order_id)
    WHERE p.d BETWEEN CAST($lo AS DATE) AND CAST($hi AS DATE)
    GROUP BY GROUPING SETS ((p.d), (p.d, c.channel))
    """,
    # payments: count, amount, buyers, AOV, amount per buyer; by channel and by segment
    # (new: the buyer's first paid order, returning: any later one)
    """
    SELECT p.d AS day,
        CASE WHEN grouping(c.channel) = 0 THEN 'channel'
             WHEN grouping(segment) = 0 THEN 'segment' ELSE '' END AS dimension,
        CASE WHEN grouping(c.channel) = 0 THEN c.channel
             WHEN grouping(segment) = 0 THEN segment ELSE '' END AS dimension_value,
        CAST(count(*) AS DOUBLE) AS orders_paid,
        CAST(coalesce(sum(p.amount), 0) AS DOUBLE) AS amount_paid,
        CAST(count(DISTINCT p.user_id) AS DOUBLE) AS paying_buyers,
        coalesce(sum(p.amount), 0) / count(*) AS aov,
        coalesce(sum(p.amount), 0) / NULLIF(count(DISTINCT p.user_id), 0) AS amount_per_buyer
    FROM (
        SELECT p.*, CASE WHEN b.order_id = p.order_id THEN 'new' ELSE 'returning' END
            AS segment
        FROM paid p LEFT JOIN buyer_first b USING (user_id)
    ) p
    JOIN order_channel c USING (order_id)
    WHERE p.d BETWEEN CAST($lo AS DATE) AND CAST($hi AS DATE)
    GROUP BY GROUPING SETS ((p.d), (p.d, c.channel), (p.d, segment))
    """,
    # refunds
    f"""
    SELECT r.d AS day, {_overall_or("channel", "channel")},
        CAST(count(DISTINCT r.order_id) AS DOUBLE) AS orders_refunded,
        CAST(sum(r.amount) AS DOUBLE) AS amount_refunded
    FROM (
        SELECT r.*, coalesce(c.channel, 'direct') AS channel
        FROM refunds r LEFT JOIN order_channel c USING (order_id)
    ) r
    WHERE r.d BETWEEN CAST($lo AS DATE) AND CAST($hi AS DATE)
    GROUP BY GROUPING SETS ((r.d), (r.d, channel))
    """,
    # fulfilment: paid → shipped, shipped → delivered
    f"""
    SELECT {_DAY.format("s.t")} AS day, '' AS dimension, '' AS dimension_value,
        CAST(count(*) AS DOUBLE) AS orders_shipped,
        CAST(sum(epoch(s.t) - epoch(p.t)) AS DOUBLE) AS ship_seconds,
        sum(epoch(s.t) - epoch(p.t)) / count(*) AS ship_time
    FROM firsts s JOIN paid p USING (order_id)
    WHERE s.name = 'order_shipped'
        AND {_DAY.format("s.t")} BETWEEN CAST($lo AS DATE) AND CAST($hi AS DATE)
    GROUP BY 1
    """,
    f"""
    SELECT {_DAY.format("v.t")} AS day, '' AS dimension, '' AS dimension_value,
        CAST(count(*) AS DOUBLE) AS orders_delivered,
        CAST(sum(epoch(v.t) - epoch(s.t)) AS DOUBLE) AS delivery_seconds,
        sum(epoch(v.t) - epoch(s.t)) / count(*) AS delivery_time
    FROM firsts v JOIN firsts s ON s.order_id = v.order_id AND s.name = 'order_shipped'
    WHERE v.name = 'order_delivered'
        AND {_DAY.format("v.t")} BETWEEN CAST($lo AS DATE) AND CAST($hi AS DATE)
    GROUP BY 1
    """,
    # satisfaction surveys
    """
    SELECT d AS day, '' AS dimension, '' AS dimension_value,
        CAST(count(*) AS DOUBLE) AS csat_responses,
        CAST(count(*) FILTER (WHERE score >= 4) AS DOUBLE) AS csat_positive,
        CAST(sum(score) AS DOUBLE) AS csat_score_sum,
        count(*) FILTER (WHERE score >= 4) / count(*) AS csat,
        sum(score) / count(*) AS order_satisfaction
    FROM (
        SELECT d, TRY_CAST(properties->>'score' AS BIGINT) AS score FROM clean
        WHERE name = 'csat_submitted' AND d BETWEEN CAST($lo AS DATE) AND CAST($hi AS DATE)
    ) WHERE score IS NOT NULL
    GROUP BY d
    """,
    # loyalty: repeat buyers among the buyers of the trailing 30 days, and their orders
    """
    SELECT day, '' AS dimension, '' AS dimension_value,
        CAST(count(*) AS DOUBLE) AS buyers_30d,
        CAST(count(*) FILTER (WHERE orders >= 2) AS DOUBLE) AS repeat_buyers_30d,
        count(*) FILTER (WHERE orders >= 2) / count(*) AS repeat_purchase_rate,
        CAST(sum(orders) AS DOUBLE) AS orders_paid_30d,
        sum(orders) / count(*) AS orders_per_buyer_30d
    FROM (
        SELECT c.day, p.user_id, count(*) AS orders
        FROM calendar c JOIN paid p ON p.d BETWEEN c.day - 29 AND c.day
        WHERE p.user_id IS NOT NULL
        GROUP BY c.day, p.user_id
    ) GROUP BY day
    """,
    # LTV: lifetime paid minus refunded, per buyer so far
    """
    SELECT c.day, '' AS dimension, '' AS dimension_value,
        (coalesce((SELECT sum(amount) FROM paid_per_day WHERE d <= c.day), 0)
         - coalesce((SELECT sum(amount) FROM refunded_per_day WHERE d <= c.day), 0))
        / NULLIF((SELECT sum(n) FROM buyers_per_day WHERE d <= c.day), 0) AS ltv
    FROM calendar c
    """,
    # spend, new customers and CAC, overall and by channel
    f"""
    SELECT day, {_overall_or("channel", "channel")},
        CAST(sum(spent) AS DOUBLE) AS channel_spend,
        CAST(sum(customers) AS DOUBLE) AS new_customers,
        sum(spent) / NULLIF(sum(customers), 0) AS cac
    FROM (
        SELECT day, channel, amount AS spent, 0 AS customers FROM spend
        UNION ALL
        SELECT day, channel, 0, 1 FROM new_customers
    )
    GROUP BY GROUPING SETS ((day), (day, channel))
    """,
]

TRAFFIC_CTES = f"""
{_clean()},
visit AS (
    SELECT session_id, anonymous_id, user_id, started_at, last_seen_at, source AS channel,
        {_DAY.format("started_at")} AS d
    FROM sessions
    WHERE NOT is_bot
        AND {_DAY.format("started_at")} BETWEEN CAST($lo AS DATE) AND CAST($hi AS DATE)
),
visit_events AS (
    SELECT e.session_id,
        count(*) FILTER (WHERE e.name = 'page_view') AS page_views,
        coalesce(sum(TRY_CAST(e.properties->>'ms' AS DOUBLE)) FILTER (WHERE e.name = 'dwell'),
                 0) / 1000 AS dwell_seconds
    FROM clean e JOIN visit v USING (session_id)
    GROUP BY e.session_id
),
paid_events AS (SELECT session_id, user_id, occurred_at FROM clean WHERE name = 'order_paid'),
converted AS (
    SELECT v.session_id FROM visit v JOIN paid_events p ON p.session_id = v.session_id
    UNION
    SELECT v.session_id FROM visit v JOIN paid_events p ON p.user_id = v.user_id
        AND p.occurred_at BETWEEN v.started_at
            AND v.last_seen_at + to_minutes(CAST($idle AS BIGINT))
)"""

TRAFFIC_BLOCKS = [
    f"""
    SELECT v.d AS day, {_overall_or("channel", "v.channel")},
        CAST(count(*) AS DOUBLE) AS sessions,
        CAST(count(DISTINCT v.anonymous_id) AS DOUBLE) AS unique_visitors,
        CAST(coalesce(sum(e.page_views), 0) AS DOUBLE) AS session_page_views,
        CAST(coalesce(sum(e.dwell_seconds), 0) AS DOUBLE) AS dwell_seconds,
        CAST(count(*) FILTER (WHERE coalesce(e.page_views, 0) <= 1) AS DOUBLE)
            AS bounced_sessions,
        CAST(count(c.session_id) AS DOUBLE) AS converted_sessions,
        coalesce(sum(e.page_views), 0) / count(*) AS pages_per_session,
        coalesce(sum(e.dwell_seconds), 0) / count(*) AS dwell_per_session,
        count(*) FILTER (WHERE coalesce(e.page_views, 0) <= 1) / count(*) AS bounce_rate,
        count(c.session_id) / count(*) AS conversion_rate
    FROM visit v
    LEFT JOIN visit_events e USING (session_id)
    LEFT JOIN converted c USING (session_id)
    GROUP BY GROUPING SETS ((v.d), (v.d, v.channel))
    """,
    f"""
    SELECT e.d AS day, {_overall_or("channel", "s.source")},
        CAST(count(*) AS DOUBLE) AS page_views
    FROM clean e LEFT JOIN sessions s ON s.session_id = e.session_id AND e.session_id <> ''
    WHERE e.name = 'page_view' AND e.d BETWEEN CAST($lo AS DATE) AND CAST($hi AS DATE)
    GROUP BY GROUPING SETS ((e.d), (e.d, s.source))
    {_real_group("s.source")}
    """,
]

STATEMENTS: dict[str, tuple[str, list[str]]] = {
    "users": (USERS_CTES, USERS_BLOCKS),
    "products": (PRODUCTS_CTES, PRODUCTS_BLOCKS),
    "orders": (ORDERS_CTES, ORDERS_BLOCKS),
    "traffic": (TRAFFIC_CTES, TRAFFIC_BLOCKS),
}


_CTE_HEAD = re.compile(r"^(\w+) AS \(", re.MULTILINE)


def steps(name: str) -> list[tuple[str, str]]:
    """The shared CTEs of a source as (table, SELECT) in order. The rollup materialises each
    once as a temporary table, so the blocks after it do not recompute it (DuckDB would
    inline a CTE into every block that reads it)."""
    text = STATEMENTS[name][0]
    heads = list(_CTE_HEAD.finditer(text))
    found: list[tuple[str, str]] = []
    for index, head in enumerate(heads):
        stop = heads[index + 1].start() if index + 1 < len(heads) else len(text)
        lines = text[head.end() : stop].splitlines()
        body = "\n".join(line for line in lines if not line.startswith("--"))
        body = body.rstrip().removesuffix(",").rstrip()
        if not body.endswith(")"):
            raise ValueError(f"CTE {head.group(1)} of {name} is not closed")
        found.append((head.group(1), body[:-1]))
    return found


def blocks(name: str) -> list[str]:
    """The blocks of a source, each unpivoted to long rows."""
    return [
        "SELECT day, dimension, dimension_value, metric, value FROM (UNPIVOT ("
        + block
        + ") ON COLUMNS(* EXCLUDE (day, dimension, dimension_value)) "
        "INTO NAME metric VALUE value)"
        for block in STATEMENTS[name][1]
    ]
