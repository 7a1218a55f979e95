"""Tables of moderation: the sensitive-word list, the review queue and user reports.

Content is referred to by (content_type, content_id) and people by user id: moderation
reviews content that belongs to other apps and never reaches into their tables.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from circlemart.moderation.contracts import Action, ReportReason, ReviewStatus


class WordCategory(models.TextChoices):
    SPAM = "spam", _("Spam and ads")
    ABUSE = "abuse", _("Abuse")
    GAMBLING = "gambling", _("Gambling")
    SEXUAL = "sexual", _("Sexual content")
    FRAUD = "fraud", _("Fraud")
    ILLEGAL = "illegal", _("Illegal goods")
    OTHER = "other", _("Other")


class WordAction(models.TextChoices):
    BLOCK = Action.BLOCK.value, _("Block")
    MASK = Action.MASK.value, _("Mask")
    REVIEW = Action.REVIEW.value, _("Send to review")


class ReviewStatusChoice(models.TextChoices):
    OPEN = ReviewStatus.OPEN.value, _("Open")
    APPROVED = ReviewStatus.APPROVED.value, _("Approved")
    REJECTED = ReviewStatus.REJECTED.value, _("Rejected")


class ReviewSource(models.TextChoices):
    FILTER = "filter", _("Word filter")
    REPORT = "report", _("User report")
    MANUAL = "manual", _("Manual")


class ReportReasonChoice(models.TextChoices):
    SPAM = ReportReason.SPAM.value, _("Spam or advertising")
    ABUSE = ReportReason.ABUSE.value, _("Harassment or abuse")
    SEXUAL = ReportReason.SEXUAL.value, _("Sexual content")
    ILLEGAL = ReportReason.ILLEGAL.value, _("Illegal goods or activity")
    FRAUD = ReportReason.FRAUD.value, _("Fraud or scam")
    INFRINGEMENT = ReportReason.INFRINGEMENT.value, _("Counterfeit or infringement")
    OTHER = ReportReason.OTHER.value, _("Other")


class SensitiveWord(models.Model):
    word = models.CharField(_("word"), max_length=100, unique=True)
    category = models.CharField(
        _("category"), max_length=20, choices=WordCategory.choices, default=WordCategory.OTHER
    )
    action = models.CharField(
        _("action"), max_length=10, choices=WordAction.choices, default=WordAction.REVIEW
    )
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("sensitive word")
        verbose_name_plural = _("sensitive words")
        ordering = ("category", "word")

    def __str__(self) -> str:
        return self.word


class ReviewItem(models.Model):
    """One piece of content waiting for (or having had) a human decision."""

    # note, comment, review, user, circle, or any other kind an owning app sends
    content_type = models.CharField(_("content type"), max_length=30)
    content_id = models.BigIntegerField(_("content id"))
    author_id = models.BigIntegerField(_("author id"), db_index=True)
    excerpt = models.TextField(_("excerpt"), blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=ReviewSource.choices, default=ReviewSource.FILTER
    )
    priority = models.IntegerField(_("priority"), default=0)
    report_count = models.PositiveIntegerField(_("reports"), default=0)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ReviewStatusChoice.choices,
        default=ReviewStatusChoice.OPEN,
    )
    created_at = models.DateTimeField(_("created at"))
    due_at = models.DateTimeField(_("due at"))
    decided_by_id = models.BigIntegerField(_("decided by"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)

    class Meta:
        verbose_name = _("review item")
        verbose_name_plural = _("review items")
        constraints = [
            # The database has the last word: one open item per piece of content.
            models.UniqueConstraint(
                fields=["content_type", "content_id"],
                condition=Q(status="open"),
                name="moderation_one_open_item_per_content",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(decided_at__isnull=False),
                name="moderation_decided_item_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-priority", "created_at"], name="moderation_queue"),
            models.Index(fields=["content_type", "content_id"], name="moderation_item_content"),
        ]

    def __str__(self) -> str:
        return f"{self.content_type}:{self.content_id} ({self.status})"


class Report(models.Model):
    reporter_id = models.BigIntegerField(_("reporter id"))
    # note, comment, review, user, circle, or any other kind an owning app sends
    content_type = models.CharField(_("content type"), max_length=30)
    content_id = models.BigIntegerField(_("content id"))
    author_id = models.BigIntegerField(_("author id"))
    reason = models.CharField(_("reason"), max_length=20, choices=ReportReasonChoice.choices)
    detail = models.TextField(_("detail"), blank=True)
    excerpt = models.TextField(_("excerpt"), blank=True)
    review_item = models.ForeignKey(
        ReviewItem,
        verbose_name=_("review item"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(
                fields=["reporter_id", "content_type", "content_id"],
                name="moderation_one_report_per_reporter",
            ),
        ]
        indexes = [
            models.Index(fields=["content_type", "content_id"], name="moderation_report_content"),
        ]

    def __str__(self) -> str:
        return f"{self.content_type}:{self.content_id} by {self.reporter_id}"
