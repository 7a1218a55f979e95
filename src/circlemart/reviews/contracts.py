"""What crosses the reviews boundary: statuses and the read models of reviews and Q&A."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ContentStatus(StrEnum):
    """Reviews, follow-ups, questions and answers: only PUBLISHED is shown to everyone."""

    PENDING = "pending"  # waiting for a moderator
    PUBLISHED = "published"
    REJECTED = "rejected"  # by a moderator
    HIDDEN = "hidden"  # by merchant staff


# content_type values sent to moderation (review_submit) and expected back in its events.
MODERATION_REVIEW = "review"
MODERATION_FOLLOW_UP = "review_follow_up"
MODERATION_QUESTION = "question"
MODERATION_ANSWER = "answer"


@dataclass(frozen=True)
class AuthorView:
    id: int
    nickname: str
    avatar_url: str


@dataclass(frozen=True)
class PhotoView:
    url: str
    thumbnail_url: str
    width: int
    height: int


@dataclass(frozen=True)
class FollowUpView:
    id: int
    text: str
    status: ContentStatus
    created_at: datetime
    days_after: int  # days between the review and its follow-up


@dataclass(frozen=True)
class MerchantReplyView:
    text: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ReviewView:
    id: int
    product_id: int
    author: AuthorView
    rating: int
    text: str
    status: ContentStatus  # anything but PUBLISHED is seen by its author only
    is_verified: bool
    photos: list[PhotoView]
    follow_up: FollowUpView | None
    merchant_reply: MerchantReplyView | None
    helpful_count: int
    is_helpful_by_viewer: bool
    is_mine: bool
    created_at: datetime

    @property
    def stars(self) -> str:
        return "★" * self.rating + "☆" * (5 - self.rating)


@dataclass(frozen=True)
class ReviewPage:
    items: list[ReviewView]
    next_cursor: str | None


@dataclass(frozen=True)
class ReviewSummaryView:
    product_id: int
    count: int
    average: float  # one decimal, 0.0 without reviews
    distribution: dict[int, int] = field(default_factory=dict)  # stars 1–5 → published reviews

    def share(self, stars: int) -> int:
        """Percentage of reviews with `stars` (for the distribution bars)."""
        return round(100 * self.distribution.get(stars, 0) / self.count) if self.count else 0


@dataclass(frozen=True)
class ReviewRef:
    id: int
    status: ContentStatus


@dataclass(frozen=True)
class HelpfulResult:
    review_id: int
    helpful_count: int
    is_helpful_by_viewer: bool


@dataclass(frozen=True)
class AnswerView:
    id: int
    question_id: int
    author: AuthorView
    text: str
    status: ContentStatus
    is_best: bool
    is_mine: bool
    created_at: datetime


@dataclass(frozen=True)
class QuestionView:
    id: int
    product_id: int
    author: AuthorView
    text: str
    status: ContentStatus
    answer_count: int
    is_mine: bool
    created_at: datetime
    best_answer: AnswerView | None = None


@dataclass(frozen=True)
class QuestionDetail:
    question: QuestionView
    answers: list[AnswerView]  # best first, then oldest first
    can_answer: bool  # the viewer bought the product
    can_pick_best: bool  # the viewer asked it, or is merchant staff


@dataclass(frozen=True)
class QuestionPage:
    items: list[QuestionView]
    next_cursor: str | None


@dataclass(frozen=True)
class ProductReviewsBlock:
    """What the product page shows: the summary, the first reviews and the Q&A teaser."""

    product_id: int
    summary: ReviewSummaryView
    reviews: list[ReviewView]
    question_count: int
    questions: list[QuestionView]
