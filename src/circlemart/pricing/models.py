"""Shipping rules: a flat fee per region and method, optionally free above a threshold."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ShippingRule(models.Model):
    class Method(models.TextChoices):
        STANDARD = "standard", _("Standard delivery")
        EXPRESS = "express", _("Express delivery")

    # "" is every region without a rule of its own; otherwise a province name as on addresses.
    region = models.CharField(_("region"), max_length=40, blank=True, default="")
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    fee = models.PositiveIntegerField(_("fee (minor units)"))
    free_over = models.PositiveIntegerField(
        _("free from (minor units)"), null=True, blank=True, help_text=_("Empty: never free.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("shipping rule")
        verbose_name_plural = _("shipping rules")
        ordering = ["region", "method"]
        constraints = [
            models.UniqueConstraint(fields=["region", "method"], name="one_rule_per_region_method"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="shipping_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.region or '*'} {self.method}: {self.fee}"
