"""Reads of reviews and Q&A, scoped to the viewer: everyone sees published content, authors
also see their own content waiting for a moderator."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet

from circlemart.accounts import selectors as account_selectors
from circlemart.accounts.contracts import Role, UserCard
from circlemart.core.pagination import paginate
from circlemart.moderation.contracts import ContentRef
from circlemart.orders import selectors as order_selectors
from circlemart.orders.contracts import PurchaseRef
from circlemart.reviews.contracts import (
    AnswerView,
    AuthorView,
    ContentStatus,
    FollowUpView,
    MerchantReplyView,
    PhotoView,
    ProductReviewsBlock,
    QuestionDetail,
    QuestionPage,
    QuestionView,
    ReviewPage,
    ReviewSummaryView,
    ReviewView,
)
from circlemart.reviews.models import (
    Answer,
    HelpfulVote,
    Question,
    Review,
    ReviewFollowUp,
    ReviewPhoto,
    ReviewSummary,
)

PUBLISHED = ContentStatus.PUBLISHED.value
PENDING = ContentStatus.PENDING.value
NEWEST = ("-created_at", "-id")


def _visible(viewer_id: int | None, *, prefix: str = "") -> Q:
    shown = Q(**{f"{prefix}status": PUBLISHED})
    if viewer_id is None:
        return shown
    return shown | Q(**{f"{prefix}status": PENDING, f"{prefix}author_id": viewer_id})


def is_merchant_staff(*, user_id: int) -> bool:
    """Merchant staff or administrators: they reply to reviews and hide them."""
    user = (
        get_user_model()
        .objects.filter(pk=user_id, is_active=True)
        .prefetch_related("groups")
        .first()
    )
    return user is not None and any(
        account_selectors.user_has_role(user, role) for role in (Role.MERCHANT_STAFF, Role.ADMIN)
    )


def _author(cards: dict[int, UserCard], user_id: int) -> AuthorView:
    card = cards.get(user_id)
    if card is None:  # a closed account: its content stays, its name does not
        return AuthorView(id=user_id, nickname="", avatar_url="")
    return AuthorView(id=card.id, nickname=card.nickname, avatar_url=card.avatar_url)


# --- Reviews ---------------------------------------------------------------------------------


def review_summary(*, product_id: int) -> ReviewSummaryView:
    """Published reviews of a product: count, average (one decimal) and stars 1–5. One query."""
    row = ReviewSummary.objects.filter(pk=product_id).first()
    if row is None or not row.count:
        return ReviewSummaryView(
            product_id=product_id, count=0, average=0.0, distribution=dict.fromkeys(range(1, 6), 0)
        )
    return ReviewSummaryView(
        product_id=product_id,
        count=row.count,
        average=round(row.rating_sum / row.count, 1),
        distribution={stars: getattr(row, f"stars_{stars}") for stars in range(1, 6)},
    )


def _review_views(reviews: list[Review], viewer_id: int | None) -> list[ReviewView]:
    cards = account_selectors.user_cards(sorted({review.author_id for review in reviews}))
    voted: set[int] = set()
    if viewer_id is not None and reviews:
        voted = set(
            HelpfulVote.objects.filter(
                voter_id=viewer_id, review_id__in=[review.pk for review in reviews]
            ).values_list("review_id", flat=True)
        )
    return [_review_view(review, cards, viewer_id, review.pk in voted) for review in reviews]


def _review_view(
    review: Review, cards: dict[int, UserCard], viewer_id: int | None, voted: bool
) -> ReviewView:
    is_mine = viewer_id is not None and review.author_id == viewer_id
    follow_up_row: ReviewFollowUp | None = getattr(review, "follow_up", None)
    follow_up = None
    if follow_up_row is not None and (follow_up_row.status == PUBLISHED or is_mine):
        follow_up = FollowUpView(
            id=follow_up_row.pk,
            text=follow_up_row.text,
            status=ContentStatus(follow_up_row.status),
            created_at=follow_up_row.created_at,
            days_after=max((follow_up_row.created_at - review.created_at).days, 0),
        )
    reply_row = getattr(review, "merchant_reply", None)
    reply = (
        MerchantReplyView(
            text=reply_row.text, created_at=reply_row.created_at, updated_at=reply_row.updated_at
        )
        if reply_row is not None
        else None
    )
    return ReviewView(
        id=review.pk,
        product_id=review.product_id,
        author=_author(cards, review.author_id),
        rating=review.rating,
        text=review.text,
        status=ContentStatus(review.status),
        is_verified=review.is_verified,
        photos=[
            PhotoView(
                url=photo.image.url,
                thumbnail_url=photo.thumbnail.url,
                width=photo.width,
                height=photo.height,
            )
            for photo in review.photos.all()
        ],
        follow_up=follow_up,
        merchant_reply=reply,
        helpful_count=review.helpful_count,
        is_helpful_by_viewer=voted,
        is_mine=is_mine,
        created_at=review.created_at,
    )


def _reviews_with_parts() -> QuerySet[Review]:
    return Review.objects.select_related("follow_up", "merchant_reply").prefetch_related(
        Prefetch("photos", queryset=ReviewPhoto.objects.order_by("position", "id"))
    )


def product_reviews(
    *,
    product_id: int,
    viewer_id: int | None,
    cursor: str | None,
    limit: int,
    with_photos: bool = False,
) -> ReviewPage:
    """Newest first. Four queries: reviews (+ follow-up, reply), photos, authors, my votes."""
    query = _reviews_with_parts().filter(_visible(viewer_id), product_id=product_id)
    if with_photos:
        query = query.filter(photos__isnull=False).distinct()
    page = paginate(query, ordering=NEWEST, cursor=cursor, limit=limit)
    return ReviewPage(items=_review_views(page.items, viewer_id), next_cursor=page.next_cursor)


def review_detail(*, review_id: int, viewer_id: int | None) -> ReviewView | None:
    review = _reviews_with_parts().filter(_visible(viewer_id), pk=review_id).first()
    return _review_views([review], viewer_id)[0] if review is not None else None


def review_photo_count(*, review_id: int) -> int:
    """Photos of a published review (0 when it has none or is not published): what growth
    pays review-with-photos points for."""
    return ReviewPhoto.objects.filter(review_id=review_id, review__status=PUBLISHED).count()


def review_product_id(*, review_id: int, viewer_id: int | None) -> int | None:
    return (
        Review.objects.filter(_visible(viewer_id), pk=review_id)
        .values_list("product_id", flat=True)
        .first()
    )


def purchase_for_review(*, user_id: int, product_id: int, order_line_id: int) -> PurchaseRef | None:
    """The user's delivered order line of this product, if it is one."""
    for purchase in order_selectors.delivered_purchases(user_id=user_id, product_id=product_id):
        if purchase.order_line_id == order_line_id:
            return purchase
    return None


def my_purchase(*, user_id: int, order_line_id: int) -> PurchaseRef | None:
    """One of the user's delivered order lines (someone else's looks like a missing one)."""
    return order_selectors.purchase_line(user_id=user_id, order_line_id=order_line_id)


def order_line_reviewed(*, order_line_id: int) -> bool:
    return Review.objects.filter(order_line_id=order_line_id).exists()


# --- Questions and answers -------------------------------------------------------------------


def _question_view(
    question: Question,
    cards: dict[int, UserCard],
    viewer_id: int | None,
    best: AnswerView | None = None,
) -> QuestionView:
    return QuestionView(
        id=question.pk,
        product_id=question.product_id,
        author=_author(cards, question.author_id),
        text=question.text,
        status=ContentStatus(question.status),
        answer_count=question.answer_count,
        is_mine=viewer_id is not None and question.author_id == viewer_id,
        created_at=question.created_at,
        best_answer=best,
    )


def _answer_view(answer: Answer, cards: dict[int, UserCard], viewer_id: int | None) -> AnswerView:
    return AnswerView(
        id=answer.pk,
        question_id=answer.question_id,
        author=_author(cards, answer.author_id),
        text=answer.text,
        status=ContentStatus(answer.status),
        is_best=answer.is_best,
        is_mine=viewer_id is not None and answer.author_id == viewer_id,
        created_at=answer.created_at,
    )


def product_questions(
    *, product_id: int, viewer_id: int | None, cursor: str | None, limit: int
) -> QuestionPage:
    """Newest first, each with its best answer. Three queries: questions, best answers, people."""
    page = paginate(
        Question.objects.filter(_visible(viewer_id), product_id=product_id),
        ordering=NEWEST,
        cursor=cursor,
        limit=limit,
    )
    bests = {
        answer.question_id: answer
        for answer in Answer.objects.filter(
            question_id__in=[question.pk for question in page.items], is_best=True, status=PUBLISHED
        )
    }
    people = {question.author_id for question in page.items} | {
        answer.author_id for answer in bests.values()
    }
    cards = account_selectors.user_cards(sorted(people)) if people else {}
    items = [
        _question_view(
            question,
            cards,
            viewer_id,
            _answer_view(bests[question.pk], cards, viewer_id) if question.pk in bests else None,
        )
        for question in page.items
    ]
    return QuestionPage(items=items, next_cursor=page.next_cursor)


def question_count(*, product_id: int) -> int:
    return Question.objects.filter(product_id=product_id, status=PUBLISHED).count()


def question_detail(
    *, question_id: int, viewer_id: int | None, viewer_is_staff: bool = False
) -> QuestionDetail | None:
    """A question with its answers, best first, then oldest first."""
    question = Question.objects.filter(_visible(viewer_id), pk=question_id).first()
    if question is None:
        return None
    answers = list(
        Answer.objects.filter(_visible(viewer_id), question_id=question.pk).order_by(
            "-is_best", "created_at", "id"
        )
    )
    people = {question.author_id} | {answer.author_id for answer in answers}
    cards = account_selectors.user_cards(sorted(people))
    can_answer = (
        viewer_id is not None
        and question.status == PUBLISHED
        and bool(
            order_selectors.delivered_purchases(user_id=viewer_id, product_id=question.product_id)
        )
    )
    return QuestionDetail(
        question=_question_view(question, cards, viewer_id),
        answers=[_answer_view(answer, cards, viewer_id) for answer in answers],
        can_answer=can_answer,
        can_pick_best=viewer_id is not None
        and (viewer_id == question.author_id or viewer_is_staff),
    )


# --- The product page block ------------------------------------------------------------------


def product_reviews_block(
    *, product_id: int, viewer_id: int | None, limit: int = 3
) -> ProductReviewsBlock:
    """Summary, the newest reviews and questions, for the product page (about eight queries)."""
    reviews = product_reviews(product_id=product_id, viewer_id=viewer_id, cursor=None, limit=limit)
    questions = product_questions(product_id=product_id, viewer_id=viewer_id, cursor=None, limit=2)
    return ProductReviewsBlock(
        product_id=product_id,
        summary=review_summary(product_id=product_id),
        reviews=reviews.items,
        question_count=question_count(product_id=product_id),
        questions=questions.items,
    )


# --- What moderation may look up (reports) ---------------------------------------------------


def _content(
    model: type[Review | ReviewFollowUp | Question | Answer], content_id: int
) -> ContentRef | None:
    row = model.objects.filter(pk=content_id, status=PUBLISHED).first()
    if row is None:
        return None
    author_id = row.review.author_id if isinstance(row, ReviewFollowUp) else row.author_id
    return ContentRef(author_id=author_id, excerpt=row.text[:200])


def review_as_content(content_id: int) -> ContentRef | None:
    return _content(Review, content_id)


def follow_up_as_content(content_id: int) -> ContentRef | None:
    return _content(ReviewFollowUp, content_id)


def question_as_content(content_id: int) -> ContentRef | None:
    return _content(Question, content_id)


def answer_as_content(content_id: int) -> ContentRef | None:
    return _content(Answer, content_id)
