"""Export new events to Parquet and refresh the warehouse snapshots (resumable).

`circlemart analytics export [--chunk-rows N] [--rebuild]`: run it again after a crash and it
continues where it stopped; `--rebuild` deletes the exported events and starts from id 0.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any, TextIO

from django.core.management.base import CommandError
from tqdm import tqdm

from circlemart.analytics.models import Event, JobCursor
from circlemart.analytics.warehouse import duck, export
from circlemart.analytics.warehouse.layout import warehouse


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--chunk-rows", type=int, default=None, help="Events read per chunk (default: setting)."
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="Delete the exported events and export all again."
    )
    parser.add_argument("--no-progress", action="store_true", help="No progress bar.")


def run(options: dict[str, Any], stdout: TextIO) -> None:
    chunk_rows = options.get("chunk_rows")
    if chunk_rows is not None and chunk_rows < 1:
        raise CommandError("--chunk-rows must be at least 1.")
    rebuild = bool(options.get("rebuild"))
    store = warehouse()
    position = JobCursor.objects.filter(job=export.CURSOR_JOB).values_list("position", flat=True)
    start = 0 if rebuild else (position.first() or 0)
    if rebuild:
        stdout.write("Deleting the exported events; exporting from the start.\n")
    waiting = Event.objects.filter(id__gt=start).count()
    stdout.write(f"Exporting to {store.uri()}: {waiting} events after id {start}.\n")
    bar = tqdm(
        total=waiting,
        unit="event",
        file=stdout,
        disable=bool(options.get("no_progress")),
        mininterval=1.0,
    )

    def advance(rows: int, position: int) -> None:
        bar.update(rows)
        bar.set_postfix(position=position, refresh=False)

    with bar:
        result = duck.sync(chunk_rows=chunk_rows, progress=advance, rebuild=rebuild)
    if result is None:
        raise CommandError("Another export is running; try again when it has finished.")
    events = result.events
    stdout.write(
        f"Events: {events.rows} exported in {events.files} files; position {events.position}.\n"
    )
    stdout.write(f"Days merged into one file: {result.days_merged}.\n")
    for table, rows in result.snapshots.items():
        stdout.write(f"Snapshot {table}: {rows} rows.\n")
