"""Recompute the daily metrics of a range of days from the warehouse.

`circlemart analytics rollup --start 2026-01-01 --end 2026-03-31 [--no-sync]`: the warehouse
is synced first (new events exported, snapshots refreshed), then the range is rolled up in
chunks of days, each chunk replacing its rows in one transaction; running it again gives the
same table. Without dates: yesterday and today.
"""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import date, timedelta
from typing import Any, TextIO

from django.core.management.base import CommandError
from django.utils import timezone
from tqdm import tqdm

from circlemart.analytics.metrics import services
from circlemart.analytics.warehouse import duck
from circlemart.core import clock
from circlemart.core.errors import ValidationFailed


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as bad:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text!r}") from bad


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--start", type=str, default="", help="First day (YYYY-MM-DD).")
    parser.add_argument("--end", type=str, default="", help="Last day (YYYY-MM-DD).")
    parser.add_argument(
        "--days-per-chunk", type=int, default=31, help="Days rolled up per transaction."
    )
    parser.add_argument("--no-sync", action="store_true", help="Use the warehouse as it is.")
    parser.add_argument("--no-progress", action="store_true", help="No progress bar.")


def run(options: dict[str, Any], stdout: TextIO) -> None:
    today = timezone.localdate(clock.now())
    end = _day(options["end"]) if options.get("end") else today
    start = _day(options["start"]) if options.get("start") else end - timedelta(days=1)
    chunk = options.get("days_per_chunk")
    chunk = 31 if chunk is None else chunk
    if start > end:
        raise CommandError("--start must not be after --end.")
    if chunk < 1:
        raise CommandError("--days-per-chunk must be at least 1.")
    if not options.get("no_sync"):
        stdout.write("Syncing the warehouse…\n")
        if duck.sync() is None:
            stdout.write("Another sync is running; rolling up the warehouse as it is.\n")
    days = (end - start).days + 1
    stdout.write(f"Rolling up {days} days, {start} to {end}.\n")
    bar = tqdm(
        total=days, unit="day", file=stdout, disable=bool(options.get("no_progress")), mininterval=1
    )

    def advance(chunk_start: date, chunk_end: date, rows: int) -> None:
        bar.update((chunk_end - chunk_start).days + 1)
        bar.set_postfix(day=str(chunk_end), rows=rows, refresh=False)

    try:
        with bar:
            rows = services.daily_metrics_rollup_chunked(
                start=start, end=end, days_per_chunk=chunk, progress=advance
            )
    except ValidationFailed as refused:
        raise CommandError(str(refused.message)) from refused
    stdout.write(f"Daily metrics: {rows} rows written for {start} to {end}.\n")
