"""The back-office sidebar (UNFOLD["SIDEBAR"]["navigation"]): the analytics dashboards first,
for those who may see them, then every application and model the admin lists for this user,
exactly as the default sidebar would."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from circlemart.analytics.dashboards.pages import DASHBOARDS
from circlemart.analytics.dashboards.views import may_view_dashboards

ICONS = {
    "overview": "dashboard",
    "users": "group",
    "products": "inventory_2",
    "orders": "receipt_long",
    "traffic": "travel_explore",
    "funnels": "filter_alt",
    "retention": "grid_on",
}


def _pages_after(model: dict[str, Any]) -> list[dict[str, Any]]:
    """Back-office pages that are not model lists, shown right after the model they belong to
    (whoever sees the model may open them)."""
    if model.get("object_name") == "ModelVersion" and model["admin_url"].startswith(
        reverse("admin:recommend_modelversion_changelist")
    ):
        return [
            {
                "title": _("Recommendation statistics"),
                "icon": "monitoring",
                "link": reverse("admin:recommend_stats"),
            }
        ]
    return []


def sidebar(request: HttpRequest) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    if may_view_dashboards(request):
        groups.append(
            {
                "title": _("Analytics dashboards"),
                "items": [
                    {
                        "title": board.title,
                        "icon": ICONS.get(board.name, "monitoring"),
                        "link": reverse("analytics-dashboard", args=[board.name]),
                    }
                    for board in DASHBOARDS.values()
                ],
            }
        )
    for app in admin.site.get_app_list(request):
        items = []
        for model in app["models"]:
            if model.get("admin_url"):
                items.append({"title": model["name"], "link": model["admin_url"]})
                items += _pages_after(model)
        if items:
            groups.append({"title": app["name"], "items": items})
    return groups
