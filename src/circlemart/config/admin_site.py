"""The back office's site: Unfold's admin with a merchant home page and the apps grouped by
the merchant's tasks (orders first, system last) instead of alphabetically by app.

Installed in INSTALLED_APPS as `circlemart.config.admin_site.MerchantUnfoldConfig` in place of
"unfold": the same Unfold package (templates, static files), with this site as `admin.site`.
"""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.contrib import admin
from django.contrib.admin import sites
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from unfold.sites import UnfoldAdminSite

# (group title, app labels or "app.model" keys). First match wins; what no group names ends
# up in "System", shown last.
TASK_GROUPS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (_("Orders & after-sales"), ("orders", "payments", "cart")),
    (_("Products & stock"), ("catalog", "inventory")),
    (_("Promotions"), ("promotions", "pricing", "live")),
    (_("Customers & growth"), ("accounts", "growth", "notifications")),
    (_("Content & moderation"), ("social", "reviews", "moderation", "search")),
    (_("Analytics"), ("analytics", "recommend")),
)
SYSTEM_GROUP = _("System")
# Inside a group, what a merchant opens most comes first; other models follow alphabetically.
FIRST_MODELS = (
    "orders.order",
    "orders.aftersalesrequest",
    "payments.payment",
    "payments.refund",
    "catalog.product",
    "inventory.stocklevel",
    "catalog.category",
    "promotions.coupontemplate",
    "promotions.flashsession",
    "promotions.groupdeal",
    "promotions.bargaindeal",
    "accounts.user",
    "reviews.review",
    "moderation.reviewitem",
)


def _model_rank(app_label: str, object_name: str) -> int:
    key = f"{app_label}.{object_name.lower()}"
    return FIRST_MODELS.index(key) if key in FIRST_MODELS else len(FIRST_MODELS)


def _group_of(app_label: str, object_name: str) -> int:
    for index, (_title, keys) in enumerate(TASK_GROUPS):
        if f"{app_label}.{object_name.lower()}" in keys or app_label in keys:
            return index
    return len(TASK_GROUPS)


class MerchantAdminSite(UnfoldAdminSite):
    index_template = "admin/merchant_dashboard.html"

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict[str, Any]]:
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps  # an app's own index page lists that app only
        titles = [title for title, _keys in TASK_GROUPS] + [SYSTEM_GROUP]
        grouped: list[dict[str, Any]] = [
            {
                "name": title,
                "app_label": f"tasks-{index}",
                "app_url": "",
                "has_module_perms": True,
                "models": [],
            }
            for index, title in enumerate(titles)
        ]
        for app in apps:
            for model in app["models"]:
                group = grouped[_group_of(app["app_label"], model["object_name"])]
                if not group["app_url"]:
                    group["app_url"] = app["app_url"]
                group["models"].append(
                    {**model, "_rank": _model_rank(app["app_label"], model["object_name"])}
                )
        for group in grouped:
            group["models"].sort(key=lambda model: (model.pop("_rank"), str(model["name"])))
        return [group for group in grouped if group["models"]]

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        from circlemart.config.admin_dashboard import dashboard_context

        return super().index(request, {**dashboard_context(request), **(extra_context or {})})


class MerchantUnfoldConfig(AppConfig):
    """Unfold, with the merchant site as the default admin site."""

    name = "unfold"
    label = "unfold"
    default = False

    def ready(self) -> None:
        site = MerchantAdminSite()
        admin.site = site
        sites.site = site
