"""The warehouse's two entry points: `sync()` brings the files up to date, `connect()` opens
an in-memory DuckDB with views over them. `run_query()` runs SQL with a timeout and a row cap.

Views: `events` (every Event column, `properties` as JSON text, times TIMESTAMPTZ in UTC, plus
`day DATE` = the UTC day of occurred_at, from the folder name), `sessions`, `products`,
`users`, `orders`, `order_lines` (snapshots; columns in warehouse/schema.py). A view whose
files do not exist yet is empty, with its columns. Layout and guarantees: docs/analytics.md.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads
from django.conf import settings
from django.utils.translation import gettext as _

from circlemart.analytics.models import JobCursor
from circlemart.analytics.warehouse import schema
from circlemart.analytics.warehouse.compaction import event_files, events_compact
from circlemart.analytics.warehouse.export import (
    ExportResult,
    events_export,
    events_export_reset,
)
from circlemart.analytics.warehouse.layout import EVENTS, SNAPSHOTS, Warehouse, warehouse
from circlemart.analytics.warehouse.snapshots import snapshots_refresh
from circlemart.core import clock
from circlemart.core.errors import DomainError

SYNC_LOCK = "warehouse.sync-lock"  # a JobCursor row
SYNC_LOCK_SECONDS = 3600


class QueryTimedOut(DomainError):
    """An analytics query ran past ANALYTICS_QUERY_TIMEOUT_SECONDS and was interrupted. 504:
    the request was fine, the warehouse could not answer it in time (narrow the range)."""

    status = 504
    code = "query_timeout"


class QueryTooLarge(DomainError):
    """A query returned more rows than ANALYTICS_QUERY_MAX_ROWS."""

    status = 400
    code = "query_too_large"


@dataclass(frozen=True)
class SyncResult:
    events: ExportResult
    days_merged: int
    snapshots: dict[str, int]


def _lock_acquire() -> int | None:
    """Claim the sync lock with one conditional UPDATE (it works across processes: the CLI,
    celery workers on several machines). The token is the claim time in microseconds; a lock
    older than SYNC_LOCK_SECONDS is taken over (its holder died)."""
    now = int(clock.now().timestamp() * 1_000_000)
    JobCursor.objects.get_or_create(job=SYNC_LOCK)
    stale = now - SYNC_LOCK_SECONDS * 1_000_000
    claimed = JobCursor.objects.filter(job=SYNC_LOCK, position__lte=stale).update(position=now)
    return now if claimed else None


def _lock_release(token: int) -> None:
    JobCursor.objects.filter(job=SYNC_LOCK, position=token).update(position=0)


def sync(
    *,
    chunk_rows: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    rebuild: bool = False,
) -> SyncResult | None:
    """Export new events, merge finished days' files and refresh the snapshots. Returns None
    without doing anything while another sync holds the lock. `progress(rows, position)` is
    called after each exported chunk; `rebuild` deletes the exported events first and
    exports them all again."""
    token = _lock_acquire()
    if token is None:
        return None
    try:
        if rebuild:
            events_export_reset()
        events = events_export(chunk_rows=chunk_rows, on_chunk=progress)
        # Days before yesterday (UTC) are merged into one file each; yesterday waits a day for
        # events that arrive late (offline queues, slow clients).
        merged = events_compact(before=clock.now().astimezone(UTC).date() - timedelta(days=1))
        return SyncResult(events=events, days_merged=merged, snapshots=snapshots_refresh())
    finally:
        _lock_release(token)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _events_view(con: duckdb.DuckDBPyConnection, store: Warehouse) -> None:
    files = event_files(store)
    if not files:
        con.execute(
            "CREATE TEMP VIEW events AS "
            + schema.empty_select(schema.EVENTS, extra="CAST(NULL AS DATE) AS day")
        )
        return
    # The files are listed rather than globbed so that small files a compaction merged, but
    # had not deleted yet when it was interrupted, are never read twice (see compaction).
    if store.is_local:
        paths = ", ".join(_quote(file.path) for file in files)
        options = "hive_partitioning = true, hive_types = {'day': DATE}"
        con.execute(f"CREATE TEMP VIEW events AS SELECT * FROM read_parquet([{paths}], {options})")  # noqa: S608
        return
    # An object store: DuckDB scans a pyarrow dataset over the same pyarrow filesystem that
    # wrote the files, so no DuckDB extension or second set of credentials is needed.
    dataset = pads.dataset(
        [file.path for file in files],
        schema=schema.EVENTS.append(pa.field("day", pa.date32())),
        filesystem=store.filesystem,
        format="parquet",
        partitioning=pads.partitioning(pa.schema([("day", pa.date32())]), flavor="hive"),
        partition_base_dir=store.path(EVENTS),
    )
    con.register("events_dataset", dataset)
    con.execute("CREATE TEMP VIEW events AS SELECT * FROM events_dataset")


def _snapshot_view(con: duckdb.DuckDBPyConnection, store: Warehouse, table: str) -> None:
    name = f"{table}.parquet"
    if not store.exists(SNAPSHOTS, name):
        con.execute(f"CREATE TEMP VIEW {table} AS " + schema.empty_select(schema.SNAPSHOTS[table]))
        return
    if store.is_local:
        source = f"read_parquet({_quote(store.path(SNAPSHOTS, name))})"
        con.execute(f"CREATE TEMP VIEW {table} AS SELECT * FROM {source}")  # noqa: S608
        return
    dataset = pads.dataset(store.path(SNAPSHOTS, name), filesystem=store.filesystem)
    con.register(f"{table}_dataset", dataset)
    con.execute(f"CREATE TEMP VIEW {table} AS SELECT * FROM {table}_dataset")  # noqa: S608


_databases: dict[tuple[int, str], duckdb.DuckDBPyConnection] = {}
_databases_lock = threading.Lock()


def _database() -> duckdb.DuckDBPyConnection:
    """The process's in-memory DuckDB for the current limits, opened once. Each `connect()`
    is a connection (cursor) to it: the limits hold for the process as a whole (two requests
    share the threads and the memory instead of doubling them), and the Parquet footers
    read once stay cached (`parquet_metadata_cache`, checked against the file's modification
    time), which saves re-reading the metadata of every day file on every request."""
    key = (settings.ANALYTICS_DUCKDB_THREADS, settings.ANALYTICS_DUCKDB_MEMORY)
    with _databases_lock:
        database = _databases.get(key)
        if database is None:
            database = duckdb.connect(
                ":memory:", config={"threads": key[0], "memory_limit": key[1]}
            )
            # (the Parquet extension loads after the config, so this is a SET, not config)
            database.execute("SET parquet_metadata_cache = true")
            _databases[key] = database
    return database


def connect() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection over the warehouse, with its limits set; its views are its own
    (temporary), over the files as they are now. Close it when done."""
    con = _database().cursor()
    # TIMESTAMPTZ values come back, cast to DATE and truncate in UTC, like the `day` folders.
    # (ICU is built into the wheel but loads after the config, so this is a SET, not config.)
    con.execute("SET TimeZone = 'UTC'")
    store = warehouse()
    _events_view(con, store)
    for table in schema.SNAPSHOTS:
        _snapshot_view(con, store, table)
    return con


def run_query(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: Sequence[Any] | dict[str, Any] | None = None,
    *,
    timeout: float | None = None,
    max_rows: int | None = None,
) -> list[tuple[Any, ...]]:
    """Run `sql` and return its rows; interrupt it after `timeout` seconds (QueryTimedOut) and
    refuse more than `max_rows` rows (QueryTooLarge)."""
    seconds = settings.ANALYTICS_QUERY_TIMEOUT_SECONDS if timeout is None else timeout
    cap = settings.ANALYTICS_QUERY_MAX_ROWS if max_rows is None else max_rows
    guard = threading.Lock()
    running = [True]

    def stop() -> None:
        # Only while this query runs: an interrupt arriving after it finished must not hit
        # the connection's next query.
        with guard:
            if running[0]:
                con.interrupt()

    timer = threading.Timer(seconds, stop)
    timer.daemon = True
    timer.start()
    try:
        result = con.execute(sql, params) if params is not None else con.execute(sql)
        rows = result.fetchmany(cap + 1)
    except duckdb.InterruptException as interrupted:
        raise QueryTimedOut(
            _("The query took longer than %(seconds)s seconds; choose a shorter range.")
            % {"seconds": seconds}
        ) from interrupted
    finally:
        with guard:
            running[0] = False
        timer.cancel()
    if len(rows) > cap:
        raise QueryTooLarge(
            _("The query returns more than %(rows)s rows; narrow it down.") % {"rows": cap}
        )
    return rows
