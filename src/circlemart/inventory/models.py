"""Stock per SKU. The database refuses negative stock and over-reservation."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class StockLevel(models.Model):
    sku = models.OneToOneField("catalog.Sku", on_delete=models.CASCADE, related_name="stock")
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_never_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="reserved_never_negative"),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="reserved_within_on_hand"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id}: {self.on_hand - self.reserved} available"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class Reservation(models.Model):
    """Units held for an order until it is paid (committed) or cancelled/expired (released).

    The state moves HELD → COMMITTED or HELD → RELEASED by a conditional UPDATE on the state,
    so a reservation is settled exactly once however many sweeps, webhooks or retries race."""

    class State(models.TextChoices):
        HELD = "held", _("held")
        COMMITTED = "committed", _("committed")
        RELEASED = "released", _("released")

    reference = models.CharField(_("reference"), max_length=64)  # the order number
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="reservations")
    quantity = models.PositiveIntegerField(_("quantity"))
    state = models.CharField(max_length=10, choices=State.choices, default=State.HELD)
    expires_at = models.DateTimeField(_("expires at"))
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            models.UniqueConstraint(fields=["reference", "sku"], name="reserve_sku_once_per_order"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="reservation_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(state="held", settled_at__isnull=True)
                | (~Q(state="held") & Q(settled_at__isnull=False)),
                name="reservation_settled_when_not_held",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "expires_at"], name="reservation_held_due"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.quantity} × SKU {self.sku_id} ({self.state})"
