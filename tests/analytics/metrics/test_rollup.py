"""The daily rollup over a hand-built world (tests/analytics/metrics/world.py): every
metric's exact value, counted by hand from the world, and a re-rollup that changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from circlemart.analytics.contracts import EventRecord
from circlemart.analytics.metrics.catalogue import METRICS, STORED
from circlemart.analytics.metrics.services import daily_metrics_rollup
from circlemart.analytics.models import DailyMetric
from circlemart.analytics.services import events_record
from circlemart.analytics.warehouse import duck
from circlemart.core.errors import ValidationFailed
from tests.analytics.metrics.world import FIRST, LAST, World, at, build_world

pytestmark = pytest.mark.django_db


def d(day: int) -> date:
    return date(2026, 3, day)


@pytest.fixture
def world() -> World:
    built = build_world()
    duck.sync()
    daily_metrics_rollup(start=FIRST, end=LAST)
    return built


def stored(metric: str, dimension: str = "", value: str = "") -> dict[date, float]:
    """The metric's rows, day → value."""
    return dict(
        DailyMetric.objects.filter(
            metric=metric, dimension=dimension, dimension_value=value
        ).values_list("day", "value")
    )


def every_day(*values: float) -> dict[date, float]:
    return {d(index + 1): value for index, value in enumerate(values)}


def test_users(world: World) -> None:
    # U1, U2 register on D1 (U2 at 23:30), U3 at 07:00 on D2 (still D1 in UTC), U4 on D3
    assert stored("registered_users") == every_day(2, 3, 4, 4, 4, 4, 4, 4)
    assert stored("new_users") == every_day(2, 1, 1, 0, 0, 0, 0, 0)
    # D1 U1 U2 (the bot's user not) · D2 U1 U3 · D3 U1 (refund) U3 U4 · D4 D5 U1 · D8 U2
    assert stored("dau") == every_day(2, 2, 3, 1, 1, 0, 0, 1)
    # by segment: new = registered that day
    assert stored("dau", "segment", "new") == {d(1): 2, d(2): 1, d(3): 1}
    assert stored("dau", "segment", "returning") == {d(2): 1, d(3): 2, d(4): 1, d(5): 1, d(8): 1}
    assert stored("wau") == every_day(2, 3, 4, 4, 4, 4, 4, 4)
    assert stored("mau") == every_day(2, 3, 4, 4, 4, 4, 4, 4)
    assert stored("stickiness") == every_day(1, 2 / 3, 3 / 4, 1 / 4, 1 / 4, 0, 0, 1 / 4)
    # D1 cohort {U1, U2}: U1 back on D2; D2 {U3} back on D3; D3 {U4} not back on D4
    assert stored("retention_d1") == {d(1): 0.5, d(2): 1.0, d(3): 0.0}
    assert stored("retention_d1_cohort") == {d(1): 2, d(2): 1, d(3): 1}
    # D1 cohort on D8: U2 signed in
    assert stored("retention_d7") == {d(1): 0.5}
    assert stored("retention_d30") == {}
    # U1 paid on D1 and D2; U2 on D8
    assert stored("repeat_purchase_rate") == every_day(0, 1, 1, 1, 1, 1, 1, 0.5)
    assert stored("orders_per_buyer_30d") == every_day(1, 2, 2, 2, 2, 2, 2, 1.5)
    # paid 10000, +5000 on D2, refunded 5000 on D3, U2 paid 8000 on D8 (2 buyers)
    assert stored("ltv") == every_day(10000, 15000, 10000, 10000, 10000, 10000, 10000, 9000)
    assert stored("csat") == {d(4): 1.0, d(8): 0.0}
    assert stored("review_rating") == {d(4): 10 / 3}
    assert stored("review_rating", "category", str(world.category_a)) == {d(4): 4.5}
    assert stored("product_views") == {d(1): 1, d(2): 1}  # the bot's view left out
    assert stored("product_views", "category", str(world.category_b)) == {d(2): 1}
    assert stored("add_to_carts") == {d(1): 1, d(2): 0}


def test_products(world: World) -> None:
    a, b = str(world.category_a), str(world.category_b)
    assert stored("gmv") == {d(1): 10000, d(2): 5000, d(8): 8000}
    assert stored("gmv", "category", a) == {d(1): 10000, d(8): 8000}
    assert stored("gmv", "category", b) == {d(2): 5000}
    assert stored("gmv", "product", str(world.p1)) == {d(1): 10000, d(8): 8000}
    assert stored("net_sales") == every_day(10000, 5000, -5000, 0, 0, 0, 0, 8000)
    assert stored("units_sold") == {d(1): 2, d(2): 1, d(8): 1}
    assert stored("units_sold", "product", str(world.p2)) == {d(2): 1}
    # stock: 4 products × 10 (the off-shelf one too); A holds P1 P3, B holds P2 P4
    assert stored("sell_through") == every_day(2 / 42, 1 / 41, 0, 0, 0, 0, 0, 1 / 41)
    assert stored("sell_through", "category", a)[d(1)] == 2 / 22
    assert stored("sell_through", "category", b)[d(2)] == 1 / 21
    # on sale: P1 P2 P3; new (created in the last 30 days): P1 P3
    assert stored("moving_rate") == every_day(1 / 3, 1 / 3, 0, 0, 0, 0, 0, 1 / 3)
    assert stored("moving_rate", "category", a)[d(1)] == 0.5
    assert stored("moving_rate", "category", b)[d(1)] == 0.0
    assert stored("new_product_moving_rate") == every_day(0.5, 0, 0, 0, 0, 0, 0, 0.5)
    assert stored("new_product_moving_rate", "category", b) == {}  # no new product in B
    # D4: P1 rated 5 and 4, P2 rated 1; D5: review 1 published again (once only)
    assert stored("reviews") == {d(4): 3, d(5): 0}
    assert stored("good_review_rate") == {d(4): 2 / 3}
    assert stored("bad_review_rate") == {d(4): 1 / 3}
    assert stored("good_review_rate", "category", a) == {d(4): 1.0}
    assert stored("bad_review_rate", "category", b) == {d(4): 1.0}
    assert stored("review_follow_ups") == {d(4): 0, d(5): 1}


def test_orders(world: World) -> None:
    assert stored("orders_placed") == {d(1): 1, d(2): 1, d(3): 1, d(8): 1}
    # O2 fully refunded, O3 never paid
    assert stored("orders_valid") == {d(1): 1, d(2): 0, d(3): 0, d(8): 1}
    assert stored("orders_invalid") == {d(1): 0, d(2): 1, d(3): 1, d(8): 0}
    assert stored("orders_refunded") == {d(3): 1}
    assert stored("amount_placed") == {d(1): 10000, d(2): 5000, d(3): 3000, d(8): 8000}
    assert stored("amount_paid") == {d(1): 10000, d(2): 5000, d(8): 8000}
    assert stored("amount_refunded") == {d(3): 5000}
    assert stored("orders_paid") == {d(1): 1, d(2): 1, d(8): 1}
    assert stored("aov") == {d(1): 10000, d(2): 5000, d(8): 8000}
    assert stored("amount_per_buyer") == {d(1): 10000, d(2): 5000, d(8): 8000}
    assert stored("ship_time") == {d(2): 86400}
    assert stored("delivery_time") == {d(4): 172800}
    assert stored("order_satisfaction") == {d(4): 5.0, d(8): 3.0}
    # channels: O1 its visit (search), O2 placed in s3 (ad), O3 no visit at all (direct),
    # O4 U2's latest visit before it (s2, social)
    assert stored("orders_placed", "channel", "search") == {d(1): 1}
    assert stored("orders_invalid", "channel", "ad") == {d(2): 1}
    assert stored("orders_placed", "channel", "direct") == {d(3): 1}
    assert stored("amount_paid", "channel", "social") == {d(8): 8000}
    assert stored("amount_refunded", "channel", "ad") == {d(3): 5000}
    # segments: O1 and O4 are their buyers' first paid orders, O2 is U1's second
    assert stored("orders_paid", "segment", "new") == {d(1): 1, d(8): 1}
    assert stored("amount_paid", "segment", "returning") == {d(2): 5000}
    assert stored("aov", "segment", "new") == {d(1): 10000, d(8): 8000}


def test_traffic(world: World) -> None:
    # D1: s1 (search, 3 pages, 45 s, paid in it), s2 (social, 1 page); the bot's s4 not
    # D2: s3 (ad, 2 pages, 10 s, U1 paid during it), s5 (direct, 1 page at 07:00 local)
    assert stored("sessions") == {d(1): 2, d(2): 2}
    assert stored("sessions", "channel", "search") == {d(1): 1}
    assert stored("page_views") == {d(1): 4, d(2): 3}
    assert stored("page_views", "channel", "direct") == {d(2): 1}
    assert stored("unique_visitors") == {d(1): 2, d(2): 2}
    assert stored("pages_per_session") == {d(1): 2.0, d(2): 1.5}
    assert stored("dwell_per_session") == {d(1): 22.5, d(2): 5.0}
    assert stored("dwell_per_session", "channel", "search") == {d(1): 45.0}
    assert stored("bounce_rate") == {d(1): 0.5, d(2): 0.5}
    assert stored("bounce_rate", "channel", "social") == {d(1): 1.0}
    assert stored("conversion_rate") == {d(1): 0.5, d(2): 0.5}
    assert stored("conversion_rate", "channel", "ad") == {d(2): 1.0}
    assert stored("conversion_rate", "channel", "direct") == {d(2): 0.0}
    assert stored("channel_spend") == {d(1): 20000, d(2): 10000, d(8): 0}
    assert stored("channel_spend", "channel", "ad") == {d(2): 10000}
    # new paying customers: U1 on D1 (search), U2 on D8 (social)
    assert stored("new_customers") == {d(1): 1, d(2): 0, d(8): 1}
    assert stored("cac") == {d(1): 20000, d(8): 0}
    assert stored("cac", "channel", "search") == {d(1): 20000}
    assert stored("cac", "channel", "ad") == {}  # spend, but nobody acquired


def test_every_stored_metric_is_in_the_catalogue_and_every_group_is_covered(
    world: World,
) -> None:
    keys = set(DailyMetric.objects.values_list("metric", flat=True))
    assert keys <= set(STORED)
    assert set(METRICS) - keys == {"retention_d30"}  # no cohort is 30 days old here
    dimensions = set(DailyMetric.objects.values_list("metric", "dimension").distinct())
    for metric, dimension in dimensions:
        assert dimension == "" or dimension in STORED[metric].dimensions


def test_rolling_up_again_gives_the_same_table(world: World) -> None:
    before = sorted(
        DailyMetric.objects.values_list("day", "metric", "dimension", "dimension_value", "value")
    )

    written = daily_metrics_rollup(start=FIRST, end=LAST)

    after = sorted(
        DailyMetric.objects.values_list("day", "metric", "dimension", "dimension_value", "value")
    )
    assert after == before
    assert written == len(before)


def test_a_partial_rollup_rewrites_only_its_days(world: World) -> None:
    DailyMetric.objects.filter(metric="gmv", day=d(8)).update(value=1)
    DailyMetric.objects.filter(metric="gmv", day=d(1)).update(value=1)

    daily_metrics_rollup(start=d(8), end=d(8))

    assert stored("gmv") == {d(1): 1, d(2): 5000, d(8): 8000}
    # retention rows of D8 land on the cohort days (D7, D1): the D1 cohort's D7 value stays
    assert stored("retention_d7") == {d(1): 0.5}
    assert stored("retention_d1") == {d(1): 0.5, d(2): 1.0, d(3): 0.0}


def test_a_backwards_range_is_refused_and_nothing_changes(world: World) -> None:
    count = DailyMetric.objects.count()

    with pytest.raises(ValidationFailed) as refused:
        daily_metrics_rollup(start=LAST, end=FIRST)

    assert (refused.value.code, refused.value.field) == ("bad_range", "start")
    assert DailyMetric.objects.count() == count


def test_events_after_the_range_do_not_leak_into_it() -> None:
    build_world()
    duck.sync()

    daily_metrics_rollup(start=d(1), end=d(1))

    assert stored("gmv") == {d(1): 10000}
    assert stored("ltv") == {d(1): 10000}
    assert set(DailyMetric.objects.values_list("day", flat=True)) <= {
        d(1),
        d(1) - timedelta(days=1),
        d(1) - timedelta(days=7),
        d(1) - timedelta(days=30),
    }


def test_weekly_and_monthly_actives_follow_the_trailing_windows() -> None:
    events_record(
        [
            EventRecord(name="user_logged_in", occurred_at=at(day, 9), user_id=7, object_id="7")
            for day in (1, 9, 10)
        ],
        historical=True,
    )
    duck.sync()

    daily_metrics_rollup(start=d(1), end=date(2026, 3, 17))

    wau = stored("wau")
    # active D1, D9, D10: D8's week (D2–D8) and D17's week (D11–D17) are empty
    assert [day.day for day, value in sorted(wau.items()) if value == 0] == [8, 17]
    assert set(wau.values()) == {0.0, 1.0}
    assert set(stored("mau").values()) == {1.0}
    assert sum(stored("dau").values()) == 3
