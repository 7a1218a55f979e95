"""Domain events of reviews and Q&A. notifications, analytics and risk consume them; keep
field names stable (add fields with defaults rather than renaming)."""

from __future__ import annotations

from dataclasses import dataclass, field

from circlemart.core.events import DomainEvent, register_event


@register_event
@dataclass(frozen=True)
class ReviewPublished(DomainEvent):
    """A review became visible (at once, or when a moderator approved it)."""

    event_type = "reviews.ReviewPublished"
    aggregate_type = "review"

    review_id: int
    product_id: int
    author_id: int
    rating: int

    def aggregate_id(self) -> str:
        return str(self.review_id)


@register_event
@dataclass(frozen=True)
class ReviewFollowUpPublished(DomainEvent):
    """A follow-up review (追评) became visible (at once, or when a moderator approved it)."""

    event_type = "reviews.ReviewFollowUpPublished"
    aggregate_type = "review"

    follow_up_id: int
    review_id: int
    product_id: int
    author_id: int

    def aggregate_id(self) -> str:
        return str(self.review_id)


@register_event
@dataclass(frozen=True)
class ReviewReplied(DomainEvent):
    """Merchant staff replied to a review: its author hears about it."""

    event_type = "reviews.ReviewReplied"
    aggregate_type = "review"

    review_id: int
    product_id: int
    review_author_id: int
    replier_id: int

    def aggregate_id(self) -> str:
        return str(self.review_id)


@register_event
@dataclass(frozen=True)
class QuestionAsked(DomainEvent):
    """A product question is visible; `invitee_ids` are buyers invited to answer it."""

    event_type = "reviews.QuestionAsked"
    aggregate_type = "question"

    question_id: int
    product_id: int
    asker_id: int
    excerpt: str = ""
    invitee_ids: list[int] = field(default_factory=list)

    def aggregate_id(self) -> str:
        return str(self.question_id)


@register_event
@dataclass(frozen=True)
class QuestionAnswered(DomainEvent):
    event_type = "reviews.QuestionAnswered"
    aggregate_type = "question"

    question_id: int
    answer_id: int
    product_id: int
    asker_id: int
    answerer_id: int
    excerpt: str = ""

    def aggregate_id(self) -> str:
        return str(self.question_id)
