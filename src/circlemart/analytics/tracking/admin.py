"""Back office for consent answers: read-only, so the record of who allowed what stays as the
subjects gave it (a user changes it through the banner, never an operator)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from unfold.admin import ModelAdmin


class TrackingConsentAdmin(ModelAdmin):
    list_display = ("user_id", "anonymous_id", "allowed", "decided_at")
    list_filter = ("allowed",)
    search_fields = ("=user_id", "=anonymous_id")
    ordering = ("-decided_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
