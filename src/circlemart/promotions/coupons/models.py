"""Coupon tables: coupon campaigns (templates), codes, claimed coupons and their uses,
automatic threshold discounts, member prices, and the two small tables fed by other apps'
events (who has paid before; member levels until growth owns them).

Counters (claimed, used, redeemed) change only through conditional UPDATEs in services, and
CheckConstraints make the database refuse any write past a limit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from circlemart.promotions.coupons.contracts import (
    DEFAULT_GROUP,
    CouponKind,
    CouponStatus,
    MemberLevelCode,
    Scope,
)


def default_currency() -> str:
    return str(settings.DEFAULT_CURRENCY)


def _check_window(
    errors: dict[str, Any], start: datetime | None, end: datetime | None, field: str
) -> None:
    if start is not None and end is not None and end <= start:
        errors[field] = _("The end must be after the start.")


class CouponTemplate(models.Model):
    """A coupon campaign: its terms, how it is handed out, and how many may exist."""

    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60, blank=True, default="")
    kind = models.CharField(_("kind"), max_length=16, choices=CouponKind.choices)
    amount = models.PositiveIntegerField(
        _("amount off (minor units)"), default=0, help_text=_("Fixed and threshold coupons.")
    )
    percent = models.PositiveSmallIntegerField(
        _("percent off"), null=True, blank=True, help_text=_("Percent coupons: 1–99.")
    )
    max_discount = models.PositiveIntegerField(
        _("cap (minor units)"),
        null=True,
        blank=True,
        help_text=_("Percent coupons: at most this much off. Empty: no cap."),
    )
    min_spend = models.PositiveIntegerField(
        _("minimum spend (minor units)"),
        default=0,
        help_text=_("The goods in scope must reach this. Threshold coupons need it."),
    )
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices, default=Scope.ALL)
    categories = models.ManyToManyField(
        "catalog.Category", blank=True, related_name="+", verbose_name=_("categories")
    )
    products = models.ManyToManyField(
        "catalog.Product", blank=True, related_name="+", verbose_name=_("products")
    )
    is_new_users_only = models.BooleanField(
        _("new users only"), default=False, help_text=_("Only for shoppers with no paid order.")
    )
    stacking_group = models.SlugField(
        _("stacking group"),
        max_length=30,
        default=DEFAULT_GROUP,
        help_text=_(
            "An order takes at most one coupon per group. Free-shipping coupons stack with "
            "every group."
        ),
    )
    is_public = models.BooleanField(
        _("in the claim centre"), default=True, help_text=_("Off: only through codes.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    claim_starts_at = models.DateTimeField(_("claimable from"), null=True, blank=True)
    claim_ends_at = models.DateTimeField(_("claimable until"), null=True, blank=True)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    valid_days = models.PositiveSmallIntegerField(
        _("valid days after claiming"),
        null=True,
        blank=True,
        help_text=_("Set this, or an absolute window. Never beyond “valid until” if both."),
    )
    total_quantity = models.PositiveIntegerField(
        _("total quantity"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    claimed_count = models.PositiveIntegerField(_("claimed"), default=0, editable=False)
    per_user_limit = models.PositiveSmallIntegerField(_("per-user claim limit"), default=1)
    max_uses = models.PositiveIntegerField(
        _("total uses"),
        null=True,
        blank=True,
        help_text=_("At most this many orders use the campaign. Empty: as many as claimed."),
    )
    used_count = models.PositiveIntegerField(_("used"), default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("coupon template")
        verbose_name_plural = _("coupon templates")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_quantity__isnull=True)
                | Q(claimed_count__lte=F("total_quantity")),
                name="coupon_claimed_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(used_count__lte=F("max_uses")),
                name="coupon_used_within_max_uses",
            ),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__gte=1, percent__lte=99),
                name="coupon_percent_1_to_99",
            ),
            models.CheckConstraint(
                condition=~Q(kind=CouponKind.PERCENT) | Q(percent__isnull=False),
                name="coupon_percent_kind_has_percent",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=[CouponKind.FIXED, CouponKind.THRESHOLD]) | Q(amount__gt=0),
                name="coupon_amount_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind=CouponKind.THRESHOLD) | Q(min_spend__gte=F("amount")),
                name="coupon_threshold_covers_amount",
            ),
            models.CheckConstraint(
                condition=Q(per_user_limit__gte=1), name="coupon_per_user_limit_positive"
            ),
            models.CheckConstraint(
                condition=Q(valid_days__isnull=False) | Q(valid_until__isnull=False),
                name="coupon_has_validity",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gt=F("valid_from")),
                name="coupon_valid_until_after_from",
            ),
            models.CheckConstraint(
                condition=Q(claim_starts_at__isnull=True)
                | Q(claim_ends_at__isnull=True)
                | Q(claim_ends_at__gt=F("claim_starts_at")),
                name="coupon_claim_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        _check_window(errors, self.valid_from, self.valid_until, "valid_until")
        _check_window(errors, self.claim_starts_at, self.claim_ends_at, "claim_ends_at")
        if self.valid_days is None and self.valid_until is None:
            errors["valid_until"] = _("Set “valid until” or the days after claiming.")
        if self.valid_days is not None and self.valid_days < 1:
            errors["valid_days"] = _("At least one day.")
        if self.kind == CouponKind.PERCENT:
            if self.percent is None or not 1 <= self.percent <= 99:
                errors["percent"] = _("Percent off must be between 1 and 99.")
            if self.max_discount is not None and self.max_discount <= 0:
                errors["max_discount"] = _("The cap must be more than zero.")
        elif self.percent is not None:
            errors["percent"] = _("Only percent coupons have a percent.")
        if self.kind in (CouponKind.FIXED, CouponKind.THRESHOLD) and self.amount <= 0:
            errors["amount"] = _("The amount off must be more than zero.")
        if self.kind == CouponKind.THRESHOLD and self.min_spend < max(self.amount, 1):
            errors["min_spend"] = _("The minimum spend must be at least the amount off.")
        if self.per_user_limit is not None and self.per_user_limit < 1:
            errors["per_user_limit"] = _("At least one per user.")
        if (
            self.total_quantity is not None
            and self.pk is not None
            and self.total_quantity < self.claimed_count
        ):
            errors["total_quantity"] = _("%(count)d are already claimed.") % {
                "count": self.claimed_count
            }
        if self.max_uses is not None and self.pk is not None and self.max_uses < self.used_count:
            errors["max_uses"] = _("%(count)d are already used.") % {"count": self.used_count}
        if errors:
            raise ValidationError(errors)

    @property
    def remaining(self) -> int | None:
        if self.total_quantity is None:
            return None
        return max(self.total_quantity - self.claimed_count, 0)


class CouponCode(models.Model):
    """A code that hands out the template's coupon: public and multi-use ("SPRING30"), or
    single-use (max_redemptions 1, generated in batches for distribution)."""

    template = models.ForeignKey(CouponTemplate, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(_("code"), max_length=32, unique=True)
    max_redemptions = models.PositiveIntegerField(
        _("redemptions allowed"), null=True, blank=True, help_text=_("1: single-use. Empty: any.")
    )
    redeemed_count = models.PositiveIntegerField(_("redeemed"), default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("coupon code")
        verbose_name_plural = _("coupon codes")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_redemptions__isnull=True)
                | Q(redeemed_count__lte=F("max_redemptions")),
                name="coupon_code_within_redemptions",
            ),
            models.CheckConstraint(
                condition=Q(max_redemptions__isnull=True) | Q(max_redemptions__gte=1),
                name="coupon_code_redemptions_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class UserCoupon(models.Model):
    """A coupon a shopper holds. Its window is fixed when claimed."""

    template = models.ForeignKey(
        CouponTemplate, on_delete=models.PROTECT, related_name="user_coupons"
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The n-th claim of this template by this owner; with claim_limit (copied from the
    # template) the database itself refuses a claim past the per-user limit.
    claim_number = models.PositiveSmallIntegerField()
    claim_limit = models.PositiveSmallIntegerField()
    code = models.ForeignKey(
        CouponCode, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CouponStatus.choices, default=CouponStatus.AVAILABLE
    )
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    order_number = models.CharField(_("order"), max_length=32, blank=True, default="")
    claimed_at = models.DateTimeField(_("claimed at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("user coupon")
        verbose_name_plural = _("user coupons")
        ordering = ["-id"]
        indexes = [models.Index(fields=["owner", "status", "valid_until"])]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "owner", "claim_number"], name="coupon_claim_number_once"
            ),
            models.CheckConstraint(
                condition=Q(claim_number__gte=1, claim_number__lte=F("claim_limit")),
                name="coupon_claim_within_user_limit",
            ),
            models.UniqueConstraint(
                fields=["code", "owner"],
                condition=Q(code__isnull=False),
                name="coupon_code_once_per_user",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")), name="user_coupon_window"
            ),
            # Held or used ⇔ it names its order.
            models.CheckConstraint(
                condition=(
                    Q(status__in=[CouponStatus.LOCKED, CouponStatus.USED]) & ~Q(order_number="")
                )
                | (~Q(status__in=[CouponStatus.LOCKED, CouponStatus.USED]) & Q(order_number="")),
                name="user_coupon_order_iff_used",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_id}/{self.owner_id}#{self.claim_number}"


class CouponUse(models.Model):
    """One coupon used by one order. While not returned, the partial unique indexes make the
    database refuse a second use of the coupon and a second coupon of a group on an order."""

    user_coupon = models.ForeignKey(UserCoupon, on_delete=models.PROTECT, related_name="uses")
    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="uses")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    order_number = models.CharField(_("order"), max_length=32, db_index=True)
    stacking_group = models.SlugField(max_length=30)
    amount = models.PositiveIntegerField(_("taken off (minor units)"))
    used_at = models.DateTimeField(_("used at"))
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)

    class Meta:
        verbose_name = _("coupon use")
        verbose_name_plural = _("coupon uses")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user_coupon"],
                condition=Q(returned_at__isnull=True),
                name="coupon_used_once",
            ),
            models.UniqueConstraint(
                fields=["order_number", "stacking_group"],
                condition=Q(returned_at__isnull=True),
                name="coupon_one_per_group_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_number}: {self.user_coupon_id}"


class PaidBuyer(models.Model):
    """Shoppers who have paid an order (fed by OrderPaid): "new users only" means absent."""

    buyer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    first_order_number = models.CharField(max_length=32)
    first_paid_at = models.DateTimeField()

    class Meta:
        verbose_name = _("paying shopper")
        verbose_name_plural = _("paying shoppers")

    def __str__(self) -> str:
        return f"{self.buyer_id}: {self.first_order_number}"


class ThresholdDiscount(models.Model):
    """An automatic basket discount: spend X (or buy N items) in scope, take Y or P% off."""

    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60, blank=True, default="")
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)
    min_spend = models.PositiveIntegerField(_("minimum spend (minor units)"), default=0)
    min_quantity = models.PositiveIntegerField(_("minimum items"), default=0)
    amount_off = models.PositiveIntegerField(_("amount off (minor units)"), default=0)
    percent_off = models.PositiveSmallIntegerField(_("percent off"), null=True, blank=True)
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices, default=Scope.ALL)
    categories = models.ManyToManyField(
        "catalog.Category", blank=True, related_name="+", verbose_name=_("categories")
    )
    products = models.ManyToManyField(
        "catalog.Product", blank=True, related_name="+", verbose_name=_("products")
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=100, help_text=_("Lower runs first; each line joins one discount.")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("threshold discount")
        verbose_name_plural = _("threshold discounts")
        ordering = ["priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="threshold_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(min_spend__gt=0) | Q(min_quantity__gt=0),
                name="threshold_has_condition",
            ),
            models.CheckConstraint(
                condition=(Q(amount_off__gt=0) & Q(percent_off__isnull=True))
                | (Q(amount_off=0) & Q(percent_off__gte=1, percent_off__lte=99)),
                name="threshold_one_reward",
            ),
            models.CheckConstraint(
                condition=Q(min_spend=0) | Q(min_spend__gte=F("amount_off")),
                name="threshold_spend_covers_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        _check_window(errors, self.starts_at, self.ends_at, "ends_at")
        if self.min_spend <= 0 and self.min_quantity <= 0:
            errors["min_spend"] = _("Set a minimum spend or a minimum number of items.")
        if (self.amount_off > 0) == (self.percent_off is not None):
            errors["amount_off"] = _("Set either an amount off or a percent off.")
        if self.percent_off is not None and not 1 <= self.percent_off <= 99:
            errors["percent_off"] = _("Percent off must be between 1 and 99.")
        if self.min_spend and self.amount_off > self.min_spend:
            errors["amount_off"] = _("The amount off cannot exceed the minimum spend.")
        if errors:
            raise ValidationError(errors)


class MemberLevel(models.Model):
    """A shopper's member level. TODO(growth): growth will own levels (and the rules that
    earn them); this table then becomes a read of growth's selector."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    level = models.CharField(_("level"), max_length=12, choices=MemberLevelCode.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("member level")
        verbose_name_plural = _("member levels")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.level}"


class MemberPrice(models.Model):
    """A SKU's price for members of one level (used when lower than the current price)."""

    sku = models.ForeignKey("catalog.Sku", on_delete=models.CASCADE, related_name="+")
    level = models.CharField(_("level"), max_length=12, choices=MemberLevelCode.choices)
    price = models.PositiveIntegerField(_("price (minor units)"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("member price")
        verbose_name_plural = _("member prices")
        ordering = ["sku_id", "level"]
        constraints = [
            models.UniqueConstraint(fields=["sku", "level"], name="member_price_once"),
            models.CheckConstraint(condition=Q(price__gt=0), name="member_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} {self.level}: {self.price}"
