"""Tables of flash sales (秒杀): sessions with a time window, their items (flash price, flash
stock, per-user limit), what each buyer holds of an item, and one purchase row per order.

`sold`, `FlashBuyer.taken` and a purchase's status change only through conditional UPDATEs in
flash_services; CheckConstraints make the database refuse any write past a limit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class FlashSession(models.Model):
    """A flash-sale session: every item in it sells between starts_at and ends_at."""

    name = models.CharField(_("name"), max_length=60)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("flash-sale session")
        verbose_name_plural = _("flash-sale sessions")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="flash_session_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must be after the start.")})


class FlashItem(models.Model):
    """One SKU on sale in a session at its flash price, `flash_stock` units in all."""

    session = models.ForeignKey(
        FlashSession, on_delete=models.CASCADE, related_name="items", verbose_name=_("session")
    )
    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU")
    )
    flash_price = models.PositiveIntegerField(_("flash price (minor units)"))
    flash_stock = models.PositiveIntegerField(_("flash stock"))
    sold = models.PositiveIntegerField(
        _("sold"), default=0, help_text=_("Units held by unpaid orders and paid orders.")
    )
    per_user_limit = models.PositiveSmallIntegerField(_("per-user limit"), default=1)

    class Meta:
        verbose_name = _("flash-sale item")
        verbose_name_plural = _("flash-sale items")
        ordering = ["session_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "sku"], name="flash_item_once"),
            models.CheckConstraint(condition=Q(flash_price__gt=0), name="flash_price_positive"),
            models.CheckConstraint(condition=Q(flash_stock__gte=0), name="flash_stock_positive"),
            models.CheckConstraint(condition=Q(sold__gte=0), name="flash_sold_positive"),
            models.CheckConstraint(
                condition=Q(sold__lte=F("flash_stock")), name="flash_sold_within_stock"
            ),
            models.CheckConstraint(
                condition=Q(per_user_limit__gte=1), name="flash_per_user_limit_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.sku_id}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.flash_stock is not None and self.sold and self.flash_stock < self.sold:
            errors["flash_stock"] = _("%(sold)d units are already sold or held.") % {
                "sold": self.sold
            }
        if self.per_user_limit is not None and self.per_user_limit < 1:
            errors["per_user_limit"] = _("At least 1.")
        if errors:
            raise ValidationError(errors)


class FlashBuyer(models.Model):
    """How many units of one item one buyer holds (unpaid + paid). The per-user limit is
    copied in when the row is made, so the database can refuse `taken` above it."""

    item = models.ForeignKey(FlashItem, on_delete=models.CASCADE, related_name="buyers")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    taken = models.PositiveIntegerField(default=0)
    limit = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("flash-sale buyer")
        verbose_name_plural = _("flash-sale buyers")
        constraints = [
            models.UniqueConstraint(fields=["item", "buyer"], name="flash_buyer_once"),
            models.CheckConstraint(condition=Q(taken__gte=0), name="flash_buyer_taken_positive"),
            models.CheckConstraint(
                condition=Q(taken__lte=F("limit")), name="flash_buyer_within_limit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}/{self.buyer_id}: {self.taken}"


class FlashPurchase(models.Model):
    """The units one order took: held until paid; released (once) when the order is
    cancelled, which puts them back in the pool."""

    class Status(models.TextChoices):
        HELD = "held", _("Held by an unpaid order")
        PAID = "paid", _("Paid")
        RELEASED = "released", _("Released")

    item = models.ForeignKey(FlashItem, on_delete=models.PROTECT, related_name="purchases")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    order_number = models.CharField(_("order number"), max_length=20)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.PositiveIntegerField(_("unit price (minor units)"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.HELD
    )
    created_at = models.DateTimeField(_("placed at"))
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("flash-sale purchase")
        verbose_name_plural = _("flash-sale purchases")
        ordering = ["-id"]
        indexes = [models.Index(fields=["order_number"], name="flash_purchase_order")]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "order_number"], name="flash_purchase_once_per_order"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="flash_purchase_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_number}: {self.quantity} × {self.item_id}"
