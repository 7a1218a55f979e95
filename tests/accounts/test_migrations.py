"""The data migration that renames nicknames which are personal data (issue 11, item 7)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from circlemart.accounts.models import User
from circlemart.core.crypto import lookup_digest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0002_remove_lockout_fields")]
AFTER = [("accounts", "0003_neutral_default_nicknames")]
NEUTRAL = re.compile(r"用户[2-9a-hjkmnp-z]{8}")


def migrate(targets: list[tuple[str, str]]) -> Apps:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _every_app_migrated_again_afterwards() -> Iterator[None]:
    """Going back to accounts 0002 also unapplies every app that depends on accounts' later
    migrations (growth…): put the whole schema back for the tests that run after this one."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def with_phone(model: Any, phone: str, nickname: str) -> Any:
    return model.objects.create(phone=phone, phone_digest=lookup_digest(phone), nickname=nickname)


def test_nicknames_that_are_the_email_name_or_the_phone_number_are_replaced() -> None:
    old = migrate(BEFORE).get_model("accounts", "User")
    renamed = [
        old.objects.create(email="lin.fang@example.com", nickname="lin.fang"),
        old.objects.create(email="mixed.case@example.com", nickname="Mixed.Case"),
        old.objects.create(email=f"{'x' * 40}@example.com", nickname="x" * 30),
        with_phone(old, "+8613800138000", "13800138000"),
        with_phone(old, "+8613900139000", "+86 139 0013 9000"),
    ]
    kept = [
        old.objects.create(email="mei@example.com", nickname="小美"),
        old.objects.create(email="a@example.com", nickname="lin.fang"),  # not a's own name
        with_phone(old, "+8613700137000", "7000"),  # too short to be the number
        with_phone(old, "+8613600136000", "用户7k3m9q2x"),
    ]

    migrate(AFTER)

    names = {row.pk: User.objects.get(pk=row.pk).nickname for row in renamed + kept}
    assert all(NEUTRAL.fullmatch(names[row.pk]) for row in renamed), names
    assert len({names[row.pk] for row in renamed}) == len(renamed)
    assert [names[row.pk] for row in kept] == ["小美", "lin.fang", "7000", "用户7k3m9q2x"]
    assert User.objects.get(pk=renamed[3].pk).phone == "+8613800138000"
