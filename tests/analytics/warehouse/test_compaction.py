"""A finished day's small files are merged into one; readers never count a row twice, even
when a merge was interrupted half-way."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from circlemart.analytics.warehouse import compaction, duck, export
from circlemart.analytics.warehouse.duck import run_query
from circlemart.analytics.warehouse.layout import Warehouse
from circlemart.core import clock
from tests.analytics.warehouse.helpers import exported_files, exported_ids, record

pytestmark = pytest.mark.django_db

OLD_DAY = datetime(2026, 8, 10, 9, tzinfo=UTC)


def part(day: str, first: int, last: int) -> str:
    return f"events/day={day}/part-{first:012d}-{last:012d}.parquet"


def _three_runs() -> list[int]:
    ids: list[int] = []
    for minute in range(3):
        ids += record([OLD_DAY + timedelta(minutes=minute)])
        export.events_export()
    return ids


def test_a_finished_day_is_merged_into_one_file(warehouse_dir: Path) -> None:
    ids = _three_runs()
    today = record([clock.now()])
    export.events_export()
    assert len(exported_files(warehouse_dir)) == 4

    merged = compaction.events_compact(before=date(2026, 8, 11))

    assert merged == 1
    day_of_today = clock.now().astimezone(UTC).date().isoformat()
    assert exported_files(warehouse_dir) == sorted(
        [part("2026-08-10", ids[0], ids[2]), part(day_of_today, today[0], today[0])]
    )
    assert exported_ids(warehouse_dir) == ids + today
    assert compaction.events_compact(before=date(2026, 8, 11)) == 0


def test_an_interrupted_merge_is_never_read_twice_and_is_finished_later(
    warehouse_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _three_runs()
    real_delete = Warehouse.delete_file

    def killed(self: Warehouse, path: str) -> None:
        raise OSError("killed")

    monkeypatch.setattr(Warehouse, "delete_file", killed)
    with pytest.raises(OSError, match="killed"):
        compaction.events_compact(before=date(2026, 8, 11))
    monkeypatch.setattr(Warehouse, "delete_file", real_delete)
    assert len(exported_files(warehouse_dir)) == 4  # the merged file and the three it holds

    con = duck.connect()
    assert run_query(con, "SELECT count(*), count(DISTINCT id) FROM events") == [(3, 3)]
    assert [file.path.rsplit("/", 1)[-1] for file in compaction.event_files()] == [
        f"part-{ids[0]:012d}-{ids[2]:012d}.parquet"
    ]

    compaction.events_compact(before=date(2026, 8, 11))

    assert exported_files(warehouse_dir) == [part("2026-08-10", ids[0], ids[2])]


def test_sync_merges_days_before_yesterday_only(
    warehouse_dir: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    now = datetime(2026, 8, 12, 10, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: now)
    for moment in [OLD_DAY, OLD_DAY + timedelta(days=1)]:  # Aug 10 and Aug 11 (yesterday)
        record([moment])
        duck.sync()
        record([moment + timedelta(hours=1)])
        duck.sync()

    day_files = sorted(path.parent.name for path in (warehouse_dir / "events").rglob("*.parquet"))

    assert day_files == ["day=2026-08-10", "day=2026-08-11", "day=2026-08-11"]
    assert run_query(duck.connect(), "SELECT count(*) FROM events") == [(4,)]
