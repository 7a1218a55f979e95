"""The incremental export of the event log to Parquet, one folder per UTC day:
ANALYTICS_WAREHOUSE_DIR/events/day=YYYY-MM-DD/part-<first id>-<last id>.parquet.

Rows are read in id order in chunks; the position lives in JobCursor "warehouse.events". Each
chunk is (1) announced in the cursor's state ("pending": its last id), (2) written, one file
per day, each file whole or not at all, (3) committed by moving the position. A crash between
any two steps is repaired by the next run, which re-reads exactly the announced range and
writes the same file names again (overwriting), so nothing is exported twice or skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db import connection, transaction

from circlemart.analytics.models import Event, JobCursor
from circlemart.analytics.warehouse import schema
from circlemart.analytics.warehouse.layout import EVENTS, Warehouse, warehouse
from circlemart.core import clock

CURSOR_JOB = "warehouse.events"
_COLUMNS = [field.name for field in schema.EVENTS]


@dataclass(frozen=True)
class ExportResult:
    rows: int
    files: int
    position: int


def grace_period() -> timedelta:
    """How old a row's received_at must be before it is exported.

    Ids come from a sequence, handed out when a row is inserted, but become visible when its
    transaction commits: on PostgreSQL, id 101 may be visible while id 100 is still in flight.
    Moving the cursor past 101 would skip 100 for ever. So the export takes, in id order, only
    the leading rows received more than the grace period ago and stops at the first younger
    one: any id below an exported row was handed out before that row was received, i.e. by a
    transaction open longer than the grace period, and event writes (one bulk INSERT of at most
    a batch) commit within seconds. A writer that holds a transaction open longer (a bulk
    import in one transaction) must run its export after it commits.

    SQLite has one writer at a time and commits in id order, so it needs no grace period.
    """
    if connection.vendor != "postgresql":
        return timedelta(0)
    return timedelta(seconds=settings.ANALYTICS_EXPORT_GRACE_SECONDS)


def _cursor() -> JobCursor:
    cursor, _created = JobCursor.objects.get_or_create(job=CURSOR_JOB)
    return cursor


def _read(*, after: int, upto: int | None, limit: int | None) -> list[tuple[Any, ...]]:
    query = Event.objects.filter(id__gt=after).order_by("id")
    if upto is not None:
        query = query.filter(id__lte=upto)
    rows = query.values_list(*_COLUMNS)
    return list(rows[:limit] if limit is not None else rows)


def _settled(rows: list[tuple[Any, ...]], *, cutoff: datetime) -> list[tuple[Any, ...]]:
    """The leading rows received at or before `cutoff` (see grace_period)."""
    received = _COLUMNS.index("received_at")
    for index, row in enumerate(rows):
        if row[received] > cutoff:
            return rows[:index]
    return rows


def _table(rows: list[tuple[Any, ...]]) -> tuple[pa.Table, pa.Array]:
    columns = [list(column) for column in zip(*rows, strict=True)]
    properties = _COLUMNS.index("properties")
    columns[properties] = [
        json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        for value in columns[properties]
    ]
    event_ids = _COLUMNS.index("event_id")
    columns[event_ids] = [str(value) for value in columns[event_ids]]
    occurred = columns[_COLUMNS.index("occurred_at")]
    days = pa.array([moment.astimezone(UTC).date().isoformat() for moment in occurred])
    table = pa.Table.from_arrays(
        [
            pa.array(column, type=field.type)
            for column, field in zip(columns, schema.EVENTS, strict=True)
        ],
        schema=schema.EVENTS,
    )
    return table, days


def _write_chunk(store: Warehouse, rows: list[tuple[Any, ...]]) -> int:
    table, days = _table(rows)
    files = 0
    for day in sorted(pc.unique(days).to_pylist()):
        part = table.filter(pc.equal(days, day))
        ids = part.column("id")
        first, last = pc.min(ids).as_py(), pc.max(ids).as_py()
        store.write_table(part, EVENTS, f"day={day}", f"part-{first:012d}-{last:012d}.parquet")
        files += 1
    return files


def events_export(
    *,
    chunk_rows: int | None = None,
    grace: timedelta | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> ExportResult:
    """Export the rows added since the last run; `on_chunk(rows, position)` reports progress.
    Safe to interrupt at any point and to run again."""
    limit = chunk_rows or settings.ANALYTICS_EXPORT_CHUNK_ROWS
    cutoff = clock.now() - (grace_period() if grace is None else grace)
    store = warehouse()
    total_rows = total_files = 0
    cursor = _cursor()
    while True:
        pending = cursor.state.get("pending_last_id")
        if pending is not None:
            # A run died after announcing this range: write exactly it again.
            rows = _read(after=cursor.position, upto=int(pending), limit=None)
        else:
            rows = _settled(_read(after=cursor.position, upto=None, limit=limit), cutoff=cutoff)
            if not rows:
                break
            with transaction.atomic():
                cursor.state = {**cursor.state, "pending_last_id": rows[-1][0]}
                cursor.save(update_fields=["state", "updated_at"])
            pending = rows[-1][0]
        files = _write_chunk(store, rows) if rows else 0
        with transaction.atomic():
            cursor.position = int(pending)
            cursor.state = {
                key: value for key, value in cursor.state.items() if key != "pending_last_id"
            }
            cursor.save(update_fields=["position", "state", "updated_at"])
        total_rows += len(rows)
        total_files += files
        if on_chunk is not None:
            on_chunk(len(rows), cursor.position)
    return ExportResult(rows=total_rows, files=total_files, position=cursor.position)


def events_export_reset() -> None:
    """Forget what was exported and delete the exported files: the next run starts over."""
    with transaction.atomic():
        JobCursor.objects.filter(job=CURSOR_JOB).delete()
        warehouse().delete_dir(EVENTS)
