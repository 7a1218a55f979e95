"""Trends of an event against the previous period and the previous year."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import duckdb

from circlemart.analytics.analyses.contracts import CompareTo, Grain, TrendMeasure, TrendPoint
from circlemart.analytics.analyses.periods import periods_between
from circlemart.analytics.analyses.trend import event_trend
from circlemart.analytics.contracts import EventRecord
from tests.analytics.analyses.conftest import at, event

Store = Callable[[list[EventRecord]], duckdb.DuckDBPyConnection]


def payments() -> list[EventRecord]:
    paid = [
        (1, "2026-02-27", 1000),  # previous period of Mar 2–4: Feb 27 – Mar 1
        (1, "2026-02-28", 2000),
        (2, "2026-03-02", 500),
        (2, "2026-03-02", 700),
        (3, "2026-03-04", 300),
        (4, "2025-03-03", 9900),  # a year earlier
        (4, "2026-03-05", 100),  # after the range
    ]
    records = [
        event("order_paid", at(f"{day} 12:00"), user=user, amount=amount)
        for user, day, amount in paid
    ]
    records.append(event("order_placed", at("2026-03-03 12:00"), user=5))  # another event
    return records


def test_daily_counts_against_the_previous_period(stored: Store) -> None:
    periods = periods_between(date(2026, 3, 2), date(2026, 3, 4), Grain.DAY)

    result = event_trend(
        stored(payments()),
        event="order_paid",
        measure=TrendMeasure.EVENTS,
        grain=Grain.DAY,
        compare_to=CompareTo.PREVIOUS_PERIOD,
        periods=periods,
    )

    assert result.points == [
        TrendPoint(date(2026, 3, 2), 2.0, date(2026, 2, 27), 1.0),
        TrendPoint(date(2026, 3, 3), 0.0, date(2026, 2, 28), 1.0),
        TrendPoint(date(2026, 3, 4), 1.0, date(2026, 3, 1), 0.0),
    ]
    assert (result.total, result.previous_total, result.change) == (3.0, 2.0, 0.5)


def test_people_are_distinct_over_the_whole_range(stored: Store) -> None:
    result = event_trend(
        stored(payments()),
        event="order_paid",
        measure=TrendMeasure.PEOPLE,
        grain=Grain.DAY,
        compare_to=CompareTo.PREVIOUS_PERIOD,
        periods=periods_between(date(2026, 3, 2), date(2026, 3, 4), Grain.DAY),
    )

    assert [point.value for point in result.points] == [1.0, 0.0, 1.0]
    # user 1 paid twice in the previous period: one person, not two
    assert (result.total, result.previous_total, result.change) == (2.0, 1.0, 1.0)


def test_weekly_amount_against_the_previous_year(stored: Store) -> None:
    result = event_trend(
        stored(payments()),
        event="order_paid",
        measure=TrendMeasure.AMOUNT,
        grain=Grain.WEEK,
        compare_to=CompareTo.PREVIOUS_YEAR,
        periods=periods_between(date(2026, 3, 2), date(2026, 3, 8), Grain.WEEK),
    )

    assert result.points == [TrendPoint(date(2026, 3, 2), 1600.0, date(2025, 3, 2), 9900.0)]
    assert result.change == (1600 - 9900) / 9900


def test_no_previous_value_gives_no_change(stored: Store) -> None:
    result = event_trend(
        stored(payments()),
        event="order_placed",
        measure=TrendMeasure.EVENTS,
        grain=Grain.MONTH,
        compare_to=CompareTo.PREVIOUS_PERIOD,
        periods=periods_between(date(2026, 3, 1), date(2026, 3, 31), Grain.MONTH),
    )

    assert result.points == [TrendPoint(date(2026, 3, 1), 1.0, date(2026, 2, 1), 0.0)]
    assert result.change is None


def test_a_daily_table_metric_is_totalled_by_its_own_rule(db: None) -> None:
    from circlemart.analytics.analyses import selectors
    from circlemart.analytics.models import DailyMetric
    from circlemart.core import clock

    values = {  # orders_placed sums; dau averages over the days of a bucket
        ("orders_placed", date(2026, 3, 2)): 4,
        ("orders_placed", date(2026, 3, 3)): 6,
        ("orders_placed", date(2026, 2, 28)): 5,
        ("dau", date(2026, 3, 2)): 10,
        ("dau", date(2026, 3, 3)): 20,
    }
    DailyMetric.objects.bulk_create(
        DailyMetric(day=day, metric=metric, value=value, computed_at=clock.now())
        for (metric, day), value in values.items()
    )

    orders = selectors.trend(
        metric="orders_placed", start=date(2026, 3, 2), end=date(2026, 3, 3), grain="day"
    )
    dau = selectors.trend(metric="dau", start=date(2026, 3, 2), end=date(2026, 3, 3), grain="week")

    assert [(p.period, p.value, p.previous_period, p.previous_value) for p in orders.points] == [
        (date(2026, 3, 2), 4.0, date(2026, 2, 28), 5.0),
        (date(2026, 3, 3), 6.0, date(2026, 3, 1), 0.0),
    ]
    assert (orders.total, orders.previous_total, orders.change) == (10.0, 5.0, 1.0)
    assert [p.value for p in dau.points] == [15.0]


def test_days_are_the_shops_calendar_days(stored: Store, settings: object) -> None:
    # 17:00 UTC on 2 March is 01:00 on 3 March in Asia/Shanghai (settings.TIME_ZONE)
    connection = stored(
        [
            event("order_paid", at("2026-03-02 15:59"), user=1),
            event("order_paid", at("2026-03-02 17:00"), user=1),
        ]
    )

    result = event_trend(
        connection,
        event="order_paid",
        measure=TrendMeasure.EVENTS,
        grain=Grain.DAY,
        compare_to=CompareTo.PREVIOUS_PERIOD,
        periods=periods_between(date(2026, 3, 2), date(2026, 3, 3), Grain.DAY),
    )

    assert getattr(settings, "TIME_ZONE") == "Asia/Shanghai"  # noqa: B009
    assert [point.value for point in result.points] == [1.0, 1.0]
