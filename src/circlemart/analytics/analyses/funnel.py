"""Funnels: people who did the steps in order, each later step within the conversion window
of the first.

Rules, per person (see `persons`):
- Every occurrence of the first step in the range starts an attempt; each next step is the
  earliest matching event after the previous step's event (greedy earliest is what reaches
  furthest), and counts only if it happened within the window of the attempt's first step.
  Later steps may fall after the range's end, up to one window after it.
- Attempts whose second step is the same event are one attempt, started by the latest first
  step before it: ten product views and then one add-to-cart are one attempt, timed from the
  tenth view.
- Order is the order of occurrence (to the microsecond); events at the same instant count in
  funnel order, so a server event stamped in the same second as the client event before it
  is not lost. One event is never two steps.
- A person counts once, at the furthest step any of their attempts reached; their step
  times come from the earliest attempt that got that far. Repeats of a step change nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import duckdb

from circlemart.analytics.analyses.contracts import (
    Funnel,
    FunnelSegment,
    FunnelStep,
    FunnelStepSpec,
)
from circlemart.analytics.analyses.persons import day_parameters, person_events_sql
from circlemart.analytics.warehouse.duck import run_query

# by= dimension → SQL of the entry event's segment value
SEGMENTS = {
    "channel": "coalesce(ss.source, 'unknown')",
    "visitor": "CASE WHEN o.user_id IS NULL THEN 'anonymous' ELSE 'signed_in' END",
}


def _match(step: FunnelStepSpec, index: int, parameters: dict[str, Any]) -> str:
    parameters[f"name{index}"] = step.name
    conditions = [f"name = $name{index}"]
    if step.object_type:
        parameters[f"type{index}"] = step.object_type
        conditions.append(f"object_type = $type{index}")
    if step.object_id:
        parameters[f"object{index}"] = step.object_id
        conditions.append(f"object_id = $object{index}")
    return "(" + " AND ".join(conditions) + ")"


def funnel(
    connection: duckdb.DuckDBPyConnection,
    *,
    steps: Sequence[FunnelStepSpec],
    start: date,
    end: date,
    window_seconds: int,
    by: str = "",
    max_segments: int = 20,
) -> Funnel:
    parameters: dict[str, Any] = {
        **day_parameters(),
        "start": start,
        "end": end,
        "last_day": end + timedelta(seconds=window_seconds) + timedelta(days=1),
        "window": window_seconds,
        "names": sorted({step.name for step in steps}),
    }
    matches = [_match(step, index, parameters) for index, step in enumerate(steps)]
    # An event matching several steps sorts as the earliest of them at equal times.
    rank = "CASE " + " ".join(f"WHEN {m} THEN {i}" for i, m in enumerate(matches)) + " END"
    segment = SEGMENTS[by] if by else "''"
    sessions_join = (
        "LEFT JOIN sessions ss ON ss.session_id = o.session_id AND o.session_id <> ''"
        if by == "channel"
        else ""
    )
    ctes = [
        person_events_sql(
            where="day BETWEEN $start AND $last_day AND list_contains($names, name)",
            low="$start",
            high="$last_day",
            columns=[
                "name",
                "occurred_at",
                "day",
                # only what the steps and the segment read: `ordered` is materialised
                *(["object_type"] if any(step.object_type for step in steps) else []),
                *(["object_id"] if any(step.object_id for step in steps) else []),
                *(["session_id"] if by == "channel" else []),
                *(["user_id"] if by == "visitor" else []),
            ],
        ),
        # The order key: time in microseconds, then the step, so equal times sort in funnel
        # order. One integer instead of a row number: the ASOF joins sort on it anyway.
        f"""ordered AS (
            SELECT *, epoch_us(occurred_at) * 16 + {rank} AS pos
            FROM person_events WHERE person IS NOT NULL
        )""",
        f"""r0 AS (
            SELECT o.person, o.pos AS p0, o.occurred_at AS t0, {segment} AS segment
            FROM ordered o {sessions_join}
            WHERE {matches[0]} AND o.day BETWEEN $start AND $end
        )""",
    ]
    # No event can be both the first and the second step when their names differ.
    disjoint = steps[0].name != steps[1].name
    for index in range(1, len(steps)):
        ctes.append(
            f"s{index} AS (SELECT person, pos, occurred_at FROM ordered WHERE {matches[index]})"
        )
        if index == 1 and disjoint:
            # The attempts that survive the collapse below, in one sort instead of an ASOF
            # join of every first step and a GROUP BY: the first steps and second steps of a
            # person in order; a first step followed directly by a second step is the latest
            # first step before it, and the person's last row, if a first step, is the latest
            # of those no second step follows.
            ctes.append(
                """u1 AS (
                    SELECT person, p0 AS pos, t0 AS t, segment, true AS entry FROM r0
                    UNION ALL
                    SELECT person, pos, occurred_at, NULL, false FROM s1
                ),
                w1 AS (
                    SELECT *, lead(entry) OVER w AS next_entry, lead(pos) OVER w AS next_p,
                        lead(t) OVER w AS next_t
                    FROM u1 WINDOW w AS (PARTITION BY person ORDER BY pos)
                ),
                d1 AS (
                    SELECT person, pos AS p0, t AS t0, segment,
                        CASE WHEN NOT next_entry THEN next_p END AS raw_p,
                        CASE WHEN NOT next_entry THEN next_t END AS raw_t
                    FROM w1 WHERE entry AND NOT coalesce(next_entry, false)
                )"""
            )
            source = "d1"
        else:
            ctes.append(
                f"""j{index} AS (
                    SELECT r.*, s.pos AS raw_p, s.occurred_at AS raw_t
                    FROM r{index - 1} r ASOF LEFT JOIN s{index} s
                    ON r.person = s.person AND s.pos > r.p{index - 1}
                )"""
            )
            source = f"j{index}"
        if index == 1 and not disjoint:
            # Attempts that reach the same second-step event are one attempt: the latest
            # first step before it (it has the latest window, so it reaches at least as far).
            ctes.append(
                """d1 AS (
                    SELECT person, raw_p, max(p0) AS p0, arg_max(t0, p0) AS t0,
                        arg_max(segment, p0) AS segment, arg_max(raw_t, p0) AS raw_t
                    FROM j1 GROUP BY person, raw_p
                )"""
            )
            source = "d1"
        inside = "raw_t <= t0 + to_seconds($window)"
        ctes.append(
            f"""r{index} AS (
                SELECT * EXCLUDE (raw_p, raw_t),
                    CASE WHEN {inside} THEN raw_p END AS p{index},
                    CASE WHEN {inside} THEN raw_t END AS t{index}
                FROM {source}
            )"""
        )
    last = len(steps) - 1
    depth = " + ".join(f"(p{index} IS NOT NULL)::INTEGER" for index in range(len(steps)))
    ctes.append(
        f"""best AS (
            SELECT * FROM (
                SELECT *, {depth} AS depth, row_number() OVER (
                    PARTITION BY person ORDER BY {depth} DESC, t0, p0
                ) AS choice
                FROM r{last}
            ) WHERE choice = 1
        )"""
    )
    measures = [
        f"count(*) FILTER (WHERE depth >= {index + 1}) AS people{index}"
        for index in range(len(steps))
    ] + [
        f"median(epoch(t{index}) - epoch(t{index - 1})) FILTER (WHERE depth >= {index + 1})"
        f" AS seconds{index}"
        for index in range(1, len(steps))
    ]
    sql = (
        "WITH "
        + ",\n".join(ctes)
        + f"""
        SELECT grouping(segment) AS overall, segment, {", ".join(measures)}
        FROM best GROUP BY GROUPING SETS ((), (segment))
        """
    )
    rows = run_query(connection, sql, parameters)
    names = [step.name for step in steps]
    overall = _steps(names, None, len(steps))
    segments: list[FunnelSegment] = []
    for row in rows:
        built = _steps(names, row, len(steps))
        if row[0]:
            overall = built
        elif by:
            segments.append(FunnelSegment(str(row[1]), built))
    segments.sort(key=lambda item: (-item.steps[0].people, item.value))
    return Funnel(window_seconds, overall, by, segments[:max_segments])


def _steps(names: Sequence[str], row: Sequence[Any] | None, count: int) -> list[FunnelStep]:
    people = [int(row[2 + index]) if row else 0 for index in range(count)]
    seconds: list[float | None] = [None]
    for index in range(1, count):
        value = row[2 + count + index - 1] if row else None
        seconds.append(float(value) if value is not None else None)
    steps = []
    for index, name in enumerate(names):
        before = people[index - 1] if index else people[0]
        steps.append(
            FunnelStep(
                name=name,
                people=people[index],
                conversion_from_previous=people[index] / before if before else 0.0,
                conversion_from_first=people[index] / people[0] if people[0] else 0.0,
                dropped=before - people[index],
                median_seconds_from_previous=seconds[index],
            )
        )
    return steps
