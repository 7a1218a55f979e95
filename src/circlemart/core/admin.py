"""Operators can watch the outbox: what is pending, what failed and why."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from circlemart.core.models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(ModelAdmin):
    list_display = ("id", "event_type", "aggregate_type", "aggregate_id", "status", "attempts")
    list_filter = ("status", "event_type")
    search_fields = ("aggregate_id", "event_id")
    readonly_fields = [field.name for field in OutboxEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
