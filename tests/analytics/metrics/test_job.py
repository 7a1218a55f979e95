"""`circlemart analytics rollup` and the hourly task: sync the warehouse, then roll up."""

from __future__ import annotations

from datetime import date, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from circlemart.analytics.metrics.tasks import rollup_task
from circlemart.analytics.models import DailyMetric
from circlemart.analytics.warehouse import duck
from circlemart.core import clock
from tests.analytics.metrics.world import SHANGHAI, build_world

pytestmark = pytest.mark.django_db


def gmv_days() -> dict[date, float]:
    return dict(DailyMetric.objects.filter(metric="gmv", dimension="").values_list("day", "value"))


def test_the_job_syncs_and_rolls_up_the_range_in_chunks() -> None:
    build_world()
    out = StringIO()

    call_command(
        "analytics",
        "rollup",
        "--start",
        "2026-03-01",
        "--end",
        "2026-03-08",
        "--days-per-chunk",
        "3",
        "--no-progress",
        stdout=out,
    )

    assert gmv_days() == {date(2026, 3, 1): 10000, date(2026, 3, 2): 5000, date(2026, 3, 8): 8000}
    rows = DailyMetric.objects.count()
    assert f"Daily metrics: {rows} rows written for 2026-03-01 to 2026-03-08." in out.getvalue()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--start", "2026-03-08", "--end", "2026-03-01"], "--start must not be after --end."),
        (["--start", "March"], "Not a date (YYYY-MM-DD): 'March'"),
        (["--days-per-chunk", "0"], "--days-per-chunk must be at least 1."),
    ],
)
def test_bad_job_arguments_are_refused(arguments: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("analytics", "rollup", *arguments, "--no-progress", stdout=StringIO())
    assert DailyMetric.objects.count() == 0


def test_the_hourly_task_rolls_up_yesterday_and_today(monkeypatch: pytest.MonkeyPatch) -> None:
    build_world()
    duck.sync()  # before the clock turns back: the export leaves events "from the future"
    # 00:30 on D2 in Shanghai is still D1 in UTC: "today" is the shop's day, D2
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 3, 2, 0, 30, tzinfo=SHANGHAI))

    rollup_task.delay()

    assert gmv_days() == {date(2026, 3, 1): 10000, date(2026, 3, 2): 5000}
