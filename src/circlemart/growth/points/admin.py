"""Back office of points: the earn rules operators tune, and the ledger read-only (balances,
entries with their postings, lots, order points, what refunds left owed). Points change only
through the services: nothing here types a movement in."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from unfold.admin import ModelAdmin, TabularInline

from circlemart.growth.points import selectors
from circlemart.growth.points.models import (
    PointsBalance,
    PointsDebt,
    PointsEarnRule,
    PointsEntry,
    PointsLot,
    PointsOrderEarning,
    PointsPosting,
)


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PointsEarnRule)
class PointsEarnRuleAdmin(ModelAdmin):
    """One rule per kind of earning; the codes are fixed (the code reads them), so rules are
    changed, never added or deleted. Negative points or caps are refused by the form and
    the database."""

    list_display = ("code", "points", "daily_cap", "is_active", "updated_at")
    list_editable = ("points", "daily_cap", "is_active")
    fields = ("code", "points", "daily_cap", "is_active", "updated_at")
    readonly_fields = ("code", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PointsEarnRule]:
        selectors.earn_rules_ensure()  # a fresh database shows the defaults to tune
        return super().get_queryset(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PointsBalance)
class PointsBalanceAdmin(ReadOnlyAdmin):
    list_display = ("user", "balance", "updated_at")
    search_fields = ("user__email", "user__nickname")
    readonly_fields = ("user", "balance", "updated_at")
    ordering = ("-balance",)


class PointsPostingInline(TabularInline):
    model = PointsPosting
    fields = ("account", "user", "amount")
    readonly_fields = ("account", "user", "amount")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "kind", "amount", "reason", "reference")
    list_filter = ("kind", "reason")
    search_fields = ("user__email", "reference", "idempotency_key")
    readonly_fields = [field.name for field in PointsEntry._meta.fields]
    inlines = (PointsPostingInline,)
    date_hierarchy = "created_at"


@admin.register(PointsLot)
class PointsLotAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "amount", "remaining", "earned_at", "expires_at", "warned_at")
    search_fields = ("user__email",)
    readonly_fields = [field.name for field in PointsLot._meta.fields]


@admin.register(PointsOrderEarning)
class PointsOrderEarningAdmin(ReadOnlyAdmin):
    list_display = (
        "order_number",
        "user",
        "kept_amount",
        "rate",
        "multiplier_percent",
        "points",
        "reversed",
        "created_at",
    )
    search_fields = ("order_number", "user__email")
    readonly_fields = [field.name for field in PointsOrderEarning._meta.fields]


@admin.register(PointsDebt)
class PointsDebtAdmin(ReadOnlyAdmin):
    list_display = ("user", "owed", "updated_at")
    search_fields = ("user__email",)
    readonly_fields = ("user", "owed", "updated_at")
