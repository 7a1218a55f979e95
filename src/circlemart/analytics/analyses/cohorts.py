"""Cohort retention: people grouped by the period they did a cohort event in, and how many of
each cohort were active again 0, 1, 2… periods later.

- first_time: a person's cohort is the period of their first cohort event ever (the first
  purchase, the registration); they are in one cohort only.
- recurring: everyone who did the cohort event in a period is in that period's cohort, so a
  person can be in several.
Offsets run up to the range's last period; a cohort's row is as long as it can be observed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb

from circlemart.analytics.analyses.contracts import CohortRow, Grain, RetentionKind, RetentionMatrix
from circlemart.analytics.analyses.periods import period_start, periods_between
from circlemart.analytics.analyses.persons import day_parameters, person_events_sql
from circlemart.analytics.warehouse.duck import run_query

PERIOD_START_SQL = {
    Grain.DAY: "day",
    Grain.WEEK: "CAST(date_trunc('week', day) AS DATE)",
    Grain.MONTH: "CAST(date_trunc('month', day) AS DATE)",
}


def offset_sql(grain: Grain, *, cohort: str, period: str) -> str:
    if grain is Grain.MONTH:
        return f"(year({period}) * 12 + month({period})) - (year({cohort}) * 12 + month({cohort}))"
    if grain is Grain.WEEK:
        return f"date_diff('day', {cohort}, {period}) // 7"
    return f"date_diff('day', {cohort}, {period})"


def cohort_retention(
    connection: duckdb.DuckDBPyConnection,
    *,
    start: date,
    end: date,
    grain: Grain,
    kind: RetentionKind,
    cohort_events: Sequence[str],
    activity_events: Sequence[str],
) -> RetentionMatrix:
    first = period_start(start, grain)
    bucket = PERIOD_START_SQL[grain]
    # A first-time cohort needs the whole history before the range to know what is first.
    low = "DATE '0001-01-01'" if kind is RetentionKind.FIRST_TIME else "$start"
    if kind is RetentionKind.FIRST_TIME:
        cohorts = f"""cohorts AS (
            SELECT person, {bucket.replace("day", "first_day")} AS cohort FROM (
                SELECT person, min(day) AS first_day FROM person_events
                WHERE list_contains($cohort_events, name) AND person IS NOT NULL
                GROUP BY person
            ) WHERE first_day BETWEEN $start AND $end
        )"""
    else:
        cohorts = f"""cohorts AS (
            SELECT DISTINCT person, {bucket} AS cohort FROM person_events
            WHERE list_contains($cohort_events, name) AND person IS NOT NULL
                AND day BETWEEN $start AND $end
        )"""
    sql = f"""
    WITH {
        person_events_sql(
            where=f"day BETWEEN {low} AND $end AND list_contains($names, name)",
            columns=["name", "day"],
            low=None if kind is RetentionKind.FIRST_TIME else "$start",
            high="$end",
        )
    },
    {cohorts},
    activity AS (
        SELECT DISTINCT person, {bucket} AS period FROM person_events
        WHERE list_contains($activity_events, name) AND person IS NOT NULL
            AND day BETWEEN $start AND $end
    ),
    sizes AS (SELECT cohort, count(*) AS size FROM cohorts GROUP BY cohort),
    retained AS (
        SELECT c.cohort, {offset_sql(grain, cohort="c.cohort", period="a.period")} AS offset_,
            count(*) AS people
        FROM cohorts c JOIN activity a ON a.person = c.person AND a.period >= c.cohort
        GROUP BY ALL
    )
    SELECT s.cohort, s.size, r.offset_, r.people
    FROM sizes s LEFT JOIN retained r USING (cohort)
    ORDER BY s.cohort, r.offset_
    """
    rows = run_query(
        connection,
        sql,
        {
            **day_parameters(),
            "start": first,
            "end": end,
            "names": sorted({*cohort_events, *activity_events}),
            "cohort_events": list(cohort_events),
            "activity_events": list(activity_events),
        },
    )
    starts = [period.start for period in periods_between(first, end, grain)]
    sizes: dict[date, int] = {}
    counts: dict[date, dict[int, int]] = {}
    for cohort, size, offset, people in rows:
        sizes[cohort] = int(size)
        if offset is not None:
            counts.setdefault(cohort, {})[int(offset)] = int(people)
    matrix = []
    for cohort in sorted(sizes):
        observable = len(starts) - starts.index(cohort)
        retained = [counts.get(cohort, {}).get(offset, 0) for offset in range(observable)]
        size = sizes[cohort]
        matrix.append(CohortRow(cohort, size, retained, [count / size for count in retained]))
    return RetentionMatrix(kind, grain, list(cohort_events), list(activity_events), matrix)
