"""Lifecycle: where every known person stands in each period.

Each person whose first activity is on or before a period's last day is in exactly one
state for that period, decided in this order:
- new: their first activity ever is in the period;
- returned: they were active in the period after a gap of at least `silent_after_days`
  days since their previous activity (they had been silent or churned);
- active: active in the period, or last active less than `silent_after_days` days before
  the period's last day;
- otherwise by the days from their last activity to the period's last day: silent (up to
  `churned_after_days`), churned (more).
History before the range counts: it decides who is new and who came back.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from circlemart.analytics.analyses.contracts import Grain, Lifecycle, LifecyclePeriod, Period
from circlemart.analytics.analyses.persons import day_parameters, person_events_sql
from circlemart.analytics.warehouse.duck import run_query


def lifecycle(
    connection: duckdb.DuckDBPyConnection,
    *,
    periods: Sequence[Period],
    grain: Grain,
    activity_events: Sequence[str],
    silent_after_days: int,
    churned_after_days: int,
) -> Lifecycle:
    where = "day <= $end" + (" AND list_contains($activity, name)" if activity_events else "")
    sql = f"""
    WITH {person_events_sql(where=where, columns=["name", "day"], low=None, high="$end")},
    days AS (
        SELECT DISTINCT person, day FROM person_events WHERE person IS NOT NULL
    ),
    spans AS (
        SELECT person, day,
            lag(day) OVER (PARTITION BY person ORDER BY day) AS previous_day,
            lead(day) OVER (PARTITION BY person ORDER BY day) AS next_day,
            min(day) OVER (PARTITION BY person) AS first_day
        FROM days
    ),
    buckets AS (
        SELECT unnest($indexes::INTEGER[]) AS idx, unnest($starts::DATE[]) AS lo,
            unnest($ends::DATE[]) AS hi
    ),
    returns AS (
        SELECT DISTINCT b.idx, s.person FROM spans s JOIN buckets b ON s.day BETWEEN b.lo AND b.hi
        WHERE date_diff('day', s.previous_day, s.day) >= $silent
    ),
    standing AS (
        -- the person's last activity on or before the bucket's last day
        SELECT b.idx, CASE
            WHEN s.first_day BETWEEN b.lo AND b.hi THEN 'new'
            WHEN r.person IS NOT NULL THEN 'returned'
            WHEN s.day >= b.lo OR date_diff('day', s.day, b.hi) < $silent THEN 'active'
            WHEN date_diff('day', s.day, b.hi) <= $churned THEN 'silent'
            ELSE 'churned'
        END AS state
        FROM buckets b
        JOIN spans s ON s.day <= b.hi AND (s.next_day IS NULL OR s.next_day > b.hi)
        LEFT JOIN returns r ON r.idx = b.idx AND r.person = s.person
    )
    SELECT idx,
        count(*) FILTER (WHERE state = 'new'),
        count(*) FILTER (WHERE state = 'returned'),
        count(*) FILTER (WHERE state = 'active'),
        count(*) FILTER (WHERE state = 'silent'),
        count(*) FILTER (WHERE state = 'churned')
    FROM standing GROUP BY idx
    """
    parameters: dict[str, object] = {
        **day_parameters(),
        "end": periods[-1].end,
        "indexes": list(range(len(periods))),
        "starts": [period.start for period in periods],
        "ends": [period.end for period in periods],
        "silent": silent_after_days,
        "churned": churned_after_days,
    }
    if activity_events:
        parameters["activity"] = list(activity_events)
    found = {
        int(row[0]): [int(value) for value in row[1:]]
        for row in run_query(connection, sql, parameters)
    }
    rows = [
        LifecyclePeriod(period.start, *found.get(index, [0, 0, 0, 0, 0]))
        for index, period in enumerate(periods)
    ]
    return Lifecycle(grain, silent_after_days, churned_after_days, rows)
