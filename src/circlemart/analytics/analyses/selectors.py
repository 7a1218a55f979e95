"""The analyses as the back office and the API ask for them: input checked (each refusal
names its field), the warehouse opened, the pure DuckDB function run with its limits.

Every query is bounded: ranges by ANALYTICS_QUERY_MAX_DAYS, rows by ANALYTICS_QUERY_MAX_ROWS
and time by ANALYTICS_QUERY_TIMEOUT_SECONDS (warehouse.duck.run_query).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from typing import TypeVar

import duckdb
from django.conf import settings
from django.utils.translation import gettext as _

from circlemart.analytics.analyses import (
    cohorts,
)
from circlemart.analytics.analyses import (
    funnel as funnel_module,
)
from circlemart.analytics.analyses import (
    lifecycle as lifecycle_module,
)
from circlemart.analytics.analyses import paths as paths_module
from circlemart.analytics.analyses import trend as trend_module
from circlemart.analytics.analyses.contracts import (
    CompareTo,
    Funnel,
    FunnelStepSpec,
    Grain,
    Lifecycle,
    Paths,
    RetentionKind,
    RetentionMatrix,
    Trend,
    TrendMeasure,
)
from circlemart.analytics.analyses.periods import periods_between
from circlemart.analytics.catalogue import CATALOGUE
from circlemart.analytics.metrics import selectors as metric_selectors
from circlemart.analytics.metrics.catalogue import METRICS
from circlemart.analytics.warehouse import duck
from circlemart.core.errors import ValidationFailed

MIN_FUNNEL_STEPS = 2
MAX_FUNNEL_STEPS = 10
MIN_PATH_STEPS = 3
MAX_PATH_STEPS = 5
MAX_PATH_TOP = 50
_WINDOW = re.compile(r"^\s*(\d{1,7})\s*([smhd]?)\s*$")
_WINDOW_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}

Choice = TypeVar("Choice", bound=StrEnum)


@contextmanager
def _warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duck.connect()
    try:
        yield connection
    finally:
        connection.close()


def choice_check(value: str, choices: type[Choice], *, field: str) -> Choice:
    try:
        return choices(value)
    except ValueError:
        raise ValidationFailed(
            _("“%(value)s” is not one of: %(choices)s.")
            % {"value": str(value)[:40], "choices": ", ".join(choice.value for choice in choices)},
            code="invalid_choice",
            field=field,
        ) from None


def range_check(*, start: date, end: date) -> None:
    if start > end:
        raise ValidationFailed(
            _("The start date is after the end date."), code="backwards_range", field="start"
        )
    if (end - start).days + 1 > settings.ANALYTICS_QUERY_MAX_DAYS:
        raise ValidationFailed(
            _("Choose a range of at most %(days)s days.")
            % {"days": settings.ANALYTICS_QUERY_MAX_DAYS},
            code="range_too_long",
            field="end",
        )


def event_check(name: str, *, field: str) -> str:
    if name not in CATALOGUE:
        raise ValidationFailed(
            _("Unknown event “%(name)s”.") % {"name": str(name)[:48]},
            code="unknown_event",
            field=field,
        )
    return name


def events_check(names: Sequence[str], *, field: str) -> list[str]:
    return [event_check(name, field=f"{field}[{index}]") for index, name in enumerate(names)]


def window_parse(text: str | int) -> int:
    """ "24h", "7d", "30m", "90s" or a number of seconds → seconds, within
    1 s..ANALYTICS_FUNNEL_MAX_WINDOW_DAYS."""
    match = _WINDOW.match(str(text))
    seconds = int(match.group(1)) * _WINDOW_UNITS[match.group(2)] if match else 0
    if seconds <= 0:
        raise ValidationFailed(
            _("The window must be a positive duration such as 30m, 24h or 7d."),
            code="bad_window",
            field="window",
        )
    if seconds > settings.ANALYTICS_FUNNEL_MAX_WINDOW_DAYS * 86400:
        raise ValidationFailed(
            _("The window can be at most %(days)s days.")
            % {"days": settings.ANALYTICS_FUNNEL_MAX_WINDOW_DAYS},
            code="bad_window",
            field="window",
        )
    return seconds


# --- Trend ---------------------------------------------------------------------------------


def _metric_trend(
    *, metric: str, grain: Grain, compare_to: CompareTo, start: date, end: date
) -> Trend:
    """A metric of the daily table, totalled per bucket by its own rule (ratios recomputed)."""

    if metric not in METRICS:
        raise ValidationFailed(
            _("Unknown metric “%(name)s”.") % {"name": str(metric)[:48]},
            code="unknown_metric",
            field="metric",
        )
    periods = periods_between(start, end, grain)
    previous = trend_module.comparison_periods(periods, compare_to=compare_to, grain=grain)
    total: Callable[[date, date], float] = lambda low, high: float(  # noqa: E731
        metric_selectors.metric_total(metric=metric, start=low, end=high)
    )
    return trend_module.trend_assemble(
        subject=metric,
        grain=grain,
        compare_to=compare_to,
        periods=periods,
        previous=previous,
        values=[total(period.start, period.end) for period in periods],
        previous_values=[total(period.start, period.end) for period in previous],
        total=total(start, end),
        previous_total=total(previous[0].start, previous[-1].end),
    )


def trend(
    *,
    start: date,
    end: date,
    event: str = "",
    metric: str = "",
    measure: str = TrendMeasure.EVENTS,
    grain: str = Grain.DAY,
    compare_to: str = CompareTo.PREVIOUS_PERIOD,
) -> Trend:
    """An event (counted as events, people or amount) or a daily-table metric per bucket,
    beside the previous period or the previous year."""
    range_check(start=start, end=end)
    chosen_grain = choice_check(grain, Grain, field="grain")
    comparison = choice_check(compare_to, CompareTo, field="compare_to")
    if bool(event) == bool(metric):
        raise ValidationFailed(
            _("Give either an event or a metric."), code="event_or_metric", field="metric"
        )
    if metric:
        return _metric_trend(
            metric=metric, grain=chosen_grain, compare_to=comparison, start=start, end=end
        )
    event_check(event, field="event")
    chosen_measure = choice_check(measure, TrendMeasure, field="measure")
    with _warehouse() as connection:
        return trend_module.event_trend(
            connection,
            event=event,
            measure=chosen_measure,
            grain=chosen_grain,
            compare_to=comparison,
            periods=periods_between(start, end, chosen_grain),
        )


# --- Funnel --------------------------------------------------------------------------------


def funnel(
    *,
    steps: Sequence[FunnelStepSpec],
    start: date,
    end: date,
    window: str | int,
    by: str = "",
) -> Funnel:
    range_check(start=start, end=end)
    if len(steps) < MIN_FUNNEL_STEPS or len(steps) > MAX_FUNNEL_STEPS:
        raise ValidationFailed(
            _("A funnel has %(low)s to %(high)s steps.")
            % {"low": MIN_FUNNEL_STEPS, "high": MAX_FUNNEL_STEPS},
            code="step_count",
            field="steps",
        )
    for index, step in enumerate(steps):
        event_check(step.name, field=f"steps[{index}]")
    seconds = window_parse(window)
    if by and by not in funnel_module.SEGMENTS:
        raise ValidationFailed(
            _("Break down by one of: %(choices)s.")
            % {"choices": ", ".join(funnel_module.SEGMENTS)},
            code="unknown_dimension",
            field="by",
        )
    with _warehouse() as connection:
        return funnel_module.funnel(
            connection,
            steps=steps,
            start=start,
            end=end,
            window_seconds=seconds,
            by=by,
            max_segments=settings.ANALYTICS_DASHBOARD_MAX_DIMENSION_VALUES,
        )


# --- Retention -----------------------------------------------------------------------------


def cohort_retention(
    *,
    start: date,
    end: date,
    grain: str = Grain.MONTH,
    kind: str = RetentionKind.FIRST_TIME,
    cohort_events: Sequence[str] = ("order_paid",),
    activity_events: Sequence[str] = (),
) -> RetentionMatrix:
    """Cohorts by first (or any) cohort event; activity defaults to the cohort events."""
    range_check(start=start, end=end)
    chosen_grain = choice_check(grain, Grain, field="grain")
    chosen_kind = choice_check(kind, RetentionKind, field="kind")
    if not cohort_events:
        raise ValidationFailed(
            _("Choose at least one cohort event."), code="required", field="cohort_events"
        )
    cohort_names = events_check(cohort_events, field="cohort_events")
    activity_names = events_check(activity_events, field="activity_events") or cohort_names
    with _warehouse() as connection:
        return cohorts.cohort_retention(
            connection,
            start=start,
            end=end,
            grain=chosen_grain,
            kind=chosen_kind,
            cohort_events=cohort_names,
            activity_events=activity_names,
        )


# --- Paths ---------------------------------------------------------------------------------


def paths(
    *,
    after: str,
    start: date,
    end: date,
    steps: int = 3,
    top: int = 10,
    exclude: Sequence[str] = (),
) -> Paths:
    range_check(start=start, end=end)
    event_check(after, field="after")
    if not MIN_PATH_STEPS <= steps <= MAX_PATH_STEPS:
        raise ValidationFailed(
            _("Follow %(low)s to %(high)s steps.")
            % {"low": MIN_PATH_STEPS, "high": MAX_PATH_STEPS},
            code="step_count",
            field="steps",
        )
    if not 1 <= top <= MAX_PATH_TOP:
        raise ValidationFailed(
            _("Show 1 to %(high)s paths.") % {"high": MAX_PATH_TOP}, code="bad_top", field="top"
        )
    excluded = events_check(exclude, field="exclude")
    with _warehouse() as connection:
        return paths_module.paths(
            connection,
            after=after,
            start=start,
            end=end,
            steps=steps,
            top=top,
            max_links=settings.ANALYTICS_QUERY_MAX_ROWS,
            exclude=excluded,
        )


# --- Lifecycle -----------------------------------------------------------------------------


def lifecycle(
    *, start: date, end: date, grain: str = Grain.WEEK, activity_events: Sequence[str] = ()
) -> Lifecycle:
    """New / returned / active / silent / churned per bucket; activity is any event unless
    `activity_events` narrows it."""
    range_check(start=start, end=end)
    chosen_grain = choice_check(grain, Grain, field="grain")
    names = events_check(activity_events, field="activity_events")
    with _warehouse() as connection:
        return lifecycle_module.lifecycle(
            connection,
            periods=periods_between(start, end, chosen_grain),
            grain=chosen_grain,
            activity_events=names,
            silent_after_days=settings.ANALYTICS_LIFECYCLE_SILENT_DAYS,
            churned_after_days=settings.ANALYTICS_LIFECYCLE_CHURNED_DAYS,
        )
