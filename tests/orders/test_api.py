"""Orders API through HTTP: checkout from items or the cart, idempotency, IDOR, pay, cancel."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client

from circlemart.accounts.services import token_pair_issue
from circlemart.inventory import selectors as inventory_selectors
from circlemart.orders.models import Order
from circlemart.payments import gateway
from tests.orders.conftest import make_buyer, make_sku, place, token_of

pytestmark = pytest.mark.django_db


def bearer(user: object) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=user).access_token}"}  # type: ignore[arg-type]


def post(client: Client, path: str, body: object, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(path, json.dumps(body), content_type="application/json", **extra)


def test_quote_then_place_from_items_ignoring_any_price_sent(api_client: Client) -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=2000, stock=5)
    auth = bearer(buyer)
    quote = post(
        api_client,
        "/api/v1/orders/quote",
        {"items": [{"sku_id": sku, "quantity": 2}], "address_id": address},
        **auth,
    )
    assert quote.status_code == 200
    assert (quote.json()["subtotal"], quote.json()["shipping_fee"], quote.json()["total"]) == (
        4000,
        800,
        4800,
    )
    tampered = {
        "items": [{"sku_id": sku, "quantity": 2, "price": 1, "unit_price": 1}],
        "address_id": address,
        "total": 1,
        "expected_total": 4800,
    }
    placed = post(api_client, "/api/v1/orders", tampered, **auth)
    assert placed.status_code == 201
    body = placed.json()
    assert (body["status"], body["total"], body["lines"][0]["unit_price"]) == (
        "pending_payment",
        4800,
        2000,
    )
    assert body["address"]["recipient"] == "张三"


def test_retries_with_one_idempotency_key_make_one_order(api_client: Client) -> None:
    buyer, address = make_buyer()
    sku = make_sku(stock=10)
    auth = bearer(buyer)
    body = {"items": [{"sku_id": sku, "quantity": 1}], "address_id": address}
    answers = [
        post(api_client, "/api/v1/orders", body, HTTP_IDEMPOTENCY_KEY="k-1", **auth)
        for _ in range(20)
    ]
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.json()["number"] for answer in answers}) == 1
    assert Order.objects.count() == 1
    assert inventory_selectors.stock_of(sku) == (10, 1)


def test_place_from_the_cart_takes_the_selected_lines(api_client: Client) -> None:
    buyer, address = make_buyer()
    auth = bearer(buyer)
    chosen, left = make_sku(), make_sku()
    post(api_client, "/api/v1/cart/items", {"sku_id": chosen, "quantity": 2}, **auth)
    post(api_client, "/api/v1/cart/items", {"sku_id": left, "quantity": 1}, **auth)
    post(api_client, "/api/v1/cart/select", {"sku_ids": [left], "is_selected": False}, **auth)
    placed = post(api_client, "/api/v1/orders", {"address_id": address}, **auth)
    assert placed.status_code == 201
    assert [(line["sku_id"], line["quantity"]) for line in placed.json()["lines"]] == [(chosen, 2)]
    cart = api_client.get("/api/v1/cart", **auth).json()
    assert [line["sku_id"] for line in cart["lines"]] == [left]


@pytest.mark.parametrize(
    ("items", "status", "field"),
    [
        ([{"sku_id": 1, "quantity": 0}], 400, "items.0.quantity"),
        ([{"sku_id": 1, "quantity": -5}], 400, "items.0.quantity"),
        ([{"sku_id": 1, "quantity": 10**7}], 400, "items.0.quantity"),
        ([{"sku_id": 424242, "quantity": 1}], 404, "items[0].sku_id"),
        ([], 400, "items"),
    ],
)
def test_bad_items_name_the_field_and_write_nothing(
    api_client: Client, items: list[dict[str, int]], status: int, field: str
) -> None:
    buyer, address = make_buyer()
    answer = post(
        api_client, "/api/v1/orders", {"items": items, "address_id": address}, **bearer(buyer)
    )
    assert answer.status_code == status
    assert answer.json()["error"]["field"] == field
    assert Order.objects.count() == 0


def test_someone_elses_order_and_address_are_404(api_client: Client) -> None:
    buyer, address = make_buyer()
    order = place(buyer, address, make_sku())
    stranger, _theirs = make_buyer()
    auth = bearer(stranger)
    assert api_client.get(f"/api/v1/orders/{order.number}", **auth).status_code == 404
    assert post(api_client, f"/api/v1/orders/{order.number}/pay", {}, **auth).status_code == 404
    assert post(api_client, f"/api/v1/orders/{order.number}/cancel", {}, **auth).status_code == 404
    foreign = post(
        api_client,
        "/api/v1/orders",
        {"items": [{"sku_id": make_sku(), "quantity": 1}], "address_id": address},
        **auth,
    )
    assert foreign.status_code == 404
    assert foreign.json()["error"]["field"] == "address_id"
    mine = api_client.get("/api/v1/orders", **auth).json()
    assert mine == {"items": [], "next_cursor": None}


def test_pay_then_the_webhook_marks_the_order_paid(
    api_client: Client,
    django_capture_on_commit_callbacks: Callable[..., object],
    drain: Callable[[], None],
) -> None:
    buyer, address = make_buyer()
    order = place(buyer, address, make_sku())
    auth = bearer(buyer)
    with django_capture_on_commit_callbacks(execute=True):
        started = post(api_client, f"/api/v1/orders/{order.number}/pay", {}, **auth)
    assert started.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        gateway.charge_complete(token=token_of(started.json()["redirect_url"]), pay=True)
    drain()
    body = api_client.get(f"/api/v1/orders/{order.number}", **auth).json()
    assert (body["status"], body["paid_amount"]) == ("paid", body["total"])
    assert [step["to_status"] for step in body["transitions"]] == ["pending_payment", "paid"]
    again = post(api_client, f"/api/v1/orders/{order.number}/pay", {}, **auth)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "not_payable")


def test_illegal_transitions_are_409_with_a_message(api_client: Client) -> None:
    buyer, address = make_buyer()
    order = place(buyer, address, make_sku())
    auth = bearer(buyer)
    confirm = post(api_client, f"/api/v1/orders/{order.number}/confirm-delivery", {}, **auth)
    assert confirm.status_code == 409
    assert confirm.json()["error"]["code"] == "illegal_transition"
    assert "cannot become" in confirm.json()["error"]["message"]
    cancelled = post(
        api_client, f"/api/v1/orders/{order.number}/cancel", {"reason": "不要了"}, **auth
    )
    assert cancelled.json()["status"] == "cancelled"
    ship = post(
        api_client,
        f"/api/v1/orders/{order.number}/ship",
        {"carrier": "SF", "tracking_number": "1"},
        **auth,
    )
    assert ship.status_code == 403


def test_order_list_pages_with_a_cursor(api_client: Client) -> None:
    buyer, address = make_buyer()
    sku = make_sku(stock=20)
    numbers = {place(buyer, address, sku).number for _ in range(5)}
    auth = bearer(buyer)
    first = api_client.get("/api/v1/orders?limit=3", **auth).json()
    second = api_client.get(f"/api/v1/orders?limit=3&cursor={first['next_cursor']}", **auth).json()
    seen = [order["number"] for order in first["items"] + second["items"]]
    assert sorted(seen) == sorted(numbers)
    assert second["next_cursor"] is None


def test_anonymous_callers_get_401(api_client: Client) -> None:
    assert api_client.get("/api/v1/orders").status_code == 401
    assert post(api_client, "/api/v1/orders", {"address_id": 1}).status_code == 401
