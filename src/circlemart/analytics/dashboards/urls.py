"""Dashboard URLs, mounted at /admin/analytics/dashboards/ before the admin's own URLs; the
admin's login and staff checks wrap every view (anonymous and shoppers go to the login)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from circlemart.analytics.dashboards import views

urlpatterns = [
    path("", admin.site.admin_view(views.index_view), name="analytics-dashboards"),
    path("<slug:name>/", admin.site.admin_view(views.dashboard_view), name="analytics-dashboard"),
]
