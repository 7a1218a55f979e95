"""Pages of points, joined into the growth namespace (growth:points)."""

from __future__ import annotations

from django.urls import URLPattern, path

from circlemart.growth.points import views

urlpatterns: list[URLPattern] = [path("points/", views.points_page, name="points")]
