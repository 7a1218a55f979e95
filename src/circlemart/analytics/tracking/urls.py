from __future__ import annotations

from django.urls import path

from circlemart.analytics.tracking import views

app_name = "tracking"
urlpatterns = [path("consent", views.consent_answer, name="consent")]
