from django.contrib import admin
from unfold.admin import ModelAdmin

from circlemart.inventory.models import StockLevel


@admin.register(StockLevel)
class StockLevelAdmin(ModelAdmin):
    list_display = ("sku", "on_hand", "reserved", "updated_at")
    search_fields = ("sku__code", "sku__product__title")
    raw_id_fields = ("sku",)
    list_select_related = ("sku",)
    readonly_fields = ("reserved",)
