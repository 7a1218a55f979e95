"""Reads of growth goals: the daily values of a goal's metric and what its page shows."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Max, Min, QuerySet

from circlemart.analytics.metrics.selectors import metric_series
from circlemart.analytics.models import DailyMetric, GrowthGoal


def daily_values(*, metric: str, start: date, end: date) -> list[tuple[date, float]]:
    """The metric's overall daily values from `start` to `end`, ascending, as the metrics
    selectors give them (a count or an amount is 0 on a day the rollup wrote no row for).

    Trimmed to what the rollup has covered, so a goal never reads zeros that only mean "not
    computed": from the metric's first row in the range, to the newest day any metric has."""
    rows = DailyMetric.objects.filter(metric=metric, dimension="", dimension_value="")
    first = rows.filter(day__range=(start, end)).aggregate(first=Min("day"))["first"]
    covered = DailyMetric.objects.filter(day__lte=end).aggregate(last=Max("day"))["last"]
    if first is None or covered is None:
        return []
    return metric_series(metric=metric, start=first, end=min(end, covered))


def goals_listed() -> QuerySet[GrowthGoal]:
    return GrowthGoal.objects.select_related("owner").order_by("deadline", "pk")


def goal_by_id(goal_id: int) -> GrowthGoal | None:
    return GrowthGoal.objects.select_related("owner").filter(pk=goal_id).first()


def goal_window(goal: GrowthGoal, *, today: date) -> tuple[date, date]:
    """(first, last) day of the values a forecast is fitted on: the last
    ANALYTICS_GOALS_FIT_DAYS complete days (yesterday is the newest), never past the deadline."""
    last_day = min(today - timedelta(days=1), goal.deadline)
    return last_day - timedelta(days=int(settings.ANALYTICS_GOALS_FIT_DAYS) - 1), last_day
