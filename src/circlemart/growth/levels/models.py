"""Levels, growth value and badges.

Growth value is a small ledger: one entry per thing that earned it (written once under its
idempotency key, derived from the event that caused it) and one account row per user holding
the lifetime total, the current level, its grace period and the birthday. Every write of a
user's growth runs with their account row locked, so the daily activity cap and level changes
are decided one at a time per user.

Badges: a counter per (user, what it counts) moved by idempotent handlers (each counted thing
leaves a step under its key), and an award per (user, rule) that the database keeps unique."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from circlemart.growth.levels.contracts import BadgeCounter, GrowthReason, LevelDirection
from circlemart.promotions.coupons.contracts import MemberLevelCode

MULTIPLIER_MIN = 100
MULTIPLIER_MAX = 1000


class Level(models.Model):
    """A membership level: reached at `threshold` growth value; its benefits."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=30)
    name_en = models.CharField(_("English name"), max_length=30, blank=True, default="")
    threshold = models.PositiveIntegerField(
        _("growth value needed"), unique=True, help_text=_("The lowest level should need 0.")
    )
    member_price_level = models.CharField(
        _("member prices"),
        max_length=12,
        choices=MemberLevelCode.choices,
        blank=True,
        default="",
        help_text=_("Members of this level pay the member prices of this price level."),
    )
    has_free_shipping = models.BooleanField(_("free shipping"), default=False)
    points_multiplier_percent = models.PositiveSmallIntegerField(
        _("points multiplier (%)"),
        default=100,
        help_text=_("Points earned on purchases: 100 = ×1, 150 = ×1.5 (100 to 1000)."),
    )
    birthday_coupon_template = models.ForeignKey(
        "promotions.CouponTemplate",
        verbose_name=_("birthday coupon"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("A coupon of this template is given once a year on the member's birthday."),
    )

    class Meta:
        verbose_name = _("level")
        verbose_name_plural = _("levels")
        ordering = ["threshold"]
        constraints = [
            models.CheckConstraint(
                condition=Q(points_multiplier_percent__gte=MULTIPLIER_MIN)
                & Q(points_multiplier_percent__lte=MULTIPLIER_MAX),
                name="level_multiplier_in_range",
            )
        ]

    def __str__(self) -> str:
        return self.name


class GrowthAccount(models.Model):
    """One per user who ever earned growth value (or set a birthday)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    total = models.BigIntegerField(_("lifetime growth value"), default=0)
    level = models.ForeignKey(
        Level,
        verbose_name=_("level"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    level_since = models.DateTimeField(_("level since"), null=True, blank=True)
    # Set when a review found the growth value below the level's threshold: the level is kept
    # until then and lowered by the first review after it, unless the value came back.
    grace_until = models.DateTimeField(_("keeps the level until"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("last reviewed"), null=True, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("member level")
        verbose_name_plural = _("member levels")
        indexes = [models.Index(fields=["level"], name="growth_account_level")]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="growth_total_not_negative")
        ]

    def __str__(self) -> str:
        return f"user {self.user_id}: {self.total}"


class GrowthValueEntry(models.Model):
    """Growth value earned once, under the key of what earned it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    amount = models.PositiveIntegerField(_("growth value"))
    reason = models.CharField(_("reason"), max_length=16, choices=GrowthReason.choices)
    reference = models.CharField(_("reference"), max_length=64, blank=True, default="")
    idempotency_key = models.CharField(max_length=128, unique=True)
    created_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("growth value entry")
        verbose_name_plural = _("growth value entries")
        indexes = [models.Index(fields=["user", "-created_at", "-id"], name="growth_entry_user")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="growth_entry_positive")
        ]

    def __str__(self) -> str:
        return f"+{self.amount} ({self.reason})"


class LevelChange(models.Model):
    """A member moved up or down: the history the member and operators read."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    from_level = models.ForeignKey(
        Level, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_level = models.ForeignKey(
        Level, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    direction = models.CharField(
        _("direction"), max_length=4, choices=[(d.value, d.value) for d in LevelDirection]
    )
    growth_value = models.BigIntegerField(_("growth value then"))
    created_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("level change")
        verbose_name_plural = _("level changes")
        indexes = [models.Index(fields=["user", "-created_at"], name="level_change_user")]

    def __str__(self) -> str:
        return f"user {self.user_id} {self.direction}"


class BadgeRule(models.Model):
    """A badge: earned when the holder's `counter` reaches `threshold`."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=30)
    name_en = models.CharField(_("English name"), max_length=30, blank=True, default="")
    description = models.CharField(_("description"), max_length=120, blank=True, default="")
    description_en = models.CharField(
        _("English description"), max_length=120, blank=True, default=""
    )
    icon = models.CharField(_("icon"), max_length=8, help_text=_("An emoji, e.g. 🛍️"))
    counter = models.CharField(_("counts"), max_length=16, choices=BadgeCounter.choices)
    threshold = models.PositiveIntegerField(_("count needed"))
    is_active = models.BooleanField(_("active"), default=True)
    is_public = models.BooleanField(
        _("shown on profiles"), default=True, help_text=_("Others see it on the holder's profile.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("badge rule")
        verbose_name_plural = _("badge rules")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gt=0), name="badge_threshold_positive")
        ]

    def __str__(self) -> str:
        return f"{self.icon} {self.name}"


class BadgeProgress(models.Model):
    """How many of `counter` a user has (what badge rules compare with their threshold)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    counter = models.CharField(max_length=16, choices=BadgeCounter.choices)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "counter"], name="badge_progress_once"),
            models.CheckConstraint(condition=Q(value__gte=0), name="badge_progress_not_negative"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} {self.counter}={self.value}"


class BadgeProgressStep(models.Model):
    """One counted thing (an order, a review, a note, a check-in day), counted once."""

    idempotency_key = models.CharField(max_length=128, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    counter = models.CharField(max_length=16, choices=BadgeCounter.choices)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.idempotency_key


class BadgeAward(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(BadgeRule, on_delete=models.CASCADE, related_name="awards")
    awarded_at = models.DateTimeField(_("awarded at"))

    class Meta:
        verbose_name = _("badge awarded")
        verbose_name_plural = _("badges awarded")
        indexes = [models.Index(fields=["user", "awarded_at"], name="badge_award_user")]
        constraints = [
            models.UniqueConstraint(fields=["user", "rule"], name="badge_award_once"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id}: {self.rule_id}"
