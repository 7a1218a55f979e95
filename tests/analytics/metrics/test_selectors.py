"""Reading the daily table: series, range totals (ratios recomputed from their parts, never
averaged), the previous-period comparison, the sales rank, and refused questions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from circlemart.analytics.metrics import selectors
from circlemart.analytics.metrics.services import daily_metrics_rollup
from circlemart.analytics.warehouse import duck
from circlemart.core.errors import ValidationFailed
from tests.analytics.metrics.world import FIRST, LAST, World, build_world

pytestmark = pytest.mark.django_db


def d(day: int) -> date:
    return date(2026, 3, day)


@pytest.fixture
def world() -> World:
    built = build_world()
    duck.sync()
    daily_metrics_rollup(start=FIRST, end=LAST)
    return built


def total(metric: str, start: date = FIRST, end: date = LAST, **dimension: str) -> float:
    return selectors.metric_total(metric=metric, start=start, end=end, **dimension)


def test_a_count_series_has_every_day_and_a_ratio_only_its_days(world: World) -> None:
    assert selectors.metric_series(metric="gmv", start=d(1), end=d(4)) == [
        (d(1), 10000.0),
        (d(2), 5000.0),
        (d(3), 0.0),
        (d(4), 0.0),
    ]
    assert selectors.metric_series(metric="aov", start=d(1), end=d(4)) == [
        (d(1), 10000.0),
        (d(2), 5000.0),
    ]
    assert selectors.metric_series(
        metric="sessions", start=d(1), end=d(2), dimension="channel", dimension_value="ad"
    ) == [(d(1), 0.0), (d(2), 1.0)]


def test_ratios_over_a_range_are_recomputed_from_their_parts(world: World) -> None:
    # D1 cohort 1 of 2 back, D2 cohort 1 of 1: 2/3, not the mean of 0.5 and 1.0
    assert total("retention_d1", d(1), d(2)) == pytest.approx(2 / 3)
    # one survey scored 5 and one 3: half satisfied, average 4
    assert total("csat") == 0.5
    assert total("order_satisfaction") == 4.0
    # reviews 5, 1, 4 (review 1 shown again is not counted twice)
    assert total("review_rating") == pytest.approx(10 / 3)
    assert total("aov") == pytest.approx(23000 / 3)
    # 30000 spent, 2 new customers
    assert total("cac") == 15000.0
    assert total("cac", dimension="channel", dimension_value="search") == 20000.0
    # units sold in the range over those units plus the stock of the last day
    assert total("sell_through") == pytest.approx(4 / 44)
    # product-days with a sale (3) over product-days on sale (3 × 8)
    assert total("moving_rate") == pytest.approx(3 / 24)
    assert total("conversion_rate", dimension="channel", dimension_value="search") == 1.0
    # sum of DAU / sum of MAU
    assert total("stickiness") == pytest.approx(10 / 29)


def test_sums_means_and_levels_over_a_range(world: World) -> None:
    assert total("gmv") == 23000.0
    assert total("net_sales") == 18000.0
    assert total("gmv", dimension="category", dimension_value=str(world.category_a)) == 18000.0
    assert total("dau") == 10 / 8  # the average day
    assert total("unique_visitors", d(1), d(2)) == 2.0
    assert total("registered_users", d(1), d(2)) == 3.0  # the last day's level
    assert total("ltv") == 9000.0


def test_a_metric_without_a_value_totals_zero_but_has_no_value(world: World) -> None:
    assert total("retention_d30") == 0.0
    assert selectors.metric_value(metric="retention_d30", start=FIRST, end=LAST) is None
    assert selectors.metric_value(metric="csat", start=d(5), end=d(7)) is None


def test_compare_with_the_previous_period_of_the_same_length(world: World) -> None:
    comparison = selectors.metric_compare(metric="gmv", start=d(5), end=d(8))

    assert (comparison.previous_start, comparison.previous_end) == (d(1), d(4))
    assert (comparison.value, comparison.previous_value) == (8000.0, 15000.0)
    assert comparison.change == -7000.0
    assert comparison.change_percent == pytest.approx(-7000 / 15000 * 100)


def test_compare_against_an_empty_period_has_no_percentage(world: World) -> None:
    comparison = selectors.metric_compare(metric="gmv", start=d(1), end=d(8))

    assert (comparison.value, comparison.previous_value) == (23000.0, 0.0)
    assert comparison.change == 23000.0
    assert comparison.change_percent is None


def test_top_products_by_gmv_and_by_units(world: World) -> None:
    by_gmv = selectors.top_products(start=FIRST, end=LAST, by="gmv", limit=5)
    assert [(row.rank, row.product_id, row.gmv, row.units) for row in by_gmv] == [
        (1, world.p1, 18000, 3),
        (2, world.p2, 5000, 1),
    ]
    only_d2 = selectors.top_products(start=d(2), end=d(2), by="units", limit=1)
    assert [(row.product_id, row.units) for row in only_d2] == [(world.p2, 1)]


def test_breakdown_by_channel(world: World) -> None:
    assert selectors.metric_breakdown(
        metric="sessions", start=FIRST, end=LAST, dimension="channel"
    ) == [("ad", 1.0), ("direct", 1.0), ("search", 1.0), ("social", 1.0)]
    assert selectors.metric_breakdown(
        metric="channel_spend", start=FIRST, end=LAST, dimension="channel"
    ) == [("search", 20000.0), ("ad", 10000.0), ("social", 0.0)]


@pytest.mark.parametrize(
    ("arguments", "code", "field"),
    [
        ({"metric": "happiness"}, "unknown_metric", "metric"),
        ({"metric": "gmv", "dimension": "channel"}, "unknown_dimension", "dimension"),
        ({"metric": "dau", "dimension": "weather"}, "unknown_dimension", "dimension"),
        (
            {"metric": "gmv", "dimension_value": "12"},
            "dimension_value_without_dimension",
            "dimension_value",
        ),
        ({"metric": "gmv", "start": d(8), "end": d(1)}, "bad_range", "start"),
        ({"metric": "gmv", "start": date(2020, 1, 1), "end": d(1)}, "range_too_long", "end"),
    ],
)
def test_bad_questions_are_refused_naming_the_field(
    arguments: dict[str, object], code: str, field: str
) -> None:
    query: dict[str, Any] = {"start": FIRST, "end": LAST, **arguments}
    for read in (selectors.metric_series, selectors.metric_total, selectors.metric_compare):
        with pytest.raises(ValidationFailed) as refused:
            read(**query)
        assert (refused.value.code, refused.value.field) == (code, field)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [({"by": "likes"}, "by"), ({"limit": 0}, "limit"), ({"start": d(8), "end": d(1)}, "start")],
)
def test_bad_rank_questions_are_refused(arguments: dict[str, object], field: str) -> None:
    query: dict[str, Any] = {"start": FIRST, "end": LAST, **arguments}
    with pytest.raises(ValidationFailed) as refused:
        selectors.top_products(**query)
    assert refused.value.field == field
