"""Tables of the daily check-in: one row per shopper per calendar day (the unique index is the
last word on "once a day"), the streak-reward ladder operators set, and make-up cards — a
count per shopper that the database keeps at or above zero, with every movement recorded once
under its idempotency key."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CheckIn(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))  # a calendar day in GROWTH_TIME_ZONE
    streak = models.PositiveIntegerField(_("streak"))  # consecutive days ending on `day`
    is_make_up = models.BooleanField(_("make-up"), default=False)
    created_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="checkin_once_a_day"),
            models.CheckConstraint(condition=Q(streak__gte=1), name="checkin_streak_positive"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} · {self.day} · streak {self.streak}"


class CheckinAccount(models.Model):
    """A shopper's make-up cards and totals; its row is the per-user lock of check-in writes."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    make_up_cards = models.IntegerField(_("make-up cards"), default=0)
    longest_streak = models.PositiveIntegerField(_("longest streak"), default=0)
    total_days = models.PositiveIntegerField(_("days checked in"), default=0)

    class Meta:
        verbose_name = _("check-in account")
        verbose_name_plural = _("check-in accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(make_up_cards__gte=0), name="checkin_make_up_cards_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"user {self.user_id}: {self.make_up_cards} cards"


class MakeUpCardMovement(models.Model):
    """One card given (+) or spent (−), once per idempotency key."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    delta = models.IntegerField(_("cards"))
    reason = models.CharField(_("reason"), max_length=32)  # streak, task, make_up, operator
    reference = models.CharField(_("reference"), max_length=64, blank=True, default="")
    idempotency_key = models.CharField(max_length=128, unique=True)
    created_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("make-up card movement")
        verbose_name_plural = _("make-up card movements")
        indexes = [models.Index(fields=["user", "-created_at"], name="checkin_card_user")]
        constraints = [
            models.CheckConstraint(condition=~Q(delta=0), name="checkin_card_delta_not_zero")
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} {self.delta:+d} ({self.reason})"


class StreakRewardRule(models.Model):
    """What checking in on day N of the streak cycle pays (CHECKIN_CYCLE_DAYS days, then the
    cycle starts again): points and/or one coupon, plus make-up cards."""

    streak_day = models.PositiveSmallIntegerField(
        _("streak day"), unique=True, help_text=_("Day of the cycle, from 1.")
    )
    points = models.PositiveIntegerField(_("points"), default=0)
    coupon_template_id = models.BigIntegerField(
        _("coupon template id"),
        null=True,
        blank=True,
        help_text=_("A non-public coupon template given as well (optional)."),
    )
    make_up_cards = models.PositiveSmallIntegerField(_("make-up cards"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("streak reward")
        verbose_name_plural = _("streak rewards")
        ordering = ["streak_day"]
        constraints = [
            models.CheckConstraint(
                condition=Q(streak_day__gte=1), name="checkin_rule_streak_day_positive"
            ),
            models.CheckConstraint(
                condition=Q(points__gt=0)
                | Q(coupon_template_id__isnull=False)
                | Q(make_up_cards__gt=0),
                name="checkin_rule_pays_something",
            ),
        ]

    def __str__(self) -> str:
        return f"day {self.streak_day}"

    def clean(self) -> None:
        if self.streak_day and self.streak_day > settings.CHECKIN_CYCLE_DAYS:
            raise ValidationError(
                {
                    "streak_day": _("The streak cycle has %(days)d days.")
                    % {"days": settings.CHECKIN_CYCLE_DAYS}
                }
            )
        if not self.points and not self.coupon_template_id and not self.make_up_cards:
            raise ValidationError(_("A streak reward pays points, a coupon or make-up cards."))
