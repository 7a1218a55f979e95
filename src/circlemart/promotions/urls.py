from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "promotions"

urlpatterns: list[URLPattern | URLResolver] = []
