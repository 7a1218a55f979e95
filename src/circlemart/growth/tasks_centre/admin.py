"""Back office of the task centre: task definitions operators edit; progress read-only."""

from __future__ import annotations

from django.contrib import admin
from unfold.admin import ModelAdmin

from circlemart.growth.checkin.admin import ReadOnlyAdmin
from circlemart.growth.tasks_centre.models import TaskDefinition, TaskProgress


@admin.register(TaskDefinition)
class TaskDefinitionAdmin(ModelAdmin):
    list_display = (
        "code",
        "kind",
        "title",
        "event",
        "target",
        "points",
        "make_up_cards",
        "is_active",
    )
    list_filter = ("kind", "event", "is_active")
    list_editable = ("is_active",)
    search_fields = ("code", "title", "title_en")
    ordering = ("kind", "position", "id")

    def get_readonly_fields(
        self, request: object, obj: TaskDefinition | None = None
    ) -> tuple[str, ...]:
        # Progress rows and reward keys name the code: it stays what it was created as.
        return ("code",) if obj is not None else ()


@admin.register(TaskProgress)
class TaskProgressAdmin(ReadOnlyAdmin):
    list_display = ("task", "user", "period", "count", "completed_at", "claimed_at")
    list_filter = ("task__kind", "task")
    search_fields = ("user__email", "task__code", "period")
    list_select_related = ("task", "user")
