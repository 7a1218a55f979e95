"""Role groups: exactly their permissions, set in a few queries, once per migrate."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circlemart.accounts import roles
from circlemart.accounts.contracts import Role

pytestmark = pytest.mark.django_db


def _granted(role: Role) -> set[str]:
    group = Group.objects.get(name=role.value)
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_every_role_has_exactly_the_permissions_that_exist():
    existing = {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list(
            "content_type__app_label", "codename"
        )
    }
    Group.objects.get(name=Role.OPERATOR.value).permissions.add(
        Permission.objects.get(codename="delete_user")
    )
    roles.sync_roles()
    for role, codenames in roles.ROLE_PERMISSIONS.items():
        assert _granted(role) == set(codenames) & existing
    assert roles.ROLE_PERMISSIONS[Role.MERCHANT_STAFF]
    assert _granted(Role.MERCHANT_STAFF)  # most codenames exist: the lookup finds them


def test_roles_are_set_in_a_few_queries():
    with CaptureQueriesContext(connection) as queries:
        roles.sync_roles()
    # one read of the permissions, then a get-or-create and a set per role
    assert len(queries) <= 1 + 5 * len(roles.ROLE_PERMISSIONS)


def test_post_migrate_sets_the_roles_once_after_the_last_app(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(roles, "sync_roles", lambda: calls.append("synced"))
    emit_post_migrate_signal(0, False, "default")
    assert calls == ["synced"]
    last = [config for config in apps.get_app_configs() if config.models_module][-1]
    assert roles._last_app_with_models() is last
