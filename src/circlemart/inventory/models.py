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
