"""Back office for flash sales: sessions with their items inline, validated against the shop
(flash stock ≤ the SKU's stock on hand, flash price below the SKU's price) and showing live
counters (sold = held + paid). Counters are read-only: they change only through the services;
a saved change reaches Redis at once (services.flash_item_sync)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from circlemart.catalog import selectors as catalog_selectors
from circlemart.core.admin_widgets import MoneyAdminMixin, format_money, money_display
from circlemart.inventory import selectors as inventory_selectors
from circlemart.promotions.flash import selectors, services
from circlemart.promotions.flash.models import FlashItem, FlashPurchase, FlashSession


class FlashItemForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = FlashItem
        fields = ("sku", "flash_price", "flash_stock", "per_user_limit")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sku = data.get("sku")
        if sku is None:
            return data
        flash_stock = data.get("flash_stock")
        if flash_stock is not None:
            on_hand, _reserved = inventory_selectors.stock_of(sku.pk)
            if flash_stock > on_hand:
                self.add_error(
                    "flash_stock",
                    _("Only %(on_hand)d in stock: the flash stock cannot be more.")
                    % {"on_hand": on_hand},
                )
            sold = self.instance.sold if self.instance.pk else 0
            if flash_stock < sold:
                self.add_error(
                    "flash_stock",
                    _("%(sold)d units are already sold or held.") % {"sold": sold},
                )
        flash_price = data.get("flash_price")
        sale = catalog_selectors.skus_for_sale([sku.pk]).get(sku.pk)
        if flash_price is not None and sale is not None and flash_price >= sale.price:
            self.add_error(
                "flash_price",
                _("The flash price must be below the SKU's price (%(price)s).")
                % {"price": format_money(sale.price)},
            )
        return data


class FlashItemInline(MoneyAdminMixin, TabularInline):
    money_fields = ("flash_price",)
    model = FlashItem
    form = FlashItemForm
    extra = 1
    raw_id_fields = ("sku",)
    fields = ("sku", "flash_price", "flash_stock", "per_user_limit", "sold", "held", "paid")
    readonly_fields = ("sold", "held", "paid")

    def _counters(self, item: FlashItem) -> dict[str, int]:
        if not item.pk:
            return {"held": 0, "paid": 0}
        return selectors.flash_counters([item.pk])[item.pk]

    @admin.display(description=_("held (unpaid)"))
    def held(self, item: FlashItem) -> int:
        return self._counters(item)["held"]

    @admin.display(description=_("paid"))
    def paid(self, item: FlashItem) -> int:
        return self._counters(item)["paid"]


class FlashSessionForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = FlashSession
        fields = ("name", "starts_at", "ends_at", "is_active")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The end must be after the start."))
        return data


@admin.register(FlashSession)
class FlashSessionAdmin(ModelAdmin):
    form = FlashSessionForm
    inlines = [FlashItemInline]
    list_display = ("id", "name", "starts_at", "ends_at", "is_active", "items", "sold")
    list_filter = ("is_active",)
    search_fields = ("name",)
    date_hierarchy = "starts_at"

    @admin.display(description=_("items"))
    def items(self, session: FlashSession) -> int:
        return session.items.count()

    @admin.display(description=_("sold / flash stock"))
    def sold(self, session: FlashSession) -> str:
        rows = list(session.items.values_list("sold", "flash_stock"))
        return f"{sum(row[0] for row in rows)} / {sum(row[1] for row in rows)}"

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        item_ids = list(form.instance.items.values_list("pk", flat=True))

        def sync() -> None:
            for item_id in item_ids:
                services.flash_item_sync(item_id=item_id)

        transaction.on_commit(sync)


@admin.register(FlashPurchase)
class FlashPurchaseAdmin(MoneyAdminMixin, ModelAdmin):
    unit_price_shown = money_display("unit_price", _("unit price"))
    list_display = ("id", "order_number", "item", "buyer", "quantity", "unit_price_shown", "status")
    list_filter = ("status",)
    search_fields = ("=order_number", "=buyer__id")
    list_select_related = ("item",)
    readonly_fields = (
        "item",
        "buyer",
        "order_number",
        "quantity",
        "unit_price",
        "status",
        "created_at",
        "released_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
