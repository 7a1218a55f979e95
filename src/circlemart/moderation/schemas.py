"""Request and response shapes of the moderation API."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema


class ReportIn(Schema):
    content_type: str
    content_id: int
    reason: str
    detail: str = ""


class ReportOut(Schema):
    id: int


class DecisionIn(Schema):
    decision: str
    reason: str = ""


class ReviewItemOut(Schema):
    id: int
    content_type: str
    content_id: int
    author_id: int
    excerpt: str
    reason: str
    source: str
    priority: int
    report_count: int
    status: str
    created_at: datetime
    due_at: datetime
    is_overdue: bool
    decided_by_id: int | None
    decided_at: datetime | None
    decision_reason: str


class QueueOut(Schema):
    items: list[ReviewItemOut]
    total: int
