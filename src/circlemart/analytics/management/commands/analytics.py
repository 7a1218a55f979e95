"""`circlemart analytics <job>`: the analytics jobs (export, rollup, imports, reports).

Each job lives in its own room and exposes `add_arguments(parser)` and
`run(options, stdout)`; this command only dispatches.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

JOBS = {
    "import-online-retail": "circlemart.analytics.importers.online_retail_job",
    "export": "circlemart.analytics.warehouse.job",
    "rollup": "circlemart.analytics.metrics.job",
    "goals": "circlemart.analytics.goals.job",
    "send-reports": "circlemart.analytics.dashboards.reports_job",
}


def _available_jobs() -> dict[str, Any]:
    jobs = {}
    for name, module_path in JOBS.items():
        try:
            jobs[name] = importlib.import_module(module_path)
        except ModuleNotFoundError as missing:
            if missing.name is None or not module_path.startswith(missing.name):
                raise
    return jobs


class Command(BaseCommand):
    help = "Analytics jobs: export the event log, roll up daily metrics, import data sets."

    def add_arguments(self, parser: CommandParser) -> None:
        jobs = parser.add_subparsers(dest="job", required=True, parser_class=CommandParser)
        for name, module in _available_jobs().items():
            job_parser = jobs.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
            module.add_arguments(job_parser)

    def handle(self, *args: Any, **options: Any) -> None:
        _available_jobs()[options["job"]].run(options, self.stdout)
