"""Pages of levels (joined into the growth namespace by growth.urls)."""

from __future__ import annotations

from django.urls import URLPattern, path

from circlemart.growth.levels import views

urlpatterns: list[URLPattern] = [path("level/", views.level_page, name="level")]
