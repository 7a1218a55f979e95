"""Trends: an event counted per day, week or month, beside the same buckets of the previous
period or the previous year, and the change between the two totals."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from circlemart.analytics.analyses.contracts import (
    CompareTo,
    Grain,
    Period,
    Trend,
    TrendMeasure,
    TrendPoint,
)
from circlemart.analytics.analyses.periods import shift_back
from circlemart.analytics.analyses.persons import day_parameters, person_events_sql
from circlemart.analytics.warehouse.duck import run_query

_MEASURES = {
    TrendMeasure.EVENTS: "count(e.name)",
    TrendMeasure.PEOPLE: "count(DISTINCT e.person)",
    TrendMeasure.AMOUNT: "coalesce(sum(e.amount), 0)",
}


def comparison_periods(
    periods: Sequence[Period], *, compare_to: CompareTo, grain: Grain
) -> list[Period]:
    return [
        shift_back(period, compare_to=compare_to, grain=grain, count=len(periods))
        for period in periods
    ]


def trend_assemble(
    *,
    subject: str,
    grain: Grain,
    compare_to: CompareTo,
    periods: Sequence[Period],
    previous: Sequence[Period],
    values: Sequence[float],
    previous_values: Sequence[float],
    total: float,
    previous_total: float,
) -> Trend:
    points = [
        TrendPoint(period.start, value, earlier.start, earlier_value)
        for period, earlier, value, earlier_value in zip(
            periods, previous, values, previous_values, strict=True
        )
    ]
    change = (total - previous_total) / previous_total if previous_total else None
    return Trend(subject, grain, compare_to, points, total, previous_total, change)


def event_trend(
    connection: duckdb.DuckDBPyConnection,
    *,
    event: str,
    measure: TrendMeasure,
    grain: Grain,
    compare_to: CompareTo,
    periods: Sequence[Period],
) -> Trend:
    """One query over both ranges: each bucket, each comparison bucket and the two whole
    ranges (people are distinct per bucket, so totals are not sums of the points)."""
    previous = comparison_periods(periods, compare_to=compare_to, grain=grain)
    buckets = [
        *periods,
        *previous,
        Period(periods[0].start, periods[-1].end),
        Period(previous[0].start, previous[-1].end),
    ]
    sql = f"""
    WITH {
        person_events_sql(
            where="name = $event AND day BETWEEN $low AND $high",
            columns=["name", "day", "amount"],
            low="$low",
            high="$high",
        )
    },
    buckets AS (
        SELECT unnest($indexes::INTEGER[]) AS idx, unnest($starts::DATE[]) AS lo,
            unnest($ends::DATE[]) AS hi
    )
    SELECT b.idx, {_MEASURES[measure]} AS value
    FROM buckets b JOIN person_events e ON e.day BETWEEN b.lo AND b.hi
    GROUP BY b.idx
    """
    rows = run_query(
        connection,
        sql,
        {
            **day_parameters(),
            "event": event,
            "low": min(bucket.start for bucket in buckets),
            "high": max(bucket.end for bucket in buckets),
            "indexes": list(range(len(buckets))),
            "starts": [bucket.start for bucket in buckets],
            "ends": [bucket.end for bucket in buckets],
        },
    )
    found = {int(index): float(value) for index, value in rows}
    values = [found.get(index, 0.0) for index in range(len(buckets))]
    count = len(periods)
    return trend_assemble(
        subject=event,
        grain=grain,
        compare_to=compare_to,
        periods=periods,
        previous=previous,
        values=values[:count],
        previous_values=values[count : 2 * count],
        total=values[2 * count],
        previous_total=values[2 * count + 1],
    )
