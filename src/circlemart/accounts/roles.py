"""Roles are Django groups with a fixed permission set; `admin` means superuser.

Each app that adds back-office models adds its permission codenames here.
"""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.contrib.auth.models import Group, Permission

from circlemart.accounts.contracts import Role


def _crud(app_label: str, *models: str) -> list[str]:
    return [f"{app_label}.{verb}_{model}" for model in models for verb in ("add", "change", "view")]


def _view(app_label: str, *models: str) -> list[str]:
    return [f"{app_label}.view_{model}" for model in models]


CATALOG_MODELS = ("category", "brand", "tag", "product", "sku", "productimage")
ORDER_MODELS = (
    "order",
    "orderline",
    "ordertransition",
    "aftersalesrequest",
    "aftersalestransition",
)
PAYMENT_MODELS = ("payment", "refund", "webhookreceipt")
# Codenames of apps still growing; a codename that does not exist yet is skipped by sync_roles.
MODERATION_MODELS = ("sensitiveword", "reviewitem", "report", "decision")
SOCIAL_MODELS = ("follow", "note", "comment", "circle", "topic", "block")
REVIEW_MODELS = ("review", "reviewreply", "question", "answer")

# Growth (growth/): each mechanism adds the models operators run to its own line.
GROWTH_OPERATOR_MODELS: tuple[str, ...] = (
    # points
    "rewardgrant",
    "pointsbalance",
    "pointsentry",
    *("pointsearnrule", "pointslot", "pointsorderearning", "pointsdebt"),
    # checkin
    *("streakrewardrule", "checkin", "checkinaccount", "makeupcardmovement"),
    *("taskdefinition", "taskprogress"),
    # levels
    *("level", "badgerule", "growthaccount", "growthvalueentry", "levelchange", "badgeaward"),
    # invites
    *("invite", "invitecode", "invitemilestone", "invitereward", "inviterewardrule"),
    *("fissiontask", "fissioncompletion"),
    # games
    *("game", "gameprize", "gamespin", "gamechancegrant", "mallitem", "mallredemption"),
    # distribution
    *("distributor", "distributorlevel", "commissionrate", "commission", "commissionentry"),
    *("commissionaccount", "commissionorder", "withdrawal", "promotionlink"),
    "distributionbinding",
)

ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.SHOPPER: [],
    Role.CREATOR: [],
    Role.MERCHANT_STAFF: [
        "accounts.view_user",
        *_crud("catalog", *CATALOG_MODELS),
        "catalog.delete_productimage",
        "catalog.delete_sku",
        *_crud("inventory", "stocklevel"),
        *_view("inventory", "reservation"),
        *_crud("orders", *ORDER_MODELS),
        *_crud("pricing", "shippingrule"),
        *_view("payments", *PAYMENT_MODELS),
        *_view("cart", "cart", "cartitem"),
        *_crud("reviews", *REVIEW_MODELS),
    ],
    Role.MODERATOR: [
        "accounts.view_user",
        "accounts.change_user",
        *_crud("moderation", *MODERATION_MODELS),
        *_view("social", *SOCIAL_MODELS),
        "social.change_note",
        "social.change_comment",
        "social.change_circle",
        *_view("reviews", *REVIEW_MODELS),
        "reviews.change_review",
    ],
    Role.ANALYST: [
        "accounts.view_user",
        *_view("catalog", *CATALOG_MODELS),
        *_view("inventory", "stocklevel", "reservation"),
        *_view("orders", *ORDER_MODELS),
        *_view("payments", *PAYMENT_MODELS),
        *_view("social", *SOCIAL_MODELS),
        *_view("reviews", *REVIEW_MODELS),
        *_crud("analytics", "growthgoal"),
        "analytics.delete_growthgoal",
        # The dashboards are open to whoever may read the daily metrics (analytics.dashboards).
        *_view("analytics", "dailymetric"),
        # The analyses (funnels, retention, paths, lifecycle) read the event log and sessions.
        *_view("analytics", "event", "trackedsession"),
        *_crud("analytics", "reportsubscription"),
        "analytics.delete_reportsubscription",
        # Ad and promotion spend: recorded and imported by analysts (analytics.metrics).
        *_crud("analytics", "channelspend"),
        # Recommendation models: their metrics and statistics; switching and rolling back.
        *_view("recommend", "modelversion", "activationlog"),
        "recommend.change_modelversion",
    ],
    Role.OPERATOR: [
        "accounts.view_user",
        *_view("orders", "order", "orderline"),
        *_crud("growth", *GROWTH_OPERATOR_MODELS),
        # The points, invites and tasks dashboards read the daily metrics.
        *_view("analytics", "dailymetric"),
    ],
    Role.ADMIN: [],  # superuser: every permission
}


def sync_roles() -> None:
    """Create the role groups and set exactly their permissions (idempotent). A codename
    whose model does not exist yet is skipped."""
    wanted = {dotted for codenames in ROLE_PERMISSIONS.values() for dotted in codenames}
    permission_ids = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.filter(
            codename__in={dotted.split(".", 1)[1] for dotted in wanted}
        ).values_list("pk", "content_type__app_label", "codename")
    }
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.set(
            [permission_ids[dotted] for dotted in codenames if dotted in permission_ids]
        )


def sync_roles_after_migrate(app_config: AppConfig, **kwargs: Any) -> None:
    # post_migrate is sent once per app, each time after that app's permissions were made:
    # the roles need every app's, so they are set once, after the last app (a test database
    # is flushed and re-signalled after every transactional test).
    # A test limited to some apps (available_apps) may leave auth out: no groups to set then.
    if app_config is _last_app_with_models() and apps.is_installed("django.contrib.auth"):
        sync_roles()


def _last_app_with_models() -> AppConfig:
    return [config for config in apps.get_app_configs() if config.models_module is not None][-1]
