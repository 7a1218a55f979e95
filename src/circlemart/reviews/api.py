"""Reviews API (mounted by circlemart.config.api at /api/v1/reviews): product reviews by
verified buyers, follow-ups, helpful votes, merchant replies, and product Q&A.

Reads are public (auth=None) and show the caller's own pending content when signed in.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Router, Status
from ninja.files import UploadedFile

from circlemart.catalog import selectors as catalog_selectors
from circlemart.core.errors import NotFound
from circlemart.core.pagination import PageCursor, PageLimit, page_size
from circlemart.core.web import signed_in_id, viewer_id
from circlemart.reviews import selectors, services
from circlemart.reviews.contracts import ReviewRef
from circlemart.reviews.schemas import (
    CreatedOut,
    HelpfulOut,
    HideIn,
    QuestionDetailOut,
    QuestionPageOut,
    ReviewIn,
    ReviewOut,
    ReviewPageOut,
    SummaryOut,
    TextIn,
)

router = Router(tags=["reviews"])


def _existing_product(product_id: int) -> None:
    if not catalog_selectors.product_cards([product_id]):
        raise NotFound(_("Product not found."), field="product_id")


def _created(ref: ReviewRef) -> Status[Any]:
    return Status(201, {"id": ref.id, "status": ref.status.value})


# --- Reviews ---------------------------------------------------------------------------------


@router.get(
    "/products/{product_id}",
    response=ReviewPageOut,
    auth=None,
    summary="A product's reviews, newest first",
)
def product_reviews(
    request: HttpRequest,
    product_id: int,
    cursor: PageCursor = None,
    limit: PageLimit = None,
    with_photos: bool = False,
) -> dict[str, Any]:
    _existing_product(product_id)
    page = selectors.product_reviews(
        product_id=product_id,
        viewer_id=viewer_id(request),
        cursor=cursor,
        limit=page_size(limit),
        with_photos=with_photos,
    )
    return dataclasses.asdict(page)


@router.get(
    "/products/{product_id}/summary",
    response=SummaryOut,
    auth=None,
    summary="Rating summary: count, average, stars 1–5",
)
def product_summary(request: HttpRequest, product_id: int) -> dict[str, Any]:
    _existing_product(product_id)
    return dataclasses.asdict(selectors.review_summary(product_id=product_id))


@router.post("", response={201: CreatedOut}, summary="Review a delivered order line")
def review_create(request: HttpRequest, payload: ReviewIn) -> Status[Any]:
    ref = services.review_create(
        author_id=signed_in_id(request),
        product_id=payload.product_id,
        order_line_id=payload.order_line_id,
        rating=payload.rating,
        text=payload.text,
    )
    return _created(ref)


@router.get("/{review_id}", response=ReviewOut, auth=None, summary="One review")
def review_detail(request: HttpRequest, review_id: int) -> dict[str, Any]:
    review = selectors.review_detail(review_id=review_id, viewer_id=viewer_id(request))
    if review is None:
        raise NotFound(_("Review not found."), field="review_id")
    return dataclasses.asdict(review)


@router.post(
    "/{review_id}/photos", response={201: CreatedOut}, summary="Add photos to my review (≤ 9)"
)
def review_photos(
    request: HttpRequest, review_id: int, photos: File[list[UploadedFile]]
) -> Status[Any]:
    ref = services.review_photos_add(
        author_id=signed_in_id(request), review_id=review_id, photos=photos
    )
    return _created(ref)


@router.post(
    "/{review_id}/follow-up", response={201: CreatedOut}, summary="Add my one follow-up review"
)
def review_follow_up(request: HttpRequest, review_id: int, payload: TextIn) -> Status[Any]:
    ref = services.review_follow_up_create(
        author_id=signed_in_id(request), review_id=review_id, text=payload.text
    )
    return _created(ref)


@router.post("/{review_id}/helpful", response=HelpfulOut, summary="Vote a review helpful")
def review_helpful(request: HttpRequest, review_id: int) -> dict[str, Any]:
    result = services.review_helpful_vote(voter_id=signed_in_id(request), review_id=review_id)
    return dataclasses.asdict(result)


@router.delete("/{review_id}/helpful", response=HelpfulOut, summary="Take my helpful vote back")
def review_unhelpful(request: HttpRequest, review_id: int) -> dict[str, Any]:
    result = services.review_helpful_unvote(voter_id=signed_in_id(request), review_id=review_id)
    return dataclasses.asdict(result)


@router.put("/{review_id}/reply", response=ReviewOut, summary="Merchant staff: reply to a review")
def review_reply(request: HttpRequest, review_id: int, payload: TextIn) -> dict[str, Any]:
    caller = signed_in_id(request)
    services.review_reply_set(replier_id=caller, review_id=review_id, text=payload.text)
    review = selectors.review_detail(review_id=review_id, viewer_id=caller)
    if review is None:  # replied to a review that is hidden from shoppers
        raise NotFound(_("Review not found."), field="review_id")
    return dataclasses.asdict(review)


@router.post("/{review_id}/hide", response={204: None}, summary="Merchant staff: hide a review")
def review_hide(request: HttpRequest, review_id: int, payload: HideIn) -> Status[Any]:
    services.review_hide(staff_id=signed_in_id(request), review_id=review_id, reason=payload.reason)
    return Status(204, None)


@router.post("/{review_id}/unhide", response={204: None}, summary="Merchant staff: show again")
def review_unhide(request: HttpRequest, review_id: int) -> Status[Any]:
    services.review_unhide(staff_id=signed_in_id(request), review_id=review_id)
    return Status(204, None)


# --- Questions and answers -------------------------------------------------------------------


@router.get(
    "/products/{product_id}/questions",
    response=QuestionPageOut,
    auth=None,
    summary="A product's questions, newest first, each with its best answer",
)
def product_questions(
    request: HttpRequest, product_id: int, cursor: PageCursor = None, limit: PageLimit = None
) -> dict[str, Any]:
    _existing_product(product_id)
    page = selectors.product_questions(
        product_id=product_id, viewer_id=viewer_id(request), cursor=cursor, limit=page_size(limit)
    )
    return dataclasses.asdict(page)


@router.post(
    "/products/{product_id}/questions",
    response={201: CreatedOut},
    summary="Ask the product's buyers a question",
)
def question_ask(request: HttpRequest, product_id: int, payload: TextIn) -> Status[Any]:
    ref = services.question_ask(
        author_id=signed_in_id(request), product_id=product_id, text=payload.text
    )
    return _created(ref)


@router.get(
    "/questions/{question_id}",
    response=QuestionDetailOut,
    auth=None,
    summary="A question with its answers, best first",
)
def question_detail(request: HttpRequest, question_id: int) -> dict[str, Any]:
    viewer = viewer_id(request)
    detail = selectors.question_detail(
        question_id=question_id,
        viewer_id=viewer,
        viewer_is_staff=viewer is not None and selectors.is_merchant_staff(user_id=viewer),
    )
    if detail is None:
        raise NotFound(_("Question not found."), field="question_id")
    return dataclasses.asdict(detail)


@router.post(
    "/questions/{question_id}/answers",
    response={201: CreatedOut},
    summary="Answer a question (buyers of the product only)",
)
def answer_post(request: HttpRequest, question_id: int, payload: TextIn) -> Status[Any]:
    ref = services.answer_post(
        author_id=signed_in_id(request), question_id=question_id, text=payload.text
    )
    return _created(ref)


@router.post("/answers/{answer_id}/best", response={204: None}, summary="Pick the best answer")
def answer_best(request: HttpRequest, answer_id: int) -> Status[Any]:
    services.answer_mark_best(user_id=signed_in_id(request), answer_id=answer_id)
    return Status(204, None)
