"""Lifecycle states per month over hand-built activity (silent 30 days, churned 90)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import duckdb

from circlemart.analytics.analyses.contracts import Grain, LifecyclePeriod
from circlemart.analytics.analyses.lifecycle import lifecycle
from circlemart.analytics.analyses.periods import periods_between
from circlemart.analytics.contracts import EventRecord
from tests.analytics.analyses.conftest import at, event


def activity() -> list[EventRecord]:
    seen = [
        (1, "2025-12-01"),
        (2, "2026-01-10"),
        (2, "2026-03-20"),  # 69 days later: back after being silent
        (3, "2026-01-05"),
        (3, "2026-02-03"),  # 29 days later: still active
        (3, "2026-03-01"),
        (3, "2026-04-29"),  # 59 days later: returned
        (4, "2025-11-01"),
        (4, "2026-03-10"),  # 129 days later: back after being churned
        (5, "2026-04-02"),
        (6, "2026-05-02"),  # after the range
    ]
    return [event("product_view", at(f"{day} 08:00"), user=user) for user, day in seen]


def test_states_per_month(stored: Callable[[list[EventRecord]], duckdb.DuckDBPyConnection]) -> None:
    result = lifecycle(
        stored(activity()),
        periods=periods_between(date(2026, 1, 1), date(2026, 4, 30), Grain.MONTH),
        grain=Grain.MONTH,
        activity_events=[],
        silent_after_days=30,
        churned_after_days=90,
    )

    assert result.periods == [
        # new, returned, active, silent, churned
        LifecyclePeriod(date(2026, 1, 1), 2, 0, 0, 1, 1),  # 1: 61 days idle; 4: 91 days
        LifecyclePeriod(date(2026, 2, 1), 0, 0, 1, 2, 1),  # 1: 89 days idle, 2: 49
        LifecyclePeriod(date(2026, 3, 1), 0, 2, 1, 0, 1),  # 1: 120 days idle
        LifecyclePeriod(date(2026, 4, 1), 1, 1, 0, 2, 1),  # 2: 41 days idle, 4: 51
    ]


def test_only_the_chosen_activity_counts(
    stored: Callable[[list[EventRecord]], duckdb.DuckDBPyConnection],
) -> None:
    connection = stored(
        [
            event("order_paid", at("2026-01-10 08:00"), user=1),
            event("product_view", at("2026-02-10 08:00"), user=1),
            event("product_view", at("2026-02-10 08:00"), user=2),
        ]
    )

    result = lifecycle(
        connection,
        periods=periods_between(date(2026, 1, 1), date(2026, 3, 31), Grain.MONTH),
        grain=Grain.MONTH,
        activity_events=["order_paid"],
        silent_after_days=30,
        churned_after_days=90,
    )

    assert result.periods == [
        LifecyclePeriod(date(2026, 1, 1), 1, 0, 0, 0, 0),
        # 49 days after the purchase at the end of February: the views do not count
        LifecyclePeriod(date(2026, 2, 1), 0, 0, 0, 1, 0),
        LifecyclePeriod(date(2026, 3, 1), 0, 0, 0, 1, 0),  # 80 days
    ]
