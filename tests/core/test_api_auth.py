"""SignedIn: API callers are whoever the request already is, by session or by bearer token;
session writes must pass the CSRF check, token writes need none."""

from __future__ import annotations

import pytest
from django.test import Client

from circlemart.accounts.services import token_pair_issue
from tests.accounts.factories import PASSWORD, UserFactory
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


# --- a request carrying a bearer token is judged on that token alone ---------------------------

INVALID_TOKEN = {
    "error": {"code": "invalid_token", "message": "The access token is invalid or has expired."}
}
CHALLENGE = 'Bearer realm="api", error="invalid_token"'


def expired_token(user) -> str:
    from datetime import timedelta

    from circlemart.accounts.models import ApiToken
    from circlemart.core import clock

    token = token_pair_issue(user=user).access_token
    ApiToken.objects.filter(user=user).update(expires_at=clock.now() - timedelta(seconds=1))
    return token


def signed_in_browser(user) -> Client:
    """A session-signed-in browser that has no CSRF token: a fallback to the session would
    answer 403 csrf_failed."""
    client = strict_client()
    client.force_login(user)
    return client


def test_an_expired_token_on_a_cart_write_is_a_401_not_a_csrf_failure():
    from tests.catalog import factories as catalog

    user = UserFactory()
    sku = catalog.product(prices=(1200,), stock=(5,)).skus.get().pk
    client = signed_in_browser(user)
    headers = {"Authorization": f"Bearer {expired_token(user)}"}

    response = client.post(
        "/api/v1/cart/items",
        {"sku_id": sku, "quantity": 1},
        content_type="application/json",
        headers=headers,
    )
    cart = client.get("/api/v1/cart")  # the session's own view: nothing was added

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN
    assert response["WWW-Authenticate"] == CHALLENGE
    assert cart.json()["lines"] == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/cart"),  # public, reads the caller's cart
        ("get", "/api/v1/catalog/products"),  # public
        ("get", "/api/v1/me"),  # signed-in only
        ("post", "/api/v1/auth/logout"),  # signed-in write
    ],
)
@pytest.mark.parametrize("token", ["expired", "cm_at_forged", "", "not-even-ours"])
def test_a_bad_token_is_a_401_everywhere_even_beside_a_good_session(method, path, token):
    user = UserFactory()
    value = expired_token(user) if token == "expired" else token
    client = signed_in_browser(user)

    response = getattr(client, method)(path, headers={"Authorization": f"Bearer {value}"})

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN
    assert response["WWW-Authenticate"] == CHALLENGE


def test_a_good_token_passes_and_other_schemes_are_not_judged():
    user = UserFactory()
    token = token_pair_issue(user=user).access_token

    with_token = strict_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    basic = strict_client().get("/api/v1/catalog/products", headers={"Authorization": "Basic eDp5"})

    assert with_token.status_code == 200
    assert with_token.json()["id"] == user.pk
    assert basic.status_code == 200


def test_pages_ignore_bearer_tokens():
    response = strict_client().get("/", headers={"Authorization": "Bearer cm_at_forged"})

    assert response.status_code == 200


def test_endpoints_that_issue_tokens_ignore_a_stale_one():
    user = UserFactory(email="stale@example.com")
    stale = {"Authorization": f"Bearer {expired_token(user)}"}

    response = strict_client().post(
        "/api/v1/auth/login",
        {"email": "stale@example.com", "password": PASSWORD},
        content_type="application/json",
        headers=stale,
    )

    assert response.status_code == 200
    assert response.json()["user"]["id"] == user.pk
