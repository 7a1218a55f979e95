from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from circlemart.notifications import views

app_name = "notifications"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.inbox, name="inbox"),
    path("more/", views.inbox_more, name="more"),
    path("read-all/", views.mark_all_read, name="read-all"),
    path("preferences/", views.preferences, name="preferences"),
    path("badge/", views.badge, name="badge"),
    path("<int:notification_id>/read/", views.mark_read, name="read"),
]
