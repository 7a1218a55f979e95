"""Who did it: one key per person, so a visitor's events before sign-in and the same
person's events after it count once.

A person is their user id; an anonymous id that was ever seen together with a user id (the
sign-in merge) belongs to that user; any other anonymous id is its own person, keyed by a
negative 62-bit hash of it (integers join and sort about twice as fast as text; a collision
between two visitors is a 1-in-2^62 event). Events with neither carry no person and are left
out of per-person analyses.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

# How far the fixed-offset check looks: from the epoch to a date beyond any event's.
_CHECK_FROM = datetime(1970, 1, 1, tzinfo=UTC)
_CHECK_TO = datetime(2100, 1, 1, tzinfo=UTC)
# A zone whose offset last changed after this still has (or had until recently) daylight
# saving rules: it gets no fast path.
_SETTLED_BEFORE = datetime(2090, 1, 1, tzinfo=UTC)
_NEVER = datetime(9999, 12, 31, tzinfo=UTC)


@functools.cache
def fixed_offset_since(zone: str) -> tuple[datetime, int]:
    """(the instant from which `zone` keeps one UTC offset, that offset in microseconds);
    (_NEVER, 0) for a zone with daylight saving time. Found by walking back a day at a time
    from 2100 to the last change (the instant returned is at or after that change)."""
    tz = ZoneInfo(zone)
    final = _CHECK_TO.astimezone(tz).utcoffset()
    moment = _CHECK_TO
    while moment > _CHECK_FROM:
        earlier = moment - timedelta(days=1)
        if earlier.astimezone(tz).utcoffset() != final:
            break
        moment = earlier
    if moment > _SETTLED_BEFORE or final is None:
        return _NEVER, 0
    return moment, int(final / timedelta(microseconds=1))


def day_parameters() -> dict[str, Any]:
    """The parameters `person_events_sql` and `LOCAL_DAY` need."""
    since, offset = fixed_offset_since(settings.TIME_ZONE)
    return {"tz": settings.TIME_ZONE, "tz_fixed_since": since, "tz_offset_us": offset}


# The calendar day of an event where the shop is (settings.TIME_ZONE), as the daily metrics
# count days; the warehouse's `day` folders are UTC days and serve only to skip files.
# While the zone has one fixed offset (Asia/Shanghai since 1991, UTC always) the day is
# integer arithmetic on the epoch, about 10× cheaper per row than the ICU time zone
# conversion, which stays for earlier times and for zones with daylight saving time.
LOCAL_DAY = (
    "(CASE WHEN occurred_at >= $tz_fixed_since"
    " THEN DATE '1970-01-01' + CAST((epoch_us(occurred_at) + $tz_offset_us)"
    " // 86400000000 AS INTEGER)"
    " ELSE CAST(timezone($tz, occurred_at) AS DATE) END)"
)


def folder_prune(*, low: str | None, high: str) -> str:
    """A filter on the UTC `day` folders that keeps every local day from `low` to `high`
    (SQL date expressions; `low` None = from the beginning): a day either side covers any
    time zone."""
    upper = f"day <= CAST({high} AS DATE) + 1"
    return upper if low is None else f"day >= CAST({low} AS DATE) - 1 AND {upper}"


def person_events_sql(*, where: str, columns: Sequence[str], low: str | None, high: str) -> str:
    """CTEs `scoped` (the events matching `where`, with `day` = the local day) and
    `person_events` (`columns` plus `person`), to be put after `WITH`. `low`/`high` bound the
    local days `where` can match, so only those folders are read. The merge map is built from
    the scoped events only, which keeps the query bounded by the range it asks about."""
    wanted = ", ".join(
        column for column in dict.fromkeys([*columns, "user_id", "anonymous_id"]) if column != "day"
    )
    picked = ", ".join(f"s.{column}" for column in columns)
    return f"""
    scoped AS (
        SELECT * FROM (
            SELECT {wanted}, {LOCAL_DAY} AS day FROM events
            WHERE {folder_prune(low=low, high=high)}
        ) WHERE {where}
    ),
    identity AS (
        SELECT anonymous_id, min(user_id) AS user_id FROM scoped
        WHERE user_id IS NOT NULL AND anonymous_id <> '' GROUP BY anonymous_id
    ),
    person_events AS (
        SELECT {picked}, s.user_id AS person FROM scoped s WHERE s.user_id IS NOT NULL
        UNION ALL
        -- only events without a user id need the merge map
        SELECT {picked},
            coalesce(
                i.user_id,
                CASE WHEN s.anonymous_id <> ''
                    THEN -1 - CAST(hash(s.anonymous_id) >> 2 AS BIGINT) END
            ) AS person
        FROM scoped s
        LEFT JOIN identity i ON i.anonymous_id = s.anonymous_id
        WHERE s.user_id IS NULL
    )"""
