"""Cart API through HTTP: guests by session (CSRF enforced), users by token, merge on sign-in."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from circlemart.accounts.services import token_pair_issue
from tests.accounts.factories import UserFactory
from tests.catalog import factories

pytestmark = pytest.mark.django_db


def _sku(stock: int = 5) -> int:
    return factories.product(prices=(1200,), stock=(stock,)).skus.get().pk


def bearer(user: object) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=user).access_token}"}  # type: ignore[arg-type]


def post(client: Client, path: str, body: object, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(path, json.dumps(body), content_type="application/json", **extra)


def test_guest_adds_and_reads_the_cart(api_client: Client) -> None:
    sku = _sku()
    added = post(api_client, "/api/v1/cart/items", {"sku_id": sku, "quantity": 2})
    assert added.status_code == 201
    body = api_client.get("/api/v1/cart").json()
    assert [(line["sku_id"], line["quantity"]) for line in body["lines"]] == [(sku, 2)]
    assert (body["item_count"], body["selected_subtotal"]) == (2, 2400)


def test_guest_writes_need_the_csrf_token() -> None:
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    answer = post(browser, "/api/v1/cart/items", {"sku_id": _sku(), "quantity": 1})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "csrf_failed"


def test_token_user_changes_selects_and_removes(api_client: Client) -> None:
    user = UserFactory()
    auth = bearer(user)
    first, second = _sku(), _sku()
    post(api_client, "/api/v1/cart/items", {"sku_id": first}, **auth)
    post(api_client, "/api/v1/cart/items", {"sku_id": second}, **auth)
    changed = api_client.patch(
        f"/api/v1/cart/items/{first}",
        json.dumps({"quantity": 3, "is_selected": False}),
        content_type="application/json",
        **auth,
    )
    assert changed.status_code == 200
    lines = {line["sku_id"]: line for line in changed.json()["lines"]}
    assert (lines[first]["quantity"], lines[first]["is_selected"]) == (3, False)
    assert changed.json()["selected_subtotal"] == 1200
    removed = api_client.delete(f"/api/v1/cart/items/{second}", **auth)
    assert [line["sku_id"] for line in removed.json()["lines"]] == [first]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"sku_id": 999999, "quantity": 1}, 404, "sku_id"),
        ({"sku_id": "x", "quantity": 1}, 400, "sku_id"),
        ({"quantity": 1}, 400, "sku_id"),
        ({"sku_id": 0, "quantity": 0}, 400, "quantity"),
        ({"sku_id": 0, "quantity": 10**6}, 400, "quantity"),
    ],
)
def test_bad_input_names_the_field(
    api_client: Client, body: dict[str, object], status: int, field: str
) -> None:
    answer = post(api_client, "/api/v1/cart/items", body)
    assert answer.status_code == status
    assert answer.json()["error"]["field"] == field


def test_more_than_in_stock_is_a_409(api_client: Client) -> None:
    answer = post(api_client, "/api/v1/cart/items", {"sku_id": _sku(stock=1), "quantity": 2})
    assert answer.status_code == 409
    assert answer.json()["error"] == {
        "code": "out_of_stock",
        "message": "Only 1 left in stock.",
        "field": "quantity",
        "available": 1,
    }


def test_guest_cart_is_merged_after_signing_in() -> None:
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    sku = _sku()
    post(browser, "/api/v1/cart/items", {"sku_id": sku, "quantity": 2})
    user = UserFactory()
    browser.force_login(user)  # the session (and its guest token) carries over
    body = browser.get("/api/v1/cart").json()
    assert [(line["sku_id"], line["quantity"]) for line in body["lines"]] == [(sku, 2)]
    assert Client().get("/api/v1/cart", **bearer(user)).json()["item_count"] == 2
