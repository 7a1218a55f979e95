"""`circlemart analytics export`, the celery task and an object-store warehouse."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from circlemart.analytics.warehouse import duck, tasks
from circlemart.analytics.warehouse.duck import run_query
from circlemart.analytics.warehouse.layout import warehouse
from tests.analytics.warehouse.helpers import exported_ids, record

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 9, 1, 8, tzinfo=UTC)


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("analytics", "export", "--no-progress", *args, stdout=out)
    return out.getvalue()


def test_the_command_reports_what_it_exported_and_resumes(warehouse_dir: Path) -> None:
    first = record([DAY, DAY + timedelta(days=1), DAY + timedelta(days=1, hours=1)])

    output = export("--chunk-rows", "2")

    assert ": 3 events after id 0." in output
    assert f"Events: 3 exported in 3 files; position {first[-1]}." in output
    assert "Snapshot sessions: 0 rows." in output
    more = record([DAY + timedelta(days=2)])

    again = export()

    assert f"1 events after id {first[-1]}" in again
    assert f"Events: 1 exported in 1 files; position {more[0]}." in again
    assert exported_ids(warehouse_dir) == first + more


def test_rebuild_exports_everything_again_once(warehouse_dir: Path) -> None:
    ids = record([DAY, DAY + timedelta(days=1)])
    export()

    output = export("--rebuild")

    assert "Deleting the exported events" in output
    assert ": 2 events after id 0." in output
    assert "Events: 2 exported in 2 files" in output
    assert exported_ids(warehouse_dir) == ids


def test_the_progress_bar_counts_events(warehouse_dir: Path) -> None:
    record([DAY + timedelta(minutes=minute) for minute in range(4)])
    out = io.StringIO()

    call_command("analytics", "export", "--chunk-rows", "2", stdout=out)

    assert "4/4" in out.getvalue()


def test_a_bad_chunk_size_is_refused() -> None:
    with pytest.raises(CommandError, match="at least 1"):
        export("--chunk-rows", "0")


def test_the_celery_tasks_export_and_keep_partitions(warehouse_dir: Path, settings: Any) -> None:
    ids = record([DAY])

    tasks.export_task.delay()

    assert exported_ids(warehouse_dir) == ids
    # PostgreSQL: the September event waits in the default partition until the task creates
    # its month; SQLite has no partitions.
    assert tasks.ensure_partitions_task.delay().get() == (1 if settings.IS_POSTGRES else 0)


def test_an_object_store_url_is_written_and_read_through_pyarrow_fs(settings: Any) -> None:
    """mock:// is pyarrow's in-memory filesystem: the same code path as s3://bucket/prefix."""
    bucket = f"bucket-{uuid.uuid4().hex[:8]}"
    settings.ANALYTICS_WAREHOUSE_DIR = f"mock:///{bucket}/circlemart"
    ids = record([DAY, DAY + timedelta(days=1)], amount=300)

    duck.sync()

    store = warehouse()
    assert (store.is_local, store.root) == (False, f"{bucket}/circlemart")
    assert store.uri("events") == f"mock://{bucket}/circlemart/events"
    assert store.exists("events", "day=2026-09-02", f"part-{ids[1]:012d}-{ids[1]:012d}.parquet")
    assert store.exists("snapshots", "sessions.parquet")
    con = duck.connect()
    assert run_query(
        con, "SELECT day, count(*), sum(amount) FROM events GROUP BY 1 ORDER BY 1"
    ) == [
        (DAY.date(), 1, 300),
        ((DAY + timedelta(days=1)).date(), 1, 300),
    ]
    assert run_query(con, "SELECT count(*) FROM sessions") == [(0,)]
    assert run_query(con, "SELECT count(*) FROM products") == [(0,)]
