"""Back office of the daily check-in: the streak-reward ladder operators edit; check-ins,
accounts and card movements read-only (they change only through the services)."""

from __future__ import annotations

from django.contrib import admin
from unfold.admin import ModelAdmin

from circlemart.growth.checkin.models import (
    CheckIn,
    CheckinAccount,
    MakeUpCardMovement,
    StreakRewardRule,
)


class ReadOnlyAdmin(ModelAdmin):
    """Records written by rules, never typed in."""

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(StreakRewardRule)
class StreakRewardRuleAdmin(ModelAdmin):
    list_display = ("streak_day", "points", "coupon_template_id", "make_up_cards", "is_active")
    list_editable = ("points", "make_up_cards", "is_active")
    list_filter = ("is_active",)
    ordering = ("streak_day",)


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    list_display = ("day", "user", "streak", "is_make_up", "created_at")
    list_filter = ("is_make_up", "day")
    search_fields = ("user__email", "user__nickname")
    date_hierarchy = "day"
    list_select_related = ("user",)


@admin.register(CheckinAccount)
class CheckinAccountAdmin(ReadOnlyAdmin):
    list_display = ("user", "make_up_cards", "longest_streak", "total_days")
    search_fields = ("user__email", "user__nickname")
    list_select_related = ("user",)


@admin.register(MakeUpCardMovement)
class MakeUpCardMovementAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "delta", "reason", "reference")
    list_filter = ("reason",)
    search_fields = ("user__email", "idempotency_key", "reference")
    list_select_related = ("user",)
