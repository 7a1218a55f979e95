"""`circlemart catalog_import path.csv [--dry-run]`: products, SKUs and stock from a CSV."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from circlemart.catalog.csv_io import ImportReport, import_catalog

STEPS = {
    "check": ("checking", "B"),
    "write": ("writing", "row"),
    "export": ("exporting", "product"),
}


class TqdmProgress:
    """Draws csv_io progress on stderr, one bar per step."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None

    def start(self, step: str, total: int | None) -> None:
        self.close()
        description, unit = STEPS.get(step, (step, "it"))
        self.bar = tqdm(
            total=total,
            desc=description,
            unit=unit,
            unit_scale=unit == "B",
            disable=not self.enabled,
        )

    def advance(self, amount: int) -> None:
        if self.bar is not None:
            self.bar.update(amount)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Command(BaseCommand):
    help = (
        "Import products, SKUs and stock from a catalog CSV (docs/catalog-csv.md). The whole "
        "file is checked first; a file with any bad row imports nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path, help="UTF-8 CSV file, one row per SKU")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument(
            "--show-errors", type=int, default=50, help="how many errors to print (default 50)"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        progress = TqdmProgress(enabled=not options["no_progress"])
        try:
            with path.open("rb") as stream:
                report = import_catalog(stream, dry_run=options["dry_run"], progress=progress)
        finally:
            progress.close()
        self._print(report, limit=options["show_errors"])
        if report.errors:
            raise CommandError(f"{len(report.errors)} errors; nothing was imported.")

    def _print(self, report: ImportReport, *, limit: int) -> None:
        for error in report.errors[:limit]:
            where = f"line {error.line}" + (f", {error.column}" if error.column else "")
            self.stderr.write(f"{where}: {error.message}")
        if len(report.errors) > limit:
            self.stderr.write(f"… and {len(report.errors) - limit} more errors")
        if report.errors:
            return
        counts = (
            f"{report.products_created} products and {report.skus_created} SKUs, "
            f"update {report.products_updated} products and {report.skus_updated} SKUs"
        )
        if report.dry_run:
            self.stdout.write(
                f"Dry run, nothing written. {report.rows} rows checked: would create {counts}."
            )
        else:
            self.stdout.write(f"{report.rows} rows imported: did create {counts}.")
