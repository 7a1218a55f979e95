"""Request and response shapes of the reviews API. Field rules live in the services, so their
(translated) messages are the ones callers see; the answers are derived from the contracts
(core.contract_schemas)."""

from __future__ import annotations

from ninja import Schema

from circlemart.core.contract_schemas import derived_from
from circlemart.core.schemas import InputSchema
from circlemart.reviews.contracts import (
    AnswerView,
    AuthorView,
    FollowUpView,
    HelpfulResult,
    MerchantReplyView,
    PhotoView,
    QuestionDetail,
    QuestionPage,
    QuestionView,
    ReviewPage,
    ReviewRef,
    ReviewSummaryView,
    ReviewView,
)


class ReviewIn(InputSchema):
    product_id: int
    order_line_id: int
    rating: int
    text: str = ""


class TextIn(InputSchema):
    text: str


class HideIn(InputSchema):
    reason: str = ""


@derived_from(AuthorView)
class AuthorOut(Schema): ...


@derived_from(PhotoView)
class PhotoOut(Schema): ...


@derived_from(FollowUpView)
class FollowUpOut(Schema): ...


@derived_from(MerchantReplyView)
class MerchantReplyOut(Schema): ...


@derived_from(
    ReviewView,
    nested={
        AuthorView: AuthorOut,
        PhotoView: PhotoOut,
        FollowUpView: FollowUpOut,
        MerchantReplyView: MerchantReplyOut,
    },
)
class ReviewOut(Schema): ...


@derived_from(ReviewPage, nested={ReviewView: ReviewOut})
class ReviewPageOut(Schema): ...


@derived_from(ReviewSummaryView)
class SummaryOut(Schema): ...


@derived_from(ReviewRef)  # what was written: a review, follow-up, question or answer
class CreatedOut(Schema): ...


@derived_from(HelpfulResult)
class HelpfulOut(Schema): ...


@derived_from(AnswerView, nested={AuthorView: AuthorOut})
class AnswerOut(Schema): ...


@derived_from(QuestionView, nested={AuthorView: AuthorOut, AnswerView: AnswerOut})
class QuestionOut(Schema): ...


@derived_from(QuestionPage, nested={QuestionView: QuestionOut})
class QuestionPageOut(Schema): ...


@derived_from(QuestionDetail, nested={QuestionView: QuestionOut, AnswerView: AnswerOut})
class QuestionDetailOut(Schema): ...
