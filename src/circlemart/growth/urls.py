"""Pages of growth under /growth/: each mechanism's urlpatterns joined in one namespace, so
names read growth:points, growth:invites, growth:checkin…"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from circlemart.growth import views

app_name = "growth"

urlpatterns: list[URLPattern | URLResolver] = [path("", views.hub, name="hub")]
# One line per mechanism: urlpatterns += points_urls.urlpatterns
