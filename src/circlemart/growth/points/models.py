"""The points ledger: double-entry. An entry is one movement; its postings (two or more) sum to
zero. A user's balance is kept on one row that the database refuses to take below zero; the
system accounts (issued, spent, expired, reversed) have no balance row — their balance is the
sum of their postings — because one hot row would serialise every writer of every user.

Lots are what a user earned, in FIFO order: spending and expiry consume them oldest first, and
a lot use records which lot paid for which entry so a return can give back the same points."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from circlemart.growth.points.contracts import Account, EarnRuleCode, EntryKind


class PointsBalance(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    balance = models.BigIntegerField(_("balance"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("points balance")
        verbose_name_plural = _("points balances")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="points_balance_not_negative")
        ]

    def __str__(self) -> str:
        return f"user {self.user_id}: {self.balance}"


class PointsEntry(models.Model):
    """One movement of points, written once under its idempotency key."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(
        _("kind"), max_length=8, choices=[(k.value, k.value) for k in EntryKind]
    )
    reason = models.CharField(_("reason"), max_length=32)  # order_paid, checkin, invite, redeem…
    reference = models.CharField(_("reference"), max_length=64, blank=True, default="")
    amount = models.BigIntegerField(_("points"))  # positive: the size of the movement
    idempotency_key = models.CharField(max_length=128, unique=True)
    created_at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        indexes = [models.Index(fields=["user", "-created_at", "-id"], name="points_entry_user")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="points_entry_positive")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.reason})"


class PointsPosting(models.Model):
    """One side of an entry: `amount` (signed) into `account` (of `user` when it is a user's)."""

    entry = models.ForeignKey(PointsEntry, on_delete=models.CASCADE, related_name="postings")
    account = models.CharField(max_length=8, choices=[(a.value, a.value) for a in Account])
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    amount = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["account", "user"], name="points_posting_account")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="points_posting_not_zero"),
            models.CheckConstraint(
                condition=(Q(account=Account.USER) & Q(user__isnull=False))
                | (~Q(account=Account.USER) & Q(user__isnull=True)),
                name="points_posting_user_account_has_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount:+d}"


class PointsLot(models.Model):
    """Points earned together, spent and expired oldest first."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    entry = models.ForeignKey(PointsEntry, on_delete=models.CASCADE, related_name="lots")
    amount = models.BigIntegerField()
    remaining = models.BigIntegerField()
    earned_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)  # None: never
    warned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["user", "expires_at", "earned_at", "id"],
                name="points_lot_fifo",
                condition=Q(remaining__gt=0),
            ),
            models.Index(
                fields=["expires_at"], name="points_lot_due", condition=Q(remaining__gt=0)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("amount")),
                name="points_lot_remaining_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"lot {self.pk}: {self.remaining}/{self.amount}"


class PointsLotUse(models.Model):
    """How much of a lot an outgoing entry (spend, expire, reverse) consumed; `returned` is how
    much of that a later return gave back."""

    lot = models.ForeignKey(PointsLot, on_delete=models.CASCADE, related_name="uses")
    entry = models.ForeignKey(PointsEntry, on_delete=models.CASCADE, related_name="lot_uses")
    amount = models.BigIntegerField()
    returned = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(returned__gte=0)
                & Q(returned__lte=models.F("amount")),
                name="points_lot_use_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"lot {self.lot_id} −{self.amount}"


class PointsEarnRule(models.Model):
    """How many points one kind of earning pays, tuned by operators. For order_paid_per_yuan
    `points` is a rate: points per yuan kept once the order's after-sales window closed."""

    code = models.CharField(
        _("earned for"),
        max_length=32,
        unique=True,
        choices=[(code.value, code.value) for code in EarnRuleCode],
    )
    points = models.PositiveIntegerField(_("points"), help_text=_("For purchases: per yuan."))
    daily_cap = models.PositiveIntegerField(
        _("daily cap"),
        default=0,
        help_text=_("Most points one user earns by this rule per day (0: no cap)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("points earn rule")
        verbose_name_plural = _("points earn rules")
        ordering = ("id",)
        constraints = [
            models.CheckConstraint(
                condition=Q(points__gte=0) & Q(daily_cap__gte=0), name="points_rule_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.code


class PointsOrderEarning(models.Model):
    """The purchase points of one order, credited once its after-sales window closed: on
    `kept_amount` (minor units), `points` in all. `reversed` counts what later refunds took
    back (including what the user then owed), so a refund never takes back more than this."""

    order_number = models.CharField(_("order"), max_length=32, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    entry = models.ForeignKey(PointsEntry, on_delete=models.PROTECT, related_name="+")
    kept_amount = models.BigIntegerField(_("kept amount"))
    rate = models.PositiveIntegerField(_("points per yuan"))
    multiplier_percent = models.PositiveIntegerField(_("level multiplier %"))
    points = models.BigIntegerField(_("points"))
    reversed = models.BigIntegerField(_("reversed"), default=0)
    created_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("order points")
        verbose_name_plural = _("order points")
        constraints = [
            models.CheckConstraint(
                condition=Q(points__gt=0)
                & Q(kept_amount__gt=0)
                & Q(reversed__gte=0)
                & Q(reversed__lte=models.F("points")),
                name="points_order_earning_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_number}: {self.points}"


class PointsDebt(models.Model):
    """Points a refund should have taken back but the balance no longer held: the user's next
    earnings pay this first (one row per user, never below zero)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    owed = models.BigIntegerField(_("owed"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("points owed")
        verbose_name_plural = _("points owed")
        constraints = [
            models.CheckConstraint(condition=Q(owed__gte=0), name="points_debt_not_negative")
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} owes {self.owed}"
