"""Request and response shapes of the reviews API. Field rules live in the services, so their
(translated) messages are the ones callers see."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema


class ReviewIn(Schema):
    product_id: int
    order_line_id: int
    rating: int
    text: str = ""


class TextIn(Schema):
    text: str


class HideIn(Schema):
    reason: str = ""


class AuthorOut(Schema):
    id: int
    nickname: str
    avatar_url: str


class PhotoOut(Schema):
    url: str
    thumbnail_url: str
    width: int
    height: int


class FollowUpOut(Schema):
    id: int
    text: str
    status: str
    created_at: datetime
    days_after: int


class MerchantReplyOut(Schema):
    text: str
    created_at: datetime
    updated_at: datetime


class ReviewOut(Schema):
    id: int
    product_id: int
    author: AuthorOut
    rating: int
    text: str
    status: str
    is_verified: bool
    photos: list[PhotoOut]
    follow_up: FollowUpOut | None
    merchant_reply: MerchantReplyOut | None
    helpful_count: int
    is_helpful_by_viewer: bool
    is_mine: bool
    created_at: datetime


class ReviewPageOut(Schema):
    items: list[ReviewOut]
    next_cursor: str | None


class SummaryOut(Schema):
    product_id: int
    count: int
    average: float
    distribution: dict[int, int]


class CreatedOut(Schema):
    id: int
    status: str


class HelpfulOut(Schema):
    review_id: int
    helpful_count: int
    is_helpful_by_viewer: bool


class AnswerOut(Schema):
    id: int
    question_id: int
    author: AuthorOut
    text: str
    status: str
    is_best: bool
    is_mine: bool
    created_at: datetime


class QuestionOut(Schema):
    id: int
    product_id: int
    author: AuthorOut
    text: str
    status: str
    answer_count: int
    is_mine: bool
    created_at: datetime
    best_answer: AnswerOut | None


class QuestionPageOut(Schema):
    items: list[QuestionOut]
    next_cursor: str | None


class QuestionDetailOut(Schema):
    question: QuestionOut
    answers: list[AnswerOut]
    can_answer: bool
    can_pick_best: bool
