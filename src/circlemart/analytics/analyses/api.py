"""Analyses API (mounted by circlemart.config.api at /api/v1/analytics): read-only trend,
funnel, retention, paths and lifecycle queries for staff who may read the event log (the
analyst role, administrators). Lists are comma-separated query parameters.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Router

from circlemart.analytics.analyses import selectors
from circlemart.analytics.analyses.contracts import (
    Funnel,
    FunnelStepSpec,
    Lifecycle,
    Paths,
    RetentionMatrix,
    Trend,
)
from circlemart.core.permissions import require_permission

router = Router(tags=["analytics"])

PERMISSION = "analytics.view_event"


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _step(text: str) -> FunnelStepSpec:
    """ "product_view" or "product_view:42" (the step's object id)."""
    name, _colon, object_id = text.partition(":")
    return FunnelStepSpec(name=name.strip(), object_id=object_id.strip())


def _allowed(request: HttpRequest) -> None:
    require_permission(request.user, PERMISSION)


@router.get("/trend", response=Trend, summary="An event or a metric per period, compared")
def trend(
    request: HttpRequest,
    start: date,
    end: date,
    event: str = "",
    metric: str = "",
    measure: str = "events",
    grain: str = "day",
    compare_to: str = "previous_period",
) -> Any:
    _allowed(request)
    return selectors.trend(
        start=start,
        end=end,
        event=event,
        metric=metric,
        measure=measure,
        grain=grain,
        compare_to=compare_to,
    )


@router.get("/funnel", response=Funnel, summary="Ordered steps within a conversion window")
def funnel(
    request: HttpRequest,
    steps: str,
    start: date,
    end: date,
    window: str = "24h",
    by: str = "",
) -> Any:
    """`steps=product_view,add_to_cart,order_paid`; `window` like 30m, 24h, 7d;
    `by=channel|visitor`."""
    _allowed(request)
    return selectors.funnel(
        steps=[_step(part) for part in steps.split(",")] if steps.strip() else [],
        start=start,
        end=end,
        window=window,
        by=by,
    )


@router.get("/retention", response=RetentionMatrix, summary="Cohort retention matrix")
def retention(
    request: HttpRequest,
    start: date,
    end: date,
    grain: str = "month",
    kind: str = "first_time",
    cohort_events: str = "order_paid",
    activity_events: str = "",
) -> Any:
    _allowed(request)
    return selectors.cohort_retention(
        start=start,
        end=end,
        grain=grain,
        kind=kind,
        cohort_events=_names(cohort_events),
        activity_events=_names(activity_events),
    )


@router.get("/paths", response=Paths, summary="What people did next after an event")
def paths(
    request: HttpRequest,
    after: str,
    start: date,
    end: date,
    steps: int = 3,
    top: int = 10,
    exclude: str = "",
) -> Any:
    _allowed(request)
    return selectors.paths(
        after=after, start=start, end=end, steps=steps, top=top, exclude=_names(exclude)
    )


@router.get("/lifecycle", response=Lifecycle, summary="New, returned, active, silent, churned")
def lifecycle(
    request: HttpRequest,
    start: date,
    end: date,
    grain: str = "week",
    activity_events: str = "",
) -> Any:
    _allowed(request)
    return selectors.lifecycle(
        start=start, end=end, grain=grain, activity_events=_names(activity_events)
    )
