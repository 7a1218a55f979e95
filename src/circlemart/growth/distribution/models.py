"""Tables of distribution (分销): distributors and their levels, promotion links, buyer
bindings, commission rates, and the commission ledger.

The ledger: every movement is one CommissionEntry (written once under its idempotency key)
with signed deltas for the four figures of the distributor's CommissionAccount — frozen,
settled (withdrawable), withdrawing and withdrawn. The account row is changed only by
conditional UPDATEs in the same transaction as its entry, so it always equals the sum of its
entries. `settled` alone may go below zero: a refund after settlement is carried and netted
against later commission, never lost."""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from circlemart.growth.distribution.contracts import (
    FULL_RATE,
    CommissionStatus,
    DistributorStatus,
    EntryKind,
    LinkTarget,
    RateScope,
    WithdrawalStatus,
)


def _choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    return [(member.value, member.value) for member in enum]


class DistributorLevel(models.Model):
    """A rank of distributors (e.g. bronze, silver, gold); rates may differ per level."""

    name = models.CharField(_("name"), max_length=64)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True)

    class Meta:
        ordering = ("rank",)
        verbose_name = _("distributor level")
        verbose_name_plural = _("distributor levels")

    def __str__(self) -> str:
        return self.name


class Distributor(models.Model):
    """A user who applied (no fee, no purchase) to earn commission on sales through links."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=_choices(DistributorStatus),
        default=DistributorStatus.PENDING,
    )
    code = models.CharField(_("code"), max_length=16, unique=True)
    level = models.ForeignKey(
        DistributorLevel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="distributors",
        verbose_name=_("level"),
    )
    # Who recruited this distributor: the tier-2 earner on this distributor's sales. Counting
    # from here, no one further up ever earns (at most two tiers).
    upline = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="downline",
        verbose_name=_("upline"),
    )
    applied_at = models.DateTimeField(_("applied at"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    review_note = models.CharField(_("review note"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("distributor")
        verbose_name_plural = _("distributors")
        indexes = [models.Index(fields=["status", "applied_at"], name="distributor_status")]
        constraints = [
            models.CheckConstraint(condition=~Q(upline=F("id")), name="distributor_not_own_upline")
        ]

    def __str__(self) -> str:
        return f"{self.code} (user {self.user_id})"


class PromotionLink(models.Model):
    """A distributor's link to a product, a category or the whole shop."""

    distributor = models.ForeignKey(Distributor, on_delete=models.CASCADE, related_name="links")
    target = models.CharField(_("target"), max_length=8, choices=_choices(LinkTarget))
    target_id = models.BigIntegerField(_("target id"), default=0)  # 0 for the shop
    visits = models.PositiveIntegerField(_("visits"), default=0)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("promotion link")
        verbose_name_plural = _("promotion links")
        constraints = [
            models.UniqueConstraint(
                fields=["distributor", "target", "target_id"], name="promotion_link_once"
            ),
            models.CheckConstraint(
                condition=(Q(target=LinkTarget.SHOP) & Q(target_id=0))
                | (~Q(target=LinkTarget.SHOP) & Q(target_id__gt=0)),
                name="promotion_link_target_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target} {self.target_id} by {self.distributor_id}"


class DistributionBinding(models.Model):
    """A buyer bound to the first distributor whose link they opened, until `expires_at`
    (DISTRIBUTION_BINDING_DAYS); only then may another distributor's link rebind them."""

    buyer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    distributor = models.ForeignKey(Distributor, on_delete=models.CASCADE, related_name="bindings")
    link = models.ForeignKey(
        PromotionLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    bound_at = models.DateTimeField(_("bound at"))
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("buyer binding")
        verbose_name_plural = _("buyer bindings")

    def __str__(self) -> str:
        return f"user {self.buyer_id} → {self.distributor_id}"


class CommissionRate(models.Model):
    """A commission rate in basis points for one tier (1 or 2 — the database refuses any
    other), on a product, a category (and its subcategories) or by default, optionally for one
    distributor level only. Most specific wins: product > category > default; within each,
    the distributor's level > any level."""

    scope = models.CharField(_("scope"), max_length=8, choices=_choices(RateScope))
    target_id = models.BigIntegerField(_("product or category id"), default=0)
    level = models.ForeignKey(
        DistributorLevel,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rates",
        verbose_name=_("level"),
    )
    tier = models.PositiveSmallIntegerField(_("tier"), choices=[(1, "1"), (2, "2")])
    rate_bp = models.PositiveIntegerField(_("rate (basis points)"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("commission rate")
        verbose_name_plural = _("commission rates")
        constraints = [
            models.CheckConstraint(
                condition=Q(tier__in=(1, 2)), name="commission_rate_at_most_two_tiers"
            ),
            models.CheckConstraint(
                condition=Q(rate_bp__gte=0) & Q(rate_bp__lte=FULL_RATE),
                name="commission_rate_in_range",
            ),
            models.CheckConstraint(
                condition=(Q(scope=RateScope.DEFAULT) & Q(target_id=0))
                | (~Q(scope=RateScope.DEFAULT) & Q(target_id__gt=0)),
                name="commission_rate_target",
            ),
            models.UniqueConstraint(
                fields=["scope", "target_id", "tier"],
                condition=Q(level__isnull=True),
                name="commission_rate_once_any_level",
            ),
            models.UniqueConstraint(
                fields=["scope", "target_id", "level", "tier"],
                condition=Q(level__isnull=False),
                name="commission_rate_once_per_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.target_id} tier {self.tier}: {self.rate_bp / 100:g}%"


class CommissionOrder(models.Model):
    """Who earns on an order, fixed when it is placed: the buyer's distributor then (tier 1)
    and that distributor's upline then (tier 2)."""

    order_number = models.CharField(_("order"), max_length=32, unique=True)
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    distributor = models.ForeignKey(Distributor, on_delete=models.PROTECT, related_name="+")
    upline = models.ForeignKey(
        Distributor, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_self_purchase = models.BooleanField(default=False)
    placed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("order with commission")
        verbose_name_plural = _("orders with commission")
        constraints = [
            models.CheckConstraint(
                condition=~Q(upline=F("distributor")), name="commission_order_two_people"
            )
        ]

    def __str__(self) -> str:
        return self.order_number


class Commission(models.Model):
    """One tier's commission on one order line: `amount` = the line's paid amount (after all
    discounts, before shipping) × rate, frozen when the order is paid; `reversed_amount` is
    what refunds took back; at settlement the rest moves to the withdrawable balance."""

    distributor = models.ForeignKey(
        Distributor, on_delete=models.PROTECT, related_name="commissions"
    )
    order_number = models.CharField(_("order"), max_length=32)
    line_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    tier = models.PositiveSmallIntegerField(_("tier"))
    base_amount = models.BigIntegerField(_("paid for the line"))
    rate_bp = models.PositiveIntegerField(_("rate (basis points)"))
    amount = models.BigIntegerField(_("commission"))
    reversed_amount = models.BigIntegerField(_("reversed"), default=0)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=_choices(CommissionStatus),
        default=CommissionStatus.FROZEN,
    )
    # Set when the order's after-sales window closed: the settlement sweep then settles it.
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    settled_amount = models.BigIntegerField(_("settled"), default=0)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("commission")
        verbose_name_plural = _("commissions")
        indexes = [
            models.Index(fields=["distributor", "-created_at", "-id"], name="commission_mine"),
            models.Index(fields=["order_number"], name="commission_order"),
            models.Index(
                fields=["due_at", "id"],
                name="commission_due",
                condition=Q(status=CommissionStatus.FROZEN, due_at__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["line_id", "tier"], name="commission_once_per_tier"),
            models.CheckConstraint(
                condition=Q(tier__in=(1, 2)), name="commission_at_most_two_tiers"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(reversed_amount__gte=0)
                & Q(reversed_amount__lte=F("amount"))
                & Q(rate_bp__lte=FULL_RATE)
                & Q(base_amount__gte=0),
                name="commission_amounts_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_number} line {self.line_id} tier {self.tier}: {self.amount}"


class CommissionAccount(models.Model):
    distributor = models.OneToOneField(
        Distributor, on_delete=models.CASCADE, primary_key=True, related_name="account"
    )
    frozen = models.BigIntegerField(_("frozen"), default=0)
    settled = models.BigIntegerField(_("withdrawable"), default=0)
    withdrawing = models.BigIntegerField(_("withdrawing"), default=0)
    withdrawn = models.BigIntegerField(_("withdrawn"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("commission balance")
        verbose_name_plural = _("commission balances")
        constraints = [
            models.CheckConstraint(
                condition=Q(frozen__gte=0) & Q(withdrawing__gte=0) & Q(withdrawn__gte=0),
                name="commission_account_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"distributor {self.distributor_id}"


class Withdrawal(models.Model):
    distributor = models.ForeignKey(
        Distributor, on_delete=models.PROTECT, related_name="withdrawals"
    )
    amount = models.BigIntegerField(_("amount"))
    currency = models.CharField(max_length=3)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=_choices(WithdrawalStatus),
        default=WithdrawalStatus.REQUESTED,
    )
    idempotency_key = models.CharField(max_length=128)
    requested_at = models.DateTimeField(_("requested at"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    provider = models.CharField(_("provider"), max_length=32, blank=True, default="")
    provider_payout_id = models.CharField(max_length=64, blank=True, default="")
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True, default="")
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("withdrawal")
        verbose_name_plural = _("withdrawals")
        indexes = [models.Index(fields=["status", "requested_at"], name="withdrawal_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["distributor", "idempotency_key"], name="withdrawal_once_per_key"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="withdrawal_positive"),
        ]

    def __str__(self) -> str:
        return f"withdrawal {self.pk}: {self.amount} ({self.status})"


class CommissionEntry(models.Model):
    """One movement of a distributor's commission money, written once under its key."""

    distributor = models.ForeignKey(Distributor, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=8, choices=_choices(EntryKind))
    commission = models.ForeignKey(
        Commission, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    withdrawal = models.ForeignKey(
        Withdrawal, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    frozen_delta = models.BigIntegerField(default=0)
    settled_delta = models.BigIntegerField(default=0)
    withdrawing_delta = models.BigIntegerField(default=0)
    withdrawn_delta = models.BigIntegerField(default=0)
    reference = models.CharField(_("reference"), max_length=64, blank=True, default="")
    idempotency_key = models.CharField(max_length=128, unique=True)
    created_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("commission entry")
        verbose_name_plural = _("commission entries")
        indexes = [
            models.Index(fields=["distributor", "-created_at", "-id"], name="commission_entry_mine")
        ]
        constraints = [
            models.CheckConstraint(
                condition=~(
                    Q(frozen_delta=0)
                    & Q(settled_delta=0)
                    & Q(withdrawing_delta=0)
                    & Q(withdrawn_delta=0)
                ),
                name="commission_entry_moves_something",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.reference})"
