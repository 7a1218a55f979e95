"""Tables of the points mall: items, each player's count per item, and redemptions.

`redeemed_count` never passes `stock` and a holder's `count` never passes the item's limit:
conditional UPDATEs in services, CHECK constraints here as the last word."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from circlemart.core.crypto import EncryptedTextField
from circlemart.growth.mall.contracts import Fulfilment, ItemKind


class MallItem(models.Model):
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60, blank=True, default="")
    description = models.CharField(_("description"), max_length=200, blank=True, default="")
    kind = models.CharField(_("kind"), max_length=8, choices=[(k.value, k.value) for k in ItemKind])
    coupon_template = models.ForeignKey(
        "promotions.CouponTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("coupon"),
    )
    points_price = models.PositiveIntegerField(_("points"))
    stock = models.PositiveIntegerField(
        _("stock"), null=True, blank=True, help_text=_("Empty: unlimited (coupons only).")
    )
    redeemed_count = models.PositiveIntegerField(_("redeemed"), default=0, editable=False)
    per_user_limit = models.PositiveSmallIntegerField(_("limit per shopper"), default=1)
    is_active = models.BooleanField(_("on sale"), default=True)
    starts_at = models.DateTimeField(_("from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    # Moved only by services' conditional UPDATEs: the back office never writes it.
    COUNTERS = ("redeemed_count",)

    class Meta:
        verbose_name = _("mall item")
        verbose_name_plural = _("mall items")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(redeemed_count__lte=F("stock")),
                name="mall_item_within_stock",
            ),
            models.CheckConstraint(condition=Q(points_price__gt=0), name="mall_item_has_price"),
            models.CheckConstraint(
                condition=Q(per_user_limit__gt=0), name="mall_item_limit_positive"
            ),
            models.CheckConstraint(
                condition=(Q(kind=ItemKind.COUPON) & Q(coupon_template__isnull=False))
                | (
                    Q(kind=ItemKind.PRODUCT)
                    & Q(coupon_template__isnull=True)
                    & Q(stock__isnull=False)
                ),
                name="mall_item_payload_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == ItemKind.COUPON and self.coupon_template_id is None:
            raise ValidationError({"coupon_template": _("Choose the coupon to give.")})
        if self.kind == ItemKind.PRODUCT:
            self.coupon_template = None
            if self.stock is None:
                raise ValidationError({"stock": _("A gift needs its stock.")})
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must come after the start.")})
        if self.pk and self.stock is not None:
            done = (
                MallItem.objects.filter(pk=self.pk).values_list("redeemed_count", flat=True).first()
            )
            if done is not None and self.stock < done:
                raise ValidationError(
                    {"stock": _("Already %(count)d were redeemed.") % {"count": done}}
                )


class MallHolding(models.Model):
    """How many of one item a shopper holds (redeemed, not cancelled): the per-user limit."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(MallItem, on_delete=models.CASCADE, related_name="+")
    count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "item"], name="mall_holding_once"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id}: {self.count}"


class MallRedemption(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(MallItem, on_delete=models.PROTECT, related_name="redemptions")
    kind = models.CharField(_("kind"), max_length=8, choices=[(k.value, k.value) for k in ItemKind])
    item_name = models.CharField(_("item"), max_length=60)
    points = models.PositiveIntegerField(_("points"))
    points_entry_id = models.BigIntegerField(null=True, blank=True)
    user_coupon_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=[(f.value, f.value) for f in Fulfilment]
    )
    address = EncryptedTextField(_("shipping address"), blank=True, default="")  # JSON snapshot
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True, default="")
    idempotency_key = models.CharField(max_length=160, unique=True)
    created_at = models.DateTimeField(_("at"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("mall redemption")
        verbose_name_plural = _("mall redemptions")
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="mall_redemption_user"),
            models.Index(fields=["status", "created_at"], name="mall_redemption_status"),
        ]

    def __str__(self) -> str:
        return f"{self.item_name} → user {self.user_id}"
