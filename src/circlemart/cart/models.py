"""Carts: one per signed-in user, or one per guest token kept in the session."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Cart(models.Model):
    user = models.OneToOneField(
        "accounts.User", on_delete=models.CASCADE, null=True, blank=True, related_name="cart"
    )
    guest_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, guest_token__isnull=True)
                | Q(user__isnull=True, guest_token__isnull=False),
                name="cart_belongs_to_user_or_guest",
            )
        ]

    def __str__(self) -> str:
        return f"cart {self.pk} ({'user ' + str(self.user_id) if self.user_id else 'guest'})"


class CartItem(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    is_selected = models.BooleanField(_("selected"), default=True)
    price_when_added = models.BigIntegerField()  # to tell the shopper when a price changed
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cart item")
        verbose_name_plural = _("cart items")
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "sku"], name="one_cart_item_per_sku"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cart_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × SKU {self.sku_id}"
