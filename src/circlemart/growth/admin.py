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
from circlemart.growth.checkin import admin as checkin_admin  # noqa: E402, F401
from circlemart.growth.distribution import admin as distribution_admin  # noqa: E402, F401
from circlemart.growth.games import admin as games_admin  # noqa: E402, F401
from circlemart.growth.invites import admin as invites_admin  # noqa: E402, F401
from circlemart.growth.levels import admin as levels_admin  # noqa: E402, F401
from circlemart.growth.mall import admin as mall_admin  # noqa: E402, F401
from circlemart.growth.points import admin as points_admin  # noqa: E402, F401
from circlemart.growth.tasks_centre import admin as tasks_centre_admin  # noqa: E402, F401
