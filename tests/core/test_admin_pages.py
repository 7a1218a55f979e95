"""Every model registered in the back office: its list and its pages open for an admin."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import models
from django.test import Client
from django.urls import reverse

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name) for model in admin.site._registry
)


@pytest.fixture
def superuser_client() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_changelist_and_add_page_render(superuser_client: Client, app_label, model_name):
    listing = superuser_client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert listing.status_code == 200, listing.content[:300]
    model: type[models.Model] = next(
        m
        for m in admin.site._registry
        if m._meta.model_name == model_name and m._meta.app_label == app_label
    )
    model_admin = admin.site._registry[model]
    request = listing.wsgi_request
    if model_admin.has_add_permission(request):
        add = superuser_client.get(reverse(f"admin:{app_label}_{model_name}_add"))
        assert add.status_code == 200, add.content[:300]
    first = model._default_manager.order_by("pk").first()
    if first is not None:
        change = superuser_client.get(
            reverse(f"admin:{app_label}_{model_name}_change", args=[first.pk])
        )
        assert change.status_code == 200


def test_the_index_groups_apps_by_merchant_task(superuser_client: Client):
    page = superuser_client.get("/admin/")
    assert page.status_code == 200
    groups = [app["name"] for app in page.context["app_list"]]
    assert groups[0] == "Orders & after-sales"
    assert groups[-1] == "System"
    assert groups.index("Products & stock") < groups.index("Promotions")
    assert groups.index("Promotions") < groups.index("Customers & growth")
    system = page.context["app_list"][-1]
    assert "Outbox events" in [
        str(model["name"]).capitalize() for model in system["models"]
    ] or any(model["object_name"] == "OutboxEvent" for model in system["models"])
    # every model is still listed exactly once, with its admin URL
    listed = [m["admin_url"] for app in page.context["app_list"] for m in app["models"]]
    assert len(listed) == len(set(listed)) == len(REGISTERED)
