"""Reads of moderation: the review queue for moderators, reports and decisions on content.

The queue is for moderators only: callers check `services.moderator_check` first.
`decision_for` is safe to show the content's author (it names no moderator).
"""

from __future__ import annotations

from django.db.models import QuerySet

from circlemart.core import clock
from circlemart.moderation.contracts import (
    Decision,
    DecisionView,
    ReportView,
    ReviewItemView,
    ReviewStatus,
)
from circlemart.moderation.models import Report, ReviewItem

QUEUE_ORDERING = ("-priority", "created_at", "id")


def _item_view(item: ReviewItem) -> ReviewItemView:
    return ReviewItemView(
        id=item.pk,
        content_type=item.content_type,
        content_id=item.content_id,
        author_id=item.author_id,
        excerpt=item.excerpt,
        reason=item.reason,
        source=item.source,
        priority=item.priority,
        report_count=item.report_count,
        status=ReviewStatus(item.status),
        created_at=item.created_at,
        due_at=item.due_at,
        is_overdue=item.status == ReviewStatus.OPEN and item.due_at < clock.now(),
        decided_by_id=item.decided_by_id,
        decided_at=item.decided_at,
        decision_reason=item.decision_reason,
    )


def review_queue_rows(
    *, status: str = ReviewStatus.OPEN, content_type: str | None = None
) -> QuerySet[ReviewItem]:
    rows = ReviewItem.objects.filter(status=status)
    if content_type:
        rows = rows.filter(content_type=content_type)
    return rows.order_by(*QUEUE_ORDERING)


def review_queue(
    *,
    status: str = ReviewStatus.OPEN,
    content_type: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[ReviewItemView]:
    """Items by priority (highest first), then age (oldest first), with their SLA due time."""
    rows = review_queue_rows(status=status, content_type=content_type)
    return [_item_view(item) for item in rows[offset : offset + limit]]


def review_queue_count(*, status: str = ReviewStatus.OPEN, content_type: str | None = None) -> int:
    return review_queue_rows(status=status, content_type=content_type).count()


def item_by_id(item_id: int) -> ReviewItemView | None:
    item = ReviewItem.objects.filter(pk=item_id).first()
    return _item_view(item) if item is not None else None


def reports_for(content_type: str, content_id: int) -> list[ReportView]:
    rows = Report.objects.filter(content_type=content_type, content_id=content_id).order_by("id")
    return [
        ReportView(
            id=row.pk,
            reporter_id=row.reporter_id,
            content_type=row.content_type,
            content_id=row.content_id,
            reason=row.reason,
            detail=row.detail,
            review_item_id=row.review_item_id,
            created_at=row.created_at,
        )
        for row in rows
    ]


def decision_for(content_type: str, content_id: int) -> DecisionView | None:
    """The latest decision on this content, with its reason (None while undecided)."""
    item = (
        ReviewItem.objects.filter(content_type=content_type, content_id=content_id)
        .exclude(status=ReviewStatus.OPEN)
        .order_by("-decided_at", "-id")
        .first()
    )
    if item is None or item.decided_at is None:
        return None
    return DecisionView(
        item_id=item.pk,
        decision=Decision.APPROVE if item.status == ReviewStatus.APPROVED else Decision.REJECT,
        reason=item.decision_reason,
        decided_at=item.decided_at,
    )


def is_under_review(content_type: str, content_id: int) -> bool:
    return ReviewItem.objects.filter(
        content_type=content_type, content_id=content_id, status=ReviewStatus.OPEN
    ).exists()
