"""Import the UCI Online Retail data set (CC BY 4.0) as customers, products, orders, refunds
and their historical analytics events; resumable, and a rerun adds nothing."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import CommandError

from circlemart.analytics.importers.online_retail import DEFAULT_CHUNK, online_retail_import
from circlemart.core.errors import ValidationFailed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="online_retail.csv or online_retail.csv.gz")
    parser.add_argument(
        "--chunk-size",
        type=int,
        default=DEFAULT_CHUNK,
        help=f"Invoices per transaction (default {DEFAULT_CHUNK}).",
    )
    parser.add_argument("--no-progress", action="store_true", help="No progress bar.")


def run(options: dict[str, Any], stdout: TextIO) -> None:
    if options["chunk_size"] < 1:
        raise CommandError("--chunk-size must be at least 1.")
    try:
        report = online_retail_import(
            path=options["path"],
            chunk_size=options["chunk_size"],
            progress=None if options["no_progress"] else stdout,
        )
    except ValidationFailed as refusal:
        raise CommandError(f"{refusal.field}: {refusal.message}") from refusal
    dropped = ", ".join(f"{rule} {count}" for rule, count in report.dropped.items())
    stdout.write(
        f"{report.job}: {report.documents} invoices and credit notes "
        f"({report.done_before} imported before this run); {report.customers} customers, "
        f"{report.products} products; {report.orders} orders and {report.events} events "
        f"stored now, in {report.seconds:.1f} s.\n"
        f"Rows dropped by the cleaning rules: {dropped}.\n"
    )
