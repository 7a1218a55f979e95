"""The event files as readers should see them, and the merging of a finished day's small
files into one.

Every export run adds one file per day it touched, so a day accumulates many small files
(one per run). Once the day is over they are merged into part-<first id>-<last id>.parquet
covering them all; the merged file is written first, then the small ones deleted. A crash in
between leaves files whose id range lies inside the merged one's: `event_files()` leaves
those out (so no reader ever counts a row twice) and the next compaction deletes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyarrow import fs as pafs

from circlemart.analytics.warehouse import schema
from circlemart.analytics.warehouse.layout import EVENTS, Warehouse, warehouse

_DAY_FOLDER = re.compile(r"^day=(\d{4}-\d{2}-\d{2})$")
_PART = re.compile(r"^part-(\d+)-(\d+)\.parquet$")


@dataclass(frozen=True)
class EventFile:
    path: str
    day: date
    first: int
    last: int

    def covers(self, other: EventFile) -> bool:
        return (
            self is not other
            and self.day == other.day
            and self.first <= other.first
            and other.last <= self.last
            and (self.first, self.last) != (other.first, other.last)
        )


def _all_files(store: Warehouse) -> list[EventFile]:
    if not store.exists(EVENTS):
        return []
    found = []
    selector = pafs.FileSelector(store.path(EVENTS), recursive=True)
    for info in store.filesystem.get_file_info(selector):
        if info.type != pafs.FileType.File:
            continue
        folder = info.path.rstrip("/").rsplit("/", 2)[-2]
        day, part = _DAY_FOLDER.match(folder), _PART.match(info.base_name)
        if day and part:
            found.append(
                EventFile(
                    path=info.path,
                    day=date.fromisoformat(day.group(1)),
                    first=int(part.group(1)),
                    last=int(part.group(2)),
                )
            )
    return sorted(found, key=lambda file: (file.day, file.first, file.last))


def _split(files: list[EventFile]) -> tuple[list[EventFile], list[EventFile]]:
    """(files to read, files left behind by an interrupted compaction)."""
    by_day: dict[date, list[EventFile]] = {}
    for file in files:
        by_day.setdefault(file.day, []).append(file)
    live: list[EventFile] = []
    covered: list[EventFile] = []
    for same_day in by_day.values():
        for file in same_day:
            is_covered = any(other.covers(file) for other in same_day)
            (covered if is_covered else live).append(file)
    return live, covered


def event_files(store: Warehouse | None = None) -> list[EventFile]:
    """The event files a reader should scan, in day and id order."""
    return _split(_all_files(store or warehouse()))[0]


def events_compact(*, before: date) -> int:
    """Merge the files of every day before `before` that has several into one; returns how
    many days were merged."""
    store = warehouse()
    live, leftovers = _split(_all_files(store))
    for file in leftovers:
        store.delete_file(file.path)
    by_day: dict[date, list[EventFile]] = {}
    for file in live:
        by_day.setdefault(file.day, []).append(file)
    merged = 0
    for day, files in sorted(by_day.items()):
        if day >= before or len(files) < 2:
            continue
        table = pa.concat_tables(
            pq.read_table(file.path, filesystem=store.filesystem, schema=schema.EVENTS)
            for file in files
        )
        table = table.take(pc.sort_indices(table, sort_keys=[("id", "ascending")]))
        first, last = files[0].first, max(file.last for file in files)
        name = f"part-{first:012d}-{last:012d}.parquet"
        store.write_table(table, EVENTS, f"day={day.isoformat()}", name)
        for file in files:
            if file.path.rsplit("/", 1)[-1] != name:
                store.delete_file(file.path)
        merged += 1
    return merged
