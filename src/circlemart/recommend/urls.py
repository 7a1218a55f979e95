"""HTML fragments of the recommendation surfaces (/rec/…)."""

from django.urls import URLPattern

app_name = "recommend"
urlpatterns: list[URLPattern] = []
