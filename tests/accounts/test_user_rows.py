"""The bearer token's user in one hand-written query (accounts.user_rows), and /api/v1/me built
from it: the same instances and the same answer as the ORM path, never stale."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from ninja.responses import NinjaJSONEncoder

from circlemart.accounts import selectors, services, user_rows
from circlemart.accounts.api import profile_out
from circlemart.accounts.contracts import Role
from circlemart.accounts.models import ApiToken, User
from circlemart.accounts.schemas import ProfileOut
from circlemart.accounts.tokens import token_digest
from circlemart.core import clock
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def field_values(instance: Any) -> dict[str, Any]:
    return {
        field.attname: getattr(instance, field.attname)
        for field in type(instance)._meta.concrete_fields
    }


def a_full_user() -> User:
    user = UserFactory.with_phone(
        "+8613800138000",
        bio="爱逛街",
        city="上海",
        gender=User.Gender.FEMALE,
        interests=["美妆", "数码"],
    )
    user.avatar.name = "avatars/a.png"
    user.save(update_fields=["avatar"])
    return user


def me(client: Client, token: str) -> Any:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_the_user_is_read_as_the_orm_reads_it_with_its_groups(
    django_assert_num_queries: Any,
) -> None:
    user = a_full_user()
    user.groups.add(Group.objects.get_or_create(name=Role.MODERATOR.value)[0])
    with django_assert_num_queries(1):
        loaded = user_rows.user_with_groups(user.pk)
        assert loaded is not None
        roles = selectors.user_roles(loaded)
    assert field_values(loaded) == field_values(User.objects.get(pk=user.pk))
    assert loaded.phone == "+8613800138000"  # decrypted, as the ORM's converter does
    assert loaded._state.adding is False
    assert roles == [Role.SHOPPER, Role.MODERATOR]


def test_a_user_in_no_group_has_no_groups_and_an_unknown_id_no_user() -> None:
    user = UserFactory()
    loaded = user_rows.user_with_groups(user.pk)
    assert loaded is not None
    assert list(loaded.groups.all()) == []
    assert user_rows.user_with_groups(user.pk + 1000) is None


def test_groups_changed_through_the_manager_are_read_again() -> None:
    user = UserFactory()
    loaded = user_rows.user_with_groups(user.pk)
    assert loaded is not None
    assert selectors.user_roles(loaded) == [Role.SHOPPER]
    loaded.groups.add(Group.objects.get_or_create(name=Role.ANALYST.value)[0])
    assert selectors.user_roles(loaded) == [Role.SHOPPER, Role.ANALYST]


def test_a_live_token_is_read_with_its_user_and_a_stale_one_is_not() -> None:
    user = UserFactory()
    pair = services.token_pair_issue(user=user)
    digest = token_digest(pair.access_token)
    row = user_rows.live_access_token(digest, now=clock.now())
    assert row is not None
    assert field_values(row) == field_values(ApiToken.objects.get(digest=digest))
    assert field_values(row.user) == field_values(User.objects.get(pk=user.pk))
    later = row.expires_at + timedelta(seconds=1)
    assert user_rows.live_access_token(digest, now=later) is None
    refresh_digest = token_digest(pair.refresh_token)  # a refresh token is no access token
    assert user_rows.live_access_token(refresh_digest, now=clock.now()) is None
    ApiToken.objects.filter(digest=digest).update(revoked_at=clock.now())
    assert user_rows.live_access_token(digest, now=clock.now()) is None


class TestMeWithoutTheTokenCache:
    """The embedded default (no Redis): every request asks the database, in one query."""

    @pytest.fixture(autouse=True)
    def _not_remembering(self, settings: Any) -> None:
        settings.ACCOUNTS_TOKEN_CACHE_SECONDS = 0

    def test_me_costs_one_query(self, django_assert_num_queries: Any) -> None:
        user = UserFactory()
        token = services.token_pair_issue(user=user).access_token
        with django_assert_num_queries(1):
            response = me(Client(), token)
        assert response.status_code == 200
        assert response.json()["id"] == user.pk

    def test_a_new_role_shows_on_the_next_request(self) -> None:
        user = UserFactory()
        token = services.token_pair_issue(user=user).access_token
        client = Client()
        assert me(client, token).json()["roles"] == ["shopper"]
        user.groups.add(Group.objects.get_or_create(name=Role.MERCHANT_STAFF.value)[0])
        assert me(client, token).json()["roles"] == ["shopper", "merchant_staff"]
        user.groups.clear()
        assert me(client, token).json()["roles"] == ["shopper"]

    def test_an_edited_profile_shows_on_the_next_request(self) -> None:
        user = UserFactory(nickname="旧名字")
        token = services.token_pair_issue(user=user).access_token
        client = Client()
        assert me(client, token).json()["nickname"] == "旧名字"
        User.objects.filter(pk=user.pk).update(nickname="新名字")
        assert me(client, token).json()["nickname"] == "新名字"

    def test_logout_deactivation_and_password_change_end_the_token_at_once(self) -> None:
        client = Client()
        for end in ("logout", "deactivate", "password"):
            user = UserFactory()
            pair = services.token_pair_issue(user=user)
            assert me(client, pair.access_token).status_code == 200
            if end == "logout":
                services.token_revoke(user=user, token=pair.refresh_token)
            elif end == "deactivate":
                User.objects.filter(pk=user.pk).update(is_active=False)
            else:
                User.objects.filter(pk=user.pk).update(security_stamp="changed")
            refused = me(client, pair.access_token)
            assert refused.status_code == 401, end
            assert refused.json()["error"]["code"] == "invalid_token"


def test_me_answers_the_json_the_validated_schema_would() -> None:
    user = a_full_user()
    user.groups.add(Group.objects.get_or_create(name=Role.ADMIN.value)[0])
    token = services.token_pair_issue(user=user).access_token
    response = me(Client(), token)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    validated = ProfileOut.model_validate(profile_out(User.objects.get(pk=user.pk))).model_dump()
    assert response.content == json.dumps(validated, cls=NinjaJSONEncoder).encode()
    body = response.json()
    assert body["phone"] == "+8613800138000"
    assert body["interests"] == ["美妆", "数码"]
    assert body["roles"] == ["shopper", "admin"]
    assert body["avatar_url"].endswith("avatars/a.png")
