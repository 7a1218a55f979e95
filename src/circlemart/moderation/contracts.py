"""What crosses the moderation boundary: screening results, review items, decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Action(StrEnum):
    """What the filter asks for, weakest first (see ACTION_STRENGTH)."""

    ALLOW = "allow"
    MASK = "mask"
    REVIEW = "review"
    BLOCK = "block"


ACTION_STRENGTH: dict[Action, int] = {
    Action.ALLOW: 0,
    Action.MASK: 1,
    Action.REVIEW: 2,
    Action.BLOCK: 3,
}


class ContentType(StrEnum):
    """Kinds of content that can be reported or reviewed."""

    NOTE = "note"
    COMMENT = "comment"
    REVIEW = "review"
    USER = "user"
    CIRCLE = "circle"


class ReportReason(StrEnum):
    SPAM = "spam"
    ABUSE = "abuse"
    SEXUAL = "sexual"
    ILLEGAL = "illegal"
    FRAUD = "fraud"
    INFRINGEMENT = "infringement"
    OTHER = "other"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class ReviewStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ScreenResult:
    """The filter's verdict on one text.

    `text` is the original with MASK-category matches replaced by `*` of the matched length;
    `categories` and `matches` (the listed words that matched) are de-duplicated, in order.
    """

    action: Action
    text: str
    categories: tuple[str, ...]
    matches: tuple[str, ...]

    @property
    def needs_review(self) -> bool:
        return self.action == Action.REVIEW

    @property
    def is_blocked(self) -> bool:
        return self.action == Action.BLOCK


@dataclass(frozen=True)
class ReviewItemView:
    id: int
    content_type: str
    content_id: int
    author_id: int
    excerpt: str
    reason: str
    source: str
    priority: int
    report_count: int
    status: ReviewStatus
    created_at: datetime
    due_at: datetime
    is_overdue: bool
    decided_by_id: int | None
    decided_at: datetime | None
    decision_reason: str


@dataclass(frozen=True)
class ReportView:
    id: int
    reporter_id: int
    content_type: str
    content_id: int
    reason: str
    detail: str
    review_item_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class DecisionView:
    """The latest decision on a piece of content (so a rejected author can see why)."""

    item_id: int
    decision: Decision
    reason: str
    decided_at: datetime


@dataclass(frozen=True)
class ContentRef:
    """What an owning app tells moderation about one of its pieces of content."""

    author_id: int
    excerpt: str
