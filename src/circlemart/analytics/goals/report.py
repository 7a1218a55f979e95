"""What a goal's page shows: the actual series, the path to the target and the forecast band,
as plain data and as a Plotly figure (JSON, rendered by the page's static script)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import plotly.graph_objects as go
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from circlemart.analytics.goals import selectors
from circlemart.analytics.goals.forecast import forecast_value, path_value
from circlemart.analytics.models import GrowthGoal
from circlemart.core import clock

# At most this many forecast points are drawn between the last actual day and the deadline.
FORECAST_POINTS = 60


@dataclass(frozen=True)
class ForecastPoint:
    day: date
    value: float
    low: float
    high: float


@dataclass(frozen=True)
class GoalReport:
    goal: GrowthGoal
    actual: list[tuple[date, float]]  # daily values, or the running total of a total goal
    path: list[tuple[date, float]]  # start → deadline
    forecast: list[ForecastPoint]  # after the last actual day, up to the deadline
    scale: float  # stored units per displayed unit (money: 100)


def goal_report(goal: GrowthGoal, *, today: date | None = None, scale: float = 1.0) -> GoalReport:
    today = today or timezone.localdate(clock.now())
    fit_start, last_day = selectors.goal_window(goal, today=today)
    is_total = goal.aggregation == GrowthGoal.Aggregation.PERIOD_TOTAL
    shown_from = goal.start_date if is_total else min(goal.start_date, fit_start)
    values = selectors.daily_values(metric=goal.metric, start=shown_from, end=last_day)
    if is_total:
        running, actual = 0.0, []
        for day, value in values:
            running += value
            actual.append((day, running))
        path_from = 0.0
    else:
        actual = values
        path_from = goal.baseline_value if goal.baseline_value is not None else goal.target_value
    path = [
        (
            day,
            path_value(
                day=day,
                start=goal.start_date,
                deadline=goal.deadline,
                baseline=path_from,
                target=goal.target_value,
            ),
        )
        for day in (goal.start_date, goal.deadline)
    ]
    series = [(day, value) for day, value in values if day >= fit_start]
    points: list[ForecastPoint] = []
    if last_day < goal.deadline:
        first = last_day + timedelta(days=1)
        span = (goal.deadline - first).days
        step = max(1, -(-span // FORECAST_POINTS))
        days = [first + timedelta(days=offset) for offset in range(0, span + 1, step)]
        if days[-1] != goal.deadline:
            days.append(goal.deadline)
        total_so_far = actual[-1][1] if is_total and actual else 0.0
        for day in days:
            predicted = forecast_value(
                series=series,
                deadline=day,
                min_points=int(settings.ANALYTICS_GOALS_MIN_POINTS),
                period_start=goal.start_date if is_total else None,
                total_so_far=total_so_far,
            )
            if predicted is None:
                break
            points.append(ForecastPoint(day, predicted.value, predicted.low, predicted.high))
    return GoalReport(goal=goal, actual=actual, path=path, forecast=points, scale=scale)


def goal_figure(report: GoalReport) -> dict[str, Any]:
    """The Plotly figure of a goal as a JSON-ready dict: actual, path to target, forecast with
    its interval band, the target at the deadline."""
    scale = report.scale or 1.0
    figure = go.Figure()
    if report.forecast:
        days = [point.day.isoformat() for point in report.forecast]
        figure.add_trace(
            go.Scatter(
                x=days + days[::-1],
                y=[point.high / scale for point in report.forecast]
                + [point.low / scale for point in report.forecast[::-1]],
                fill="toself",
                fillcolor="rgba(234, 88, 12, 0.15)",
                line={"width": 0},
                hoverinfo="skip",
                name=_("Forecast interval (80%)"),
            )
        )
        figure.add_trace(
            go.Scatter(
                x=days,
                y=[point.value / scale for point in report.forecast],
                mode="lines",
                line={"color": "#ea580c", "dash": "dot", "width": 2},
                name=_("Forecast"),
            )
        )
    figure.add_trace(
        go.Scatter(
            x=[day.isoformat() for day, _value in report.path],
            y=[value / scale for _day, value in report.path],
            mode="lines",
            line={"color": "#64748b", "dash": "dash", "width": 2},
            name=_("Path to target"),
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[day.isoformat() for day, _value in report.actual],
            y=[value / scale for _day, value in report.actual],
            mode="lines+markers" if len(report.actual) < 40 else "lines",
            line={"color": "#2563eb", "width": 2},
            marker={"size": 5},
            name=_("Actual"),
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[report.goal.deadline.isoformat()],
            y=[report.goal.target_value / scale],
            mode="markers",
            marker={"color": "#16a34a", "size": 12, "symbol": "star"},
            name=_("Target"),
        )
    )
    figure.update_layout(
        margin={"l": 48, "r": 16, "t": 16, "b": 40},
        legend={"orientation": "h", "y": -0.15},
        hovermode="x unified",
        template="plotly_white",
        height=420,
    )
    result: dict[str, Any] = json.loads(figure.to_json())
    return result
