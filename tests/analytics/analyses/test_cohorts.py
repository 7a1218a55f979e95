"""Cohort retention over hand-built purchases: first-time and recurring, by month and week."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import duckdb

from circlemart.analytics.analyses.cohorts import cohort_retention
from circlemart.analytics.analyses.contracts import Grain, RetentionKind
from circlemart.analytics.contracts import EventRecord
from tests.analytics.analyses.conftest import at, event

Store = Callable[[list[EventRecord]], duckdb.DuckDBPyConnection]


def purchases() -> list[EventRecord]:
    paid = [
        (1, "2025-12-20"),  # first purchase before the range: in no first-time cohort
        (1, "2026-01-15"),
        (2, "2026-01-05"),
        (2, "2026-02-10"),
        (2, "2026-02-20"),  # twice in February: still one person in that period
        (3, "2026-01-31"),
        (3, "2026-03-01"),
        (4, "2026-02-01"),
        (5, "2026-02-28"),
        (5, "2026-03-15"),
        (6, "2026-03-03"),
        (7, "2026-04-01"),  # after the range
    ]
    records = [event("order_paid", at(f"{day} 12:00"), user=user) for user, day in paid]
    records.append(event("product_view", at("2026-02-02 12:00"), user=3))  # not a purchase
    return records


def rows(result: object) -> list[tuple[date, int, list[int]]]:
    return [(row.cohort, row.size, row.retained) for row in result.cohorts]  # type: ignore[attr-defined]


def test_first_time_cohorts_by_month(stored: Store) -> None:
    result = cohort_retention(
        stored(purchases()),
        start=date(2026, 1, 1),
        end=date(2026, 3, 31),
        grain=Grain.MONTH,
        kind=RetentionKind.FIRST_TIME,
        cohort_events=["order_paid"],
        activity_events=["order_paid"],
    )

    assert rows(result) == [
        (date(2026, 1, 1), 2, [2, 1, 1]),  # 2 (Feb), 3 (Mar)
        (date(2026, 2, 1), 2, [2, 1]),  # 5 (Mar)
        (date(2026, 3, 1), 1, [1]),
    ]
    assert result.cohorts[0].rates == [1.0, 0.5, 0.5]


def test_recurring_cohorts_hold_everyone_active_in_the_period(stored: Store) -> None:
    result = cohort_retention(
        stored(purchases()),
        start=date(2026, 1, 1),
        end=date(2026, 3, 31),
        grain=Grain.MONTH,
        kind=RetentionKind.RECURRING,
        cohort_events=["order_paid"],
        activity_events=["order_paid"],
    )

    assert rows(result) == [
        (date(2026, 1, 1), 3, [3, 1, 1]),  # 1, 2, 3 → 2 in Feb, 3 in Mar
        (date(2026, 2, 1), 3, [3, 1]),  # 2, 4, 5 → 5 in Mar
        (date(2026, 3, 1), 3, [3]),  # 3, 5, 6
    ]


def test_activity_other_than_the_cohort_event_by_week(stored: Store) -> None:
    connection = stored(
        [
            event("user_registered", at("2026-03-02 09:00"), user=1),  # week of Mar 2
            event("user_registered", at("2026-03-04 09:00"), user=2),
            event("user_registered", at("2026-03-09 09:00"), user=3),  # week of Mar 9
            event("order_paid", at("2026-03-10 09:00"), user=1),  # week 1 for user 1
            event("order_paid", at("2026-03-17 09:00"), user=2),  # week 2 for user 2
            event("order_paid", at("2026-03-17 10:00"), user=3),  # week 1 for user 3
        ]
    )

    result = cohort_retention(
        connection,
        start=date(2026, 3, 4),  # mid-week: the cohort is the whole week of Mar 2
        end=date(2026, 3, 22),
        grain=Grain.WEEK,
        kind=RetentionKind.FIRST_TIME,
        cohort_events=["user_registered"],
        activity_events=["order_paid"],
    )

    assert rows(result) == [
        (date(2026, 3, 2), 2, [0, 1, 1]),
        (date(2026, 3, 9), 1, [0, 1]),
    ]  # nobody registered in the week of Mar 16: no row
