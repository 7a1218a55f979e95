"""Pages of the daily check-in (joined into the growth namespace by growth.urls)."""

from __future__ import annotations

from django.urls import URLPattern, path

from circlemart.growth.checkin import views

urlpatterns: list[URLPattern] = [
    path("check-in/", views.checkin_page, name="checkin"),
    path("check-in/today/", views.checkin_today, name="checkin-today"),
    path("check-in/make-up/", views.checkin_make_up, name="checkin-make-up"),
]
