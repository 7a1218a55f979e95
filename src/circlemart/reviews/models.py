"""Tables of reviews: reviews by verified buyers (one per order line), their photos, one
follow-up each, helpful votes, merchant replies, per-product summaries, and product Q&A."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from circlemart.reviews.contracts import ContentStatus

STATUS_CHOICES = [(status.value, status.value) for status in ContentStatus]


class Review(models.Model):
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="product_reviews"
    )
    # The order line lives in orders; a plain id keeps this app free of its tables.
    order_line_id = models.BigIntegerField(_("order line"))
    order_number = models.CharField(max_length=40, blank=True, default="")
    sku_id = models.BigIntegerField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"))
    text = models.TextField(_("text"), blank=True, default="")
    status = models.CharField(
        _("status"), max_length=12, choices=STATUS_CHOICES, default=ContentStatus.PUBLISHED.value
    )
    is_verified = models.BooleanField(_("verified purchase"), default=True)
    helpful_count = models.PositiveIntegerField(_("helpful votes"), default=0)
    hidden_reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.UniqueConstraint(fields=["order_line_id"], name="review_one_per_order_line"),
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="review_rating_1_to_5"
            ),
            models.CheckConstraint(condition=Q(helpful_count__gte=0), name="review_helpful_ok"),
        ]
        indexes = [
            models.Index(fields=["product", "status", "-created_at", "-id"], name="reviews_newest"),
            models.Index(fields=["author", "-created_at"], name="reviews_by_author"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ #{self.pk} on product {self.product_id}"


def review_photo_path(instance: ReviewPhoto, filename: str) -> str:
    return f"reviews/{instance.review_id}/{filename}"


class ReviewPhoto(models.Model):
    """Re-encoded as WebP from decoded pixels, so no metadata (EXIF, GPS) survives."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=review_photo_path)
    thumbnail = models.ImageField(upload_to=review_photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("review photo")
        verbose_name_plural = _("review photos")
        ordering = ["review_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "position"], name="review_photo_position_once"
            )
        ]

    def __str__(self) -> str:
        return str(self.image.name)


class ReviewFollowUp(models.Model):
    """追评: the author's one later word on a review."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="follow_up")
    text = models.TextField(_("text"))
    status = models.CharField(
        max_length=12, choices=STATUS_CHOICES, default=ContentStatus.PUBLISHED.value
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up review")
        verbose_name_plural = _("follow-up reviews")

    def __str__(self) -> str:
        return f"follow-up of review {self.review_id}"


class HelpfulVote(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="helpful_votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("helpful vote")
        verbose_name_plural = _("helpful votes")
        constraints = [
            models.UniqueConstraint(fields=["review", "voter"], name="helpful_vote_once")
        ]

    def __str__(self) -> str:
        return f"{self.voter_id} found review {self.review_id} helpful"


class ReviewReply(models.Model):
    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="merchant_reply")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("merchant reply")
        verbose_name_plural = _("merchant replies")

    def __str__(self) -> str:
        return f"reply to review {self.review_id}"


class ReviewSummary(models.Model):
    """Published reviews of one product by stars. Changed only by conditional F() updates in
    the transaction that publishes or withdraws a review, so it never drifts."""

    product = models.OneToOneField(
        "catalog.Product", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    count = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    stars_1 = models.PositiveIntegerField(default=0)
    stars_2 = models.PositiveIntegerField(default=0)
    stars_3 = models.PositiveIntegerField(default=0)
    stars_4 = models.PositiveIntegerField(default=0)
    stars_5 = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("review summary")
        verbose_name_plural = _("review summaries")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    count=F("stars_1") + F("stars_2") + F("stars_3") + F("stars_4") + F("stars_5")
                ),
                name="review_summary_counts_add_up",
            ),
            models.CheckConstraint(
                condition=Q(rating_sum__lte=F("count") * 5) & Q(rating_sum__gte=F("count")),
                name="review_summary_sum_ok",
            ),
        ]

    def __str__(self) -> str:
        return f"product {self.product_id}: {self.count} reviews"


class Question(models.Model):
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="product_questions"
    )
    text = models.TextField(_("question"))
    status = models.CharField(
        max_length=12, choices=STATUS_CHOICES, default=ContentStatus.PUBLISHED.value
    )
    answer_count = models.PositiveIntegerField(default=0)  # published answers
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        indexes = [
            models.Index(
                fields=["product", "status", "-created_at", "-id"], name="questions_newest"
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Answer(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="product_answers"
    )
    text = models.TextField(_("answer"))
    status = models.CharField(
        max_length=12, choices=STATUS_CHOICES, default=ContentStatus.PUBLISHED.value
    )
    is_best = models.BooleanField(_("best answer"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["question"], condition=Q(is_best=True), name="answer_one_best_per_question"
            )
        ]
        indexes = [
            models.Index(fields=["question", "-is_best", "created_at"], name="answers_best_first")
        ]

    def __str__(self) -> str:
        return self.text[:60]
