"""Back office of growth: each mechanism registers its models in its own admin module."""

from __future__ import annotations

from django.contrib import admin
from unfold.admin import ModelAdmin

from circlemart.growth.models import RewardGrant


@admin.register(RewardGrant)
class RewardGrantAdmin(ModelAdmin):
    """Every reward paid, read-only: rewards are paid by rules, never typed in."""

    list_display = ("created_at", "user", "kind", "points", "coupon_template_id", "reason")
    list_filter = ("kind", "reason")
    search_fields = ("idempotency_key", "reference", "user__email")
    readonly_fields = [field.name for field in RewardGrant._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


# One import per mechanism (each module registers its own models).
