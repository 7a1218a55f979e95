"""Checkout races on real PostgreSQL with real threads over HTTP: no oversell, one order per
idempotency key, sweeps and payments racing on one order settle it exactly once."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from circlemart.accounts.services import token_pair_issue
from circlemart.core import clock
from circlemart.core.events import relay_pending
from circlemart.inventory import selectors as inventory_selectors
from circlemart.inventory.models import Reservation
from circlemart.orders import services
from circlemart.orders.models import Order
from circlemart.payments import gateway
from circlemart.payments import selectors as payment_selectors
from tests.accounts.test_races import run_together
from tests.orders.conftest import make_buyer, make_sku, place, token_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _checkout(
    auth: str, body: dict[str, Any], key: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"HTTP_AUTHORIZATION": auth}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    answer = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/orders", json.dumps(body), content_type="application/json", **headers
    )
    return answer.status_code, answer.json()


def test_fifty_buyers_for_the_last_ten_units() -> None:
    sku = make_sku(price=1000, stock=10)
    buyers = [make_buyer() for _ in range(50)]
    tokens = [f"Bearer {token_pair_issue(user=user).access_token}" for user, _ in buyers]

    def buy(index: int) -> tuple[int, dict[str, Any]]:
        body = {"items": [{"sku_id": sku, "quantity": 1}], "address_id": buyers[index][1]}
        return _checkout(tokens[index], body)

    results = run_together(50, buy)
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 10, 409: 40}
    assert {body["error"]["code"] for status, body in results if status == 409} == {"out_of_stock"}
    assert {body["error"]["message"] for status, body in results if status == 409} == {"Sold out."}
    assert Order.objects.count() == 10
    assert inventory_selectors.stock_of(sku) == (10, 10)
    assert Reservation.objects.filter(state="held").count() == 10


def test_twenty_copies_of_one_checkout_make_one_order() -> None:
    user, address = make_buyer()
    sku = make_sku(stock=50)
    auth = f"Bearer {token_pair_issue(user=user).access_token}"
    body = {"items": [{"sku_id": sku, "quantity": 2}], "address_id": address}
    results = run_together(20, lambda _index: _checkout(auth, body, key="same-checkout"))
    created = [body for status, body in results if status == 201]
    in_progress = [body for status, body in results if status == 409]
    assert len(created) + len(in_progress) == 20
    assert {b["error"]["code"] for b in in_progress} <= {"idempotency_request_in_progress"}
    retried = _checkout(auth, body, key="same-checkout")
    assert retried[0] == 201
    assert {b["number"] for b in created} | {retried[1]["number"]} == {retried[1]["number"]}
    assert Order.objects.count() == 1
    assert inventory_selectors.stock_of(sku) == (50, 2)


def test_service_level_key_holds_without_the_middleware() -> None:
    user, address = make_buyer()
    sku = make_sku(stock=50)
    results = run_together(
        12, lambda _index: place(user, address, sku, quantity=1, idempotency_key="form-token").pk
    )
    assert len(set(results)) == 1
    assert Order.objects.count() == 1
    assert inventory_selectors.stock_of(sku) == (50, 1)


def test_expiry_sweeps_and_a_late_payment_race_on_one_order() -> None:
    user, address = make_buyer()
    sku = make_sku(stock=3)
    order = place(user, address, sku, quantity=3)
    payment = services.order_pay(buyer_id=user.pk, number=order.number, return_url="/")
    Order.objects.filter(pk=order.pk).update(payment_deadline=clock.now() - timedelta(seconds=1))
    token = token_of(payment.redirect_url)

    def work(index: int) -> object:
        if index < 4:
            return services.orders_cancel_unpaid()
        return gateway.charge_complete(token=token, pay=True)

    run_together(6, work)
    relay_pending()
    order.refresh_from_db()
    on_hand, reserved = inventory_selectors.stock_of(sku)
    captured = payment_selectors.captured_total(order.number)
    refunded = payment_selectors.refunded_total(order.number)
    if order.status == "paid":
        assert (on_hand, reserved, refunded) == (0, 0, 0)
        assert captured == order.total
    else:
        assert order.status == "cancelled"
        assert (on_hand, reserved) == (3, 0)
        assert refunded == captured  # money taken after the cancel went back
    assert Reservation.objects.filter(reference=order.number).exclude(state="held").count() == 1
