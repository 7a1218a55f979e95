"""Back office for notifications: read-only (the inbox is written by event handlers only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from circlemart.notifications.models import Notification, NotificationPreference


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "recipient",
        "kind",
        "target_type",
        "target_id",
        "actor_count",
        "is_read",
        "updated_at",
    )
    list_filter = ("kind", "is_read")
    search_fields = ("=recipient__id", "=target_id")
    list_select_related = ("recipient",)
    readonly_fields = (
        "recipient",
        "kind",
        "target_type",
        "target_id",
        "note_id",
        "actor_count",
        "latest_actor_ids",
        "excerpt",
        "is_read",
        "read_at",
        "created_at",
        "updated_at",
    )
    raw_id_fields = ("recipient",)
    ordering = ("-updated_at", "-id")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "is_enabled", "updated_at")
    list_filter = ("kind", "is_enabled")
    search_fields = ("=user__id",)
    list_select_related = ("user",)
