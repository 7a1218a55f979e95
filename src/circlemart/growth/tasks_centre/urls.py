"""Pages of the task centre (joined into the growth namespace by growth.urls)."""

from __future__ import annotations

from django.urls import URLPattern, path

from circlemart.growth.tasks_centre import views

urlpatterns: list[URLPattern] = [
    path("tasks/", views.tasks_page, name="tasks"),
    path("tasks/<slug:code>/claim/", views.task_claim, name="task-claim"),
]
