from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from circlemart.core.errors import DomainError
from circlemart.inventory.models import StockLevel
from circlemart.inventory.services import stock_set


@admin.register(StockLevel)
class StockLevelAdmin(ModelAdmin):
    list_display = ("sku", "on_hand", "reserved", "updated_at")
    search_fields = ("sku__code", "sku__product__title")
    raw_id_fields = ("sku",)
    list_select_related = ("sku",)
    readonly_fields = ("sku", "reserved")

    def save_model(self, request: HttpRequest, obj: StockLevel, form: Any, change: bool) -> None:
        # Through the service: conditional update, reservation guard, StockChanged event.
        try:
            stock_set(sku_id=obj.sku_id, on_hand=obj.on_hand)
        except DomainError as error:
            self.message_user(request, str(error.message), messages.ERROR)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # stock rows come with their SKU
