"""SignedIn: API callers are whoever the request already is, by session or by bearer token;
session writes must pass the CSRF check, token writes need none."""

from __future__ import annotations

import pytest
from django.test import Client

from circlemart.accounts.services import token_pair_issue
from tests.accounts.factories import UserFactory
from tests.core import urls as test_views

pytestmark = [pytest.mark.urls("tests.core.urls"), pytest.mark.django_db]

API = "/api/core-tests"
CSRF_SECRET = "a" * 32


@pytest.fixture(autouse=True)
def _reset_calls():
    test_views.calls.clear()
    yield
    test_views.calls.clear()


def strict_client() -> Client:
    return Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")


def test_anonymous_callers_are_asked_to_authenticate():
    response = strict_client().get(f"{API}/whoami")
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "not_authenticated", "message": "Authentication required."}
    }


def test_a_session_caller_may_read():
    user = UserFactory()
    client = strict_client()
    client.force_login(user)

    response = client.get(f"{API}/whoami")

    assert response.status_code == 200
    assert response.json() == {"user": user.pk}


def test_a_session_write_without_the_csrf_token_is_refused():
    client = strict_client()
    client.force_login(UserFactory())

    response = client.post(f"{API}/notes")

    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "csrf_failed",
            "message": "CSRF check failed. Reload the page and try again.",
        }
    }
    assert test_views.calls["write_note"] == 0


def test_a_session_write_with_the_csrf_token_passes():
    user = UserFactory()
    client = strict_client()
    client.force_login(user)
    client.cookies["csrftoken"] = CSRF_SECRET

    response = client.post(f"{API}/notes", headers={"X-CSRFToken": CSRF_SECRET})

    assert response.status_code == 200
    assert response.json() == {"user": user.pk}
    assert test_views.calls["write_note"] == 1


def test_a_token_caller_writes_without_csrf():
    user = UserFactory()
    tokens = token_pair_issue(user=user)

    response = strict_client().post(
        f"{API}/notes", headers={"Authorization": f"Bearer {tokens.access_token}"}
    )

    assert response.status_code == 200
    assert response.json() == {"user": user.pk}
    assert test_views.calls["write_note"] == 1


def test_an_unknown_token_is_not_authenticated():
    response = strict_client().post(
        f"{API}/notes", headers={"Authorization": "Bearer not-a-real-token"}
    )
    assert response.status_code == 401
    assert test_views.calls["write_note"] == 0
