"""A remembered token carries a snapshot of its user: signed-in reads need no query, and no
ORM write to a user or their groups lets a stale snapshot be read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client

from circlemart.accounts import services, token_cache, user_rows
from circlemart.accounts.contracts import Role
from circlemart.accounts.models import User
from circlemart.accounts.roles import sync_roles
from circlemart.accounts.tokens import token_digest
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"
PHONE = "+8613800138000"


@pytest.fixture(autouse=True)
def _remembering(settings: Any) -> None:
    settings.ACCOUNTS_TOKEN_CACHE_SECONDS = 5


def me(token: str) -> tuple[int, dict[str, Any]]:
    answer = Client(HTTP_ACCEPT_LANGUAGE="en").get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")
    return answer.status_code, answer.json()


def remembered(nickname: str = "Mei") -> tuple[User, str]:
    user = UserFactory.with_phone(PHONE, nickname=nickname)
    token = services.token_pair_issue(user=user).access_token
    assert me(token)[0] == 200  # the lookup that remembers
    return user, token


def entry(token: str) -> Any:
    return cache.get(f"{token_cache.KEY_PREFIX}{token_digest(token)}")


def test_a_remembered_user_answers_me_without_a_query(django_assert_num_queries: Any) -> None:
    user, token = remembered()

    with django_assert_num_queries(0):
        status, body = me(token)

    assert status == 200
    assert (body["id"], body["nickname"], body["phone"]) == (user.pk, "Mei", PHONE)
    assert body["roles"] == ["shopper"]


def test_the_snapshot_holds_no_password_hash_no_stamp_and_no_plain_phone() -> None:
    user, token = remembered()
    user.refresh_from_db()

    stored = repr(entry(token))

    assert isinstance(token_cache.recall(token_digest(token)), token_cache.RememberedToken)
    assert user.password not in stored
    assert user.security_stamp not in stored
    assert PHONE not in stored
    assert PHONE[3:] not in stored


def test_a_user_from_a_snapshot_reads_the_deferred_password_when_asked() -> None:
    user, token = remembered()
    remembered_token = token_cache.recall(token_digest(token))
    assert isinstance(remembered_token, token_cache.RememberedToken)
    assert remembered_token.user is not None

    rebuilt = user_rows.user_from_snapshot(remembered_token.user)

    assert rebuilt is not None
    assert rebuilt.get_deferred_fields() == {"password", "security_stamp", "last_login"}
    assert rebuilt.check_password(PASSWORD)
    assert rebuilt.security_stamp == User.objects.get(pk=user.pk).security_stamp


def test_a_snapshot_of_other_columns_is_never_read(django_assert_num_queries: Any) -> None:
    _, token = remembered()
    value = entry(token)
    _, row, groups = value[4]
    cache.set(
        f"{token_cache.KEY_PREFIX}{token_digest(token)}",
        (*value[:4], ("another-shape", row[:-1], groups)),
        timeout=60,
    )

    with django_assert_num_queries(1):  # the row, as without a snapshot
        status, body = me(token)

    assert (status, body["nickname"]) == (200, "Mei")


def _group(role: Role) -> Group:
    sync_roles()
    return Group.objects.get(name=role.value)


CHANGES: dict[str, tuple[Callable[[User], None], Callable[[dict[str, Any]], bool]]] = {
    "saved": (
        lambda user: services.profile_update(user=user, nickname="Lan"),
        lambda body: body["nickname"] == "Lan",
    ),
    "queryset update": (
        lambda user: User.objects.filter(pk=user.pk).update(city="杭州"),
        lambda body: body["city"] == "杭州",
    ),
    "added to a group": (
        lambda user: user.groups.add(_group(Role.MERCHANT_STAFF)),
        lambda body: Role.MERCHANT_STAFF.value in body["roles"],
    ),
    "added from the group's side": (
        lambda user: _group(Role.MERCHANT_STAFF).user_set.add(user),
        lambda body: Role.MERCHANT_STAFF.value in body["roles"],
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_orm_change_to_a_user_is_seen_by_the_next_request(change: str) -> None:
    user, token = remembered()
    write, seen = CHANGES[change]

    write(User.objects.get(pk=user.pk))

    status, body = me(token)
    assert status == 200
    assert seen(body)


GROUP_CHANGES: dict[str, Callable[[Group, User], None]] = {
    "removed": lambda group, user: user.groups.remove(group),
    "group cleared": lambda group, user: group.user_set.clear(),
    "user's groups cleared": lambda group, user: user.groups.clear(),
    "removed from the group's side": lambda group, user: group.user_set.remove(user),
    "group deleted": lambda group, user: group.delete(),
}


@pytest.mark.parametrize("change", list(GROUP_CHANGES))
def test_leaving_a_role_is_seen_by_the_next_request(change: str) -> None:
    group = _group(Role.MERCHANT_STAFF)
    user = UserFactory()
    user.groups.add(group)
    token = services.token_pair_issue(user=user).access_token
    assert Role.MERCHANT_STAFF.value in me(token)[1]["roles"]

    GROUP_CHANGES[change](group, User.objects.get(pk=user.pk))

    assert me(token)[1]["roles"] == ["shopper"]


def test_a_renamed_group_is_seen_by_the_next_request() -> None:
    group = Group.objects.create(name="night shift")
    user = UserFactory()
    user.groups.add(group)
    token = services.token_pair_issue(user=user).access_token
    assert me(token)[1]["roles"] == ["shopper"]
    # a role is a group of that exact name
    Group.objects.filter(name=Role.MERCHANT_STAFF.value).delete()
    group.name = Role.MERCHANT_STAFF.value
    group.save()

    assert me(token)[1]["roles"] == ["shopper", Role.MERCHANT_STAFF.value]


@pytest.mark.parametrize("how", ["instance", "queryset"])
def test_a_deleted_user_is_refused_at_once(how: str) -> None:
    user, token = remembered()

    if how == "instance":
        User.objects.get(pk=user.pk).delete()
    else:
        User.objects.filter(pk=user.pk).delete()

    assert me(token)[0] == 401


def test_signing_in_elsewhere_keeps_this_token_remembered(
    django_assert_num_queries: Any,
) -> None:
    user, token = remembered()

    signed_in_elsewhere = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/auth/login",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )  # writes last_login with a queryset update
    User.objects.get(pk=user.pk).save(update_fields=["last_login"])  # as a session login does

    assert signed_in_elsewhere.status_code == 200

    assert User.objects.get(pk=user.pk).last_login is not None
    with django_assert_num_queries(0):
        assert me(token)[0] == 200
