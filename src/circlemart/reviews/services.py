"""Writes of reviews and Q&A: reviews by verified buyers with photos, follow-ups, helpful
votes, merchant replies and hiding, questions and answers, and moderation outcomes.

Every text passes moderation.text_check (a block is a 400 on the field, a mask is stored
masked); a REVIEW verdict stores the content PENDING and queues it, and the moderation events
publish or reject it. The product summary (reviews.ReviewSummary and catalog's rating columns)
changes in the same transaction as the status, by conditional updates only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from circlemart.catalog import selectors as catalog_selectors
from circlemart.catalog import services as catalog_services
from circlemart.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from circlemart.core.events import publish
from circlemart.core.text import clean_plain_text
from circlemart.moderation import services as moderation
from circlemart.moderation.contracts import Action
from circlemart.orders import selectors as order_selectors
from circlemart.orders.contracts import PurchaseRef
from circlemart.reviews import errors, selectors
from circlemart.reviews.contracts import (
    MODERATION_ANSWER,
    MODERATION_FOLLOW_UP,
    MODERATION_QUESTION,
    MODERATION_REVIEW,
    ContentStatus,
    HelpfulResult,
    ReviewRef,
)
from circlemart.reviews.events import (
    QuestionAnswered,
    QuestionAsked,
    ReviewFollowUpPublished,
    ReviewPublished,
    ReviewReplied,
)
from circlemart.reviews.models import (
    Answer,
    HelpfulVote,
    Question,
    Review,
    ReviewFollowUp,
    ReviewPhoto,
    ReviewReply,
    ReviewSummary,
)
from circlemart.reviews.photos import PreparedPhoto, prepare_photos

PUBLISHED = ContentStatus.PUBLISHED.value
PENDING = ContentStatus.PENDING.value
REJECTED = ContentStatus.REJECTED.value
HIDDEN = ContentStatus.HIDDEN.value
QUESTION_MAX_LENGTH = 500
ANSWER_MAX_LENGTH = 1000
REPLY_MAX_LENGTH = 1000
EXCERPT_LENGTH = 200


# --- Shared checks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Screened:
    text: str  # what to store: the original with masked words starred
    status: str  # PUBLISHED, or PENDING when a moderator must look first
    reason: str


def _screened(text: str, *, field: str) -> _Screened:
    """A blocked word raises (400 on the field); a mask is applied; review means PENDING."""
    if not text:
        return _Screened(text=text, status=PUBLISHED, reason="")
    result = moderation.text_check(text=text, field=field)
    status = PENDING if result.action == Action.REVIEW else PUBLISHED
    return _Screened(text=result.text, status=status, reason=", ".join(result.categories))


def _queue(*, content_type: str, content_id: int, author_id: int, screened: _Screened) -> None:
    moderation.review_submit(
        content_type=content_type,
        content_id=content_id,
        author_id=author_id,
        excerpt=screened.text[:EXCERPT_LENGTH],
        reason=screened.reason or "filter",
    )


def _require_merchant_staff(user_id: int) -> None:
    if not selectors.is_merchant_staff(user_id=user_id):
        raise PermissionDenied(
            _("Only merchant staff can do this."), code=errors.NOT_MERCHANT_STAFF
        )


def _not_a_buyer() -> PermissionDenied:
    return PermissionDenied(
        _("Only buyers with a delivered order of this product can review it."),
        code=errors.NOT_A_BUYER,
    )


def reviewable_purchase(*, user_id: int, product_id: int, order_line_id: int) -> PurchaseRef:
    """The delivered order line the user wants to review, or a 403 saying why not."""
    for purchase in order_selectors.delivered_purchases(user_id=user_id, product_id=product_id):
        if purchase.order_line_id == order_line_id:
            return purchase
    raise _not_a_buyer()


def _check_rating(rating: object) -> int:
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ValidationFailed(
            _("Choose a rating from 1 to 5 stars."), code=errors.INVALID_RATING, field="rating"
        )
    return rating


# --- Summary ---------------------------------------------------------------------------------


def _summary_apply(*, product_id: int, rating: int, sign: int) -> None:
    """Count a published review in (sign 1) or out (sign -1) of its product's summary."""
    ReviewSummary.objects.bulk_create([ReviewSummary(product_id=product_id)], ignore_conflicts=True)
    stars = f"stars_{rating}"
    changed = ReviewSummary.objects.filter(
        pk=product_id, count__gte=max(-sign, 0), **{f"{stars}__gte": max(-sign, 0)}
    ).update(
        count=F("count") + sign,
        rating_sum=F("rating_sum") + sign * rating,
        **{stars: F(stars) + sign},
    )
    if not changed:  # withdrawing a review that was never counted: a bug, not a user error
        raise RuntimeError(f"review summary of product {product_id} would go negative")
    catalog_services.product_rating_record(
        product_id=product_id, stars_delta=sign * rating, count_delta=sign
    )


def _review_set_status(review: Review, status: str, *, hidden_reason: str = "") -> None:
    """Change a locked review's status and keep the summary in step (caller holds the lock)."""
    was_counted = review.status == PUBLISHED
    is_counted = status == PUBLISHED
    review.status = status
    review.hidden_reason = hidden_reason if status == HIDDEN else ""
    review.save(update_fields=["status", "hidden_reason", "updated_at"])
    if was_counted != is_counted:
        _summary_apply(
            product_id=review.product_id, rating=review.rating, sign=1 if is_counted else -1
        )
    if is_counted and not was_counted:
        publish(
            ReviewPublished(
                review_id=review.pk,
                product_id=review.product_id,
                author_id=review.author_id,
                rating=review.rating,
            )
        )


def _locked_review(review_id: int) -> Review | None:
    return Review.objects.select_for_update().filter(pk=review_id).first()


# --- Reviews ---------------------------------------------------------------------------------


def _photos_save(review: Review, photos: list[PreparedPhoto], *, start: int) -> None:
    """Files are written last in the transaction (everything that can refuse has run), so a
    rollback after them, which would leave orphan files, needs a database failure."""
    for offset, photo in enumerate(photos):
        position = start + offset
        row = ReviewPhoto(review=review, width=photo.width, height=photo.height, position=position)
        row.image.save(f"photo-{position}.webp", ContentFile(photo.image), save=False)
        row.thumbnail.save(f"thumb-{position}.webp", ContentFile(photo.thumbnail), save=False)
        row.save()


def review_create(
    *,
    author_id: int,
    product_id: int,
    order_line_id: int,
    rating: int,
    text: str = "",
    photos: Sequence[UploadedFile[bytes]] = (),
) -> ReviewRef:
    """Review one delivered order line: 400 on bad input, 403 for non-buyers, 409 twice."""
    rating = _check_rating(rating)
    text = clean_plain_text(
        text, field="text", max_length=settings.REVIEWS_TEXT_MAX_LENGTH, multiline=True
    )
    prepared = prepare_photos(list(photos))
    purchase = reviewable_purchase(
        user_id=author_id, product_id=product_id, order_line_id=order_line_id
    )
    if Review.objects.filter(order_line_id=order_line_id).exists():
        raise _already_reviewed()
    screened = _screened(text, field="text")
    with transaction.atomic():
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    product_id=product_id,
                    author_id=author_id,
                    order_line_id=order_line_id,
                    order_number=purchase.order_number,
                    sku_id=purchase.sku_id,
                    rating=rating,
                    text=screened.text,
                    status=PENDING,
                    is_verified=True,
                )
        except IntegrityError as exc:  # the same line reviewed twice at once
            raise _already_reviewed() from exc
        if screened.status == PUBLISHED:
            _review_set_status(review, PUBLISHED)
        else:
            _queue(
                content_type=MODERATION_REVIEW,
                content_id=review.pk,
                author_id=author_id,
                screened=screened,
            )
        _photos_save(review, prepared, start=0)
    return ReviewRef(id=review.pk, status=ContentStatus(review.status))


def _already_reviewed() -> Conflict:
    return Conflict(
        _("You have already reviewed this purchase."),
        code=errors.ALREADY_REVIEWED,
        field="order_line_id",
    )


def review_photos_add(
    *, author_id: int, review_id: int, photos: Sequence[UploadedFile[bytes]]
) -> ReviewRef:
    """Add photos to one's own review, up to REVIEWS_PHOTO_MAX_COUNT in all."""
    if not photos:
        raise ValidationFailed(_("Choose at least one photo."), code="required", field="photos")
    with transaction.atomic():
        review = (
            Review.objects.select_for_update()
            .filter(pk=review_id, author_id=author_id)
            .exclude(status=REJECTED)
            .first()
        )
        if review is None:
            raise NotFound(_("Review not found."), field="review_id")
        existing = review.photos.count()
        prepared = prepare_photos(list(photos), already=existing)
        last = review.photos.aggregate(last=Max("position"))["last"]
        _photos_save(review, prepared, start=0 if last is None else last + 1)
    return ReviewRef(id=review.pk, status=ContentStatus(review.status))


def _visible_review(review_id: int, viewer_id: int | None) -> Review:
    review = Review.objects.filter(pk=review_id).first()
    if review is None or (review.status != PUBLISHED and review.author_id != viewer_id):
        raise NotFound(_("Review not found."), field="review_id")
    return review


def review_follow_up_create(*, author_id: int, review_id: int, text: str) -> ReviewRef:
    """追评: the author adds one follow-up to a review. Returns the follow-up's id and status."""
    text = clean_plain_text(
        text,
        field="text",
        min_length=1,
        max_length=settings.REVIEWS_TEXT_MAX_LENGTH,
        multiline=True,
    )
    review = _visible_review(review_id, author_id)
    if review.author_id != author_id:
        raise PermissionDenied(
            _("Only the author of a review can add a follow-up."), code=errors.NOT_REVIEW_AUTHOR
        )
    if review.status not in {PUBLISHED, PENDING}:
        raise Conflict(_("This review is not shown any more."), code=errors.NOT_PUBLISHED)
    screened = _screened(text, field="text")
    with transaction.atomic():
        try:
            with transaction.atomic():
                follow_up = ReviewFollowUp.objects.create(
                    review=review, text=screened.text, status=screened.status
                )
        except IntegrityError as exc:
            raise Conflict(
                _("This review already has a follow-up."),
                code=errors.FOLLOW_UP_EXISTS,
                field="review_id",
            ) from exc
        if screened.status == PENDING:
            _queue(
                content_type=MODERATION_FOLLOW_UP,
                content_id=follow_up.pk,
                author_id=author_id,
                screened=screened,
            )
        else:
            _follow_up_announce(follow_up.pk)
    return ReviewRef(id=follow_up.pk, status=ContentStatus(screened.status))


def _follow_up_announce(follow_up_id: int) -> None:
    follow_up = ReviewFollowUp.objects.select_related("review").get(pk=follow_up_id)
    publish(
        ReviewFollowUpPublished(
            follow_up_id=follow_up.pk,
            review_id=follow_up.review_id,
            product_id=follow_up.review.product_id,
            author_id=follow_up.review.author_id,
        )
    )


def _helpful_result(review_id: int, voter_id: int) -> HelpfulResult:
    count = Review.objects.values_list("helpful_count", flat=True).get(pk=review_id)
    voted = HelpfulVote.objects.filter(review_id=review_id, voter_id=voter_id).exists()
    return HelpfulResult(review_id=review_id, helpful_count=count, is_helpful_by_viewer=voted)


def review_helpful_vote(*, voter_id: int, review_id: int) -> HelpfulResult:
    """One helpful vote per user per review (DB unique); voting again changes nothing."""
    author_id = (
        Review.objects.filter(pk=review_id, status=PUBLISHED)
        .values_list("author_id", flat=True)
        .first()
    )
    if author_id is None:
        raise NotFound(_("Review not found."), field="review_id")
    if author_id == voter_id:
        raise PermissionDenied(_("You cannot vote on your own review."), code=errors.OWN_REVIEW)
    with transaction.atomic():
        try:
            with transaction.atomic():
                HelpfulVote.objects.create(review_id=review_id, voter_id=voter_id)
        except IntegrityError:
            pass  # already voted: the count already holds this vote
        else:
            Review.objects.filter(pk=review_id).update(helpful_count=F("helpful_count") + 1)
    return _helpful_result(review_id, voter_id)


def review_helpful_unvote(*, voter_id: int, review_id: int) -> HelpfulResult:
    if not Review.objects.filter(pk=review_id, status=PUBLISHED).exists():
        raise NotFound(_("Review not found."), field="review_id")
    with transaction.atomic():
        deleted, _rows = HelpfulVote.objects.filter(review_id=review_id, voter_id=voter_id).delete()
        if deleted:
            Review.objects.filter(pk=review_id, helpful_count__gt=0).update(
                helpful_count=F("helpful_count") - 1
            )
    return _helpful_result(review_id, voter_id)


def review_reply_set(*, replier_id: int, review_id: int, text: str) -> None:
    """Merchant staff reply to a review (again replaces the reply); its author is notified."""
    _require_merchant_staff(replier_id)
    text = clean_plain_text(
        text, field="text", min_length=1, max_length=REPLY_MAX_LENGTH, multiline=True
    )
    # Staff replies are screened (blocked words refused, masked words masked) but not queued.
    text = moderation.text_check(text=text, field="text").text
    with transaction.atomic():
        review = _locked_review(review_id)
        if review is None or review.status == REJECTED:
            raise NotFound(_("Review not found."), field="review_id")
        ReviewReply.objects.update_or_create(
            review=review, defaults={"author_id": replier_id, "text": text}
        )
        publish(
            ReviewReplied(
                review_id=review.pk,
                product_id=review.product_id,
                review_author_id=review.author_id,
                replier_id=replier_id,
            )
        )


def review_hide(*, staff_id: int, review_id: int, reason: str = "") -> None:
    """Merchant staff hide a published (or pending) review; it leaves the summary."""
    _require_merchant_staff(staff_id)
    reason = clean_plain_text(reason, field="reason", max_length=200)
    with transaction.atomic():
        review = _locked_review(review_id)
        if review is None:
            raise NotFound(_("Review not found."), field="review_id")
        if review.status in {PUBLISHED, PENDING}:
            _review_set_status(review, HIDDEN, hidden_reason=reason)


def review_unhide(*, staff_id: int, review_id: int) -> None:
    _require_merchant_staff(staff_id)
    with transaction.atomic():
        review = _locked_review(review_id)
        if review is None:
            raise NotFound(_("Review not found."), field="review_id")
        if review.status == HIDDEN:
            _review_set_status(review, PUBLISHED)


# --- Questions and answers -------------------------------------------------------------------


def _invitee_ids(*, product_id: int, asker_id: int) -> list[int]:
    """Buyers to ask: the latest distinct buyers who received the product."""
    return order_selectors.product_buyer_ids(
        product_id=product_id,
        limit=int(settings.REVIEWS_QUESTION_INVITES),
        exclude_user_id=asker_id,
    )


def _question_announce(question: Question) -> None:
    publish(
        QuestionAsked(
            question_id=question.pk,
            product_id=question.product_id,
            asker_id=question.author_id,
            excerpt=question.text[:120],
            invitee_ids=_invitee_ids(product_id=question.product_id, asker_id=question.author_id),
        )
    )


def question_ask(*, author_id: int, product_id: int, text: str) -> ReviewRef:
    """Anyone signed in asks about an on-sale product; its buyers are invited to answer."""
    text = clean_plain_text(
        text, field="text", min_length=1, max_length=QUESTION_MAX_LENGTH, multiline=True
    )
    if not catalog_selectors.product_cards([product_id]):
        raise NotFound(_("Product not found."), field="product_id")
    screened = _screened(text, field="text")
    with transaction.atomic():
        question = Question.objects.create(
            product_id=product_id,
            author_id=author_id,
            text=screened.text,
            status=screened.status,
        )
        if screened.status == PUBLISHED:
            _question_announce(question)
        else:
            _queue(
                content_type=MODERATION_QUESTION,
                content_id=question.pk,
                author_id=author_id,
                screened=screened,
            )
    return ReviewRef(id=question.pk, status=ContentStatus(screened.status))


def _answer_published(answer: Answer, question: Question) -> None:
    Question.objects.filter(pk=question.pk).update(answer_count=F("answer_count") + 1)
    publish(
        QuestionAnswered(
            question_id=question.pk,
            answer_id=answer.pk,
            product_id=question.product_id,
            asker_id=question.author_id,
            answerer_id=answer.author_id,
            excerpt=answer.text[:120],
        )
    )


def answer_post(*, author_id: int, question_id: int, text: str) -> ReviewRef:
    """Only people with a delivered purchase of the product answer its questions."""
    text = clean_plain_text(
        text, field="text", min_length=1, max_length=ANSWER_MAX_LENGTH, multiline=True
    )
    question = Question.objects.filter(pk=question_id, status=PUBLISHED).first()
    if question is None:
        raise NotFound(_("Question not found."), field="question_id")
    if not order_selectors.delivered_purchases(user_id=author_id, product_id=question.product_id):
        raise PermissionDenied(
            _("Only people who bought this product can answer."), code=errors.NOT_A_BUYER
        )
    screened = _screened(text, field="text")
    with transaction.atomic():
        answer = Answer.objects.create(
            question=question, author_id=author_id, text=screened.text, status=screened.status
        )
        if screened.status == PUBLISHED:
            _answer_published(answer, question)
        else:
            _queue(
                content_type=MODERATION_ANSWER,
                content_id=answer.pk,
                author_id=author_id,
                screened=screened,
            )
    return ReviewRef(id=answer.pk, status=ContentStatus(screened.status))


def answer_mark_best(*, user_id: int, answer_id: int) -> None:
    """The asker (or merchant staff) picks the best answer; it is listed first."""
    answer = (
        Answer.objects.select_related("question")
        .filter(pk=answer_id, status=PUBLISHED, question__status=PUBLISHED)
        .first()
    )
    if answer is None:
        raise NotFound(_("Answer not found."), field="answer_id")
    if answer.question.author_id != user_id and not selectors.is_merchant_staff(user_id=user_id):
        raise PermissionDenied(
            _("Only the person who asked can pick the best answer."), code=errors.NOT_ASKER
        )
    with transaction.atomic():
        # The question's row lock orders concurrent picks; the partial unique index backs it.
        Question.objects.select_for_update().filter(pk=answer.question_id).values_list(
            "pk", flat=True
        ).get()
        Answer.objects.filter(question_id=answer.question_id, is_best=True).exclude(
            pk=answer.pk
        ).update(is_best=False)
        Answer.objects.filter(pk=answer.pk).update(is_best=True)


# --- Moderation outcomes ---------------------------------------------------------------------


def moderation_decided(*, content_type: str, content_id: int, is_approved: bool) -> None:
    """Apply a moderator's decision to our content; repeated decisions are harmless."""
    with transaction.atomic():
        if content_type == MODERATION_REVIEW:
            _decide_review(content_id, is_approved)
        elif content_type == MODERATION_FOLLOW_UP:
            changed = ReviewFollowUp.objects.filter(
                pk=content_id,
                status__in=[REJECTED, PENDING] if is_approved else [PUBLISHED, PENDING],
            ).update(status=PUBLISHED if is_approved else REJECTED)
            if changed and is_approved:
                _follow_up_announce(content_id)
        elif content_type == MODERATION_QUESTION:
            _decide_question(content_id, is_approved)
        elif content_type == MODERATION_ANSWER:
            _decide_answer(content_id, is_approved)


def _decide_review(review_id: int, is_approved: bool) -> None:
    review = _locked_review(review_id)
    if review is None:
        return
    if is_approved and review.status in {PENDING, REJECTED}:
        _review_set_status(review, PUBLISHED)
    elif not is_approved and review.status in {PENDING, PUBLISHED, HIDDEN}:
        _review_set_status(review, REJECTED)


def _decide_question(question_id: int, is_approved: bool) -> None:
    question = Question.objects.select_for_update().filter(pk=question_id).first()
    if question is None:
        return
    if is_approved and question.status in {PENDING, REJECTED}:
        first_time = question.status == PENDING
        question.status = PUBLISHED
        question.save(update_fields=["status"])
        if first_time:
            _question_announce(question)
    elif not is_approved and question.status != REJECTED:
        question.status = REJECTED
        question.save(update_fields=["status"])


def _decide_answer(answer_id: int, is_approved: bool) -> None:
    answer = Answer.objects.select_for_update().filter(pk=answer_id).first()
    if answer is None:
        return
    question = Question.objects.select_for_update().get(pk=answer.question_id)
    if is_approved and answer.status in {PENDING, REJECTED}:
        answer.status = PUBLISHED
        answer.save(update_fields=["status"])
        _answer_published(answer, question)
    elif not is_approved and answer.status != REJECTED:
        was_published = answer.status == PUBLISHED
        answer.status = REJECTED
        answer.is_best = False
        answer.save(update_fields=["status", "is_best"])
        if was_published:
            Question.objects.filter(pk=question.pk, answer_count__gt=0).update(
                answer_count=F("answer_count") - 1
            )
