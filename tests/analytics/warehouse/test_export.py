"""The incremental Parquet export: one folder per UTC day, exactly once, resumable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from circlemart.analytics.models import Event, JobCursor
from circlemart.analytics.warehouse import export
from circlemart.analytics.warehouse.layout import Warehouse, warehouse
from circlemart.core import clock
from tests.analytics.warehouse.helpers import exported_files, exported_ids, record

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 11, 3, tzinfo=UTC)


def part(day: str, first: int, last: int) -> str:
    return f"events/day={day}/part-{first:012d}-{last:012d}.parquet"


def test_each_utc_day_gets_its_own_folder_with_exactly_its_rows(warehouse_dir: Path) -> None:
    ids = record(
        [
            DAY + timedelta(hours=1),
            DAY + timedelta(hours=23, minutes=59, seconds=59, microseconds=999_999),
            DAY + timedelta(days=1),  # midnight UTC belongs to the next day
            DAY + timedelta(days=1, hours=5),
            DAY + timedelta(days=1, hours=6),
            # 07:30 on Nov 6 in Shanghai is still Nov 5 in UTC: days are UTC days
            datetime(2026, 11, 6, 7, 30, tzinfo=ZoneInfo("Asia/Shanghai")),
        ]
    )

    result = export.events_export()

    assert (result.rows, result.files, result.position) == (6, 3, ids[-1])
    assert exported_files(warehouse_dir) == [
        part("2026-11-03", ids[0], ids[1]),
        part("2026-11-04", ids[2], ids[4]),
        part("2026-11-05", ids[5], ids[5]),
    ]
    counts = {
        path.parent.name: pq.read_table(path).num_rows
        for path in (warehouse_dir / "events").rglob("*.parquet")
    }
    assert counts == {"day=2026-11-03": 2, "day=2026-11-04": 3, "day=2026-11-05": 1}
    assert JobCursor.objects.get(job="warehouse.events").position == ids[-1]


def test_the_file_keeps_every_column_with_its_type() -> None:
    [event_id] = record([DAY + timedelta(hours=3)], amount=12_990, currency="CNY")
    Event.objects.filter(id=event_id).update(properties={"coupon": "秋季", "items": 2})
    stored = Event.objects.get(id=event_id)

    export.events_export()

    [path] = Path(warehouse().path("events")).rglob("*.parquet")
    table = pq.read_table(path)
    assert table.schema.field("occurred_at").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("user_id").type == pa.int64()
    assert table.schema.field("amount").type == pa.int64()
    assert table.to_pylist() == [
        {
            "id": event_id,
            "event_id": str(stored.event_id),
            "name": "order_paid",
            "origin": "server",
            "occurred_at": DAY + timedelta(hours=3),
            "received_at": stored.received_at,
            "user_id": 7,
            "anonymous_id": "",
            "session_id": "",
            "object_type": "order",
            "object_id": "CM0",
            "amount": 12_990,
            "currency": "CNY",
            "properties": '{"coupon":"秋季","items":2}',
        }
    ]


def test_a_second_run_exports_only_what_is_new(warehouse_dir: Path) -> None:
    first = record([DAY, DAY + timedelta(hours=1)])
    export.events_export()
    second = record([DAY + timedelta(hours=2)])

    result = export.events_export()
    again = export.events_export()

    assert (result.rows, result.files) == (1, 1)
    assert (again.rows, again.files, again.position) == (0, 0, second[-1])
    assert exported_ids(warehouse_dir) == first + second
    assert exported_files(warehouse_dir) == [
        part("2026-11-03", first[0], first[1]),
        part("2026-11-03", second[0], second[0]),
    ]


def test_rows_are_read_in_chunks_of_the_given_size(warehouse_dir: Path) -> None:
    ids = record([DAY + timedelta(minutes=minute) for minute in range(5)])
    progress: list[tuple[int, int]] = []

    result = export.events_export(
        chunk_rows=2, on_chunk=lambda rows, at: progress.append((rows, at))
    )

    assert result.rows == 5
    assert progress == [(2, ids[1]), (2, ids[3]), (1, ids[4])]
    assert exported_files(warehouse_dir) == [
        part("2026-11-03", ids[0], ids[1]),
        part("2026-11-03", ids[2], ids[3]),
        part("2026-11-03", ids[4], ids[4]),
    ]


def _crash_on_save(monkeypatch: pytest.MonkeyPatch, *, when: str) -> list[str]:
    """Make the cursor's next save of kind `when` ("announce": the pending range, "commit":
    the new position) raise once, as a crash at that point would."""
    crashed: list[str] = []
    real_save = JobCursor.save

    def save(self: JobCursor, *args: Any, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields") or []
        kind = "commit" if "position" in fields else "announce"
        if kind == when and not crashed:
            crashed.append(kind)
            raise RuntimeError("worker killed")
        real_save(self, *args, **kwargs)

    monkeypatch.setattr(JobCursor, "save", save)
    return crashed


@pytest.mark.parametrize("when", ["announce", "commit"])
def test_a_crash_then_a_rerun_exports_every_row_exactly_once(
    warehouse_dir: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    before = record([DAY + timedelta(minutes=minute) for minute in range(3)])
    crashed = _crash_on_save(monkeypatch, when=when)
    with pytest.raises(RuntimeError, match="worker killed"):
        export.events_export(chunk_rows=2)
    # More events arrive before the rerun, on the same day as the interrupted chunk.
    after = record([DAY + timedelta(minutes=30), DAY + timedelta(days=1)])

    result = export.events_export(chunk_rows=2)

    assert crashed == [when]
    assert exported_ids(warehouse_dir) == before + after
    assert JobCursor.objects.get(job="warehouse.events").position == after[-1]
    assert result.rows == 5
    assert not list(warehouse_dir.rglob(".tmp-*"))


def test_a_crash_while_writing_leaves_no_half_file_and_the_rerun_completes(
    warehouse_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = record([DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)])
    real_write = Warehouse.write_table
    written: list[tuple[str, ...]] = []

    def write_table(self: Warehouse, table: pa.Table, *parts: str) -> None:
        if len(written) == 1:
            written.append(parts)
            raise OSError("disk full")
        written.append(parts)
        real_write(self, table, *parts)

    monkeypatch.setattr(Warehouse, "write_table", write_table)
    with pytest.raises(OSError, match="disk full"):
        export.events_export()
    assert exported_ids(warehouse_dir) == ids[:1]
    monkeypatch.setattr(Warehouse, "write_table", real_write)

    export.events_export()

    assert exported_ids(warehouse_dir) == ids
    assert len(exported_files(warehouse_dir)) == 3


def test_rows_received_within_the_grace_period_wait_and_are_not_skipped(
    warehouse_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A younger row stops the export even when older-received rows follow it: on PostgreSQL
    its transaction may still hide lower ids that commit late."""
    now = clock.now()
    old, young, old_again = record([DAY, DAY + timedelta(hours=1), DAY + timedelta(hours=2)])
    Event.objects.filter(id__in=[old, old_again]).update(received_at=now - timedelta(minutes=5))
    Event.objects.filter(id=young).update(received_at=now - timedelta(seconds=10))

    first = export.events_export(grace=timedelta(seconds=60))

    assert (first.rows, first.position) == (1, old)
    assert exported_ids(warehouse_dir) == [old]

    monkeypatch.setattr(clock, "now", lambda: now + timedelta(seconds=61))
    second = export.events_export(grace=timedelta(seconds=60))

    assert (second.rows, second.position) == (2, old_again)
    assert exported_ids(warehouse_dir) == [old, young, old_again]


def test_the_grace_period_is_only_needed_where_commits_can_overtake_ids(settings: Any) -> None:
    settings.ANALYTICS_EXPORT_GRACE_SECONDS = 45
    expected = timedelta(seconds=45) if settings.IS_POSTGRES else timedelta(0)

    assert export.grace_period() == expected


def test_reset_deletes_the_export_and_the_next_run_starts_over(warehouse_dir: Path) -> None:
    ids = record([DAY, DAY + timedelta(days=1)])
    export.events_export()

    export.events_export_reset()

    assert exported_files(warehouse_dir) == []
    assert not JobCursor.objects.filter(job="warehouse.events").exists()
    assert export.events_export().rows == 2
    assert exported_ids(warehouse_dir) == ids
