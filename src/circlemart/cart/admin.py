"""Back office for carts: read-only. Staff may look at what shoppers hold; nobody edits a cart
here (the shopper's own session and the services do). Guest tokens are never shown."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from circlemart.cart.models import Cart, CartItem
from circlemart.core.money import Money, babel_locale

CURRENCY = "CNY"


class CartItemInline(TabularInline):
    model = CartItem
    extra = 0
    can_delete = False
    fields = ("sku", "quantity", "is_selected", "price_when_added_shown", "added_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("price when added"))
    def price_when_added_shown(self, item: CartItem) -> str:
        return Money(item.price_when_added, CURRENCY).format(babel_locale(get_language()))

    def get_queryset(self, request: HttpRequest) -> QuerySet[CartItem]:
        return super().get_queryset(request).select_related("sku")


@admin.register(Cart)
class CartAdmin(ModelAdmin):
    list_display = ("id", "owner", "is_guest", "item_count", "created_at", "updated_at")
    list_filter = ("updated_at",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    ordering = ("-updated_at", "-id")
    fields = ("owner", "is_guest", "item_count", "created_at", "updated_at")
    readonly_fields = fields
    inlines = (CartItemInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cart]:
        return super().get_queryset(request).annotate(items_total=Count("items"))

    @admin.display(description=_("owner"), ordering="user__email")
    def owner(self, cart: Cart) -> str:
        if cart.user_id is None:
            return str(_("guest"))
        assert cart.user is not None
        return cart.user.email or cart.user.nickname or f"#{cart.user_id}"

    @admin.display(description=_("guest"), boolean=True)
    def is_guest(self, cart: Cart) -> bool:
        return cart.user_id is None

    @admin.display(description=_("items"), ordering="items_total")
    def item_count(self, cart: Cart) -> int:
        return int(getattr(cart, "items_total", 0))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
