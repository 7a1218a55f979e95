"""User paths: what people did next after an event, within the same session.

Every occurrence of the anchor event in a session starts a path of the next `steps` events
of that session (fewer when the session ends first). Events of the same instant keep the
order they were stored in. The answer is both the most common sequences and Sankey links
between "<depth>. <event>" nodes, depth 0 being the anchor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb

from circlemart.analytics.analyses.contracts import PathLink, Paths, PathSequence
from circlemart.analytics.analyses.persons import LOCAL_DAY, day_parameters, folder_prune
from circlemart.analytics.warehouse.duck import run_query


def paths(
    connection: duckdb.DuckDBPyConnection,
    *,
    after: str,
    start: date,
    end: date,
    steps: int,
    top: int,
    max_links: int,
    exclude: Sequence[str] = (),
) -> Paths:
    parameters = {
        **day_parameters(),
        "after": after,
        "start": start,
        "end": end,
        "steps": steps,
        "exclude": list(exclude),
    }
    ctes = f"""
    WITH ordered AS (
        SELECT session_id, name, row_number() OVER (
            PARTITION BY session_id ORDER BY occurred_at, id
        ) AS pos
        FROM events
        WHERE {folder_prune(low="$start", high="$end")}
            AND {LOCAL_DAY} BETWEEN $start AND $end AND session_id <> ''
            AND (name = $after OR NOT list_contains($exclude, name))
    ),
    anchors AS (
        SELECT session_id, pos FROM ordered WHERE name = $after
    ),
    followers AS (
        SELECT a.session_id, a.pos AS anchor, o.pos - a.pos AS depth, o.name
        FROM anchors a JOIN ordered o
            ON o.session_id = a.session_id AND o.pos > a.pos AND o.pos <= a.pos + $steps
    )
    """
    occurrences_row = run_query(connection, ctes + "SELECT count(*) FROM anchors", parameters)
    occurrences = int(occurrences_row[0][0])
    sequences_sql = (
        ctes
        + """,
    walked AS (
        SELECT a.session_id, a.pos,
            coalesce(list(f.name ORDER BY f.depth) FILTER (WHERE f.name IS NOT NULL), [])
                AS path
        FROM anchors a LEFT JOIN followers f ON f.session_id = a.session_id AND f.anchor = a.pos
        GROUP BY a.session_id, a.pos
    )
    SELECT path, count(*) AS n FROM walked GROUP BY path
    ORDER BY n DESC, array_to_string(path, ' ') LIMIT $top
    """
    )
    sequences = [
        PathSequence(list(path), int(count))
        for path, count in run_query(connection, sequences_sql, {**parameters, "top": top})
    ]
    links_sql = (
        ctes
        + """,
    stepped AS (
        SELECT depth, name, coalesce(lag(name) OVER (
            PARTITION BY session_id, anchor ORDER BY depth
        ), $after) AS previous
        FROM followers
    )
    SELECT depth, previous, name, count(*) AS n FROM stepped GROUP BY ALL
    ORDER BY depth, n DESC, previous, name LIMIT $max_links
    """
    )
    links = [
        PathLink(f"{depth - 1}. {previous}", f"{depth}. {name}", int(count))
        for depth, previous, name, count in run_query(
            connection, links_sql, {**parameters, "max_links": max_links}
        )
    ]
    return Paths(after, steps, occurrences, sequences, links)
