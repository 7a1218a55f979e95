"""Monthly partitions of the event log on PostgreSQL (migration 0002_event_partitions turns
analytics_event into a table partitioned by range of occurred_at, with a DEFAULT partition for
anything no month covers). `partitions_ensure()` creates the coming months ahead and moves rows
that landed in the default partition (historical imports) into partitions of their own months."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from circlemart.core import clock

PARENT = "analytics_event"
DEFAULT_PARTITION = "analytics_event_default"


def month_add(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{PARENT}_p{month:%Y%m}"


def _bound(month: date) -> str:
    # Built from a date, never from input: safe to put in the DDL (which takes no parameters).
    return f"'{month.isoformat()} 00:00:00+00'"


def is_partitioned(connection: BaseDatabaseWrapper) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table p JOIN pg_class c"
            " ON c.oid = p.partrelid WHERE c.oid = to_regclass(%s))",
            [PARENT],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def partitions_of(connection: BaseDatabaseWrapper) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname",
            [PARENT],
        )
        return [row[0] for row in cursor.fetchall()]


def _months_in_default(connection: BaseDatabaseWrapper) -> set[date]:
    with connection.cursor() as cursor:
        month = "date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date"
        cursor.execute(f"SELECT DISTINCT {month} FROM {DEFAULT_PARTITION}")  # noqa: S608
        return {row[0] for row in cursor.fetchall()}


def partition_create(connection: BaseDatabaseWrapper, month: date) -> str:
    """Create the partition of `month` (UTC), moving its rows out of the default partition in
    the same transaction: ATTACH refuses while the default still holds rows of that range."""
    name = partition_name(month)
    start, end = _bound(month), _bound(month_add(month, 1))
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS)")
        in_month = f"occurred_at >= {start} AND occurred_at < {end}"
        moved = f"DELETE FROM {DEFAULT_PARTITION} WHERE {in_month} RETURNING *"  # noqa: S608
        cursor.execute(f"WITH moved AS ({moved}) INSERT INTO {name} SELECT * FROM moved")  # noqa: S608
        # Indexes, the primary key and the unique (event_id, occurred_at) of the parent are
        # created on the new partition by ATTACH.
        cursor.execute(
            f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM ({start}) TO ({end})"
        )
    return name


def partitions_ensure(
    *, connection: BaseDatabaseWrapper | None = None, today: date | None = None
) -> list[str]:
    """Create the partitions of last month, this month and ANALYTICS_PARTITION_MONTHS_AHEAD
    months ahead, and of every month that has rows in the default partition. Returns the
    names created; does nothing unless the event log is partitioned (PostgreSQL)."""
    connection = connection or default_connection
    if not is_partitioned(connection):
        return []
    current = (today or clock.now().date()).replace(day=1)
    wanted = {
        month_add(current, offset)
        for offset in range(-1, settings.ANALYTICS_PARTITION_MONTHS_AHEAD + 1)
    }
    wanted |= _months_in_default(connection)
    existing = set(partitions_of(connection))
    return [
        partition_create(connection, month)
        for month in sorted(wanted)
        if partition_name(month) not in existing
    ]
