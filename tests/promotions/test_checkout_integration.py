"""Coupons at checkout: the best coupon is preselected on the page, the order keeps the
explanation, the coupon is used once, and the API takes coupon_ids too."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from circlemart.accounts.services import token_pair_issue
from circlemart.orders.models import Order
from tests.orders.conftest import make_buyer, make_sku
from tests.promotions.conftest import claimed, template

pytestmark = pytest.mark.django_db


def test_checkout_page_preselects_the_best_coupon_and_the_order_uses_it() -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=20000)
    coupon = claimed(buyer.pk, template())
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(buyer)
    page = browser.get(f"/orders/checkout/?sku_id={sku}&quantity=1").content.decode()
    assert f'name="coupon_ids" value="{coupon}" checked' in page
    assert 'name="expected_total" value="19000"' in page  # ¥200 − ¥10, free shipping over ¥99
    token = page.split('name="checkout_token" value="')[1].split('"')[0]
    form = {
        "sku_id": sku,
        "quantity": 1,
        "address_id": address,
        "checkout_token": token,
        "coupon_choice": "1",
        "coupon_ids": str(coupon),
        "expected_total": "19000",
    }
    assert browser.post("/orders/checkout/", form).status_code == 302
    order = Order.objects.get()
    assert (order.total, order.discount_total) == (19000, 1000)
    assert [a["rule"] for a in order.adjustments] == [f"coupon:{coupon}", "shipping.free_over"]
    again = browser.post("/orders/checkout/", {**form, "checkout_token": "another"})
    assert again.status_code == 409  # the coupon is taken: the page says so, nothing is written
    assert Order.objects.count() == 1


def test_the_api_applies_coupon_ids(api_client: Client) -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=20000)
    coupon = claimed(buyer.pk, template())
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=buyer).access_token}"}
    body = {
        "items": [{"sku_id": sku, "quantity": 1}],
        "address_id": address,
        "coupon_ids": [coupon],
    }
    quote = api_client.post(
        "/api/v1/orders/quote", json.dumps(body), content_type="application/json", **auth
    ).json()
    assert (quote["discount_total"], quote["total"]) == (1000, 19000)
    placed = api_client.post(
        "/api/v1/orders", json.dumps(body), content_type="application/json", **auth
    )
    assert placed.status_code == 201
    refused = api_client.post(
        "/api/v1/orders", json.dumps(body), content_type="application/json", **auth
    )
    assert refused.status_code in (404, 409)
    assert refused.json()["error"]["field"] == "coupon_ids"
