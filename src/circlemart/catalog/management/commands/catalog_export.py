"""`circlemart catalog_export path.csv [--category slug]`: the catalog in the import format."""

from __future__ import annotations

import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from circlemart.catalog.csv_io import export_catalog
from circlemart.catalog.management.commands.catalog_import import TqdmProgress
from circlemart.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Export products and active SKUs as a catalog CSV that catalog_import reads back "
        "(UTF-8 with a BOM, so spreadsheets show Chinese text correctly)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path, help="the CSV file to write")
        parser.add_argument("--category", help="only this category (slug) and its subcategories")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent}: no such directory")
        progress = TqdmProgress(enabled=not options["no_progress"])
        # Written beside the target and renamed at the end: a failed export leaves no stub.
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            with partial.open("x", encoding="utf-8-sig", newline="") as stream:
                rows = export_catalog(stream, category_slug=options["category"], progress=progress)
            partial.replace(path)
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        finally:
            progress.close()
            partial.unlink(missing_ok=True)
        self.stdout.write(f"{rows} SKU rows written to {path}")
