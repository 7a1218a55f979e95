"""Moderation API (mounted by circlemart.config.api at /api/v1/moderation).

POST /reports for signed-in users; the review queue and decisions for moderators only.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Status

from circlemart.core import pagination, ratelimit
from circlemart.core.errors import NotFound
from circlemart.core.pagination import PageLimit
from circlemart.moderation import selectors, services
from circlemart.moderation.contracts import ReviewStatus
from circlemart.moderation.schemas import (
    DecisionIn,
    QueueOut,
    ReportIn,
    ReportOut,
    ReviewItemOut,
)

router = Router(tags=["moderation"])


def _user_id(request: HttpRequest) -> int:
    return int(request.user.pk or 0)


@router.post("/reports", response={201: ReportOut}, summary="Report content")
def report(request: HttpRequest, payload: ReportIn) -> Status[Any]:
    ratelimit.hit(
        f"moderation:report:user:{_user_id(request)}",
        limit=settings.MODERATION_REPORT_RATE_LIMIT,
        window=settings.MODERATION_REPORT_RATE_WINDOW_SECONDS,
    )
    report_id = services.report_file(
        reporter_id=_user_id(request),
        content_type=payload.content_type,
        content_id=payload.content_id,
        reason=payload.reason,
        detail=payload.detail,
    )
    return Status(201, {"id": report_id})


@router.get("/queue", response=QueueOut, summary="Review queue (moderators)")
def queue(
    request: HttpRequest,
    status: ReviewStatus = ReviewStatus.OPEN,
    content_type: str | None = None,
    limit: PageLimit = None,
    offset: int = 0,
) -> dict[str, Any]:
    services.moderator_check(user_id=_user_id(request))
    items = selectors.review_queue(
        status=status,
        content_type=content_type,
        limit=pagination.page_size(limit),
        offset=max(offset, 0),
    )
    total = selectors.review_queue_count(status=status, content_type=content_type)
    return {"items": [asdict(item) for item in items], "total": total}


@router.post("/queue/{item_id}/decision", response=ReviewItemOut, summary="Decide a review item")
def decide(request: HttpRequest, item_id: int, payload: DecisionIn) -> dict[str, Any]:
    services.review_decide(
        moderator_id=_user_id(request),
        item_id=item_id,
        decision=payload.decision,
        reason=payload.reason,
    )
    item = selectors.item_by_id(item_id)
    if item is None:  # pragma: no cover - decided just now
        raise NotFound("Not found.")
    return asdict(item)
