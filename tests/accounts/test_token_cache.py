"""Remembered bearer-token lookups: no query while remembered, and never trusted past a
revoke, a logout, a password change or a deactivation."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from redis.exceptions import ConnectionError as RedisConnectionError

from circlemart.accounts import services, token_cache
from circlemart.accounts.models import ApiToken, User
from circlemart.accounts.tokens import token_digest
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls")]

WHOAMI = "/api/core-tests/whoami"  # needs only the caller's id
ME = "/api/v1/me"  # reads the user


@pytest.fixture(autouse=True)
def _remembering(settings: Any) -> None:
    settings.ACCOUNTS_TOKEN_CACHE_SECONDS = 5


def get(path: str, token: str) -> tuple[int, dict[str, Any]]:
    answer = Client(HTTP_ACCEPT_LANGUAGE="en").get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    return answer.status_code, answer.json()


def signed_in() -> tuple[User, services.TokenPair]:
    user = UserFactory()
    return user, services.token_pair_issue(user=user)


def remembered_by_hand(user: User, pair: services.TokenPair, *, expires_at: float) -> None:
    """An entry as remembered before snapshots (user id, family, stamp digest, expiry)."""
    digest = token_digest(pair.access_token)
    row = ApiToken.objects.get(digest=digest)
    entry = (user.pk, row.family.hex, token_cache.stamp_digest(row.security_stamp), expires_at)
    cache.set(f"{token_cache.KEY_PREFIX}{digest}", entry, timeout=60)


def test_a_remembered_token_is_answered_without_a_query(django_assert_num_queries: Any) -> None:
    user, pair = signed_in()
    with django_assert_num_queries(1):  # the first lookup reads the token and its user
        assert get(WHOAMI, pair.access_token) == (200, {"user": user.pk})

    with django_assert_num_queries(0):
        assert get(WHOAMI, pair.access_token) == (200, {"user": user.pk})


def test_a_remembered_user_is_read_when_a_view_needs_it() -> None:
    user, pair = signed_in()
    get(WHOAMI, pair.access_token)
    User.objects.filter(pk=user.pk).update(nickname="renamed a moment ago")

    status, me = get(ME, pair.access_token)

    assert status == 200
    assert (me["id"], me["nickname"]) == (user.pk, "renamed a moment ago")


def test_logout_stops_the_token_at_once() -> None:
    _user, pair = signed_in()
    assert get(WHOAMI, pair.access_token)[0] == 200

    answer = Client().post("/api/v1/auth/logout", HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")

    assert answer.status_code == 204
    assert get(WHOAMI, pair.access_token)[0] == 401
    assert token_cache.recall(token_digest(pair.access_token)) == token_cache.TOMBSTONE


def test_revoking_the_refresh_token_stops_its_access_token_at_once() -> None:
    user, pair = signed_in()
    other = services.token_pair_issue(user=user)
    assert get(WHOAMI, pair.access_token)[0] == 200
    assert get(WHOAMI, other.access_token)[0] == 200

    answer = Client().post(
        "/api/v1/auth/token/revoke",
        {"token": pair.refresh_token},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {other.access_token}",
    )

    assert answer.status_code == 204
    assert get(WHOAMI, pair.access_token)[0] == 401
    assert get(WHOAMI, other.access_token) == (200, {"user": user.pk})  # another login


def test_a_replayed_refresh_token_stops_the_family_at_once() -> None:
    _user, first = signed_in()
    second = services.token_refresh(refresh_token=first.refresh_token)
    assert get(WHOAMI, second.access_token)[0] == 200

    replayed = Client().post(
        "/api/v1/auth/token/refresh",
        {"refresh_token": first.refresh_token},
        content_type="application/json",
    )

    assert replayed.status_code == 401
    assert get(WHOAMI, second.access_token)[0] == 401


@pytest.mark.parametrize("how", ["logout_everywhere", "password_change"])
def test_ending_every_login_stops_remembered_tokens_at_once(how: str) -> None:
    user, pair = signed_in()
    assert get(WHOAMI, pair.access_token)[0] == 200

    if how == "logout_everywhere":
        services.user_logout_everywhere(user=user)
    else:
        services.password_change(
            user=user, old_password=PASSWORD, new_password="Another-strong-passphrase-73"
        )

    assert get(WHOAMI, pair.access_token)[0] == 401
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0


def test_deactivating_a_user_in_the_back_office_stops_their_tokens_at_once() -> None:
    user, pair = signed_in()
    assert get(WHOAMI, pair.access_token)[0] == 200
    operator = UserFactory(is_staff=True, is_superuser=True)
    request = RequestFactory().post("/admin/accounts/user/")
    request.user = operator
    user.is_active = False

    admin.site._registry[User].save_model(request, user, form=None, change=True)

    assert get(WHOAMI, pair.access_token)[0] == 401
    assert User.objects.get(pk=user.pk).is_active is False


def test_a_deactivation_by_a_queryset_update_stops_the_token_at_once() -> None:
    user, pair = signed_in()
    assert get(WHOAMI, pair.access_token)[0] == 200
    User.objects.filter(pk=user.pk).update(is_active=False)  # no service: the queryset forgets

    assert get(WHOAMI, pair.access_token)[0] == 401
    status, body = get(ME, pair.access_token)
    assert status == 401
    assert body["error"]["code"] == "invalid_token"


def test_an_entry_without_a_snapshot_reads_and_rechecks_the_user(
    django_assert_num_queries: Any,
) -> None:
    # As remembered before snapshots: the first use of the user reads its row and re-checks it,
    # so a change that left no tombstone still ends the request that looks at the user.
    user, pair = signed_in()
    remembered_by_hand(user, pair, expires_at=2e9)
    with django_assert_num_queries(1):
        assert get(ME, pair.access_token)[1]["id"] == user.pk
    with connection.cursor() as cursor:  # behind the ORM: no tombstone
        cursor.execute("UPDATE accounts_user SET is_active = %s WHERE id = %s", [False, user.pk])

    status, body = get(ME, pair.access_token)

    assert status == 401
    assert body["error"]["code"] == "token_invalid"
    # and the remembered lookup is gone for every request after it
    assert get(WHOAMI, pair.access_token)[0] == 401


def test_a_lookup_that_raced_a_revoke_cannot_put_its_success_back() -> None:
    user, pair = signed_in()
    digest = token_digest(pair.access_token)
    row = ApiToken.objects.get(digest=digest)
    # A lookup read the live row; the revoke writes its tombstone before it commits; then the
    # lookup tries to remember what it read.
    token_cache.forget([digest])
    token_cache.remember(
        digest,
        token_cache.RememberedToken(
            user_id=user.pk,
            family=row.family.hex,
            stamp_digest=token_cache.stamp_digest(row.security_stamp),
            expires_at=row.expires_at.timestamp(),
        ),
    )

    assert token_cache.recall(digest) == token_cache.TOMBSTONE


def test_a_revoke_that_cannot_write_its_tombstones_fails_and_revokes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user, pair = signed_in()
    assert get(WHOAMI, pair.access_token)[0] == 200

    def unreachable(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("the cache did not answer")

    monkeypatch.setattr(cache, "set_many", unreachable)
    with pytest.raises(ConnectionError):
        services.token_revoke(user=user, token=pair.access_token)

    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 2


def test_an_expired_remembered_token_is_asked_of_the_database(
    django_assert_num_queries: Any,
) -> None:
    user, pair = signed_in()
    remembered_by_hand(user, pair, expires_at=time.time())

    with django_assert_num_queries(1):
        assert get(WHOAMI, pair.access_token) == (200, {"user": user.pk})


def test_without_redis_nothing_is_remembered_by_default(
    settings: Any, django_assert_num_queries: Any
) -> None:
    settings.ACCOUNTS_TOKEN_CACHE_SECONDS = None
    settings.REDIS_URL = ""
    user, pair = signed_in()

    assert token_cache.seconds() == 0
    for _ in range(2):
        with django_assert_num_queries(1):
            assert get(WHOAMI, pair.access_token) == (200, {"user": user.pk})
    settings.REDIS_URL = "redis://cache.example:6379/0"
    assert token_cache.seconds() == token_cache.DEFAULT_SECONDS_WITH_REDIS == 5


def test_an_unreachable_cache_sends_lookups_to_the_database(
    monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: Any
) -> None:
    user, pair = signed_in()
    get(WHOAMI, pair.access_token)
    services.token_revoke(user=user, token=pair.access_token)
    cache.clear()  # the tombstone is lost with everything else

    def unreachable(*args: Any, **kwargs: Any) -> None:
        raise RedisConnectionError("the cache did not answer")

    monkeypatch.setattr(cache, "get", unreachable)
    monkeypatch.setattr(cache, "add", unreachable)
    fresh = services.token_pair_issue(user=user)

    with django_assert_num_queries(1):
        assert get(WHOAMI, fresh.access_token) == (200, {"user": user.pk})
    assert get(WHOAMI, pair.access_token)[0] == 401
