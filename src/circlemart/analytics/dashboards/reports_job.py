"""Email every due dashboard report (ReportSubscription) once today."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import CommandParser

from circlemart.analytics.dashboards.reports import reports_send_due


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--date",
        type=date.fromisoformat,
        default=None,
        help="Send as if today were this day (YYYY-MM-DD); default: today.",
    )


def run(options: dict[str, Any], stdout: Any) -> None:
    sent = reports_send_due(on=options.get("date"))
    stdout.write(f"{sent} report(s) sent\n")
